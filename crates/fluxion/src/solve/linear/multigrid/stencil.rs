//! Constant-stencil storage of a level's operator for the interior rows.
//!
//! The rows whose whole stencil lies inside the grid are stored densely, `S` values per
//! row in ascending offset order (`S` = 3, 5, 7, 9 or 27 offsets, the centre in the
//! middle), so that the kernels read no column indices and their loops have a
//! compile-time trip count; the rows next to the boundary keep using the CSR arrays. The
//! rows are visited in segments `(start, end, dense)` in the natural order, so that
//! lexicographic Gauss-Seidel is unchanged.

use super::super::CsrMatrix;

/// Which part of a row a sum covers.
pub(super) const FULL: u8 = 0;
/// The strictly lower triangle (negative offsets).
pub(super) const LOWER: u8 = 1;
/// The strictly upper triangle (positive offsets).
pub(super) const UPPER: u8 = 2;

/// Dense interior storage (see the module docs); `s == 0`: CSR only.
pub(super) struct Stencil {
    pub(super) s: usize,
    /// Index offset of every slot.
    pub(super) off: [isize; 27],
    /// Slot of every offset code (`u8::MAX`: not in the stencil).
    slot: [u8; 27],
    pub(super) vals: Vec<f64>,
    /// Row segments in order: `(start, end, dense)`.
    pub(super) segs: Vec<(usize, usize, bool)>,
}

impl Stencil {
    /// The stencil of a level whose entries have offset `codes` on a `shape` grid.
    pub(super) fn new(shape: [usize; 3], codes: &[u8]) -> Self {
        let [nx, ny, nz] = shape;
        let n = nx * ny * nz;
        let mut present = [false; 27];
        for &c in codes {
            present[c as usize] = true;
        }
        let stride = |c: usize| {
            let (dx, dy, dz) = (
                c as isize % 3 - 1,
                (c as isize / 3) % 3 - 1,
                c as isize / 9 - 1,
            );
            dx + nx as isize * (dy + ny as isize * dz)
        };
        // Codes ascend with the index offset on grids of at least 3 nodes per used
        // direction (the only ones with dense rows).
        let list: Vec<usize> = (0..27).filter(|&c| present[c]).collect();
        let s = list.len();
        let symmetric = list.iter().all(|&c| present[26 - c]) && present[13];
        let mut uses = [false; 3];
        for &c in &list {
            let d = [c % 3, (c / 3) % 3, c / 9];
            for a in 0..3 {
                uses[a] |= d[a] != 1;
            }
        }
        let lo = uses.map(usize::from);
        let ok = symmetric
            && matches!(s, 3 | 5 | 7 | 9 | 27)
            && (0..3).all(|a| !uses[a] || shape[a] >= 3);
        let mut st = Stencil {
            s: if ok { s } else { 0 },
            off: [0; 27],
            slot: [u8::MAX; 27],
            vals: Vec::new(),
            segs: Vec::new(),
        };
        if !ok {
            st.segs.push((0, n, false));
            return st;
        }
        for (k, &c) in list.iter().enumerate() {
            st.off[k] = stride(c);
            st.slot[c] = k as u8;
        }
        st.vals = vec![0.0; n * s];
        let inner = |m: usize, a: usize| m >= lo[a] && m + lo[a] < shape[a];
        let mut push = |seg: (usize, usize, bool)| {
            if seg.0 == seg.1 {
                return;
            }
            match st.segs.last_mut() {
                Some(last) if last.2 == seg.2 && last.1 == seg.0 => last.1 = seg.1,
                _ => st.segs.push(seg),
            }
        };
        for iz in 0..nz {
            for iy in 0..ny {
                let row = nx * (iy + ny * iz);
                if inner(iz, 2) && inner(iy, 1) {
                    push((row, row + lo[0], false));
                    push((row + lo[0], row + nx - lo[0], true));
                    push((row + nx - lo[0], row + nx, false));
                } else {
                    push((row, row + nx, false));
                }
            }
        }
        st
    }

    /// Copy the values of the dense rows from `a` (entry offset codes `codes`).
    pub(super) fn load(&mut self, a: &CsrMatrix, codes: &[u8]) {
        if self.s == 0 {
            return;
        }
        let s = self.s;
        let rp = a.pattern().row_ptr();
        let v = a.values();
        for &(start, end, dense) in &self.segs {
            if !dense {
                continue;
            }
            for i in start..end {
                let row = &mut self.vals[i * s..(i + 1) * s];
                row.fill(0.0);
                for k in rp[i]..rp[i + 1] {
                    row[self.slot[codes[k] as usize] as usize] = v[k];
                }
            }
        }
    }
}

/// `sum_c v_c x_{i + off_c}` over the part `P` of a dense row of `S` slots. The `-1`
/// offset (the previous row of a Gauss-Seidel sweep) is added last, so that the other
/// products do not wait for it.
///
/// # Safety
/// `x` points to the level's vector (at least `i + off_c + 1` values for every slot `c`:
/// true of the dense rows, whose stencil lies inside the grid), and no other thread writes
/// the entries read.
#[inline(always)]
pub(super) unsafe fn dense_sum<const S: usize, const P: u8>(
    v: &[f64],
    off: &[isize; 27],
    x: *const f64,
    i: usize,
) -> f64 {
    let v: &[f64; S] = v[i * S..i * S + S].try_into().expect("S values");
    let (lo, hi) = match P {
        FULL => (0, S),
        LOWER => (0, S / 2),
        _ => (S / 2 + 1, S),
    };
    let last = S / 2 - 1;
    let at = |c: usize| unsafe { *x.offset(i as isize + off[c]) };
    let (mut a0, mut a1) = (0.0, 0.0);
    let mut c = lo;
    while c < hi {
        if c != last || P == UPPER {
            let t = v[c] * at(c);
            if c % 2 == 0 {
                a0 += t;
            } else {
                a1 += t;
            }
        }
        c += 1;
    }
    let mut sum = a0 + a1;
    if P != UPPER {
        sum += v[last] * at(last);
    }
    sum
}

/// Dispatch a generic kernel on the stencil size `s` (one of 3, 5, 7, 9, 27).
macro_rules! with_size {
    ($s:expr, $f:ident :: <$p:ident>, $($arg:expr),*) => {
        match $s {
            3 => $f::<3, { $p }>($($arg),*),
            5 => $f::<5, { $p }>($($arg),*),
            7 => $f::<7, { $p }>($($arg),*),
            9 => $f::<9, { $p }>($($arg),*),
            _ => $f::<27, { $p }>($($arg),*),
        }
    };
}
pub(super) use with_size;
