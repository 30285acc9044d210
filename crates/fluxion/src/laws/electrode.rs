//! Electrode processes limited by mass transport: Cottrell transients and limiting currents.
//!
//! Currents are current densities (A/m^2) given as magnitudes: the sign follows the
//! direction of the reaction (cathodic or anodic), which these laws do not fix.

use super::{charge_number, non_negative, positive, LawError, Result};
use crate::constants::FARADAY;
use std::f64::consts::PI;

/// Cottrell current density (A/m^2) at time `t` after a potential step that drives the
/// surface concentration of a reactant (bulk `c`, diffusivity `d`) to zero at a planar
/// electrode, with `n` electrons per molecule:
///
/// `i(t) = n F c sqrt(D / (pi t))`.
///
/// Semi-infinite linear diffusion, excess supporting electrolyte (no migration), no
/// convection. Reference: Cottrell (1903); Bard & Faulkner, 2nd ed., eq. 5.2.11.
///
/// ```
/// use fluxion::laws::electrode::cottrell_current;
/// let i = cottrell_current(1.0, 1.0, 1e-9, 1.0).unwrap(); // 1 mM, 1e-5 cm^2/s, 1 s
/// assert!((i - 96485.33212 * (1e-9 / std::f64::consts::PI).sqrt()).abs() < 1e-10);
/// ```
pub fn cottrell_current(n: f64, c: f64, d: f64, t: f64) -> Result<f64> {
    let n = positive("n", n)?;
    let c = non_negative("c", c)?;
    let d = non_negative("D", d)?;
    let t = positive("t", t)?;
    Ok(n * FARADAY * c * (d / (PI * t)).sqrt())
}

/// Charge per area (C/m^2) passed up to time `t` in the Cottrell experiment:
/// `Q(t) = 2 n F c sqrt(D t / pi)`, the time integral of [`cottrell_current`]
/// (Anson 1964; Bard & Faulkner, 2nd ed., eq. 5.8.1).
///
/// ```
/// use fluxion::laws::electrode::{cottrell_charge, cottrell_current};
/// // dQ/dt = i
/// let (t, h) = (2.0, 1e-5);
/// let dq = (cottrell_charge(1.0, 1.0, 1e-9, t + h).unwrap()
///     - cottrell_charge(1.0, 1.0, 1e-9, t - h).unwrap()) / (2.0 * h);
/// assert!((dq / cottrell_current(1.0, 1.0, 1e-9, t).unwrap() - 1.0).abs() < 1e-8);
/// ```
pub fn cottrell_charge(n: f64, c: f64, d: f64, t: f64) -> Result<f64> {
    let n = positive("n", n)?;
    let c = non_negative("c", c)?;
    let d = non_negative("D", d)?;
    let t = non_negative("t", t)?;
    Ok(2.0 * n * FARADAY * c * (d * t / PI).sqrt())
}

/// Current density (A/m^2) after a potential step at a spherical electrode of radius `r0`:
///
/// `i(t) = n F D c (1 / sqrt(pi D t) + 1 / r0)`,
///
/// the Cottrell term plus the steady spherical term `n F D c / r0` it tends to when
/// `t >> r0^2 / D`. Reference: Bard & Faulkner, 2nd ed., eq. 5.2.20.
///
/// ```
/// use fluxion::laws::electrode::cottrell_spherical_current;
/// let late = cottrell_spherical_current(1.0, 1.0, 1e-9, 1e6, 5e-6).unwrap();
/// assert!((late / (96485.33212 * 1e-9 / 5e-6) - 1.0).abs() < 1e-3);
/// ```
pub fn cottrell_spherical_current(n: f64, c: f64, d: f64, t: f64, r0: f64) -> Result<f64> {
    let n = positive("n", n)?;
    let c = non_negative("c", c)?;
    let d = positive("D", d)?;
    let t = positive("t", t)?;
    let r0 = positive("r0", r0)?;
    Ok(n * FARADAY * d * c * (1.0 / (PI * d * t).sqrt() + 1.0 / r0))
}

/// Diffusion-limited current density (A/m^2) across a stagnant (Nernst) layer of thickness
/// `delta` with excess supporting electrolyte: `i_lim = n F D c / delta`.
///
/// Reference: Bard & Faulkner, 2nd ed., eq. 1.4.10.
///
/// ```
/// use fluxion::laws::electrode::limiting_current;
/// let i = limiting_current(1.0, 1.0, 1e-9, 1e-4).unwrap();
/// assert!((i - 96485.33212 * 1e-9 / 1e-4).abs() < 1e-9);
/// ```
pub fn limiting_current(n: f64, c: f64, d: f64, delta: f64) -> Result<f64> {
    let n = positive("n", n)?;
    let c = non_negative("c", c)?;
    let d = non_negative("D", d)?;
    let delta = positive("delta", delta)?;
    Ok(n * FARADAY * d * c / delta)
}

/// Limiting current density (A/m^2) of a binary salt without supporting electrolyte when the
/// cation (charge `z_plus`, bulk concentration `c`, diffusivity `d`) reacts with `n` electrons
/// and the anion (charge `z_minus < 0`) does not react:
///
/// `i_lim = n F D c (1 - z+/z-) / delta`,
///
/// twice the diffusion limit for a 1:1 salt: the field that keeps the anion at rest drives
/// the cation as hard as diffusion does. Electroneutral Nernst-Planck in a stagnant layer.
/// Reference: Newman, Electrochemical Systems, 3rd ed., sec. 19.4.
///
/// ```
/// use fluxion::laws::electrode::{limiting_current, limiting_current_binary};
/// let a = limiting_current_binary(1.0, 1.0, -1.0, 10.0, 1.6e-9, 1e-4).unwrap();
/// let b = limiting_current(1.0, 10.0, 1.6e-9, 1e-4).unwrap();
/// assert!((a / b - 2.0).abs() < 1e-15);
/// ```
pub fn limiting_current_binary(
    n: f64,
    z_plus: f64,
    z_minus: f64,
    c: f64,
    d: f64,
    delta: f64,
) -> Result<f64> {
    let zp = charge_number("z_plus", z_plus)?;
    let zm = charge_number("z_minus", z_minus)?;
    if zp < 0.0 || zm > 0.0 {
        return Err(LawError::Inconsistent(format!(
            "limiting current: z_plus = {zp} must be positive and z_minus = {zm} negative"
        )));
    }
    Ok(limiting_current(n, c, d, delta)? * (1.0 - zp / zm))
}

/// Limiting current density (A/m^2) for the deposition of a monovalent cation A+ from
/// A+X- with an inert B+X- supporting salt (bulk `c_a`, `c_b`) across a stagnant layer:
///
/// `i_lim = 2 F D_A (c_X - sqrt(c_B c_X)) / delta`, `c_X = c_A + c_B`,
///
/// with the ratio to the pure-diffusion limit `2 (c_X - sqrt(c_B c_X)) / c_A` falling from 2
/// without support to 1 with excess support. The inert ions are Boltzmann-distributed, so
/// their diffusivity does not enter. Reference: Newman (1966), Ind. Eng. Chem. Fund. 5, 525;
/// Newman, Electrochemical Systems, 3rd ed., sec. 19.4. Returns `(i_lim, ratio)`.
///
/// ```
/// use fluxion::laws::electrode::limiting_current_supported;
/// let (_, r0) = limiting_current_supported(10.0, 0.0, 1.6e-9, 1e-4).unwrap();
/// let (_, r1) = limiting_current_supported(10.0, 1e5, 1.6e-9, 1e-4).unwrap();
/// assert!((r0 - 2.0).abs() < 1e-15 && (r1 - 1.0).abs() < 1e-4);
/// ```
pub fn limiting_current_supported(c_a: f64, c_b: f64, d_a: f64, delta: f64) -> Result<(f64, f64)> {
    let c_a = positive("c_A", c_a)?;
    let c_b = non_negative("c_B", c_b)?;
    let d = non_negative("D_A", d_a)?;
    let delta = positive("delta", delta)?;
    let c_x = c_a + c_b;
    // c_X - sqrt(c_B c_X) = c_X c_A / (c_X + sqrt(c_B c_X)), without cancellation.
    let excess = c_x * c_a / (c_x + (c_b * c_x).sqrt());
    let i = 2.0 * FARADAY * d * excess / delta;
    Ok((i, 2.0 * excess / c_a))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// 1 mM, D = 1e-5 cm^2/s, n = 1 at t = 1 s: 172 uA/cm^2 = 1.72 A/m^2 (the order of
    /// magnitude quoted for Cottrell transients in Bard & Faulkner, 2nd ed., sec. 5.2.1).
    #[test]
    fn cottrell_textbook_number() {
        let i = cottrell_current(1.0, 1.0, 1e-9, 1.0).unwrap();
        assert!((i - 1.72).abs() < 5e-3, "{i}");
        // i sqrt(t) is constant (the Cottrell plot).
        let a = cottrell_current(2.0, 3.0, 1e-9, 0.5).unwrap() * 0.5f64.sqrt();
        let b = cottrell_current(2.0, 3.0, 1e-9, 8.0).unwrap() * 8f64.sqrt();
        assert!((a / b - 1.0).abs() < 1e-14);
        assert!(cottrell_current(1.0, 1.0, 1e-9, 0.0).is_err());
    }

    /// The spherical current tends to Cottrell at short times (r0 >> sqrt(D t)).
    #[test]
    fn spherical_current_limits() {
        let (d, r0) = (1e-9, 1e-3);
        let t = 1e-4;
        let s = cottrell_spherical_current(1.0, 1.0, d, t, r0).unwrap();
        let p = cottrell_current(1.0, 1.0, d, t).unwrap();
        assert!((s / p - 1.0) < 1e-3 && s > p);
    }

    /// Newman's AX + BX ratio is monotone between 2 and 1 and the binary law gives 3 for a
    /// 2:1 salt (MCl2 with the anion at rest).
    #[test]
    fn supporting_electrolyte_lowers_the_limiting_current() {
        let mut last = 2.0 + 1e-12;
        for &cb in &[0.0, 0.1, 1.0, 10.0, 100.0, 1e4] {
            let (i, r) = limiting_current_supported(1.0, cb, 1e-9, 1e-4).unwrap();
            assert!(r < last && r >= 1.0);
            let direct = 2.0 * FARADAY * 1e-9 * ((1.0 + cb) - (cb * (1.0 + cb)).sqrt()) / 1e-4;
            assert!((i / direct - 1.0).abs() < 1e-9);
            last = r;
        }
        let i = limiting_current_binary(2.0, 2.0, -1.0, 1.0, 1e-9, 1e-4).unwrap();
        assert!((i / limiting_current(2.0, 1.0, 1e-9, 1e-4).unwrap() - 3.0).abs() < 1e-15);
    }
}
