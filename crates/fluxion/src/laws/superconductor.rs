//! Flux of flux: vortices in type-II superconductors (seed 001).
//!
//! A transport current density `J` pushes each vortex (one flux quantum `Phi0`) with the
//! Lorentz force `J Phi0` per unit length; against the Bardeen-Stephen drag `eta v` it moves
//! at `v = J Phi0 / eta`, and the moving flux density `B` induces the field `E = B v`, so a
//! free vortex lattice dissipates with the flux-flow resistivity `rho_f = rho_n B / B_c2`.

use super::{non_negative, positive, LawError, Result};
use crate::constants::{FLUX_QUANTUM, VACUUM_PERMEABILITY};
use std::f64::consts::PI;

/// The superconducting flux quantum `Phi0 = h / 2e` in Wb (exact in the 2019 SI).
///
/// ```
/// assert!((fluxion::laws::superconductor::flux_quantum() - 2.067_833_848e-15).abs() < 1e-23);
/// ```
pub fn flux_quantum() -> f64 {
    FLUX_QUANTUM
}

/// Upper critical field (T) from the Ginzburg-Landau coherence length `xi` (m):
/// `B_c2 = Phi0 / (2 pi xi^2)`. Reference: Tinkham, Introduction to Superconductivity,
/// 2nd ed., eq. 4.62.
///
/// ```
/// use fluxion::laws::superconductor::upper_critical_field;
/// let b = upper_critical_field(10e-9).unwrap(); // xi = 10 nm
/// assert!((b - 3.291).abs() < 1e-3);
/// ```
pub fn upper_critical_field(xi: f64) -> Result<f64> {
    let xi = positive("xi", xi)?;
    Ok(FLUX_QUANTUM / (2.0 * PI * xi * xi))
}

/// Coherence length (m) from the upper critical field: `xi = sqrt(Phi0 / (2 pi B_c2))`.
///
/// ```
/// use fluxion::laws::superconductor::{coherence_length, upper_critical_field};
/// let xi = coherence_length(upper_critical_field(4e-9).unwrap()).unwrap();
/// assert!((xi - 4e-9).abs() < 1e-22);
/// ```
pub fn coherence_length(bc2: f64) -> Result<f64> {
    Ok((FLUX_QUANTUM / (2.0 * PI * positive("Bc2", bc2)?)).sqrt())
}

/// Bardeen-Stephen vortex viscosity (drag coefficient per unit length, N s m^-2):
/// `eta = Phi0 B_c2 / rho_n`, with `rho_n` the normal-state resistivity (Ohm m).
/// Reference: Bardeen & Stephen (1965), Phys. Rev. 140, A1197; Tinkham eq. 5.70.
///
/// ```
/// use fluxion::laws::superconductor::bardeen_stephen_viscosity;
/// let eta = bardeen_stephen_viscosity(10.0, 1e-7).unwrap();
/// assert!((eta - 2.0678e-7).abs() < 1e-10);
/// ```
pub fn bardeen_stephen_viscosity(bc2: f64, rho_n: f64) -> Result<f64> {
    Ok(FLUX_QUANTUM * positive("Bc2", bc2)? / positive("rho_n", rho_n)?)
}

/// Flux-flow resistivity (Ohm m) of a free vortex lattice: `rho_f = rho_n B / B_c2`, valid
/// for `B` well below `B_c2` (Kim, Hempstead & Strnad 1965, Phys. Rev. 139, A1163; Tinkham
/// eq. 5.71). `B > B_c2` is refused: the sample is then in the normal state.
///
/// ```
/// use fluxion::laws::superconductor::flux_flow_resistivity;
/// assert_eq!(flux_flow_resistivity(2e-7, 1.0, 10.0).unwrap(), 2e-8);
/// ```
pub fn flux_flow_resistivity(rho_n: f64, b: f64, bc2: f64) -> Result<f64> {
    let rho_n = positive("rho_n", rho_n)?;
    let b = non_negative("B", b)?;
    let bc2 = positive("Bc2", bc2)?;
    if b > bc2 {
        return Err(LawError::OutOfRange {
            param: "B",
            value: b,
            requirement: "flux flow needs B <= B_c2: above the upper critical field the sample is normal (rho = rho_n)",
        });
    }
    Ok(rho_n * b / bc2)
}

/// Velocity (m/s) of a free vortex driven by the current density `j` (A/m^2) against the drag
/// `eta` (N s m^-2): `v = J Phi0 / eta` (Lorentz force per length `J Phi0`).
///
/// ```
/// use fluxion::laws::superconductor::{bardeen_stephen_viscosity, vortex_velocity};
/// let eta = bardeen_stephen_viscosity(10.0, 1e-7).unwrap();
/// let v = vortex_velocity(1e9, eta).unwrap();
/// assert!((v - 10.0).abs() < 1e-12); // J rho_n / Bc2
/// ```
pub fn vortex_velocity(j: f64, eta: f64) -> Result<f64> {
    Ok(non_negative("J", j)? * FLUX_QUANTUM / positive("eta", eta)?)
}

/// Electric field (V/m) induced by vortices of flux density `b` (T) moving at `v` (m/s):
/// `E = B v` (Josephson 1965; Tinkham eq. 5.67).
///
/// ```
/// assert_eq!(fluxion::laws::superconductor::flux_flow_field(0.5, 2.0).unwrap(), 1.0);
/// ```
pub fn flux_flow_field(b: f64, v: f64) -> Result<f64> {
    Ok(non_negative("B", b)? * non_negative("v", v)?)
}

/// Unit of vortex-vortex and pinning forces per unit length (N/m):
/// `f0 = Phi0^2 / (2 pi mu0 lambda^3)`, so that two vortices at distance `r` repel with
/// `f0 K1(r / lambda)` in London theory. Reference: Brandt (1995), Rep. Prog. Phys. 58,
/// 1465; Fily et al. (2010), Phys. Rev. B 82, 134519.
///
/// ```
/// use fluxion::laws::superconductor::vortex_force_unit;
/// let f0 = vortex_force_unit(100e-9).unwrap();
/// assert!((f0 - 5.4157e-4).abs() < 1e-7);
/// ```
pub fn vortex_force_unit(lambda: f64) -> Result<f64> {
    let l = positive("lambda", lambda)?;
    Ok(FLUX_QUANTUM * FLUX_QUANTUM / (2.0 * PI * VACUUM_PERMEABILITY * l.powi(3)))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Two routes to the flux-flow field agree: E = B v with v = J Phi0 / eta (force balance)
    /// equals rho_f J with rho_f = rho_n B / Bc2; and rho_f = rho_n at B = Bc2.
    #[test]
    fn flux_flow_is_ohmic_with_the_bardeen_stephen_resistivity() {
        let (rho_n, bc2) = (1.5e-7, 15.0);
        let eta = bardeen_stephen_viscosity(bc2, rho_n).unwrap();
        for &(b, j) in &[(0.1, 1e8), (2.0, 3e9), (15.0, 1e7)] {
            let v = vortex_velocity(j, eta).unwrap();
            let e = flux_flow_field(b, v).unwrap();
            let rho_f = flux_flow_resistivity(rho_n, b, bc2).unwrap();
            assert!((e / (rho_f * j) - 1.0).abs() < 1e-14);
        }
        assert!((flux_flow_resistivity(rho_n, bc2, bc2).unwrap() - rho_n).abs() < 1e-22);
    }

    /// Nb3Sn: xi = 3.6 nm gives Bc2 = 25 T (Orlando et al. 1979, Phys. Rev. B 19, 4545:
    /// Bc2(0) about 25-30 T, xi about 3.6 nm).
    #[test]
    fn nb3sn_upper_critical_field() {
        let b = upper_critical_field(3.6e-9).unwrap();
        assert!((b - 25.4).abs() < 0.1, "{b}");
        assert!(upper_critical_field(0.0).is_err());
        // f0 scales as lambda^-3.
        let r = vortex_force_unit(50e-9).unwrap() / vortex_force_unit(100e-9).unwrap();
        assert!((r - 8.0).abs() < 1e-12);
    }
}
