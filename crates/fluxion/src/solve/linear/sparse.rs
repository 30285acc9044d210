//! Compressed sparse row storage with a pattern fixed before assembly.

use super::MatrixSink;
use std::sync::Arc;

/// The nonzero pattern of a square matrix in compressed sparse row form: the columns of row
/// `i` are `col_idx[row_ptr[i]..row_ptr[i + 1]]`, strictly increasing; every diagonal entry
/// is present (an equation replaced by a Dirichlet row still has its pivot).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SparsityPattern {
    n: usize,
    row_ptr: Vec<usize>,
    col_idx: Vec<u32>,
    /// Optional grouping of the unknowns into mesh nodes: group `g` is
    /// `groups[g]..groups[g + 1]`.
    groups: Option<Vec<u32>>,
    /// Optional elimination order of the groups (entry `k`: the group eliminated `k`-th),
    /// which [`super::MultifrontalLu`] then uses instead of its minimum-degree ordering.
    group_order: Option<Vec<u32>>,
}

impl SparsityPattern {
    /// Build from the column lists of every row (unsorted, duplicates allowed); the
    /// diagonal is added where missing.
    ///
    /// # Panics
    /// If `rows.len() != n` or a column is `>= n` (a bug of the caller, not of the input).
    pub fn from_rows(n: usize, rows: &[Vec<usize>]) -> Self {
        assert_eq!(rows.len(), n, "one column list per row");
        let mut row_ptr = Vec::with_capacity(n + 1);
        let mut col_idx = Vec::with_capacity(rows.iter().map(|r| r.len() + 1).sum());
        let mut buf: Vec<usize> = Vec::new();
        row_ptr.push(0);
        for (i, r) in rows.iter().enumerate() {
            buf.clear();
            buf.extend_from_slice(r);
            buf.push(i);
            buf.sort_unstable();
            buf.dedup();
            assert!(buf.last().map_or(true, |&c| c < n), "column out of range");
            col_idx.extend(buf.iter().map(|&c| c as u32));
            row_ptr.push(col_idx.len());
        }
        SparsityPattern {
            n,
            row_ptr,
            col_idx,
            groups: None,
            group_order: None,
        }
    }

    /// Attach the grouping of the unknowns into mesh nodes (`starts`: strictly increasing
    /// from 0 to `n`; group `g` holds the unknowns `starts[g]..starts[g + 1]`), which
    /// [`super::MultifrontalLu`] keeps together in its supernodes so that it can pivot among
    /// the equations of one node.
    pub fn with_groups(mut self, starts: Vec<u32>) -> Result<Self, String> {
        if starts.first() != Some(&0) || starts.last().map(|&s| s as usize) != Some(self.n) {
            return Err(format!("groups must run from 0 to {}", self.n));
        }
        if starts.windows(2).any(|w| w[0] >= w[1]) && self.n > 0 {
            return Err("group starts must be strictly increasing".into());
        }
        self.groups = Some(starts);
        Ok(self)
    }

    /// The grouping of the unknowns into nodes, if one was attached ([`Self::with_groups`]).
    pub fn groups(&self) -> Option<&[u32]> {
        self.groups.as_deref()
    }

    /// Attach an elimination order of the groups of [`Self::with_groups`] (a permutation:
    /// entry `k` is the group eliminated `k`-th), for instance the ordering of another
    /// system on the same mesh ([`super::LinearSolver::group_order`]).
    pub fn with_group_order(mut self, order: Vec<u32>) -> Result<Self, String> {
        let ng = self
            .groups
            .as_ref()
            .map(|g| g.len() - 1)
            .ok_or("a group order needs groups (with_groups)")?;
        if order.len() != ng {
            return Err(format!(
                "{} entries in an order of {ng} groups",
                order.len()
            ));
        }
        let mut seen = vec![false; ng];
        for &g in &order {
            match seen.get_mut(g as usize) {
                Some(s) if !*s => *s = true,
                _ => return Err(format!("group {g} is out of range or twice in the order")),
            }
        }
        self.group_order = Some(order);
        Ok(self)
    }

    /// The elimination order of the groups, if one was attached ([`Self::with_group_order`]).
    pub fn group_order(&self) -> Option<&[u32]> {
        self.group_order.as_deref()
    }

    /// Build directly from CSR arrays (rows sorted, diagonal present, as checked here).
    pub fn from_csr(n: usize, row_ptr: Vec<usize>, col_idx: Vec<u32>) -> Result<Self, String> {
        if row_ptr.len() != n + 1 || row_ptr[0] != 0 || row_ptr[n] != col_idx.len() {
            return Err("row_ptr must have n + 1 entries from 0 to nnz".into());
        }
        for i in 0..n {
            let row = &col_idx[row_ptr[i]..row_ptr[i + 1]];
            if row.windows(2).any(|w| w[0] >= w[1]) {
                return Err(format!("row {i}: columns not strictly increasing"));
            }
            if row.last().is_some_and(|&c| c as usize >= n) {
                return Err(format!("row {i}: column out of range"));
            }
            if row.binary_search(&(i as u32)).is_err() {
                return Err(format!("row {i}: diagonal entry missing"));
            }
        }
        Ok(SparsityPattern {
            n,
            row_ptr,
            col_idx,
            groups: None,
            group_order: None,
        })
    }

    /// Order of the matrix.
    pub fn dim(&self) -> usize {
        self.n
    }

    /// Number of stored entries.
    pub fn nnz(&self) -> usize {
        self.col_idx.len()
    }

    /// Row pointers (`n + 1` entries).
    pub fn row_ptr(&self) -> &[usize] {
        &self.row_ptr
    }

    /// Column indices, row by row.
    pub fn col_idx(&self) -> &[u32] {
        &self.col_idx
    }

    /// Columns of row `i`.
    pub fn row(&self, i: usize) -> &[u32] {
        &self.col_idx[self.row_ptr[i]..self.row_ptr[i + 1]]
    }

    /// Position of entry `(i, j)` in the value array, if stored.
    #[inline]
    pub fn position(&self, i: usize, j: usize) -> Option<usize> {
        let start = self.row_ptr[i];
        self.col_idx[start..self.row_ptr[i + 1]]
            .binary_search(&(j as u32))
            .ok()
            .map(|p| start + p)
    }

    /// Lower and upper bandwidth `(max i - j, max j - i)`.
    pub fn bandwidths(&self) -> (usize, usize) {
        let (mut lo, mut up) = (0, 0);
        for i in 0..self.n {
            let row = self.row(i);
            if let (Some(&first), Some(&last)) = (row.first(), row.last()) {
                lo = lo.max(i.saturating_sub(first as usize));
                up = up.max((last as usize).saturating_sub(i));
            }
        }
        (lo, up)
    }

    /// Whether the pattern equals its transpose.
    pub fn is_structurally_symmetric(&self) -> bool {
        (0..self.n).all(|i| {
            self.row(i)
                .iter()
                .all(|&j| self.position(j as usize, i).is_some())
        })
    }
}

/// A sparse matrix whose values follow a shared [`SparsityPattern`].
#[derive(Clone, Debug)]
pub struct CsrMatrix {
    pattern: Arc<SparsityPattern>,
    values: Vec<f64>,
}

impl CsrMatrix {
    /// A zero matrix with the given pattern.
    pub fn zeros(pattern: Arc<SparsityPattern>) -> Self {
        let values = vec![0.0; pattern.nnz()];
        CsrMatrix { pattern, values }
    }

    /// The pattern.
    pub fn pattern(&self) -> &Arc<SparsityPattern> {
        &self.pattern
    }

    /// Stored values, in pattern order.
    pub fn values(&self) -> &[f64] {
        &self.values
    }

    /// Stored values, mutable.
    pub fn values_mut(&mut self) -> &mut [f64] {
        &mut self.values
    }

    /// `y = A x`.
    pub fn mul_vec(&self, x: &[f64], y: &mut [f64]) {
        let p = &self.pattern;
        for (i, yi) in y.iter_mut().enumerate().take(p.n) {
            let (a, b) = (p.row_ptr[i], p.row_ptr[i + 1]);
            *yi = p.col_idx[a..b]
                .iter()
                .zip(&self.values[a..b])
                .map(|(&j, v)| v * x[j as usize])
                .sum();
        }
    }

    /// Bytes held by the values and the pattern.
    pub fn memory_bytes(&self) -> usize {
        self.values.len() * 12 + self.pattern.row_ptr.len() * 8
    }
}

impl MatrixSink for CsrMatrix {
    fn dim(&self) -> usize {
        self.pattern.n
    }
    fn clear(&mut self) {
        self.values.fill(0.0);
    }
    #[inline]
    fn add(&mut self, i: usize, j: usize, v: f64) {
        match self.pattern.position(i, j) {
            Some(p) => self.values[p] += v,
            None => debug_assert!(v == 0.0, "entry ({i}, {j}) is outside the pattern"),
        }
    }
    /// One search per row: where the pattern stores the block's columns `j..j + cols`
    /// contiguously (a node block of the assembler: the fields of a node are consecutive
    /// unknowns), the row is added as a slice; otherwise entry by entry.
    fn add_block(
        &mut self,
        i: usize,
        j: usize,
        rows: usize,
        cols: usize,
        block: &[f64],
        scale: f64,
    ) {
        let p = &self.pattern;
        for r in 0..rows {
            let src = &block[r * cols..(r + 1) * cols];
            let end = p.row_ptr[i + r + 1];
            let contiguous = p
                .position(i + r, j)
                .filter(|&q| q + cols <= end && p.col_idx[q + cols - 1] as usize == j + cols - 1);
            match contiguous {
                Some(q) => {
                    for (a, &v) in self.values[q..q + cols].iter_mut().zip(src) {
                        *a += scale * v;
                    }
                }
                None => {
                    for (c, &v) in src.iter().enumerate() {
                        if v != 0.0 {
                            match p.position(i + r, j + c) {
                                Some(q) => self.values[q] += scale * v,
                                None => debug_assert!(
                                    false,
                                    "entry ({}, {}) is outside the pattern",
                                    i + r,
                                    j + c
                                ),
                            }
                        }
                    }
                }
            }
        }
    }
    fn zero_row(&mut self, i: usize) {
        let (a, b) = (self.pattern.row_ptr[i], self.pattern.row_ptr[i + 1]);
        self.values[a..b].fill(0.0);
    }
    fn get(&self, i: usize, j: usize) -> f64 {
        self.pattern
            .position(i, j)
            .map(|p| self.values[p])
            .unwrap_or(0.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pattern_sorts_dedups_and_adds_the_diagonal() {
        let p = SparsityPattern::from_rows(3, &[vec![2, 0, 2], vec![], vec![0]]);
        assert_eq!(p.row(0), &[0, 2]);
        assert_eq!(p.row(1), &[1]);
        assert_eq!(p.row(2), &[0, 2]);
        assert_eq!(p.bandwidths(), (2, 2));
        assert!(p.is_structurally_symmetric());
        assert!(SparsityPattern::from_csr(2, vec![0, 1, 2], vec![1, 0]).is_err());
    }

    #[test]
    fn csr_matrix_adds_and_multiplies() {
        let p = Arc::new(SparsityPattern::from_rows(2, &[vec![0, 1], vec![0, 1]]));
        let mut a = CsrMatrix::zeros(p);
        a.add(0, 0, 2.0);
        a.add(0, 1, 1.0);
        a.add(1, 0, -1.0);
        a.add(1, 1, 3.0);
        a.add(1, 1, 1.0);
        let mut y = [0.0; 2];
        a.mul_vec(&[1.0, 2.0], &mut y);
        assert_eq!(y, [4.0, 7.0]);
        assert_eq!(a.get(1, 1), 4.0);
    }
}
