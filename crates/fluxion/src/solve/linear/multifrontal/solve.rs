//! The triangular solves of [`super::MultifrontalLu`] in the new order, one supernode at a
//! time, on one thread or on the two threads of a [`Schedule`].
//!
//! Forward (`P_s`, unit `L`): the groups run at once; a group writes the entries of its own
//! columns, and its updates of the rows of the top (the separators its subtrees share with
//! the other group) go to its own buffer, added to `y` after the join; then the top.
//! Backward (`U`): the top first, then the groups at once, each reading the (final) entries
//! of the top and writing only its own columns.

use super::numeric::Schedule;
use super::symbolic::Symbolic;

/// Access to the right-hand side during a solve.
pub(super) trait Rhs {
    fn get(&self, i: usize) -> f64;
    fn set(&mut self, i: usize, v: f64);
    /// `y_i -= v` for a row below the supernode being eliminated.
    fn sub_below(&mut self, i: usize, v: f64);
}

impl Rhs for [f64] {
    #[inline]
    fn get(&self, i: usize) -> f64 {
        self[i]
    }
    #[inline]
    fn set(&mut self, i: usize, v: f64) {
        self[i] = v;
    }
    #[inline]
    fn sub_below(&mut self, i: usize, v: f64) {
        self[i] -= v;
    }
}

/// `y` shared by the two threads of a group phase, which touch disjoint entries (see the
/// module docs), with the buffer of the top-row updates of one group (forward only).
pub(super) struct Shared<'a> {
    y: *mut f64,
    len: usize,
    delta: &'a mut [f64],
    top_col: &'a [bool],
}

// SAFETY: in a group phase every entry of `y` written through a `Shared` belongs to the
// columns of that thread's group (disjoint between groups); the entries both read are those
// of the top, which no thread writes in that phase (forward: top rows go to `delta`).
unsafe impl Send for Shared<'_> {}

impl Rhs for Shared<'_> {
    #[inline]
    fn get(&self, i: usize) -> f64 {
        assert!(i < self.len);
        // SAFETY: in bounds; see the `Send` impl for the absence of conflicting writes.
        unsafe { *self.y.add(i) }
    }
    #[inline]
    fn set(&mut self, i: usize, v: f64) {
        assert!(i < self.len);
        // SAFETY: as in `get`.
        unsafe { *self.y.add(i) = v }
    }
    #[inline]
    fn sub_below(&mut self, i: usize, v: f64) {
        if self.top_col[i] {
            self.delta[i] += v;
        } else {
            let y = self.get(i);
            self.set(i, y - v);
        }
    }
}

/// The factors in the new order: `[L11 \ U11; L21]` panels, `U12^T` panels, pivots.
#[derive(Clone, Copy)]
pub(super) struct Factors<'a> {
    pub sym: &'a Symbolic,
    pub lvals: &'a [f64],
    pub uvals: &'a [f64],
    pub piv: &'a [usize],
}

impl<'a> Factors<'a> {
    /// First column, width, pattern rows and `[L11 \ U11; L21]` panel of supernode `s`.
    #[inline]
    fn panel(&self, s: usize) -> (usize, usize, &'a [u32], &'a [f64]) {
        let sym = self.sym;
        let (f, l, rows) = sym.supernode(s);
        (f, l - f, rows, &self.lvals[sym.l_ptr[s]..sym.l_ptr[s + 1]])
    }

    /// Forward elimination of supernode `s`: `y_s <- L11^{-1} P_s y_s`, `y_R -= L21 y_s`.
    #[inline]
    pub(super) fn forward<Y: Rhs + ?Sized>(&self, s: usize, y: &mut Y, tmp: &mut [f64]) {
        let (f, w, rows, lp) = self.panel(s);
        let (r, m) = (rows.len(), w + rows.len());
        let (ys, acc) = tmp.split_at_mut(self.sym.max_width);
        for k in 0..w {
            ys[k] = y.get(f + self.piv[f + k]);
        }
        for k in 0..w {
            let x = ys[k];
            let col = &lp[k * m..k * m + w];
            for i in k + 1..w {
                ys[i] -= col[i] * x;
            }
        }
        for k in 0..w {
            y.set(f + k, ys[k]);
        }
        // y_R -= L21 y_s: a dense product, then one scatter.
        let acc = &mut acc[..r];
        acc.fill(0.0);
        for k in 0..w {
            let x = ys[k];
            for (a, &lv) in acc.iter_mut().zip(&lp[k * m + w..(k + 1) * m]) {
                *a += lv * x;
            }
        }
        for (&i, &a) in rows.iter().zip(acc.iter()) {
            y.sub_below(i as usize, a);
        }
    }

    /// Back substitution of supernode `s`: `y_s <- U11^{-1} (y_s - U12 y_R)`.
    #[inline]
    pub(super) fn backward<Y: Rhs + ?Sized>(&self, s: usize, y: &mut Y, tmp: &mut [f64]) {
        let (f, w, rows, lp) = self.panel(s);
        let (r, m) = (rows.len(), w + rows.len());
        let (ys, acc) = tmp.split_at_mut(self.sym.max_width);
        // U12 is stored transposed: column k of `ut` is row k of U12.
        let ut = &self.uvals[self.sym.u_ptr[s]..self.sym.u_ptr[s + 1]];
        let g = &mut acc[..r];
        for (a, &i) in g.iter_mut().zip(rows) {
            *a = y.get(i as usize);
        }
        for k in 0..w {
            ys[k] = y.get(f + k) - dot(&ut[k * r..(k + 1) * r], g);
        }
        for k in (0..w).rev() {
            let x = ys[k] / lp[k * m + k];
            ys[k] = x;
            let col = &lp[k * m..k * m + k];
            for (a, &uv) in ys[..k].iter_mut().zip(col) {
                *a -= uv * x;
            }
        }
        for k in 0..w {
            y.set(f + k, ys[k]);
        }
    }
}

impl Schedule {
    /// `y <- B^{-1} y`, `y` in the new order, on the threads of the schedule.
    pub(super) fn solve(&mut self, fac: Factors<'_>, y: &mut [f64]) {
        let ns = fac.sym.supernodes();
        let (groups, top, top_col, works) = self.solve_parts();
        let (group_works, top_work) = works.split_at_mut(groups.len());
        let top_tmp = &mut top_work[0].tmp;
        if groups.is_empty() {
            for s in 0..ns {
                fac.forward(s, y, top_tmp);
            }
            for s in (0..ns).rev() {
                fac.backward(s, y, top_tmp);
            }
            return;
        }
        let (yp, len) = (y.as_mut_ptr(), y.len());
        for &s in top {
            let (f, l, _) = fac.sym.supernode(s as usize);
            for w in group_works.iter_mut() {
                w.delta[f..l].fill(0.0);
            }
        }
        std::thread::scope(|scope| {
            for (list, w) in groups.iter().zip(group_works.iter_mut()) {
                let mut sh = Shared {
                    y: yp,
                    len,
                    delta: &mut w.delta,
                    top_col,
                };
                let tmp = &mut w.tmp;
                scope.spawn(move || {
                    for &s in list {
                        fac.forward(s as usize, &mut sh, tmp);
                    }
                });
            }
        });
        for &s in top {
            let (f, l, _) = fac.sym.supernode(s as usize);
            for w in group_works.iter() {
                for (a, d) in y[f..l].iter_mut().zip(&w.delta[f..l]) {
                    *a -= d;
                }
            }
        }
        for &s in top {
            fac.forward(s as usize, y, top_tmp);
        }
        for &s in top.iter().rev() {
            fac.backward(s as usize, y, top_tmp);
        }
        let yp = y.as_mut_ptr();
        std::thread::scope(|scope| {
            for (list, w) in groups.iter().zip(group_works.iter_mut()) {
                let mut sh = Shared {
                    y: yp,
                    len,
                    delta: &mut [],
                    top_col,
                };
                let tmp = &mut w.tmp;
                scope.spawn(move || {
                    for &s in list.iter().rev() {
                        fac.backward(s as usize, &mut sh, tmp);
                    }
                });
            }
        });
    }
}

/// `sum_i a_i b_i` with four partial sums (vectorizes).
#[inline]
fn dot(a: &[f64], b: &[f64]) -> f64 {
    let (ac, bc) = (a.chunks_exact(4), b.chunks_exact(4));
    let tail: f64 = ac
        .remainder()
        .iter()
        .zip(bc.remainder())
        .map(|(x, y)| x * y)
        .sum();
    let mut s = [0.0f64; 4];
    for (x, y) in ac.zip(bc) {
        for q in 0..4 {
            s[q] += x[q] * y[q];
        }
    }
    (s[0] + s[1]) + (s[2] + s[3]) + tail
}
