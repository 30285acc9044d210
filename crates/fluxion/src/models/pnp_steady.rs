//! Steady solves of [`Pnp`]: the cold solve (Newton from the flat initial guess, or with
//! charged walls or regions from the Poisson-Boltzmann equilibrium of `pnp_equilibrium`
//! with the ohmic potential of the bias; then continuation in the applied conditions from
//! the flat or the charged base), warm starts from a converged state after a
//! change of one patch potential (I-V sweeps), and the cost of a solve (Newton iterations,
//! factorizations, time in assembly, factorization and triangular solves).
//!
//! A warm start embeds the new problem in the family between the conditions of the last
//! converged state (`lambda = 0`, whose solution is at hand) and the new ones (`lambda =
//! 1`): Newton at `lambda = 1` from the old state first, continuation from `lambda = 0`
//! only when that fails. The converged state is a root of the same discrete equations as a
//! cold solve reaches, to Newton's tolerance.

use super::{
    Closure, PatchConditions, Pnp, PnpError, PnpSolution, PotentialCondition, Scaled,
    SpeciesCondition,
};
use crate::models::electrodiffusion::Species;
use crate::solve::{
    continuation, newton, ContinuationOptions, Homotopy, LinearError, LinearSolver, MatrixSink,
    NewtonOptions, NewtonWorkspace, NonlinearSystem, Progress, Structure,
};
use std::sync::{Arc, Mutex};
use std::time::Instant;

/// The cost of one steady solve.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct SteadyStats {
    /// Unknowns of the discrete system.
    pub unknowns: usize,
    /// Newton iterations in total (direct attempt, continuation steps, failed attempts).
    pub newton_iterations: usize,
    /// Numeric LU factorizations (at most one per Newton iteration; iterations at kept
    /// factors need none).
    pub factorizations: usize,
    /// Triangular solves (Newton corrections, line-search and convergence checks).
    pub solves: usize,
    /// Continuation steps taken (0: Newton alone converged).
    pub continuation_steps: usize,
    /// Wall time in residual and Jacobian assembly, s.
    pub assembly_s: f64,
    /// Wall time in numeric factorizations, s.
    pub factor_s: f64,
    /// Wall time in triangular solves, s.
    pub solve_s: f64,
    /// Wall time of the Poisson-Boltzmann initial guess of a cold start, s (its own
    /// assembly, factorizations and solves, not counted in the columns above).
    pub equilibrium_s: f64,
    /// Wall time of the whole solve, s.
    pub total_s: f64,
}

#[derive(Debug, Default)]
struct Timings {
    /// The Poisson-Boltzmann initial guess (its own assembly, factorizations and solves).
    equilibrium: f64,
    assembly: f64,
    factor: f64,
    solve: f64,
    factorizations: usize,
    solves: usize,
}

/// The linear solver with its factorizations and solves timed.
struct TimedSolver {
    inner: Box<dyn LinearSolver>,
    t: Arc<Mutex<Timings>>,
}

impl LinearSolver for TimedSolver {
    fn matrix(&mut self) -> &mut dyn MatrixSink {
        self.inner.matrix()
    }
    fn factor(&mut self) -> Result<(), LinearError> {
        let t0 = Instant::now();
        let r = self.inner.factor();
        let mut t = self.t.lock().expect("timings");
        t.factor += t0.elapsed().as_secs_f64();
        t.factorizations += 1;
        r
    }
    fn solve(&mut self, b: &mut [f64]) -> Result<(), LinearError> {
        let t0 = Instant::now();
        let r = self.inner.solve(b);
        let mut t = self.t.lock().expect("timings");
        t.solve += t0.elapsed().as_secs_f64();
        t.solves += 1;
        r
    }
    fn memory_bytes(&self) -> usize {
        self.inner.memory_bytes()
    }
    fn name(&self) -> &'static str {
        self.inner.name()
    }
    fn group_order(&self) -> Option<Vec<u32>> {
        self.inner.group_order()
    }
}

/// The model with its assembly timed.
struct Timed<'a> {
    pnp: &'a mut Pnp,
    t: Arc<Mutex<Timings>>,
}

impl Timed<'_> {
    fn clock(&self, t0: Instant) {
        self.t.lock().expect("timings").assembly += t0.elapsed().as_secs_f64();
    }
}

impl NonlinearSystem for Timed<'_> {
    fn dim(&self) -> usize {
        self.pnp.dim()
    }
    fn structure(&self) -> Structure {
        self.pnp.structure()
    }
    fn residual(&mut self, x: &[f64], r: &mut [f64]) {
        let t0 = Instant::now();
        self.pnp.residual(x, r);
        self.clock(t0);
    }
    fn jacobian(&mut self, x: &[f64], jac: &mut dyn MatrixSink, r: &mut [f64]) {
        let t0 = Instant::now();
        self.pnp.jacobian(x, jac, r);
        self.clock(t0);
    }
    fn atol(&self, i: usize) -> f64 {
        self.pnp.atol(i)
    }
    fn limit_step(&self, x: &[f64], dx: &mut [f64]) {
        self.pnp.limit_step(x, dx);
    }
}

impl Homotopy for Timed<'_> {
    fn set_lambda(&mut self, lambda: f64) {
        self.pnp.set_lambda(lambda);
    }
}

// TODO(#9): at 2.5e5 cells (`fluxion bench --pnp --pnp-scales 9`, session 9) a cold solve
// takes 6.3-10.6 s on the VM; of it the Poisson-Boltzmann guess 1.3-1.8 s (three scalar
// factorizations and the ohmic solve) and 11 of the 13 Newton iterations are chord steps
// at contraction ~0.2. Left: residuals without flux derivatives, the first touch of the
// factors' memory (the first solve in a process is the slowest).

/// Newton iterations allowed to the direct attempt from the flat initial guess before
/// continuation takes over.
const DIRECT_ITERATIONS: usize = 40;

/// Smallest damping of the direct attempt. A step that must be damped further is where
/// continuation is the cheaper road: on the charged nanopore of `fluxion bench --pnp` the
/// flat guess fails at every damping down to 1/1024, and each halving costs a residual and
/// a triangular solve.
const DIRECT_MIN_DAMPING: f64 = 1.0 / 16.0;

/// The continuation of the PNP steady solve: first step 0.1, up to the whole remaining
/// interval, secant predictor, intermediate members to `rtol = 1e-3`. On the charged
/// nanopore of `fluxion bench --pnp` (4.1k cells) this took 14 Newton iterations where the
/// plain continuation (first step 0.05, steps up to 0.5, each member to full tolerance) took
/// 28, to the same current (`docs/bench-fields.md`, "PNP on (r, z) meshes").
fn continuation_options() -> ContinuationOptions {
    let plain = ContinuationOptions::default();
    ContinuationOptions {
        initial_step: 0.1,
        max_step: 1.0,
        predictor: true,
        intermediate_rtol: Some(1e-3),
        newton: NewtonOptions {
            jacobian_reuse: JACOBIAN_REUSE,
            ..plain.newton
        },
        ..plain
    }
}

/// The contraction below which Newton keeps the factors of a Jacobian
/// ([`NewtonOptions::jacobian_reuse`]).
const JACOBIAN_REUSE: f64 = 0.25;

/// The charged species of an electroneutral steady state that has no reference for its
/// potential, or `None` when it has one. With no patch potential the potential is
/// referenced by the composition of a patch that fixes every charged species (the gauge of
/// `pnp_closure::gauge_node`); without such a patch the neutrality rows leave the steady
/// problem singular (a transient is still determined by its initial state). Used by the
/// steady solve and by `scenario::pnp`, each with its own wording of the fix.
pub fn unreferenced_charged_species(
    species: &[Species],
    patches: &[PatchConditions],
) -> Option<Vec<usize>> {
    let charged: Vec<usize> = (0..species.len())
        .filter(|&k| species[k].charge != 0.0)
        .collect();
    let any_potential = patches
        .iter()
        .any(|c| matches!(c.potential, PotentialCondition::Potential(_)));
    let reference = patches.iter().any(|c| {
        charged
            .iter()
            .all(|&k| matches!(c.species[k], SpeciesCondition::Concentration(_)))
    });
    (!charged.is_empty() && !any_potential && !reference).then_some(charged)
}

/// Why a steady state of `pnp` is not determined, if it is not
/// ([`unreferenced_charged_species`] under the electroneutral closure).
fn undetermined(pnp: &Pnp) -> Option<String> {
    let p = &pnp.problem;
    if pnp.closure != Closure::Electroneutral {
        return None;
    }
    let charged = unreferenced_charged_species(&p.species, &p.patches)?;
    let names: Vec<String> = charged
        .iter()
        .map(|&k| format!("\"{}\"", p.species[k].name))
        .collect();
    Some(format!(
        "a steady electroneutral state with no patch potential needs one patch that fixes the \
         concentrations of all charged species (the reference of the potential), and no patch \
         does: give one patch SpeciesCondition::Concentration for each of {} (with sum z c = 0), \
         or a patch PotentialCondition::Potential, or solve the transient",
        names.join(", ")
    ))
}

/// One steady solve of `pnp` with the workspace `ws` (whose solver is timed through `t`).
/// `warm`: the conditions of the converged state in `x`; `None`: a cold start.
fn steady(
    pnp: &mut Pnp,
    ws: &mut NewtonWorkspace,
    x: &mut Vec<f64>,
    warm: Option<Scaled>,
    t: &Arc<Mutex<Timings>>,
    progress: &mut dyn Progress,
) -> Result<(usize, usize, bool), PnpError> {
    if let Some(why) = undetermined(pnp) {
        return Err(PnpError::Invalid(why));
    }
    let mut sys = Timed { pnp, t: t.clone() };
    let opts = NewtonOptions {
        max_iterations: DIRECT_ITERATIONS,
        min_damping: DIRECT_MIN_DAMPING,
        jacobian_reuse: JACOBIAN_REUSE,
        ..Default::default()
    };
    let mut iterations = 0;
    let warm_start = warm.is_some();
    // A cold start with charged walls or regions starts from the Poisson-Boltzmann
    // equilibrium of the charged base and continues from that member if it must
    // (`pnp_equilibrium`); otherwise from the flat guess and the standard base.
    let equilibrium = if warm_start {
        None
    } else {
        let t0 = Instant::now();
        let g = sys.pnp.equilibrium(ws.solver.group_order());
        t.lock().expect("timings").equilibrium += t0.elapsed().as_secs_f64();
        g
    };
    if let Some(w) = warm {
        sys.pnp.base = w;
    } else if equilibrium.is_some() {
        sys.pnp.base = sys.pnp.charged_base();
    } else {
        sys.pnp.base = Pnp::base(&sys.pnp.target, sys.pnp.m);
    }
    sys.set_lambda(1.0);
    // The direct attempt starts with the bias applied to the guess, the continuation from
    // the charged base without it.
    let cold_guess = |pnp: &Pnp, bias: bool| match &equilibrium {
        Some(g) => pnp.equilibrium_state(g, bias),
        None => pnp.initial_guess(),
    };
    if !warm_start {
        *x = cold_guess(sys.pnp, true);
    }
    let saved = x.clone();
    let outcome = match newton(&mut sys, x, ws, &opts) {
        Ok(s) => {
            iterations += s.iterations;
            Ok((iterations, 0, false))
        }
        Err(e) => {
            iterations += e.iterations;
            sys.set_lambda(0.0);
            if warm_start {
                x.copy_from_slice(&saved);
            } else {
                *x = cold_guess(sys.pnp, false);
            }
            let copts = continuation_options();
            match continuation(&mut sys, x, ws, &copts, progress) {
                Ok((s, steps)) => Ok((iterations + s.iterations, steps, true)),
                Err(e) => Err(PnpError::NotConverged(e.to_string())),
            }
        }
    };
    // Leave the model at its target with the standard continuation base.
    sys.pnp.base = Pnp::base(&sys.pnp.target, sys.pnp.m);
    sys.set_lambda(1.0);
    outcome
}

fn timed_workspace(pnp: &Pnp) -> Result<(NewtonWorkspace, Arc<Mutex<Timings>>), PnpError> {
    let mut ws = NewtonWorkspace::new(&pnp.structure(), pnp.problem.solver)
        .map_err(|e| PnpError::Invalid(e.to_string()))?;
    let t = Arc::new(Mutex::new(Timings::default()));
    let inner = std::mem::replace(
        &mut ws.solver,
        Box::new(crate::solve::linear::BandedLu::new(1, 0, 0)),
    );
    ws.solver = Box::new(TimedSolver {
        inner,
        t: t.clone(),
    });
    Ok((ws, t))
}

fn stats(
    t: &Arc<Mutex<Timings>>,
    unknowns: usize,
    iterations: usize,
    steps: usize,
    start: Instant,
) -> SteadyStats {
    let mut t = t.lock().expect("timings");
    let s = SteadyStats {
        unknowns,
        newton_iterations: iterations,
        factorizations: t.factorizations,
        solves: t.solves,
        continuation_steps: steps,
        assembly_s: t.assembly,
        factor_s: t.factor,
        solve_s: t.solve,
        equilibrium_s: t.equilibrium,
        total_s: start.elapsed().as_secs_f64(),
    };
    *t = Timings::default();
    s
}

impl Pnp {
    /// Solve for the steady state from the cold guess ([`Pnp::solve_steady`]) and report its
    /// cost.
    pub fn solve_steady_timed(
        &mut self,
        progress: &mut dyn Progress,
    ) -> Result<(PnpSolution, SteadyStats), PnpError> {
        let start = Instant::now();
        let (mut ws, t) = timed_workspace(self)?;
        let mut x = Vec::new();
        let (it, steps, cont) = steady(self, &mut ws, &mut x, None, &t, progress)?;
        let sol = self.solution(&x, it, cont, ws.solver.name());
        Ok((sol, stats(&t, x.len(), it, steps, start)))
    }

    /// The steady solve behind [`Pnp::solve_steady`].
    pub(super) fn solve_steady_cold(
        &mut self,
        progress: &mut dyn Progress,
    ) -> Result<PnpSolution, PnpError> {
        self.solve_steady_timed(progress).map(|(s, _)| s)
    }
}

/// A [`Pnp`] model with its Newton workspace and last converged state, for a sequence of
/// steady solves that differ in one patch potential (an I-V sweep): each solve starts from
/// the previous state (see the module docs).
pub struct SteadySolver {
    pnp: Pnp,
    ws: NewtonWorkspace,
    t: Arc<Mutex<Timings>>,
    x: Vec<f64>,
    /// Conditions of the converged state in `x`, if any.
    solved: Option<Scaled>,
}

impl std::fmt::Debug for SteadySolver {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SteadySolver")
            .field("unknowns", &self.x.len())
            .field("warm", &self.solved.is_some())
            .finish()
    }
}

impl SteadySolver {
    /// Wrap a model (no state yet: the first solve is cold).
    pub fn new(pnp: Pnp) -> Result<Self, PnpError> {
        let (ws, t) = timed_workspace(&pnp)?;
        Ok(SteadySolver {
            pnp,
            ws,
            t,
            x: Vec::new(),
            solved: None,
        })
    }

    /// Set the potential of patch `patch` to `volts` (V). The patch must already have a
    /// fixed potential (the Dirichlet rows stay where they are). Under the fixed-field
    /// closure without a given potential the Laplace field of the patch potentials is
    /// solved again.
    pub fn set_patch_potential(&mut self, patch: usize, volts: f64) -> Result<(), PnpError> {
        let p = &mut self.pnp.problem;
        let name = p
            .mesh
            .patches()
            .get(patch)
            .map(|q| q.name.clone())
            .ok_or_else(|| PnpError::Invalid(format!("no patch {patch}")))?;
        if !matches!(p.patches[patch].potential, PotentialCondition::Potential(_)) {
            return Err(PnpError::Invalid(format!(
                "patch {name} has no fixed potential: a sweep needs a patch with potential = <V>"
            )));
        }
        if !volts.is_finite() {
            return Err(PnpError::Invalid(format!(
                "patch {name}: potential {volts} V must be finite"
            )));
        }
        p.patches[patch].potential = PotentialCondition::Potential(volts);
        let smesh = self.pnp.asm().mesh().clone();
        let target = Pnp::scaled(
            &self.pnp.problem,
            &smesh,
            self.pnp.c0,
            self.pnp.vt,
            self.pnp.length,
        );
        self.pnp.target = target;
        if self.pnp.closure == Closure::FixedField && self.pnp.problem.fixed_potential.is_none() {
            // The field is the Laplace solution of the patch potentials: solve it again.
            let phi = crate::models::pnp_closure::laplace_of_patches(
                &self.pnp.problem,
                &smesh,
                &self.pnp.conductance,
                self.pnp.vt,
            )?;
            self.pnp.phi_given = Some(phi);
        }
        Ok(())
    }

    /// Solve for the steady state at the current conditions, from the last converged state
    /// when there is one.
    pub fn solve(
        &mut self,
        progress: &mut dyn Progress,
    ) -> Result<(PnpSolution, SteadyStats), PnpError> {
        let start = Instant::now();
        let warm = self.solved.take();
        let was_warm = warm.is_some();
        let mut r = steady(
            &mut self.pnp,
            &mut self.ws,
            &mut self.x,
            warm,
            &self.t,
            progress,
        );
        if r.is_err() && was_warm {
            // The old state led nowhere: start afresh.
            r = steady(
                &mut self.pnp,
                &mut self.ws,
                &mut self.x,
                None,
                &self.t,
                progress,
            );
        }
        let (it, steps, cont) = r?;
        self.solved = Some(self.pnp.bc.clone());
        let sol = self.pnp.solution(&self.x, it, cont, self.ws.solver.name());
        Ok((sol, stats(&self.t, self.x.len(), it, steps, start)))
    }
}

#[cfg(test)]
mod tests {
    use super::super::{Medium, PatchConditions, PnpProblem, SpeciesCondition};
    use super::*;
    use crate::discretize::Scheme;
    use crate::mesh::{Geometry, Grid, Mesh, Spacing};
    use crate::models::electrodiffusion::Species;
    use crate::solve::SolverChoice;
    use std::sync::Arc;

    /// A charged membrane (fixed charge -50 mM) between 100 mM and 10 mM NaCl reservoirs,
    /// the right one at `v`: Donnan layers at both faces, a diffusion potential inside.
    fn membrane(v: f64) -> PnpProblem {
        let grid = Grid::new(
            Geometry::Planar,
            0.0,
            1e-6,
            301,
            Spacing::Refined {
                left: true,
                right: true,
                min_spacing: 0.05e-9,
            },
        )
        .unwrap();
        let res = |c: f64, v: f64| PatchConditions {
            species: vec![SpeciesCondition::Concentration(c); 2],
            potential: PotentialCondition::Potential(v),
        };
        PnpProblem {
            mesh: Arc::new(Mesh::from_grid(&grid)),
            species: [("Na+", 1.0, 1.33e-9), ("Cl-", -1.0, 2.03e-9)]
                .iter()
                .map(|&(n, z, d)| Species {
                    name: n.into(),
                    charge: z,
                    diffusivity: d,
                })
                .collect(),
            temperature: 298.15,
            media: vec![Medium {
                permittivity: 78.5,
                fixed_charge: -50.0,
                diffusivity_factor: vec![Some(1.0); 2],
            }],
            patches: vec![res(100.0, 0.0), res(10.0, v)],
            scheme: Scheme::ScharfetterGummel,
            solver: SolverChoice::Auto,
            fixed_potential: None,
        }
    }

    /// A warm-started sweep reaches the states of independent cold solves (the same
    /// discrete equations, so the currents and potentials agree to Newton's tolerance) in
    /// fewer Newton iterations, and the reported cost adds up.
    #[test]
    fn warm_sweep_matches_cold_solves_with_fewer_iterations() {
        let volts = [0.05, 0.1, 0.15, 0.0, -0.1];
        let mut sv = SteadySolver::new(Pnp::new(membrane(volts[0])).unwrap()).unwrap();
        let (mut warm_it, mut cold_it) = (0, 0);
        for (j, &v) in volts.iter().enumerate() {
            if j > 0 {
                sv.set_patch_potential(1, v).unwrap();
            }
            let (w, st) = sv.solve(&mut ()).unwrap();
            let (c, cs) = Pnp::new(membrane(v))
                .unwrap()
                .solve_steady_timed(&mut ())
                .unwrap();
            assert_eq!(st.newton_iterations, w.newton_iterations);
            assert!(st.factorizations <= st.newton_iterations, "{st:?}");
            assert!(st.factor_s <= st.total_s && st.assembly_s <= st.total_s);
            assert_eq!(cs.unknowns, 3 * 301);
            if j > 0 {
                warm_it += st.newton_iterations;
                cold_it += cs.newton_iterations;
            }
            let (iw, ic) = (w.patches[1].current, c.patches[1].current);
            assert!(
                (iw - ic).abs() <= 1e-8 * ic.abs().max(1e-3),
                "{v} V: warm {iw:e}, cold {ic:e}"
            );
            for (a, b) in w.potential.iter().zip(&c.potential) {
                assert!((a - b).abs() < 1e-9, "{v} V: {a} vs {b}");
            }
        }
        assert!(warm_it < cold_it, "warm {warm_it}, cold {cold_it}");
    }

    /// The swept patch must already have a fixed potential.
    #[test]
    fn sweeping_a_patch_without_a_potential_is_refused() {
        let mut p = membrane(0.1);
        p.patches[1].potential = PotentialCondition::SurfaceCharge(0.0);
        p.patches[0].potential = PotentialCondition::Potential(0.0);
        let mut sv = SteadySolver::new(Pnp::new(p).unwrap()).unwrap();
        let e = sv.set_patch_potential(1, 0.2).unwrap_err().to_string();
        assert!(e.contains("no fixed potential"), "{e}");
        assert!(sv.set_patch_potential(7, 0.2).is_err());
        assert!(sv.set_patch_potential(0, f64::NAN).is_err());
    }

    /// A steady electroneutral solve with no patch potential and no patch fixing both ions
    /// is refused with the fix (it used to stop at a singular Jacobian), by the cold solve
    /// and by the sweep solver; a reservoir fixing both lifts the refusal.
    #[test]
    fn an_undetermined_electroneutral_steady_state_is_refused() {
        let mut p = membrane(0.0);
        p.media[0].fixed_charge = 0.0;
        for c in p.patches.iter_mut() {
            c.potential = PotentialCondition::Natural;
        }
        // Na+ fixed on the left only, Cl- on the right only.
        p.patches[0].species[1] = SpeciesCondition::Flux(0.0);
        p.patches[1].species[0] = SpeciesCondition::Flux(0.0);
        let mut m = Pnp::with_closure(p.clone(), Closure::Electroneutral).unwrap();
        let e = m.solve_steady_timed(&mut ()).unwrap_err().to_string();
        assert!(
            e.contains("\"Na+\", \"Cl-\"") && e.contains("no patch"),
            "{e}"
        );
        assert!(e.contains("PotentialCondition::Potential"), "{e}");
        let mut sv =
            SteadySolver::new(Pnp::with_closure(p.clone(), Closure::Electroneutral).unwrap())
                .unwrap();
        assert!(sv.solve(&mut ()).is_err());
        p.patches[1].species[0] = SpeciesCondition::Concentration(10.0);
        let m = Pnp::with_closure(p, Closure::Electroneutral).unwrap();
        assert!(undetermined(&m).is_none());
    }
}
