//! Timings of the linear solvers (issue #9, performance section).
//!
//! `cargo run --release -p fluxion --example linear_bench [quick]`
//!
//! Prints, for each case, the setup (symbolic analysis / hierarchy), numeric factorization
//! (LU) or Galerkin setup (multigrid) and solve times, the multigrid iteration count, the
//! relative residual, and the cost per unknown:
//! 1. 2D 5-point Poisson, sparse LU (both orientations: converting to CSC once and factoring
//!    `A`, as the solver does, and factoring `A^T` from the CSR arrays) and multigrid, on
//!    4 grids up to 1e6 unknowns;
//! 2. 3D 7-point Poisson with variable permittivity (a sphere of `eps = 80` in `eps = 2`,
//!    plus a smooth variation), multigrid on 4 grids up to 128^3, LU on small grids (for the
//!    `Auto` threshold);
//! 3. 1D: the block-tridiagonal LU against the banded LU (`kl = 3, ku = 5`) on a Jacobian
//!    with the structure of the 1D electrodiffusion model (3 unknowns per node) at 1e5 and
//!    1e6 nodes.

use faer::dyn_stack::{MemBuffer, MemStack, StackReq};
use faer::sparse::linalg::lu::{factorize_symbolic_lu, NumericLu};
use faer::sparse::{SparseColMatRef, SymbolicSparseColMatRef};
use fluxion::solve::linear::{
    make_solver, BandedLu, BlockTridiagonalLu, LinearSolver, Multigrid, MultigridOptions,
    SolverChoice, SparsityPattern, Structure, TensorLayout,
};
use std::sync::Arc;
use std::time::Instant;

/// Vertex-centred finite-volume Poisson `-div(eps grad u) = 1` on `shape` nodes of the unit
/// square/cube, harmonic face averages, `u = 0` at `x = 0` and `u = 1` at `x = 1` (Dirichlet
/// rows), zero flux elsewhere. Returns the pattern and `(row, col, value)` triplets in CSR
/// order, and the right-hand side.
fn poisson(
    shape: [usize; 3],
    eps: impl Fn([f64; 3]) -> f64,
) -> (Arc<SparsityPattern>, Vec<f64>, Vec<f64>) {
    let [nx, ny, nz] = shape;
    let n = nx * ny * nz;
    let h = |m: usize| if m > 1 { 1.0 / (m - 1) as f64 } else { 1.0 };
    let hs = [h(nx), h(ny), h(nz)];
    let strides = [1, nx, nx * ny];
    let dims: Vec<usize> = (0..3).filter(|&d| shape[d] > 1).collect();
    let mut row_ptr = Vec::with_capacity(n + 1);
    let mut cols: Vec<u32> = Vec::with_capacity(n * (1 + 2 * dims.len()));
    let mut vals = Vec::with_capacity(n * (1 + 2 * dims.len()));
    let mut b = vec![0.0; n];
    row_ptr.push(0);
    let width = |d: usize, m: usize| {
        if shape[d] == 1 {
            1.0
        } else if m == 0 || m + 1 == shape[d] {
            hs[d] / 2.0
        } else {
            hs[d]
        }
    };
    for z in 0..nz {
        for y in 0..ny {
            for x in 0..nx {
                let i = x + nx * (y + ny * z);
                let m = [x, y, z];
                let p = [x as f64 * hs[0], y as f64 * hs[1], z as f64 * hs[2]];
                let dirichlet = x == 0 || x + 1 == nx;
                let mut diag = 0.0;
                let mut entries: Vec<(usize, f64)> = Vec::with_capacity(7);
                for &d in dims.iter().rev() {
                    for s in [-1isize, 1] {
                        let q = m[d] as isize + s;
                        if q < 0 || q >= shape[d] as isize {
                            continue;
                        }
                        let j = (i as isize + s * strides[d] as isize) as usize;
                        let mut pj = p;
                        pj[d] += s as f64 * hs[d];
                        let kf = 2.0 / (1.0 / eps(p) + 1.0 / eps(pj));
                        let area: f64 = dims
                            .iter()
                            .filter(|&&e| e != d)
                            .map(|&e| width(e, m[e]))
                            .product();
                        let t = kf * area / hs[d];
                        diag += t;
                        entries.push((j, if dirichlet { 0.0 } else { -t }));
                    }
                }
                entries.push((i, if dirichlet { 1.0 } else { diag }));
                entries.sort_by_key(|e| e.0);
                for (j, v) in entries {
                    cols.push(j as u32);
                    vals.push(v);
                }
                row_ptr.push(cols.len());
                b[i] = if dirichlet {
                    if x == 0 {
                        0.0
                    } else {
                        1.0
                    }
                } else {
                    dims.iter().map(|&d| width(d, m[d])).product()
                };
            }
        }
    }
    let pattern = SparsityPattern::from_csr(n, row_ptr, cols).expect("valid pattern");
    (Arc::new(pattern), vals, b)
}

fn load(s: &mut dyn LinearSolver, p: &SparsityPattern, vals: &[f64]) {
    let m = s.matrix();
    m.clear();
    for (i, w) in p.row_ptr().windows(2).enumerate() {
        for (&j, &v) in p.col_idx()[w[0]..w[1]].iter().zip(&vals[w[0]..w[1]]) {
            m.add(i, j as usize, v);
        }
    }
}

fn rel_residual(p: &SparsityPattern, vals: &[f64], x: &[f64], b: &[f64]) -> f64 {
    let (mut r2, mut b2) = (0.0, 0.0);
    for (w, bi) in p.row_ptr().windows(2).zip(b) {
        let mut s = *bi;
        for (&j, &v) in p.col_idx()[w[0]..w[1]].iter().zip(&vals[w[0]..w[1]]) {
            s -= v * x[j as usize];
        }
        r2 += s * s;
        b2 += bi * bi;
    }
    (r2 / b2).sqrt()
}

struct Row {
    case: String,
    n: usize,
    /// CPU seconds of setup + factor + solve (NaN where not measured).
    cpu: f64,
    setup: f64,
    factor: f64,
    solve: f64,
    iters: String,
    resid: f64,
    mem_mb: f64,
}

fn print(rows: &[Row]) {
    println!(
        "{:<44} {:>10} {:>9} {:>9} {:>9} {:>9} {:>7} {:>6} {:>9} {:>8} {:>8}",
        "case",
        "unknowns",
        "setup s",
        "factor s",
        "solve s",
        "total s",
        "cpu s",
        "iters",
        "resid",
        "us/unk",
        "MB"
    );
    for r in rows {
        let total = r.setup + r.factor + r.solve;
        println!(
            "{:<44} {:>10} {:>9.3} {:>9.3} {:>9.3} {:>9.3} {:>7.2} {:>6} {:>9.1e} {:>8.3} {:>8.0}",
            r.case,
            r.n,
            r.setup,
            r.factor,
            r.solve,
            total,
            r.cpu,
            r.iters,
            r.resid,
            total / r.n as f64 * 1e6,
            r.mem_mb
        );
    }
}

/// CPU time of this process (user + system), s, from `/proc/self/stat` (Linux; NaN
/// elsewhere): on a loaded machine the wall time measures the machine, this the solver.
fn cpu_seconds() -> f64 {
    let Ok(s) = std::fs::read_to_string("/proc/self/stat") else {
        return f64::NAN;
    };
    // Fields after the parenthesized command name; utime and stime are fields 14 and 15.
    let rest = s.rsplit_once(')').map_or("", |r| r.1);
    let f: Vec<&str> = rest.split_whitespace().collect();
    let tick = |k: usize| {
        f.get(k)
            .and_then(|v| v.parse::<f64>().ok())
            .unwrap_or(f64::NAN)
    };
    (tick(11) + tick(12)) / 100.0
}

fn run(case: String, structure: &Structure, choice: SolverChoice, vals: &[f64], b: &[f64]) -> Row {
    let cpu0 = cpu_seconds();
    let Structure::Sparse { pattern, layout } = structure else {
        unreachable!()
    };
    let t = Instant::now();
    let (mut mg, mut other) = (None, None);
    if choice == SolverChoice::Multigrid {
        mg = Some(
            Multigrid::new(
                pattern.clone(),
                layout.unwrap(),
                MultigridOptions::default(),
            )
            .unwrap(),
        );
    } else {
        other = Some(make_solver(structure, choice).unwrap());
    }
    let setup = t.elapsed().as_secs_f64();
    let (factor, solve, x, mem) = {
        let s: &mut dyn LinearSolver = match (&mut mg, &mut other) {
            (Some(m), _) => m,
            (_, Some(o)) => o.as_mut(),
            _ => unreachable!(),
        };
        load(s, pattern, vals);
        let t = Instant::now();
        s.factor().unwrap();
        let factor = t.elapsed().as_secs_f64();
        let mut x = b.to_vec();
        let t = Instant::now();
        s.solve(&mut x).unwrap();
        (factor, t.elapsed().as_secs_f64(), x, s.memory_bytes())
    };
    let iters = mg
        .as_ref()
        .map_or("-".to_string(), |m| m.last_iterations().to_string());
    Row {
        case,
        n: pattern.dim(),
        cpu: cpu_seconds() - cpu0,
        setup,
        factor,
        solve,
        iters,
        resid: rel_residual(pattern, vals, &x, b),
        mem_mb: mem as f64 / 1e6,
    }
}

/// faer's bare LU (no equilibration, no singularity check) of `A^T`, whose CSC arrays are
/// the CSR arrays of `A`, or of `A` after a conversion to CSC: (symbolic s, numeric s).
fn faer_lu(p: &SparsityPattern, vals: &[f64], transposed: bool) -> (f64, f64) {
    let n = p.dim();
    let (col_ptr, row_idx, v) = if transposed {
        let row_idx: Vec<usize> = p.col_idx().iter().map(|&j| j as usize).collect();
        (p.row_ptr().to_vec(), row_idx, vals.to_vec())
    } else {
        let mut col_ptr = vec![0usize; n + 1];
        for &j in p.col_idx() {
            col_ptr[j as usize + 1] += 1;
        }
        for j in 0..n {
            col_ptr[j + 1] += col_ptr[j];
        }
        let mut next = col_ptr.clone();
        let mut row_idx = vec![0usize; p.nnz()];
        let mut v = vec![0.0; p.nnz()];
        for (i, w) in p.row_ptr().windows(2).enumerate() {
            for (&j, &x) in p.col_idx()[w[0]..w[1]].iter().zip(&vals[w[0]..w[1]]) {
                let j = j as usize;
                row_idx[next[j]] = i;
                v[next[j]] = x;
                next[j] += 1;
            }
        }
        (col_ptr, row_idx, v)
    };
    let t = Instant::now();
    let sym = SymbolicSparseColMatRef::new_checked(n, n, &col_ptr, None, &row_idx);
    let symbolic = factorize_symbolic_lu(sym, Default::default()).unwrap();
    let par = faer::Par::Seq;
    let mut mem = MemBuffer::new(StackReq::any_of(&[
        symbolic.factorize_numeric_lu_scratch::<f64>(par, Default::default())
    ]));
    let ts = t.elapsed().as_secs_f64();
    let mut numeric = NumericLu::new();
    let t = Instant::now();
    symbolic
        .factorize_numeric_lu(
            &mut numeric,
            SparseColMatRef::new(sym, &v),
            par,
            MemStack::new(&mut mem),
            Default::default(),
        )
        .unwrap();
    (ts, t.elapsed().as_secs_f64())
}

/// The 1D electrodiffusion-like Jacobian (see `solve/linear/testing.rs`): 3 unknowns per
/// node, Nernst-Planck and Poisson rows, boundary rows with zero diagonals.
fn electrodiffusion_like(nodes: usize) -> Vec<(usize, usize, f64)> {
    let mut e = Vec::with_capacity(nodes * 21);
    let (d, eps, far, h) = (1e-9, 7e-10, 9.6e4, 1e-9);
    let inv_dt = 1e8;
    let mut seed = 12345u64;
    let mut rnd = || {
        seed = seed
            .wrapping_mul(6_364_136_223_846_793_005)
            .wrapping_add(1_442_695_040_888_963_407);
        (seed >> 11) as f64 / (1u64 << 53) as f64
    };
    for k in 0..nodes {
        let u = |f: usize| 3 * k + f;
        if k == 0 {
            e.extend([
                (u(0), u(0), 1.0),
                (u(1), u(2), 1.0),
                (u(2), u(0), 1.0),
                (u(2), u(1), -1.0),
            ]);
            continue;
        }
        if k + 1 == nodes {
            e.extend((0..3).map(|f| (u(f), u(f), 1.0)));
            continue;
        }
        for (s, z) in [(0usize, 1.0f64), (1, -2.0)] {
            let drift = z * (rnd() - 0.5) * 0.6;
            let c = 0.5 + rnd();
            let g = d / (h * h);
            e.extend([
                (u(s), u(s) - 3, -g * (1.0 + drift)),
                (u(s), u(s), 2.0 * g + inv_dt),
                (u(s), u(s) + 3, -g * (1.0 - drift)),
                (u(s), u(2) - 3, z * g * c * 0.5),
                (u(s), u(2), -z * g * c * 0.1),
                (u(s), u(2) + 3, -z * g * c * 0.5),
            ]);
        }
        let p = eps / (h * h);
        e.extend([
            (u(2), u(2) - 3, -p),
            (u(2), u(2), 2.0 * p),
            (u(2), u(2) + 3, -p),
            (u(2), u(0), -far),
            (u(2), u(1), 2.0 * far),
        ]);
    }
    e
}

fn one_d(rows: &mut Vec<Row>, nodes: usize) {
    let n = 3 * nodes;
    let e = electrodiffusion_like(nodes);
    let (kl, ku) = e.iter().fold((0, 0), |(l, u), &(i, j, _)| {
        (l.max(i.saturating_sub(j)), u.max(j.saturating_sub(i)))
    });
    let b: Vec<f64> = (0..n).map(|i| ((i * 13) % 17) as f64 - 8.0).collect();
    let mut sols = Vec::new();
    for (name, mut s) in [
        (
            format!("1D block-tridiagonal LU, b = 3, N = {nodes:.0e}"),
            Box::new(BlockTridiagonalLu::new(nodes, 3).unwrap()) as Box<dyn LinearSolver>,
        ),
        (
            format!("1D banded LU kl = {kl}, ku = {ku}, N = {nodes:.0e}"),
            Box::new(BandedLu::new(n, kl, ku)) as Box<dyn LinearSolver>,
        ),
    ] {
        let t = Instant::now();
        let m = s.matrix();
        m.clear();
        for &(i, j, v) in &e {
            m.add(i, j, v);
        }
        let setup = t.elapsed().as_secs_f64();
        let t = Instant::now();
        s.factor().unwrap();
        let factor = t.elapsed().as_secs_f64();
        let mut x = b.clone();
        let t = Instant::now();
        s.solve(&mut x).unwrap();
        let solve = t.elapsed().as_secs_f64();
        // Normwise backward error ||A x - b|| / (||A|| ||x|| + ||b||), infinity norms.
        let mut ax = vec![0.0; n];
        let mut arow = vec![0.0f64; n];
        for &(i, j, v) in &e {
            ax[i] += v * x[j];
            arow[i] += v.abs();
        }
        let inf = |v: &[f64]| v.iter().fold(0.0f64, |m, a| m.max(a.abs()));
        let r: Vec<f64> = (0..n).map(|i| ax[i] - b[i]).collect();
        let resid = inf(&r) / (inf(&arow) * inf(&x) + inf(&b));
        rows.push(Row {
            case: name,
            n,
            cpu: f64::NAN,
            setup,
            factor,
            solve,
            iters: "-".into(),
            resid,
            mem_mb: s.memory_bytes() as f64 / 1e6,
        });
        sols.push(x);
    }
    let diff = sols[0]
        .iter()
        .zip(&sols[1])
        .map(|(a, b)| (a - b).abs() / a.abs().max(b.abs()).max(1e-300))
        .fold(0.0, f64::max);
    println!("1D N = {nodes:.0e}: max relative difference block vs banded {diff:.1e}");
}

/// Permittivity of the variable-coefficient cases: a ball (3D) or disk (2D) of `eps = 80` in
/// `eps = 2` (a 1:40 jump on a curved interface) times a smooth variation.
fn var_eps(p: [f64; 3], d3: bool) -> f64 {
    let (z, s) = if d3 { (p[2], p[2]) } else { (0.5, 0.5) };
    let r2 = (p[0] - 0.5).powi(2) + (p[1] - 0.5).powi(2) + (z - 0.5).powi(2);
    (if r2 < 0.09 { 80.0 } else { 2.0 }) * (1.0 + 0.5 * (6.0 * p[1]).sin() * s)
}

/// Multigrid on 2D (4 sizes up to 1000^2) and 3D (4 sizes up to 128^3) variable-permittivity
/// Poisson: the cost per unknown should stay flat.
fn multigrid_table() {
    let mut rows = Vec::new();
    for (m, d3) in [
        (250, false),
        (500, false),
        (707, false),
        (1000, false),
        (32, true),
        (64, true),
        (96, true),
        (128, true),
    ] {
        let shape = if d3 { [m, m, m] } else { [m, m, 1] };
        let (pattern, vals, b) = poisson(shape, |p| var_eps(p, d3));
        let s = Structure::Sparse {
            pattern,
            layout: Some(TensorLayout { shape, fields: 1 }),
        };
        let name = if d3 {
            format!("3D var-eps Poisson {m}^3 multigrid")
        } else {
            format!("2D var-eps Poisson {m}^2 multigrid")
        };
        rows.push(run(name, &s, SolverChoice::Multigrid, &vals, &b));
    }
    print(&rows);
}

fn main() {
    let quick = std::env::args().any(|a| a == "quick");
    // `mg`: only the multigrid cases with variable permittivity (2D and 3D, 4 sizes each).
    if std::env::args().any(|a| a == "mg") {
        multigrid_table();
        return;
    }
    // `orient`: only the 2D LU orientation comparison, each variant twice, alternating.
    let orient = std::env::args().any(|a| a == "orient");
    let mut rows = Vec::new();
    // 1D.
    for nodes in if orient {
        &[][..]
    } else {
        &[100_000, 1_000_000][..]
    } {
        let nodes = *nodes;
        one_d(&mut rows, nodes);
    }
    // 2D.
    let sizes2: &[usize] = if quick {
        &[128, 256]
    } else {
        &[128, 256, 512, 1000]
    };
    for &m in sizes2 {
        if orient && m < 512 {
            continue;
        }
        let (pattern, vals, b) = poisson([m, m, 1], |_| 1.0);
        let s = Structure::Sparse {
            pattern: pattern.clone(),
            layout: Some(TensorLayout {
                shape: [m, m, 1],
                fields: 1,
            }),
        };
        rows.push(run(
            format!("2D Poisson {m}x{m} sparse LU"),
            &s,
            SolverChoice::SparseLu,
            &vals,
            &b,
        ));
        for transposed in [false, true, false, true] {
            if !orient && !transposed {
                continue;
            }
            let (ts, tn) = faer_lu(&pattern, &vals, transposed);
            rows.push(Row {
                case: format!(
                    "2D Poisson {m}x{m} bare faer LU of {}",
                    if transposed {
                        "A^T (CSR)"
                    } else {
                        "A (CSC copy)"
                    }
                ),
                n: m * m,
                cpu: f64::NAN,
                setup: ts,
                factor: tn,
                solve: 0.0,
                iters: "-".into(),
                resid: f64::NAN,
                mem_mb: f64::NAN,
            });
            if !orient {
                break;
            }
        }
        if orient {
            continue;
        }
        rows.push(run(
            format!("2D Poisson {m}x{m} multigrid"),
            &s,
            SolverChoice::Multigrid,
            &vals,
            &b,
        ));
    }
    if orient {
        print(&rows);
        return;
    }
    // 3D, variable permittivity.
    let eps = |p: [f64; 3]| {
        let r2 = (p[0] - 0.5).powi(2) + (p[1] - 0.5).powi(2) + (p[2] - 0.5).powi(2);
        (if r2 < 0.09 { 80.0 } else { 2.0 }) * (1.0 + 0.5 * (6.0 * p[1]).sin() * p[2])
    };
    let sizes3: &[usize] = if quick { &[32, 48] } else { &[32, 48, 64, 128] };
    for &m in sizes3 {
        let (pattern, vals, b) = poisson([m, m, m], eps);
        let s = Structure::Sparse {
            pattern: pattern.clone(),
            layout: Some(TensorLayout {
                shape: [m, m, m],
                fields: 1,
            }),
        };
        rows.push(run(
            format!("3D var-eps Poisson {m}^3 multigrid"),
            &s,
            SolverChoice::Multigrid,
            &vals,
            &b,
        ));
        if m <= 40 || (quick && m <= 48) {
            rows.push(run(
                format!("3D var-eps Poisson {m}^3 sparse LU"),
                &s,
                SolverChoice::SparseLu,
                &vals,
                &b,
            ));
        }
    }
    for &m in if quick {
        &[16usize, 24][..]
    } else {
        &[16usize, 24, 40][..]
    } {
        if sizes3.contains(&m) {
            continue;
        }
        let (pattern, vals, b) = poisson([m, m, m], eps);
        let s = Structure::Sparse {
            pattern,
            layout: Some(TensorLayout {
                shape: [m, m, m],
                fields: 1,
            }),
        };
        rows.push(run(
            format!("3D var-eps Poisson {m}^3 sparse LU"),
            &s,
            SolverChoice::SparseLu,
            &vals,
            &b,
        ));
        rows.push(run(
            format!("3D var-eps Poisson {m}^3 multigrid"),
            &s,
            SolverChoice::Multigrid,
            &vals,
            &b,
        ));
    }
    print(&rows);
}
