//! The electrodiffusion model as implementations of the assembler's physics traits.
//!
//! Fields at every node: the scaled concentrations `c_k` (`k < m`) and the scaled potential
//! `phi` (field `m`). On a face from node `K` to node `L` with transmissibility `T = A/d`:
//!
//! ```text
//! Nernst-Planck:  J_k   = D_k T [a(P_k) c_{k,K} - b(P_k) c_{k,L}],
//!                 P_k   = -z_k (phi_L - phi_K) + v_n d / D_k
//! Poisson:        J_phi = lambda^2 T_eps (phi_K - phi_L)          (the outward D-flux)
//! space charge:   S_phi = -V sum_k z_k c_k
//! ```
//!
//! with `a`, `b` the weights of the [`FluxScheme`] (Scharfetter-Gummel, upwind, central)
//! and `lambda^2 = eps V_T / (F c_0 L^2)`.

use crate::assembly::{FaceFlux, FluxLaw, Local, VolumeTerm};
use crate::discretize::{FluxScheme, Scheme, Weights};

/// The weights at `-P` from those at `P` for a scheme with `a(-P) = b(P)`:
/// `a(-P) = b(P)`, `b(-P) = a(P)`, `a'(-P) = -b'(P)`, `b'(-P) = -a'(P)`. For
/// Scharfetter-Gummel and central differencing this is bit for bit what evaluating the
/// scheme at `-P` gives (their formulas are mirror images, and negation is exact), at no
/// cost of an exponential or a division.
#[inline]
fn mirrored(w: Weights) -> Weights {
    Weights {
        a: w.b,
        b: w.a,
        da: -w.db,
        db: -w.da,
    }
}

/// A coefficient per face `f` and field `k` of a flux law: a table, or the product of a face
/// factor and a field factor (`D_k A_f/d_f` on a single-material mesh, 8 bytes per face
/// instead of `8 m`), or zero.
#[derive(Clone, Copy, Debug)]
pub enum FaceTable<'a> {
    /// `t[f * m + k]` for `m` fields.
    Full(&'a [f64]),
    /// `face[f] * field[k]`.
    Product {
        /// The face factor.
        face: &'a [f64],
        /// The field factor.
        field: &'a [f64],
    },
    /// Zero on every face.
    Zero,
}

impl FaceTable<'_> {
    /// The coefficient of face `f`, field `k` of `m`.
    #[inline]
    pub fn get(&self, f: usize, k: usize, m: usize) -> f64 {
        match self {
            FaceTable::Full(t) => t[f * m + k],
            FaceTable::Product { face, field } => face[f] * field[k],
            FaceTable::Zero => 0.0,
        }
    }
}

/// Nernst-Planck fluxes of all species with a two-point scheme.
pub struct NernstPlanck<'a> {
    /// `D_k T_f` per face and species.
    pub transmissibility: FaceTable<'a>,
    /// Advective part of the Peclet number, `v_n d / D_k` per face and species.
    pub drift: FaceTable<'a>,
    /// Charge numbers.
    pub z: &'a [f64],
    /// The scheme.
    pub scheme: Scheme,
}

impl NernstPlanck<'_> {
    /// Whether the scheme's weights at `-P` are exactly [`mirrored`] ones at `P` (not for
    /// upwinding, whose derivatives jump at `P = 0`).
    #[inline]
    fn antisymmetric(&self) -> bool {
        matches!(self.scheme, Scheme::ScharfetterGummel | Scheme::Central)
    }
}

impl FluxLaw for NernstPlanck<'_> {
    fn couplings(&self) -> Vec<(usize, usize)> {
        let m = self.z.len();
        (0..m).flat_map(|k| [(k, k), (k, m)]).collect()
    }

    #[inline]
    fn flux(&self, face: usize, _nodes: [usize; 2], uk: &[f64], ul: &[f64], out: &mut FaceFlux) {
        let m = self.z.len();
        let dphi = ul[m] - uk[m];
        if !out.derivatives() {
            // The residual alone: the same weights without their derivatives.
            let mut prev: Option<(f64, (f64, f64))> = None;
            for k in 0..m {
                let t = self.transmissibility.get(face, k, m);
                let p = -self.z[k] * dphi + self.drift.get(face, k, m);
                let (a, b) = match prev {
                    Some((q, (qa, qb))) if p == -q && self.antisymmetric() => (qb, qa),
                    _ => self.scheme.values(p),
                };
                prev = Some((p, (a, b)));
                out.add(k, t * (a * uk[k] - b * ul[k]));
            }
            return;
        }
        // The previous species' Peclet number and weights: a counter-ion of opposite charge
        // (P' = -P, e.g. the anion of a 1:1 electrolyte) reuses them, see `mirrored`.
        let mut prev: Option<(f64, Weights)> = None;
        for k in 0..m {
            let t = self.transmissibility.get(face, k, m);
            let drift = self.drift.get(face, k, m);
            let p = -self.z[k] * dphi + drift;
            let w = match prev {
                Some((q, wq)) if p == -q && self.antisymmetric() => mirrored(wq),
                _ => self.scheme.weights(p),
            };
            prev = Some((p, w));
            let (ck, cl) = (uk[k], ul[k]);
            out.add(k, t * (w.a * ck - w.b * cl));
            out.add_dk(k, k, t * w.a);
            out.add_dl(k, k, -t * w.b);
            // dJ/dphi_L = dJ/dP dP/dphi_L = -z dJ/dP; dJ/dphi_K = -dJ/dphi_L.
            let dp = -self.z[k] * t * (w.da * ck - w.db * cl);
            out.add_dl(k, m, dp);
            out.add_dk(k, m, -dp);
        }
    }
}

/// The electric displacement flux of Poisson's equation.
pub struct PoissonFlux<'a> {
    /// `lambda^2 T_eps` per face (field 0 of one).
    pub conductance: FaceTable<'a>,
    /// Index of the potential field.
    pub phi: usize,
}

impl FluxLaw for PoissonFlux<'_> {
    fn couplings(&self) -> Vec<(usize, usize)> {
        vec![(self.phi, self.phi)]
    }

    #[inline]
    fn flux(&self, face: usize, _nodes: [usize; 2], uk: &[f64], ul: &[f64], out: &mut FaceFlux) {
        let (p, g) = (self.phi, self.conductance.get(face, 0, 1));
        out.add(p, g * (uk[p] - ul[p]));
        out.add_dk(p, p, g);
        out.add_dl(p, p, -g);
    }
}

/// The space charge `-V sum_k z_k c_k` in the potential's balance.
pub struct SpaceCharge<'a> {
    /// Scaled control volumes.
    pub volume: &'a [f64],
    /// Charge numbers.
    pub z: &'a [f64],
}

impl VolumeTerm for SpaceCharge<'_> {
    fn couplings(&self) -> Vec<(usize, usize)> {
        let m = self.z.len();
        (0..m)
            .filter(|&k| self.z[k] != 0.0)
            .map(|k| (m, k))
            .collect()
    }

    #[inline]
    fn eval(&self, node: usize, u: &[f64], out: &mut Local) {
        let m = self.z.len();
        let v = self.volume[node];
        for k in 0..m {
            if self.z[k] != 0.0 {
                out.add(m, -v * self.z[k] * u[k]);
                out.add_d(m, k, -v * self.z[k]);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A residual assembly (no derivatives wanted) adds bit for bit the fluxes of a
    /// Jacobian assembly, for the three schemes, a 1:1 pair (the mirrored shortcut), a
    /// 2:-1 pair and a neutral species, over drifts of both signs across the branches.
    #[test]
    fn residual_fluxes_equal_those_with_derivatives() {
        let (face, diff, adv, inv) = ([0.7, 1.3], [1.0, 0.5, 0.25], [0.0, 2e-4], [1.0, 2.0, 4.0]);
        for scheme in [Scheme::ScharfetterGummel, Scheme::Upwind, Scheme::Central] {
            for z in [[1.0, -1.0, 0.0], [2.0, -1.0, 0.0]] {
                for dphi in [0.0, 1e-5, -4e-4, 2e-3, -0.7, 13.0, -300.0] {
                    for f in 0..2 {
                        let np = NernstPlanck {
                            transmissibility: FaceTable::Product {
                                face: &face,
                                field: &diff,
                            },
                            drift: FaceTable::Product {
                                face: &adv,
                                field: &inv,
                            },
                            z: &z,
                            scheme,
                        };
                        let (uk, ul) = ([1.2, 0.8, 0.3, 0.1], [0.9, 1.1, 0.4, 0.1 + dphi]);
                        let run = |derivatives| {
                            let (mut v, mut dk, mut dl) = ([0.0; 4], [0.0; 16], [0.0; 16]);
                            let mut out = FaceFlux::new(4, &mut v, &mut dk, &mut dl)
                                .with_derivatives(derivatives);
                            np.flux(f, [0, 1], &uk, &ul, &mut out);
                            v
                        };
                        let (with, without) = (run(true), run(false));
                        for k in 0..4 {
                            assert_eq!(
                                with[k].to_bits(),
                                without[k].to_bits(),
                                "{scheme:?} z = {z:?} dphi = {dphi} face {f} species {k}"
                            );
                        }
                    }
                }
            }
        }
    }

    /// The mirrored weights are bit for bit the scheme's own at `-P` (so the counter-ion
    /// shortcut cannot change a result), across the series branch (`|P| < 1e-3`), its edge,
    /// zero and the exponential branch; and upwinding, which is not mirror-symmetric at
    /// `P = 0`, is excluded.
    #[test]
    fn mirrored_weights_are_exact() {
        let ps = [
            0.0, 1e-12, 3e-4, 9.99e-4, 1e-3, 1.0001e-3, 0.3, 1.0, 7.5, 40.0, 700.0,
        ];
        for scheme in [Scheme::ScharfetterGummel, Scheme::Central] {
            for &p in &ps {
                for p in [p, -p] {
                    let (w, m) = (scheme.weights(-p), mirrored(scheme.weights(p)));
                    for (x, y) in [(w.a, m.a), (w.b, m.b), (w.da, m.da), (w.db, m.db)] {
                        assert_eq!(x.to_bits(), y.to_bits(), "{scheme:?} P = {p}: {w:?} {m:?}");
                    }
                }
            }
        }
        let up = NernstPlanck {
            transmissibility: FaceTable::Zero,
            drift: FaceTable::Zero,
            z: &[],
            scheme: Scheme::Upwind,
        };
        assert!(!up.antisymmetric());
        let w = Scheme::Upwind.weights(0.0);
        assert_ne!(Scheme::Upwind.weights(-0.0).da, mirrored(w).da);
    }
}
