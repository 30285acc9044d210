//! Block-tridiagonal LU for 1D problems with `b` unknowns per node.
//!
//! With the unknowns of every node interleaved, a 1D finite-volume Jacobian is block
//! tridiagonal: block row `k` (the `b` equations of node `k`) couples only nodes `k - 1`,
//! `k` and `k + 1`,
//!
//! `L_k x_{k-1} + D_k x_k + U_k x_{k+1} = f_k`.
//!
//! After row and column equilibration (as in [`super::BandedLu`]: every row scaled to unit
//! max norm, then every column, so that pivoting compares like with like) the block LU
//! (block Thomas algorithm)
//!
//! `S_0 = D_0`, `S_k = D_k - L_k X_{k-1}`, `X_k = S_k^{-1} U_k`,
//!
//! factors every Schur complement `S_k = P_k L'_k U'_k` with partial pivoting inside the
//! block, and the solve is `y_k = S_k^{-1} (f_k - L_k y_{k-1})`, `x_k = y_k - X_k x_{k+1}`.
//! Pivoting stays inside the diagonal blocks (no row of node `k` is exchanged with one of
//! node `k + 1`), which is what makes the storage fixed (`3 b^2` numbers per node, no
//! fill-in) and the work `O(N b^3)` with loops that the compiler unrolls for the block
//! sizes 1 to 6 used in practice; rows whose diagonal entry is zero (an equation replaced by
//! a node-local constraint) are handled by the in-block pivoting. A Schur complement that
//! is singular although the whole matrix is not (possible without inter-block pivoting, but
//! not for the diagonally dominant blocks of discretized transport) is reported as
//! [`LinearError::Singular`] at the unknown whose pivot vanished.
//!
//! Memory: `(3 b^2 + 2 b) * 8 + b` bytes per node (the banded LU with `kl = ku = 2b - 1`
//! holds `(6b - 2) b * 8`). Nothing is allocated after construction.

use super::{LinearError, LinearSolver, MatrixSink};

/// Block-tridiagonal LU with partial pivoting inside the diagonal blocks (see the module
/// docs).
#[derive(Clone, Debug)]
pub struct BlockTridiagonalLu {
    nb: usize,
    b: usize,
    /// `L_k` (coupling to node `k - 1`; zero for `k = 0`), row-major `b x b` per node.
    lower: Vec<f64>,
    /// `D_k`, then the LU factors of `S_k`.
    diag: Vec<f64>,
    /// `U_k` (coupling to node `k + 1`), then `X_k = S_k^{-1} U_k`.
    upper: Vec<f64>,
    piv: Vec<u8>,
    row_scale: Vec<f64>,
    col_scale: Vec<f64>,
    factored: bool,
}

impl BlockTridiagonalLu {
    /// A solver for `blocks` nodes of `block_size` unknowns each (`1 <= block_size <= 255`).
    pub fn new(blocks: usize, block_size: usize) -> Result<Self, LinearError> {
        if block_size == 0 || block_size > 255 {
            return Err(LinearError::Unsupported(format!(
                "block size {block_size}: the block-tridiagonal LU needs 1 to 255 unknowns per \
                 node"
            )));
        }
        let (b, nb) = (block_size, blocks);
        Ok(BlockTridiagonalLu {
            nb,
            b,
            lower: vec![0.0; nb * b * b],
            diag: vec![0.0; nb * b * b],
            upper: vec![0.0; nb * b * b],
            piv: vec![0; nb * b],
            row_scale: vec![1.0; nb * b],
            col_scale: vec![1.0; nb * b],
            factored: false,
        })
    }

    /// `(block, offset)` of entry `(i, j)`: which of `L`, `D`, `U` and where.
    #[inline]
    fn locate(&self, i: usize, j: usize) -> Option<(u8, usize)> {
        let b = self.b;
        let (k, r) = (i / b, i % b);
        let (m, c) = (j / b, j % b);
        let off = k * b * b + r * b + c;
        if m == k {
            Some((1, off))
        } else if m + 1 == k {
            Some((0, off))
        } else if m == k + 1 {
            Some((2, off))
        } else {
            None
        }
    }

    /// Row equilibration (every row to unit max norm) and the column scales of the
    /// row-scaled matrix (`1 / max |a_ij|` per column), in one pass over the blocks; the
    /// columns are scaled in the factorization sweep ([`factor_blocks`]), so the matrix is
    /// read twice per factorization, not four times.
    fn equilibrate_rows(&mut self) -> Result<(), LinearError> {
        let (b, nb) = (self.b, self.nb);
        let bb = b * b;
        self.col_scale.fill(0.0);
        for k in 0..nb {
            for r in 0..b {
                let row = k * bb + r * b;
                let mut m = 0.0f64;
                for c in 0..b {
                    m = m
                        .max(self.lower[row + c].abs())
                        .max(self.diag[row + c].abs())
                        .max(self.upper[row + c].abs());
                }
                if m == 0.0 || !m.is_finite() {
                    return Err(LinearError::Singular(k * b + r));
                }
                let s = 1.0 / m;
                self.row_scale[k * b + r] = s;
                // Column j = (m, c) lives in D_m, L_{m+1} and U_{m-1}.
                for c in 0..b {
                    self.lower[row + c] *= s;
                    self.diag[row + c] *= s;
                    self.upper[row + c] *= s;
                    let d = &mut self.col_scale[k * b + c];
                    *d = d.max(self.diag[row + c].abs());
                    if k > 0 {
                        let l = &mut self.col_scale[(k - 1) * b + c];
                        *l = l.max(self.lower[row + c].abs());
                    }
                    if k + 1 < nb {
                        let u = &mut self.col_scale[(k + 1) * b + c];
                        *u = u.max(self.upper[row + c].abs());
                    }
                }
            }
        }
        for (j, s) in self.col_scale.iter_mut().enumerate() {
            if *s == 0.0 {
                return Err(LinearError::Singular(j));
            }
            *s = 1.0 / *s;
        }
        Ok(())
    }
}

/// LU with partial pivoting of the row-major `b x b` block `a` in place; `piv[r]` is the row
/// exchanged with `r`. `Err(col)` at a zero pivot.
#[inline(always)]
fn lu_block(b: usize, a: &mut [f64], piv: &mut [u8]) -> Result<(), usize> {
    for c in 0..b {
        let mut p = c;
        let mut m = a[c * b + c].abs();
        for r in c + 1..b {
            let v = a[r * b + c].abs();
            if v > m {
                (m, p) = (v, r);
            }
        }
        piv[c] = p as u8;
        if m == 0.0 || !m.is_finite() {
            return Err(c);
        }
        if p != c {
            for j in 0..b {
                a.swap(c * b + j, p * b + j);
            }
        }
        let inv = 1.0 / a[c * b + c];
        for r in c + 1..b {
            let l = a[r * b + c] * inv;
            a[r * b + c] = l;
            if l != 0.0 {
                for j in c + 1..b {
                    a[r * b + j] -= l * a[c * b + j];
                }
            }
        }
    }
    Ok(())
}

/// Solve `S z = v` in place for `nrhs` right-hand sides stored as the columns of the
/// row-major `b x nrhs` array `v`, with `S` factored by [`lu_block`].
#[inline(always)]
fn lu_solve(b: usize, lu: &[f64], piv: &[u8], v: &mut [f64], nrhs: usize) {
    for c in 0..b {
        let p = piv[c] as usize;
        if p != c {
            for j in 0..nrhs {
                v.swap(c * nrhs + j, p * nrhs + j);
            }
        }
    }
    for r in 1..b {
        for c in 0..r {
            let l = lu[r * b + c];
            for j in 0..nrhs {
                v[r * nrhs + j] -= l * v[c * nrhs + j];
            }
        }
    }
    for r in (0..b).rev() {
        for c in r + 1..b {
            let u = lu[r * b + c];
            for j in 0..nrhs {
                v[r * nrhs + j] -= u * v[c * nrhs + j];
            }
        }
        let inv = 1.0 / lu[r * b + r];
        for j in 0..nrhs {
            v[r * nrhs + j] *= inv;
        }
    }
}

/// Scale the columns of the row-major `b x b` block `a` by `cs[..b]`.
#[inline(always)]
fn scale_columns(b: usize, a: &mut [f64], cs: &[f64]) {
    for r in 0..b {
        for c in 0..b {
            a[r * b + c] *= cs[c];
        }
    }
}

/// The block Thomas factorization (module docs) for block size `b`, applying the column
/// scales `cs` to block row `k` just before it is used.
#[inline(always)]
fn factor_blocks(
    b: usize,
    nb: usize,
    lower: &mut [f64],
    diag: &mut [f64],
    upper: &mut [f64],
    piv: &mut [u8],
    cs: &[f64],
) -> Result<(), usize> {
    let bb = b * b;
    for k in 0..nb {
        let d = &mut diag[k * bb..(k + 1) * bb];
        scale_columns(b, d, &cs[k * b..]);
        if k + 1 < nb {
            scale_columns(b, &mut upper[k * bb..(k + 1) * bb], &cs[(k + 1) * b..]);
        }
        if k > 0 {
            // S_k = D_k - L_k X_{k-1}.
            let l = &mut lower[k * bb..(k + 1) * bb];
            scale_columns(b, l, &cs[(k - 1) * b..]);
            let (xs, _) = upper.split_at(k * bb);
            let x = &xs[(k - 1) * bb..];
            for r in 0..b {
                for m in 0..b {
                    let lrm = l[r * b + m];
                    if lrm != 0.0 {
                        for c in 0..b {
                            d[r * b + c] -= lrm * x[m * b + c];
                        }
                    }
                }
            }
        }
        let p = &mut piv[k * b..(k + 1) * b];
        lu_block(b, d, p).map_err(|c| k * b + c)?;
        if k + 1 < nb {
            lu_solve(b, d, p, &mut upper[k * bb..(k + 1) * bb], b);
        }
    }
    Ok(())
}

/// Forward and back substitution with the row scales `rs` applied to block `k` of the
/// right-hand side when the forward sweep reaches it, and the column scales `cs` to the
/// solution of block `k + 1` once the back sweep no longer needs it.
#[inline(always)]
#[allow(clippy::too_many_arguments)]
fn solve_blocks(
    b: usize,
    nb: usize,
    lower: &[f64],
    diag: &[f64],
    upper: &[f64],
    piv: &[u8],
    (rs, cs): (&[f64], &[f64]),
    x: &mut [f64],
) {
    let bb = b * b;
    for k in 0..nb {
        let (prev, cur) = x.split_at_mut(k * b);
        for (v, s) in cur[..b].iter_mut().zip(&rs[k * b..(k + 1) * b]) {
            *v *= s;
        }
        if k > 0 {
            let y = &prev[(k - 1) * b..];
            let l = &lower[k * bb..(k + 1) * bb];
            for r in 0..b {
                let mut s = 0.0;
                for c in 0..b {
                    s += l[r * b + c] * y[c];
                }
                cur[r] -= s;
            }
        }
        lu_solve(
            b,
            &diag[k * bb..(k + 1) * bb],
            &piv[k * b..(k + 1) * b],
            &mut cur[..b],
            1,
        );
    }
    for k in (0..nb.saturating_sub(1)).rev() {
        let (cur, next) = x.split_at_mut((k + 1) * b);
        let xk = &mut cur[k * b..];
        let u = &upper[k * bb..(k + 1) * bb];
        for r in 0..b {
            let mut s = 0.0;
            for c in 0..b {
                s += u[r * b + c] * next[c];
            }
            xk[r] -= s;
        }
        for (v, s) in next[..b].iter_mut().zip(&cs[(k + 1) * b..(k + 2) * b]) {
            *v *= s;
        }
    }
    if nb > 0 {
        for (v, s) in x[..b].iter_mut().zip(&cs[..b]) {
            *v *= s;
        }
    }
}

/// Call `$f` with the block size as a literal for the common sizes, so that the inlined
/// loops are unrolled.
macro_rules! dispatch {
    ($b:expr, $f:ident ( $($arg:expr),* )) => {
        match $b {
            1 => $f(1, $($arg),*),
            2 => $f(2, $($arg),*),
            3 => $f(3, $($arg),*),
            4 => $f(4, $($arg),*),
            5 => $f(5, $($arg),*),
            6 => $f(6, $($arg),*),
            b => $f(b, $($arg),*),
        }
    };
}

impl MatrixSink for BlockTridiagonalLu {
    fn dim(&self) -> usize {
        self.nb * self.b
    }
    fn clear(&mut self) {
        self.lower.fill(0.0);
        self.diag.fill(0.0);
        self.upper.fill(0.0);
        self.factored = false;
    }
    #[inline]
    fn add(&mut self, i: usize, j: usize, v: f64) {
        match self.locate(i, j) {
            Some((0, o)) => self.lower[o] += v,
            Some((1, o)) => self.diag[o] += v,
            Some((_, o)) => self.upper[o] += v,
            None => debug_assert!(
                v == 0.0,
                "entry ({i}, {j}) is outside the block tridiagonal"
            ),
        }
    }
    #[inline]
    fn add_block(
        &mut self,
        i: usize,
        j: usize,
        rows: usize,
        cols: usize,
        block: &[f64],
        scale: f64,
    ) {
        let b = self.b;
        if rows == b && cols == b && i % b == 0 && j % b == 0 {
            // A whole node block: `L_k`, `D_k` or `U_k` of block row `k = i / b`.
            let (k, m) = (i / b, j / b);
            let dst = if m == k {
                &mut self.diag
            } else if m + 1 == k {
                &mut self.lower
            } else if m == k + 1 {
                &mut self.upper
            } else {
                debug_assert!(
                    block.iter().all(|v| *v == 0.0),
                    "block ({i}, {j}) is outside the block tridiagonal"
                );
                return;
            };
            let bb = b * b;
            for (d, &v) in dst[k * bb..(k + 1) * bb].iter_mut().zip(&block[..bb]) {
                *d += scale * v;
            }
            return;
        }
        for r in 0..rows {
            for (c, &v) in block[r * cols..(r + 1) * cols].iter().enumerate() {
                if v != 0.0 {
                    self.add(i + r, j + c, scale * v);
                }
            }
        }
    }
    fn zero_row(&mut self, i: usize) {
        let b = self.b;
        let start = (i / b) * b * b + (i % b) * b;
        self.lower[start..start + b].fill(0.0);
        self.diag[start..start + b].fill(0.0);
        self.upper[start..start + b].fill(0.0);
    }
    fn get(&self, i: usize, j: usize) -> f64 {
        if i >= self.dim() || j >= self.dim() {
            return 0.0;
        }
        match self.locate(i, j) {
            Some((0, o)) => self.lower[o],
            Some((1, o)) => self.diag[o],
            Some((_, o)) => self.upper[o],
            None => 0.0,
        }
    }
}

impl LinearSolver for BlockTridiagonalLu {
    fn matrix(&mut self) -> &mut dyn MatrixSink {
        self.factored = false;
        self
    }

    fn factor(&mut self) -> Result<(), LinearError> {
        self.factored = false;
        self.equilibrate_rows()?;
        let (b, nb) = (self.b, self.nb);
        dispatch!(
            b,
            factor_blocks(
                nb,
                &mut self.lower,
                &mut self.diag,
                &mut self.upper,
                &mut self.piv,
                &self.col_scale
            )
        )
        .map_err(LinearError::Singular)?;
        self.factored = true;
        Ok(())
    }

    fn solve(&mut self, x: &mut [f64]) -> Result<(), LinearError> {
        assert!(
            self.factored,
            "BlockTridiagonalLu::solve before a successful factor"
        );
        assert_eq!(x.len(), self.dim(), "right-hand side of the wrong length");
        let (b, nb) = (self.b, self.nb);
        let scales = (&self.row_scale[..], &self.col_scale[..]);
        dispatch!(
            b,
            solve_blocks(
                nb,
                &self.lower,
                &self.diag,
                &self.upper,
                &self.piv,
                scales,
                x
            )
        );
        Ok(())
    }

    fn memory_bytes(&self) -> usize {
        (self.lower.len() + self.diag.len() + self.upper.len()) * 8
            + self.piv.len()
            + (self.row_scale.len() + self.col_scale.len()) * 8
    }

    fn name(&self) -> &'static str {
        "block-tridiagonal LU"
    }
}

#[cfg(test)]
mod tests {
    use super::super::testing::{dense_solve, electrodiffusion_like, residual_norm, Rows};
    use super::super::{make_solver, BandedLu, SolverChoice, Structure};
    use super::*;
    use rand::RngExt;
    use rand_xoshiro::rand_core::SeedableRng;
    use rand_xoshiro::Xoshiro256PlusPlus;

    fn rows_of(n: usize, e: &[(usize, usize, f64)]) -> Rows {
        let mut rows: Rows = vec![Vec::new(); n];
        for &(i, j, v) in e {
            rows[i].push((j, v));
        }
        rows
    }

    fn solve_with(s: &mut dyn LinearSolver, e: &[(usize, usize, f64)], b: &[f64]) -> Vec<f64> {
        let m = s.matrix();
        m.clear();
        for &(i, j, v) in e {
            m.add(i, j, v);
        }
        s.factor().unwrap();
        let mut x = b.to_vec();
        s.solve(&mut x).unwrap();
        x
    }

    /// Random block-tridiagonal matrices, block-diagonally dominant, rows scaled over 12
    /// decades and a permuted diagonal block at every third node (zero diagonal entries),
    /// against the dense reference and the banded LU, for block counts straddling 1, 2, 3,
    /// 255, 256, 257 and block sizes 1-4 and 7 (the unrolled and the generic paths).
    #[test]
    fn matches_dense_and_banded_references() {
        for b in [1usize, 2, 3, 4, 7] {
            for nb in [1usize, 2, 3, 255, 256, 257] {
                let n = nb * b;
                let mut rng = Xoshiro256PlusPlus::seed_from_u64((nb * 31 + b) as u64);
                let mut e = Vec::new();
                for k in 0..nb {
                    let perm = k % 3 == 1 && b > 1;
                    for r in 0..b {
                        // Row r of the block is stored at row (r + 1) % b when permuted.
                        let row = k * b + if perm { (r + 1) % b } else { r };
                        let scale = 10f64.powf(rng.random::<f64>() * 12.0 - 6.0);
                        let mut sum = 0.0;
                        for m in [k.wrapping_sub(1), k, k + 1] {
                            if m >= nb {
                                continue;
                            }
                            for c in 0..b {
                                if m == k && c == r {
                                    continue;
                                }
                                let v = rng.random::<f64>() - 0.5;
                                sum += v.abs();
                                e.push((row, m * b + c, v * scale));
                            }
                        }
                        e.push((row, k * b + r, (1.0 + sum) * scale));
                    }
                }
                let rows = rows_of(n, &e);
                let x: Vec<f64> = (0..n).map(|i| 1.0 + (i % 7) as f64).collect();
                let rhs: Vec<f64> = rows
                    .iter()
                    .map(|r| r.iter().map(|&(j, v)| v * x[j]).sum())
                    .collect();
                let mut bt = BlockTridiagonalLu::new(nb, b).unwrap();
                let y = solve_with(&mut bt, &e, &rhs);
                let w = 2 * b - 1;
                let z = solve_with(&mut BandedLu::new(n, w, w), &e, &rhs);
                let dense = dense_solve(n, &rows, &rhs).unwrap();
                for i in 0..n {
                    let tol = 1e-10 * x[i];
                    assert!(
                        (y[i] - x[i]).abs() < tol,
                        "b={b} nb={nb} {i}: {} vs {}",
                        y[i],
                        x[i]
                    );
                    assert!((y[i] - z[i]).abs() < tol && (y[i] - dense[i]).abs() < tol);
                }
            }
        }
    }

    /// The electrodiffusion-like Jacobian (3x3 blocks, Dirichlet rows, rows with a zero
    /// diagonal entry at the left boundary): the same solution as the banded LU with
    /// `kl = ku = 5` and as the dense reference, and a row-wise backward error at round-off.
    #[test]
    fn electrodiffusion_pattern_matches_banded_lu() {
        for nodes in [2usize, 3, 50, 257] {
            let n = 3 * nodes;
            let e = electrodiffusion_like(nodes, nodes as u64);
            let rows = rows_of(n, &e);
            let rhs: Vec<f64> = (0..n).map(|i| ((i * 13) % 17) as f64 - 8.0).collect();
            let structure = Structure::BlockTridiagonal {
                blocks: nodes,
                block_size: 3,
            };
            let mut bt = make_solver(&structure, SolverChoice::Auto).unwrap();
            assert_eq!(bt.name(), "block-tridiagonal LU");
            let y = solve_with(bt.as_mut(), &e, &rhs);
            let mut band = make_solver(&structure, SolverChoice::Banded).unwrap();
            let z = solve_with(band.as_mut(), &e, &rhs);
            let dense = dense_solve(n, &rows, &rhs).unwrap();
            let scale = dense.iter().fold(0.0f64, |m, v| m.max(v.abs()));
            for i in 0..n {
                assert!(
                    (y[i] - dense[i]).abs() < 1e-9 * scale,
                    "{nodes} {i}: {} vs {}",
                    y[i],
                    dense[i]
                );
                assert!((z[i] - dense[i]).abs() < 1e-9 * scale);
            }
            assert!(
                residual_norm(&rows, &y, &rhs) < 1e-13,
                "{}",
                residual_norm(&rows, &y, &rhs)
            );
        }
    }

    #[test]
    fn singular_and_invalid_inputs_are_reported() {
        let mut bt = BlockTridiagonalLu::new(3, 2).unwrap();
        let m = bt.matrix();
        m.clear();
        for i in 0..6 {
            m.add(i, i, 1.0);
        }
        m.zero_row(3);
        assert_eq!(bt.factor(), Err(LinearError::Singular(3)));
        // A singular diagonal block: rows 2 and 3 equal.
        let m = bt.matrix();
        m.clear();
        for i in [0, 1, 4, 5] {
            m.add(i, i, 1.0);
        }
        for i in [2, 3] {
            m.add(i, 2, 1.0);
            m.add(i, 3, 2.0);
        }
        assert!(matches!(bt.factor(), Err(LinearError::Singular(3))));
        assert!(BlockTridiagonalLu::new(4, 0).is_err());
        assert_eq!(bt.get(0, 5), 0.0);
        assert!(make_solver(
            &Structure::BlockTridiagonal {
                blocks: 2,
                block_size: 2
            },
            SolverChoice::SparseLu
        )
        .is_err());
    }
}
