//! The model's physics as assembler terms, and the assembly of residual and Jacobian.

use super::terms::{FaceTable, NernstPlanck, PoissonFlux, SpaceCharge};
use super::{Closure, Electrodiffusion, Row};
use crate::assembly::{BoundaryTerm, FluxLaw, Local, NodeEquation, Terms, VolumeTerm};
use crate::solve::MatrixSink;

impl Electrodiffusion {
    /// The physics of this model as assembler terms, borrowing its current data.
    pub(super) fn terms(
        &self,
    ) -> (
        NernstPlanck<'_>,
        PoissonFlux<'_>,
        SpaceCharge<'_>,
        Conditions<'_>,
    ) {
        (
            NernstPlanck {
                transmissibility: FaceTable::Product {
                    face: &self.face_factor,
                    field: &self.diffusivity,
                },
                drift: if self.advection.is_empty() {
                    FaceTable::Zero
                } else {
                    FaceTable::Product {
                        face: &self.advection,
                        field: &self.inverse_diffusivity,
                    }
                },
                z: &self.z,
                scheme: self.problem.scheme,
            },
            PoissonFlux {
                conductance: FaceTable::Product {
                    face: &self.face_factor,
                    field: std::slice::from_ref(&self.lam2),
                },
                phi: self.m,
            },
            SpaceCharge {
                volume: self.mesh.volumes(),
                z: &self.z,
            },
            Conditions { model: self },
        )
    }

    /// Call `f` with the assembler terms of this model: Nernst-Planck fluxes, and under the
    /// Poisson closure the displacement flux and the space charge; the conditions always.
    pub(super) fn with_terms<R>(&self, f: impl FnOnce(&Terms) -> R) -> R {
        let (np, po, sc, cond) = self.terms();
        let flux: [&dyn FluxLaw; 2] = [&np, &po];
        let poisson = self.problem.closure == Closure::Poisson;
        let vol: [&dyn VolumeTerm; 1] = [&sc];
        let bnd: [&dyn BoundaryTerm; 1] = [&cond];
        let terms = Terms {
            flux: &flux[..if poisson { 2 } else { 1 }],
            volume: if poisson { &vol } else { &[] },
            boundary: &bnd,
            equation: Some(&cond),
        };
        f(&terms)
    }

    /// Residual `F(x)` (steady part) and optionally its Jacobian, by the general assembler.
    pub(super) fn assemble(&mut self, x: &[f64], r: &mut [f64], jac: Option<&mut dyn MatrixSink>) {
        let mut asm = self.asm.take().expect("assembler present");
        self.with_terms(|terms| asm.assemble(terms, x, r, jac));
        self.asm = Some(asm);
    }
}

/// The boundary conditions and algebraic rows of the model, as assembler terms: outward
/// flows through the `left`/`right` patch faces (given species fluxes along +x, surface
/// charges, the applied current of a charge-balance row) and the equations of the
/// algebraic rows (Dirichlet values, the fixed-field potential, electroneutrality, the gauge).
pub(super) struct Conditions<'a> {
    model: &'a Electrodiffusion,
}

impl BoundaryTerm for Conditions<'_> {
    fn couplings(&self) -> Vec<(usize, usize)> {
        Vec::new()
    }

    fn eval(&self, index: usize, _u: &[f64], out: &mut Local) {
        let md = self.model;
        let (m, side) = (md.m, index);
        let node = if side == 0 { 0 } else { md.n - 1 };
        // Outward normal along x: -1 on the left, +1 on the right.
        let nx = if side == 0 { -1.0 } else { 1.0 };
        let area = md.ab[side];
        for k in 0..m {
            if md.row_kind(node, k) == Row::Conserve {
                out.add(k, nx * area * md.bc.species[side][k]);
            }
        }
        match md.row_kind(node, m) {
            Row::Poisson => out.add(m, -area * md.bc.potential[side]),
            Row::CurrentBalance => out.add(m, nx * area * md.bc.potential[side]),
            _ => {}
        }
    }
}

impl NodeEquation for Conditions<'_> {
    fn couplings(&self) -> Vec<(usize, usize)> {
        let m = self.model.m;
        (0..=m).flat_map(|a| (0..=m).map(move |b| (a, b))).collect()
    }

    fn eval(&self, node: usize, field: usize, u: &[f64], d: &mut [f64]) -> f64 {
        let md = self.model;
        let m = md.m;
        match md.row_kind(node, field) {
            Row::Dirichlet => {
                d[field] = 1.0;
                u[field] - md.dirichlet_value(node, field)
            }
            Row::Gauge => {
                d[m] = 1.0;
                u[m]
            }
            Row::Neutral => {
                let mut q = 0.0;
                for k in 0..m {
                    q += md.z[k] * u[k];
                    d[k] = md.z[k];
                }
                q
            }
            other => unreachable!("row {other:?} is not algebraic"),
        }
    }
}
