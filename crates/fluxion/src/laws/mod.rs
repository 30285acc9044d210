//! Closed-form laws of gradient-driven transport.
//!
//! Pure functions on SI values (mol/m^3 for concentrations, V, m, s, K; 1 mM = 1 mol/m^3).
//! Each law documents its equation, units, assumptions, validity range and a reference,
//! and returns `Err(`[`LawError`]`)` naming the parameter when an input is non-physical
//! (a negative diffusion coefficient, a zero concentration under a logarithm, a temperature
//! at or below absolute zero) instead of a silent `NaN`.
//!
//! The same functions are the analytic references the numerical models are tested against
//! (constant-field flux, Gouy-Chapman, junction potentials, Cottrell), and the [`catalog`]
//! exposes them to `fluxion calc` with units and help texts.
//!
//! | module | laws |
//! |---|---|
//! | [`electrochem`] | Nernst, GHK flux/current/potential, constant-field profile, Einstein, Debye, Gouy-Chapman, Grahame, Henderson, Planck, salt diffusion, transference |
//! | [`electrode`] | Cottrell (planar, spherical), limiting currents (with and without support) |
//! | [`diffusion`] | Fick's first law, diffusion time, ternary Nernst-Planck diffusion matrix |
//! | [`coupled`] | Helmholtz-Smoluchowski, streaming potential and current, Onsager/Saxen, plasma thermoelectric field |
//! | [`reaction`] | flux-force relation of a reversible reaction |
//! | [`electrons`] | Richardson-Dushman emission, charged spherical shell |
//! | [`superconductor`] | flux quantum, `B_c2`, Bardeen-Stephen, flux flow, vortex force unit |
//!
//! Sign conventions are stated per law; fluxes are positive towards `+x` (or outwards for
//! membranes, from inside to outside, the physiological convention for currents).

pub mod catalog;
pub mod coupled;
pub mod diffusion;
pub mod electrochem;
pub mod electrode;
pub mod electrons;
pub mod reaction;
pub mod superconductor;

use crate::constants::{FARADAY, GAS_CONSTANT};

/// A non-physical or inconsistent input to a law.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum LawError {
    /// A parameter is outside its physical range.
    #[error("`{param}` = {value} is not allowed: {requirement}")]
    OutOfRange {
        /// The parameter's name (as in the function signature and in `fluxion calc`).
        param: &'static str,
        /// The value given, in SI units.
        value: f64,
        /// What the parameter must satisfy and why.
        requirement: &'static str,
    },
    /// Lists that describe the same ions have different lengths, or are empty.
    #[error("{0}")]
    Inconsistent(String),
    /// The inputs admit no solution (for example, no potential makes the GHK current zero).
    #[error("{0}")]
    NoSolution(String),
}

/// Result type of the laws.
pub type Result<T> = std::result::Result<T, LawError>;

pub(crate) fn finite(param: &'static str, value: f64) -> Result<f64> {
    if value.is_finite() {
        Ok(value)
    } else {
        Err(LawError::OutOfRange {
            param,
            value,
            requirement: "it must be a finite number",
        })
    }
}

pub(crate) fn positive(param: &'static str, value: f64) -> Result<f64> {
    if value.is_finite() && value > 0.0 {
        Ok(value)
    } else {
        Err(LawError::OutOfRange {
            param,
            value,
            requirement: "it must be greater than zero",
        })
    }
}

pub(crate) fn non_negative(param: &'static str, value: f64) -> Result<f64> {
    if value.is_finite() && value >= 0.0 {
        Ok(value)
    } else {
        Err(LawError::OutOfRange {
            param,
            value,
            requirement: "it must be zero or positive",
        })
    }
}

pub(crate) fn temperature(param: &'static str, value: f64) -> Result<f64> {
    if value.is_finite() && value > 0.0 {
        Ok(value)
    } else {
        Err(LawError::OutOfRange {
            param,
            value,
            requirement:
                "an absolute temperature must be above 0 K (write e.g. \"298.15 K\" or \"25 degC\")",
        })
    }
}

pub(crate) fn concentration_for_log(param: &'static str, value: f64) -> Result<f64> {
    if value.is_finite() && value > 0.0 {
        Ok(value)
    } else {
        Err(LawError::OutOfRange {
            param,
            value,
            requirement: "it appears under a logarithm and must be greater than zero",
        })
    }
}

pub(crate) fn charge_number(param: &'static str, value: f64) -> Result<f64> {
    if value.is_finite() && value != 0.0 {
        Ok(value)
    } else {
        Err(LawError::OutOfRange {
            param,
            value,
            requirement: "an ion's charge number must be non-zero (e.g. 1, -1, 2)",
        })
    }
}

pub(crate) fn same_length(what: &str, lists: &[(&str, usize)]) -> Result<usize> {
    let n = lists[0].1;
    if n == 0 {
        return Err(LawError::Inconsistent(format!(
            "{what}: at least one ion is needed, but `{}` is empty",
            lists[0].0
        )));
    }
    if let Some((name, m)) = lists.iter().find(|(_, m)| *m != n) {
        return Err(LawError::Inconsistent(format!(
            "{what}: `{}` has {n} entries but `{name}` has {m}; give one value per ion in each list",
            lists[0].0
        )));
    }
    Ok(n)
}

/// `RT/F` in V at temperature `t` (K), checked.
pub(crate) fn rt_over_f(t: f64) -> Result<f64> {
    Ok(GAS_CONSTANT * temperature("T", t)? / FARADAY)
}

/// `(e^x - 1)/x`, accurate near `x = 0`.
pub(crate) fn exprel(x: f64) -> f64 {
    if x.abs() < 1e-8 {
        1.0 + 0.5 * x
    } else {
        x.exp_m1() / x
    }
}

/// Find the root of a continuous, strictly monotone `f` on `[a, b]` with `f(a) f(b) <= 0`
/// by bisection safeguarded secant steps (Illinois variant of regula falsi) to `xtol`.
pub(crate) fn bracketed_root(
    f: impl Fn(f64) -> f64,
    mut a: f64,
    mut b: f64,
    xtol: f64,
) -> Option<f64> {
    let (mut fa, mut fb) = (f(a), f(b));
    if fa == 0.0 {
        return Some(a);
    }
    if fb == 0.0 {
        return Some(b);
    }
    if fa.signum() == fb.signum() || !fa.is_finite() || !fb.is_finite() {
        return None;
    }
    let mut side = 0i8;
    for _ in 0..400 {
        let mut c = (a * fb - b * fa) / (fb - fa);
        if !c.is_finite() || c <= a.min(b) || c >= a.max(b) {
            c = 0.5 * (a + b);
        }
        let fc = f(c);
        if fc == 0.0 || (b - a).abs() < xtol {
            return Some(c);
        }
        if fc.signum() == fb.signum() {
            b = c;
            fb = fc;
            if side == -1 {
                fa *= 0.5;
            }
            side = -1;
        } else {
            a = c;
            fa = fc;
            if side == 1 {
                fb *= 0.5;
            }
            side = 1;
        }
    }
    Some(0.5 * (a + b))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn root_finder_is_accurate() {
        let r = bracketed_root(|x| x * x * x - 2.0, 0.0, 3.0, 1e-15).unwrap();
        assert!((r - 2f64.cbrt()).abs() < 1e-14);
        assert!(bracketed_root(|x| x * x + 1.0, -1.0, 1.0, 1e-12).is_none());
    }

    #[test]
    fn errors_name_the_parameter() {
        let e = temperature("T", -3.0).unwrap_err();
        assert!(e.to_string().contains("`T` = -3"), "{e}");
        let e = same_length("GHK", &[("z", 2), ("P", 3)]).unwrap_err();
        assert!(e.to_string().contains("`P` has 3"), "{e}");
    }
}
