//! The numeric factorization of [`super::MultifrontalLu`]: one supernode at a time
//! ([`factor_supernode`]), and the schedule that factors disjoint subtrees of the assembly
//! tree on two threads ([`Schedule`]).
//!
//! Subtrees with no common supernode touch disjoint columns of `L` and `U`, so two threads
//! can factor them at once, each with its own frontal matrix, update stack and position map.
//! The schedule is fixed at the symbolic phase: starting from the roots, the most expensive
//! subtree of the candidate list is replaced by its children (its root joins the serial top
//! of the tree) while that lowers the estimated time `top + max(bin)` of a greedy two-way
//! partition (largest first into the lighter bin). After both threads are done, the top is
//! factored in postorder on the calling thread; the update matrix of a subtree root stays on
//! its thread's stack at an offset known from the schedule, where its parent reads it.

use super::symbolic::Symbolic;
use super::{Breakdown, PIVOT_TOLERANCE};
use faer::dyn_stack::{MemBuffer, MemStack};
use faer::linalg::lu::partial_pivoting::factor::{
    lu_in_place, lu_in_place_scratch, PartialPivLuParams,
};
use faer::linalg::matmul::matmul;
use faer::linalg::triangular_solve::solve_lower_triangular_in_place;
use faer::reborrow::{Reborrow, ReborrowMut};
use faer::{Accum, MatMut, Par, Spec};

/// Estimated cost of a supernode with `w` columns and `r` pattern rows: the dense flops and
/// a term for assembling, copying and clearing its frontal matrix (which dominates for the
/// small fronts of 2D meshes).
fn cost(w: usize, r: usize) -> f64 {
    let (w, r, m) = (w as f64, r as f64, (w + r) as f64);
    2.0 / 3.0 * w * w * w + 2.0 * w * w * r + 2.0 * w * r * r + 8.0 * m * m
}

/// Below this estimated cost the factorization runs on one thread (a thread start and the
/// extra buffers would not pay).
const PARALLEL_COST: f64 = 2e7;

/// Work buffers of one thread: the frontal matrix, the update stack, the position of a new
/// index in the current front, faer's pivot scratch.
pub(super) struct Work {
    front: Vec<f64>,
    stack: Vec<f64>,
    top: usize,
    pos: Vec<u32>,
    piv_inv: Vec<usize>,
    mem: MemBuffer,
    /// Solve scratch (one supernode's segments).
    pub(super) tmp: Vec<f64>,
    /// Forward solve: this group's updates of the rows of the top (empty for the top).
    pub(super) delta: Vec<f64>,
}

impl Work {
    fn new(
        sym: &Symbolic,
        (max_front, max_width, max_stack): (usize, usize, usize),
        group: bool,
    ) -> Option<Self> {
        let n = sym.n;
        let params: Spec<PartialPivLuParams, f64> = Default::default();
        let req = lu_in_place_scratch::<usize, f64>(max_width, max_front, Par::Seq, params);
        Some(Work {
            front: try_zeros(max_front * max_front)?,
            stack: try_zeros(max_stack)?,
            top: 0,
            pos: vec![u32::MAX; n],
            piv_inv: vec![0; max_width],
            mem: MemBuffer::try_new(req).ok()?,
            tmp: try_zeros(sym.max_width + max_front)?,
            delta: if group { try_zeros(n)? } else { Vec::new() },
        })
    }

    /// Bytes held.
    pub(super) fn memory_bytes(&self) -> usize {
        8 * (self.front.len()
            + self.stack.len()
            + self.piv_inv.len()
            + self.tmp.len()
            + self.delta.len())
            + 4 * self.pos.len()
    }
}

fn try_zeros(n: usize) -> Option<Vec<f64>> {
    let mut v = Vec::new();
    v.try_reserve_exact(n).ok()?;
    v.resize(n, 0.0);
    Some(v)
}

/// Which supernodes each thread factors and where the subtree roots leave their updates.
pub(super) struct Schedule {
    /// Supernodes of each parallel group in the order they are factored (whole subtrees,
    /// each in postorder); empty when the factorization runs on one thread.
    groups: Vec<Vec<u32>>,
    /// The remaining supernodes in postorder (all of them without groups).
    top: Vec<u32>,
    /// Whether a new column belongs to a supernode of the top.
    top_col: Vec<bool>,
    /// For the root of a group subtree: its group and the offset of its update matrix on
    /// that group's stack (`u32::MAX`: not a group root).
    handoff: Vec<(u32, usize)>,
    /// Buffers of the groups and of the top.
    works: Vec<Work>,
}

impl Schedule {
    /// The schedule of `sym` for two threads (or one, below [`PARALLEL_COST`]); `None` when
    /// the buffers cannot be allocated.
    pub(super) fn new(sym: &Symbolic, threads: usize) -> Option<Self> {
        let ns = sym.supernodes();
        let dims = |s: usize| {
            let (f, l, rows) = sym.supernode(s);
            (l - f, rows.len())
        };
        // Subtree costs and sizes in postorder, and the position of each supernode in it.
        let (mut sub, mut size, mut at) = (vec![0.0; ns], vec![1usize; ns], vec![0usize; ns]);
        for (k, &s) in sym.order.iter().enumerate() {
            let s = s as usize;
            at[s] = k;
            let (w, r) = dims(s);
            sub[s] += cost(w, r);
            for &c in sym.children(s) {
                sub[s] += sub[c as usize];
                size[s] += size[c as usize];
            }
        }
        let total: f64 = (0..ns)
            .filter(|&s| !sym.has_parent[s])
            .map(|s| sub[s])
            .sum();
        let mut groups: Vec<Vec<u32>> = Vec::new();
        if threads >= 2 && total >= PARALLEL_COST {
            let (roots, _) = split(sym, &sub, dims);
            if !roots.is_empty() {
                let mut bins = [(0.0f64, Vec::new()), (0.0, Vec::new())];
                let mut sorted = roots;
                sorted.sort_by(|&a, &b| sub[b as usize].total_cmp(&sub[a as usize]));
                for s in sorted {
                    let b = if bins[0].0 <= bins[1].0 { 0 } else { 1 };
                    bins[b].0 += sub[s as usize];
                    bins[b].1.push(s);
                }
                for (_, mut rs) in bins {
                    // Postorder within the group: subtrees in the order of `sym.order`.
                    rs.sort_by_key(|&s| at[s as usize]);
                    let mut list = Vec::new();
                    for s in rs {
                        let s = s as usize;
                        list.extend_from_slice(&sym.order[at[s] + 1 - size[s]..=at[s]]);
                    }
                    groups.push(list);
                }
            }
        }
        let mut in_group = vec![false; ns];
        for g in &groups {
            for &s in g {
                in_group[s as usize] = true;
            }
        }
        let top: Vec<u32> = sym
            .order
            .iter()
            .copied()
            .filter(|&s| !in_group[s as usize])
            .collect();
        // Simulate each stack for its size, its largest front and the handoff offsets.
        let mut handoff = vec![(u32::MAX, 0usize); ns];
        let mut works = Vec::new();
        for (gi, list) in groups.iter().chain(std::iter::once(&top)).enumerate() {
            let is_top = gi == groups.len();
            let (mut live, mut max_stack, mut max_front, mut max_width) = (0usize, 0, 0, 0);
            for &s in list {
                let s = s as usize;
                for &c in sym.children(s) {
                    let c = c as usize;
                    if !(is_top && in_group[c]) {
                        live -= dims(c).1.pow(2);
                    }
                }
                let (w, r) = dims(s);
                max_front = max_front.max(w + r);
                max_width = max_width.max(w);
                if sym.has_parent[s] {
                    let parent_in_top = !in_group[sym.parent(s)];
                    if !is_top && parent_in_top {
                        handoff[s] = (gi as u32, live);
                    }
                    live += r * r;
                    max_stack = max_stack.max(live);
                }
            }
            works.push(Work::new(sym, (max_front, max_width, max_stack), !is_top)?);
        }
        let mut top_col = vec![false; sym.n];
        for &s in &top {
            let (f, l, _) = sym.supernode(s as usize);
            top_col[f..l].fill(true);
        }
        Some(Schedule {
            groups,
            top,
            top_col,
            handoff,
            works,
        })
    }

    /// The parts the solves use: groups, top, top columns, buffers.
    #[allow(clippy::type_complexity)]
    pub(super) fn solve_parts(&mut self) -> (&[Vec<u32>], &[u32], &[bool], &mut [Work]) {
        (&self.groups, &self.top, &self.top_col, &mut self.works)
    }

    /// Whether the factorization runs on two threads.
    pub(super) fn parallel(&self) -> bool {
        !self.groups.is_empty()
    }

    /// Bytes held by the buffers.
    pub(super) fn memory_bytes(&self) -> usize {
        self.works.iter().map(Work::memory_bytes).sum::<usize>()
            + 4 * (self.top.len() + self.groups.iter().map(Vec::len).sum::<usize>())
            + self.top_col.len()
            + 16 * self.handoff.len()
    }

    /// Factor every supernode: the groups on their own threads, then the top here.
    // TODO(#9): the scoped threads (here, in `solve.rs` and in the parallel residual of
    // `assembly`) are spawned per call, which allocates; `rayon::join` would not, but rayon's
    // spinning workers slowed the rest of the solve when faer's kernels used them (see
    // `factor_supernode`), so measure before switching.
    pub(super) fn factor(&mut self, ctx: &Ctx<'_>) -> Result<(), Breakdown> {
        let Schedule {
            groups,
            top,
            handoff,
            works,
            ..
        } = self;
        let (group_works, top_work) = works.split_at_mut(groups.len());
        let top_work = &mut top_work[0];
        let run = |list: &[u32], w: &mut Work| -> Result<(), Breakdown> {
            w.top = 0;
            for &s in list {
                factor_supernode(ctx, s as usize, w, &[], &[])?;
            }
            Ok(())
        };
        if !groups.is_empty() {
            let results: Vec<Result<(), Breakdown>> = std::thread::scope(|scope| {
                let mut it = groups.iter().zip(group_works.iter_mut());
                let (first_list, first_work) = it.next().expect("two groups");
                let handles: Vec<_> = it
                    .map(|(list, w)| scope.spawn(move || run(list, w)))
                    .collect();
                let mut out = vec![run(first_list, first_work)];
                out.extend(
                    handles
                        .into_iter()
                        .map(|h| h.join().unwrap_or(Err(Breakdown))),
                );
                out
            });
            for r in results {
                r?;
            }
        }
        let stacks: Vec<&[f64]> = group_works.iter().map(|w| &w.stack[..]).collect();
        top_work.top = 0;
        for &s in top.iter() {
            factor_supernode(ctx, s as usize, top_work, handoff, &stacks)?;
        }
        debug_assert_eq!(top_work.top, 0);
        Ok(())
    }
}

/// The candidate subtree roots (see the module docs) and the estimated cost of the top.
fn split(sym: &Symbolic, sub: &[f64], dims: impl Fn(usize) -> (usize, usize)) -> (Vec<u32>, f64) {
    let ns = sym.supernodes();
    let estimate = |list: &[u32], top: f64| {
        let mut v: Vec<f64> = list.iter().map(|&s| sub[s as usize]).collect();
        v.sort_by(|a, b| b.total_cmp(a));
        let mut bins = [0.0f64; 2];
        for c in v {
            let b = if bins[0] <= bins[1] { 0 } else { 1 };
            bins[b] += c;
        }
        top + bins[0].max(bins[1])
    };
    let mut list: Vec<u32> = (0..ns)
        .filter(|&s| !sym.has_parent[s])
        .map(|s| s as u32)
        .collect();
    let mut top_cost = 0.0;
    let mut best = (estimate(&list, 0.0), list.clone(), 0.0);
    // A few hundred expansions are enough to get below the chain of separators at the
    // top of a 2D or 3D tree.
    for _ in 0..512 {
        let Some((k, &h)) = list
            .iter()
            .enumerate()
            .max_by(|a, b| sub[*a.1 as usize].total_cmp(&sub[*b.1 as usize]))
        else {
            break;
        };
        let h = h as usize;
        if sym.children(h).is_empty() {
            break;
        }
        list.swap_remove(k);
        let (w, r) = dims(h);
        top_cost += cost(w, r);
        list.extend_from_slice(sym.children(h));
        let e = estimate(&list, top_cost);
        if e < best.0 {
            best = (e, list.clone(), top_cost);
        }
    }
    (best.1, best.2)
}

/// The raw output arrays: `L` and `U` panels and the pivots, written by several threads at
/// disjoint ranges (one supernode is factored by one thread only).
pub(super) struct Out {
    lvals: *mut f64,
    uvals: *mut f64,
    piv: *mut usize,
}

// SAFETY: the pointers are only dereferenced through `Out::panels`, at the ranges of one
// supernode, and every supernode is factored by exactly one thread (the groups of a
// `Schedule` are disjoint and the top is factored after they are joined).
unsafe impl Sync for Out {}
unsafe impl Send for Out {}

impl Out {
    pub(super) fn new(lvals: &mut [f64], uvals: &mut [f64], piv: &mut [usize]) -> Self {
        Out {
            lvals: lvals.as_mut_ptr(),
            uvals: uvals.as_mut_ptr(),
            piv: piv.as_mut_ptr(),
        }
    }

    /// The `L` panel, `U` panel and pivots of supernode `s`.
    ///
    /// # Safety
    /// No other reference to the ranges of `s` may exist (one thread per supernode), and the
    /// arrays given to [`Out::new`] must be alive and not otherwise borrowed.
    #[allow(clippy::mut_from_ref)]
    unsafe fn panels(&self, sym: &Symbolic, s: usize) -> (&mut [f64], &mut [f64], &mut [usize]) {
        let (f, l, _) = sym.supernode(s);
        let (l0, l1) = (sym.l_ptr[s], sym.l_ptr[s + 1]);
        let (u0, u1) = (sym.u_ptr[s], sym.u_ptr[s + 1]);
        // SAFETY: in bounds by construction of `l_ptr`, `u_ptr` and `begin`; exclusive by
        // the caller's contract.
        unsafe {
            (
                std::slice::from_raw_parts_mut(self.lvals.add(l0), l1 - l0),
                std::slice::from_raw_parts_mut(self.uvals.add(u0), u1 - u0),
                std::slice::from_raw_parts_mut(self.piv.add(f), l - f),
            )
        }
    }
}

/// What every thread reads: `A` (CSR and CSC index maps), the scalings, the symbolic
/// analysis, and the output.
pub(super) struct Ctx<'a> {
    pub a_ptr: &'a [usize],
    pub a_col: &'a [u32],
    pub v: &'a [f64],
    pub col_ptr: &'a [usize],
    pub row_idx: &'a [usize],
    pub csr_of_csc: &'a [u32],
    pub row_scale: &'a [f64],
    pub col_scale: &'a [f64],
    pub sym: &'a Symbolic,
    pub out: Out,
}

/// Assemble, factor and store supernode `s` with the buffers `w`: the entries of `B`, the
/// update matrices of its children (from `w`'s stack, or from `stacks[g]` at the offset of
/// `handoff` for a child that is a group root), the partial-pivoting LU of its fully summed
/// rows, `L21`, and its own update matrix onto `w`'s stack.
fn factor_supernode(
    ctx: &Ctx<'_>,
    s: usize,
    w: &mut Work,
    handoff: &[(u32, usize)],
    stacks: &[&[f64]],
) -> Result<(), Breakdown> {
    let sym = ctx.sym;
    let (perm, perm_inv) = (&sym.perm, &sym.perm_inv);
    let (f, l, rows) = sym.supernode(s);
    let wd = l - f;
    let r = rows.len();
    let m = wd + r;
    let Work {
        front,
        stack,
        top,
        pos,
        piv_inv,
        mem,
        ..
    } = w;
    for k in 0..wd {
        pos[f + k] = k as u32;
    }
    for (t, &i) in rows.iter().enumerate() {
        pos[i as usize] = (wd + t) as u32;
    }
    let fr = &mut front[..m * m];
    fr.fill(0.0);
    // Entries (i, j), new indices, with j in this supernode and i >= j: by column.
    for j in f..l {
        let oj = perm[j] as usize;
        let cj = ctx.col_scale[oj];
        let col = (j - f) * m;
        for q in ctx.col_ptr[oj]..ctx.col_ptr[oj + 1] {
            let oi = ctx.row_idx[q];
            let i = perm_inv[oi] as usize;
            if i >= j {
                fr[col + pos[i] as usize] +=
                    ctx.v[ctx.csr_of_csc[q] as usize] * ctx.row_scale[oi] * cj;
            }
        }
    }
    // Entries (i, j) with i in this supernode and j > i: by row.
    for i in f..l {
        let oi = perm[i] as usize;
        let ri = ctx.row_scale[oi];
        let row = i - f;
        for k in ctx.a_ptr[oi]..ctx.a_ptr[oi + 1] {
            let oj = ctx.a_col[k] as usize;
            let j = perm_inv[oj] as usize;
            if j > i {
                fr[row + pos[j] as usize * m] += ctx.v[k] * ri * ctx.col_scale[oj];
            }
        }
    }
    // Extend-add the children's update matrices (the last child of this stack is on top).
    for &c in sym.children(s).iter().rev() {
        let c = c as usize;
        let crows = sym.supernode(c).2;
        let rc = crows.len();
        let cb = match handoff.get(c) {
            Some(&(g, off)) if g != u32::MAX => &stacks[g as usize][off..off + rc * rc],
            _ => {
                *top -= rc * rc;
                &stack[*top..*top + rc * rc]
            }
        };
        for (b, &jb) in crows.iter().enumerate() {
            let col = pos[jb as usize] as usize * m;
            let src = &cb[b * rc..(b + 1) * rc];
            for (&ia, &x) in crows.iter().zip(src) {
                fr[col + pos[ia as usize] as usize] += x;
            }
        }
    }
    // SAFETY: supernode `s` is factored by this thread only (see `Out`).
    let (lp, up, piv) = unsafe { ctx.out.panels(sym, s) };
    // Factor the fully summed rows: P [F11 F12] = L11 [U11 U12]. Sequential dense kernels:
    // faer's parallel ones (`Par::rayon`) on the fronts of order >= 384 made the 109k-cell
    // nanopore of `fluxion bench --pnp` slower on two cores (factor 3.82 s against 2.85 s;
    // the spinning rayon workers slowed the assembly and the solves as well; session 7).
    {
        let fm = MatMut::from_column_major_slice_mut(&mut fr[..], m, m);
        let top_rows = fm.split_at_row_mut(wd).0;
        let params: Spec<PartialPivLuParams, f64> = Default::default();
        lu_in_place(
            top_rows,
            piv,
            &mut piv_inv[..wd],
            Par::Seq,
            MemStack::new(mem),
            params,
        );
    }
    for k in 0..wd {
        if fr[k * m + k].abs().partial_cmp(&PIVOT_TOLERANCE) != Some(std::cmp::Ordering::Greater) {
            return Err(Breakdown);
        }
    }
    if r > 0 {
        let fm = MatMut::from_column_major_slice_mut(&mut fr[..], m, m);
        let (left, right) = fm.split_at_col_mut(wd);
        let (u11, l21) = left.split_at_row_mut(wd);
        // L21 = F21 U11^{-1}:  U11^T L21^T = F21^T.
        let mut l21 = l21;
        solve_lower_triangular_in_place(
            u11.rb().transpose(),
            l21.rb_mut().transpose_mut(),
            Par::Seq,
        );
        // The update matrix F22 - L21 U12.
        let (u12, f22) = right.split_at_row_mut(wd);
        matmul(f22, Accum::Add, l21.rb(), u12.rb(), -1.0, Par::Seq);
    }
    lp.copy_from_slice(&fr[..m * wd]);
    // U12 transposed (the solve takes dot products along its rows).
    for t in 0..r {
        let src = &fr[(wd + t) * m..(wd + t) * m + wd];
        for (k, &x) in src.iter().enumerate() {
            up[k * r + t] = x;
        }
    }
    if sym.has_parent[s] {
        for t in 0..r {
            let src = (wd + t) * m + wd;
            stack[*top + t * r..*top + (t + 1) * r].copy_from_slice(&fr[src..src + r]);
        }
        *top += r * r;
    }
    for k in 0..wd {
        pos[f + k] = u32::MAX;
    }
    for &i in rows {
        pos[i as usize] = u32::MAX;
    }
    Ok(())
}
