//! Transients of Poisson-Nernst-Planck on any mesh: [`Pnp`] as a [`DaeSystem`]
//!
//! ```text
//! V_K dc_{k,K}/dt + sum_faces J_k + boundary flows = 0          (species balances)
//! poisson / electroneutral / fixed_field rows                     (algebraic, no storage)
//! ```
//!
//! integrated by the variable-order BDF [`crate::solve::BdfStepper`] in the scaled time
//! `t D_0 / L^2`, the same scheme and tolerances as the 1D model's transients
//! ([`super::electrodiffusion::Electrodiffusion::solve_transient`]). `V_K` is the part of
//! the control volume in regions the species may enter, so the amount `sum_K V_K c_K`
//! changes only by the flows through the patches.
//!
//! The initial state is consistent: fixed concentrations and potentials take their patch
//! values, and under the Poisson closure the potential solves Poisson's equation for the
//! initial charge (Newton with the conserved concentrations held), so no spurious
//! displacement current flows at `t = 0+`.
//!
//! Currents: the conduction current `F sum_k z_k flow_k` out of every patch, and under
//! Poisson the displacement current `d/dt` of the outward electric displacement through
//! the patch faces where the potential is fixed (`-d R_phi/dt` of the raw potential
//! balance `R_phi = sum_faces lambda^2 T (phi_K - phi_L) - V (sum z c + X)` of those nodes,
//! Gauss's law on their control volumes). Their sum over all patches vanishes (the total
//! current is continuous), and the conduction currents alone balance the rate of change of
//! the charge in the domain, `sum_patches I_cond + dQ/dt = 0`.

use super::electrodiffusion::terms::{FaceTable, PoissonFlux, SpaceCharge};
use super::electrodiffusion::TransientOptions;
use super::pnp::{Closure, Pnp, PnpError};
use crate::assembly::{Assembler, FluxLaw, RowRule, RowRules, Terms, VolumeTerm};
use crate::constants::FARADAY;
use crate::solve::{
    newton, BdfOptions, BdfStats, BdfStepper, DaeSystem, MatrixSink, NewtonOptions,
    NewtonWorkspace, NonlinearSystem, Progress, Structure,
};

/// The fields at one output time.
#[derive(Clone, Debug)]
pub struct PnpSnapshot {
    /// Time, s.
    pub time: f64,
    /// Concentrations `[species][node]`, mol/m^3 (NaN where the species is absent).
    pub concentration: Vec<Vec<f64>>,
    /// Potential per node, V.
    pub potential: Vec<f64>,
}

/// Time series at every accepted step (and `t = 0`).
#[derive(Clone, Debug, Default)]
pub struct PnpSeries {
    /// Times, s.
    pub time: Vec<f64>,
    /// Outward conduction current `F sum_k z_k flow_k` per patch, A (`[step][patch]`).
    pub conduction: Vec<Vec<f64>>,
    /// Outward displacement current per patch (Poisson closure), A.
    pub displacement: Vec<Vec<f64>>,
    /// Outward flow per patch and species, mol/s (`[step][patch * species + k]`).
    pub flow: Vec<Vec<f64>>,
    /// Charge in the domain (mobile ions and fixed charge), C.
    pub charge: Vec<f64>,
    /// Its rate of change (the BDF derivative), A.
    pub charge_rate: Vec<f64>,
    /// Amount of every species in the domain, mol (`[step][species]`).
    pub amount: Vec<Vec<f64>>,
}

/// A transient solution.
#[derive(Clone, Debug)]
pub struct PnpTransientSolution {
    /// Fields at the requested output times.
    pub snapshots: Vec<PnpSnapshot>,
    /// Currents and amounts at every step.
    pub series: PnpSeries,
    /// Stepper statistics.
    pub stats: BdfStats,
    /// Linear solver used.
    pub solver: &'static str,
}

/// Buffers of the per-step post-processing, allocated once.
struct Work {
    raw_asm: Assembler,
    disp_asm: Option<Assembler>,
    raw: Vec<f64>,
    disp: Vec<f64>,
    flows: Vec<f64>,
    cond: Vec<f64>,
    dcur: Vec<f64>,
    mass: Vec<f64>,
}

impl Pnp {
    /// Storage volume (scaled) of species `k` at `node`: the part of the control volume in
    /// regions the species may enter.
    fn storage(&self, node: usize, k: usize) -> f64 {
        let media = &self.problem.media;
        self.asm().mesh().volume_integral(node, |r| {
            media[r as usize].diffusivity_factor[k].map(|_| 1.0)
        })
    }

    /// The scaled state of the concentrations `initial[species][node]` (mol/m^3; values
    /// where a species is absent are ignored), made consistent (see the module docs).
    pub fn initial_state(&mut self, initial: &[Vec<f64>]) -> Result<Vec<f64>, PnpError> {
        let n = self.asm().mesh().nodes();
        if initial.len() != self.m || initial.iter().any(|c| c.len() != n) {
            return Err(PnpError::Invalid(format!(
                "initial concentrations: give {} species x {n} nodes",
                self.m
            )));
        }
        self.set_lambda(1.0);
        let dofs = self.asm().dofs().clone();
        let mut x = vec![0.0; dofs.len()];
        for i in 0..n {
            for k in 0..self.m {
                if let Some(d) = dofs.dof(i, k) {
                    let c = initial[k][i];
                    if !(c >= 0.0 && c.is_finite()) {
                        return Err(PnpError::Invalid(format!(
                            "initial concentration of {} at node {i} is {c} mol/m^3: it must be zero or positive",
                            self.problem.species[k].name
                        )));
                    }
                    x[d] = self.dirichlet_value(i, k).unwrap_or(c / self.c0);
                }
            }
        }
        // The potential: given (fixed field), else the Laplace solution of the patch
        // potentials as the start.
        let mesh = self.asm().mesh().clone();
        let phi = match self.closure {
            Closure::FixedField => (0..n)
                .map(|i| self.dirichlet_value(i, self.m).expect("a given potential"))
                .collect(),
            _ => super::pnp_closure::laplace_potential(
                &mesh,
                &self.conductance,
                &self.dirichlet,
                self.m,
                |pf| self.patch_potential(pf),
                self.problem.solver,
            )?,
        };
        for (i, p) in phi.iter().enumerate() {
            if let Some(d) = dofs.dof(i, self.m) {
                x[d] = *p;
            }
        }
        if self.closure == Closure::Poisson {
            let held: Vec<bool> = (0..dofs.len())
                .map(|d| {
                    let (i, a) = dofs.locate(d);
                    a < self.m && *self.asm().rows().rule(i, a) == RowRule::Balance
                })
                .collect();
            let structure = NonlinearSystem::structure(self);
            let mut sys = Held {
                model: self,
                x0: x.clone(),
                held,
            };
            let mut ws = NewtonWorkspace::new(&structure, sys.model.problem.solver)
                .map_err(|e| PnpError::Invalid(e.to_string()))?;
            let mut trial = x.clone();
            // On failure the first step resolves the potential (as in 1D).
            if newton(&mut sys, &mut trial, &mut ws, &NewtonOptions::default()).is_ok() {
                x = trial;
            }
        }
        Ok(x)
    }

    /// Integrate in time from the concentrations `initial[species][node]` (mol/m^3),
    /// recording the currents at every step and the fields at `opts.output_times` (s).
    pub fn solve_transient(
        &mut self,
        initial: &[Vec<f64>],
        opts: &TransientOptions,
        progress: &mut dyn Progress,
    ) -> Result<PnpTransientSolution, PnpError> {
        let x0 = self.initial_state(initial)?;
        let ts = self.length * self.length / self.d0;
        let bdf = BdfOptions {
            rtol: opts.rtol,
            initial_step: opts.initial_step / ts,
            max_step: opts.max_step / ts,
            newton: opts.newton,
            solver: self.problem.solver,
            ..BdfOptions::default()
        };
        let mut stepper =
            BdfStepper::new(&*self, 0.0, &x0, bdf).map_err(|e| PnpError::Invalid(e.to_string()))?;
        let mut work = self.work(stepper.mass().to_vec());
        let mut series = PnpSeries::default();
        let mut xdot = vec![0.0; x0.len()];
        self.series_point(0.0, &x0, &xdot, &mut work, &mut series);
        let mut outputs: Vec<f64> = opts.output_times.clone();
        outputs.retain(|t| *t > 0.0 && *t <= opts.end_time);
        outputs.sort_by(|a, b| a.total_cmp(b));
        outputs.dedup();
        let mut snapshots = Vec::new();
        if opts.output_times.contains(&0.0) {
            snapshots.push(self.snapshot(0.0, &x0));
        }
        let t_end = opts.end_time / ts;
        let mut next_out = 0;
        while stepper.time() < t_end * (1.0 - 1e-14) {
            let stop = outputs
                .get(next_out)
                .map(|t| t / ts)
                .unwrap_or(t_end)
                .min(t_end);
            let out = stepper.step(self, stop).map_err(|e| {
                PnpError::TransientFailed(format!(
                    "time step {:.3e} s at t = {:.6e} s{}",
                    e.h * ts,
                    e.t * ts,
                    e.newton
                        .map(|n| format!(" (Newton: {})", n.reason))
                        .unwrap_or_default()
                ))
            })?;
            stepper.derivative(&mut xdot);
            let t = out.t * ts;
            self.series_point(t, stepper.state(), &xdot, &mut work, &mut series);
            progress.update(t / opts.end_time, "time stepping");
            if next_out < outputs.len() && (out.t - stop).abs() <= 1e-12 * stop.max(1e-300) {
                snapshots.push(self.snapshot(outputs[next_out], stepper.state()));
                next_out += 1;
            }
        }
        Ok(PnpTransientSolution {
            snapshots,
            series,
            stats: stepper.stats,
            solver: opts_solver_name(self),
        })
    }

    fn work(&self, mass: Vec<f64>) -> Work {
        let a = self.asm();
        let (mesh, dofs) = (a.mesh().clone(), a.dofs().clone());
        let (n, nv) = (mesh.nodes(), self.m + 1);
        let raw_asm = self.with_terms(|t| {
            Assembler::new(
                mesh.clone(),
                dofs.clone(),
                RowRules::balances(n, nv),
                t,
                false,
            )
        });
        let disp_asm = (self.closure == Closure::Poisson).then(|| {
            let (po, sc) = self.charge_terms();
            let flux: [&dyn FluxLaw; 1] = [&po];
            let vol: [&dyn VolumeTerm; 1] = [&sc];
            let t = Terms {
                flux: &flux,
                volume: &vol,
                boundary: &[],
                equation: None,
            };
            Assembler::new(
                mesh.clone(),
                dofs.clone(),
                RowRules::balances(n, nv),
                &t,
                false,
            )
        });
        let np = mesh.patches().len();
        Work {
            raw_asm,
            disp_asm,
            raw: vec![0.0; dofs.len()],
            disp: vec![0.0; dofs.len()],
            flows: vec![0.0; np * self.m],
            cond: vec![0.0; np],
            dcur: vec![0.0; np],
            mass,
        }
    }

    fn charge_terms(&self) -> (PoissonFlux<'_>, SpaceCharge<'_>) {
        (
            PoissonFlux {
                conductance: FaceTable::Full(&self.conductance),
                phi: self.m,
            },
            SpaceCharge {
                volume: &self.volume,
                z: &self.z,
            },
        )
    }

    /// Currents, charge and amounts of the state `x` with BDF derivative `xdot` (scaled).
    fn series_point(&self, t: f64, x: &[f64], xdot: &[f64], w: &mut Work, s: &mut PnpSeries) {
        let (m, nv) = (self.m, self.m + 1);
        let a = self.asm();
        let (mesh, dofs) = (a.mesh(), a.dofs());
        self.with_terms(|terms| w.raw_asm.assemble(terms, x, &mut w.raw, None));
        if let Some(da) = w.disp_asm.as_mut() {
            let (po, sc) = self.charge_terms();
            let flux: [&dyn FluxLaw; 1] = [&po];
            let vol: [&dyn VolumeTerm; 1] = [&sc];
            let terms = Terms {
                flux: &flux,
                volume: &vol,
                boundary: &[],
                equation: None,
            };
            da.assemble(&terms, xdot, &mut w.disp, None);
        }
        let flow_scale = self.d0 * self.c0 / self.length * self.area;
        let ts = self.length * self.length / self.d0;
        w.flows.fill(0.0);
        w.dcur.fill(0.0);
        for (i, pf) in mesh.patch_faces().iter().enumerate() {
            let node = pf.node as usize;
            let p = pf.patch as usize;
            for k in 0..m {
                if self.dirichlet[node * nv + k] == Some(i as u32) {
                    if let Some(d) = dofs.dof(node, k) {
                        w.flows[p * m + k] -= w.raw[d] * flow_scale;
                    }
                } else if self.dirichlet[node * nv + k].is_none() && dofs.has(node, k) {
                    w.flows[p * m + k] += self.given_flux(i, k) * pf.area * flow_scale;
                }
            }
            if w.disp_asm.is_some() && self.dirichlet[node * nv + m] == Some(i as u32) {
                if let Some(d) = dofs.dof(node, m) {
                    w.dcur[p] -= FARADAY * flow_scale * w.disp[d];
                }
            }
        }
        for (p, c) in w.cond.iter_mut().enumerate() {
            *c = FARADAY * (0..m).map(|k| self.z[k] * w.flows[p * m + k]).sum::<f64>();
        }
        // Amounts and charge: sum over dofs of storage x c.
        let amount_scale = self.c0 * self.area * self.length;
        let mut amount = vec![0.0; m];
        let (mut q, mut qdot) = (0.0, 0.0);
        for d in 0..dofs.len() {
            let (_, k) = dofs.locate(d);
            if k < m {
                let v = if w.mass[d] != 0.0 {
                    w.mass[d]
                } else {
                    // Dirichlet rows carry no mass: their storage volume still holds ions.
                    let (i, _) = dofs.locate(d);
                    self.storage(i, k)
                };
                amount[k] += v * x[d] * amount_scale;
                q += self.z[k] * v * x[d];
                qdot += self.z[k] * w.mass[d] * xdot[d];
            }
        }
        let fixed: f64 = self.fixed_volume_charge.iter().sum();
        s.time.push(t);
        s.conduction.push(w.cond.clone());
        s.displacement.push(w.dcur.clone());
        s.flow.push(w.flows.clone());
        s.charge.push(FARADAY * amount_scale * (q + fixed));
        s.charge_rate.push(FARADAY * amount_scale * qdot / ts);
        s.amount.push(amount);
        let _ = mesh;
    }

    fn snapshot(&self, time: f64, x: &[f64]) -> PnpSnapshot {
        let dofs = self.asm().dofs();
        let n = dofs.nodes();
        PnpSnapshot {
            time,
            concentration: (0..self.m)
                .map(|k| {
                    (0..n)
                        .map(|i| dofs.dof(i, k).map_or(f64::NAN, |d| x[d] * self.c0))
                        .collect()
                })
                .collect(),
            potential: (0..n)
                .map(|i| x[dofs.dof(i, self.m).expect("the potential lives everywhere")] * self.vt)
                .collect(),
        }
    }
}

fn opts_solver_name(p: &Pnp) -> &'static str {
    match NewtonWorkspace::new(&NonlinearSystem::structure(p), p.problem.solver) {
        Ok(ws) => ws.solver.name(),
        Err(_) => "?",
    }
}

/// The steady equations with every conserved concentration held at its initial value: the
/// algebraic part of the DAE, solved for the potential.
struct Held<'a> {
    model: &'a mut Pnp,
    x0: Vec<f64>,
    held: Vec<bool>,
}

impl NonlinearSystem for Held<'_> {
    fn dim(&self) -> usize {
        self.x0.len()
    }
    fn structure(&self) -> Structure {
        NonlinearSystem::structure(&*self.model)
    }
    fn residual(&mut self, x: &[f64], r: &mut [f64]) {
        self.model.assemble_into(x, r, None, false);
        for i in 0..r.len() {
            if self.held[i] {
                r[i] = x[i] - self.x0[i];
            }
        }
    }
    fn jacobian(&mut self, x: &[f64], jac: &mut dyn MatrixSink, r: &mut [f64]) {
        self.model.assemble_into(x, r, Some(jac), false);
        for i in 0..r.len() {
            if self.held[i] {
                r[i] = x[i] - self.x0[i];
                jac.zero_row(i);
                jac.add(i, i, 1.0);
            }
        }
    }
    fn atol(&self, i: usize) -> f64 {
        NonlinearSystem::atol(&*self.model, i)
    }
}

impl DaeSystem for Pnp {
    fn dim(&self) -> usize {
        self.asm().dofs().len()
    }
    fn structure(&self) -> Structure {
        NonlinearSystem::structure(self)
    }
    fn mass(&self, mass: &mut [f64]) {
        let m = self.m;
        self.asm()
            .mass(|i, a| if a < m { self.storage(i, a) } else { 0.0 }, mass);
    }
    fn rhs(&mut self, _t: f64, x: &[f64], f: &mut [f64]) {
        self.assemble_into(x, f, None, false);
    }
    fn rhs_jacobian(&mut self, _t: f64, x: &[f64], jac: &mut dyn MatrixSink, f: &mut [f64]) {
        self.assemble_into(x, f, Some(jac), false);
    }
    fn atol(&self, i: usize) -> f64 {
        // As the 1D model's transients: 1e-9 c_0 and 1e-6 V_T (under electroneutrality the
        // potential is an index-2 variable whose corrections carry round-off / h).
        let (_, a) = self.asm().dofs().locate(i);
        if a < self.m {
            1e-9
        } else {
            1e-6
        }
    }
    fn limit_step(&self, x: &[f64], dx: &mut [f64]) {
        NonlinearSystem::limit_step(self, x, dx)
    }
}

#[cfg(test)]
#[path = "pnp_transient_tests.rs"]
mod tests;
