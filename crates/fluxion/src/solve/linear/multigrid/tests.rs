//! Tests of the multigrid solver against sparse LU.

use super::super::{make_solver, SolverChoice, Structure};
use super::krylov::norm;
use super::*;

/// `-div(k grad u) + c du/dx = 1` on the unit square/cube with vertex-centred finite
/// volumes on `n^d` nodes: `k = 1000` in the box `[0.3, 0.7]^d` (not aligned with any
/// grid level) and `1` outside, harmonic face averages, Dirichlet rows `u = 0` at `x = 0`
/// and `u = 1` at `x = 1`, zero flux elsewhere; upwind convection of speed `c`
/// (`c = 0`: symmetric). Optional axisymmetric weights: `y` is the radius and every
/// box and face is weighted by its `r`.
pub(crate) fn poisson(
    shape: [usize; 3],
    c: f64,
    axisym: bool,
) -> (Structure, Vec<(usize, usize, f64)>, Vec<f64>) {
    let [nx, ny, nz] = shape;
    let n = nx * ny * nz;
    let h = |m: usize| if m > 1 { 1.0 / (m - 1) as f64 } else { 1.0 };
    let hs = [h(nx), h(ny), h(nz)];
    let idx = |x: usize, y: usize, z: usize| x + nx * (y + ny * z);
    let pos = |x: usize, y: usize, z: usize| [x as f64 * hs[0], y as f64 * hs[1], z as f64 * hs[2]];
    let dims: Vec<usize> = (0..3).filter(|&d| shape[d] > 1).collect();
    let kappa = |p: [f64; 3]| {
        if dims.iter().all(|&d| (0.3..=0.7).contains(&p[d])) {
            1000.0
        } else {
            1.0
        }
    };
    // Box half-widths: half a spacing inside, a quarter... the box of node m spans
    // [x_m - h/2, x_m + h/2] clipped to [0, 1].
    let width = |d: usize, m: usize| {
        if shape[d] == 1 {
            1.0
        } else if m == 0 || m + 1 == shape[d] {
            hs[d] / 2.0
        } else {
            hs[d]
        }
    };
    let mut entries = Vec::new();
    let mut b = vec![0.0; n];
    let mut rows: Vec<Vec<usize>> = vec![Vec::new(); n];
    for z in 0..nz {
        for y in 0..ny {
            for x in 0..nx {
                let i = idx(x, y, z);
                let m = [x, y, z];
                let p = pos(x, y, z);
                rows[i].push(i);
                let r_w = |yy: f64| if axisym { yy.max(0.0) } else { 1.0 };
                let vol = width(0, x) * width(1, y) * width(2, z);
                // Axisymmetric box weight: integral of r over [y - h/2, y + h/2] / width.
                let rv = if axisym {
                    let (lo, hi) = ((p[1] - hs[1] / 2.0).max(0.0), (p[1] + hs[1] / 2.0).min(1.0));
                    (hi * hi - lo * lo) / 2.0 / (hi - lo)
                } else {
                    1.0
                };
                if x == 0 || x + 1 == nx {
                    continue; // Dirichlet row, filled below
                }
                b[i] = vol * rv;
                for &d in &dims {
                    for s in [-1isize, 1] {
                        let mj = m[d] as isize + s;
                        if mj < 0 || mj >= shape[d] as isize {
                            continue;
                        }
                        let mut q = m;
                        q[d] = mj as usize;
                        let j = idx(q[0], q[1], q[2]);
                        let pj = pos(q[0], q[1], q[2]);
                        let kf = 2.0 / (1.0 / kappa(p) + 1.0 / kappa(pj));
                        let mut area = 1.0;
                        for &e in &dims {
                            if e != d {
                                area *= width(e, m[e]);
                            }
                        }
                        let rf = if d == 1 {
                            r_w((p[1] + pj[1]) / 2.0)
                        } else {
                            rv
                        };
                        let t = kf * area * rf / hs[d];
                        entries.push((i, i, t));
                        entries.push((i, j, -t));
                        rows[i].push(j);
                        if d == 0 && c != 0.0 {
                            // Upwind flux c u out of the face (c > 0: from the left).
                            let f = c * area * rf;
                            if s > 0 {
                                entries.push((i, i, f));
                            } else {
                                entries.push((i, j, -f));
                            }
                        }
                    }
                }
            }
        }
    }
    for z in 0..nz {
        for y in 0..ny {
            for x in [0, nx - 1] {
                let i = idx(x, y, z);
                entries.push((i, i, 1.0));
                b[i] = if x == 0 { 0.0 } else { 1.0 };
            }
        }
    }
    let pattern = Arc::new(SparsityPattern::from_rows(n, &rows));
    let layout = TensorLayout { shape, fields: 1 };
    (
        Structure::Sparse {
            pattern,
            layout: Some(layout),
        },
        entries,
        b,
    )
}

fn assemble(s: &mut dyn LinearSolver, entries: &[(usize, usize, f64)]) {
    let m = s.matrix();
    m.clear();
    for &(i, j, v) in entries {
        m.add(i, j, v);
    }
}

/// Solve with multigrid and with sparse LU; returns multigrid's iteration count.
fn compare(shape: [usize; 3], c: f64, axisym: bool, krylov: Krylov) -> usize {
    let (structure, entries, b) = poisson(shape, c, axisym);
    let Structure::Sparse { pattern, layout } = &structure else {
        unreachable!()
    };
    let opts = MultigridOptions {
        krylov,
        coarsest_size: 64,
        rtol: 1e-10,
        ..Default::default()
    };
    let mut mg = Multigrid::new(pattern.clone(), layout.unwrap(), opts).unwrap();
    assemble(&mut mg, &entries);
    mg.factor().unwrap();
    assert_eq!(mg.is_symmetric(), c == 0.0 && krylov != Krylov::BiCgStab);
    let mut x = b.clone();
    mg.solve(&mut x).unwrap();
    // The residual of the original system against that of the Dirichlet values alone
    // (the stopping criterion: rtol = 1e-10).
    let (mut r, mut r0) = (b.clone(), b.clone());
    let dirichlet = |i: usize| i % shape[0] == 0 || i % shape[0] + 1 == shape[0];
    for &(i, j, v) in &entries {
        r[i] -= v * x[j];
        if dirichlet(j) {
            r0[i] -= v * x[j];
        }
    }
    for (i, r0) in r0.iter_mut().enumerate() {
        if dirichlet(i) {
            *r0 = 0.0;
        }
    }
    let (rn, r0n) = (norm(&r), norm(&r0));
    assert!(
        rn <= 1.001e-10 * r0n,
        "{shape:?}: residual {rn:e} of {r0n:e}"
    );
    if b.len() <= 20_000 {
        let mut lu = make_solver(&structure, SolverChoice::SparseLu).unwrap();
        assemble(lu.as_mut(), &entries);
        lu.factor().unwrap();
        let mut y = b.clone();
        lu.solve(&mut y).unwrap();
        let scale = y.iter().fold(0.0f64, |m, v| m.max(v.abs()));
        let err = x
            .iter()
            .zip(&y)
            .fold(0.0f64, |m, (p, q)| m.max((p - q).abs()));
        // rtol 1e-10 on the residual; the error is at most cond times that.
        assert!(err <= 1e-6 * scale, "{shape:?} c={c}: |mg - lu| = {err:e}");
    }
    mg.last_iterations()
}

/// Iteration counts of multigrid-preconditioned CG to a relative residual of 1e-10 are
/// independent of the grid (within 3) for 2D and 3D Poisson with a 1:1000 coefficient
/// jump and Dirichlet rows: the defining property of multigrid (Trottenberg, Oosterlee
/// and Schuller, *Multigrid*, 2001, ch. 2), and the solutions agree with sparse LU.
#[test]
fn iteration_counts_are_grid_independent_with_a_coefficient_jump() {
    for (sizes, d3) in [(vec![33, 65, 129, 257], false), (vec![9, 17, 33, 65], true)] {
        let its: Vec<usize> = sizes
            .iter()
            .map(|&m| {
                let shape = if d3 { [m, m, m] } else { [m, m, 1] };
                compare(shape, 0.0, false, Krylov::Auto)
            })
            .collect();
        eprintln!("3d={d3}: iterations {its:?}");
        let (lo, hi) = (its.iter().min().unwrap(), its.iter().max().unwrap());
        assert!(hi - lo <= 3, "3d={d3}: {its:?}");
        assert!(*hi <= 30, "3d={d3}: {its:?}");
    }
}

/// Convection (nonsymmetric: BiCGStab), axisymmetric weights, 1D, odd and even sizes,
/// and the degenerate sizes 1, 2, 3 (one level, solved by the coarse LU).
#[test]
fn nonsymmetric_axisymmetric_and_small_grids() {
    for shape in [
        [1, 1, 1],
        [2, 1, 1],
        [3, 1, 1],
        [255, 1, 1],
        [256, 1, 1],
        [257, 1, 1],
    ] {
        let it = compare(shape, 0.0, false, Krylov::Auto);
        assert!(it <= 12, "{shape:?}: {it}");
    }
    for shape in [[40, 37, 1], [17, 16, 9]] {
        compare(shape, 20.0, false, Krylov::Auto);
        compare(shape, 0.0, false, Krylov::BiCgStab);
        compare(shape, 0.0, true, Krylov::Auto);
    }
}

#[test]
fn failures_are_reported() {
    let (structure, mut entries, b) = poisson([20, 20, 1], 0.0, false);
    let Structure::Sparse { pattern, layout } = &structure else {
        unreachable!()
    };
    // A zero row.
    entries.retain(|e| e.0 != 45);
    let mut mg = Multigrid::new(
        pattern.clone(),
        layout.unwrap(),
        MultigridOptions::default(),
    )
    .unwrap();
    assemble(&mut mg, &entries);
    assert_eq!(mg.factor(), Err(LinearError::Singular(45)));
    // Too few iterations.
    let (_, entries, _) = poisson([20, 20, 1], 0.0, false);
    let opts = MultigridOptions {
        max_iterations: 1,
        coarsest_size: 10,
        ..Default::default()
    };
    let mut mg = Multigrid::new(pattern.clone(), layout.unwrap(), opts).unwrap();
    assemble(&mut mg, &entries);
    mg.factor().unwrap();
    let mut x = b.clone();
    assert!(matches!(
        mg.solve(&mut x),
        Err(LinearError::NotConverged { iterations: 1, .. })
    ));
    // Wrong layouts and non-neighbour couplings.
    let bad = TensorLayout {
        shape: [20, 21, 1],
        fields: 1,
    };
    assert!(Multigrid::new(pattern.clone(), bad, MultigridOptions::default()).is_err());
    let two = TensorLayout {
        shape: [20, 20, 1],
        fields: 2,
    };
    assert!(Multigrid::new(pattern.clone(), two, MultigridOptions::default()).is_err());
    let far = Arc::new(SparsityPattern::from_rows(
        4,
        &[vec![3], vec![], vec![], vec![]],
    ));
    let l = TensorLayout {
        shape: [4, 1, 1],
        fields: 1,
    };
    assert!(Multigrid::new(far, l, MultigridOptions::default()).is_err());
}
