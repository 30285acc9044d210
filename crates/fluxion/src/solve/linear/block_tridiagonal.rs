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
//! is followed by the solve `y_k = S_k^{-1} (f_k - L_k y_{k-1})`,
//! `x_k = y_k - S_k^{-1} (U_k x_{k+1})`. It is run two-ended (a twisted factorization): this
//! recurrence eliminates the blocks `0..p` downwards, the mirrored one
//! (`T_k = D_k - U_k Y_{k+1}`, `Y_k = T_k^{-1} L_k`) the blocks `p + 1..N` upwards, and the
//! middle block `p = N / 2` meets both, `M_p = D_p - L_p X_{p-1} - U_p Y_{p+1}`. The two
//! chains of dependent block inversions are independent of each other, so large systems
//! factor and solve them on two threads (`rayon::join`); the split does not depend on the
//! thread count, nor do the results.
//!
//! Every Schur complement is inverted explicitly: with the row scales `R` (every row of the
//! matrix to unit max norm) and the column scales `C` of the row-scaled matrix (as in
//! [`super::BandedLu`], so that pivoting compares like with like), the equilibrated block
//! `R_k S_k C_k` is factored with partial pivoting inside the block and inverted, and
//! `S_k^{-1} = C_k (R_k S_k C_k)^{-1} R_k` is stored over `D_k`. This is the pivoted block LU
//! of the equilibrated matrix `R A C` (the same pivots), but the scales are folded into the
//! stored inverse, so the solve is two sweeps of small matrix-vector products without
//! pivoting or scaling, and the scales are computed inside the factorization sweep (a window
//! of three block rows), not stored. Pivoting stays inside the diagonal blocks (no row of
//! node `k` is exchanged with one of node `k + 1`), which is what makes the storage fixed
//! (no fill-in) and the work `O(N b^3)` with loops that the compiler unrolls for the block
//! sizes 1 to 6 used in practice; rows whose diagonal entry is zero (an equation replaced by
//! a node-local constraint) are handled by the in-block pivoting. A Schur complement that
//! is singular although the whole matrix is not (possible without inter-block pivoting, but
//! not for the diagonally dominant blocks of discretized transport) is reported as
//! [`LinearError::Singular`] at the unknown whose pivot vanished.
//!
//! **Storage.** The off-diagonal blocks `L_k`, `U_k` keep only the entries of a coupling
//! mask given at construction (the fields a two-point flux couples across a face: for
//! Nernst-Planck-Poisson with `m` species `c_k`-`c_k`, `c_k`-`phi` and `phi`-`phi`, 5 of
//! the 9 entries for `m = 2`), and `X_k`, `Y_k` are not stored: the factorization keeps the
//! last one of each chain in its scratch, and the back substitution multiplies by
//! `S_k^{-1}` and `U_k` instead. Memory: `(b^2 + 2 nnz) * 8` bytes per node (152 for PNP with
//! two species, 216 with a full mask); an entry outside the mask given a nonzero value is
//! reported by [`LinearSolver::factor`], never dropped. Nothing is allocated after
//! construction.

mod kernels;
mod sink;

use super::{LinearError, LinearSolver, MatrixSink};
use crate::solve::pages::zeroed;
use kernels::{
    column_maxima, column_maxima_sparse, equilibrated_inverse, expand, mat_mul, mat_vec,
    mat_vec_sub, row_scales, schur_update, schur_update_sparse, sparse_vec_sub,
};

/// Block-tridiagonal LU with partial pivoting inside the diagonal blocks (see the module
/// docs).
#[derive(Clone, Debug)]
pub struct BlockTridiagonalLu {
    nb: usize,
    b: usize,
    /// The `[row, column]` of every entry of the off-diagonal blocks that may be nonzero,
    /// in row-major order.
    entries: Vec<[u8; 2]>,
    /// Per position `r * b + c` of an off-diagonal block, its index in `entries`
    /// ([`OUTSIDE`] if structurally zero).
    slot: Vec<u16>,
    /// The structurally zero positions `r * b + c` of an off-diagonal block.
    zeros: Vec<u16>,
    /// `L_k` (coupling to node `k - 1`; zero for `k = 0`), `entries.len()` numbers per node.
    lower: Vec<f64>,
    /// `D_k`, then `S_k^{-1}` (row-major `b x b` per node).
    diag: Vec<f64>,
    /// `U_k` (coupling to node `k + 1`), `entries.len()` numbers per node.
    upper: Vec<f64>,
    /// Scratch of the factorization (one [`scratch_len`] per chain) for block sizes above
    /// [`STACK_B`].
    work: Vec<f64>,
    /// The first entry outside the mask given a nonzero value since the last clear.
    outside: Option<(usize, usize)>,
    factored: bool,
    /// Whether large systems run the two chains on two threads ([`Chains`]).
    threads: bool,
}

/// The `slot` of a structurally zero position of an off-diagonal block.
const OUTSIDE: u16 = u16::MAX;

/// Largest block size whose factorization scratch lives on the stack.
const STACK_B: usize = 6;

/// Scratch length of the factorization for block size `b`: the equilibrated Schur
/// complement, its inverse, the chain's last `X` and an expanded off-diagonal block (`b^2`
/// each), the row scales of two block rows, the column scales, the partial column maxima
/// from `U_{k-1}`, and the pivots (`b` each).
const fn scratch_len(b: usize) -> usize {
    4 * b * b + 5 * b
}

/// Scratch length of the solve per chain: a vector and an expanded off-diagonal block.
const fn solve_len(b: usize) -> usize {
    b + b * b
}

/// Numbers left unused between the scratch of the two chains (128 bytes), so that the two
/// threads never write to one cache line: with the scratches adjacent, the factorization on
/// two threads took 1.6 times as long as on one (false sharing; 2026-12-07, 1e6 nodes).
const GAP: usize = 16;

/// Length of the scratch of both chains with the [`GAP`] between them (factorization:
/// `per_chain = scratch_len(b)`; solve: `per_chain = solve_len(b)`).
const fn two_chains(per_chain: usize) -> usize {
    2 * per_chain + GAP
}

impl BlockTridiagonalLu {
    /// A solver for `blocks` nodes of `block_size` unknowns each (`1 <= block_size <= 255`)
    /// with dense off-diagonal blocks.
    pub fn new(blocks: usize, block_size: usize) -> Result<Self, LinearError> {
        let full = vec![true; block_size * block_size];
        Self::with_coupling(blocks, block_size, &full)
    }

    /// A solver whose off-diagonal blocks hold only the entries `(r, c)` with
    /// `coupling[r * b + c]` (`b * b` flags; see the module docs). The diagonal blocks are
    /// dense.
    pub fn with_coupling(
        blocks: usize,
        block_size: usize,
        coupling: &[bool],
    ) -> Result<Self, LinearError> {
        if block_size == 0 || block_size > 255 {
            return Err(LinearError::Unsupported(format!(
                "block size {block_size}: the block-tridiagonal LU needs 1 to 255 unknowns per \
                 node"
            )));
        }
        let (b, nb) = (block_size, blocks);
        if coupling.len() != b * b {
            return Err(LinearError::Unsupported(format!(
                "a coupling mask of {} flags for blocks of {b} x {b}",
                coupling.len()
            )));
        }
        let mut slot = vec![OUTSIDE; b * b];
        let (mut entries, mut zeros) = (Vec::new(), Vec::new());
        for (pos, &c) in coupling.iter().enumerate() {
            if c {
                slot[pos] = entries.len() as u16;
                entries.push([(pos / b) as u8, (pos % b) as u8]);
            } else {
                zeros.push(pos as u16);
            }
        }
        let nnz = entries.len();
        Ok(BlockTridiagonalLu {
            nb,
            b,
            entries,
            slot,
            zeros,
            lower: zeroed(nb * nnz),
            diag: zeroed(nb * b * b),
            upper: zeroed(nb * nnz),
            work: if b > STACK_B {
                vec![0.0; two_chains(scratch_len(b))]
            } else {
                Vec::new()
            },
            outside: None,
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

/// One chain of the twisted factorization as slices of its blocks: `prev` is the
/// (compressed) coupling of each block to its predecessor in the chain's elimination order
/// (`L_k` going down, `U_k` going up), `next` the coupling to its successor, `diag` the
/// diagonal blocks (overwritten by `S_i^{-1}`). `REV`: the bottom chain, which runs from the
/// end of its slices.
struct Chain<'a, const REV: bool> {
    prev: &'a [f64],
    diag: &'a mut [f64],
    next: &'a [f64],
    /// The entries of the compressed blocks.
    ent: &'a [[u8; 2]],
    /// Global index of the slices' first block (for the error positions).
    first: usize,
    /// The (compressed) coupling of the middle block row to the chain's last block.
    end: &'a [f64],
    /// The middle row's row scales.
    end_rs: &'a [f64],
    /// [`scratch_len`] numbers: `s`, `inv`, `x` (the last `X_i`), `e` (an expanded block),
    /// `rs_cur`, `rs_next`, `cs`, `cpart`, `piv`.
    scratch: &'a mut [f64],
}

impl<const REV: bool> Chain<'_, REV> {
    /// Blocks in the chain.
    #[inline(always)]
    fn len(&self, b: usize) -> usize {
        self.diag.len() / (b * b)
    }

    /// The compressed `prev` or `next` block at position `k`.
    #[inline(always)]
    fn block(a: &[f64], nnz: usize, k: usize) -> &[f64] {
        &a[k * nnz..(k + 1) * nnz]
    }

    /// Start the elimination: the row scales of the first block, no column part yet.
    #[inline(always)]
    fn start(&mut self, b: usize) -> Result<(), usize> {
        let (len, bb, nnz) = (self.len(b), b * b, self.ent.len());
        let rest = &mut self.scratch[4 * bb..];
        rest[3 * b..4 * b].fill(0.0);
        if len == 0 {
            return Ok(());
        }
        let k = pos::<REV>(len, 0);
        let blocks = (
            Self::block(self.prev, nnz, k),
            &self.diag[k * bb..(k + 1) * bb],
            Self::block(self.next, nnz, k),
        );
        row_scales(b, k, blocks, self.ent, &mut rest[..b]).map_err(|e| e + self.first * b)
    }

    /// Elimination step `i` (module docs): `S_i = D_i - prev_i X_{i-1}`, `S_i^{-1}`
    /// (equilibrated and unscaled) over `D_i`, `X_i = S_i^{-1} next_i` into the scratch.
    /// After the last step the `cpart` part of the scratch holds the row-scaled column
    /// maxima of the last block's `next`, its part of the middle column's scales, and `x`
    /// the last `X_i`.
    #[inline(always)]
    fn step(&mut self, b: usize, i: usize) -> Result<(), usize> {
        let (len, bb, nnz, ent) = (self.len(b), b * b, self.ent.len(), self.ent);
        let (prev, diag, next) = (self.prev, &mut *self.diag, self.next);
        let (s, rest) = self.scratch.split_at_mut(bb);
        let (inv, rest) = rest.split_at_mut(bb);
        let (x, rest) = rest.split_at_mut(bb);
        let (e, rest) = rest.split_at_mut(bb);
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
            let blocks = (
                Self::block(prev, nnz, kn),
                &diag[kn * bb..(kn + 1) * bb],
                Self::block(next, nnz, kn),
            );
            row_scales(b, kn, blocks, ent, rs_next).map_err(shift)?;
            column_maxima_sparse(Self::block(prev, nnz, kn), ent, rs_next, cs);
        } else {
            rs_next.copy_from_slice(self.end_rs);
            column_maxima_sparse(self.end, ent, rs_next, cs);
        }
        cpart.fill(0.0);
        column_maxima_sparse(Self::block(next, nnz, k), ent, rs_cur, cpart);
        for (c, v) in cs.iter_mut().enumerate() {
            if *v == 0.0 {
                return Err(shift(k * b + c));
            }
            *v = 1.0 / *v;
        }
        // S_k = D_k - prev_k X_{pred}.
        s.copy_from_slice(&diag[blk.clone()]);
        if i > 0 {
            expand(b, Self::block(prev, nnz, k), ent, e);
            schur_update(b, s, e, x);
        }
        equilibrated_inverse(b, s, inv, piv, (rs_cur, cs), &mut diag[blk.clone()])
            .map_err(|c| shift(k * b + c))?;
        // X_k = S_k^{-1} next_k, kept for the next step only.
        expand(b, Self::block(next, nnz, k), ent, e);
        mat_mul(b, &diag[blk], e, x);
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

    /// The row-scaled column maxima of the last block's `next` (after [`Self::factor`]).
    fn cpart(&self, b: usize) -> &[f64] {
        &self.scratch[4 * b * b + 3 * b..4 * b * b + 4 * b]
    }

    /// The last `X_i` of the chain (after [`Self::factor`]).
    fn last_x(&self, b: usize) -> &[f64] {
        &self.scratch[2 * b * b..3 * b * b]
    }
}

/// Forward step `i` of one chain, `y_i = S_i^{-1} (f_i - prev_i y_{i-1})`, in its part of
/// `x` (`t`: [`solve_len`] scratch).
#[inline(always)]
fn forward_step<const REV: bool>(
    b: usize,
    (prev, diag, ent): (&[f64], &[f64], &[[u8; 2]]),
    x: &mut [f64],
    t: &mut [f64],
    i: usize,
) {
    let (bb, nnz) = (b * b, ent.len());
    let len = diag.len() / bb;
    let k = pos::<REV>(len, i);
    let (t, e) = t.split_at_mut(b);
    t.copy_from_slice(&x[k * b..(k + 1) * b]);
    if i > 0 {
        let kp = pos::<REV>(len, i - 1);
        expand(b, &prev[k * nnz..(k + 1) * nnz], ent, e);
        mat_vec_sub(b, e, &x[kp * b..(kp + 1) * b], t);
    }
    mat_vec(
        b,
        &diag[k * bb..(k + 1) * bb],
        t,
        &mut x[k * b..(k + 1) * b],
    );
}

/// Back-substitution step `i` of one chain, `x_i = y_i - S_i^{-1} (next_i x_{i+1})`, with
/// `end` the solution of the middle block (the successor of the chain's last block; `t`:
/// [`solve_len`] scratch).
#[inline(always)]
fn back_step<const REV: bool>(
    b: usize,
    (next, diag, ent): (&[f64], &[f64], &[[u8; 2]]),
    x: &mut [f64],
    end: &[f64],
    t: &mut [f64],
    i: usize,
) {
    let (bb, nnz) = (b * b, ent.len());
    let len = diag.len() / bb;
    let k = pos::<REV>(len, i);
    let (t, e) = t.split_at_mut(b);
    expand(b, &next[k * nnz..(k + 1) * nnz], ent, e);
    // t = next_k x_succ, then x_k -= S_k^{-1} t.
    let succ = if i + 1 == len {
        end
    } else if REV {
        // Going up, the successor of block k is k - 1.
        &x[(k - 1) * b..k * b]
    } else {
        // Going down, the successor of block k is k + 1.
        &x[(k + 1) * b..(k + 2) * b]
    };
    mat_vec(b, e, succ, t);
    mat_vec_sub(
        b,
        &diag[k * bb..(k + 1) * bb],
        t,
        &mut x[k * b..(k + 1) * b],
    );
}

/// Whether the two chains of the twisted factorization run on two threads
/// (`rayon::join`, from [`PAR_MIN_BLOCKS`] blocks) or one after the other. (Alternating
/// their steps on one thread was slower: 2026-12-02, `bench --nodes 1e6`.)
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Chains {
    Sequential,
    Threads,
}

/// The matrix of the solver as slices: compressed `L_k`, dense `D_k`, compressed `U_k`,
/// and the entries of the compressed blocks.
type Blocks<'a> = (&'a [f64], &'a [f64], &'a [f64], &'a [[u8; 2]]);

/// [`Blocks`] with the diagonal blocks writable (the factorization inverts them in place).
type BlocksMut<'a> = (&'a [f64], &'a mut [f64], &'a [f64], &'a [[u8; 2]]);

/// The twisted (two-ended) block factorization for block size `b`: the top chain
/// eliminates blocks `0..p` downwards as the block Thomas algorithm of the module docs, the
/// bottom chain blocks `p + 1..nb` upwards (`T_k = D_k - U_k Y_{k+1}`,
/// `Y_k = T_k^{-1} L_k`), and the middle block meets both:
/// `M_p = D_p - L_p X_{p-1} - U_p Y_{p+1}`, inverted over `D_p`. The chains are
/// independent: on two threads they run side by side, else one after the other; the
/// arithmetic is the same. The equilibration is that of the one-ended sweep (row scales of
/// each block row, column scales of the row-scaled matrix), computed inside each chain.
/// `scratch`: [`two_chains`] of [`scratch_len`].
// TODO(#9): the assembly could feed the sweep block row by block row instead of clear +
// assemble + factor as three passes (README "Performance").
#[inline(always)]
fn factor_blocks<const B: usize>(
    b: usize,
    nb: usize,
    (lower, diag, upper, ent): BlocksMut,
    scratch: &mut [f64],
    how: Chains,
) -> Result<(), usize> {
    if nb == 0 {
        return Ok(());
    }
    let (bb, nnz) = (b * b, ent.len());
    let p = middle(nb);
    let (st, rest) = scratch.split_at_mut(scratch_len(b));
    let sb = &mut rest[GAP..GAP + scratch_len(b)];
    let (l_top, l_rest) = lower.split_at(p * nnz);
    let (l_mid, l_bot) = l_rest.split_at(nnz);
    let (d_top, d_rest) = diag.split_at_mut(p * bb);
    let (d_mid, d_bot) = d_rest.split_at_mut(bb);
    let (u_top, u_rest) = upper.split_at(p * nnz);
    let (u_mid, u_bot) = u_rest.split_at(nnz);
    // The middle row's scales, needed by both chains before they overwrite anything.
    let mut rs_p = [0.0f64; 255];
    let rs_p = &mut rs_p[..b];
    row_scales(b, p, (l_mid, d_mid, u_mid), ent, rs_p)?;
    let rs_p = &*rs_p;
    let mut top = Chain::<false> {
        prev: l_top,
        diag: d_top,
        next: u_top,
        ent,
        first: 0,
        end: l_mid,
        end_rs: rs_p,
        scratch: st,
    };
    let mut bot = Chain::<true> {
        prev: u_bot,
        diag: d_bot,
        next: l_bot,
        ent,
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
    // U_{p-1} and L_{p+1} (the chains' `cpart`) and D_p.
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
    let bot_x = bot.last_x(b);
    let (s, rest) = top.scratch.split_at_mut(bb);
    let (inv, rest) = rest.split_at_mut(bb);
    let (top_x, rest) = rest.split_at_mut(bb);
    let piv = &mut rest[bb + 4 * b..bb + 5 * b];
    s.copy_from_slice(d_mid);
    if p > 0 {
        schur_update_sparse(b, s, l_mid, ent, top_x);
    }
    if p + 1 < nb {
        schur_update_sparse(b, s, u_mid, ent, bot_x);
    }
    equilibrated_inverse(b, s, inv, piv, (rs_p, cs), d_mid).map_err(|c| p * b + c)
}

/// The solve with the twisted factors: the forward sweeps of both chains
/// (`y_k = S_k^{-1} (f_k - L_k y_{k-1})` down to `p - 1`,
/// `z_k = T_k^{-1} (f_k - U_k z_{k+1})` up to `p + 1`), the middle
/// `x_p = M_p^{-1} (f_p - L_p y_{p-1} - U_p z_{p+1})`, then the back substitutions outwards
/// (`x_k = y_k - S_k^{-1} U_k x_{k+1}`, `x_k = z_k - T_k^{-1} L_k x_{k-1}`). `t`:
/// [`two_chains`]`(`[`solve_len`]`(b))` scratch.
#[inline(always)]
fn solve_blocks<const B: usize>(
    b: usize,
    nb: usize,
    (lower, diag, upper, ent): Blocks,
    t: &mut [f64],
    x: &mut [f64],
    how: Chains,
) {
    if nb == 0 {
        return;
    }
    let (bb, nnz) = (b * b, ent.len());
    let p = middle(nb);
    let nbot = nb - 1 - p;
    let (tt, rest) = t.split_at_mut(solve_len(b));
    let tb = &mut rest[GAP..GAP + solve_len(b)];
    let (l_top, l_rest) = lower.split_at(p * nnz);
    let (l_mid, l_bot) = l_rest.split_at(nnz);
    let (d_top, d_rest) = diag.split_at(p * bb);
    let (d_mid, d_bot) = d_rest.split_at(bb);
    let (u_top, u_rest) = upper.split_at(p * nnz);
    let (u_mid, u_bot) = u_rest.split_at(nnz);
    let (x_top, x_rest) = x.split_at_mut(p * b);
    let (x_mid, x_bot) = x_rest.split_at_mut(b);
    let fwd_top = |x: &mut [f64], t: &mut [f64], i| {
        forward_step::<false>(fixed::<B>(b), (l_top, d_top, ent), x, t, i)
    };
    let fwd_bot = |x: &mut [f64], t: &mut [f64], i| {
        forward_step::<true>(fixed::<B>(b), (u_bot, d_bot, ent), x, t, i)
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
    let tm = &mut tt[..b];
    tm.copy_from_slice(x_mid);
    if p > 0 {
        sparse_vec_sub(l_mid, ent, &x_top[(p - 1) * b..], tm);
    }
    if p + 1 < nb {
        sparse_vec_sub(u_mid, ent, &x_bot[..b], tm);
    }
    mat_vec(b, d_mid, tm, x_mid);
    let x_mid = &*x_mid;
    let back_top = |x: &mut [f64], t: &mut [f64], i| {
        back_step::<false>(fixed::<B>(b), (u_top, d_top, ent), x, x_mid, t, i)
    };
    let back_bot = |x: &mut [f64], t: &mut [f64], i| {
        back_step::<true>(fixed::<B>(b), (l_bot, d_bot, ent), x, x_mid, t, i)
    };
    match how {
        Chains::Threads => {
            rayon::join(
                || (0..p).rev().for_each(|i| back_top(x_top, tt, i)),
                || (0..nbot).rev().for_each(|i| back_bot(x_bot, tb, i)),
            );
        }
        Chains::Sequential => {
            (0..p).rev().for_each(|i| back_top(x_top, tt, i));
            (0..nbot).rev().for_each(|i| back_bot(x_bot, tb, i));
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

impl LinearSolver for BlockTridiagonalLu {
    fn matrix(&mut self) -> &mut dyn MatrixSink {
        self.factored = false;
        self
    }

    fn factor(&mut self) -> Result<(), LinearError> {
        self.factored = false;
        if let Some((i, j)) = self.outside {
            return Err(LinearError::Unsupported(format!(
                "the Jacobian entry ({i}, {j}) is nonzero but outside the coupling pattern the \
                 block-tridiagonal LU was built for (a term whose couplings() omit a \
                 derivative it writes); use solver = \"banded\""
            )));
        }
        let (b, nb, how) = (self.b, self.nb, self.chains());
        let mut stack = [0.0f64; two_chains(scratch_len(STACK_B))];
        let scratch: &mut [f64] = if b <= STACK_B {
            &mut stack[..two_chains(scratch_len(b))]
        } else {
            &mut self.work
        };
        let blocks = (
            &self.lower[..],
            &mut self.diag[..],
            &self.upper[..],
            &self.entries[..],
        );
        dispatch!(b, factor_blocks(nb, blocks, scratch, how)).map_err(LinearError::Singular)?;
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
        let mut stack = [0.0f64; two_chains(solve_len(STACK_B))];
        let t: &mut [f64] = if b <= STACK_B {
            &mut stack[..two_chains(solve_len(b))]
        } else {
            &mut self.work
        };
        let factors = (
            &self.lower[..],
            &self.diag[..],
            &self.upper[..],
            &self.entries[..],
        );
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
