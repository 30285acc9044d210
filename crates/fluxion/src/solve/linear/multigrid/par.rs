//! Row blocks that let the level kernels run on several threads (rayon).
//!
//! A level with at least [`PAR_MIN`] unknowns and enough planes (`z` planes in 3D, `y`
//! rows in 2D) is cut into `k` blocks of whole planes separated by single separator planes:
//! `A_1, S_1, A_2, ..., S_{k-1}, A_k`. The stencils reach one plane away, so no two blocks
//! `A` couple, nor do two separators: Gauss-Seidel sweeps the blocks concurrently (each
//! lexicographically), then the separators. This is Gauss-Seidel in a fixed reordering of
//! the unknowns (blocks first), so a forward sweep followed by the backward sweep in the
//! reverse order (separators, then blocks, each backward) stays a symmetric smoother. The
//! partition depends on the grid and the thread count only, never on timing, so results
//! are reproducible for a given number of threads.

/// Levels with fewer unknowns run on one thread.
pub(super) const PAR_MIN: usize = 16_384;

/// A pointer to a vector that several threads write at disjoint indices.
#[derive(Clone, Copy)]
pub(super) struct Ptr(pub(super) *mut f64);

// SAFETY: `Ptr` is only shared between tasks that write disjoint index sets, and read only
// indices no concurrent task writes (see the block structure above).
unsafe impl Send for Ptr {}
unsafe impl Sync for Ptr {}

impl Ptr {
    /// The pointer (a method, so that closures capture the whole `Ptr`, which is `Sync`).
    #[inline(always)]
    pub(super) fn get(self) -> *mut f64 {
        self.0
    }
}

/// The block partition of a level.
#[derive(Default)]
pub(super) struct Blocks {
    /// Row ranges `(start, end)` of the blocks `A`.
    pub(super) a: Vec<(usize, usize)>,
    /// Row ranges of the separator planes `S` (empty: one block, one thread).
    pub(super) s: Vec<(usize, usize)>,
    /// Rows per plane.
    pub(super) plane: usize,
    /// `k` contiguous row ranges covering all rows, for independent row-wise work.
    pub(super) rows: Vec<(usize, usize)>,
}

impl Blocks {
    /// The partition of a `shape` grid for `threads` threads.
    pub(super) fn new(shape: [usize; 3], threads: usize) -> Self {
        let n: usize = shape.iter().product();
        let (plane, np) = if shape[2] > 1 {
            (shape[0] * shape[1], shape[2])
        } else if shape[1] > 1 {
            (shape[0], shape[1])
        } else {
            (n, 1)
        };
        // Every block at least 3 planes.
        let k = if n >= PAR_MIN {
            threads.min((np + 1) / 4).max(1)
        } else {
            1
        };
        if k == 1 {
            return Blocks {
                a: vec![(0, n)],
                s: Vec::new(),
                plane,
                rows: vec![(0, n)],
            };
        }
        let inner = np - (k - 1);
        let (mut a, mut s) = (Vec::new(), Vec::new());
        let mut p = 0;
        for b in 0..k {
            let len = inner / k + usize::from(b < inner % k);
            a.push((p * plane, (p + len) * plane));
            p += len;
            if b + 1 < k {
                s.push((p * plane, (p + 1) * plane));
                p += 1;
            }
        }
        debug_assert_eq!(p, np);
        let rows = (0..k).map(|b| (b * n / k, (b + 1) * n / k)).collect();
        Blocks { a, s, plane, rows }
    }
}

/// Run `f(start, end)` for every range, concurrently (rayon's `join`, no allocation).
pub(super) fn each<F: Fn(usize, usize) + Sync>(ranges: &[(usize, usize)], f: &F) {
    match ranges.len() {
        0 => {}
        1 => f(ranges[0].0, ranges[0].1),
        m => {
            let (x, y) = ranges.split_at(m / 2);
            rayon::join(|| each(x, f), || each(y, f));
        }
    }
}

/// `sum_i a_i b_i`, in two halves on two threads for long vectors (a fixed split, so the
/// rounding does not depend on the scheduling).
pub(super) fn dot(a: &[f64], b: &[f64]) -> f64 {
    fn seq(a: &[f64], b: &[f64]) -> f64 {
        a.iter().zip(b).map(|(x, y)| x * y).sum()
    }
    if a.len() < PAR_MIN {
        return seq(a, b);
    }
    let m = a.len() / 2;
    let (x, y) = rayon::join(|| seq(&a[..m], &b[..m]), || seq(&a[m..], &b[m..]));
    x + y
}

/// `y_i = f(y_i, x_i)` for all `i`, on two threads for long vectors.
pub(super) fn zip_apply<F: Fn(&mut f64, f64) + Sync>(y: &mut [f64], x: &[f64], f: F) {
    fn seq<F: Fn(&mut f64, f64)>(y: &mut [f64], x: &[f64], f: &F) {
        for (y, &x) in y.iter_mut().zip(x) {
            f(y, x);
        }
    }
    if y.len() < PAR_MIN {
        return seq(y, x, &f);
    }
    let m = y.len() / 2;
    let (y0, y1) = y.split_at_mut(m);
    let (x0, x1) = x.split_at(m);
    rayon::join(|| seq(y0, x0, &f), || seq(y1, x1, &f));
}
