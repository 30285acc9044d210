//! Electrons and fields: thermionic emission and the field of a charged spherical shell.

use super::{finite, non_negative, positive, temperature, Result};
use crate::constants::{BOLTZMANN, ELECTRON_MASS, ELEMENTARY_CHARGE, PLANCK, VACUUM_PERMITTIVITY};
use std::f64::consts::PI;

/// The universal Richardson constant `A0 = 4 pi m_e k_B^2 e / h^3` in A m^-2 K^-2
/// (1.20173e6 A m^-2 K^-2 from CODATA 2018).
///
/// ```
/// let a0 = fluxion::laws::electrons::richardson_constant();
/// assert!((a0 / 1.20173e6 - 1.0).abs() < 1e-5);
/// ```
pub fn richardson_constant() -> f64 {
    4.0 * PI * ELECTRON_MASS * BOLTZMANN * BOLTZMANN * ELEMENTARY_CHARGE / PLANCK.powi(3)
}

/// Richardson-Dushman thermionic emission current density (A/m^2) of a metal with work
/// function `w` (J; `"4.5 eV"` in `fluxion calc`) at temperature `t` (K):
///
/// `J = lambda_R A0 T^2 exp(-W / k_B T)`,
///
/// where `lambda_R` (`lambda_r`) is the material correction to the universal constant `A0`
/// (1 for the free-electron model; about 0.5 for many metals, tungsten's measured
/// `A_G = 60 A cm^-2 K^-2` is `lambda_R = 0.5`). Zero field (no Schottky lowering), seed 000.
/// Reference: Richardson (1901); Dushman (1923), Phys. Rev. 21, 623; Ashcroft & Mermin,
/// Solid State Physics, eq. 18.13.
///
/// ```
/// use fluxion::laws::electrons::richardson_dushman;
/// // Tungsten, W = 4.54 eV, A_G = 60 A/(cm^2 K^2) at 2500 K: 0.26 A/cm^2.
/// let j = richardson_dushman(4.54 * 1.602176634e-19, 2500.0, 0.5).unwrap();
/// assert!((j * 1e-4 - 0.264).abs() < 0.002);
/// ```
pub fn richardson_dushman(w: f64, t: f64, lambda_r: f64) -> Result<f64> {
    let w = non_negative("W", w)?;
    let t = temperature("T", t)?;
    let l = positive("lambda_r", lambda_r)?;
    Ok(l * richardson_constant() * t * t * (-w / (BOLTZMANN * t)).exp())
}

/// Radial field `E(r)` (V/m) and potential `V(r)` (V, zero at infinity) of a thin spherical
/// shell of radius `radius` carrying surface charge density `sigma` (C/m^2) in a medium of
/// relative permittivity `eps_r`:
///
/// inside (`r < R`): `E = 0`, `V = sigma R / eps` (flat, as in any closed conductor);
/// outside (`r >= R`): `E = sigma R^2 / (eps r^2)`, `V = sigma R^2 / (eps r)`,
///
/// so the field jumps from 0 to `sigma / eps` across the shell (Gauss's law, seed 000).
/// At `r = R` the value just outside is returned. Returns `(E, V)`.
/// Reference: Griffiths, Introduction to Electrodynamics, 4th ed., ex. 2.7.
///
/// ```
/// use fluxion::laws::electrons::charged_shell;
/// let (e_in, _) = charged_shell(1e-6, 0.01, 0.005, 1.0).unwrap();
/// let (e_out, _) = charged_shell(1e-6, 0.01, 0.01, 1.0).unwrap();
/// assert_eq!(e_in, 0.0);
/// assert!((e_out - 1e-6 / 8.8541878128e-12).abs() < 1e-3);
/// ```
pub fn charged_shell(sigma: f64, radius: f64, r: f64, eps_r: f64) -> Result<(f64, f64)> {
    let sigma = finite("sigma", sigma)?;
    let rs = positive("R", radius)?;
    let r = non_negative("r", r)?;
    let eps = positive("eps_r", eps_r)? * VACUUM_PERMITTIVITY;
    if r < rs {
        Ok((0.0, sigma * rs / eps))
    } else {
        Ok((sigma * rs * rs / (eps * r * r), sigma * rs * rs / (eps * r)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A0 = 120.173 A cm^-2 K^-2 (Ashcroft & Mermin; CODATA 2018 constants).
    #[test]
    fn richardson_constant_value() {
        assert!((richardson_constant() / 1.201_73e6 - 1.0).abs() < 2e-6);
        // Doubling W/kT: the Boltzmann factor squares.
        let kt = BOLTZMANN * 1500.0;
        let a = richardson_dushman(10.0 * kt, 1500.0, 1.0).unwrap();
        let b = richardson_dushman(20.0 * kt, 1500.0, 1.0).unwrap();
        let pre = richardson_constant() * 1500.0f64.powi(2);
        assert!(((b / pre) / (a / pre).powi(2) - 1.0).abs() < 1e-12);
        assert!(richardson_dushman(1e-19, 0.0, 1.0).is_err());
    }

    /// Gauss's law: the potential is continuous at the shell, E = -dV/dr outside, and the
    /// field jump equals sigma / eps.
    #[test]
    fn shell_field_and_potential_are_consistent() {
        let (s, r0) = (-3e-5, 2e-3);
        let (_, v_in) = charged_shell(s, r0, 0.0, 2.0).unwrap();
        let (e_out, v_out) = charged_shell(s, r0, r0, 2.0).unwrap();
        assert!((v_in - v_out).abs() < 1e-15 * v_in.abs());
        assert!((e_out - s / (2.0 * VACUUM_PERMITTIVITY)).abs() < 1e-12 * e_out.abs());
        let r = 3.7e-3;
        let h = 1e-9;
        let dv = (charged_shell(s, r0, r + h, 2.0).unwrap().1
            - charged_shell(s, r0, r - h, 2.0).unwrap().1)
            / (2.0 * h);
        assert!((-dv / charged_shell(s, r0, r, 2.0).unwrap().0 - 1.0).abs() < 1e-6);
    }
}
