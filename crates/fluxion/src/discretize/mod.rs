//! Flux schemes for drift-diffusion on a 1D interval.
//!
//! On an interval of width `h` between nodes `i` and `i+1`, a species with diffusion
//! coefficient `D` and a dimensionless drift `P` (the Peclet number of the interval)
//!
//! ```text
//! J = -D dc/dx + (D P / h) c,     P = -z (phi_{i+1} - phi_i)/V_T + v h / D
//! ```
//!
//! is approximated by the two-point flux
//!
//! ```text
//! J_{i+1/2} = (D/h) [ a(P) c_i - b(P) c_{i+1} ].
//! ```
//!
//! Schemes differ only in the weights `a`, `b` (as in FiPy, where they differ only in one
//! weighting function). The Scharfetter-Gummel scheme integrates the flux exactly for a
//! constant drift on the interval: `a = B(-P)`, `b = B(P)` with the Bernoulli function
//! `B(x) = x/(e^x - 1)`; it therefore reproduces the constant-field steady state to
//! round-off on any grid.

/// Bernoulli function `B(x) = x / (e^x - 1)`, accurate for all finite `x`.
///
/// Uses a Taylor series near zero (where `x / expm1(x)` loses no accuracy either, but the
/// series avoids the 0/0 at exactly zero) and returns `-x` where `e^x` underflows.
///
/// ```
/// use fluxion::discretize::bernoulli;
/// assert_eq!(bernoulli(0.0), 1.0);
/// assert!((bernoulli(1.0) - 1.0 / (std::f64::consts::E - 1.0)).abs() < 1e-15);
/// assert_eq!(bernoulli(800.0), 0.0);
/// assert_eq!(bernoulli(-800.0), 800.0);
/// ```
#[inline]
pub fn bernoulli(x: f64) -> f64 {
    let ax = x.abs();
    if ax < 1e-3 {
        let x2 = x * x;
        1.0 - 0.5 * x + x2 / 12.0 * (1.0 - x2 / 60.0)
    } else if x < -745.0 {
        -x
    } else {
        x / x.exp_m1()
    }
}

/// Derivative `B'(x) = B(x) (1 - B(-x)) / x`, accurate for all finite `x`.
#[inline]
pub fn bernoulli_derivative(x: f64) -> f64 {
    if x.abs() < 1e-3 {
        let x2 = x * x;
        -0.5 + x / 6.0 * (1.0 - x2 / 30.0)
    } else {
        bernoulli(x) * (1.0 - bernoulli(-x)) / x
    }
}

/// Weight `g(P) = (B(-P) - 1)/P` in `(0, 1)` such that the face concentration implied by a
/// Scharfetter-Gummel flux is `c_f = (1 - g) c_{i+1} + g c_i`, used to split the flux
/// exactly into diffusive, migrative and advective parts.
#[inline]
pub fn sg_face_weight(p: f64) -> f64 {
    if p.abs() < 1e-3 {
        0.5 + p / 12.0 * (1.0 - p * p / 60.0)
    } else {
        (bernoulli(-p) - 1.0) / p
    }
}

/// The weights of a two-point flux and their derivatives with respect to `P`.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Weights {
    /// Weight of the left node concentration.
    pub a: f64,
    /// Weight of the right node concentration.
    pub b: f64,
    /// `da/dP`.
    pub da: f64,
    /// `db/dP`.
    pub db: f64,
}

/// A two-point drift-diffusion flux scheme: `J = (D/h) [a(P) c_i - b(P) c_{i+1}]`.
///
/// Consistency requires `a(P) - b(P) = P` (pure drift) and `a(0) = b(0) = 1` (pure
/// diffusion).
pub trait FluxScheme {
    /// Weights at drift `P`.
    fn weights(&self, p: f64) -> Weights;
    /// The weights `(a, b)` at drift `P` without their derivatives (for residuals), bit
    /// for bit those of [`Self::weights`].
    #[inline]
    fn values(&self, p: f64) -> (f64, f64) {
        let w = self.weights(p);
        (w.a, w.b)
    }
}

/// Scharfetter-Gummel (exponential fitting): exact for constant drift on an interval.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct ScharfetterGummel;

impl FluxScheme for ScharfetterGummel {
    #[inline]
    fn weights(&self, p: f64) -> Weights {
        if p.abs() < 1e-3 {
            return Weights {
                a: bernoulli(-p),
                b: bernoulli(p),
                da: -bernoulli_derivative(-p),
                db: bernoulli_derivative(p),
            };
        }
        // One exponential per interval: evaluate B at +|P| (the small, accurate value) and
        // get the other weight from B(-x) = B(x) + x, a sum of positives. The derivatives
        // follow from B'(x) = B(x) (1 - B(-x)) / x.
        let (a, b) = if p > 0.0 {
            let b = bernoulli(p);
            (b + p, b)
        } else {
            let a = bernoulli(-p);
            (a, a - p)
        };
        Weights {
            a,
            b,
            da: a * (1.0 - b) / p,
            db: b * (1.0 - a) / p,
        }
    }

    #[inline]
    fn values(&self, p: f64) -> (f64, f64) {
        if p.abs() < 1e-3 {
            (bernoulli(-p), bernoulli(p))
        } else if p > 0.0 {
            let b = bernoulli(p);
            (b + p, b)
        } else {
            let a = bernoulli(-p);
            (a, a - p)
        }
    }
}

/// First-order upwind: diffusion plus the drift taken from the upstream node.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Upwind;

impl FluxScheme for Upwind {
    #[inline]
    fn weights(&self, p: f64) -> Weights {
        if p >= 0.0 {
            Weights {
                a: 1.0 + p,
                b: 1.0,
                da: 1.0,
                db: 0.0,
            }
        } else {
            Weights {
                a: 1.0,
                b: 1.0 - p,
                da: 0.0,
                db: -1.0,
            }
        }
    }
}

/// Central differencing: second order, but oscillates (and can go negative) for `|P| > 2`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Central;

impl FluxScheme for Central {
    #[inline]
    fn weights(&self, p: f64) -> Weights {
        Weights {
            a: 1.0 + 0.5 * p,
            b: 1.0 - 0.5 * p,
            da: 0.5,
            db: -0.5,
        }
    }
}

/// Choice of scheme at run time (scenario files), dispatching to the scheme types.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Scheme {
    /// [`ScharfetterGummel`] (the default).
    #[default]
    ScharfetterGummel,
    /// [`Upwind`].
    Upwind,
    /// [`Central`].
    Central,
}

impl FluxScheme for Scheme {
    #[inline]
    fn weights(&self, p: f64) -> Weights {
        match self {
            Scheme::ScharfetterGummel => ScharfetterGummel.weights(p),
            Scheme::Upwind => Upwind.weights(p),
            Scheme::Central => Central.weights(p),
        }
    }

    #[inline]
    fn values(&self, p: f64) -> (f64, f64) {
        match self {
            Scheme::ScharfetterGummel => ScharfetterGummel.values(p),
            Scheme::Upwind => Upwind.values(p),
            Scheme::Central => Central.values(p),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn bernoulli_reference(x: f64) -> f64 {
        // Direct formula, fine away from 0 and from overflow.
        x / (x.exp() - 1.0)
    }

    #[test]
    fn bernoulli_is_accurate_across_ranges() {
        for &x in &[-700.0, -30.0, -1.0, -1e-2, 1e-2, 0.5, 3.0, 30.0, 700.0] {
            let r = bernoulli_reference(x);
            // The naive reference itself loses ~1e-14/|x| to cancellation near zero.
            let tol = 1e-14 + 1e-15 / x.abs();
            assert!(
                (bernoulli(x) - r).abs() <= tol * r.abs().max(1e-300),
                "x={x}"
            );
        }
        // Continuity across the series switch.
        let (l, r) = (bernoulli(0.999_999e-3), bernoulli(1.000_001e-3));
        assert!((l - r).abs() < 1e-8);
        // Identity B(-x) = B(x) + x.
        for &x in &[-50.0, -2.0, -1e-4, 1e-6, 0.7, 40.0] {
            assert!((bernoulli(-x) - bernoulli(x) - x).abs() < 1e-13 * (1.0 + x.abs()));
        }
    }

    #[test]
    fn derivatives_match_finite_differences() {
        for &x in &[-40.0, -3.0, -1e-3, -1e-5, 0.0, 2e-4, 1e-3, 0.3, 5.0, 60.0] {
            let h = 1e-6 * (1.0 + f64::abs(x));
            let fd = (bernoulli(x + h) - bernoulli(x - h)) / (2.0 * h);
            assert!((bernoulli_derivative(x) - fd).abs() < 1e-7, "x={x}");
        }
        for scheme in [Scheme::ScharfetterGummel, Scheme::Upwind, Scheme::Central] {
            for &p in &[-7.0, -0.3, 0.2, 4.0] {
                let w = scheme.weights(p);
                let (wp, wm) = (scheme.weights(p + 1e-6), scheme.weights(p - 1e-6));
                assert!((w.da - (wp.a - wm.a) / 2e-6).abs() < 1e-6);
                assert!((w.db - (wp.b - wm.b) / 2e-6).abs() < 1e-6);
                // Consistency: a - b = P.
                assert!((w.a - w.b - p).abs() < 1e-12 * (1.0 + p.abs()));
            }
        }
    }

    #[test]
    fn face_weight_reproduces_the_sg_flux() {
        for &p in &[-30.0, -2.0, -1e-4, 0.0, 1e-5, 0.8, 25.0] {
            let (ci, cj) = (2.0, 0.5);
            let w = ScharfetterGummel.weights(p);
            let flux = w.a * ci - w.b * cj;
            let g = sg_face_weight(p);
            assert!(g > 0.0 && g < 1.0);
            let cf = (1.0 - g) * cj + g * ci;
            // diffusion (ci - cj) + drift P c_f
            assert!(((ci - cj) + p * cf - flux).abs() < 1e-12 * (1.0 + flux.abs()));
        }
    }
}
