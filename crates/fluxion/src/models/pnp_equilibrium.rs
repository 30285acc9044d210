//! The Poisson-Boltzmann state at the mean composition: the initial guess of a cold steady
//! solve where walls or regions carry charge.
//!
//! With every concentration patch at the mean `c_k` of its species' fixed values and every
//! potential patch at the mean `phi_bar` of the patch potentials (the member `lambda = 0`
//! of the continuation, with the target's surface and fixed charges: the *charged base*),
//! the steady state is equilibrium. No species flows, so each follows Boltzmann,
//! `c_k exp(-z_k psi)` with `psi = (phi - phi_bar)/V_T`, and Poisson's equation becomes the
//! Poisson-Boltzmann equation (scaled as in [`Pnp`]):
//!
//! ```text
//! -div(lambda^2 eps_r grad psi) = sum_k z_k c_k exp(-z_k psi) + X
//! psi = 0 on potential patches,   lambda^2 eps_r dpsi/dn = sigma on charged patches
//! ```
//!
//! discretized with the conductances, control volumes, fixed and surface charges of the
//! potential rows of [`Pnp`], and solved by damped Newton for the one field `psi`. A
//! Scharfetter-Gummel flux vanishes exactly between Boltzmann-distributed nodes, so the
//! state is a root of the charged base's PNP equations to Newton's tolerance: the walk
//! from there to the target only has to apply the bias and the concentration differences.
//! The flat guess has to grow the double layers too, which is where Newton from it fails
//! (the charged nanopore of `fluxion bench --pnp`: surface charge alone takes 26 Newton
//! iterations of continuation, a bias of 0.5 V alone 2; docs/status.md).
//!
//! For the direct attempt at the target the bias is laid over the equilibrium: the ohmic
//! potential `eta` of the applied patch potentials through the equilibrium's conductivity,
//! `div(kappa grad eta) = 0` with `kappa = sum_k z_k^2 D_k c_k` (one more linear solve on
//! the same pattern), so that the potential drops where the double layers conduct least.
//! On that nanopore at +0.5 V (235,817 cells) the solve took 13 Newton iterations and 2
//! factorizations from it, 17 and 3 from the equilibrium alone, 25 and 4 from the flat
//! guess (`fluxion bench --pnp --pnp-scales 9`, session 9).

use super::{Closure, Pnp, PoissonFlux, Scaled};
use crate::assembly::{
    Assembler, BoundaryTerm, DofMap, FluxLaw, Local, NodeEquation, RowRule, RowRules, Terms,
    VolumeTerm,
};
use crate::models::electrodiffusion::terms::FaceTable;
use crate::solve::{
    newton, MatrixSink, NewtonOptions, NewtonWorkspace, NonlinearSystem, Structure,
};

/// The equilibrium of the charged base: `psi` per node (scaled by `V_T`, relative to
/// `phi_bar`), and the mean composition (scaled by `c_0`).
#[derive(Clone, Debug)]
pub(super) struct EquilibriumGuess {
    pub(super) psi: Vec<f64>,
    pub(super) phi_bar: f64,
    pub(super) mean: Vec<f64>,
    /// The ohmic potential of the applied bias through the equilibrium's conductivity
    /// (scaled), if any patch potential differs from `phi_bar`.
    pub(super) eta: Option<Vec<f64>>,
}

/// Absolute tolerance of Newton on `psi` (in `V_T`). A relative norm stalls the line search
/// where `psi` changes sign; the guess needs no more digits than these.
const ATOL_PSI: f64 = 1e-7;

/// Largest number of ion species for which the guess is tried.
const MAX_IONS: usize = 64;

/// The Poisson-Boltzmann system of a [`Pnp`] (one unknown per node).
struct Boltzmann<'a> {
    pnp: &'a Pnp,
    asm: Assembler,
    /// Mean composition, scaled.
    mean: &'a [f64],
}

/// The space charge of the Boltzmann distributions and the fixed charge,
/// `-V sum_k z_k c_k exp(-z_k psi) - X V`, on the nodes where each species lives.
struct BoltzmannCharge<'a> {
    pnp: &'a Pnp,
    mean: &'a [f64],
}

impl VolumeTerm for BoltzmannCharge<'_> {
    fn couplings(&self) -> Vec<(usize, usize)> {
        vec![(0, 0)]
    }
    #[inline]
    fn eval(&self, node: usize, u: &[f64], out: &mut Local) {
        let p = self.pnp;
        let dofs = p.asm().dofs();
        let (mut q, mut dq) = (0.0, 0.0);
        for k in 0..p.m {
            let z = p.z[k];
            if z != 0.0 && dofs.has(node, k) {
                let c = self.mean[k] * (-z * u[0]).exp();
                q += z * c;
                dq -= z * z * c;
            }
        }
        let v = p.volume[node];
        out.add(0, -v * q - p.fixed_volume_charge[node]);
        out.add_d(0, 0, -v * dq);
    }
}

/// Surface charges of the target and `psi = 0` on potential patches.
struct Walls<'a> {
    pnp: &'a Pnp,
}

impl BoundaryTerm for Walls<'_> {
    fn couplings(&self) -> Vec<(usize, usize)> {
        Vec::new()
    }
    fn eval(&self, i: usize, _u: &[f64], out: &mut Local) {
        let s = self.pnp.target.sigma[i];
        if s != 0.0 {
            out.add(0, -s * self.pnp.patch_area[i]);
        }
    }
}

impl NodeEquation for Walls<'_> {
    fn couplings(&self) -> Vec<(usize, usize)> {
        vec![(0, 0)]
    }
    fn eval(&self, _node: usize, _field: usize, u: &[f64], d: &mut [f64]) -> f64 {
        d[0] = 1.0;
        u[0]
    }
}

/// `eta` = the applied potential minus `phi_bar` on the potential patches.
struct Bias<'a> {
    pnp: &'a Pnp,
    phi_bar: f64,
}

impl NodeEquation for Bias<'_> {
    fn couplings(&self) -> Vec<(usize, usize)> {
        vec![(0, 0)]
    }
    fn eval(&self, node: usize, _field: usize, u: &[f64], d: &mut [f64]) -> f64 {
        let p = self.pnp;
        let pf = p.dirichlet[node * (p.m + 1) + p.m].expect("a potential patch node");
        d[0] = 1.0;
        u[0] - (p.target.pot[pf as usize].expect("a patch potential") - self.phi_bar)
    }
}

/// Call `f` with the Poisson-Boltzmann terms of `pnp` at the mean composition `mean`.
fn with_boltzmann_terms<R>(pnp: &Pnp, mean: &[f64], f: impl FnOnce(&Terms) -> R) -> R {
    let flux = PoissonFlux {
        conductance: FaceTable::Full(&pnp.conductance),
        phi: 0,
    };
    let charge = BoltzmannCharge { pnp, mean };
    let walls = Walls { pnp };
    let fl: [&dyn FluxLaw; 1] = [&flux];
    let vol: [&dyn VolumeTerm; 1] = [&charge];
    let bnd: [&dyn BoundaryTerm; 1] = [&walls];
    f(&Terms {
        flux: &fl,
        volume: &vol,
        boundary: &bnd,
        equation: Some(&walls),
    })
}

impl Boltzmann<'_> {
    fn assemble(&mut self, x: &[f64], r: &mut [f64], jac: Option<&mut dyn MatrixSink>) {
        let asm = &mut self.asm;
        with_boltzmann_terms(self.pnp, self.mean, |terms| asm.assemble(terms, x, r, jac));
    }
}

impl NonlinearSystem for Boltzmann<'_> {
    fn dim(&self) -> usize {
        self.asm.dofs().len()
    }
    fn structure(&self) -> Structure {
        self.asm.structure()
    }
    fn residual(&mut self, x: &[f64], r: &mut [f64]) {
        self.assemble(x, r, None);
    }
    fn jacobian(&mut self, x: &[f64], jac: &mut dyn MatrixSink, r: &mut [f64]) {
        self.assemble(x, r, Some(jac));
    }
    fn atol(&self, _i: usize) -> f64 {
        ATOL_PSI
    }
}

impl Pnp {
    /// The Poisson-Boltzmann equilibrium of the charged base (module docs), or `None` where
    /// it is no guide or cannot be had: a closure other than Poisson, no surface or fixed
    /// charge (the flat guess is then that equilibrium), a charged species with no patch
    /// fixing its concentration (its level is not set by a reservoir), a mean composition
    /// that is not neutral, more than 64 species, or a Newton failure. `order`: a node
    /// ordering for the sparse LU (the PNP solver's, [`crate::solve::LinearSolver::group_order`]),
    /// so that the scalar system is not ordered again.
    pub(super) fn equilibrium(&self, order: Option<Vec<u32>>) -> Option<EquilibriumGuess> {
        if self.closure != Closure::Poisson || self.m > MAX_IONS {
            return None;
        }
        let t = &self.target;
        let charged =
            t.sigma.iter().any(|&s| s != 0.0) || self.fixed_volume_charge.iter().any(|&q| q != 0.0);
        if !charged {
            return None;
        }
        let (conc, pot) = t.means(self.m);
        // A charged species must have its level set by a reservoir.
        if conc
            .iter()
            .zip(&self.z)
            .any(|(c, &z)| c.is_none() && z != 0.0)
        {
            return None;
        }
        let mean: Vec<f64> = conc.into_iter().map(|c| c.unwrap_or(0.0)).collect();
        let q: f64 = mean.iter().zip(&self.z).map(|(c, z)| z * c).sum();
        let scale: f64 = mean.iter().zip(&self.z).map(|(c, z)| (z * c).abs()).sum();
        if q.abs() > 1e-9 * scale || scale == 0.0 {
            return None;
        }
        let phi_bar = pot.unwrap_or(0.0);
        let mesh = self.asm().mesh().clone();
        let n = mesh.nodes();
        let nv = self.m + 1;
        let class: Vec<u16> = (0..n)
            .map(|i| u16::from(self.dirichlet[i * nv + self.m].is_some()))
            .collect();
        let rules = RowRules::new(
            vec![vec![RowRule::Balance], vec![RowRule::Algebraic]],
            class,
        );
        let dofs = DofMap::full(n, 1).ok()?;
        let mut sys = Boltzmann {
            pnp: self,
            // Built with the terms' couplings; the terms borrow nothing the assembler keeps.
            asm: with_boltzmann_terms(self, &mean, |terms| {
                Assembler::new(mesh, dofs, rules, terms, false)
            }),
            mean: &mean,
        };
        // The PNP solver's node ordering, if given: the Poisson-Boltzmann pattern is the
        // node graph of the same mesh, so its symbolic analysis need not order it again.
        let structure = match (sys.structure(), order) {
            (Structure::Sparse { pattern, layout }, Some(o)) => {
                match (*pattern).clone().with_group_order(o) {
                    Ok(p) => Structure::Sparse {
                        pattern: std::sync::Arc::new(p),
                        layout,
                    },
                    Err(_) => Structure::Sparse { pattern, layout },
                }
            }
            (s, _) => s,
        };
        let mut ws = NewtonWorkspace::new(&structure, self.problem.solver).ok()?;
        let mut psi = vec![0.0; n];
        let opts = NewtonOptions {
            jacobian_reuse: 0.25,
            ..Default::default()
        };
        newton(&mut sys, &mut psi, &mut ws, &opts).ok()?;
        let eta = self.ohmic_bias(&mut sys, &mut ws, &psi, phi_bar);
        Some(EquilibriumGuess {
            psi,
            phi_bar,
            mean,
            eta,
        })
    }

    /// The face conductances `sum_k z_k^2 T_fk LM(c_k)` of the ohmic bias potential: `LM`
    /// the logarithmic mean of the Boltzmann concentrations `c_k exp(-z_k psi)` at the two
    /// nodes, the linear response of the Scharfetter-Gummel flux about equilibrium.
    pub(super) fn ohmic_conductance(&self, psi: &[f64], mean: &[f64]) -> Vec<f64> {
        let mesh = self.asm().mesh();
        let dofs = self.asm().dofs();
        let m = self.m;
        let lm = |a: f64, b: f64| {
            if (a - b).abs() <= 1e-9 * (a + b) {
                0.5 * (a + b)
            } else {
                (a - b) / (a / b).ln()
            }
        };
        (0..mesh.faces())
            .map(|f| {
                let [i, j] = mesh.face_nodes(f);
                (0..m)
                    .filter(|&k| self.z[k] != 0.0 && dofs.has(i, k) && dofs.has(j, k))
                    .map(|k| {
                        let c = |n: usize| mean[k] * (-self.z[k] * psi[n]).exp();
                        self.z[k] * self.z[k] * self.transmissibility[f * m + k] * lm(c(i), c(j))
                    })
                    .sum()
            })
            .collect()
    }

    /// The ohmic potential of the applied bias (see [`Pnp::equilibrium_state`]) through the
    /// conductances of [`Pnp::ohmic_conductance`]. `None` without bias or on failure.
    fn ohmic_bias(
        &self,
        pb: &mut Boltzmann<'_>,
        ws: &mut NewtonWorkspace,
        psi: &[f64],
        phi_bar: f64,
    ) -> Option<Vec<f64>> {
        let t = &self.target;
        if t.pot.iter().flatten().all(|&p| p == phi_bar) {
            return None;
        }
        let kappa = self.ohmic_conductance(psi, pb.mean);
        // Linear: eta = -J^-1 F(0), one factorization on the Poisson-Boltzmann pattern, with
        // the displacement flux law on the conductances `kappa`.
        let flux = PoissonFlux {
            conductance: FaceTable::Full(&kappa),
            phi: 0,
        };
        let bias = Bias { pnp: self, phi_bar };
        let fl: [&dyn FluxLaw; 1] = [&flux];
        let terms = Terms {
            flux: &fl,
            volume: &[],
            boundary: &[],
            equation: Some(&bias),
        };
        let zero = vec![0.0; psi.len()];
        let mut eta = vec![0.0; psi.len()];
        ws.forget_factors();
        ws.solver.matrix().clear();
        pb.asm
            .assemble(&terms, &zero, &mut eta, Some(ws.solver.matrix()));
        ws.solver.factor().ok()?;
        for v in eta.iter_mut() {
            *v = -*v;
        }
        ws.solver.solve(&mut eta).ok()?;
        eta.iter().all(|v| v.is_finite()).then_some(eta)
    }

    /// The PNP state of `g` with the current Dirichlet values in place: Boltzmann
    /// concentrations `c_k exp(-z_k psi)` and the potential `phi_bar + psi` elsewhere, plus,
    /// with `bias`, the ohmic potential `eta` of the applied patch potentials through the
    /// equilibrium's conductivity (`div(kappa grad eta) = 0`, `eta` = the patch potential
    /// minus `phi_bar` on potential patches): the first-order response of the double layers'
    /// conductance to the bias, for a start at the target rather than at the charged base.
    pub(super) fn equilibrium_state(&self, g: &EquilibriumGuess, bias: bool) -> Vec<f64> {
        let dofs = self.asm().dofs();
        let mut x = vec![0.0; dofs.len()];
        let eta = g.eta.as_deref().filter(|_| bias);
        for (i, &psi) in g.psi.iter().enumerate() {
            for a in 0..=self.m {
                let Some(d) = dofs.dof(i, a) else { continue };
                x[d] = self.dirichlet_value(i, a).unwrap_or(if a < self.m {
                    g.mean[a] * (-self.z[a] * psi).exp()
                } else {
                    g.phi_bar + psi + eta.map_or(0.0, |e| e[i])
                });
            }
        }
        x
    }

    /// The charged base: [`Pnp::base`] with the target's surface and fixed charges, the
    /// member whose equilibrium [`Pnp::equilibrium`] computes.
    pub(super) fn charged_base(&self) -> Scaled {
        let mut b = Pnp::base(&self.target, self.m);
        b.sigma.clone_from(&self.target.sigma);
        b.fixed.clone_from(&self.target.fixed);
        b
    }
}
