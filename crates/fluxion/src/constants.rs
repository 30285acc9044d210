//! Physical constants, CODATA 2018 (exact values of the 2019 SI where they are exact).
//!
//! Every other module takes its constants from here, so a change of data set is one edit.

/// Elementary charge `e` in C (exact).
pub const ELEMENTARY_CHARGE: f64 = 1.602_176_634e-19;
/// Boltzmann constant `k_B` in J/K (exact).
pub const BOLTZMANN: f64 = 1.380_649e-23;
/// Avogadro constant `N_A` in 1/mol (exact).
pub const AVOGADRO: f64 = 6.022_140_76e23;
/// Planck constant `h` in J s (exact).
pub const PLANCK: f64 = 6.626_070_15e-34;
/// Faraday constant `F = e N_A` in C/mol (exact).
pub const FARADAY: f64 = ELEMENTARY_CHARGE * AVOGADRO;
/// Molar gas constant `R = k_B N_A` in J/(mol K) (exact).
pub const GAS_CONSTANT: f64 = BOLTZMANN * AVOGADRO;
/// Vacuum permittivity `eps0` in F/m (CODATA 2018: 8.8541878128(13)e-12).
pub const VACUUM_PERMITTIVITY: f64 = 8.854_187_812_8e-12;
/// Vacuum permeability `mu0` in N/A^2 (CODATA 2018: 1.25663706212(19)e-6).
pub const VACUUM_PERMEABILITY: f64 = 1.256_637_062_12e-6;
/// Electron mass `m_e` in kg (CODATA 2018).
pub const ELECTRON_MASS: f64 = 9.109_383_701_5e-31;
/// Magnetic flux quantum `Phi0 = h / (2 e)` in Wb (exact).
pub const FLUX_QUANTUM: f64 = PLANCK / (2.0 * ELEMENTARY_CHARGE);
/// 0 degrees Celsius in kelvin (exact).
pub const ZERO_CELSIUS: f64 = 273.15;

/// Thermal voltage `V_T = k_B T / e = R T / F` in V at temperature `t` (K).
///
/// ```
/// let vt = fluxion::constants::thermal_voltage(298.15);
/// assert!((vt - 0.025_693).abs() < 1e-6);
/// ```
pub fn thermal_voltage(t: f64) -> f64 {
    BOLTZMANN * t / ELEMENTARY_CHARGE
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn derived_constants_match_codata_2018() {
        // CODATA 2018 recommended values (NIST SP 961, 2019).
        assert!((FARADAY - 96_485.332_12).abs() < 1e-5);
        assert!((GAS_CONSTANT - 8.314_462_618).abs() < 1e-8);
        assert!((FLUX_QUANTUM - 2.067_833_848e-15).abs() < 1e-23);
        // kT/e at 298.15 K = 25.693 mV.
        assert!((thermal_voltage(298.15) * 1e3 - 25.6926).abs() < 1e-3);
    }
}
