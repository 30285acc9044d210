//! Coupled flows: electrokinetics (Helmholtz-Smoluchowski, streaming potential and current,
//! Onsager reciprocity in Saxen's form) and the thermoelectric field of a plasma.
//!
//! Electrokinetic conventions: the liquid flows along `+x` under the pressure drop
//! `dp = p_in - p_out > 0` over a channel or porous plug of length `L`; `E` is the applied
//! field along `+x`; `zeta` is the zeta potential of the wall (negative for glass or silica
//! in water). Thin double layers (Debye length much smaller than the pore size), laminar
//! flow, uniform conductivity `K` (surface conduction neglected).

use super::{finite, non_negative, positive, Result};
use crate::constants::{BOLTZMANN, ELEMENTARY_CHARGE, VACUUM_PERMITTIVITY};

/// Helmholtz-Smoluchowski electro-osmotic mobility (m^2 V^-1 s^-1): `mu_eo = -eps zeta / eta`
/// with `eps = eps_r eps0`. The plug-flow velocity in a field `E` is `mu_eo E`.
///
/// Reference: von Smoluchowski (1903); Hunter, Zeta Potential in Colloid Science (1981),
/// ch. 3; Kirby, Micro- and Nanoscale Fluid Mechanics, eq. 6.16.
///
/// ```
/// use fluxion::laws::coupled::electroosmotic_mobility;
/// // Glass in water, zeta = -50 mV: 3.9e-8 m^2/(V s).
/// let m = electroosmotic_mobility(78.5, -0.05, 0.89e-3).unwrap();
/// assert!((m - 3.90e-8).abs() < 0.01e-8);
/// ```
pub fn electroosmotic_mobility(eps_r: f64, zeta: f64, eta: f64) -> Result<f64> {
    let eps = positive("eps_r", eps_r)? * VACUUM_PERMITTIVITY;
    Ok(-eps * finite("zeta", zeta)? / positive("eta", eta)?)
}

/// Helmholtz-Smoluchowski electro-osmotic (slip) velocity (m/s) in a field `e_field` (V/m):
/// `u = -eps zeta E / eta`. See [`electroosmotic_mobility`].
///
/// ```
/// use fluxion::laws::coupled::electroosmotic_velocity;
/// let u = electroosmotic_velocity(78.5, -0.05, 0.89e-3, 1e4).unwrap(); // 100 V/cm
/// assert!((u * 1e6 - 390.5).abs() < 0.5); // um/s
/// ```
pub fn electroosmotic_velocity(eps_r: f64, zeta: f64, eta: f64, e_field: f64) -> Result<f64> {
    Ok(electroosmotic_mobility(eps_r, zeta, eta)? * finite("E", e_field)?)
}

/// Streaming current density (A/m^2 of channel cross-section) driven by a pressure drop
/// `dp` over length `l`: `j_s = -eps zeta dp / (eta L)`, the convection of the diffuse
/// layer's charge by the pressure-driven flow (zero electric field).
///
/// Reference: Hunter (1981), ch. 3; Kirby, eq. 6.43; Masliyah & Bhattacharjee,
/// Electrokinetic and Colloid Transport Phenomena (2006), sec. 7.2.
///
/// ```
/// use fluxion::laws::coupled::streaming_current_density;
/// // A negative wall: its mobile positive charge is carried downstream (+x).
/// assert!(streaming_current_density(78.5, -0.05, 0.89e-3, 1e5, 1e-2).unwrap() > 0.0);
/// ```
pub fn streaming_current_density(eps_r: f64, zeta: f64, eta: f64, dp: f64, l: f64) -> Result<f64> {
    let eps = positive("eps_r", eps_r)? * VACUUM_PERMITTIVITY;
    let zeta = finite("zeta", zeta)?;
    let eta = positive("eta", eta)?;
    Ok(-eps * zeta * finite("dp", dp)? / (eta * positive("L", l)?))
}

/// Streaming potential (V), `phi_out - phi_in`, built up at zero net current by a pressure
/// drop `dp` (Pa) across a channel or plug of electrolyte conductivity `conductivity` (S/m):
///
/// `dphi = -eps zeta dp / (eta K)`.
///
/// The conduction current then cancels the streaming current. Reference: Helmholtz (1879),
/// von Smoluchowski (1903); Hunter (1981), eq. 3.4.5.
///
/// ```
/// use fluxion::laws::coupled::streaming_potential;
/// // 1 bar across glass in 1 mM KCl (K = 0.0147 S/m): about 0.27 V downstream positive.
/// let v = streaming_potential(78.5, -0.05, 0.89e-3, 0.0147, 1e5).unwrap();
/// assert!((v - 0.2656).abs() < 1e-3);
/// ```
pub fn streaming_potential(
    eps_r: f64,
    zeta: f64,
    eta: f64,
    conductivity: f64,
    dp: f64,
) -> Result<f64> {
    let eps = positive("eps_r", eps_r)? * VACUUM_PERMITTIVITY;
    let zeta = finite("zeta", zeta)?;
    let eta = positive("eta", eta)?;
    let k = positive("K", conductivity)?;
    Ok(-eps * zeta * finite("dp", dp)? / (eta * k))
}

/// Onsager coefficients of electrokinetic coupling per unit cross-section, for the fluxes
/// `J_V` (volume flux, m/s) and `j` (current density, A/m^2) driven by the forces
/// `X_p = -dp/dx` (Pa/m) and `E = -dphi/dx` (V/m):
///
/// `J_V = L_pp X_p + L_pe E`, `j = L_ep X_p + L_ee E`.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Electrokinetic {
    /// Electro-osmotic coefficient `L_pe = (J_V / E)` at `X_p = 0`, from Helmholtz-Smoluchowski
    /// slip flow (m^2 V^-1 s^-1).
    pub l_pe: f64,
    /// Streaming coefficient `L_ep = (j / X_p)` at `E = 0`, from the convected diffuse charge
    /// (A Pa^-1 m^-1 = m^2 V^-1 s^-1).
    pub l_ep: f64,
    /// `L_ee = K`, the conductivity (S/m).
    pub l_ee: f64,
    /// Saxen's electro-osmotic ratio `(J_V / j)` at `X_p = 0` (m^3/C).
    pub electroosmotic_flow_per_current: f64,
    /// Saxen's streaming ratio `(dphi / dp)` at `j = 0`, `dphi = phi_out - phi_in` (V/Pa).
    pub streaming_potential_per_pressure: f64,
}

/// Onsager reciprocity of electro-osmosis and streaming (seed 000): the cross-coefficients
/// computed from their two different mechanisms are equal, `L_pe = L_ep = -eps zeta / eta`,
/// and so are Saxen's ratios `(J_V/j)_{X_p=0} = (dphi/dp)_{j=0} = -eps zeta / (eta K)`.
///
/// Reference: Onsager (1931); Saxen (1892), Ann. Phys. 283, 46; de Groot & Mazur,
/// Non-Equilibrium Thermodynamics (1962), ch. XIV.
///
/// ```
/// use fluxion::laws::coupled::electrokinetic_onsager;
/// let o = electrokinetic_onsager(78.5, -0.05, 0.89e-3, 0.0147).unwrap();
/// assert_eq!(o.l_pe, o.l_ep);
/// let (a, b) = (o.electroosmotic_flow_per_current, o.streaming_potential_per_pressure);
/// assert!((a / b - 1.0).abs() < 1e-15);
/// ```
pub fn electrokinetic_onsager(
    eps_r: f64,
    zeta: f64,
    eta: f64,
    conductivity: f64,
) -> Result<Electrokinetic> {
    let k = positive("K", conductivity)?;
    // Electro-osmosis: the slip velocity per unit field.
    let l_pe = electroosmotic_velocity(eps_r, zeta, eta, 1.0)?;
    // Streaming: the current per unit pressure gradient (dp / L = 1 Pa/m).
    let l_ep = streaming_current_density(eps_r, zeta, eta, 1.0, 1.0)?;
    Ok(Electrokinetic {
        l_pe,
        l_ep,
        l_ee: k,
        electroosmotic_flow_per_current: l_pe / k,
        streaming_potential_per_pressure: streaming_potential(eps_r, zeta, eta, k, 1.0)?,
    })
}

/// Thermoelectric field (V/m) in a plasma in electrostatic equilibrium with an electron
/// temperature gradient `grad_t` (K/m) and uniform density (seed 000): the field that holds
/// the electron pressure gradient,
///
/// `E = -(1 + beta) (k_B / e) grad T`,   `grad Phi = -E`,
///
/// where `beta` is the thermal-force coefficient (0 in the simplest model where the field
/// balances `grad p_e / (n e)` only; 0.71 for a hydrogen plasma, Braginskii 1965). A
/// density gradient adds `-(k_B T / e) grad n / n`, not included here.
/// Reference: Braginskii (1965), Rev. Plasma Phys. 1, 205; Chen, Introduction to Plasma
/// Physics, sec. 5.6.
///
/// ```
/// use fluxion::laws::coupled::plasma_thermoelectric_field;
/// let e = plasma_thermoelectric_field(1e3, 0.0).unwrap(); // 1000 K/m
/// assert!((e + 0.086_173).abs() < 1e-6);
/// ```
pub fn plasma_thermoelectric_field(grad_t: f64, beta: f64) -> Result<f64> {
    let g = finite("grad_T", grad_t)?;
    let beta = non_negative("beta", beta)?;
    Ok(-(1.0 + beta) * BOLTZMANN / ELEMENTARY_CHARGE * g)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::laws::electrochem::{debye_length, gouy_chapman_potential};

    /// Onsager symmetry computed from the double layer itself (not from the closed forms):
    /// in a slit of half-width h with Gouy-Chapman layers at both walls, the electro-osmotic
    /// flow per field is `-(eps/eta) <zeta - psi>` (Stokes with body force rho_e E) and the
    /// streaming current per pressure gradient is `(1/h) int rho_e u_p dy` with Poiseuille
    /// flow `u_p = X_p (h^2 - y^2) / (2 eta)` and `rho_e = -eps psi''`. The two different
    /// integrals agree, and tend to Helmholtz-Smoluchowski as lambda_D / h -> 0.
    #[test]
    fn onsager_cross_coefficients_are_equal_from_the_double_layer() {
        let (eps_r, eta, t, c, zeta) = (78.5, 0.89e-3, 298.15, 10.0, -0.08);
        let eps = eps_r * VACUUM_PERMITTIVITY;
        let ld = debye_length(&[1.0, -1.0], &[c, c], eps_r, t).unwrap();
        let hs = electroosmotic_mobility(eps_r, zeta, eta).unwrap();
        let mut last = f64::INFINITY;
        for &ratio in &[10.0, 40.0, 160.0] {
            let h = ratio * ld;
            // psi at distance y from the centre: superposed layers (thin-layer approximation).
            let psi = |y: f64| {
                let a = gouy_chapman_potential(h - y, zeta, c, 1.0, eps_r, t).unwrap();
                let b = gouy_chapman_potential(h + y, zeta, c, 1.0, eps_r, t).unwrap();
                a + b
            };
            let n = 40_000;
            let dy = h / n as f64;
            let (mut eo, mut st) = (0.0, 0.0);
            for k in 0..n {
                // Midpoint rule on [0, h] (symmetric slit).
                let y = (k as f64 + 0.5) * dy;
                eo += -(eps / eta) * (zeta - psi(y)) * dy;
                let d2 =
                    (psi(y + 1e-3 * dy) - 2.0 * psi(y) + psi(y - 1e-3 * dy)) / (1e-3 * dy).powi(2);
                let rho = -eps * d2;
                st += rho * (h * h - y * y) / (2.0 * eta) * dy;
            }
            let (l_pe, l_ep) = (eo / h, st / h);
            // The two mechanisms agree to the quadrature error; rho_e from a second
            // difference is the dominant error.
            let sym = (l_pe - l_ep).abs() / l_pe.abs();
            assert!(sym < 2e-3, "h/lD = {ratio}: {l_pe} vs {l_ep}");
            let off = (l_pe - hs).abs() / hs.abs();
            assert!(off < last && off < 1.5 / ratio, "h/lD = {ratio}: {off}");
            last = off;
        }
    }

    /// Saxen's relation and the textbook magnitudes.
    #[test]
    fn saxen_relation() {
        let o = electrokinetic_onsager(78.5, -0.03, 1e-3, 0.1).unwrap();
        assert!((o.l_pe - o.l_ep).abs() <= 1e-15 * o.l_pe.abs());
        let v = streaming_potential(78.5, -0.03, 1e-3, 0.1, 2e5).unwrap();
        assert!((v / 2e5 - o.electroosmotic_flow_per_current).abs() < 1e-12 * v.abs());
        assert!(streaming_potential(78.5, -0.03, 1e-3, 0.0, 2e5).is_err());
    }

    #[test]
    fn thermal_force_raises_the_field() {
        let a = plasma_thermoelectric_field(500.0, 0.0).unwrap();
        let b = plasma_thermoelectric_field(500.0, 0.71).unwrap();
        assert!((b / a - 1.71).abs() < 1e-14);
        assert!(plasma_thermoelectric_field(500.0, -1.0).is_err());
    }
}
