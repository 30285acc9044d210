//! Neutral and multicomponent diffusion: Fick's first law, diffusion times, and the
//! Nernst-Planck ternary diffusion matrix behind uphill diffusion.

use super::{charge_number, finite, non_negative, positive, LawError, Result};

/// Fick's first law in a layer: flux (mol m^-2 s^-1, towards `+x`) of a neutral solute
/// between fixed concentrations `c_left` at `x = 0` and `c_right` at `x = L` at steady state:
///
/// `J = -D dc/dx = D (c_left - c_right) / L`.
///
/// The steady profile is linear. A neutral solute crossing a dialysis membrane (seed 000:
/// urea) or any solute with excess supporting electrolyte obeys it (seed 002).
/// Reference: Fick (1855); Cussler, Diffusion, 3rd ed., eq. 2.2-10.
///
/// ```
/// use fluxion::laws::diffusion::fick_flux;
/// let j = fick_flux(1.8e-9, 10.0, 0.0, 1e-5).unwrap(); // urea across 10 um
/// assert!((j - 1.8e-3).abs() < 1e-15);
/// ```
pub fn fick_flux(d: f64, c_left: f64, c_right: f64, l: f64) -> Result<f64> {
    let d = non_negative("D", d)?;
    let cl = non_negative("c_left", c_left)?;
    let cr = non_negative("c_right", c_right)?;
    Ok(d * (cl - cr) / positive("L", l)?)
}

/// Diffusion time scale (s) to spread over a distance `l` in `dims` dimensions (1, 2 or 3):
///
/// `t = l^2 / (2 dims D)`,
///
/// the time after which the mean square displacement `<r^2> = 2 dims D t` equals `l^2`
/// (Einstein 1905; Berg, Random Walks in Biology, eq. 1.14).
///
/// ```
/// use fluxion::laws::diffusion::diffusion_time;
/// // A small molecule (D = 1e-9 m^2/s) spreads over 1 um in 0.5 ms.
/// assert!((diffusion_time(1e-6, 1e-9, 1).unwrap() - 5e-4).abs() < 1e-15);
/// ```
pub fn diffusion_time(l: f64, d: f64, dims: u32) -> Result<f64> {
    let l = non_negative("L", l)?;
    let d = positive("D", d)?;
    if !(1..=3).contains(&dims) {
        return Err(LawError::OutOfRange {
            param: "dims",
            value: dims as f64,
            requirement: "the number of dimensions must be 1, 2 or 3",
        });
    }
    Ok(l * l / (2.0 * dims as f64 * d))
}

/// Nernst-Planck limiting ternary diffusion matrix (m^2/s) for two electrolytes with a common
/// ion: ions 1 and 2 (charges `z[0]`, `z[1]`, concentrations `c1`, `c2`) and the common
/// counter-ion 3 (charge `z[2]`, concentration fixed by electroneutrality
/// `c3 = -(z1 c1 + z2 c2) / z3`). With zero current and electroneutrality,
///
/// `J_i = -sum_j D_ij dc_j/dx`,
/// `D_ij = D_i delta_ij - D_i z_i c_i z_j (D_j - D_3) / sum_k z_k^2 D_k c_k`   (i, j = 1, 2).
///
/// The off-diagonal terms are the cross-diffusion behind uphill diffusion: a gradient of one
/// salt drives the other ion against its own gradient. Dilute, ideal solutions.
/// Reference: Vinograd & McBain (1941), JACS 63, 2008; Cussler, Diffusion, 3rd ed.,
/// sec. 7.4; Miller (1966), J. Phys. Chem. 70, 2639.
///
/// ```
/// use fluxion::laws::diffusion::ternary_diffusion_matrix;
/// // 50 mM HCl + 100 mM NaCl: an HCl gradient drives Na+ towards the acid (D21 < 0),
/// // uphill against a uniform or opposing Na+ profile.
/// let m = ternary_diffusion_matrix([1.0, 1.0, -1.0], [9.311e-9, 1.334e-9, 2.032e-9], 50.0, 100.0)
///     .unwrap();
/// assert!(m[1][0] < -1e-9);
/// ```
pub fn ternary_diffusion_matrix(
    z: [f64; 3],
    d: [f64; 3],
    c1: f64,
    c2: f64,
) -> Result<[[f64; 2]; 2]> {
    let names = ["z1", "z2", "z3"];
    for k in 0..3 {
        charge_number(names[k], z[k])?;
    }
    let dn = ["D1", "D2", "D3"];
    for k in 0..3 {
        non_negative(dn[k], d[k])?;
    }
    let c1 = non_negative("c1", c1)?;
    let c2 = non_negative("c2", c2)?;
    let c3 = -(z[0] * c1 + z[1] * c2) / z[2];
    if c3 < 0.0 || (z[0].signum() == z[2].signum() || z[1].signum() == z[2].signum()) {
        return Err(LawError::Inconsistent(format!(
            "ternary diffusion: ion 3 (z3 = {}) must be the common counter-ion of ions 1 and 2 \
             (opposite charge to both), so that electroneutrality gives c3 >= 0",
            z[2]
        )));
    }
    let c = [c1, c2, c3];
    let s: f64 = (0..3).map(|k| z[k] * z[k] * d[k] * c[k]).sum();
    if s <= 0.0 {
        return Err(LawError::Inconsistent(
            "ternary diffusion: the solution carries no current (all D c are zero)".into(),
        ));
    }
    let mut m = [[0.0; 2]; 2];
    for i in 0..2 {
        for j in 0..2 {
            let delta = if i == j { d[i] } else { 0.0 };
            m[i][j] = delta - d[i] * z[i] * c[i] * z[j] * (d[j] - d[2]) / s;
        }
    }
    finite("D11", m[0][0])?;
    Ok(m)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::laws::electrochem::salt_diffusivity;

    /// Limits of the ternary matrix: with one salt absent, the other diffuses with its salt
    /// diffusivity (the binary Nernst-Planck result) and the cross term of the absent ion
    /// vanishes; a trace ion in an excess of the other salt diffuses with its own D.
    #[test]
    fn ternary_matrix_limits() {
        let (dh, dna, dcl) = (9.311e-9, 1.334e-9, 2.032e-9);
        let z = [1.0, 1.0, -1.0];
        let m = ternary_diffusion_matrix(z, [dh, dna, dcl], 50.0, 0.0).unwrap();
        let ds = salt_diffusivity(1.0, -1.0, dh, dcl).unwrap();
        assert!((m[0][0] / ds - 1.0).abs() < 1e-14);
        assert_eq!(m[1][0], 0.0);
        assert_eq!(m[1][1], dna);
        let m = ternary_diffusion_matrix(z, [dh, dna, dcl], 1e-9, 100.0).unwrap();
        assert!((m[0][0] / dh - 1.0).abs() < 1e-9);
        // An HCl gradient drives Na+ towards the acid (D21 < 0), as strongly as Na+'s own
        // gradient does: the uphill diffusion of Vinograd & McBain (1941).
        let m = ternary_diffusion_matrix(z, [dh, dna, dcl], 50.0, 100.0).unwrap();
        assert!(m[1][0] < 0.0 && m[1][0].abs() > 0.3 * m[1][1]);
        // Equal diffusivities: no coupling at all.
        let m = ternary_diffusion_matrix([2.0, 1.0, -1.0], [1e-9; 3], 3.0, 4.0).unwrap();
        assert_eq!(m, [[1e-9, 0.0], [0.0, 1e-9]]);
    }

    /// The matrix conserves current: sum_i z_i J_i (including the counter-ion, whose flux
    /// follows from J_3 = -D_3 (dc3/dx + z3 c3 dphi)) is zero for any gradients.
    #[test]
    fn ternary_fluxes_carry_no_current() {
        let z = [2.0, 1.0, -1.0];
        let d = [0.792e-9, 1.957e-9, 2.032e-9];
        let (c1, c2) = (10.0, 30.0);
        let m = ternary_diffusion_matrix(z, d, c1, c2).unwrap();
        let g = [1.5, -0.7];
        let j1 = -(m[0][0] * g[0] + m[0][1] * g[1]);
        let j2 = -(m[1][0] * g[0] + m[1][1] * g[1]);
        // The field (in units of RT/F) from zero current, and the counter-ion flux.
        let c3 = -(z[0] * c1 + z[1] * c2) / z[2];
        let g3 = -(z[0] * g[0] + z[1] * g[1]) / z[2];
        let c = [c1, c2, c3];
        let gs = [g[0], g[1], g3];
        let s: f64 = (0..3).map(|k| z[k] * z[k] * d[k] * c[k]).sum();
        let phi = -(0..3).map(|k| z[k] * d[k] * gs[k]).sum::<f64>() / s;
        let j = |k: usize| -d[k] * (gs[k] + z[k] * c[k] * phi);
        assert!((j(0) - j1).abs() < 1e-12 * j1.abs());
        assert!((j(1) - j2).abs() < 1e-12 * j2.abs().max(1e-12));
        let current = z[0] * j1 + z[1] * j2 + z[2] * j(2);
        assert!(current.abs() < 1e-20, "{current}");
    }

    #[test]
    fn fick_and_time_reject_bad_input() {
        assert!(fick_flux(-1e-9, 1.0, 0.0, 1.0).is_err());
        assert!(fick_flux(1e-9, 1.0, 0.0, 0.0).is_err());
        assert!(diffusion_time(1.0, 1e-9, 4).is_err());
        assert!((diffusion_time(1e-3, 1e-9, 3).unwrap() - 1e-6 / 6e-9).abs() < 1e-9);
    }
}
