//! Electrochemistry and membranes: equilibrium and steady electrodiffusion in closed form.
//!
//! Conventions: concentrations in mol/m^3 (= mM), potentials in V, `T` in K. For membranes
//! the membrane potential is `V = phi_in - phi_out` and fluxes and currents are positive
//! outwards (inside to outside), as in physiology. For layers and junctions `x` runs from
//! the left (`x = 0`) to the right (`x = L`) and fluxes are positive towards `+x`.

use super::{
    bracketed_root, charge_number, concentration_for_log, exprel, finite, non_negative, positive,
    rt_over_f, same_length, temperature, LawError, Result,
};
use crate::constants::{BOLTZMANN, ELEMENTARY_CHARGE, FARADAY, GAS_CONSTANT, VACUUM_PERMITTIVITY};

/// Bernoulli function `B(x) = x / (e^x - 1)`, exact to round-off for all `x`.
fn bernoulli(x: f64) -> f64 {
    1.0 / exprel(x)
}

/// Nernst (equilibrium, reversal) potential of an ion, `V = phi_in - phi_out` in V:
///
/// `E = (RT / zF) ln(c_out / c_in)`.
///
/// At this membrane potential the ion's electrochemical potential is equal on both sides
/// and its GHK flux vanishes. Ideal solutions (activities = concentrations).
/// Reference: Nernst (1889); Hille, Ion Channels of Excitable Membranes, 3rd ed., ch. 1.
///
/// ```
/// use fluxion::laws::electrochem::nernst_potential;
/// // K+ in a mammalian neuron at 37 degC: 140 mM inside, 5 mM outside: about -89 mV.
/// let e = nernst_potential(1.0, 5.0, 140.0, 310.15).unwrap();
/// assert!((e * 1e3 + 89.05).abs() < 0.05);
/// ```
pub fn nernst_potential(z: f64, c_out: f64, c_in: f64, t: f64) -> Result<f64> {
    let z = charge_number("z", z)?;
    let c_out = concentration_for_log("c_out", c_out)?;
    let c_in = concentration_for_log("c_in", c_in)?;
    Ok(rt_over_f(t)? / z * (c_out / c_in).ln())
}

/// GHK flux (Goldman 1943; Hodgkin & Katz 1949) of one ion through a membrane with a
/// constant field, in mol m^-2 s^-1, positive outwards:
///
/// `J = P u (c_in - c_out e^{-u}) / (1 - e^{-u})`, `u = z F V / (R T)`, `V = phi_in - phi_out`.
///
/// `P` is the permeability (m/s), `D beta / L` for a partition coefficient `beta`. Evaluated
/// through the Bernoulli function, so it is exact at `V = 0` (where `J = P (c_in - c_out)`)
/// and for `|u|` in the hundreds. Assumes independent ions in a constant field.
///
/// ```
/// use fluxion::laws::electrochem::ghk_flux;
/// let j = ghk_flux(1.0, 1e-8, 100.0, 10.0, 0.0, 298.15).unwrap();
/// assert!((j - 1e-8 * 90.0).abs() < 1e-20);
/// ```
pub fn ghk_flux(z: f64, p: f64, c_in: f64, c_out: f64, v: f64, t: f64) -> Result<f64> {
    let z = charge_number("z", z)?;
    let p = non_negative("P", p)?;
    let c_in = non_negative("c_in", c_in)?;
    let c_out = non_negative("c_out", c_out)?;
    let v = finite("V", v)?;
    let u = z * v / rt_over_f(t)?;
    Ok(p * (c_in * bernoulli(-u) - c_out * bernoulli(u)))
}

/// GHK current density in A/m^2, positive outwards: `I = z F J_GHK` (see [`ghk_flux`]).
///
/// ```
/// use fluxion::laws::electrochem::{ghk_current, nernst_potential};
/// let e_k = nernst_potential(1.0, 5.0, 140.0, 310.15).unwrap();
/// let i = ghk_current(1.0, 1e-8, 140.0, 5.0, e_k, 310.15).unwrap();
/// assert!(i.abs() < 1e-12); // no net current at the reversal potential
/// ```
pub fn ghk_current(z: f64, p: f64, c_in: f64, c_out: f64, v: f64, t: f64) -> Result<f64> {
    Ok(z * FARADAY * ghk_flux(z, p, c_in, c_out, v, t)?)
}

/// One permeant ion of a membrane for [`ghk_potential`].
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct MembraneIon {
    /// Charge number `z`.
    pub z: f64,
    /// Permeability `P` in m/s (only ratios matter for the potential).
    pub permeability: f64,
    /// Intracellular concentration in mol/m^3.
    pub c_in: f64,
    /// Extracellular concentration in mol/m^3.
    pub c_out: f64,
}

/// GHK resting (zero-current) potential `V = phi_in - phi_out` in V of a membrane permeable
/// to several ions of any charge: the root of `sum_i z_i F J_GHK,i(V) = 0`.
///
/// When every ion is monovalent this is the Goldman-Hodgkin-Katz voltage equation
/// `V = (RT/F) ln[(sum_cations P c_out + sum_anions P c_in) / (sum_cations P c_in + sum_anions P c_out)]`,
/// used directly. With divalent ions (Ca2+, Mg2+) no log form exists and the total current,
/// which increases strictly with `V`, is solved for its zero to 1e-15 V. Fails with
/// [`LawError::NoSolution`] when no potential balances the currents (all permeant charge on
/// one side). Reference: Goldman (1943); Hodgkin & Katz (1949), J. Physiol. 108, 37.
///
/// ```
/// use fluxion::laws::electrochem::{ghk_potential, MembraneIon};
/// // Squid axon (Hodgkin & Katz 1949 permeability ratios 1 : 0.04 : 0.45).
/// let ions = [
///     MembraneIon { z: 1.0, permeability: 1.0, c_in: 400.0, c_out: 20.0 },
///     MembraneIon { z: 1.0, permeability: 0.04, c_in: 50.0, c_out: 440.0 },
///     MembraneIon { z: -1.0, permeability: 0.45, c_in: 52.0, c_out: 560.0 },
/// ];
/// let v = ghk_potential(&ions, 293.15).unwrap();
/// assert!((v * 1e3 + 59.9).abs() < 0.1);
/// ```
pub fn ghk_potential(ions: &[MembraneIon], t: f64) -> Result<f64> {
    let vt = rt_over_f(t)?;
    if ions.is_empty() {
        return Err(LawError::Inconsistent(
            "GHK potential: at least one permeant ion is needed".into(),
        ));
    }
    for ion in ions {
        charge_number("z", ion.z)?;
        non_negative("P", ion.permeability)?;
        non_negative("c_in", ion.c_in)?;
        non_negative("c_out", ion.c_out)?;
    }
    if ions.iter().all(|i| i.z.abs() == 1.0) {
        let (mut num, mut den) = (0.0, 0.0);
        for i in ions {
            let (a, b) = if i.z > 0.0 {
                (i.c_out, i.c_in)
            } else {
                (i.c_in, i.c_out)
            };
            num += i.permeability * a;
            den += i.permeability * b;
        }
        if num > 0.0 && den > 0.0 {
            return Ok(vt * (num / den).ln());
        }
        return Err(no_balance());
    }
    // Scaled outward current as a function of u = V / V_T.
    let current = |u: f64| -> f64 {
        ions.iter()
            .map(|i| {
                let w = i.z * u;
                i.z * i.permeability * (i.c_in * bernoulli(-w) - i.c_out * bernoulli(w))
            })
            .sum()
    };
    let mut a = 1.0;
    // Strict signs: an underflowed current of -0.0 at one end is no bracket.
    while !(current(-a) < 0.0 && current(a) > 0.0) {
        a *= 2.0;
        if a > 1024.0 {
            return Err(no_balance());
        }
    }
    let u = bracketed_root(current, -a, a, 1e-15 / vt).ok_or_else(no_balance)?;
    Ok(u * vt)
}

fn no_balance() -> LawError {
    LawError::NoSolution(
        "GHK potential: no membrane potential makes the total current zero; every permeant ion \
         carries current the same way (e.g. all concentrations on one side are zero). Give each \
         side some permeant ion."
            .into(),
    )
}

/// Steady Nernst-Planck flux (mol m^-2 s^-1, towards `+x`) of an ion through a layer
/// `0 < x < L` with a constant field and fixed boundary concentrations (seed 002):
///
/// `J = (D/L) u (c_0 - c_L e^{-u}) / (1 - e^{-u})`, `u = z F (phi_0 - phi_L) / (RT)`,
///
/// where `v = phi_0 - phi_L` is the potential drop along `+x`. The GHK flux equation with
/// `P = D/L`. Exact for all `u` (Bernoulli form). Reference: Goldman (1943).
///
/// ```
/// use fluxion::laws::electrochem::constant_field_flux;
/// // No field: Fick's law D (c0 - cL) / L.
/// let j = constant_field_flux(1e-9, 1e-6, 1.0, 10.0, 1.0, 0.0, 298.15).unwrap();
/// assert!((j - 1e-9 * 9.0 / 1e-6).abs() < 1e-15);
/// ```
pub fn constant_field_flux(
    d: f64,
    l: f64,
    z: f64,
    c0: f64,
    cl: f64,
    v: f64,
    t: f64,
) -> Result<f64> {
    let d = non_negative("D", d)?;
    let l = positive("L", l)?;
    let z = finite("z", z)?;
    let c0 = non_negative("c0", c0)?;
    let cl = non_negative("cL", cl)?;
    let u = z * finite("V", v)? / rt_over_f(t)?;
    Ok(d / l * (c0 * bernoulli(-u) - cl * bernoulli(u)))
}

/// Steady concentration profile (mol/m^3) at `x` in the constant-field layer of
/// [`constant_field_flux`]:
///
/// `c(x) = c_0 + (c_L - c_0) (e^{u x/L} - 1) / (e^u - 1)`,
///
/// a linear profile at `u = 0`, a boundary layer at the downstream side for large `|u|`.
///
/// ```
/// use fluxion::laws::electrochem::constant_field_concentration;
/// let c = constant_field_concentration(0.5e-6, 1e-6, 1.0, 10.0, 2.0, 0.0, 298.15).unwrap();
/// assert!((c - 6.0).abs() < 1e-12);
/// ```
pub fn constant_field_concentration(
    x: f64,
    l: f64,
    z: f64,
    c0: f64,
    cl: f64,
    v: f64,
    t: f64,
) -> Result<f64> {
    let l = positive("L", l)?;
    let x = finite("x", x)?;
    if !(0.0..=l).contains(&x) {
        return Err(LawError::OutOfRange {
            param: "x",
            value: x,
            requirement: "the position must lie inside the layer, 0 <= x <= L",
        });
    }
    let z = finite("z", z)?;
    let c0 = non_negative("c0", c0)?;
    let cl = non_negative("cL", cl)?;
    let u = z * finite("V", v)? / rt_over_f(t)?;
    let s = x / l;
    // (e^{us} - 1)/(e^u - 1), evaluated without overflow for either sign of u.
    let w = if u > 0.0 {
        (u * (s - 1.0)).exp() * (-(-u * s).exp_m1()) / (-(-u).exp_m1())
    } else if u < 0.0 {
        (u * s).exp_m1() / u.exp_m1()
    } else {
        s
    };
    Ok(c0 + (cl - c0) * w)
}

/// Einstein (Nernst-Einstein) relation: diffusion coefficient (m^2/s) from the electric
/// mobility `mobility` (m^2 V^-1 s^-1, magnitude) of a particle of charge number `z`:
///
/// `D = u k_B T / (|z| e)`.
///
/// Holds for ions and for non-degenerate electrons and holes (for electrons `z = -1`).
/// A fluctuation-dissipation relation (seed 001). Reference: Einstein (1905).
///
/// ```
/// use fluxion::laws::electrochem::diffusivity_from_mobility;
/// // Electrons in silicon, mu = 0.14 m^2/(V s) at 300 K: D = 36.2 cm^2/s.
/// let d = diffusivity_from_mobility(0.14, -1.0, 300.0).unwrap();
/// assert!((d - 3.619e-3).abs() < 1e-6);
/// ```
pub fn diffusivity_from_mobility(mobility: f64, z: f64, t: f64) -> Result<f64> {
    let u = non_negative("mobility", mobility)?;
    let z = charge_number("z", z)?;
    Ok(u * BOLTZMANN * temperature("T", t)? / (z.abs() * ELEMENTARY_CHARGE))
}

/// Einstein relation the other way: electric mobility (m^2 V^-1 s^-1) from the diffusion
/// coefficient, `u = |z| e D / (k_B T)`. See [`diffusivity_from_mobility`].
///
/// ```
/// use fluxion::laws::electrochem::mobility_from_diffusivity;
/// // Na+ (D = 1.334e-9 m^2/s at 25 degC): 5.19e-8 m^2/(V s) (Atkins, Physical Chemistry).
/// let u = mobility_from_diffusivity(1.334e-9, 1.0, 298.15).unwrap();
/// assert!((u - 5.19e-8).abs() < 0.01e-8);
/// ```
pub fn mobility_from_diffusivity(d: f64, z: f64, t: f64) -> Result<f64> {
    let d = non_negative("D", d)?;
    let z = charge_number("z", z)?;
    Ok(z.abs() * ELEMENTARY_CHARGE * d / (BOLTZMANN * temperature("T", t)?))
}

/// Ionic strength `I = (1/2) sum_i z_i^2 c_i` in mol/m^3.
///
/// ```
/// use fluxion::laws::electrochem::ionic_strength;
/// // 10 mM MgCl2: (4 * 10 + 1 * 20) / 2 = 30 mM.
/// assert_eq!(ionic_strength(&[2.0, -1.0], &[10.0, 20.0]).unwrap(), 30.0);
/// ```
pub fn ionic_strength(z: &[f64], c: &[f64]) -> Result<f64> {
    same_length("ionic strength", &[("z", z.len()), ("c", c.len())])?;
    let mut s = 0.0;
    for (&zi, &ci) in z.iter().zip(c) {
        s += finite("z", zi)?.powi(2) * non_negative("c", ci)?;
    }
    Ok(0.5 * s)
}

/// Debye screening length (m) of an ion mixture in a medium of relative permittivity `eps_r`:
///
/// `lambda_D = sqrt(eps_r eps0 R T / (F^2 sum_i z_i^2 c_i))`.
///
/// Linearized Poisson-Boltzmann (Debye & Hückel 1923). For a 1:1 salt in water at 25 degC
/// (`eps_r = 78.5`) this is `0.304 nm / sqrt(c / M)` (Israelachvili, Intermolecular and
/// Surface Forces, 3rd ed., eq. 14.36).
///
/// ```
/// use fluxion::laws::electrochem::debye_length;
/// let l = debye_length(&[1.0, -1.0], &[100.0, 100.0], 78.5, 298.15).unwrap();
/// assert!((l * 1e9 - 0.961).abs() < 1e-3);
/// ```
pub fn debye_length(z: &[f64], c: &[f64], eps_r: f64, t: f64) -> Result<f64> {
    let i2 = 2.0 * ionic_strength(z, c)?;
    if i2 <= 0.0 {
        return Err(LawError::Inconsistent(
            "Debye length: the solution has no ions (all concentrations are zero), so nothing \
             screens and the length is infinite"
                .into(),
        ));
    }
    let eps = positive("eps_r", eps_r)? * VACUUM_PERMITTIVITY;
    let t = temperature("T", t)?;
    Ok((eps * GAS_CONSTANT * t / (FARADAY * FARADAY * i2)).sqrt())
}

/// Gouy-Chapman potential (V) at distance `x` from a wall at potential `psi0` in a symmetric
/// `z:z` electrolyte of concentration `c` (each ion):
///
/// `psi(x) = (4RT/zF) artanh[tanh(zF psi0 / 4RT) e^{-x/lambda_D}]`,
///
/// equivalently `(2RT/zF) ln[(1 + g e^{-x/lambda_D}) / (1 - g e^{-x/lambda_D})]`,
/// `g = tanh(zF psi0/4RT)`. Nonlinear Poisson-Boltzmann for point ions in a continuum
/// dielectric; reliable up to a few hundred mV and concentrations where ions do not crowd.
/// References: Gouy (1910), Chapman (1913); Bard & Faulkner, 2nd ed., eq. 13.3.18.
///
/// ```
/// use fluxion::laws::electrochem::gouy_chapman_potential;
/// let p = gouy_chapman_potential(0.0, 0.1, 100.0, 1.0, 78.5, 298.15).unwrap();
/// assert!((p - 0.1).abs() < 1e-14);
/// ```
pub fn gouy_chapman_potential(
    x: f64,
    psi0: f64,
    c: f64,
    z: f64,
    eps_r: f64,
    t: f64,
) -> Result<f64> {
    let x = non_negative("x", x)?;
    let psi0 = finite("psi0", psi0)?;
    let z = positive("z", z)?;
    let ld = debye_length(&[z, -z], &[positive("c", c)?, c], eps_r, t)?;
    let vt = rt_over_f(t)?;
    let g = (z * psi0 / (4.0 * vt)).tanh();
    Ok(4.0 * vt / z * (g * (-x / ld).exp()).atanh())
}

/// Grahame equation for a symmetric `z:z` electrolyte: surface charge density (C/m^2) of a
/// wall whose diffuse layer has potential drop `psi0` (V) to the bulk:
///
/// `sigma = sqrt(8 eps_r eps0 R T c) sinh(zF psi0 / 2RT)`.
///
/// Reference: Grahame (1947), Chem. Rev. 41, 441; Bard & Faulkner, 2nd ed., eq. 13.3.20.
///
/// ```
/// use fluxion::laws::electrochem::grahame_charge;
/// // Small potentials: sigma = eps psi0 / lambda_D.
/// let s = grahame_charge(1e-4, 100.0, 1.0, 78.5, 298.15).unwrap();
/// let lin = 78.5 * 8.8541878128e-12 * 1e-4 / 0.9613e-9;
/// assert!((s / lin - 1.0).abs() < 1e-3);
/// ```
pub fn grahame_charge(psi0: f64, c: f64, z: f64, eps_r: f64, t: f64) -> Result<f64> {
    let psi0 = finite("psi0", psi0)?;
    let c = positive("c", c)?;
    let z = positive("z", z)?;
    let eps = positive("eps_r", eps_r)? * VACUUM_PERMITTIVITY;
    let t = temperature("T", t)?;
    let vt = rt_over_f(t)?;
    Ok((8.0 * eps * GAS_CONSTANT * t * c).sqrt() * (z * psi0 / (2.0 * vt)).sinh())
}

/// Grahame equation inverted: diffuse-layer potential (V) of a wall with surface charge
/// density `sigma` (C/m^2) in a symmetric `z:z` electrolyte,
/// `psi0 = (2RT/zF) arsinh(sigma / sqrt(8 eps_r eps0 R T c))`. See [`grahame_charge`].
///
/// ```
/// use fluxion::laws::electrochem::{grahame_charge, grahame_potential};
/// let s = grahame_charge(-0.08, 10.0, 1.0, 78.5, 298.15).unwrap();
/// let p = grahame_potential(s, 10.0, 1.0, 78.5, 298.15).unwrap();
/// assert!((p + 0.08).abs() < 1e-15);
/// ```
pub fn grahame_potential(sigma: f64, c: f64, z: f64, eps_r: f64, t: f64) -> Result<f64> {
    let sigma = finite("sigma", sigma)?;
    let c = positive("c", c)?;
    let z = positive("z", z)?;
    let eps = positive("eps_r", eps_r)? * VACUUM_PERMITTIVITY;
    let t = temperature("T", t)?;
    let vt = rt_over_f(t)?;
    Ok(2.0 * vt / z * (sigma / (8.0 * eps * GAS_CONSTANT * t * c).sqrt()).asinh())
}

fn check_neutral(what: &str, z: &[f64], c: &[f64]) -> Result<()> {
    let net: f64 = z.iter().zip(c).map(|(z, c)| z * c).sum();
    let scale: f64 = z.iter().zip(c).map(|(z, c)| (z * c).abs()).sum();
    if net.abs() > 1e-9 * scale {
        return Err(LawError::Inconsistent(format!(
            "{what}: the bulk solution is not electroneutral (sum z c = {net:.6e} mol/m^3); \
             adjust the concentrations so that the charges balance"
        )));
    }
    Ok(())
}

/// Grahame equation for any electroneutral ion mixture (C/m^2):
///
/// `sigma = sign(psi0) sqrt(2 eps_r eps0 R T sum_i c_i (e^{-z_i F psi0/RT} - 1))`,
///
/// the first integral of the Poisson-Boltzmann equation (Grahame 1953; Israelachvili,
/// 3rd ed., eq. 14.26). Reduces to [`grahame_charge`] for a `z:z` salt.
///
/// ```
/// use fluxion::laws::electrochem::{grahame_charge, grahame_charge_mixture};
/// let a = grahame_charge_mixture(0.05, &[1.0, -1.0], &[10.0, 10.0], 78.5, 298.15).unwrap();
/// let b = grahame_charge(0.05, 10.0, 1.0, 78.5, 298.15).unwrap();
/// assert!((a / b - 1.0).abs() < 1e-13);
/// ```
pub fn grahame_charge_mixture(psi0: f64, z: &[f64], c: &[f64], eps_r: f64, t: f64) -> Result<f64> {
    same_length("Grahame", &[("z", z.len()), ("c", c.len())])?;
    for (&zi, &ci) in z.iter().zip(c) {
        charge_number("z", zi)?;
        non_negative("c", ci)?;
    }
    check_neutral("Grahame", z, c)?;
    let psi0 = finite("psi0", psi0)?;
    let eps = positive("eps_r", eps_r)? * VACUUM_PERMITTIVITY;
    let t = temperature("T", t)?;
    let vt = rt_over_f(t)?;
    let s: f64 = z
        .iter()
        .zip(c)
        .map(|(zi, ci)| ci * (-zi * psi0 / vt).exp_m1())
        .sum();
    Ok(psi0.signum() * (2.0 * eps * GAS_CONSTANT * t * s.max(0.0)).sqrt())
}

/// Inverse of [`grahame_charge_mixture`]: the diffuse-layer potential (V) carrying surface
/// charge `sigma`, found by a bracketed root search (the charge increases strictly with the
/// potential) to 1e-15 V.
///
/// ```
/// use fluxion::laws::electrochem::{grahame_charge_mixture, grahame_potential_mixture};
/// let (z, c) = ([2.0, -1.0], [1.0, 2.0]); // 1 mM CaCl2
/// let s = grahame_charge_mixture(-0.06, &z, &c, 78.5, 298.15).unwrap();
/// let p = grahame_potential_mixture(s, &z, &c, 78.5, 298.15).unwrap();
/// assert!((p + 0.06).abs() < 1e-12);
/// ```
pub fn grahame_potential_mixture(
    sigma: f64,
    z: &[f64],
    c: &[f64],
    eps_r: f64,
    t: f64,
) -> Result<f64> {
    let sigma = finite("sigma", sigma)?;
    let vt = rt_over_f(t)?;
    let f = |p: f64| grahame_charge_mixture(p, z, c, eps_r, t).map(|s| s - sigma);
    f(0.0)?;
    let mut a = vt;
    while f(-a)? > 0.0 || f(a)? < 0.0 {
        a *= 2.0;
        if a > 1e3 * vt {
            return Err(LawError::NoSolution(format!(
                "Grahame: no potential below {:.3} V carries sigma = {sigma} C/m^2 in this solution",
                1e3 * vt
            )));
        }
    }
    let root = bracketed_root(|p| f(p).unwrap_or(f64::NAN), -a, a, 1e-16)
        .ok_or_else(|| LawError::NoSolution("Grahame: the root search failed".into()))?;
    Ok(root)
}

/// One ion of a liquid junction for [`henderson_potential`].
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct JunctionIon {
    /// Charge number `z`.
    pub z: f64,
    /// Diffusion coefficient `D` in m^2/s (mobilities enter through `D`, by Einstein).
    pub d: f64,
    /// Concentration on the left side (mol/m^3).
    pub c_left: f64,
    /// Concentration on the right side (mol/m^3).
    pub c_right: f64,
}

/// Henderson liquid-junction potential `phi_right - phi_left` (V) for any number of ions:
///
/// `dphi = -(RT/F) [sum z_i D_i (c_i^R - c_i^L) / sum z_i^2 D_i (c_i^R - c_i^L)]
///          ln(sum z_i^2 D_i c_i^R / sum z_i^2 D_i c_i^L)`.
///
/// Assumes concentrations that vary linearly through the junction (Henderson's
/// mixing model), zero current and ideal solutions. It equals Planck's steady junction for
/// a single salt at two concentrations and for bi-ionic junctions of equal total
/// concentration (Lewis & Sargent 1909). References: Henderson (1907), Z. phys. Chem. 59, 118;
/// MacInnes, The Principles of Electrochemistry (1939), ch. 13.
///
/// ```
/// use fluxion::laws::electrochem::{henderson_potential, JunctionIon};
/// // 0.1 M HCl | 0.1 M KCl: about 27 mV (the classic Lewis-Sargent case).
/// let ions = [
///     JunctionIon { z: 1.0, d: 9.311e-9, c_left: 100.0, c_right: 0.0 },
///     JunctionIon { z: 1.0, d: 1.957e-9, c_left: 0.0, c_right: 100.0 },
///     JunctionIon { z: -1.0, d: 2.032e-9, c_left: 100.0, c_right: 100.0 },
/// ];
/// let e = henderson_potential(&ions, 298.15).unwrap();
/// assert!((e * 1e3 - 26.8).abs() < 0.5);
/// ```
pub fn henderson_potential(ions: &[JunctionIon], t: f64) -> Result<f64> {
    let vt = rt_over_f(t)?;
    if ions.is_empty() {
        return Err(LawError::Inconsistent(
            "Henderson: at least one ion is needed".into(),
        ));
    }
    let (mut num, mut sl, mut sr) = (0.0, 0.0, 0.0);
    for i in ions {
        let z = charge_number("z", i.z)?;
        let d = non_negative("D", i.d)?;
        let cl = non_negative("c_left", i.c_left)?;
        let cr = non_negative("c_right", i.c_right)?;
        num += z * d * (cr - cl);
        sl += z * z * d * cl;
        sr += z * z * d * cr;
    }
    if sl <= 0.0 || sr <= 0.0 {
        return Err(LawError::Inconsistent(
            "Henderson: one side of the junction has no mobile ions, so its conductivity is zero \
             and the junction potential is undefined; give both sides some electrolyte"
                .into(),
        ));
    }
    // ln(sr/sl) / (sr - sl) written through ln(1 + r)/r, exact when sr = sl.
    let r = (sr - sl) / sl;
    let lnr = if r.abs() < 1e-8 {
        1.0 - 0.5 * r
    } else {
        r.ln_1p() / r
    };
    Ok(-vt * num * lnr / sl)
}

/// Planck's junction potential `phi_right - phi_left` (V) for a single binary salt
/// (cation charge `z_plus > 0`, anion charge `z_minus < 0`) at concentrations `c_left` and
/// `c_right`:
///
/// `dphi = -(RT/F) (D+ - D-) / (z+ D+ - z- D-) ln(c_right / c_left)`.
///
/// Exact steady solution of the electroneutral Nernst-Planck equations at zero current
/// (Planck 1890); for a 1:1 salt `-(RT/F) (t+ - t-) ln(c_R/c_L)` (Bard & Faulkner, 2nd ed.,
/// eq. 2.3.39).
///
/// ```
/// use fluxion::laws::electrochem::planck_single_salt;
/// // HCl 100 mM | 10 mM: the fast proton makes the dilute side positive, +38 mV.
/// let e = planck_single_salt(1.0, -1.0, 9.311e-9, 2.032e-9, 100.0, 10.0, 298.15).unwrap();
/// assert!((e * 1e3 - 37.964).abs() < 0.001);
/// ```
pub fn planck_single_salt(
    z_plus: f64,
    z_minus: f64,
    d_plus: f64,
    d_minus: f64,
    c_left: f64,
    c_right: f64,
    t: f64,
) -> Result<f64> {
    let (zp, zm) = salt_charges(z_plus, z_minus)?;
    let dp = positive("D_plus", d_plus)?;
    let dm = positive("D_minus", d_minus)?;
    let cl = concentration_for_log("c_left", c_left)?;
    let cr = concentration_for_log("c_right", c_right)?;
    Ok(-rt_over_f(t)? * (dp - dm) / (zp * dp - zm * dm) * (cr / cl).ln())
}

fn salt_charges(z_plus: f64, z_minus: f64) -> Result<(f64, f64)> {
    let zp = charge_number("z_plus", z_plus)?;
    let zm = charge_number("z_minus", z_minus)?;
    if zp < 0.0 {
        return Err(LawError::OutOfRange {
            param: "z_plus",
            value: zp,
            requirement: "the cation's charge number must be positive",
        });
    }
    if zm > 0.0 {
        return Err(LawError::OutOfRange {
            param: "z_minus",
            value: zm,
            requirement: "the anion's charge number must be negative (e.g. -1)",
        });
    }
    Ok((zp, zm))
}

/// Salt (ambipolar) diffusion coefficient of a binary electrolyte (m^2/s), the coefficient
/// of Fick's law for the neutral salt under electroneutrality and zero current:
///
/// `D_s = (z+ - z-) D+ D- / (z+ D+ - z- D-)`  (`2 D+ D- / (D+ + D-)` for a 1:1 salt).
///
/// Dilute, ideal solution. Reference: Newman, Electrochemical Systems, 3rd ed., eq. 11.14;
/// Cussler, Diffusion, 3rd ed., sec. 6.1 (NaCl: 1.61e-9 m^2/s at infinite dilution).
///
/// ```
/// use fluxion::laws::electrochem::salt_diffusivity;
/// let d = salt_diffusivity(1.0, -1.0, 1.334e-9, 2.032e-9).unwrap();
/// assert!((d - 1.611e-9).abs() < 1e-12);
/// ```
pub fn salt_diffusivity(z_plus: f64, z_minus: f64, d_plus: f64, d_minus: f64) -> Result<f64> {
    let (zp, zm) = salt_charges(z_plus, z_minus)?;
    let dp = positive("D_plus", d_plus)?;
    let dm = positive("D_minus", d_minus)?;
    Ok((zp - zm) * dp * dm / (zp * dp - zm * dm))
}

/// Transference (transport) numbers `t_i = z_i^2 D_i c_i / sum_k z_k^2 D_k c_k` of the ions
/// of a dilute solution: the fraction of the current each ion carries in a uniform field.
///
/// Reference: Bard & Faulkner, 2nd ed., eq. 2.3.8 with `u_i` from Einstein. NaCl at infinite
/// dilution: `t+ = 0.396` (Robinson & Stokes, Electrolyte Solutions, 2nd ed., app. 6.1).
///
/// ```
/// use fluxion::laws::electrochem::transference_numbers;
/// let t = transference_numbers(&[1.0, -1.0], &[1.334e-9, 2.032e-9], &[1.0, 1.0]).unwrap();
/// assert!((t[0] - 0.3963).abs() < 1e-4);
/// ```
pub fn transference_numbers(z: &[f64], d: &[f64], c: &[f64]) -> Result<Vec<f64>> {
    same_length(
        "transference numbers",
        &[("z", z.len()), ("D", d.len()), ("c", c.len())],
    )?;
    let mut w = Vec::with_capacity(z.len());
    for i in 0..z.len() {
        let zi = charge_number("z", z[i])?;
        w.push(zi * zi * non_negative("D", d[i])? * non_negative("c", c[i])?);
    }
    let s: f64 = w.iter().sum();
    if s <= 0.0 {
        return Err(LawError::Inconsistent(
            "transference numbers: no ion carries current (all D c are zero)".into(),
        ));
    }
    Ok(w.into_iter().map(|x| x / s).collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rel(a: f64, b: f64) -> f64 {
        (a - b).abs() / b.abs()
    }

    /// Nernst is the zero-flux potential of the GHK flux, for every charge number.
    #[test]
    fn nernst_is_the_zero_of_the_ghk_flux() {
        for &z in &[1.0, -1.0, 2.0, -2.0, 3.0] {
            for &(ci, co) in &[(140.0, 5.0), (10.0, 145.0), (1e-4, 2.0)] {
                let e = nernst_potential(z, co, ci, 310.15).unwrap();
                let j = ghk_flux(z, 1e-6, ci, co, e, 310.15).unwrap();
                let scale = 1e-6 * (ci + co);
                assert!(j.abs() < 1e-13 * scale, "z={z}: {j}");
            }
        }
    }

    /// The GHK flux equals its textbook exponential form away from V = 0, and Fick at V = 0.
    #[test]
    fn ghk_flux_matches_the_textbook_form() {
        let (p, ci, co, t) = (2e-8, 140.0, 5.0, 298.15);
        for &v in &[-0.1, -0.01, 1e-7, 0.02, 0.15] {
            let u = 2.0 * v / rt_over_f(t).unwrap();
            let text = p * u * (ci - co * (-u).exp()) / (1.0 - (-u).exp());
            assert!(rel(ghk_flux(2.0, p, ci, co, v, t).unwrap(), text) < 1e-9);
        }
        assert_eq!(ghk_flux(1.0, p, ci, co, 0.0, t).unwrap(), p * (ci - co));
        // Far beyond any physiological potential it stays finite.
        assert!(ghk_flux(3.0, p, ci, co, 20.0, t).unwrap().is_finite());
    }

    /// Hodgkin & Katz (1949) permeability ratios P_K : P_Na : P_Cl = 1 : 0.04 : 0.45 with the
    /// squid axon concentrations of Kandel et al., Principles of Neural Science, 5th ed.,
    /// Table 6-1 (K 400/20, Na 50/440, Cl 52/560 mM): resting potential -60 mV.
    #[test]
    fn squid_axon_resting_potential() {
        let ions = [
            MembraneIon {
                z: 1.0,
                permeability: 1.0,
                c_in: 400.0,
                c_out: 20.0,
            },
            MembraneIon {
                z: 1.0,
                permeability: 0.04,
                c_in: 50.0,
                c_out: 440.0,
            },
            MembraneIon {
                z: -1.0,
                permeability: 0.45,
                c_in: 52.0,
                c_out: 560.0,
            },
        ];
        let v = ghk_potential(&ions, 293.15).unwrap();
        assert!((v * 1e3 + 60.0).abs() < 0.5, "{v}");
        // The total GHK current vanishes there.
        let i: f64 = ions
            .iter()
            .map(|i| ghk_current(i.z, i.permeability, i.c_in, i.c_out, v, 293.15).unwrap())
            .sum();
        let scale = FARADAY * 400.0;
        assert!(i.abs() < 1e-13 * scale, "{i}");
    }

    /// With a divalent ion the potential is found numerically; check zero current, the
    /// limit of a vanishing Ca2+ permeability (the monovalent log formula) and that Ca2+
    /// pulls the potential towards its own Nernst potential.
    #[test]
    fn divalent_resting_potential_balances_the_currents() {
        let mono = [
            MembraneIon {
                z: 1.0,
                permeability: 1.0,
                c_in: 140.0,
                c_out: 5.0,
            },
            MembraneIon {
                z: 1.0,
                permeability: 0.05,
                c_in: 15.0,
                c_out: 145.0,
            },
            MembraneIon {
                z: -1.0,
                permeability: 0.45,
                c_in: 10.0,
                c_out: 110.0,
            },
        ];
        let v0 = ghk_potential(&mono, 310.15).unwrap();
        let with_ca = |p: f64| {
            let mut v = mono.to_vec();
            v.push(MembraneIon {
                z: 2.0,
                permeability: p,
                c_in: 1e-4,
                c_out: 2.0,
            });
            v
        };
        let v_tiny = ghk_potential(&with_ca(1e-14), 310.15).unwrap();
        assert!((v_tiny - v0).abs() < 1e-9, "{v_tiny} {v0}");
        let ions = with_ca(0.5);
        let v = ghk_potential(&ions, 310.15).unwrap();
        let i: f64 = ions
            .iter()
            .map(|i| ghk_current(i.z, i.permeability, i.c_in, i.c_out, v, 310.15).unwrap())
            .sum();
        assert!(i.abs() < 1e-9, "{i}");
        let e_ca = nernst_potential(2.0, 2.0, 1e-4, 310.15).unwrap();
        assert!(v > v0 && v < e_ca);
        // Only Ca2+ permeant: its Nernst potential.
        let only = [MembraneIon {
            z: 2.0,
            permeability: 1.0,
            c_in: 1e-4,
            c_out: 2.0,
        }];
        assert!((ghk_potential(&only, 310.15).unwrap() - e_ca).abs() < 1e-12);
    }

    #[test]
    fn ghk_potential_without_a_balance_is_an_error() {
        let ions = [MembraneIon {
            z: 2.0,
            permeability: 1.0,
            c_in: 0.0,
            c_out: 2.0,
        }];
        assert!(matches!(
            ghk_potential(&ions, 300.0),
            Err(LawError::NoSolution(_))
        ));
    }

    /// The constant-field profile solves the steady Nernst-Planck equation: its diffusive plus
    /// migrative flux, by central differences, equals the closed-form flux everywhere.
    #[test]
    fn constant_field_profile_carries_the_closed_form_flux() {
        let (d, l, t) = (1e-9, 1e-6, 298.15);
        for &(z, v) in &[
            (1.0, 0.1),
            (-1.0, 0.1),
            (2.0, -0.05),
            (1.0, 0.0),
            (1.0, 5.0),
        ] {
            let j = constant_field_flux(d, l, z, 10.0, 1.0, v, t).unwrap();
            let e = v / l; // field along +x
            let u_l = z * e / rt_over_f(t).unwrap(); // z F E / RT
            for k in 1..20 {
                let x = l * k as f64 / 20.0;
                let h = l * 1e-6;
                let c = |x| constant_field_concentration(x, l, z, 10.0, 1.0, v, t).unwrap();
                let dc = (c(x + h) - c(x - h)) / (2.0 * h);
                let flux = -d * dc + d * u_l * c(x);
                assert!(
                    (flux - j).abs() < 1e-6 * j.abs().max(1e-3 * d / l),
                    "z={z} v={v} x={x}: {flux} vs {j}"
                );
            }
            assert!(
                (constant_field_concentration(0.0, l, z, 10.0, 1.0, v, t).unwrap() - 10.0).abs()
                    < 1e-12
            );
            assert!(
                (constant_field_concentration(l, l, z, 10.0, 1.0, v, t).unwrap() - 1.0).abs()
                    < 1e-12
            );
        }
    }

    /// kT/e at 298.15 K is 25.693 mV (CODATA 2018); Einstein relation both ways.
    #[test]
    fn einstein_relation() {
        let d = diffusivity_from_mobility(1.0, 1.0, 298.15).unwrap();
        assert!((d - 0.025_693).abs() < 1e-6);
        let u = mobility_from_diffusivity(d, 2.0, 298.15).unwrap();
        assert!(rel(u, 2.0) < 1e-15);
        assert!(diffusivity_from_mobility(1.0, 0.0, 298.15).is_err());
        assert!(mobility_from_diffusivity(1e-9, 1.0, -5.0).is_err());
    }

    /// Israelachvili eq. 14.36: 0.304 nm / sqrt(c/M) (1:1), 0.176 nm / sqrt(c/M) for 2:1 and
    /// 1:2 salts (MgCl2, Na2SO4), 0.152 nm / sqrt(c/M) for 2:2 salts, in water at 25 degC.
    #[test]
    fn debye_lengths_match_israelachvili() {
        let ld = |z: &[f64], c: &[f64]| debye_length(z, c, 78.5, 298.15).unwrap() * 1e9;
        assert!((ld(&[1.0, -1.0], &[100.0, 100.0]) - 0.961).abs() < 2e-3);
        assert!((ld(&[1.0, -1.0], &[1.0, 1.0]) - 9.61).abs() < 2e-2);
        assert!((ld(&[2.0, -1.0], &[1000.0, 2000.0]) - 0.176).abs() < 1e-3);
        assert!((ld(&[2.0, -2.0], &[1000.0, 1000.0]) - 0.152).abs() < 1e-3);
        assert!(debye_length(&[1.0], &[0.0], 78.5, 298.15).is_err());
    }

    /// The Gouy-Chapman profile decays as e^{-x/lD} far from the wall with the effective
    /// potential 4 (RT/zF) tanh(zF psi0/4RT) (Israelachvili eq. 14.23), and Grahame's charge
    /// equals eps times the wall field of the profile (Gauss's law).
    #[test]
    fn gouy_chapman_and_grahame_are_consistent() {
        let (c, eps_r, t) = (10.0, 78.5, 298.15);
        for &z in &[1.0, 2.0] {
            for &psi0 in &[-0.2, -0.05, 0.01, 0.15] {
                let ld = debye_length(&[z, -z], &[c, c], eps_r, t).unwrap();
                let vt = rt_over_f(t).unwrap();
                let far = gouy_chapman_potential(12.0 * ld, psi0, c, z, eps_r, t).unwrap();
                let eff = 4.0 * vt / z * (z * psi0 / (4.0 * vt)).tanh() * (-12.0f64).exp();
                assert!(rel(far, eff) < 1e-9);
                let h = ld * 1e-8;
                let p = |x| gouy_chapman_potential(x, psi0, c, z, eps_r, t).unwrap();
                let field = -(-3.0 * p(0.0) + 4.0 * p(h) - p(2.0 * h)) / (2.0 * h);
                let sigma = eps_r * VACUUM_PERMITTIVITY * field;
                let g = grahame_charge(psi0, c, z, eps_r, t).unwrap();
                assert!(rel(sigma, g) < 1e-7, "z={z} psi0={psi0}: {sigma} {g}");
                let back = grahame_potential(g, c, z, eps_r, t).unwrap();
                assert!((back - psi0).abs() < 1e-14);
                let mix = grahame_charge_mixture(psi0, &[z, -z], &[c, c], eps_r, t).unwrap();
                assert!(rel(mix, g) < 1e-12);
            }
        }
        assert!(grahame_charge_mixture(0.1, &[1.0, -1.0], &[1.0, 2.0], 78.5, 298.15).is_err());
    }

    /// Henderson equals Planck for a single salt; it is antisymmetric under exchange of the
    /// sides and zero for identical solutions.
    #[test]
    fn henderson_equals_planck_for_a_single_salt() {
        for &(zp, zm, dp, dm) in &[
            (1.0, -1.0, 9.311e-9, 2.032e-9),
            (2.0, -1.0, 0.792e-9, 2.032e-9),
            (1.0, -2.0, 1.334e-9, 1.065e-9),
        ] {
            let (cl, cr) = (50.0, 3.0);
            let ions = [
                JunctionIon {
                    z: zp,
                    d: dp,
                    c_left: -zm * cl,
                    c_right: -zm * cr,
                },
                JunctionIon {
                    z: zm,
                    d: dm,
                    c_left: zp * cl,
                    c_right: zp * cr,
                },
            ];
            let h = henderson_potential(&ions, 298.15).unwrap();
            let p = planck_single_salt(zp, zm, dp, dm, cl, cr, 298.15).unwrap();
            assert!(rel(h, p) < 1e-12, "{h} {p}");
            let swapped: Vec<_> = ions
                .iter()
                .map(|i| JunctionIon {
                    c_left: i.c_right,
                    c_right: i.c_left,
                    ..*i
                })
                .collect();
            assert!(rel(henderson_potential(&swapped, 298.15).unwrap(), -h) < 1e-12);
        }
        let same = [
            JunctionIon {
                z: 1.0,
                d: 1e-9,
                c_left: 1.0,
                c_right: 1.0,
            },
            JunctionIon {
                z: -1.0,
                d: 2e-9,
                c_left: 1.0,
                c_right: 1.0,
            },
        ];
        assert_eq!(henderson_potential(&same, 298.15).unwrap(), 0.0);
    }

    /// NaCl and KCl at infinite dilution (Robinson & Stokes app. 6.1; Cussler table 5.2-2):
    /// salt diffusivities 1.61e-9 and 1.99e-9 m^2/s, cation transference numbers 0.396 and
    /// 0.491.
    #[test]
    fn salt_diffusion_and_transference() {
        let (na, k, cl) = (1.334e-9, 1.957e-9, 2.032e-9);
        assert!((salt_diffusivity(1.0, -1.0, na, cl).unwrap() - 1.61e-9).abs() < 0.01e-9);
        assert!((salt_diffusivity(1.0, -1.0, k, cl).unwrap() - 1.99e-9).abs() < 0.01e-9);
        let t = transference_numbers(&[1.0, -1.0], &[k, cl], &[1.0, 1.0]).unwrap();
        assert!((t[0] - 0.491).abs() < 1e-3 && (t[0] + t[1] - 1.0).abs() < 1e-15);
        // For a symmetric salt of equal D the salt diffuses with that D.
        assert!(rel(salt_diffusivity(2.0, -2.0, 1e-9, 1e-9).unwrap(), 1e-9) < 1e-15);
        assert!(salt_diffusivity(1.0, 1.0, 1e-9, 1e-9).is_err());
    }
}
