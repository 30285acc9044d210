//! `fluxion bench --pnp`: steady axisymmetric PNP in a charged conical nanopore on growing
//! Delaunay-Voronoi (r, z) meshes.
//!
//! The problem is that of `validation/tests/nanopore.rs`: a cone of 10 nm tip radius,
//! 100 nm base radius and 1 um length through a membrane (left out of the mesh, its pore
//! wall a patch with surface charge -0.02 C/m^2), reservoirs of radius and depth 0.3 um
//! with 10 mM KCl (D = 2e-9 m^2/s), the tip reservoir at +0.5 V (`--pnp-volts`), the base one grounded,
//! Scharfetter-Gummel fluxes, the sparse LU. Mesh `s` of `--pnp-scales` has edge length
//! `2.5 nm / s` at the wall and the tip growing by `0.4 / s` times the distance, so the
//! cell count grows like `s^2` (4.1k cells at `s = 1`).
//!
//! Per mesh: cells (Voronoi control volumes = nodes), unknowns, Newton iterations (with
//! Jacobian reuse, most at kept factors), factorizations, triangular solves, time in
//! assembly, factorization and triangular solves, in the Poisson-Boltzmann initial guess
//! (`pb_s`: its own assembly, factorizations and solves), the total (median of `--repeat` solves
//! with the best and worst), the total per unknown, process CPU time per solve, the
//! current, and the fill of the LU ([`fluxion::solve::linear::fill`]): `L/A`, the
//! partial-pivoting bound of the entries of `L` under COLAMD over those of the Jacobian,
//! and `pp/sym`, the bound of the numeric LU's multiply-adds under COLAMD with partial
//! pivoting over those of diagonal pivots in AMD order. The sanity column `G/G_est` is the
//! same mesh with an uncharged wall in 1 M KCl at 0.1 V: the conductance over the cone's
//! resistance `L/(kappa pi r_t r_b)` in series with Hall's access resistance `1/(4 kappa
//! a)` at each mouth (J. E. Hall, J. Gen. Physiol. 66, 531 (1975)), with kappa from
//! Nernst-Einstein; the estimate is not exact (the test in `nanopore.rs` measures -0.1 ..
//! -0.2 % for a 12 um cone), so this shows the mesh and the solver agree with the ohmic
//! limit.

use std::sync::Arc;
use std::time::Instant;

use fluxion::constants::{FARADAY, GAS_CONSTANT};
use fluxion::discretize::Scheme;
use fluxion::mesh::{delaunay_mesh, ConicalPore, Mesh};
use fluxion::models::electrodiffusion::Species;
use fluxion::models::pnp::{
    Medium, PatchConditions, Pnp, PnpProblem, PotentialCondition, SpeciesCondition, SteadyStats,
};
use fluxion::solve::linear::fill::lu_fill_estimate;
use fluxion::solve::{NonlinearSystem, SolverChoice, Structure};

use crate::cpu::process_cpu_s;
use crate::Failure;

const RT: f64 = 10e-9;
const RB: f64 = 100e-9;
const LEN: f64 = 1e-6;
const RES: f64 = 0.3e-6;

/// The cone of `nanopore.rs` meshed at scale `s`.
fn cone_mesh(s: f64) -> Result<Mesh, Failure> {
    let pore = ConicalPore {
        tip: RT,
        base: RB,
        length: LEN,
        reservoir: RES,
    };
    let (h, growth) = (2.5e-9 / s, 0.4 / s);
    let spec = pore
        .spec(h, h, growth, 2_000_000)
        .ok_or(Failure::Input("degenerate pore outline".into()))?;
    Ok(delaunay_mesh(&spec)
        .map_err(|e| Failure::Input(e.to_string()))?
        .mesh)
}

/// The nanopore problem: `c` mol/m^3 KCl, wall charge `sigma` C/m^2, tip potential `v`.
fn problem(mesh: &Arc<Mesh>, c: f64, d: f64, sigma: f64, v: f64) -> PnpProblem {
    let patches = mesh
        .patches()
        .iter()
        .map(|p| match p.name.as_str() {
            "tip_reservoir" => PatchConditions {
                species: vec![SpeciesCondition::Concentration(c); 2],
                potential: PotentialCondition::Potential(v),
            },
            "base_reservoir" => PatchConditions {
                species: vec![SpeciesCondition::Concentration(c); 2],
                potential: PotentialCondition::Potential(0.0),
            },
            "pore_wall" => PatchConditions {
                potential: PotentialCondition::SurfaceCharge(sigma),
                ..PatchConditions::wall(2)
            },
            _ => PatchConditions::wall(2),
        })
        .collect();
    PnpProblem {
        mesh: mesh.clone(),
        species: ["K+", "Cl-"]
            .iter()
            .zip([1.0, -1.0])
            .map(|(n, z)| Species {
                name: n.to_string(),
                charge: z,
                diffusivity: d,
            })
            .collect(),
        temperature: 298.15,
        media: vec![Medium {
            permittivity: 78.5,
            fixed_charge: 0.0,
            diffusivity_factor: vec![Some(1.0); 2],
        }],
        patches,
        scheme: Scheme::ScharfetterGummel,
        solver: SolverChoice::Auto,
        fixed_potential: None,
    }
}

/// Current into the pore from the tip reservoir, A.
fn current(s: &fluxion::models::pnp::PnpSolution) -> f64 {
    -s.patches
        .iter()
        .find(|p| p.name == "tip_reservoir")
        .map_or(f64::NAN, |p| p.current)
}

fn solve(p: PnpProblem) -> Result<(fluxion::models::pnp::PnpSolution, SteadyStats), Failure> {
    let mut m = Pnp::new(p).map_err(|e| Failure::Input(e.to_string()))?;
    m.solve_steady_timed(&mut ())
        .map_err(|e| Failure::Solver(e.to_string()))
}

/// Run the benchmark on the meshes of `scales`, `repeat` solves each.
pub fn run(scales: &[f64], repeat: usize, volts: f64) -> Result<(), Failure> {
    if !(volts.is_finite() && volts.abs() <= 5.0) {
        return Err(Failure::Input(format!(
            "error: --pnp-volts {volts}: give a potential between -5 and 5 V"
        )));
    }
    if scales.is_empty() || scales.iter().any(|s| !(*s >= 0.25 && *s <= 20.0)) || repeat == 0 {
        return Err(Failure::Input(
            "error: --pnp-scales must be numbers in [0.25, 20] (e.g. 1,2,4,8) and --repeat at least 1"
                .into(),
        ));
    }
    println!(
        "steady axisymmetric PNP, conical nanopore (rt 10 nm, rb 100 nm, L 1 um), 10 mM KCl, \
         sigma -0.02 C/m^2, {volts:+} V; solver auto (multifrontal LU; L/A and pp/sym: the fill of faer's partial-pivoting LU for comparison); times of the median run (best..worst total)"
    );
    println!(
        "{:>5} {:>8} {:>8} {:>7} {:>6} {:>6} {:>6} {:>8} {:>8} {:>8} {:>8} {:>8} {:>15} {:>9} {:>8} {:>12} {:>8} {:>6} {:>6}",
        "scale",
        "cells",
        "unknowns",
        "mesh_s",
        "newton",
        "facts",
        "solves",
        "asm_s",
        "factor_s",
        "solve_s",
        "pb_s",
        "total_s",
        "best..worst_s",
        "us/unkn",
        "cpu_s",
        "I_A",
        "G/G_est",
        "L/A",
        "pp/sym"
    );
    for &s in scales {
        let t0 = Instant::now();
        let mesh = Arc::new(cone_mesh(s)?);
        let mesh_s = t0.elapsed().as_secs_f64();
        let fill = match Pnp::new(problem(&mesh, 10.0, 2e-9, -0.02, volts))
            .map_err(|e| Failure::Input(e.to_string()))?
            .structure()
        {
            Structure::Sparse { pattern, .. } => {
                let f = lu_fill_estimate(&pattern).map_err(|e| Failure::Solver(e.to_string()))?;
                (
                    f.colamd_lu_bound as f64 / f.nnz as f64,
                    f.colamd_flops_bound / f.amd_symmetric_flops,
                )
            }
            _ => (f64::NAN, f64::NAN),
        };
        let mut runs = vec![];
        for _ in 0..repeat {
            let c0 = process_cpu_s();
            let (sol, st) = solve(problem(&mesh, 10.0, 2e-9, -0.02, volts))?;
            runs.push((st, process_cpu_s() - c0, current(&sol)));
        }
        runs.sort_by(|a, b| a.0.total_s.total_cmp(&b.0.total_s));
        let (st, cpu, i) = runs[runs.len() / 2];
        // Sanity: uncharged, 1 M, 0.1 V against the cone + Hall estimate.
        let (c, t, kappa) = (1000.0, 298.15, 11.19);
        let d = kappa * GAS_CONSTANT * t / (FARADAY * FARADAY * 2.0 * c);
        let r_est = LEN / (kappa * std::f64::consts::PI * RT * RB)
            + 1.0 / (4.0 * kappa * RT)
            + 1.0 / (4.0 * kappa * RB);
        let (ohm, _) = solve(problem(&mesh, c, d, 0.0, 0.1))?;
        let g = current(&ohm) / 0.1;
        println!(
            "{:>5} {:>8} {:>8} {:>7.2} {:>6} {:>6} {:>6} {:>8.2} {:>8.2} {:>8.2} {:>8.2} {:>8.2} {:>7.2}..{:<7.2} {:>9.2} {:>8.2} {:>12.5e} {:>8.5} {:>6.1} {:>6.1}",
            s,
            mesh.nodes(),
            st.unknowns,
            mesh_s,
            st.newton_iterations,
            st.factorizations,
            st.solves,
            st.assembly_s,
            st.factor_s,
            st.solve_s,
            st.equilibrium_s,
            st.total_s,
            runs[0].0.total_s,
            runs[runs.len() - 1].0.total_s,
            st.total_s / st.unknowns as f64 * 1e6,
            cpu,
            i,
            g * r_est,
            fill.0,
            fill.1
        );
    }
    Ok(())
}
