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
    /// Whether the derivatives are wanted (a Jacobian assembly); without, a law may skip
    /// them (what it adds to `dk`, `dl` is then ignored).
    derivatives: bool,
}

impl<'a> FaceFlux<'a> {
    /// Face output over `fields` fields (`value`: `fields`, `dk`, `dl`: `fields^2` entries).
    pub fn new(fields: usize, value: &'a mut [f64], dk: &'a mut [f64], dl: &'a mut [f64]) -> Self {
        FaceFlux {
            fields,
            value,
            dk,
            dl,
            derivatives: true,
        }
    }
    /// The same output, with the derivatives wanted or not.
    pub fn with_derivatives(mut self, wanted: bool) -> Self {
        self.derivatives = wanted;
        self
    }
    /// Whether the assembly wants the derivatives (see the field); a law that skips them
    /// when not must add the same values either way.
    #[inline]
    pub fn derivatives(&self) -> bool {
        self.derivatives
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
pub trait VolumeTerm: Sync {
    /// `(equation field, state field)` couplings within the node.
    fn couplings(&self) -> Vec<(usize, usize)>;
    /// Add the term at `node` with state `u`.
    fn eval(&self, node: usize, u: &[f64], out: &mut Local);
}

/// The outward flow through a patch face (given flux, surface charge, electrode kinetics).
pub trait BoundaryTerm: Sync {
    /// `(equation field, state field)` couplings within the node.
    fn couplings(&self) -> Vec<(usize, usize)>;
    /// Add the outward flow through patch face `index` (of [`Mesh::patch_faces`]) whose
    /// node has state `u`.
    fn eval(&self, index: usize, u: &[f64], out: &mut Local);
}

/// The algebraic equations of rows with [`RowRule::Algebraic`].
pub trait NodeEquation: Sync {
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
    /// How a chain-like mesh splits for an assembly on two threads.
    split: Option<Split>,
}

/// A split of the nodes at `node` such that the faces `0..faces[0]` join nodes below it,
/// the faces `faces[1]..` nodes from it on, and only the few faces between join the two
/// halves (one on a 1D chain). The halves are assembled on two threads into the two row
/// ranges of [`MatrixSink::split_rows`], the faces between them afterwards.
#[derive(Clone, Debug, PartialEq)]
struct Split {
    node: usize,
    row: usize,
    faces: [usize; 2],
}

/// Faces from which a mesh that splits into two halves ([`Split`]) is assembled on two
/// threads. The split is made whatever the number of threads (one thread runs the halves
/// one after the other), so the result does not depend on it.
const SPLIT_FACES: usize = 50_000;

/// Most faces between the two halves of a [`Split`].
const SPLIT_MAX_BETWEEN: usize = 64;

/// The rows of `F` that a part of an assembly writes, from row `first` on.
struct Rows<'a> {
    r: &'a mut [f64],
    first: usize,
}

impl Rows<'_> {
    #[inline(always)]
    fn at(&mut self, row: usize) -> &mut f64 {
        &mut self.r[row - self.first]
    }
}

/// The state of both nodes, the flows and their derivatives of one face.
type FaceBuffers<'a> = (
    &'a mut [f64],
    &'a mut [f64],
    &'a mut [f64],
    &'a mut [f64],
    &'a mut [f64],
);

/// Faces per block of a blocked chain half ([`Assembler::half`]): their rows and states
/// (24 bytes per node for three fields, twice) stay in the L2 cache.
const CHAIN_BLOCK: usize = 2048;

/// Most patch faces of a chain assembled in blocks (each block scans them for its nodes).
const CHAIN_MAX_PATCH_FACES: usize = 16;

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
    /// Derivatives of one algebraic row.
    drow: Vec<f64>,
}

impl FaceScratch {
    fn new(nf: usize) -> Self {
        FaceScratch {
            uk: padded(nf),
            ul: padded(nf),
            val: padded(nf),
            dk: padded(nf * nf),
            dl: padded(nf * nf),
            drow: padded(nf),
        }
    }
}

/// `n` zeros in an allocation 128 bytes longer, so that the buffers of the two threads'
/// scratches never share a cache line (with the small buffers adjacent on the heap, the
/// two-thread Jacobian assembly of a 1D chain was slower per face than one thread's).
fn padded(n: usize) -> Vec<f64> {
    let mut v = Vec::with_capacity(n + 16);
    v.resize(n, 0.0);
    v
}

/// The [`Split`] of a mesh whose faces, in their order, first join nodes below the middle
/// node, then (at most [`SPLIT_MAX_BETWEEN`] of them) nodes on both sides, then nodes from
/// it on, as on a 1D chain; `None` for other meshes and below [`SPLIT_FACES`] faces.
fn chain_split(mesh: &Mesh, dofs: &DofMap) -> Option<Split> {
    let (nodes, faces) = (mesh.nodes(), mesh.faces());
    if faces < SPLIT_FACES {
        return None;
    }
    let node = nodes / 2;
    let side = |f: usize| {
        let [a, b] = mesh.face_nodes(f);
        match (a < node, b < node) {
            (true, true) => 0u8,
            (false, false) => 2,
            _ => 1,
        }
    };
    let first = (0..faces).find(|&f| side(f) != 0)?;
    let last = (first..faces).find(|&f| side(f) == 2)?;
    let ordered = (first..last).all(|f| side(f) == 1) && (last..faces).all(|f| side(f) == 2);
    (ordered && last - first <= SPLIT_MAX_BETWEEN).then(|| Split {
        node,
        row: dofs.node_range(node).start,
        faces: [first, last],
    })
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
            rows,
            couplings: [cf, cv, ce],
            pattern: OnceLock::new(),
            banded,
            nf,
            scratch: FaceScratch::new(nf),
            scratch2: FaceScratch::new(nf),
            r2: Vec::new(),
            threads: std::thread::available_parallelism().map_or(1, |t| t.get().min(2)),
            split: chain_split(&mesh, &dofs),
            mesh,
            dofs,
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
                for f in mesh.node_faces(node) {
                    let [p, q] = mesh.face_nodes(f);
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

    /// Which entries `(a, b)` of the block of a node's rows and a neighbour's columns may be
    /// nonzero (`a * nf + b`): those where a field whose balance feeds row `a` (by the row
    /// rules of any class) has a flux coupling to field `b`, as in the pattern.
    fn neighbour_coupling(&self) -> Vec<bool> {
        let nf = self.nf;
        let cf = &self.couplings[0];
        let mut mask = vec![false; nf * nf];
        let mut src = vec![false; nf];
        for class in self.rows.classes() {
            for (a, rule) in class.iter().enumerate() {
                src.fill(false);
                match rule {
                    RowRule::Balance => src[a] = true,
                    RowRule::Combination(parts) => {
                        for &(s, w) in parts {
                            if w != 0.0 {
                                src[s] = true;
                            }
                        }
                    }
                    RowRule::Algebraic => {}
                }
                for b in 0..nf {
                    if (0..nf).any(|s| src[s] && cf[s * nf + b]) {
                        mask[a * nf + b] = true;
                    }
                }
            }
        }
        mask
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
                    coupling: Some(self.neighbour_coupling()),
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
        r: &mut Rows,
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
            *r.at(row) += s * value;
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
    /// With `NF > 0` (a full [`DofMap`] of `NF` fields) the local buffers are on the stack
    /// with constant lengths, so the gather and the fills compile to a few moves instead of
    /// calls of `memcpy`/`memset` (8 % of a 1D residual at 1e6 nodes); `NF = 0`: any map,
    /// the scratch's buffers.
    #[allow(clippy::too_many_arguments)]
    #[inline]
    fn node_term<const NF: usize>(
        (dofs, rows, nf): (&DofMap, &RowRules, usize),
        sc: &mut FaceScratch,
        node: usize,
        x: &[f64],
        want_d: bool,
        r: &mut Rows,
        jac: &mut Option<&mut dyn MatrixSink>,
        eval: impl FnOnce(&[f64], &mut Local),
    ) {
        let (mut su, mut sv, mut sd) = ([0.0f64; NF], [0.0f64; NF], [[0.0f64; NF]; NF]);
        let (uk, val, dk): (&mut [f64], &mut [f64], &mut [f64]) = if NF > 0 {
            debug_assert!(dofs.is_full() && nf == NF);
            su.copy_from_slice(&x[node * NF..(node + 1) * NF]);
            (&mut su, &mut sv, sd.as_flattened_mut())
        } else {
            dofs.gather(node, x, &mut sc.uk);
            sc.val.fill(0.0);
            if want_d {
                sc.dk.fill(0.0);
            }
            (&mut sc.uk[..], &mut sc.val[..], &mut sc.dk[..])
        };
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
                *r.at(row + a) += val[a];
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
    /// if given, the Jacobian. Dispatches to [`Self::faces_of`] with the field count as a
    /// constant for full maps of 2 to 4 fields.
    #[allow(clippy::too_many_arguments)]
    fn faces(
        ctx: (&Mesh, &DofMap, &RowRules, usize),
        sc: &mut FaceScratch,
        flux: &[&dyn FluxLaw],
        faces: std::ops::Range<usize>,
        x: &[f64],
        r: &mut Rows,
        jac: &mut Option<&mut dyn MatrixSink>,
    ) {
        if flux.is_empty() {
            return;
        }
        match (ctx.1.is_full(), ctx.3) {
            (true, 2) => Self::faces_of::<2>(ctx, sc, flux, faces, x, r, jac),
            (true, 3) => Self::faces_of::<3>(ctx, sc, flux, faces, x, r, jac),
            (true, 4) => Self::faces_of::<4>(ctx, sc, flux, faces, x, r, jac),
            _ => Self::faces_of::<0>(ctx, sc, flux, faces, x, r, jac),
        }
    }

    /// [`Self::faces`] with the local buffers on the stack for `NF > 0` fields of a full
    /// [`DofMap`] (see [`Self::node_term`]), in the scratch for `NF = 0`.
    #[allow(clippy::too_many_arguments)]
    fn faces_of<const NF: usize>(
        (mesh, dofs, rows, nf): (&Mesh, &DofMap, &RowRules, usize),
        sc: &mut FaceScratch,
        flux: &[&dyn FluxLaw],
        faces: std::ops::Range<usize>,
        x: &[f64],
        r: &mut Rows,
        jac: &mut Option<&mut dyn MatrixSink>,
    ) {
        let want_d = jac.is_some();
        let full = dofs.is_full();
        let (mut su, mut sl) = ([0.0f64; NF], [0.0f64; NF]);
        let mut sv;
        let (mut sdk, mut sdl) = ([[0.0f64; NF]; NF], [[0.0f64; NF]; NF]);
        for f in faces {
            let [k, l] = mesh.face_nodes(f);
            let (uk, ul, val, dk, dl): FaceBuffers = if NF > 0 {
                debug_assert!(full && nf == NF);
                su.copy_from_slice(&x[k * NF..(k + 1) * NF]);
                sl.copy_from_slice(&x[l * NF..(l + 1) * NF]);
                sv = [0.0; NF];
                if want_d {
                    sdk = [[0.0; NF]; NF];
                    sdl = [[0.0; NF]; NF];
                }
                let (dk, dl) = (sdk.as_flattened_mut(), sdl.as_flattened_mut());
                (&mut su, &mut sl, &mut sv, dk, dl)
            } else {
                dofs.gather(k, x, &mut sc.uk);
                dofs.gather(l, x, &mut sc.ul);
                sc.val.fill(0.0);
                if want_d {
                    sc.dk.fill(0.0);
                    sc.dl.fill(0.0);
                }
                (&mut sc.uk, &mut sc.ul, &mut sc.val, &mut sc.dk, &mut sc.dl)
            };
            let mut out = FaceFlux {
                fields: nf,
                value: &mut *val,
                dk: &mut *dk,
                dl: &mut *dl,
                derivatives: want_d,
            };
            for law in flux {
                law.flux(f, [k, l], uk, ul, &mut out);
            }
            if full && rows.is_identity(k) && rows.is_identity(l) {
                // Both nodes carry every field as its own balance (all interior nodes):
                // `+J` into the rows of `K`, `-J` into those of `L`, four dense blocks.
                let (rk, rl) = (dofs.node_range(k).start, dofs.node_range(l).start);
                for a in 0..nf {
                    *r.at(rk + a) += val[a];
                    *r.at(rl + a) -= val[a];
                }
                if let Some(j) = jac.as_mut() {
                    j.add_block(rk, rk, nf, nf, dk, 1.0);
                    j.add_block(rk, rl, nf, nf, dl, 1.0);
                    j.add_block(rl, rk, nf, nf, dk, -1.0);
                    j.add_block(rl, rl, nf, nf, dl, -1.0);
                }
                continue;
            }
            for a in 0..nf {
                let blocks = [(k, &dk[..]), (l, &dl[..])];
                Self::scatter(dofs, rows, nf, k, a, 1.0, val[a], blocks, 2, r, jac);
                Self::scatter(dofs, rows, nf, l, a, -1.0, val[a], blocks, 2, r, jac);
            }
        }
    }

    /// The node-local part of an assembly for the nodes `nodes`: their volume terms, their
    /// patch faces and their algebraic rows (which overwrite the rows: call this after
    /// every face flux into these nodes' balances is in, or before those of faces that add
    /// only to balance rows).
    #[allow(clippy::too_many_arguments)]
    fn node_terms(
        ctx: (&Mesh, &DofMap, &RowRules, usize),
        sc: &mut FaceScratch,
        terms: &Terms,
        nodes: std::ops::Range<usize>,
        x: &[f64],
        r: &mut Rows,
        jac: &mut Option<&mut dyn MatrixSink>,
    ) {
        match (ctx.1.is_full(), ctx.3) {
            (true, 2) => Self::node_terms_of::<2>(ctx, sc, terms, nodes, x, r, jac),
            (true, 3) => Self::node_terms_of::<3>(ctx, sc, terms, nodes, x, r, jac),
            (true, 4) => Self::node_terms_of::<4>(ctx, sc, terms, nodes, x, r, jac),
            _ => Self::node_terms_of::<0>(ctx, sc, terms, nodes, x, r, jac),
        }
    }

    /// [`Self::node_terms`] with the local buffers of [`Self::node_term`] for `NF` fields.
    #[allow(clippy::too_many_arguments)]
    fn node_terms_of<const NF: usize>(
        (mesh, dofs, rows, nf): (&Mesh, &DofMap, &RowRules, usize),
        sc: &mut FaceScratch,
        terms: &Terms,
        nodes: std::ops::Range<usize>,
        x: &[f64],
        r: &mut Rows,
        jac: &mut Option<&mut dyn MatrixSink>,
    ) {
        let want_d = jac.is_some();
        let ctx = (dofs, rows, nf);
        if !terms.volume.is_empty() {
            for node in nodes.clone() {
                Self::node_term::<NF>(ctx, sc, node, x, want_d, r, jac, |u, out| {
                    for t in terms.volume {
                        t.eval(node, u, out);
                    }
                });
            }
        }
        if !terms.boundary.is_empty() {
            for (i, pf) in mesh.patch_faces().iter().enumerate() {
                let node = pf.node as usize;
                if !nodes.contains(&node) {
                    continue;
                }
                Self::node_term::<NF>(ctx, sc, node, x, want_d, r, jac, |u, out| {
                    for t in terms.boundary {
                        t.eval(i, u, out);
                    }
                });
            }
        }
        // Algebraic rows.
        let Some(eq) = terms.equation else {
            return;
        };
        for node in nodes {
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
                    dofs.gather(node, x, &mut sc.uk);
                    gathered = true;
                }
                sc.drow.fill(0.0);
                *r.at(row) = eq.eval(node, a, &sc.uk, &mut sc.drow);
                if let Some(j) = jac.as_mut() {
                    for (b, &v) in sc.drow.iter().enumerate() {
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

    /// One half of a [`Split`] assembly: zero its rows `r` (from row `first` on), add the
    /// fluxes of its faces, then its node terms.
    ///
    /// On a chain mesh ([`Mesh::is_chain`]: face `f` joins nodes `f` and `f + 1`) with few
    /// patch faces this runs in blocks of [`CHAIN_BLOCK`] faces: the rows of a block are
    /// zeroed, its fluxes added, then the node terms of the nodes whose faces in this half
    /// are all in (node `j` once face `j` is), while the block's rows and states are still
    /// in cache. Each node's terms come after all of its fluxes, as in one pass, so the
    /// result is the same bit for bit; at 1e6 nodes a separate node pass re-read 24 MB
    /// of rows and states from memory.
    #[allow(clippy::too_many_arguments)]
    fn half(
        ctx: (&Mesh, &DofMap, &RowRules, usize),
        sc: &mut FaceScratch,
        terms: &Terms,
        (faces, nodes): (std::ops::Range<usize>, std::ops::Range<usize>),
        x: &[f64],
        (r, first): (&mut [f64], usize),
        jac: Option<&mut (dyn MatrixSink + Send)>,
    ) {
        let (mesh, dofs) = (ctx.0, ctx.1);
        let mut jac = jac.map(|j| j as &mut dyn MatrixSink);
        let blocked = mesh.is_chain()
            && mesh.patch_faces().len() <= CHAIN_MAX_PATCH_FACES
            && faces.start >= nodes.start
            && faces.end < nodes.end;
        if !blocked {
            r.fill(0.0);
            let mut r = Rows { r, first };
            Self::faces(ctx, sc, terms.flux, faces, x, &mut r, &mut jac);
            Self::node_terms(ctx, sc, terms, nodes, x, &mut r, &mut jac);
            return;
        }
        let mut r = Rows { r, first };
        // Rows zeroed below node `zeroed`, node terms done below node `done`.
        let (mut zeroed, mut done) = (nodes.start, nodes.start);
        let mut f0 = faces.start;
        loop {
            let f1 = (f0 + CHAIN_BLOCK).min(faces.end);
            // The faces `f0..f1` join the nodes `f0..=f1` (inside `nodes`, see `blocked`).
            let z1 = if f1 == faces.end { nodes.end } else { f1 + 1 };
            if z1 > zeroed {
                let (a, b) = (dofs.node_range(zeroed).start, dofs.node_range(z1 - 1).end);
                r.r[a - first..b - first].fill(0.0);
                zeroed = z1;
            }
            Self::faces(ctx, sc, terms.flux, f0..f1, x, &mut r, &mut jac);
            let n1 = if f1 == faces.end { nodes.end } else { f1 };
            Self::node_terms(ctx, sc, terms, done..n1, x, &mut r, &mut jac);
            done = n1;
            if f1 == faces.end {
                return;
            }
            f0 = f1;
        }
    }

    /// Assemble `F(x)` into `r` (overwritten) and, if given, the Jacobian into `jac`
    /// (added to; the caller clears it).
    ///
    /// A long 1D chain (a chain-ordered mesh with at least 50k faces) is assembled in two
    /// halves on two threads when the Jacobian storage splits there too
    /// ([`MatrixSink::split_rows`]), the faces between the halves after them.
    pub fn assemble(
        &mut self,
        terms: &Terms,
        x: &[f64],
        r: &mut [f64],
        mut jac: Option<&mut dyn MatrixSink>,
    ) {
        let nf = self.nf;
        let mesh = &*self.mesh;
        let ctx = (mesh, &self.dofs, &self.rows, nf);
        if let Some(split) = &self.split {
            let (sc, sc2) = (&mut self.scratch, &mut self.scratch2);
            let (lo, hi) = r.split_at_mut(split.row);
            let [fa, fb] = split.faces;
            let (n0, n1) = (0..split.node, split.node..mesh.nodes());
            let done = match jac.as_mut() {
                None => {
                    rayon::join(
                        || Self::half(ctx, sc, terms, (0..fa, n0), x, (lo, 0), None),
                        || {
                            let part = (fb..mesh.faces(), n1);
                            Self::half(ctx, sc2, terms, part, x, (hi, split.row), None)
                        },
                    );
                    true
                }
                Some(j) => j.split_rows(split.row, &mut |ja, jb| {
                    rayon::join(
                        || {
                            let part = (0..fa, n0.clone());
                            Self::half(ctx, sc, terms, part, x, (lo, 0), Some(ja))
                        },
                        || {
                            let part = (fb..mesh.faces(), n1.clone());
                            Self::half(ctx, sc2, terms, part, x, (hi, split.row), Some(jb))
                        },
                    );
                }),
            };
            if done {
                // The faces between the halves add to balance rows only, which the
                // algebraic rows of the halves did not overwrite.
                let mut r = Rows { r, first: 0 };
                Self::faces(ctx, sc, terms.flux, fa..fb, x, &mut r, &mut jac);
                return;
            }
        }
        r.fill(0.0);
        // Faces: a residual alone (no Jacobian) on a large 2D/3D mesh on two threads, each
        // with its own scratch and its own copy of `r` for the second half of the faces.
        // Not on 1D chains (`banded`): there `fluxion bench --nodes 1e6` got no faster and
        // the copy of `r` cost 24 MB (session 7); those split instead (above).
        let nfaces = mesh.faces();
        if jac.is_none() && nfaces >= PARALLEL_FACES && self.threads >= 2 && !self.banded {
            let half = nfaces / 2;
            let (sc, sc2, r2) = (&mut self.scratch, &mut self.scratch2, &mut self.r2);
            r2.resize(r.len(), 0.0);
            r2.fill(0.0);
            std::thread::scope(|scope| {
                scope.spawn(|| {
                    let mut r2 = Rows { r: r2, first: 0 };
                    Self::faces(ctx, sc2, terms.flux, half..nfaces, x, &mut r2, &mut None)
                });
                let mut r = Rows { r, first: 0 };
                Self::faces(ctx, sc, terms.flux, 0..half, x, &mut r, &mut None);
            });
            for (a, b) in r.iter_mut().zip(r2.iter()) {
                *a += b;
            }
        } else {
            let mut r = Rows { r, first: 0 };
            Self::faces(
                ctx,
                &mut self.scratch,
                terms.flux,
                0..nfaces,
                x,
                &mut r,
                &mut jac,
            );
        }
        let mut r = Rows { r, first: 0 };
        let all = 0..mesh.nodes();
        Self::node_terms(ctx, &mut self.scratch, terms, all, x, &mut r, &mut jac);
    }
}

#[cfg(test)]
mod tests;
