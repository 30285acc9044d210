//! Degrees of freedom: which fields live on which nodes, and the row each equation uses.

use crate::mesh::Mesh;

/// Map from `(node, field)` to the index of the unknown. The fields of one node are
/// numbered consecutively in field order (interleaved), nodes in mesh order, so a 1D mesh
/// gives a block-tridiagonal Jacobian.
#[derive(Clone, Debug, PartialEq)]
pub struct DofMap {
    fields: usize,
    nodes: usize,
    /// First unknown of each node and the end (`nodes + 1` entries); empty when every node
    /// carries every field (`full`: the first unknown of node `i` is `i * fields`).
    first: Vec<u32>,
    /// The fields present on each node as bits; empty when `full`.
    mask: Vec<u64>,
    total: usize,
    full: bool,
}

/// Too many unknowns or fields for the index types.
#[derive(Clone, Debug, PartialEq, thiserror::Error)]
#[error("{0}")]
pub struct DofError(pub String);

impl DofMap {
    /// Every field on every node.
    pub fn full(nodes: usize, fields: usize) -> Result<Self, DofError> {
        Self::new(nodes, fields, |_, _| true)
    }

    /// The fields `present(node, field)` says live there.
    pub fn new(
        nodes: usize,
        fields: usize,
        present: impl Fn(usize, usize) -> bool,
    ) -> Result<Self, DofError> {
        if fields == 0 || fields > 64 {
            return Err(DofError(format!(
                "{fields} fields per node (1 to 64 supported)"
            )));
        }
        let mut first = Vec::with_capacity(nodes + 1);
        let mut mask = Vec::with_capacity(nodes);
        let mut total = 0usize;
        let mut full = true;
        for i in 0..nodes {
            first.push(total as u32);
            let mut m = 0u64;
            for a in 0..fields {
                if present(i, a) {
                    m |= 1 << a;
                }
            }
            full &= m.count_ones() as usize == fields;
            total += m.count_ones() as usize;
            mask.push(m);
            if total > u32::MAX as usize / 2 {
                return Err(DofError(format!("more than {} unknowns", u32::MAX / 2)));
            }
        }
        first.push(total as u32);
        if full {
            // Nothing per node: 12 bytes per node saved (12 MB at 1e6 nodes).
            (first, mask) = (Vec::new(), Vec::new());
        }
        Ok(DofMap {
            fields,
            nodes,
            first,
            mask,
            total,
            full,
        })
    }

    /// Number of fields.
    pub fn fields(&self) -> usize {
        self.fields
    }

    /// Number of nodes.
    pub fn nodes(&self) -> usize {
        self.nodes
    }

    /// Number of unknowns.
    pub fn len(&self) -> usize {
        self.total
    }

    /// Whether there are no unknowns.
    pub fn is_empty(&self) -> bool {
        self.total == 0
    }

    /// Whether every field lives on every node (then the unknowns of node `i` are
    /// `i * fields .. (i + 1) * fields`).
    #[inline]
    pub fn is_full(&self) -> bool {
        self.full
    }

    /// Whether `field` lives on `node`.
    #[inline]
    pub fn has(&self, node: usize, field: usize) -> bool {
        self.full || self.mask[node] >> field & 1 == 1
    }

    /// Index of the unknown of `field` at `node`, if that field lives there.
    #[inline]
    pub fn dof(&self, node: usize, field: usize) -> Option<usize> {
        if self.full {
            return Some(node * self.fields + field);
        }
        let m = self.mask[node];
        if m >> field & 1 == 0 {
            return None;
        }
        let below = (m & ((1u64 << field) - 1)).count_ones() as usize;
        Some(self.first[node] as usize + below)
    }

    /// Unknowns of `node`: `first..first + count`.
    pub fn node_range(&self, node: usize) -> std::ops::Range<usize> {
        if self.full {
            return node * self.fields..(node + 1) * self.fields;
        }
        self.first[node] as usize..self.first[node + 1] as usize
    }

    /// `(node, field)` of unknown `idx`.
    pub fn locate(&self, idx: usize) -> (usize, usize) {
        if self.full {
            return (idx / self.fields, idx % self.fields);
        }
        let node = self.first.partition_point(|&f| f as usize <= idx) - 1;
        let mut k = idx - self.first[node] as usize;
        for a in 0..self.fields {
            if self.has(node, a) {
                if k == 0 {
                    return (node, a);
                }
                k -= 1;
            }
        }
        unreachable!("index within the node range")
    }

    /// Gather the values of all fields of `node` from `x` into `u` (absent fields: 0).
    #[inline]
    pub fn gather(&self, node: usize, x: &[f64], u: &mut [f64]) {
        if self.full {
            let f = node * self.fields;
            u[..self.fields].copy_from_slice(&x[f..f + self.fields]);
            return;
        }
        let mut idx = self.first[node] as usize;
        let m = self.mask[node];
        for (a, ua) in u.iter_mut().enumerate().take(self.fields) {
            if m >> a & 1 == 1 {
                *ua = x[idx];
                idx += 1;
            } else {
                *ua = 0.0;
            }
        }
    }

    /// A check that the mesh has the node count of this map.
    pub fn matches(&self, mesh: &Mesh) -> bool {
        mesh.nodes() == self.nodes()
    }
}

/// The equation a `(node, field)` row carries.
#[derive(Clone, Debug, PartialEq)]
pub enum RowRule {
    /// The balance of the field: fluxes out, volume and boundary terms, storage.
    Balance,
    /// A weighted sum of the raw balances of fields of the same node (e.g. the charge
    /// balance `sum_k z_k (balance of k)` that replaces an equation at an electrode).
    Combination(Vec<(usize, f64)>),
    /// An algebraic equation supplied by the [`super::NodeEquation`] (Dirichlet values,
    /// electroneutrality, a gauge); the balance of the field is discarded.
    Algebraic,
}

/// Row rules by node class: most nodes share class 0 (every row a balance).
#[derive(Clone, Debug, PartialEq)]
pub struct RowRules {
    classes: Vec<Vec<RowRule>>,
    node_class: Vec<u16>,
    /// Per class and raw field: the `(target field, weight)` rows it feeds.
    targets: Vec<Vec<Vec<(usize, f64)>>>,
    identity: Vec<bool>,
}

impl RowRules {
    /// Every row of every node a balance.
    pub fn balances(nodes: usize, fields: usize) -> Self {
        Self::new(vec![vec![RowRule::Balance; fields]], vec![0; nodes])
    }

    /// Rules from classes (each a rule per field) and the class of every node.
    ///
    /// # Panics
    /// If a class has the wrong number of rules or a node names a missing class (a bug of
    /// the model, not of the input).
    pub fn new(classes: Vec<Vec<RowRule>>, node_class: Vec<u16>) -> Self {
        let fields = classes[0].len();
        let mut targets = Vec::with_capacity(classes.len());
        let mut identity = Vec::with_capacity(classes.len());
        for c in &classes {
            assert_eq!(c.len(), fields, "a rule per field");
            let mut t = vec![Vec::new(); fields];
            for (a, rule) in c.iter().enumerate() {
                match rule {
                    RowRule::Balance => t[a].push((a, 1.0)),
                    RowRule::Combination(parts) => {
                        for &(b, w) in parts {
                            if w != 0.0 {
                                t[b].push((a, w));
                            }
                        }
                    }
                    RowRule::Algebraic => {}
                }
            }
            identity.push(c.iter().all(|r| *r == RowRule::Balance));
            targets.push(t);
        }
        assert!(node_class.iter().all(|&c| (c as usize) < classes.len()));
        RowRules {
            classes,
            node_class,
            targets,
            identity,
        }
    }

    /// The rule of `(node, field)`.
    #[inline]
    pub fn rule(&self, node: usize, field: usize) -> &RowRule {
        &self.classes[self.node_class[node] as usize][field]
    }

    /// The classes: a rule per field each.
    pub fn classes(&self) -> &[Vec<RowRule>] {
        &self.classes
    }

    /// Whether every row of `node` is its own balance.
    #[inline]
    pub fn is_identity(&self, node: usize) -> bool {
        self.identity[self.node_class[node] as usize]
    }

    /// Rows fed by the raw balance of `field` at `node`.
    #[inline]
    pub fn targets(&self, node: usize, field: usize) -> &[(usize, f64)] {
        &self.targets[self.node_class[node] as usize][field]
    }
}
