use super::super::testing::{
    dense_solve, electrodiffusion_like, load, random_sparse, residual_norm, Rows,
};
use super::*;

fn rhs(rows: &Rows, x: &[f64]) -> Vec<f64> {
    rows.iter()
        .map(|r| r.iter().map(|&(j, v)| v * x[j]).sum())
        .collect()
}

/// A 2D grid of `nx x ny` nodes with three coupled fields per node, like the PNP Jacobian
/// on a mesh: drift-diffusion rows for two species coupled to the potential of the node and
/// its neighbours, a Poisson row coupled to the charges; values from `seed`; Dirichlet rows
/// (identity on the node block) on the left column of nodes.
fn pnp_like_grid(nx: usize, ny: usize, seed: u64) -> (Arc<SparsityPattern>, Rows) {
    use rand::RngExt;
    use rand_xoshiro::rand_core::SeedableRng;
    let mut rng = rand_xoshiro::Xoshiro256PlusPlus::seed_from_u64(seed);
    let n = 3 * nx * ny;
    let node = |i: usize, j: usize| i + nx * j;
    let mut rows: Rows = vec![Vec::new(); n];
    let mut cols: Vec<Vec<usize>> = vec![Vec::new(); n];
    for j in 0..ny {
        for i in 0..nx {
            let k = node(i, j);
            let mut nb = vec![k];
            if i > 0 {
                nb.push(node(i - 1, j));
            }
            if i + 1 < nx {
                nb.push(node(i + 1, j));
            }
            if j > 0 {
                nb.push(node(i, j - 1));
            }
            if j + 1 < ny {
                nb.push(node(i, j + 1));
            }
            for f in 0..3 {
                cols[3 * k + f] = nb.iter().flat_map(|&q| 3 * q..3 * q + 3).collect();
            }
            if i == 0 {
                for f in 0..3 {
                    rows[3 * k + f].push((3 * k + f, 1.0));
                }
                continue;
            }
            let g = 1e9 * (0.5 + rng.random::<f64>());
            for (s, z) in [(0usize, 1.0f64), (1, -1.0)] {
                let c = 0.2 + rng.random::<f64>();
                let mut diag = 1e3;
                for &q in &nb[1..] {
                    let drift = z * (rng.random::<f64>() - 0.5);
                    rows[3 * k + s].push((3 * q + s, -g * (1.0 + drift)));
                    diag += g * (1.0 - drift);
                    rows[3 * k + s].push((3 * q + 2, -z * g * c));
                    rows[3 * k + s].push((3 * k + 2, z * g * c));
                }
                rows[3 * k + s].push((3 * k + s, diag));
            }
            let p = 7e-10 / 1e-18;
            for &q in &nb[1..] {
                rows[3 * k + 2].push((3 * q + 2, -p));
                rows[3 * k + 2].push((3 * k + 2, p));
            }
            rows[3 * k + 2].push((3 * k, -9.6e4));
            rows[3 * k + 2].push((3 * k + 1, 9.6e4));
        }
    }
    (Arc::new(SparsityPattern::from_rows(n, &cols)), rows)
}

/// Random well-conditioned matrices (with and without zero diagonals that need pivoting)
/// against the dense partial-pivoting reference.
#[test]
fn matches_the_dense_reference_on_random_matrices() {
    for n in [1, 2, 3, 40, 255, 257] {
        for (seed, zero) in [(0u64, false), (1, true), (2, true)] {
            let (pattern, rows) = random_sparse(n, 4, seed * 1000 + n as u64, zero);
            let x: Vec<f64> = (0..n).map(|i| 1.0 + ((i * 7) % 11) as f64).collect();
            let b = rhs(&rows, &x);
            let mut lu = MultifrontalLu::new(pattern).unwrap();
            load(&mut lu, &rows);
            lu.factor().unwrap();
            assert!(!lu.fell_back(), "n={n} seed={seed}");
            assert_eq!(lu.name(), "multifrontal LU");
            let mut y = b.clone();
            lu.solve(&mut y).unwrap();
            let dense = dense_solve(n, &rows, &b).unwrap();
            for i in 0..n {
                assert!(
                    (y[i] - x[i]).abs() < 1e-9 * x[i].abs(),
                    "n={n} seed={seed} {i}: {} vs {}",
                    y[i],
                    x[i]
                );
                assert!((y[i] - dense[i]).abs() < 1e-9 * x[i].abs());
            }
            assert!(residual_norm(&rows, &y, &b) < 1e-12);
        }
    }
}

/// The 1D electrodiffusion-like Jacobian (zero diagonals in the boundary rows, rows over
/// 14 decades) and a 2D three-field grid: the solution to 1e-10 and the factors within a
/// small factor of the Cholesky fill; refactorization with new values on the same pattern.
#[test]
fn solves_pnp_like_jacobians_and_refactors() {
    let nodes = 300;
    let trip = electrodiffusion_like(nodes, 3);
    let n = 3 * nodes;
    let mut rows: Rows = vec![Vec::new(); n];
    for &(i, j, v) in &trip {
        rows[i].push((j, v));
    }
    let cols: Vec<Vec<usize>> = (0..n)
        .map(|i| {
            let k = i / 3;
            (3 * k.saturating_sub(1)..(3 * k + 6).min(n)).collect()
        })
        .collect();
    let pattern = Arc::new(SparsityPattern::from_rows(n, &cols));
    let mut cases = vec![(pattern, rows)];
    cases.push(pnp_like_grid(30, 20, 5));
    cases.push(pnp_like_grid(30, 20, 6));
    let mut lu = None::<MultifrontalLu>;
    for (k, (pattern, rows)) in cases.iter().enumerate() {
        let n = pattern.dim();
        // Cases 1 and 2 share a pattern: reuse the symbolic analysis.
        if k != 2 {
            lu = Some(MultifrontalLu::new(pattern.clone()).unwrap());
        }
        let lu = lu.as_mut().unwrap();
        let x: Vec<f64> = (0..n).map(|i| (i as f64 * 0.37).sin() + 1.5).collect();
        let b = rhs(rows, &x);
        load(lu, rows);
        lu.factor().unwrap();
        assert!(!lu.fell_back(), "case {k}");
        let mut y = b.clone();
        lu.solve(&mut y).unwrap();
        for i in 0..n {
            assert!(
                (y[i] - x[i]).abs() < 1e-10 * x[i].abs(),
                "case {k} {i}: {} vs {}",
                y[i],
                x[i]
            );
        }
        assert!(residual_norm(rows, &y, &b) < 1e-12, "case {k}");
    }
}

/// A matrix that needs pivots from other groups (a tridiagonal chain with a zero diagonal,
/// every unknown its own group, no supernode relaxation) falls back to partial pivoting and
/// is still solved exactly; a singular matrix is reported as singular.
#[test]
fn falls_back_to_partial_pivoting_and_reports_singular_matrices() {
    let n = 40;
    let rows: Rows = (0..n)
        .map(|i| {
            let mut r = vec![(i, 0.0)];
            if i > 0 {
                r.push((i - 1, 1.0 + i as f64 * 0.1));
            }
            if i + 1 < n {
                r.push((i + 1, 2.0 - i as f64 * 0.01));
            }
            r
        })
        .collect();
    let cols: Vec<Vec<usize>> = rows
        .iter()
        .map(|r| r.iter().map(|e| e.0).collect())
        .collect();
    let pattern = Arc::new(SparsityPattern::from_rows(n, &cols));
    let mut lu = MultifrontalLu::with_relaxation(pattern.clone(), None).unwrap();
    load(&mut lu, &rows);
    lu.factor().unwrap();
    assert!(lu.fell_back());
    assert_ne!(lu.name(), "multifrontal LU");
    let x: Vec<f64> = (0..n).map(|i| 1.0 + i as f64).collect();
    let mut y = rhs(&rows, &x);
    lu.solve(&mut y).unwrap();
    for i in 0..n {
        assert!(
            (y[i] - x[i]).abs() < 1e-12 * x[i],
            "{i}: {} vs {}",
            y[i],
            x[i]
        );
    }
    // New values on the same solver keep working through the fallback.
    load(&mut lu, &rows);
    lu.factor().unwrap();
    // Singular: rows 1 and 2 of a 3 x 3 full pattern equal.
    let full: Vec<Vec<usize>> = (0..3).map(|_| (0..3).collect()).collect();
    let pattern = Arc::new(SparsityPattern::from_rows(3, &full));
    let mut lu = MultifrontalLu::new(pattern.clone()).unwrap();
    let rows: Rows = vec![
        vec![(0, 4.0), (1, 1.0), (2, 0.5)],
        vec![(0, 1.0), (1, 3.0), (2, 1.0)],
        vec![(0, 1.0), (1, 3.0), (2, 1.0)],
    ];
    load(&mut lu, &rows);
    let r = lu.factor().and_then(|_| {
        let mut b = vec![1.0; 3];
        lu.solve(&mut b)
    });
    assert!(matches!(r, Err(LinearError::Singular(_))), "{r:?}");
    // A zero row is reported at its index.
    let mut lu = MultifrontalLu::new(pattern.clone()).unwrap();
    let rows: Rows = vec![vec![(0, 1.0)], vec![], vec![(1, 1.0), (2, 1.0)]];
    load(&mut lu, &rows);
    assert_eq!(lu.factor(), Err(LinearError::Singular(1)));
}

/// On a 2D five-point grid the factors are those of a symmetric minimum-degree LU: far
/// below faer's partial-pivoting bound (`fill::lu_fill_estimate`).
#[test]
fn fill_is_that_of_the_symmetric_ordering() {
    let (pattern, _) = pnp_like_grid(60, 60, 1);
    let lu = MultifrontalLu::new(pattern.clone()).unwrap();
    let est = super::super::fill::lu_fill_estimate(&pattern).unwrap();
    // L + U against twice the COLAMD/George-Ng bound of L alone.
    assert!(
        (lu.factor_entries() as f64) < 0.5 * 2.0 * est.colamd_lu_bound as f64,
        "{} vs {}",
        lu.factor_entries(),
        est.colamd_lu_bound
    );
    // The operation count agrees with faer's AMD count within relaxation overhead.
    let ratio = lu.flops() / (2.0 * est.amd_symmetric_flops);
    assert!((0.5..4.0).contains(&ratio), "flops ratio {ratio}");
}

/// On a 2D three-field grid large enough for two threads, the parallel factorization
/// (disjoint subtrees on their own threads, then the top) and solves give the solution of
/// the one-thread run to rounding (the factors are the same; the solves sum the updates of a
/// separator row in another order), and a refactorization repeats a solve exactly.
#[test]
fn two_threads_give_the_factors_of_one() {
    let (pattern, rows) = pnp_like_grid(90, 80, 11);
    let n = pattern.dim();
    let x: Vec<f64> = (0..n).map(|i| (i as f64 * 0.21).cos() + 2.0).collect();
    let b = rhs(&rows, &x);
    let mut out = vec![];
    for threads in [1, 2] {
        let mut lu =
            MultifrontalLu::with_threads(pattern.clone(), Some(symbolic::RELAX), threads).unwrap();
        assert_eq!(lu.parallel(), threads == 2, "{threads} threads");
        load(&mut lu, &rows);
        lu.factor().unwrap();
        assert!(!lu.fell_back());
        let mut y = b.clone();
        lu.solve(&mut y).unwrap();
        assert!(residual_norm(&rows, &y, &b) < 1e-12);
        // Refactor on the same buffers.
        load(&mut lu, &rows);
        lu.factor().unwrap();
        let mut z = b.clone();
        lu.solve(&mut z).unwrap();
        assert_eq!(y, z);
        out.push(y);
    }
    for (a, b) in out[0].iter().zip(&out[1]) {
        assert!((a - b).abs() <= 1e-12 * a.abs(), "{a} vs {b}");
    }
}

/// The node ordering of one solver reused by another ([`LinearSolver::group_order`],
/// [`SparsityPattern::with_group_order`]): the second solver eliminates the groups in that
/// order, solves to the same accuracy, and reports the order it was given; a pattern
/// without node groups reports none, and an order that is not a permutation is refused.
#[test]
fn a_group_order_is_reused_and_reported() {
    let (pattern, rows) = pnp_like_grid(20, 15, 7);
    let nodes = 20 * 15;
    let starts: Vec<u32> = (0..=nodes).map(|k| 3 * k as u32).collect();
    let grouped = (*pattern).clone().with_groups(starts).unwrap();
    let first = MultifrontalLu::new(Arc::new(grouped.clone())).unwrap();
    let order = first.group_order().expect("node groups");
    assert_eq!(order.len(), nodes);
    // A different order (reversed), given: used and reported.
    let reversed: Vec<u32> = order.iter().rev().copied().collect();
    let given = grouped.clone().with_group_order(reversed.clone()).unwrap();
    let mut lu = MultifrontalLu::new(Arc::new(given)).unwrap();
    assert_eq!(lu.group_order(), Some(reversed));
    let n = pattern.dim();
    let x: Vec<f64> = (0..n).map(|i| (i as f64 * 0.37).sin() + 1.5).collect();
    let b = rhs(&rows, &x);
    load(&mut lu, &rows);
    lu.factor().unwrap();
    let mut y = b.clone();
    lu.solve(&mut y).unwrap();
    for i in 0..n {
        assert!(
            (y[i] - x[i]).abs() < 1e-9 * x[i].abs(),
            "{i}: {} vs {}",
            y[i],
            x[i]
        );
    }
    assert!(MultifrontalLu::new(pattern.clone())
        .unwrap()
        .group_order()
        .is_none());
    assert!(grouped.clone().with_group_order(vec![0; nodes]).is_err());
    assert!(grouped.with_group_order(vec![0, 1]).is_err());
    assert!((*pattern).clone().with_group_order(vec![0]).is_err());
}
