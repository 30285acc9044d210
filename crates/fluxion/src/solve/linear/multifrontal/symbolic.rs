//! Symbolic analysis of [`super::MultifrontalLu`]: node groups, the fill-reducing ordering,
//! the supernodes with their row patterns, the assembly tree in postorder and the sizes of
//! every buffer of the numeric phase.
//!
//! 1. **Groups.** Consecutive unknowns whose rows of `A` hold the same columns (the fields of
//!    one mesh node: PNP Jacobians couple every field of a node to every field of its
//!    neighbours) form a group. The ordering and the supernodes are computed on the graph of
//!    the groups, which is a third the size for three fields per node, and every supernode
//!    holds whole groups, so that the pivoting inside a supernode can always reach the other
//!    equations of the same node.
//! 2. **Ordering and supernodes.** The group graph of `A + A^T` goes to faer's symbolic
//!    Cholesky (approximate minimum degree, supernodes relaxed by [`RELAX`]). The structure of
//!    its Cholesky factor `R^T` is that of `L` and of `U^T` for any LU of the symmetrically
//!    permuted matrix that pivots only inside the diagonal blocks of the supernodes.
//! 3. **Tree.** The parent of a supernode is the one holding the first row of its pattern;
//!    the numeric phase visits the supernodes in a postorder of that tree, so the update
//!    matrices of the children of a supernode are the top of a stack when it is assembled.

use super::super::{LinearError, SparsityPattern};
use faer::perm::PermRef;
use faer::sparse::linalg::cholesky::{
    factorize_symbolic_cholesky, CholeskySymbolicParams, SymbolicCholeskyRaw, SymmetricOrdering,
};
use faer::sparse::linalg::{SupernodalThreshold, SymbolicSupernodalParams};
use faer::sparse::SymbolicSparseColMatRef;
use faer::Side;

/// Relaxed supernode amalgamation on the group graph: two adjacent supernodes of at most
/// `n` groups in total merge when the fraction of explicit zeros of the merged one stays
/// below `z`, for the first `(n, z)` that applies (faer's default thresholds counted in
/// groups of three unknowns rather than in unknowns).
pub(super) const RELAX: &[(usize, f64)] = &[(2, 1.0), (6, 0.8), (16, 0.1), (usize::MAX, 0.05)];

/// The symbolic factorization (see the module docs). "New" indices are positions in the
/// elimination order.
#[derive(Debug)]
pub(super) struct Symbolic {
    /// Order of the matrix.
    pub n: usize,
    /// New position -> original unknown.
    pub perm: Vec<u32>,
    /// Original unknown -> new position.
    pub perm_inv: Vec<u32>,
    /// New group position -> original group (the elimination order of the groups).
    pub group_perm: Vec<u32>,
    /// Supernode `s` holds the new columns `begin[s]..begin[s + 1]`.
    pub begin: Vec<usize>,
    /// Rows of supernode `s` below its diagonal block: `rows[row_ptr[s]..row_ptr[s + 1]]`
    /// (new indices, ascending).
    pub row_ptr: Vec<usize>,
    /// See `row_ptr`.
    pub rows: Vec<u32>,
    /// Offset of the `(w + r) x w` column-major panel `[L11 \ U11; L21]` of supernode `s`
    /// (`w` columns, `r` rows in the pattern).
    pub l_ptr: Vec<usize>,
    /// Offset of the panel `U12^T` (`r x w`, column-major) of supernode `s`.
    pub u_ptr: Vec<usize>,
    /// Supernodes in postorder (children before their parent).
    pub order: Vec<u32>,
    /// Children of `s`: `child[child_ptr[s]..child_ptr[s + 1]]`, in processing order.
    pub child_ptr: Vec<usize>,
    /// See `child_ptr`.
    pub child: Vec<u32>,
    /// Parent of `s` (`u32::MAX` for a root).
    pub parent: Vec<u32>,
    /// Whether supernode `s` has a parent (else its update matrix is empty or discarded).
    pub has_parent: Vec<bool>,
    /// Largest frontal matrix order `w + r`.
    pub max_front: usize,
    /// Largest diagonal block `w`.
    pub max_width: usize,
    /// Peak length of the stack of update matrices.
    pub max_stack: usize,
    /// Floating-point operations of one numeric factorization.
    pub flops: f64,
}

fn failure(what: &str, e: impl std::fmt::Debug) -> LinearError {
    LinearError::Unsupported(format!(
        "the multifrontal LU's symbolic analysis failed ({what}: {e:?}); use solver = \"lu\""
    ))
}

/// Group starts: the pattern's node groups if it has them, else runs of consecutive
/// unknowns whose rows hold identical columns.
fn groups(p: &SparsityPattern) -> Vec<usize> {
    if let Some(g) = p.groups() {
        return g.iter().map(|&s| s as usize).collect();
    }
    let n = p.dim();
    let mut start = Vec::with_capacity(n / 2 + 2);
    start.push(0);
    for i in 1..n {
        if p.row(i) != p.row(i - 1) {
            start.push(i);
        }
    }
    start.push(n);
    start
}

/// The symmetric graph of `A + A^T` on the groups, as CSC arrays (diagonal included).
fn group_graph(p: &SparsityPattern, start: &[usize]) -> (Vec<usize>, Vec<usize>) {
    let ng = start.len() - 1;
    let mut gof = vec![0u32; p.dim()];
    for g in 0..ng {
        gof[start[g]..start[g + 1]].fill(g as u32);
    }
    // G0: the groups of the columns of the rows of every group, and the group itself.
    let mut g0_ptr = vec![0usize; ng + 1];
    let mut g0 = Vec::with_capacity(p.nnz() / 2 + ng);
    for g in 0..ng {
        let from = g0.len();
        for i in start[g]..start[g + 1] {
            let mut last = u32::MAX;
            for &j in p.row(i) {
                let h = gof[j as usize];
                if h != last {
                    g0.push(h);
                    last = h;
                }
            }
        }
        g0.push(g as u32);
        g0[from..].sort_unstable();
        let mut k = from;
        for q in from..g0.len() {
            if q == from || g0[q] != g0[k - 1] {
                g0[k] = g0[q];
                k += 1;
            }
        }
        g0.truncate(k);
        g0_ptr[g + 1] = g0.len();
    }
    // Its transpose (rows come out sorted).
    let mut t_ptr = vec![0usize; ng + 1];
    for &h in &g0 {
        t_ptr[h as usize + 1] += 1;
    }
    for g in 0..ng {
        t_ptr[g + 1] += t_ptr[g];
    }
    let mut next = t_ptr.clone();
    let mut t = vec![0u32; g0.len()];
    for g in 0..ng {
        for &h in &g0[g0_ptr[g]..g0_ptr[g + 1]] {
            t[next[h as usize]] = g as u32;
            next[h as usize] += 1;
        }
    }
    // Union of the sorted rows.
    let mut ptr = vec![0usize; ng + 1];
    let mut idx = Vec::with_capacity(2 * g0.len());
    let mut row = Vec::new();
    for g in 0..ng {
        row.clear();
        row.extend_from_slice(&g0[g0_ptr[g]..g0_ptr[g + 1]]);
        row.extend_from_slice(&t[t_ptr[g]..t_ptr[g + 1]]);
        row.sort_unstable();
        row.dedup();
        idx.extend(row.iter().map(|&h| h as usize));
        ptr[g + 1] = idx.len();
    }
    (ptr, idx)
}

impl Symbolic {
    /// The analysis of `p` (see the module docs).
    pub fn new(p: &SparsityPattern, relax: Option<&[(usize, f64)]>) -> Result<Self, LinearError> {
        let n = p.dim();
        if n >= u32::MAX as usize {
            return Err(failure("order", n));
        }
        if n == 0 {
            return Ok(Symbolic {
                n,
                perm: vec![],
                perm_inv: vec![],
                group_perm: vec![],
                begin: vec![0],
                row_ptr: vec![0],
                rows: vec![],
                l_ptr: vec![0],
                u_ptr: vec![0],
                order: vec![],
                child_ptr: vec![0],
                child: vec![],
                parent: vec![],
                has_parent: vec![],
                max_front: 0,
                max_width: 0,
                max_stack: 0,
                flops: 0.0,
            });
        }
        let start = groups(p);
        let ng = start.len() - 1;
        let (gptr, gidx) = group_graph(p, &start);
        let g = SymbolicSparseColMatRef::new_checked(ng, ng, &gptr, None, &gidx);
        let params = CholeskySymbolicParams {
            supernodal_flop_ratio_threshold: SupernodalThreshold::FORCE_SUPERNODAL,
            supernodal_params: SymbolicSupernodalParams { relax },
            ..Default::default()
        };
        // The pattern's group order if it has one (e.g. the ordering of another system on
        // the same mesh), else faer's approximate minimum degree.
        let custom = p.group_order().filter(|o| o.len() == ng).map(|o| {
            let fwd: Vec<usize> = o.iter().map(|&g| g as usize).collect();
            let mut inv = vec![0usize; ng];
            for (k, &g) in fwd.iter().enumerate() {
                inv[g] = k;
            }
            (fwd, inv)
        });
        let ordering = match &custom {
            Some((fwd, inv)) => SymmetricOrdering::Custom(PermRef::new_checked(fwd, inv, ng)),
            None => SymmetricOrdering::Amd,
        };
        let chol = factorize_symbolic_cholesky(g, Side::Upper, ordering, params)
            .map_err(|e| failure("faer", e))?;
        // Supernodes as group ranges with their row patterns (permuted group indices).
        let (sn_begin, sn_pat_ptr, sn_pat): (Vec<usize>, Vec<usize>, Vec<usize>) = match chol.raw()
        {
            SymbolicCholeskyRaw::Supernodal(sn) => {
                let ns = sn.n_supernodes();
                let mut begin: Vec<usize> = sn.supernode_begin().to_vec();
                begin.push(sn.supernode_end().last().copied().unwrap_or(0));
                let (mut ptr, mut pat) = (vec![0usize], Vec::new());
                for s in 0..ns {
                    pat.extend_from_slice(sn.supernode(s).pattern());
                    ptr.push(pat.len());
                }
                (begin, ptr, pat)
            }
            // faer picks the simplicial structure for tiny matrices whatever the
            // threshold: one supernode per column, its pattern below the diagonal.
            SymbolicCholeskyRaw::Simplicial(sp) => {
                let l = sp.factor();
                let (mut ptr, mut pat) = (vec![0usize], Vec::new());
                for j in 0..ng {
                    pat.extend(l.row_idx_of_col(j).filter(|&i| i > j));
                    ptr.push(pat.len());
                }
                ((0..=ng).collect(), ptr, pat)
            }
        };
        // New group position -> original group.
        let gfwd: Vec<usize> = match chol.perm() {
            Some(pm) => pm.arrays().0.to_vec(),
            None => (0..ng).collect(),
        };
        let mut new_start = vec![0usize; ng + 1];
        let mut perm = Vec::with_capacity(n);
        for (k, &g) in gfwd.iter().enumerate() {
            perm.extend((start[g]..start[g + 1]).map(|u| u as u32));
            new_start[k + 1] = perm.len();
        }
        let mut perm_inv = vec![0u32; n];
        for (i, &u) in perm.iter().enumerate() {
            perm_inv[u as usize] = i as u32;
        }
        let ns = sn_begin.len() - 1;
        let mut sn_of = vec![0u32; ng];
        let mut begin = Vec::with_capacity(ns + 1);
        for s in 0..ns {
            let (b, e) = (sn_begin[s], sn_begin[s + 1]);
            sn_of[b..e].fill(s as u32);
            begin.push(new_start[b]);
        }
        begin.push(n);
        let mut row_ptr = vec![0usize; ns + 1];
        let mut rows = Vec::new();
        let mut parent = vec![u32::MAX; ns];
        for s in 0..ns {
            let pat = &sn_pat[sn_pat_ptr[s]..sn_pat_ptr[s + 1]];
            if let Some(&h) = pat.first() {
                parent[s] = sn_of[h];
            }
            for &h in pat {
                rows.extend((new_start[h]..new_start[h + 1]).map(|i| i as u32));
            }
            row_ptr[s + 1] = rows.len();
        }
        // Children lists (ascending) and an iterative postorder from the roots.
        let mut child_ptr = vec![0usize; ns + 1];
        for &q in &parent {
            if q != u32::MAX {
                child_ptr[q as usize + 1] += 1;
            }
        }
        for s in 0..ns {
            child_ptr[s + 1] += child_ptr[s];
        }
        let mut next = child_ptr.clone();
        let mut child = vec![0u32; child_ptr[ns]];
        for (s, &q) in parent.iter().enumerate() {
            if q != u32::MAX {
                child[next[q as usize]] = s as u32;
                next[q as usize] += 1;
            }
        }
        let mut order = Vec::with_capacity(ns);
        let mut dfs: Vec<(u32, usize)> = Vec::new();
        for root in (0..ns).filter(|&s| parent[s] == u32::MAX) {
            dfs.push((root as u32, child_ptr[root]));
            while let Some(top) = dfs.last_mut() {
                let s = top.0 as usize;
                if top.1 < child_ptr[s + 1] {
                    let c = child[top.1];
                    top.1 += 1;
                    dfs.push((c, child_ptr[c as usize]));
                } else {
                    order.push(s as u32);
                    dfs.pop();
                }
            }
        }
        debug_assert_eq!(order.len(), ns);
        let (mut l_ptr, mut u_ptr) = (vec![0usize; ns + 1], vec![0usize; ns + 1]);
        let (mut max_front, mut max_width, mut flops) = (0, 0, 0.0);
        for s in 0..ns {
            let w = begin[s + 1] - begin[s];
            let r = row_ptr[s + 1] - row_ptr[s];
            l_ptr[s + 1] = l_ptr[s] + (w + r) * w;
            u_ptr[s + 1] = u_ptr[s] + w * r;
            max_front = max_front.max(w + r);
            max_width = max_width.max(w);
            let (w, r) = (w as f64, r as f64);
            flops += 2.0 / 3.0 * w * w * w + 2.0 * w * w * r + 2.0 * w * r * r;
        }
        // The stack: at each supernode the children's update matrices are popped, its own
        // is pushed.
        let has_parent: Vec<bool> = parent.iter().map(|&q| q != u32::MAX).collect();
        let (mut live, mut max_stack) = (0usize, 0usize);
        for &s in &order {
            let s = s as usize;
            for &c in &child[child_ptr[s]..child_ptr[s + 1]] {
                let rc = row_ptr[c as usize + 1] - row_ptr[c as usize];
                live -= rc * rc;
            }
            if has_parent[s] {
                let r = row_ptr[s + 1] - row_ptr[s];
                live += r * r;
                max_stack = max_stack.max(live);
            }
        }
        Ok(Symbolic {
            n,
            group_perm: gfwd.iter().map(|&g| g as u32).collect(),
            perm,
            perm_inv,
            begin,
            row_ptr,
            rows,
            l_ptr,
            u_ptr,
            order,
            child_ptr,
            child,
            parent,
            has_parent,
            max_front,
            max_width,
            max_stack,
            flops,
        })
    }

    /// The new columns `f..l` of supernode `s` and its pattern rows below them.
    #[inline]
    pub fn supernode(&self, s: usize) -> (usize, usize, &[u32]) {
        (
            self.begin[s],
            self.begin[s + 1],
            &self.rows[self.row_ptr[s]..self.row_ptr[s + 1]],
        )
    }

    /// Children of supernode `s`, in processing order.
    #[inline]
    pub fn children(&self, s: usize) -> &[u32] {
        &self.child[self.child_ptr[s]..self.child_ptr[s + 1]]
    }

    /// Parent of supernode `s` (which must have one).
    #[inline]
    pub fn parent(&self, s: usize) -> usize {
        self.parent[s] as usize
    }

    /// Number of supernodes.
    pub fn supernodes(&self) -> usize {
        self.begin.len() - 1
    }

    /// Entries of `L` and `U` together (diagonal blocks once).
    pub fn factor_entries(&self) -> usize {
        self.l_ptr[self.supernodes()] + self.u_ptr[self.supernodes()]
    }
}
