//! The flux-force relation of a reversible reaction (seed 002).

use super::{finite, non_negative, temperature, Result};
use crate::constants::GAS_CONSTANT;

/// Net rate of a reversible reaction from its forward rate `v_f` (any rate unit, e.g.
/// mol m^-3 s^-1) and its Gibbs energy change `dg` (J/mol) at temperature `t` (K):
///
/// `v = v_f - v_r = v_f (1 - Gamma)`,   `Gamma = v_r / v_f = exp(dG / RT)`.
///
/// `Gamma` is the ratio of the mass-action ratio to the equilibrium constant, `Q/K`; it tends
/// to 1 at equilibrium (`dG = 0`), where the net flux vanishes, and the flux runs forwards
/// exactly when `dG < 0`. Near equilibrium the flux is linear in the force,
/// `v ~ -v_f dG / RT`. Returns `(v, Gamma)`.
/// Reference: Beard & Qian, Chemical Biophysics (2008), sec. 5.1; Qian & Beard (2005),
/// Biophys. Chem. 114, 213.
///
/// ```
/// use fluxion::laws::reaction::reaction_flux;
/// // dG = -RT ln 10: the reverse flux is a tenth of the forward one.
/// let rt = fluxion::constants::GAS_CONSTANT * 298.15;
/// let (v, g) = reaction_flux(1.0, -rt * 10f64.ln(), 298.15).unwrap();
/// assert!((v - 0.9).abs() < 1e-12 && (g - 0.1).abs() < 1e-12);
/// ```
pub fn reaction_flux(v_f: f64, dg: f64, t: f64) -> Result<(f64, f64)> {
    let v_f = non_negative("v_f", v_f)?;
    let dg = finite("dG", dg)?;
    let x = dg / (GAS_CONSTANT * temperature("T", t)?);
    // 1 - e^x without cancellation near equilibrium.
    Ok((-v_f * x.exp_m1(), x.exp()))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Mass action for A + B <-> C with rate constants k_f, k_r: v_f = k_f a b, v_r = k_r c,
    /// K = k_f / k_r and dG = RT ln(Q / K) with Q = c / (a b). The flux-force relation
    /// reproduces v_f - v_r exactly.
    #[test]
    fn flux_force_relation_matches_mass_action() {
        let (kf, kr, t) = (2.5, 0.4, 310.0);
        let rt = GAS_CONSTANT * t;
        for &(a, b, c) in &[(1.0f64, 2.0f64, 0.1f64), (0.1, 0.2, 5.0), (1.0, 1.0, 6.25)] {
            let (vf, vr) = (kf * a * b, kr * c);
            let dg = rt * ((c / (a * b)) / (kf / kr)).ln();
            let (v, gamma) = reaction_flux(vf, dg, t).unwrap();
            assert!((v - (vf - vr)).abs() < 1e-12 * vf, "{v} vs {}", vf - vr);
            assert!((gamma - vr / vf).abs() < 1e-12);
            assert_eq!(v > 0.0, dg < 0.0);
        }
        // Linear near equilibrium.
        let (v, _) = reaction_flux(3.0, 1e-6 * rt, t).unwrap();
        assert!((v + 3e-6).abs() < 2e-12, "{v}");
        assert!(reaction_flux(1.0, 0.0, -1.0).is_err());
    }
}
