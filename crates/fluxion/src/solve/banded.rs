//! Banded matrices and their LU factorization with partial pivoting.
//!
//! The 1D finite-volume Jacobians of fluxion are banded when the unknowns are ordered node by
//! node. A banded LU costs `O(n kl (kl + ku))` flops and `O(n (2 kl + ku))` memory, i.e.
//! linear in the number of nodes, with no fill-in outside the band. No maintained pure-Rust
//! crate offers a banded LU (faer's sparse LU works but pays symbolic and supernodal overhead
//! that dominates at a bandwidth of a few entries), so this is the LAPACK `dgbtf2`/`dgbtrs`
//! algorithm: column-major band storage with `kl` extra rows for the fill-in of row
//! interchanges, preceded by row and column equilibration so that pivoting compares like
//! with like whatever the scaling of equations and unknowns.

/// A square banded matrix in LAPACK band storage, factorized in place.
#[derive(Clone, Debug)]
pub struct BandMatrix {
    n: usize,
    kl: usize,
    ku: usize,
    ldab: usize,
    ab: Vec<f64>,
    ipiv: Vec<usize>,
    row_scale: Vec<f64>,
    col_scale: Vec<f64>,
    factored: bool,
}

/// The matrix is singular to working precision.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("the matrix is singular (zero pivot in column {column})")]
pub struct SingularMatrix {
    /// First column without a usable pivot.
    pub column: usize,
}

impl BandMatrix {
    /// A zero `n x n` matrix with `kl` sub- and `ku` super-diagonals.
    pub fn zeros(n: usize, kl: usize, ku: usize) -> Self {
        let ldab = 2 * kl + ku + 1;
        BandMatrix {
            n,
            kl,
            ku,
            ldab,
            ab: vec![0.0; ldab * n],
            ipiv: vec![0; n],
            row_scale: vec![1.0; n],
            col_scale: vec![1.0; n],
            factored: false,
        }
    }

    /// Matrix order.
    pub fn n(&self) -> usize {
        self.n
    }

    /// `(kl, ku)`.
    pub fn bands(&self) -> (usize, usize) {
        (self.kl, self.ku)
    }

    /// Bytes held by the matrix storage.
    pub fn memory_bytes(&self) -> usize {
        self.ab.len() * 8 + self.ipiv.len() * 8 + self.row_scale.len() * 16
    }

    /// Reset all entries to zero (keeps the allocation).
    pub fn clear(&mut self) {
        self.ab.fill(0.0);
        self.factored = false;
    }

    #[inline]
    fn idx(&self, i: usize, j: usize) -> usize {
        debug_assert!(i < self.n && j < self.n);
        debug_assert!(
            j <= i + self.ku && i <= j + self.kl,
            "({i},{j}) outside the band"
        );
        j * self.ldab + self.kl + self.ku + i - j
    }

    /// Add `v` to entry `(i, j)`, which must lie in the band.
    #[inline]
    pub fn add(&mut self, i: usize, j: usize, v: f64) {
        let k = self.idx(i, j);
        self.ab[k] += v;
    }

    /// Set entry `(i, j)`, which must lie in the band.
    #[inline]
    pub fn set(&mut self, i: usize, j: usize, v: f64) {
        let k = self.idx(i, j);
        self.ab[k] = v;
    }

    /// Entry `(i, j)` (zero outside the band). Only meaningful before factorization.
    pub fn get(&self, i: usize, j: usize) -> f64 {
        if j > i + self.ku || i > j + self.kl || i >= self.n || j >= self.n {
            0.0
        } else {
            self.ab[self.idx(i, j)]
        }
    }

    /// Zero row `i` inside the band (used to replace an equation).
    pub fn clear_row(&mut self, i: usize) {
        let lo = i.saturating_sub(self.kl);
        let hi = (i + self.ku).min(self.n - 1);
        for j in lo..=hi {
            let k = self.idx(i, j);
            self.ab[k] = 0.0;
        }
    }

    /// `y = A x` (before factorization).
    pub fn mul_vec(&self, x: &[f64], y: &mut [f64]) {
        for (i, yi) in y.iter_mut().enumerate().take(self.n) {
            let lo = i.saturating_sub(self.kl);
            let hi = (i + self.ku).min(self.n - 1);
            *yi = (lo..=hi).map(|j| self.ab[self.idx(i, j)] * x[j]).sum();
        }
    }

    /// Factorize in place: equilibrate rows, then `P A = L U` with partial pivoting.
    pub fn factor(&mut self) -> Result<(), SingularMatrix> {
        let (n, kl, ku, ldab) = (self.n, self.kl, self.ku, self.ldab);
        let kv = kl + ku;
        // Row equilibration: scale every row to unit max norm.
        self.row_scale.fill(0.0);
        for j in 0..n {
            let lo = j.saturating_sub(ku);
            let hi = (j + kl).min(n - 1);
            let col = &self.ab[j * ldab..(j + 1) * ldab];
            for i in lo..=hi {
                let a = col[kv + i - j].abs();
                if a > self.row_scale[i] {
                    self.row_scale[i] = a;
                }
            }
        }
        for (i, s) in self.row_scale.iter_mut().enumerate() {
            if *s == 0.0 || !s.is_finite() {
                return Err(SingularMatrix { column: i });
            }
            *s = 1.0 / *s;
        }
        // Then columns, so that the scaling of the unknowns does not matter either.
        for j in 0..n {
            let lo = j.saturating_sub(ku);
            let hi = (j + kl).min(n - 1);
            let mut cmax: f64 = 0.0;
            for i in lo..=hi {
                let a = &mut self.ab[j * ldab + kv + i - j];
                *a *= self.row_scale[i];
                cmax = cmax.max(a.abs());
            }
            if cmax == 0.0 || !cmax.is_finite() {
                return Err(SingularMatrix { column: j });
            }
            let c = 1.0 / cmax;
            self.col_scale[j] = c;
            for i in lo..=hi {
                self.ab[j * ldab + kv + i - j] *= c;
            }
        }
        // dgbtf2.
        let mut ju = 0usize;
        for j in 0..n {
            let km = kl.min(n - 1 - j);
            let cj = j * ldab + kv;
            let mut jp = 0;
            let mut amax = self.ab[cj].abs();
            for t in 1..=km {
                let a = self.ab[cj + t].abs();
                if a > amax {
                    amax = a;
                    jp = t;
                }
            }
            self.ipiv[j] = j + jp;
            let pivot = self.ab[cj + jp];
            if pivot == 0.0 || !pivot.is_finite() {
                return Err(SingularMatrix { column: j });
            }
            ju = ju.max((j + ku + jp).min(n - 1));
            if jp != 0 {
                for c in j..=ju {
                    let base = c * ldab + kv + j - c;
                    self.ab.swap(base, base + jp);
                }
            }
            if km > 0 {
                let inv = 1.0 / pivot;
                for t in 1..=km {
                    self.ab[cj + t] *= inv;
                }
                for c in j + 1..=ju {
                    let base = c * ldab + kv + j - c;
                    let a = self.ab[base];
                    if a != 0.0 {
                        let (left, right) = self.ab.split_at_mut(c * ldab);
                        let l = &left[cj + 1..cj + 1 + km];
                        let u = &mut right[kv + j + 1 - c..kv + j + 1 - c + km];
                        for (ui, li) in u.iter_mut().zip(l) {
                            *ui -= li * a;
                        }
                    }
                }
            }
        }
        self.factored = true;
        Ok(())
    }

    /// Solve `A x = b` in place using the factorization.
    pub fn solve(&self, b: &mut [f64]) {
        assert!(self.factored, "BandMatrix::solve before factor");
        let (n, kl, ku, ldab) = (self.n, self.kl, self.ku, self.ldab);
        let kv = kl + ku;
        for (bi, s) in b.iter_mut().zip(&self.row_scale) {
            *bi *= s;
        }
        // L y = P b.
        for j in 0..n.saturating_sub(1) {
            let lm = kl.min(n - 1 - j);
            let l = self.ipiv[j];
            if l != j {
                b.swap(l, j);
            }
            let bj = b[j];
            if bj != 0.0 {
                let col = &self.ab[j * ldab + kv + 1..j * ldab + kv + 1 + lm];
                for (bi, li) in b[j + 1..j + 1 + lm].iter_mut().zip(col) {
                    *bi -= li * bj;
                }
            }
        }
        // U x = y.
        for j in (0..n).rev() {
            let col = &self.ab[j * ldab..(j + 1) * ldab];
            b[j] /= col[kv];
            let bj = b[j];
            if bj != 0.0 {
                let lo = j.saturating_sub(kv);
                for i in lo..j {
                    b[i] -= bj * col[kv + i - j];
                }
            }
        }
        for (bi, c) in b.iter_mut().zip(&self.col_scale) {
            *bi *= c;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A deterministic pseudo-random generator for test matrices (no extra dependency).
    fn lcg(seed: &mut u64) -> f64 {
        *seed = seed
            .wrapping_mul(6_364_136_223_846_793_005)
            .wrapping_add(1_442_695_040_888_963_407);
        ((*seed >> 11) as f64) / ((1u64 << 53) as f64) - 0.5
    }

    fn check(n: usize, kl: usize, ku: usize, seed: u64, weak_diagonal: bool) {
        let mut s = seed;
        let mut a = BandMatrix::zeros(n, kl, ku);
        for i in 0..n {
            for j in i.saturating_sub(kl)..=(i + ku).min(n - 1) {
                let mut v = lcg(&mut s);
                if i == j && !weak_diagonal {
                    v += 4.0;
                }
                // Wildly different row scales, as in PNP Jacobians.
                v *= 10f64.powi((i % 7) as i32 * 3 - 9);
                a.set(i, j, v);
            }
        }
        let x: Vec<f64> = (0..n).map(|i| 1.0 + (i % 5) as f64).collect();
        let mut b = vec![0.0; n];
        a.mul_vec(&x, &mut b);
        a.factor().unwrap();
        a.solve(&mut b);
        let err = x
            .iter()
            .zip(&b)
            .map(|(p, q)| (p - q).abs())
            .fold(0.0, f64::max);
        assert!(err < 1e-8, "n={n} kl={kl} ku={ku} err={err}");
    }

    #[test]
    fn solves_banded_systems_of_sizes_straddling_the_band() {
        for n in [1, 2, 3, 4, 5, 6, 7, 17, 64, 255, 256, 257] {
            for (kl, ku) in [(0, 0), (1, 1), (3, 5), (5, 3), (2, 0), (0, 2)] {
                check(n, kl, ku, n as u64 * 31 + kl as u64, false);
            }
        }
    }

    #[test]
    fn pivoting_handles_zero_diagonals() {
        // A permutation-like matrix needs row interchanges.
        let n = 6;
        let mut a = BandMatrix::zeros(n, 1, 1);
        for i in 0..n {
            if i + 1 < n {
                a.set(i, i + 1, 1.0);
                a.set(i + 1, i, 2.0);
            }
        }
        let x = [1.0, -2.0, 3.0, 0.5, 7.0, -1.0];
        let mut b = vec![0.0; n];
        a.mul_vec(&x, &mut b);
        a.factor().unwrap();
        a.solve(&mut b);
        for (p, q) in x.iter().zip(&b) {
            assert!((p - q).abs() < 1e-12);
        }
        for seed in 0..20 {
            check(40, 3, 5, seed, true);
        }
    }

    #[test]
    fn singular_matrix_is_reported() {
        let mut a = BandMatrix::zeros(3, 1, 1);
        a.set(0, 0, 1.0);
        a.set(2, 2, 1.0);
        assert!(a.factor().is_err());
    }
}
