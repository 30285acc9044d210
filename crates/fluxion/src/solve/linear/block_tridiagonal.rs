//! Block-tridiagonal LU for 1D problems with `b` unknowns per node.
//!
//! With the unknowns of every node interleaved, a 1D finite-volume Jacobian is block
//! tridiagonal: block row `k` (the `b` equations of node `k`) couples only nodes `k - 1`,
//! `k` and `k + 1`,
//!
//! `L_k x_{k-1} + D_k x_k + U_k x_{k+1} = f_k`.
//!
//! The block LU (block Thomas algorithm)
//!
//! `S_0 = D_0`, `S_k = D_k - L_k X_{k-1}`, `X_k = S_k^{-1} U_k`,
//!
//! is followed by the solve `y_k = S_k^{-1} (f_k - L_k y_{k-1})`, `x_k = y_k - X_k x_{k+1}`.
//! It is run two-ended (a twisted factorization): this recurrence eliminates the blocks
//! `0..p` downwards, the mirrored one (`T_k = D_k - U_k Y_{k+1}`, `Y_k = T_k^{-1} L_k`)
//! the blocks `p + 1..N` upwards, and the middle block `p = N / 2` meets both,
//! `M_p = D_p - L_p X_{p-1} - U_p Y_{p+1}`. The two chains of dependent block inversions
//! are independent of each other, so large systems factor and solve them on two threads
//! (`rayon::join`); the split does not depend on the thread count, nor do the results.
//! Every Schur complement is inverted explicitly: with the row scales `R` (every row of the
//! matrix to unit max norm) and the column scales `C` of the row-scaled matrix (as in
//! [`super::BandedLu`], so that pivoting compares like with like), the equilibrated block
//! `R_k S_k C_k` is factored with partial pivoting inside the block and inverted, and
//! `S_k^{-1} = C_k (R_k S_k C_k)^{-1} R_k` is stored. This is the pivoted block LU of the
//! equilibrated matrix `R A C` (the same pivots), but the scales are folded into the stored
//! inverse, so the solve is two sweeps of small dense matrix-vector products without
//! pivoting or scaling, and the scales are computed inside the factorization sweep (a window
//! of three block rows), not stored. Pivoting stays inside the diagonal blocks (no row of
//! node `k` is exchanged with one of node `k + 1`), which is what makes the storage fixed
//! (`3 b^2` numbers per node: `L_k`, `S_k^{-1}` in place of `D_k`, `X_k` in place of `U_k`;
//! no fill-in) and the work `O(N b^3)` with loops that the compiler unrolls for the block
//! sizes 1 to 6 used in practice; rows whose diagonal entry is zero (an equation replaced by
//! a node-local constraint) are handled by the in-block pivoting. A Schur complement that
//! is singular although the whole matrix is not (possible without inter-block pivoting, but
//! not for the diagonally dominant blocks of discretized transport) is reported as
//! [`LinearError::Singular`] at the unknown whose pivot vanished.
//!
//! Memory: `3 b^2 * 8` bytes per node (216 for `b = 3`; the banded LU with
//! `kl = ku = 2b - 1` holds `(6b - 2) b * 8`). Nothing is allocated after construction.

mod kernels;

use super::{LinearError, LinearSolver, MatrixSink, RowPart};
use kernels::{
    column_maxima, equilibrated_inverse, mat_mul, mat_vec, mat_vec_sub, row_scales, schur_update,
};

/// Block-tridiagonal LU with partial pivoting inside the diagonal blocks (see the module
/// docs).
#[derive(Clone, Debug)]
pub struct BlockTridiagonalLu {
    nb: usize,
    b: usize,
    /// `L_k` (coupling to node `k - 1`; zero for `k = 0`), row-major `b x b` per node.
    lower: Vec<f64>,
    /// `D_k`, then `S_k^{-1}`.
    diag: Vec<f64>,
    /// `U_k` (coupling to node `k + 1`), then `X_k = S_k^{-1} U_k`.
    upper: Vec<f64>,
    /// Scratch of the factorization (one [`scratch_len`] per chain) for block sizes above
    /// [`STACK_B`].
    work: Vec<f64>,
    factored: bool,
    /// Whether large systems run the two chains on two threads ([`Chains`]).
    threads: bool,
}

/// Largest block size whose factorization scratch lives on the stack.
const STACK_B: usize = 6;

/// Scratch length of the factorization for block size `b`: the equilibrated Schur
/// complement and its inverse (`b^2` each), the row scales of two block rows, the column
/// scales, the partial column maxima from `U_{k-1}`, and the pivots (`b` each).
const fn scratch_len(b: usize) -> usize {
    2 * b * b + 5 * b
}

/// Numbers left unused between the scratch of the two chains (128 bytes), so that the two
/// threads never write to one cache line: with the scratches adjacent, the factorization on
/// two threads took 1.6 times as long as on one (false sharing; 2026-12-07, 1e6 nodes).
const GAP: usize = 16;

/// Length of the scratch of both chains with the [`GAP`] between them (factorization:
/// `per_chain = scratch_len(b)`; solve: `per_chain = b`).
const fn two_chains(per_chain: usize) -> usize {
    2 * per_chain + GAP
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
            work: if b > STACK_B {
                vec![0.0; two_chains(scratch_len(b))]
            } else {
                Vec::new()
            },
            factored: false,
            threads: true,
        })
    }

    /// How the chains of the twisted factorization run for this size.
    fn chains(&self) -> Chains {
        if self.threads && self.nb >= PAR_MIN_BLOCKS {
            Chains::Threads
        } else {
            Chains::Sequential
        }
    }
}

/// Smallest block count factored and solved on two threads (the two chains of the twisted
/// factorization under `rayon::join`); below it the chains run one after the other. The
/// arithmetic is the same either way, so the result does not depend on the thread count.
const PAR_MIN_BLOCKS: usize = 1 << 13;

/// The middle block `p` of the twisted factorization of `nb` blocks: the top chain
/// eliminates blocks `0..p` downwards, the bottom chain `p + 1..nb` upwards.
#[inline]
fn middle(nb: usize) -> usize {
    nb / 2
}

/// The block size: `B` when it is known at compile time (`B > 0`), else `b`. Called
/// inside closures so that the size is a constant there too.
#[inline(always)]
fn fixed<const B: usize>(b: usize) -> usize {
    if B == 0 {
        b
    } else {
        B
    }
}

/// Position in a chain's slices of its `i`-th block in elimination order (`len` blocks;
/// `REV`: the bottom chain, which runs from the end of its slices).
#[inline(always)]
fn pos<const REV: bool>(len: usize, i: usize) -> usize {
    if REV {
        len - 1 - i
    } else {
        i
    }
}

/// One chain of the twisted factorization as slices of its blocks: `prev` is the coupling
/// of each block to its predecessor in the chain's elimination order (`L_k` going down,
/// `U_k` going up), `next` the coupling to its successor (overwritten by
/// `X_i = S_i^{-1} next_i`), `diag` the diagonal blocks (overwritten by `S_i^{-1}`). `REV`:
/// the bottom chain, which runs from the end of its slices.
struct Chain<'a, const REV: bool> {
    prev: &'a [f64],
    diag: &'a mut [f64],
    next: &'a mut [f64],
    /// Global index of the slices' first block (for the error positions).
    first: usize,
    /// The coupling of the middle block row to the chain's last block.
    end: &'a [f64],
    /// The middle row's row scales.
    end_rs: &'a [f64],
    /// [`scratch_len`] numbers: `s`, `inv`, `rs_cur`, `rs_next`, `cs`, `cpart`, `piv`.
    scratch: &'a mut [f64],
}

impl<const REV: bool> Chain<'_, REV> {
    /// Blocks in the chain.
    #[inline(always)]
    fn len(&self, b: usize) -> usize {
        self.diag.len() / (b * b)
    }

    /// Start the elimination: the row scales of the first block, no column part yet.
    #[inline(always)]
    fn start(&mut self, b: usize) -> Result<(), usize> {
        let (len, bb) = (self.len(b), b * b);
        let rest = &mut self.scratch[2 * bb..];
        rest[3 * b..4 * b].fill(0.0);
        if len == 0 {
            return Ok(());
        }
        let k = pos::<REV>(len, 0);
        row_scales(b, k, self.prev, self.diag, self.next, &mut rest[..b])
            .map_err(|e| e + self.first * b)
    }

    /// Elimination step `i` (module docs): `S_i = D_i - prev_i X_{i-1}`, `S_i^{-1}`
    /// (equilibrated and unscaled) over `D_i`, `X_i = S_i^{-1} next_i` over `next_i`. After
    /// the last step the `cpart` part of the scratch holds the row-scaled column maxima of
    /// the last block's original `next`, its part of the middle column's scales.
    #[inline(always)]
    fn step(&mut self, b: usize, i: usize) -> Result<(), usize> {
        let (len, bb) = (self.len(b), b * b);
        let (prev, diag, next) = (self.prev, &mut *self.diag, &mut *self.next);
        let (s, rest) = self.scratch.split_at_mut(bb);
        let (inv, rest) = rest.split_at_mut(bb);
        let (rs_cur, rest) = rest.split_at_mut(b);
        let (rs_next, rest) = rest.split_at_mut(b);
        let (cs, rest) = rest.split_at_mut(b);
        let (cpart, rest) = rest.split_at_mut(b);
        let piv = &mut rest[..b];
        let shift = |e: usize| e + self.first * b;
        let k = pos::<REV>(len, i);
        let blk = k * bb..(k + 1) * bb;
        // Column scales of block k: `next` of the predecessor (in `cpart`), D_k, and `prev`
        // of the successor (or `end`, the middle row's coupling), all row-scaled.
        cs.copy_from_slice(cpart);
        column_maxima(b, &diag[blk.clone()], rs_cur, cs);
        if i + 1 < len {
            let kn = pos::<REV>(len, i + 1);
            row_scales(b, kn, prev, diag, next, rs_next).map_err(shift)?;
            column_maxima(b, &prev[kn * bb..(kn + 1) * bb], rs_next, cs);
        } else {
            rs_next.copy_from_slice(self.end_rs);
            column_maxima(b, self.end, rs_next, cs);
        }
        // `next_k` is overwritten by X_k below: take its part of the next column now.
        cpart.fill(0.0);
        column_maxima(b, &next[blk.clone()], rs_cur, cpart);
        for (c, v) in cs.iter_mut().enumerate() {
            if *v == 0.0 {
                return Err(shift(k * b + c));
            }
            *v = 1.0 / *v;
        }
        // S_k = D_k - prev_k X_{pred}.
        s.copy_from_slice(&diag[blk.clone()]);
        if i > 0 {
            let kp = pos::<REV>(len, i - 1);
            schur_update(b, s, &prev[blk.clone()], &next[kp * bb..(kp + 1) * bb]);
        }
        equilibrated_inverse(b, s, inv, piv, (rs_cur, cs), &mut diag[blk.clone()])
            .map_err(|c| shift(k * b + c))?;
        // X_k = S_k^{-1} next_k (in place of next_k, through the scratch `s`).
        let u = &mut next[blk.clone()];
        mat_mul(b, &diag[blk], u, s);
        u.copy_from_slice(s);
        rs_cur.copy_from_slice(rs_next);
        Ok(())
    }

    /// The whole elimination of the chain.
    #[inline(always)]
    fn factor(&mut self, b: usize) -> Result<(), usize> {
        self.start(b)?;
        for i in 0..self.len(b) {
            self.step(b, i)?;
        }
        Ok(())
    }

    /// The row-scaled column maxima of the last block's original `next` (after
    /// [`Self::factor`]).
    fn cpart(&self, b: usize) -> &[f64] {
        &self.scratch[2 * b * b + 3 * b..2 * b * b + 4 * b]
    }
}

/// Forward step `i` of one chain, `y_i = S_i^{-1} (f_i - prev_i y_{i-1})`, in its part of
/// `x` (`t`: `b` scratch).
#[inline(always)]
fn forward_step<const REV: bool>(
    b: usize,
    (prev, diag): (&[f64], &[f64]),
    x: &mut [f64],
    t: &mut [f64],
    i: usize,
) {
    let bb = b * b;
    let len = diag.len() / bb;
    let k = pos::<REV>(len, i);
    t.copy_from_slice(&x[k * b..(k + 1) * b]);
    if i > 0 {
        let kp = pos::<REV>(len, i - 1);
        mat_vec_sub(b, &prev[k * bb..(k + 1) * bb], &x[kp * b..(kp + 1) * b], t);
    }
    mat_vec(
        b,
        &diag[k * bb..(k + 1) * bb],
        t,
        &mut x[k * b..(k + 1) * b],
    );
}

/// Back-substitution step `i` of one chain, `x_i = y_i - X_i x_{i+1}`, with `end` the
/// solution of the middle block (the successor of the chain's last block).
#[inline(always)]
fn back_step<const REV: bool>(b: usize, next: &[f64], x: &mut [f64], end: &[f64], i: usize) {
    let bb = b * b;
    let len = next.len() / bb;
    let k = pos::<REV>(len, i);
    let u = &next[k * bb..(k + 1) * bb];
    if i + 1 == len {
        mat_vec_sub(b, u, end, &mut x[k * b..(k + 1) * b]);
    } else if REV {
        // Going up, the successor of block k is k - 1.
        let (lo, hi) = x.split_at_mut(k * b);
        mat_vec_sub(b, u, &lo[(k - 1) * b..], &mut hi[..b]);
    } else {
        // Going down, the successor of block k is k + 1.
        let (lo, hi) = x.split_at_mut((k + 1) * b);
        mat_vec_sub(b, u, &hi[..b], &mut lo[k * b..]);
    }
}

/// Whether the two chains of the twisted factorization run on two threads
/// (`rayon::join`, from [`PAR_MIN_BLOCKS`] blocks) or one after the other. (Alternating
/// their steps on one thread was slower: 2026-12-02, `bench --nodes 1e6`.)
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Chains {
    Sequential,
    Threads,
}

/// The twisted (two-ended) block factorization for block size `b`: the top chain
/// eliminates blocks `0..p` downwards as the block Thomas algorithm of the module docs, the
/// bottom chain blocks `p + 1..nb` upwards (`T_k = D_k - U_k Y_{k+1}`,
/// `Y_k = T_k^{-1} L_k`, stored over `L_k`), and the middle block meets both:
/// `M_p = D_p - L_p X_{p-1} - U_p Y_{p+1}`, inverted over `D_p`. The chains are
/// independent: on two threads they run side by side, else one after the other; the
/// arithmetic is the same. The
/// equilibration is that of the one-ended sweep (row scales of each block row, column
/// scales of the row-scaled matrix), computed inside each chain. `scratch`: [`two_chains`] of
/// [`scratch_len`].
// TODO(#9): the 1D target (1e6 nodes in 0.5 s, 300 MB) needs more: `L_k`/`U_k` are stored
// dense although 4 of their 9 entries are structurally zero for PNP, and the assembly could
// feed the sweep block row by block row instead of clear + assemble + factor as three
// passes (README "Performance").
#[inline(always)]
fn factor_blocks<const B: usize>(
    b: usize,
    nb: usize,
    (lower, diag, upper): (&mut [f64], &mut [f64], &mut [f64]),
    scratch: &mut [f64],
    how: Chains,
) -> Result<(), usize> {
    if nb == 0 {
        return Ok(());
    }
    let bb = b * b;
    let p = middle(nb);
    let (st, rest) = scratch.split_at_mut(scratch_len(b));
    let sb = &mut rest[GAP..GAP + scratch_len(b)];
    // The middle row's scales, needed by both chains before they overwrite anything.
    let mut rs_p = [0.0f64; 255];
    let rs_p = &mut rs_p[..b];
    row_scales(b, p, lower, diag, upper, rs_p)?;
    let rs_p = &*rs_p;
    let (l_top, l_rest) = lower.split_at_mut(p * bb);
    let (l_mid, l_bot) = l_rest.split_at_mut(bb);
    let (d_top, d_rest) = diag.split_at_mut(p * bb);
    let (d_mid, d_bot) = d_rest.split_at_mut(bb);
    let (u_top, u_rest) = upper.split_at_mut(p * bb);
    let (u_mid, u_bot) = u_rest.split_at_mut(bb);
    let mut top = Chain::<false> {
        prev: l_top,
        diag: d_top,
        next: u_top,
        first: 0,
        end: l_mid,
        end_rs: rs_p,
        scratch: st,
    };
    let mut bot = Chain::<true> {
        prev: u_bot,
        diag: d_bot,
        next: l_bot,
        first: p + 1,
        end: u_mid,
        end_rs: rs_p,
        scratch: sb,
    };
    match how {
        Chains::Threads => {
            let (rt, rb) = rayon::join(|| top.factor(fixed::<B>(b)), || bot.factor(fixed::<B>(b)));
            rt?;
            rb?;
        }
        Chains::Sequential => {
            top.factor(b)?;
            bot.factor(b)?;
        }
    }
    // The middle block: M_p = D_p - L_p X_{p-1} - U_p Y_{p+1}, with the column scales from
    // the original U_{p-1} and L_{p+1} (the chains' `cpart`) and D_p.
    let mut cs = [0.0f64; 255];
    let cs = &mut cs[..b];
    for ((v, &t), &u) in cs.iter_mut().zip(top.cpart(b)).zip(bot.cpart(b)) {
        *v = t.max(u);
    }
    column_maxima(b, d_mid, rs_p, cs);
    for (c, v) in cs.iter_mut().enumerate() {
        if *v == 0.0 {
            return Err(p * b + c);
        }
        *v = 1.0 / *v;
    }
    let (s, rest) = top.scratch.split_at_mut(bb);
    let (inv, rest) = rest.split_at_mut(bb);
    let piv = &mut rest[4 * b..5 * b];
    s.copy_from_slice(d_mid);
    if p > 0 {
        schur_update(b, s, top.end, &top.next[(p - 1) * bb..]);
    }
    if p + 1 < nb {
        schur_update(b, s, bot.end, &bot.next[..bb]);
    }
    equilibrated_inverse(b, s, inv, piv, (rs_p, cs), d_mid).map_err(|c| p * b + c)
}

/// The solve with the twisted factors: the forward sweeps of both chains
/// (`y_k = S_k^{-1} (f_k - L_k y_{k-1})` down to `p - 1`,
/// `z_k = T_k^{-1} (f_k - U_k z_{k+1})` up to `p + 1`), the middle
/// `x_p = M_p^{-1} (f_p - L_p y_{p-1} - U_p z_{p+1})`, then the back substitutions outwards
/// (`x_k = y_k - X_k x_{k+1}`, `x_k = z_k - Y_k x_{k-1}`). `t`: [`two_chains`]`(b)` scratch.
#[inline(always)]
fn solve_blocks<const B: usize>(
    b: usize,
    nb: usize,
    (lower, diag, upper): (&[f64], &[f64], &[f64]),
    t: &mut [f64],
    x: &mut [f64],
    how: Chains,
) {
    if nb == 0 {
        return;
    }
    let bb = b * b;
    let p = middle(nb);
    let nbot = nb - 1 - p;
    let (tt, rest) = t.split_at_mut(b);
    let tb = &mut rest[GAP..GAP + b];
    let (l_top, l_rest) = lower.split_at(p * bb);
    let (l_mid, l_bot) = l_rest.split_at(bb);
    let (d_top, d_rest) = diag.split_at(p * bb);
    let (d_mid, d_bot) = d_rest.split_at(bb);
    let (u_top, u_rest) = upper.split_at(p * bb);
    let (u_mid, u_bot) = u_rest.split_at(bb);
    let (x_top, x_rest) = x.split_at_mut(p * b);
    let (x_mid, x_bot) = x_rest.split_at_mut(b);
    let fwd_top = |x: &mut [f64], t: &mut [f64], i| {
        forward_step::<false>(fixed::<B>(b), (l_top, d_top), x, t, i)
    };
    let fwd_bot = |x: &mut [f64], t: &mut [f64], i| {
        forward_step::<true>(fixed::<B>(b), (u_bot, d_bot), x, t, i)
    };
    match how {
        Chains::Threads => {
            rayon::join(
                || (0..p).for_each(|i| fwd_top(x_top, tt, i)),
                || (0..nbot).for_each(|i| fwd_bot(x_bot, tb, i)),
            );
        }
        Chains::Sequential => {
            (0..p).for_each(|i| fwd_top(x_top, tt, i));
            (0..nbot).for_each(|i| fwd_bot(x_bot, tb, i));
        }
    }
    tt.copy_from_slice(x_mid);
    if p > 0 {
        mat_vec_sub(b, l_mid, &x_top[(p - 1) * b..], tt);
    }
    if p + 1 < nb {
        mat_vec_sub(b, u_mid, &x_bot[..b], tt);
    }
    mat_vec(b, d_mid, tt, x_mid);
    let x_mid = &*x_mid;
    let back_top = |x: &mut [f64], i| back_step::<false>(fixed::<B>(b), u_top, x, x_mid, i);
    let back_bot = |x: &mut [f64], i| back_step::<true>(fixed::<B>(b), l_bot, x, x_mid, i);
    match how {
        Chains::Threads => {
            rayon::join(
                || (0..p).rev().for_each(|i| back_top(x_top, i)),
                || (0..nbot).rev().for_each(|i| back_bot(x_bot, i)),
            );
        }
        Chains::Sequential => {
            (0..p).rev().for_each(|i| back_top(x_top, i));
            (0..nbot).rev().for_each(|i| back_bot(x_bot, i));
        }
    }
}

/// Call `$f` with the block size as a literal and as the const parameter `B` for the
/// common sizes (`B = 0`: the size is only known at run time), so that the inlined loops
/// are unrolled, also in the closures run by `rayon::join`.
macro_rules! dispatch {
    ($b:expr, $f:ident ( $($arg:expr),* )) => {
        match $b {
            1 => $f::<1>(1, $($arg),*),
            2 => $f::<2>(2, $($arg),*),
            3 => $f::<3>(3, $($arg),*),
            4 => $f::<4>(4, $($arg),*),
            5 => $f::<5>(5, $($arg),*),
            6 => $f::<6>(6, $($arg),*),
            b => $f::<0>(b, $($arg),*),
        }
    };
}

/// Block rows `first..first + len` of the matrix (`L_k`, `D_k`, `U_k` of each), addressed
/// by global row and column indices: the whole matrix for [`BlockTridiagonalLu`]'s own
/// [`MatrixSink`], or one of the halves of [`MatrixSink::split_rows`].
struct BlockRows<'a> {
    b: usize,
    /// Blocks of the whole matrix.
    nb: usize,
    /// The first block row held.
    first: usize,
    lower: &'a mut [f64],
    diag: &'a mut [f64],
    upper: &'a mut [f64],
}

impl BlockRows<'_> {
    /// The block (node) of row or column `i`: `i / b`, with the division by the common
    /// block sizes as a constant (a multiplication) instead of a hardware division, which
    /// the assembler's `add_block` calls pay twice per node block.
    #[inline(always)]
    fn block_of(&self, i: usize) -> usize {
        match self.b {
            1 => i,
            2 => i / 2,
            3 => i / 3,
            4 => i / 4,
            b => i / b,
        }
    }

    /// `(block, offset)` of entry `(i, j)` in this part's slices: which of `L`, `D`, `U`
    /// and where.
    #[inline]
    fn locate(&self, i: usize, j: usize) -> Option<(u8, usize)> {
        let b = self.b;
        let (k, m) = (self.block_of(i), self.block_of(j));
        debug_assert!(
            k >= self.first && (k - self.first) * b * b < self.diag.len(),
            "row {i} outside this part's rows"
        );
        let (r, c) = (i - k * b, j - m * b);
        let off = (k - self.first) * b * b + r * b + c;
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
}

impl MatrixSink for BlockRows<'_> {
    fn dim(&self) -> usize {
        self.nb * self.b
    }
    fn clear(&mut self) {
        self.lower.fill(0.0);
        self.diag.fill(0.0);
        self.upper.fill(0.0);
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
        let (k, m) = (self.block_of(i), self.block_of(j));
        if rows == b && cols == b && i == k * b && j == m * b {
            // A whole node block: `L_k`, `D_k` or `U_k` of block row `k`.
            let dst = if m == k {
                &mut *self.diag
            } else if m + 1 == k {
                &mut *self.lower
            } else if m == k + 1 {
                &mut *self.upper
            } else {
                debug_assert!(
                    block.iter().all(|v| *v == 0.0),
                    "block ({i}, {j}) is outside the block tridiagonal"
                );
                return;
            };
            let (bb, k) = (b * b, k - self.first);
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
        let start = (i / b - self.first) * b * b + (i % b) * b;
        self.lower[start..start + b].fill(0.0);
        self.diag[start..start + b].fill(0.0);
        self.upper[start..start + b].fill(0.0);
    }
    fn get(&self, i: usize, j: usize) -> f64 {
        let rows = self.first * self.b..self.first * self.b + self.diag.len() / self.b;
        if !rows.contains(&i) || j >= self.dim() {
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

impl BlockTridiagonalLu {
    /// All block rows as a [`BlockRows`].
    #[inline(always)]
    fn rows(&mut self) -> BlockRows<'_> {
        BlockRows {
            b: self.b,
            nb: self.nb,
            first: 0,
            lower: &mut self.lower,
            diag: &mut self.diag,
            upper: &mut self.upper,
        }
    }
}

impl MatrixSink for BlockTridiagonalLu {
    fn dim(&self) -> usize {
        self.nb * self.b
    }
    fn clear(&mut self) {
        self.factored = false;
        if self.chains() == Chains::Threads {
            // Zeroing 216 bytes per node is memory bound: two threads, one per half.
            let split = middle(self.nb) * self.b;
            self.split_rows(split, &mut |a, b| {
                rayon::join(|| a.clear(), || b.clear());
            });
        } else {
            self.rows().clear();
        }
    }
    #[inline]
    fn add(&mut self, i: usize, j: usize, v: f64) {
        self.rows().add(i, j, v)
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
        self.rows().add_block(i, j, rows, cols, block, scale)
    }
    fn zero_row(&mut self, i: usize) {
        self.rows().zero_row(i)
    }
    fn get(&self, i: usize, j: usize) -> f64 {
        if i >= self.dim() || j >= self.dim() {
            return 0.0;
        }
        let b = self.b;
        let (k, m) = (i / b, j / b);
        let off = k * b * b + (i - k * b) * b + (j - m * b);
        if m == k {
            self.diag[off]
        } else if m + 1 == k {
            self.lower[off]
        } else if m == k + 1 {
            self.upper[off]
        } else {
            0.0
        }
    }
    fn split_rows(&mut self, row: usize, f: &mut dyn FnMut(RowPart, RowPart)) -> bool {
        let (b, nb) = (self.b, self.nb);
        if row % b != 0 || row > nb * b {
            return false;
        }
        self.factored = false;
        let (k, bb) = (row / b, b * b);
        let (l0, l1) = self.lower.split_at_mut(k * bb);
        let (d0, d1) = self.diag.split_at_mut(k * bb);
        let (u0, u1) = self.upper.split_at_mut(k * bb);
        let part = |first, lower, diag, upper| BlockRows {
            b,
            nb,
            first,
            lower,
            diag,
            upper,
        };
        f(&mut part(0, l0, d0, u0), &mut part(k, l1, d1, u1));
        true
    }
}

impl LinearSolver for BlockTridiagonalLu {
    fn matrix(&mut self) -> &mut dyn MatrixSink {
        self.factored = false;
        self
    }

    fn factor(&mut self) -> Result<(), LinearError> {
        self.factored = false;
        let (b, nb, how) = (self.b, self.nb, self.chains());
        let mut stack = [0.0f64; two_chains(scratch_len(STACK_B))];
        let scratch: &mut [f64] = if b <= STACK_B {
            &mut stack[..two_chains(scratch_len(b))]
        } else {
            &mut self.work
        };
        dispatch!(
            b,
            factor_blocks(
                nb,
                (&mut self.lower, &mut self.diag, &mut self.upper),
                scratch,
                how
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
        let (b, nb, how) = (self.b, self.nb, self.chains());
        let mut stack = [0.0f64; two_chains(STACK_B)];
        let t: &mut [f64] = if b <= STACK_B {
            &mut stack[..two_chains(b)]
        } else {
            &mut self.work
        };
        let factors = (&self.lower[..], &self.diag[..], &self.upper[..]);
        dispatch!(b, solve_blocks(nb, factors, t, x, how));
        Ok(())
    }

    fn memory_bytes(&self) -> usize {
        (self.lower.len() + self.diag.len() + self.upper.len() + self.work.len()) * 8
    }

    fn name(&self) -> &'static str {
        "block-tridiagonal LU"
    }
}

#[cfg(test)]
mod tests;
