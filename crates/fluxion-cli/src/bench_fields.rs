//! `fluxion bench --fields`: static fields on tensor grids with a curved dielectric
//! interface, solved by the engine (tensor mesh with cut edges from [`Regions`], the
//! assembler, and the solver [`SolverChoice::Auto`] picks: multigrid-preconditioned CG on
//! these grids).
//!
//! 1. 2D: the dielectric cylinder of `../shared/peers/fipy_dielectric2d.py` (radius
//!    `a = 0.3`, `eps_in = 10` in `eps_out = 1`, box `[-1, 1]^2`, Dirichlet data from the
//!    exact solution `phi = -E0 x (1 - K a^2 / r^2)`, `K = (eps_in - eps_out)/(eps_in +
//!    eps_out)`, outside). The exact field inside is uniform, `E_in = 2 eps_out/(eps_in +
//!    eps_out) E0` (Jackson, Classical Electrodynamics, 3rd ed., sec. 4.4, its 2D
//!    analogue); as in the FiPy script, `phi = c - E x` is fitted by least squares over the
//!    nodes with `r < a/2` and the relative error of `E` is printed. `N` intervals per side
//!    (`(N + 1)^2` nodes), against FiPy's `N^2` cells of the same width `2/N`. The cut
//!    edges make this first order at the interface, like FiPy's staircase but with about
//!    half its error; the same problem on the Delaunay-Voronoi mesh of `mesh/voronoi.rs`
//!    (the circle made of triangle edges, `N` edges per radius there, growing away from
//!    it, outer size `4 a/N`) is second order.
//! 2. 3D: the dielectric sphere in a uniform field (`eps_in = 10`, `eps_out = 1`, radius
//!    `0.3` in `[-1, 1]^3`, Dirichlet data `phi = -E0 x (1 - K a^3 / r^3)`,
//!    `K = (eps_in - eps_out)/(eps_in + 2 eps_out)`), exact inside field
//!    `3 eps_out/(eps_in + 2 eps_out) E0` (Jackson sec. 4.4), variable-permittivity Poisson
//!    on 4 grids up to `129^3` nodes, with the time and the cost per unknown.
//!
//! Times: `mesh` builds the tensor mesh with its cut edges, `solve` the assembly, solver
//! setup (multigrid hierarchy and Galerkin operators) and the solve; best, median and worst
//! of `--repeat` runs of the whole pipeline, then the phases of the last run, the Krylov
//! iterations and the median CPU time of the pipeline with its cost per unknown.

use std::sync::Arc;
use std::time::Instant;

use fluxion::assembly::{
    Assembler, DofMap, FaceFlux, FluxLaw, NodeEquation, RowRule, RowRules, Terms,
};
use fluxion::mesh::{
    delaunay_mesh, uniform_nodes, CoordinateSystem, Curve, DelaunaySpec, Extruded, Mesh,
    OuterBoundary, Polygon, RegionRule, Regions, SizeNear, Sphere, TensorGrid,
};
use fluxion::solve::linear::{
    auto_prefers_multigrid, make_solver, LinearSolver, Multigrid, MultigridOptions, SolverChoice,
    Structure,
};
use std::f64::consts::PI;

use crate::cpu::process_cpu_s;
use crate::Failure;

/// `T_f (u_K - u_L)` with the face transmissibilities of the permittivity.
struct Flux<'a> {
    t: &'a [f64],
}

impl FluxLaw for Flux<'_> {
    fn couplings(&self) -> Vec<(usize, usize)> {
        vec![(0, 0)]
    }
    #[inline]
    fn flux(&self, f: usize, _n: [usize; 2], uk: &[f64], ul: &[f64], out: &mut FaceFlux) {
        out.add(0, self.t[f] * (uk[0] - ul[0]));
        out.add_dk(0, 0, self.t[f]);
        out.add_dl(0, 0, -self.t[f]);
    }
}

/// `u = g` on the boundary nodes.
struct Fixed<'a> {
    g: &'a [f64],
}

impl NodeEquation for Fixed<'_> {
    fn couplings(&self) -> Vec<(usize, usize)> {
        vec![(0, 0)]
    }
    fn eval(&self, node: usize, _f: usize, u: &[f64], d: &mut [f64]) -> f64 {
        d[0] = 1.0;
        u[0] - self.g[node]
    }
}

/// One run of a dielectric inclusion problem: `dim` 2 (cylinder) or 3 (sphere), `n`
/// intervals per side. Phases: `mesh_s` the mesh with its cut edges, `asm_s` the face
/// transmissibilities, the assembler (sparsity pattern) and the assembly, `setup_s` the
/// solver's construction and `factor()` (multigrid hierarchy and Galerkin operators),
/// `solve_s` the solve; `cpu_s` the process's CPU time (user + system) over all of them.
struct Outcome {
    nodes: usize,
    mesh_s: f64,
    asm_s: f64,
    setup_s: f64,
    solve_s: f64,
    cpu_s: f64,
    iterations: Option<usize>,
    field: f64,
    exact: f64,
    solver: &'static str,
}

impl Outcome {
    fn total(&self) -> f64 {
        self.mesh_s + self.asm_s + self.setup_s + self.solve_s
    }
}

/// Mesh of the inclusion problem: tensor grid (`delaunay == false`, `n` intervals per
/// side) or Delaunay-Voronoi mesh (2D only, `n` edges per radius on the interface).
fn inclusion_mesh(dim: usize, n: usize, delaunay: bool, a: f64) -> Result<Mesh, Failure> {
    let err = |e: String| Failure::Input(e);
    if delaunay {
        let ha = a / n as f64;
        // The square [-1, 1]^2 with edges of the outer size.
        let h_out = 4.0 * ha;
        let per_side = (2.0 / h_out).ceil() as usize;
        let mut points = Vec::new();
        for (o, d) in [
            ([-1.0, -1.0], [1.0, 0.0]),
            ([1.0, -1.0], [0.0, 1.0]),
            ([1.0, 1.0], [-1.0, 0.0]),
            ([-1.0, 1.0], [0.0, -1.0]),
        ] {
            for k in 0..per_side {
                let t = 2.0 * k as f64 / per_side as f64;
                points.push([o[0] + t * d[0], o[1] + t * d[1]]);
            }
        }
        let boundary = OuterBoundary {
            patches: vec!["outer".to_string(); points.len()],
            points,
        };
        let circle = Curve::circle([0.0, 0.0], a, (2.0 * PI * a / ha).ceil() as usize);
        let mut spec = DelaunaySpec::new(CoordinateSystem::Cartesian, boundary, h_out);
        spec.background = "outside".into();
        spec.regions.push(RegionRule {
            name: "inside".into(),
            shape: Arc::new(
                Extruded::new(
                    Polygon::new(circle.points.clone()).map_err(|e| err(e.to_string()))?,
                    -1.0,
                    1.0,
                )
                .ok_or_else(|| err("extrusion".into()))?,
            ),
        });
        spec.curves.push(circle);
        spec.near.push(SizeNear {
            shape: Arc::new(Sphere::new([0.0; 3], a).expect("positive radius")),
            h: ha,
            growth: 0.25,
        });
        return Ok(delaunay_mesh(&spec).map_err(|e| err(e.to_string()))?.mesh);
    }
    let x = uniform_nodes(-1.0, 1.0, n + 1);
    let grid = if dim == 2 {
        TensorGrid::cartesian_2d(&x, &x)
    } else {
        TensorGrid::cartesian_3d(&x, &x, &x)
    }
    .map_err(|e| err(e.to_string()))?;
    let regions =
        Regions::new("outside").paint("inside", Sphere::new([0.0; 3], a).expect("positive radius"));
    grid.mesh_with(&regions).map_err(|e| err(e.to_string()))
}

fn inclusion(dim: usize, n: usize, delaunay: bool) -> Result<Outcome, Failure> {
    let (a, ei, eo, e0) = (0.3, 10.0, 1.0, 1.0);
    let (k, exact, pw) = if dim == 2 {
        ((ei - eo) / (ei + eo), 2.0 * eo / (ei + eo) * e0, 2)
    } else {
        (
            (ei - eo) / (ei + 2.0 * eo),
            3.0 * eo / (ei + 2.0 * eo) * e0,
            3,
        )
    };
    let outside = |p: [f64; 3]| {
        let r2: f64 = p.iter().map(|v| v * v).sum::<f64>().max(1e-300);
        -e0 * p[0] * (1.0 - k * (a * a / r2).powf(pw as f64 / 2.0))
    };
    let cpu0 = process_cpu_s();
    let t0 = Instant::now();
    let mesh = Arc::new(inclusion_mesh(dim, n, delaunay, a)?);
    let mesh_s = t0.elapsed().as_secs_f64();
    let t1 = Instant::now();
    let nn = mesh.nodes();
    let inside = mesh.regions().iter().position(|r| r == "inside");
    let eps = |r: u16| Some(if Some(r as usize) == inside { ei } else { eo });
    let t: Vec<f64> = (0..mesh.faces())
        .map(|f| mesh.transmissibility(f, eps))
        .collect();
    let mut g = vec![0.0; nn];
    let mut class = vec![0u16; nn];
    for pf in mesh.patch_faces() {
        let i = pf.node as usize;
        class[i] = 1;
        g[i] = outside(mesh.position(i));
    }
    let (flux, fixed) = (Flux { t: &t }, Fixed { g: &g });
    let fl: [&dyn FluxLaw; 1] = [&flux];
    let terms = Terms {
        flux: &fl,
        volume: &[],
        boundary: &[],
        equation: Some(&fixed),
    };
    let rules = RowRules::new(
        vec![vec![RowRule::Balance], vec![RowRule::Algebraic]],
        class,
    );
    let dofs = DofMap::full(nn, 1).map_err(|e| Failure::Input(e.to_string()))?;
    let mut asm = Assembler::new(mesh.clone(), dofs, rules, &terms, false);
    let structure = asm.structure();
    // One Newton step of the linear problem from u = g on the boundary, 0 inside, assembled
    // into a matrix of the solver's structure (the solver built after the timer).
    let mut u = g.clone();
    let mut r = vec![0.0; nn];
    let t2 = Instant::now();
    // `SolverChoice::Auto`, with the multigrid solver held by value so that its
    // iterations can be printed.
    let (mut mg, mut other): (Option<Multigrid>, Option<Box<dyn LinearSolver>>) = match &structure {
        Structure::Sparse {
            pattern,
            layout: Some(l),
        } if auto_prefers_multigrid(l, pattern.dim()) => (
            Some(
                Multigrid::new(pattern.clone(), *l, MultigridOptions::default())
                    .map_err(|e| Failure::Solver(e.to_string()))?,
            ),
            None,
        ),
        _ => (
            None,
            Some(
                make_solver(&structure, SolverChoice::Auto)
                    .map_err(|e| Failure::Solver(e.to_string()))?,
            ),
        ),
    };
    let solver: &mut dyn LinearSolver = match (&mut mg, &mut other) {
        (Some(m), _) => m,
        (_, Some(o)) => o.as_mut(),
        _ => unreachable!("one solver is built"),
    };
    let new_s = t2.elapsed().as_secs_f64();
    solver.matrix().clear();
    asm.assemble(&terms, &u, &mut r, Some(solver.matrix()));
    let asm_s = t1.elapsed().as_secs_f64() - new_s;
    let t4 = Instant::now();
    solver
        .factor()
        .map_err(|e| Failure::Solver(e.to_string()))?;
    let setup_s = new_s + t4.elapsed().as_secs_f64();
    let t5 = Instant::now();
    solver
        .solve(&mut r)
        .map_err(|e| Failure::Solver(e.to_string()))?;
    let solve_s = t5.elapsed().as_secs_f64();
    let solver_name = solver.name();
    let iterations = mg.as_ref().map(Multigrid::last_iterations);
    for (ui, ri) in u.iter_mut().zip(&r) {
        *ui -= ri;
    }
    let cpu_s = process_cpu_s() - cpu0;
    // Least-squares fit u = c - E x over the core r < a/2 (as the FiPy script).
    let (mut s1, mut sx, mut sxx, mut su, mut sxu) = (0.0, 0.0, 0.0, 0.0, 0.0);
    for (i, &ui) in u.iter().enumerate() {
        let p = mesh.position(i);
        if p.iter().map(|v| v * v).sum::<f64>() < (a / 2.0).powi(2) {
            s1 += 1.0;
            sx += p[0];
            sxx += p[0] * p[0];
            su += ui;
            sxu += p[0] * ui;
        }
    }
    let slope = (s1 * sxu - sx * su) / (s1 * sxx - sx * sx);
    Ok(Outcome {
        nodes: nn,
        mesh_s,
        asm_s,
        setup_s,
        solve_s,
        cpu_s,
        iterations,
        field: -slope,
        exact,
        solver: solver_name,
    })
}

/// Print the 2D and 3D tables (`repeat` runs per size).
///
/// Columns: `mesh_s` and `solve_s` (assembly, solver setup and solve) of the last run;
/// best, median and worst wall time of the whole pipeline; its median cost per unknown;
/// the error of the inside field; then the phases of the last run (`asm_s`, `setup_s`,
/// `mg_s`: assembly, solver construction with `factor()`, solve), the Krylov iterations
/// (`-` for LU), the median CPU time of the pipeline and its cost per unknown. The first
/// twelve columns are read by `scripts/peer-fipy.sh`.
pub fn run(
    sizes2: &[usize],
    sizes_delaunay: &[usize],
    sizes3: &[usize],
    repeat: usize,
) -> Result<(), Failure> {
    println!(
        "static fields on tensor grids (cut edges), {} threads; best/median/worst of {repeat}; load {}",
        rayon::current_num_threads(),
        std::fs::read_to_string("/proc/loadavg")
            .map(|l| l.split_whitespace().take(3).collect::<Vec<_>>().join(" "))
            .unwrap_or_else(|_| "?".into())
    );
    println!(
        "{:<26} {:>5} {:>10} {:>8} {:>8} {:>8} {:>8} {:>8} {:>10} {:>9} {:>7} {:>7} {:>7} {:>5} {:>7} {:>10} {:>20}",
        "case",
        "N",
        "unknowns",
        "mesh_s",
        "solve_s",
        "best_s",
        "median_s",
        "worst_s",
        "us/unknown",
        "rel_err",
        "asm_s",
        "setup_s",
        "mg_s",
        "iters",
        "cpu_s",
        "cpu_us/unk",
        "solver"
    );
    for (dim, sizes, delaunay) in [
        (2, sizes2, false),
        (2, sizes_delaunay, true),
        (3, sizes3, false),
    ] {
        for &n in sizes {
            let mut totals = Vec::new();
            let mut cpus = Vec::new();
            let mut last = None;
            for _ in 0..repeat.max(1) {
                let o = inclusion(dim, n, delaunay)?;
                totals.push(o.total());
                cpus.push(o.cpu_s);
                last = Some(o);
            }
            totals.sort_by(f64::total_cmp);
            cpus.sort_by(f64::total_cmp);
            let o = last.expect("one run");
            let med = totals[totals.len() / 2];
            let cpu = cpus[cpus.len() / 2];
            println!(
                "{:<26} {:>5} {:>10} {:>8.3} {:>8.3} {:>8.3} {:>8.3} {:>8.3} {:>10.3} {:>9.2e} {:>7.3} {:>7.3} {:>7.3} {:>5} {:>7.3} {:>10.3} {:>20}",
                match (dim, delaunay) {
                    (2, false) => "2D dielectric cylinder",
                    (2, true) => "2D cylinder Delaunay",
                    _ => "3D dielectric sphere",
                },
                n,
                o.nodes,
                o.mesh_s,
                o.asm_s + o.setup_s + o.solve_s,
                totals[0],
                med,
                totals[totals.len() - 1],
                med / o.nodes as f64 * 1e6,
                ((o.field - o.exact) / o.exact).abs(),
                o.asm_s,
                o.setup_s,
                o.solve_s,
                o.iterations.map_or("-".to_string(), |k| k.to_string()),
                cpu,
                cpu / o.nodes as f64 * 1e6,
                o.solver
            );
        }
    }
    Ok(())
}
