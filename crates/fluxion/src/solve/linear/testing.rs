//! Test matrices and a dense reference solver shared by the linear-solver tests.

use super::{LinearSolver, SparsityPattern};
use rand::RngExt;
use rand_xoshiro::rand_core::SeedableRng;
use rand_xoshiro::Xoshiro256PlusPlus;
use std::sync::Arc;

/// Rows of a sparse matrix as `(column, value)` lists.
pub type Rows = Vec<Vec<(usize, f64)>>;

/// A random well-conditioned sparse matrix of order `n`: tridiagonal core, `extra` random
/// columns per row within 8 of the diagonal, sometimes one anywhere; diagonally dominant,
/// then every row scaled by `10^k`, `k` uniform in `[-6, 6]`. The pattern depends on `seed`
/// only; with `zero_diagonal` every fifth pair of rows `(i - 1, i)` of the dominant matrix
/// is swapped after zeroing the entry that lands on the diagonal, so that pivoting is
/// needed (a row permutation of a well-conditioned matrix stays well-conditioned).
pub fn random_sparse(
    n: usize,
    extra: usize,
    seed: u64,
    zero_diagonal: bool,
) -> (Arc<SparsityPattern>, Rows) {
    let mut rng = Xoshiro256PlusPlus::seed_from_u64(seed);
    let mut cols: Vec<Vec<usize>> = (0..n)
        .map(|i| {
            let mut c: Vec<usize> = (i.saturating_sub(1)..(i + 2).min(n)).collect();
            for _ in 0..extra {
                let lo = i.saturating_sub(8);
                let hi = (i + 8).min(n - 1);
                c.push(rng.random_range(lo..=hi));
            }
            if rng.random::<f64>() < 0.3 {
                c.push(rng.random_range(0..n));
            }
            c.sort_unstable();
            c.dedup();
            c
        })
        .collect();
    let swapped = |i: usize| i >= 1 && i % 5 == 1;
    for i in (1..n).filter(|&i| swapped(i)) {
        let mut u = cols[i - 1].clone();
        u.extend_from_slice(&cols[i]);
        u.sort_unstable();
        u.dedup();
        cols[i - 1] = u.clone();
        cols[i] = u;
    }
    let pattern = Arc::new(SparsityPattern::from_rows(n, &cols));
    let mut vr =
        Xoshiro256PlusPlus::seed_from_u64(seed ^ if zero_diagonal { 0x9e37_79b9 } else { 0 });
    let mut rows: Rows = cols
        .iter()
        .enumerate()
        .map(|(i, c)| {
            let mut r: Vec<(usize, f64)> = c
                .iter()
                .filter(|&&j| j != i)
                .map(|&j| (j, vr.random::<f64>() * 2.0 - 1.0))
                .collect();
            if zero_diagonal && i + 1 < n && swapped(i + 1) {
                // Row i moves to position i + 1: its entry in column i + 1 becomes the
                // diagonal there and is set to zero.
                for e in r.iter_mut().filter(|e| e.0 == i + 1) {
                    e.1 = 0.0;
                }
            }
            let d = 1.0 + r.iter().map(|e| e.1.abs()).sum::<f64>();
            r.push((i, d));
            let s = 10f64.powf(vr.random::<f64>() * 12.0 - 6.0);
            for e in r.iter_mut() {
                e.1 *= s;
            }
            r
        })
        .collect();
    if zero_diagonal {
        for i in (1..n).filter(|&i| swapped(i)) {
            rows.swap(i - 1, i);
        }
    }
    (pattern, rows)
}

/// Dense Gaussian elimination with partial pivoting on row-equilibrated rows (the
/// reference); `None` if a pivot is exactly zero.
pub fn dense_solve(n: usize, rows: &Rows, b: &[f64]) -> Option<Vec<f64>> {
    let mut a = vec![0.0; n * n];
    let mut x = b.to_vec();
    for (i, r) in rows.iter().enumerate() {
        for &(j, v) in r {
            a[i * n + j] += v;
        }
        let m = a[i * n..(i + 1) * n]
            .iter()
            .fold(0.0f64, |m, v| m.max(v.abs()));
        if m > 0.0 {
            a[i * n..(i + 1) * n].iter_mut().for_each(|v| *v /= m);
            x[i] /= m;
        }
    }
    for k in 0..n {
        let p = (k..n).max_by(|&i, &j| a[i * n + k].abs().total_cmp(&a[j * n + k].abs()))?;
        if a[p * n + k] == 0.0 {
            return None;
        }
        for j in 0..n {
            a.swap(k * n + j, p * n + j);
        }
        x.swap(k, p);
        for i in k + 1..n {
            let l = a[i * n + k] / a[k * n + k];
            if l != 0.0 {
                for j in k..n {
                    a[i * n + j] -= l * a[k * n + j];
                }
                x[i] -= l * x[k];
            }
        }
    }
    for k in (0..n).rev() {
        let s: f64 = (k + 1..n).map(|j| a[k * n + j] * x[j]).sum();
        x[k] = (x[k] - s) / a[k * n + k];
    }
    Some(x)
}

/// `max_i |(A x - b)_i| / max_j |a_ij x_j|`: the row-wise relative (backward) residual.
pub fn residual_norm(rows: &Rows, x: &[f64], b: &[f64]) -> f64 {
    rows.iter()
        .enumerate()
        .map(|(i, r)| {
            let ax: f64 = r.iter().map(|&(j, v)| v * x[j]).sum();
            let scale = r.iter().fold(0.0f64, |m, &(j, v)| m.max((v * x[j]).abs()));
            (ax - b[i]).abs() / scale.max(f64::MIN_POSITIVE)
        })
        .fold(0.0, f64::max)
}

/// A Jacobian with the structure of `models/electrodiffusion.rs` on `nodes` nodes: unknowns
/// `(c_1, c_2, phi)` per node; Nernst-Planck rows (diffusion `D/h^2`, drift coupling to the
/// neighbours' potentials, a `1/dt` storage term) of size `~1e9`, Poisson rows
/// (`eps/h^2 ~ 7e8` and the charge `+-F ~ 1e5` at the own node); at the left node the rows
/// `c_1 = c_0`, `phi = V` (in the `c_2` row: zero diagonal) and electroneutrality
/// `c_1 - c_2 = 0` (in the `phi` row: zero diagonal), which need pivoting; at the right node
/// Dirichlet rows for all three. Returned as triplets `(row, column, value)`.
pub fn electrodiffusion_like(nodes: usize, seed: u64) -> Vec<(usize, usize, f64)> {
    let mut rng = Xoshiro256PlusPlus::seed_from_u64(seed);
    let mut e = Vec::with_capacity(nodes * 21);
    let (d, eps, far, h) = (1e-9, 7e-10, 9.6e4, 1e-9);
    let inv_dt = 1e8;
    for k in 0..nodes {
        let u = |f: usize| 3 * k + f;
        if k == 0 {
            e.push((u(0), u(0), 1.0));
            e.push((u(1), u(2), 1.0));
            e.push((u(2), u(0), 1.0));
            e.push((u(2), u(1), -1.0));
            continue;
        }
        if k + 1 == nodes {
            for f in 0..3 {
                e.push((u(f), u(f), 1.0));
            }
            continue;
        }
        for (s, z) in [(0usize, 1.0f64), (1, -2.0)] {
            let drift: f64 = z * (rng.random::<f64>() - 0.5) * 0.6;
            let c = 0.5 + rng.random::<f64>();
            let g = d / (h * h);
            e.push((u(s), u(s) - 3, -g * (1.0 + drift)));
            e.push((u(s), u(s), 2.0 * g + inv_dt));
            e.push((u(s), u(s) + 3, -g * (1.0 - drift)));
            e.push((u(s), u(2) - 3, z * g * c * 0.5));
            e.push((u(s), u(2), -z * g * c * 0.1));
            e.push((u(s), u(2) + 3, -z * g * c * 0.5));
        }
        let p = eps / (h * h);
        e.push((u(2), u(2) - 3, -p));
        e.push((u(2), u(2), 2.0 * p));
        e.push((u(2), u(2) + 3, -p));
        e.push((u(2), u(0), -far));
        e.push((u(2), u(1), 2.0 * far));
    }
    e
}

/// Clear the solver's matrix and add the entries of `rows`.
pub fn load(s: &mut dyn LinearSolver, rows: &[Vec<(usize, f64)>]) {
    let m = s.matrix();
    m.clear();
    for (i, r) in rows.iter().enumerate() {
        for &(j, v) in r {
            m.add(i, j, v);
        }
    }
}
