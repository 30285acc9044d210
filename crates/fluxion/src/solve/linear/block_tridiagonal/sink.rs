//! The matrix interface ([`MatrixSink`]) of the block-tridiagonal LU: entries addressed by
//! global row and column, stored in the dense diagonal blocks and the compressed
//! off-diagonal ones; a nonzero entry outside the coupling mask is remembered (and refused
//! by the factorization), never dropped.

use super::{middle, BlockTridiagonalLu, Chains, OUTSIDE};
use crate::solve::linear::{MatrixSink, RowPart};

/// The structure shared by all block rows: block size and count, and the compressed
/// off-diagonal pattern.
#[derive(Clone, Copy)]
struct Layout<'a> {
    b: usize,
    nb: usize,
    /// Per position of an off-diagonal block, its index among the stored entries.
    slot: &'a [u16],
    /// The stored entries `[r, c]`.
    entries: &'a [[u8; 2]],
    /// The structurally zero positions `r * b + c` of an off-diagonal block.
    zeros: &'a [u16],
}

/// Where entry `(i, j)` lives, as an offset into the slices of a part whose first block
/// row is `first`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Place {
    Lower(usize),
    Diag(usize),
    Upper(usize),
    /// Outside the block tridiagonal or the coupling mask: structurally zero.
    Outside,
}

impl Layout<'_> {
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

    #[inline]
    fn locate(&self, first: usize, i: usize, j: usize) -> Place {
        let b = self.b;
        let (k, m) = (self.block_of(i), self.block_of(j));
        debug_assert!(k >= first, "row {i} outside this part's rows");
        let (r, c, kl) = (i - k * b, j - m * b, k - first);
        if m == k {
            return Place::Diag(kl * b * b + r * b + c);
        }
        if m + 1 != k && m != k + 1 {
            return Place::Outside;
        }
        let s = self.slot[r * b + c];
        if s == OUTSIDE {
            return Place::Outside;
        }
        let o = kl * self.entries.len() + s as usize;
        if m + 1 == k {
            Place::Lower(o)
        } else {
            Place::Upper(o)
        }
    }
}

/// Block rows `first..` of the matrix (`L_k`, `D_k`, `U_k` of each): the whole matrix for
/// [`BlockTridiagonalLu`]'s own [`MatrixSink`], or one of the halves of
/// [`MatrixSink::split_rows`].
pub(super) struct BlockRows<'a> {
    layout: Layout<'a>,
    /// The first block row held.
    first: usize,
    lower: &'a mut [f64],
    diag: &'a mut [f64],
    upper: &'a mut [f64],
    /// The first nonzero entry given outside the pattern.
    outside: Option<(usize, usize)>,
}

impl BlockRows<'_> {
    #[inline]
    fn flag(&mut self, i: usize, j: usize) {
        self.outside.get_or_insert((i, j));
    }
}

impl MatrixSink for BlockRows<'_> {
    fn dim(&self) -> usize {
        self.layout.nb * self.layout.b
    }
    fn clear(&mut self) {
        self.lower.fill(0.0);
        self.diag.fill(0.0);
        self.upper.fill(0.0);
        self.outside = None;
    }
    #[inline]
    fn add(&mut self, i: usize, j: usize, v: f64) {
        match self.layout.locate(self.first, i, j) {
            Place::Lower(o) => self.lower[o] += v,
            Place::Diag(o) => self.diag[o] += v,
            Place::Upper(o) => self.upper[o] += v,
            Place::Outside => {
                if v != 0.0 {
                    self.flag(i, j)
                }
            }
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
        let l = self.layout;
        let b = l.b;
        let (k, m) = (l.block_of(i), l.block_of(j));
        if rows == b && cols == b && i == k * b && j == m * b {
            // A whole node block: `L_k`, `D_k` or `U_k` of block row `k`.
            let (bb, nnz, kl) = (b * b, l.entries.len(), k - self.first);
            if m == k {
                let dst = &mut self.diag[kl * bb..(kl + 1) * bb];
                for (d, &v) in dst.iter_mut().zip(&block[..bb]) {
                    *d += scale * v;
                }
                return;
            }
            let dst = if m + 1 == k {
                &mut *self.lower
            } else if m == k + 1 {
                &mut *self.upper
            } else {
                if let Some(p) = block[..bb].iter().position(|v| scale * v != 0.0) {
                    self.flag(i + p / b, j + p % b);
                }
                return;
            };
            let dst = &mut dst[kl * nnz..(kl + 1) * nnz];
            for (d, &[r, c]) in dst.iter_mut().zip(l.entries) {
                *d += scale * block[r as usize * b + c as usize];
            }
            if let Some(&p) = l.zeros.iter().find(|&&p| scale * block[p as usize] != 0.0) {
                let p = p as usize;
                self.flag(i + p / b, j + p % b);
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
        let l = self.layout;
        let (b, nnz) = (l.b, l.entries.len());
        let (kl, r) = (i / b - self.first, i % b);
        self.diag[kl * b * b + r * b..kl * b * b + (r + 1) * b].fill(0.0);
        for (e, &[er, _]) in l.entries.iter().enumerate() {
            if er as usize == r {
                self.lower[kl * nnz + e] = 0.0;
                self.upper[kl * nnz + e] = 0.0;
            }
        }
    }
    fn get(&self, i: usize, j: usize) -> f64 {
        let b = self.layout.b;
        let rows = self.first * b..self.first * b + self.diag.len() / b;
        if !rows.contains(&i) || j >= self.dim() {
            return 0.0;
        }
        match self.layout.locate(self.first, i, j) {
            Place::Lower(o) => self.lower[o],
            Place::Diag(o) => self.diag[o],
            Place::Upper(o) => self.upper[o],
            Place::Outside => 0.0,
        }
    }
}

impl BlockTridiagonalLu {
    fn layout(&self) -> Layout<'_> {
        Layout {
            b: self.b,
            nb: self.nb,
            slot: &self.slot,
            entries: &self.entries,
            zeros: &self.zeros,
        }
    }

    /// Run `f` on all block rows as a [`BlockRows`] and keep what it flagged.
    #[inline(always)]
    fn with_rows<R>(&mut self, f: impl FnOnce(&mut BlockRows) -> R) -> R {
        let layout = Layout {
            b: self.b,
            nb: self.nb,
            slot: &self.slot,
            entries: &self.entries,
            zeros: &self.zeros,
        };
        let mut rows = BlockRows {
            layout,
            first: 0,
            lower: &mut self.lower,
            diag: &mut self.diag,
            upper: &mut self.upper,
            outside: None,
        };
        let out = f(&mut rows);
        if let Some(e) = rows.outside {
            self.outside.get_or_insert(e);
        }
        out
    }
}

impl MatrixSink for BlockTridiagonalLu {
    fn dim(&self) -> usize {
        self.nb * self.b
    }
    fn clear(&mut self) {
        self.factored = false;
        self.outside = None;
        if self.chains() == Chains::Threads {
            // Zeroing the blocks is memory bound: two threads, one per half.
            let split = middle(self.nb) * self.b;
            self.split_rows(split, &mut |a, b| {
                rayon::join(|| a.clear(), || b.clear());
            });
        } else {
            self.with_rows(|r| r.clear());
        }
    }
    #[inline]
    fn add(&mut self, i: usize, j: usize, v: f64) {
        self.with_rows(|r| r.add(i, j, v))
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
        self.with_rows(|r| r.add_block(i, j, rows, cols, block, scale))
    }
    fn zero_row(&mut self, i: usize) {
        self.with_rows(|r| r.zero_row(i))
    }
    fn get(&self, i: usize, j: usize) -> f64 {
        if i >= self.dim() || j >= self.dim() {
            return 0.0;
        }
        match self.layout().locate(0, i, j) {
            Place::Lower(o) => self.lower[o],
            Place::Diag(o) => self.diag[o],
            Place::Upper(o) => self.upper[o],
            Place::Outside => 0.0,
        }
    }
    fn split_rows(&mut self, row: usize, f: &mut dyn FnMut(RowPart, RowPart)) -> bool {
        let (b, nb) = (self.b, self.nb);
        if row % b != 0 || row > nb * b {
            return false;
        }
        self.factored = false;
        let (k, bb, nnz) = (row / b, b * b, self.entries.len());
        let layout = Layout {
            b,
            nb,
            slot: &self.slot,
            entries: &self.entries,
            zeros: &self.zeros,
        };
        let (l0, l1) = self.lower.split_at_mut(k * nnz);
        let (d0, d1) = self.diag.split_at_mut(k * bb);
        let (u0, u1) = self.upper.split_at_mut(k * nnz);
        let part = |first, lower, diag, upper| BlockRows {
            layout,
            first,
            lower,
            diag,
            upper,
            outside: None,
        };
        let (mut top, mut bottom) = (part(0, l0, d0, u0), part(k, l1, d1, u1));
        f(&mut top, &mut bottom);
        if let Some(e) = top.outside.or(bottom.outside) {
            self.outside.get_or_insert(e);
        }
        true
    }
}
