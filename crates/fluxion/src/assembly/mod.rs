//! The finite-volume assembler: one loop over faces, nodes and patch faces that calls the
//! physics and scatters values and derivatives into the residual and the Jacobian.
//!
//! For every field `a` (a species, the potential, ...) and node `K` the raw balance is
//!
//! ```text
//! R_{K,a} = sum_{faces K|L} J_a(u_K, u_L)  +  S_a(u_K)  +  sum_{patch faces of K} B_a(u_K)
//! ```
//!
//! with `J_a` the flow from `K` to `L` through the face (already integrated over its area;
//! [`FluxLaw`]), `S_a` a volume term ([`VolumeTerm`]: sources, the space charge of Poisson's
//! equation) and `B_a` the outward flow through a piece of a named patch
//! ([`BoundaryTerm`]: given fluxes, surface charges, state-dependent fluxes such as
//! Butler-Volmer). The row of `(K, a)` is then, by the node's [`RowRule`], the balance
//! itself, a combination of the balances of the node, or an algebraic equation
//! ([`NodeEquation`]: Dirichlet values, electroneutrality). Storage `M_{K,a} du/dt` is added
//! by the time stepper from [`Assembler::mass`].
//!
//! Nothing here depends on the dimension or on the physics: a new model is a set of
//! implementations of these traits, never a change of the assembler.

mod dof;

pub use dof::{DofError, DofMap, RowRule, RowRules};

use crate::mesh::Mesh;
use crate::solve::{MatrixSink, SparsityPattern, Structure, TensorLayout};
use std::sync::{Arc, OnceLock};

/// Dense local derivative block `d out_a / d u_b` (row-major, `fields x fields`).
#[derive(Debug)]
pub struct Local<'a> {
    fields: usize,
    /// Values per field.
    pub value: &'a mut [f64],
    /// `d value_a / d u_b` at `a * fields + b`.
    pub d: &'a mut [f64],
}

impl<'a> Local<'a> {
    /// Local output over `fields` fields (`value`: `fields`, `d`: `fields^2` entries).
    pub fn new(fields: usize, value: &'a mut [f64], d: &'a mut [f64]) -> Self {
        Local { fields, value, d }
    }
    /// Add `v` to the value of field `a`.
    #[inline]
    pub fn add(&mut self, a: usize, v: f64) {
        self.value[a] += v;
    }
    /// Add `v` to `d value_a / d u_b`.
    #[inline]
    pub fn add_d(&mut self, a: usize, b: usize, v: f64) {
        self.d[a * self.fields + b] += v;
    }
}

/// Face fluxes: values and the derivatives with respect to both nodes.
#[derive(Debug)]
pub struct FaceFlux<'a> {
    fields: usize,
    /// Flow from the first to the second node, per field.
    pub value: &'a mut [f64],
    /// `d J_a / d u_K[b]` at `a * fields + b`.
    pub dk: &'a mut [f64],
    /// `d J_a / d u_L[b]` at `a * fields + b`.
    pub dl: &'a mut [f64],
}

impl<'a> FaceFlux<'a> {
    /// Face output over `fields` fields (`value`: `fields`, `dk`, `dl`: `fields^2` entries).
    pub fn new(fields: usize, value: &'a mut [f64], dk: &'a mut [f64], dl: &'a mut [f64]) -> Self {
        FaceFlux {
            fields,
            value,
            dk,
            dl,
        }
    }
    /// Add `v` to the flow of field `a`.
    #[inline]
    pub fn add(&mut self, a: usize, v: f64) {
        self.value[a] += v;
    }
    /// Add to `d J_a / d u_K[b]`.
    #[inline]
    pub fn add_dk(&mut self, a: usize, b: usize, v: f64) {
        self.dk[a * self.fields + b] += v;
    }
    /// Add to `d J_a / d u_L[b]`.
    #[inline]
    pub fn add_dl(&mut self, a: usize, b: usize, v: f64) {
        self.dl[a * self.fields + b] += v;
    }
}

/// A two-point flux law on a face (Scharfetter-Gummel, `-eps grad phi`, ...).
pub trait FluxLaw: Sync {
    /// `(flux field, state field)` pairs on which this law's fluxes depend (on either
    /// node); they fix the sparsity pattern.
    fn couplings(&self) -> Vec<(usize, usize)>;
    /// Add the flow from node `K = nodes[0]` to `L = nodes[1]` through face `face`, with
    /// `uk`, `ul` the values of all fields at the two nodes (absent fields are 0).
    fn flux(&self, face: usize, nodes: [usize; 2], uk: &[f64], ul: &[f64], out: &mut FaceFlux);
}

/// A term of the balance of a node (sources, reactions, the space charge).
pub trait VolumeTerm {
    /// `(equation field, state field)` couplings within the node.
    fn couplings(&self) -> Vec<(usize, usize)>;
    /// Add the term at `node` with state `u`.
    fn eval(&self, node: usize, u: &[f64], out: &mut Local);
}

/// The outward flow through a patch face (given flux, surface charge, electrode kinetics).
pub trait BoundaryTerm {
    /// `(equation field, state field)` couplings within the node.
    fn couplings(&self) -> Vec<(usize, usize)>;
    /// Add the outward flow through patch face `index` (of [`Mesh::patch_faces`]) whose
    /// node has state `u`.
    fn eval(&self, index: usize, u: &[f64], out: &mut Local);
}

/// The algebraic equations of rows with [`RowRule::Algebraic`].
pub trait NodeEquation {
    /// `(equation field, state field)` couplings within the node.
    fn couplings(&self) -> Vec<(usize, usize)>;
    /// Residual of the equation of `(node, field)` and its derivatives `d/du_b` (into
    /// `d[b]`), with `u` the state of the node.
    fn eval(&self, node: usize, field: usize, u: &[f64], d: &mut [f64]) -> f64;
}

/// The physics of one assembly: borrowed trait objects, so a model can build them from its
/// current parameters (continuation) without allocating.
#[derive(Clone, Copy, Default)]
pub struct Terms<'a> {
    /// Face flux laws.
    pub flux: &'a [&'a dyn FluxLaw],
    /// Volume terms.
    pub volume: &'a [&'a dyn VolumeTerm],
    /// Boundary terms.
    pub boundary: &'a [&'a dyn BoundaryTerm],
    /// Equations of algebraic rows.
    pub equation: Option<&'a dyn NodeEquation>,
}

/// The assembler: mesh, unknowns, row rules, the Jacobian's pattern, and workspaces.
///
/// The sparsity pattern is built on first use ([`Self::pattern`]): a 1D chain solved by
/// the block-tridiagonal LU never needs it (its structure is implied by the node order),
/// which saves its memory (about 12 bytes per nonzero) and the time to build it.
#[derive(Clone, Debug)]
pub struct Assembler {
    mesh: Arc<Mesh>,
    dofs: DofMap,
    rows: RowRules,
    /// Couplings `nf x nf` of the flux laws, of the volume and boundary terms, and of the
    /// node equations, from which the pattern is built.
    couplings: [Vec<bool>; 3],
    pattern: OnceLock<Arc<SparsityPattern>>,
    banded: bool,
    nf: usize,
    scratch: FaceScratch,
    /// The second thread's scratch and residual of a parallel residual (`r2` sized on
    /// first use).
    scratch2: FaceScratch,
    r2: Vec<f64>,
    threads: usize,
    drow: Vec<f64>,
}

/// Faces from which a residual without Jacobian runs on two threads (below, a thread start
/// and the extra sum over `r` would not pay).
const PARALLEL_FACES: usize = 50_000;

/// Per-thread buffers of the face loop: the states of the two nodes, the flows and their
/// derivatives.
#[derive(Clone, Debug)]
struct FaceScratch {
    uk: Vec<f64>,
    ul: Vec<f64>,
    val: Vec<f64>,
    dk: Vec<f64>,
    dl: Vec<f64>,
}

impl FaceScratch {
    fn new(nf: usize) -> Self {
        FaceScratch {
            uk: vec![0.0; nf],
            ul: vec![0.0; nf],
            val: vec![0.0; nf],
            dk: vec![0.0; nf * nf],
            dl: vec![0.0; nf * nf],
        }
    }
}

/// Couplings of a set of terms as a dense boolean matrix.
fn coupling_matrix(nf: usize, pairs: impl IntoIterator<Item = (usize, usize)>) -> Vec<bool> {
    let mut m = vec![false; nf * nf];
    for (a, b) in pairs {
        assert!(a < nf && b < nf, "coupling ({a}, {b}) outside {nf} fields");
        m[a * nf + b] = true;
    }
    m
}

impl Assembler {
    /// Set up the assembly for `terms` (which fix the couplings and so the pattern; the
    /// same kinds of terms must be passed to [`Self::assemble`]). `banded`: report a banded
    /// or block-tridiagonal structure (1D meshes).
    pub fn new(mesh: Arc<Mesh>, dofs: DofMap, rows: RowRules, terms: &Terms, banded: bool) -> Self {
        assert!(dofs.matches(&mesh), "dof map and mesh disagree");
        let nf = dofs.fields();
        let cf = coupling_matrix(nf, terms.flux.iter().flat_map(|t| t.couplings()));
        let cv = coupling_matrix(
            nf,
            terms
                .volume
                .iter()
                .flat_map(|t| t.couplings())
                .chain(terms.boundary.iter().flat_map(|t| t.couplings())),
        );
        let ce = coupling_matrix(nf, terms.equation.iter().flat_map(|t| t.couplings()));
        Assembler {
            mesh,
            dofs,
            rows,
            couplings: [cf, cv, ce],
            pattern: OnceLock::new(),
            banded,
            nf,
            scratch: FaceScratch::new(nf),
            scratch2: FaceScratch::new(nf),
            r2: Vec::new(),
            threads: std::thread::available_parallelism().map_or(1, |t| t.get().min(2)),
            drow: vec![0.0; nf],
        }
    }

    /// The Jacobian's pattern from the couplings of the terms and the row rules.
    fn build_pattern(&self) -> SparsityPattern {
        let (mesh, dofs, rows, nf) = (&*self.mesh, &self.dofs, &self.rows, self.nf);
        let [cf, cv, ce] = &self.couplings;
        let n = dofs.len();
        // Rows come in increasing order (nodes in order, their fields in order), so the CSR
        // arrays are written row by row from one scratch list.
        let mut row_ptr = Vec::with_capacity(n + 1);
        row_ptr.push(0usize);
        let mut col_idx: Vec<u32> = Vec::with_capacity(n * (mesh.dim() * 2 + 1));
        let mut cols: Vec<usize> = Vec::new();
        let mut src = vec![false; nf];
        for node in 0..mesh.nodes() {
            for a in 0..nf {
                let Some(row) = dofs.dof(node, a) else {
                    continue;
                };
                debug_assert_eq!(row + 1, row_ptr.len(), "rows in order");
                cols.clear();
                cols.push(row);
                src.fill(false);
                let rule = rows.rule(node, a);
                match rule {
                    RowRule::Balance => src[a] = true,
                    RowRule::Combination(parts) => {
                        for &(b, w) in parts {
                            if w != 0.0 {
                                src[b] = true;
                            }
                        }
                    }
                    RowRule::Algebraic => {}
                }
                for b in 0..nf {
                    let own = (0..nf).any(|s| src[s] && (cf[s * nf + b] || cv[s * nf + b]))
                        || (matches!(rule, RowRule::Algebraic) && ce[a * nf + b]);
                    if own {
                        if let Some(c) = dofs.dof(node, b) {
                            cols.push(c);
                        }
                    }
                }
                for &f in mesh.node_faces(node) {
                    let [p, q] = mesh.face_nodes(f as usize);
                    let other = if p == node { q } else { p };
                    for b in 0..nf {
                        if (0..nf).any(|s| src[s] && cf[s * nf + b]) {
                            if let Some(c) = dofs.dof(other, b) {
                                cols.push(c);
                            }
                        }
                    }
                }
                cols.sort_unstable();
                cols.dedup();
                col_idx.extend(cols.iter().map(|&c| c as u32));
                row_ptr.push(col_idx.len());
            }
        }
        // The unknowns of one node form a group (the multifrontal LU pivots within nodes).
        let mut starts: Vec<u32> = (0..mesh.nodes())
            .map(|k| dofs.node_range(k).start as u32)
            .chain([n as u32])
            .collect();
        starts.dedup();
        SparsityPattern::from_csr(n, row_ptr, col_idx)
            .expect("sorted rows with their diagonal")
            .with_groups(starts)
            .expect("the node ranges partition the unknowns")
    }

    /// The mesh.
    pub fn mesh(&self) -> &Arc<Mesh> {
        &self.mesh
    }

    /// The unknowns.
    pub fn dofs(&self) -> &DofMap {
        &self.dofs
    }

    /// The row rules.
    pub fn rows(&self) -> &RowRules {
        &self.rows
    }

    /// The Jacobian's sparsity pattern (built on the first call).
    pub fn pattern(&self) -> &Arc<SparsityPattern> {
        self.pattern.get_or_init(|| Arc::new(self.build_pattern()))
    }

    /// Bytes held by the assembler beyond the mesh: the pattern if it was built (4 bytes
    /// per nonzero, 8 per row) and the workspaces.
    pub fn memory_bytes(&self) -> usize {
        let pattern = self
            .pattern
            .get()
            .map_or(0, |p| 4 * p.nnz() + 8 * (p.dim() + 1));
        pattern
            + 8 * (self.scratch.uk.len() * 4 + self.scratch.dk.len() * 2) * 2
            + 8 * self.r2.len()
    }

    /// The Jacobian's structure for the linear solver: for 1D meshes block tridiagonal
    /// (several fields per node) or banded (with the pattern's bandwidths), else sparse with the tensor layout of a structured mesh
    /// whose nodes carry every field.
    pub fn structure(&self) -> Structure {
        if self.banded {
            // Interleaved fields on a chain of nodes: block tridiagonal.
            let chain = (0..self.mesh.faces()).all(|f| {
                let [a, b] = self.mesh.face_nodes(f);
                a.abs_diff(b) == 1
            });
            if chain && self.nf > 1 && self.dofs.len() == self.mesh.nodes() * self.nf {
                return Structure::BlockTridiagonal {
                    blocks: self.mesh.nodes(),
                    block_size: self.nf,
                };
            }
            let (lower, upper) = self.pattern().bandwidths();
            return Structure::Banded {
                n: self.dofs.len(),
                lower,
                upper,
            };
        }
        let layout = self.mesh.shape().and_then(|shape| {
            (self.dofs.len() == self.mesh.nodes() * self.nf).then_some(TensorLayout {
                shape,
                fields: self.nf,
            })
        });
        Structure::Sparse {
            pattern: self.pattern().clone(),
            layout,
        }
    }

    /// Diagonal mass matrix: `storage(node, field)` on balance rows, zero elsewhere.
    pub fn mass(&self, storage: impl Fn(usize, usize) -> f64, out: &mut [f64]) {
        out.fill(0.0);
        for node in 0..self.mesh.nodes() {
            for a in 0..self.nf {
                if let Some(i) = self.dofs.dof(node, a) {
                    if *self.rows.rule(node, a) == RowRule::Balance {
                        out[i] = storage(node, a);
                    }
                }
            }
        }
    }

    /// Scatter a raw contribution of field `a` at `node` (value and derivatives by the
    /// columns `cols` of the nodes in `col_nodes`) through the row rules.
    #[inline]
    #[allow(clippy::too_many_arguments)]
    fn scatter(
        dofs: &DofMap,
        rows: &RowRules,
        nf: usize,
        node: usize,
        a: usize,
        sign: f64,
        value: f64,
        blocks: [(usize, &[f64]); 2],
        nblocks: usize,
        r: &mut [f64],
        jac: &mut Option<&mut dyn MatrixSink>,
    ) {
        let identity = rows.is_identity(node);
        let single = [(a, 1.0)];
        let targets: &[(usize, f64)] = if identity {
            &single
        } else {
            rows.targets(node, a)
        };
        for &(t, w) in targets {
            let Some(row) = dofs.dof(node, t) else {
                continue;
            };
            let s = sign * w;
            r[row] += s * value;
            if let Some(j) = jac.as_mut() {
                for &(cn, d) in &blocks[..nblocks] {
                    let drow = &d[a * nf..(a + 1) * nf];
                    for (b, &v) in drow.iter().enumerate() {
                        if v != 0.0 {
                            if let Some(c) = dofs.dof(cn, b) {
                                j.add(row, c, s * v);
                            }
                        }
                    }
                }
            }
        }
    }

    /// One node term (a volume term or a patch face): gather the state of `node`, let
    /// `eval` fill the local values and derivatives, scatter them into the node's rows.
    #[allow(clippy::too_many_arguments)]
    fn node_term(
        (dofs, rows, nf): (&DofMap, &RowRules, usize),
        (uk, val, dk): (&mut [f64], &mut [f64], &mut [f64]),
        node: usize,
        x: &[f64],
        want_d: bool,
        r: &mut [f64],
        jac: &mut Option<&mut dyn MatrixSink>,
        eval: impl FnOnce(&[f64], &mut Local),
    ) {
        dofs.gather(node, x, uk);
        val.fill(0.0);
        if want_d {
            dk.fill(0.0);
        }
        let mut out = Local {
            fields: nf,
            value: &mut *val,
            d: &mut *dk,
        };
        eval(uk, &mut out);
        if dofs.is_full() && rows.is_identity(node) {
            // Every field of the node is its own balance: one dense block.
            let row = dofs.node_range(node).start;
            for a in 0..nf {
                r[row + a] += val[a];
            }
            if let Some(j) = jac.as_mut() {
                j.add_block(row, row, nf, nf, dk, 1.0);
            }
            return;
        }
        for a in 0..nf {
            let blocks = [(node, &dk[..]), (node, &dk[..])];
            Self::scatter(dofs, rows, nf, node, a, 1.0, val[a], blocks, 1, r, jac);
        }
    }

    /// The flux laws on the faces `faces` with the scratch `sc`: `+J` into the rows of the
    /// first node, `-J` into those of the second (through the row rules), added to `r` and,
    /// if given, the Jacobian.
    #[allow(clippy::too_many_arguments)]
    fn faces(
        (mesh, dofs, rows, nf): (&Mesh, &DofMap, &RowRules, usize),
        sc: &mut FaceScratch,
        flux: &[&dyn FluxLaw],
        faces: std::ops::Range<usize>,
        x: &[f64],
        r: &mut [f64],
        jac: &mut Option<&mut dyn MatrixSink>,
    ) {
        let want_d = jac.is_some();
        let full = dofs.is_full();
        for f in faces {
            let [k, l] = mesh.face_nodes(f);
            dofs.gather(k, x, &mut sc.uk);
            dofs.gather(l, x, &mut sc.ul);
            sc.val.fill(0.0);
            if want_d {
                sc.dk.fill(0.0);
                sc.dl.fill(0.0);
            }
            let mut out = FaceFlux {
                fields: nf,
                value: &mut sc.val,
                dk: &mut sc.dk,
                dl: &mut sc.dl,
            };
            for law in flux {
                law.flux(f, [k, l], &sc.uk, &sc.ul, &mut out);
            }
            if full && rows.is_identity(k) && rows.is_identity(l) {
                // Both nodes carry every field as its own balance (all interior nodes):
                // `+J` into the rows of `K`, `-J` into those of `L`, four dense blocks.
                let (rk, rl) = (dofs.node_range(k).start, dofs.node_range(l).start);
                for a in 0..nf {
                    r[rk + a] += sc.val[a];
                    r[rl + a] -= sc.val[a];
                }
                if let Some(j) = jac.as_mut() {
                    j.add_block(rk, rk, nf, nf, &sc.dk, 1.0);
                    j.add_block(rk, rl, nf, nf, &sc.dl, 1.0);
                    j.add_block(rl, rk, nf, nf, &sc.dk, -1.0);
                    j.add_block(rl, rl, nf, nf, &sc.dl, -1.0);
                }
                continue;
            }
            for a in 0..nf {
                let blocks = [(k, &sc.dk[..]), (l, &sc.dl[..])];
                Self::scatter(dofs, rows, nf, k, a, 1.0, sc.val[a], blocks, 2, r, jac);
                Self::scatter(dofs, rows, nf, l, a, -1.0, sc.val[a], blocks, 2, r, jac);
            }
        }
    }

    /// Assemble `F(x)` into `r` (overwritten) and, if given, the Jacobian into `jac`
    /// (added to; the caller clears it).
    pub fn assemble(
        &mut self,
        terms: &Terms,
        x: &[f64],
        r: &mut [f64],
        mut jac: Option<&mut dyn MatrixSink>,
    ) {
        r.fill(0.0);
        let nf = self.nf;
        let want_d = jac.is_some();
        let mesh = &*self.mesh;
        let (dofs, rows) = (&self.dofs, &self.rows);
        // Faces: a residual alone (no Jacobian) on a large 2D/3D mesh on two threads, each
        // with its own scratch and its own copy of `r` for the second half of the faces.
        // Not on 1D chains (`banded`): there `fluxion bench --nodes 1e6` got no faster and
        // the copy of `r` cost 24 MB (session 7).
        if !terms.flux.is_empty() {
            let nfaces = mesh.faces();
            let ctx = (mesh, dofs, rows, nf);
            if jac.is_none() && nfaces >= PARALLEL_FACES && self.threads >= 2 && !self.banded {
                let half = nfaces / 2;
                let (sc, sc2, r2) = (&mut self.scratch, &mut self.scratch2, &mut self.r2);
                r2.resize(r.len(), 0.0);
                r2.fill(0.0);
                std::thread::scope(|scope| {
                    scope.spawn(|| {
                        Self::faces(ctx, sc2, terms.flux, half..nfaces, x, r2, &mut None)
                    });
                    Self::faces(ctx, sc, terms.flux, 0..half, x, r, &mut None);
                });
                for (a, b) in r.iter_mut().zip(r2.iter()) {
                    *a += b;
                }
            } else {
                Self::faces(
                    ctx,
                    &mut self.scratch,
                    terms.flux,
                    0..nfaces,
                    x,
                    r,
                    &mut jac,
                );
            }
        }
        // Volume terms and patch faces.
        let ctx = (dofs, rows, nf);
        if !terms.volume.is_empty() {
            for node in 0..mesh.nodes() {
                let sc = &mut self.scratch;
                let bufs = (&mut sc.uk[..], &mut sc.val[..], &mut sc.dk[..]);
                Self::node_term(ctx, bufs, node, x, want_d, r, &mut jac, |u, out| {
                    for t in terms.volume {
                        t.eval(node, u, out);
                    }
                });
            }
        }
        if !terms.boundary.is_empty() {
            for (i, pf) in mesh.patch_faces().iter().enumerate() {
                let node = pf.node as usize;
                let sc = &mut self.scratch;
                let bufs = (&mut sc.uk[..], &mut sc.val[..], &mut sc.dk[..]);
                Self::node_term(ctx, bufs, node, x, want_d, r, &mut jac, |u, out| {
                    for t in terms.boundary {
                        t.eval(i, u, out);
                    }
                });
            }
        }
        // Algebraic rows.
        if let Some(eq) = terms.equation {
            for node in 0..mesh.nodes() {
                if rows.is_identity(node) {
                    continue;
                }
                let mut gathered = false;
                for a in 0..nf {
                    if *rows.rule(node, a) != RowRule::Algebraic {
                        continue;
                    }
                    let Some(row) = dofs.dof(node, a) else {
                        continue;
                    };
                    if !gathered {
                        dofs.gather(node, x, &mut self.scratch.uk);
                        gathered = true;
                    }
                    self.drow.fill(0.0);
                    r[row] = eq.eval(node, a, &self.scratch.uk, &mut self.drow);
                    if let Some(j) = jac.as_mut() {
                        for (b, &v) in self.drow.iter().enumerate() {
                            if v != 0.0 {
                                if let Some(c) = dofs.dof(node, b) {
                                    j.add(row, c, v);
                                }
                            }
                        }
                    }
                }
            }
        }
    }
}

#[cfg(test)]
mod tests;
