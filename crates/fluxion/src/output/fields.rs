//! Node fields on a [`Mesh`] and what every field output (VTK, NPY, maps, line cuts) shares:
//! the named field with its unit, the error type, and the axes of a tensor-product mesh with
//! multilinear interpolation between its nodes.
//!
//! A field lives on the nodes of the mesh (the centres of the finite-volume boxes): one
//! value, or one vector `[x, y, z]`, per node, in the node order of the mesh. On a tensor
//! mesh of shape `[nx, ny, nz]` node `(i, j, k)` is number `i + nx (j + ny k)` (x fastest).
//! In axisymmetric meshes `(x, y)` are `(r, z)`.

use crate::mesh::{CoordinateSystem, Mesh, TriangleLocator};
use crate::output::plot::PlotError;

/// The values of a node field.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum FieldData<'a> {
    /// One value per node.
    Scalar(&'a [f64]),
    /// One vector `[x, y, z]` per node (in (r, z) meshes `[r, z, 0]`).
    Vector(&'a [[f64; 3]]),
}

/// A named node field with its unit.
///
/// `unit` is written as a reader would: `"V"`, `"V/m"`, `"mol/m^3"`, `"A/m^2"`, or empty for
/// a dimensionless field. Column and array names join both with the unit simplified
/// (`/` and spaces become `_`, `^` is dropped): `potential_V`, `field_V_m`, `c_K_mol_m3`,
/// the convention of the CSV tables of [`crate::output`].
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct NodeField<'a> {
    /// Quantity name (`potential`, `c_K`, `field`).
    pub name: &'a str,
    /// Unit (`V`, `mol/m^3`; empty if dimensionless).
    pub unit: &'a str,
    /// The values.
    pub data: FieldData<'a>,
}

impl<'a> NodeField<'a> {
    /// A scalar field.
    pub fn scalar(name: &'a str, unit: &'a str, values: &'a [f64]) -> Self {
        NodeField {
            name,
            unit,
            data: FieldData::Scalar(values),
        }
    }

    /// A vector field.
    pub fn vector(name: &'a str, unit: &'a str, values: &'a [[f64; 3]]) -> Self {
        NodeField {
            name,
            unit,
            data: FieldData::Vector(values),
        }
    }

    /// Number of nodes the field has values for.
    pub fn len(&self) -> usize {
        match self.data {
            FieldData::Scalar(v) => v.len(),
            FieldData::Vector(v) => v.len(),
        }
    }

    /// Whether the field has no values.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Column or array name with the unit: `potential_V`, `c_K_mol_m3`.
    pub fn column_name(&self) -> String {
        column_name(self.name, self.unit)
    }

    /// `name (unit)` for axis and colour-bar labels (`name` alone if dimensionless).
    pub fn label(&self) -> String {
        if self.unit.is_empty() {
            self.name.to_string()
        } else {
            format!("{} ({})", self.name, self.unit)
        }
    }

    /// Component `c` (0, 1, 2) of node `i`, or the value for a scalar field.
    pub(crate) fn component(&self, i: usize, c: usize) -> f64 {
        match self.data {
            FieldData::Scalar(v) => v[i],
            FieldData::Vector(v) => v[i][c],
        }
    }

    /// Number of components (1 or 3).
    pub(crate) fn components(&self) -> usize {
        match self.data {
            FieldData::Scalar(_) => 1,
            FieldData::Vector(_) => 3,
        }
    }

    /// Check that the field has one value per node of `mesh`.
    pub fn check(&self, mesh: &Mesh) -> Result<(), FieldOutputError> {
        if self.len() != mesh.nodes() {
            return Err(FieldOutputError::FieldLength {
                field: self.name.to_string(),
                len: self.len(),
                nodes: mesh.nodes(),
            });
        }
        Ok(())
    }
}

/// `name_unit` with the unit simplified (`mol/m^3` -> `mol_m3`).
pub(crate) fn column_name(name: &str, unit: &str) -> String {
    let unit: String = unit
        .chars()
        .filter(|c| *c != '^')
        .map(|c| if c == '/' || c == ' ' { '_' } else { c })
        .collect();
    if unit.is_empty() {
        name.to_string()
    } else {
        format!("{name}_{unit}")
    }
}

/// Why a field output could not be made.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum FieldOutputError {
    /// A field whose length is not the number of mesh nodes.
    #[error(
        "field `{field}` has {len} values but the mesh has {nodes} nodes; pass one value per node"
    )]
    FieldLength {
        /// Field name.
        field: String,
        /// Its number of values.
        len: usize,
        /// Nodes of the mesh.
        nodes: usize,
    },
    /// The output needs a tensor-product (structured) mesh.
    #[error("{what} needs a tensor-product (structured) mesh, but {reason}")]
    NotTensor {
        /// The output (`"a line cut"`, `"a map"`).
        what: &'static str,
        /// What is missing.
        reason: String,
    },
    /// The output needs another dimension.
    #[error("{what} needs a {needed}D mesh, but the mesh is {dim}D")]
    Dimension {
        /// The output.
        what: &'static str,
        /// Dimension of the mesh.
        dim: usize,
        /// Dimension needed.
        needed: usize,
    },
    /// A sample point outside the mesh.
    #[error(
        "point {index} of line `{line}` at ({:e}, {:e}, {:e}) m lies outside the mesh \
         (x in [{:e}, {:e}], y in [{:e}, {:e}], z in [{:e}, {:e}] m); move the line's end \
         points inside",
        point[0], point[1], point[2], bounds[0].0, bounds[0].1, bounds[1].0, bounds[1].1,
        bounds[2].0, bounds[2].1
    )]
    PointOutside {
        /// Line name.
        line: String,
        /// Index of the point along the line (0 is the start).
        index: usize,
        /// The point, m.
        point: [f64; 3],
        /// Extent of the mesh per axis, m.
        bounds: [(f64, f64); 3],
    },
    /// A bad option value.
    #[error("{what} = {value} is not allowed: {fix}")]
    BadOption {
        /// The option.
        what: &'static str,
        /// Its value, as given.
        value: String,
        /// What to do instead.
        fix: &'static str,
    },
    /// A field with no finite value to scale a colour map by.
    #[error("field `{field}` has no finite {which}value to scale the colours by")]
    NoFiniteValues {
        /// Field name.
        field: String,
        /// `""` or `"positive "` (log scale).
        which: &'static str,
    },
    /// Drawing failed.
    #[error(transparent)]
    Plot(#[from] PlotError),
}

/// The axes of a tensor-product mesh: node `(i, j, k)` sits at `(x[i], y[j], z[k])`.
#[derive(Clone, Debug, PartialEq)]
pub struct TensorAxes {
    /// Nodes per axis `[nx, ny, nz]`.
    pub shape: [usize; 3],
    /// Node coordinates along each axis, strictly increasing (one entry for a flat axis).
    pub axis: [Vec<f64>; 3],
    /// Spatial dimension of the mesh.
    pub dim: usize,
    /// Coordinate system.
    pub coordinates: CoordinateSystem,
    tol: f64,
}

/// Where a point falls on one axis: the lower node index and the weight of the upper node.
pub type AxisSpot = (usize, f64);

impl TensorAxes {
    /// The axes of `mesh`, checked: the mesh has a shape, every axis is strictly increasing,
    /// and every node sits at the tensor product of the axes (to 1e-10 of the extent).
    pub fn of(mesh: &Mesh, what: &'static str) -> Result<Self, FieldOutputError> {
        let shape = mesh.shape().ok_or_else(|| FieldOutputError::NotTensor {
            what,
            reason: "the mesh has no tensor shape".into(),
        })?;
        let [nx, ny, nz] = shape;
        let node = |i: usize, j: usize, k: usize| i + nx * (j + ny * k);
        let axis = [
            (0..nx).map(|i| mesh.position(node(i, 0, 0))[0]).collect(),
            (0..ny).map(|j| mesh.position(node(0, j, 0))[1]).collect(),
            (0..nz)
                .map(|k| mesh.position(node(0, 0, k))[2])
                .collect::<Vec<f64>>(),
        ];
        let mut extent: f64 = 0.0;
        for a in &axis {
            let (lo, hi) = (a[0], a[a.len() - 1]);
            extent = extent.max(hi - lo).max(lo.abs()).max(hi.abs());
            if let Some(w) = a
                .windows(2)
                .find(|w| w[1].partial_cmp(&w[0]) != Some(std::cmp::Ordering::Greater))
            {
                return Err(FieldOutputError::NotTensor {
                    what,
                    reason: format!(
                        "node coordinates {:e}, {:e} along an axis do not increase",
                        w[0], w[1]
                    ),
                });
            }
        }
        let tol = 1e-10 * extent.max(f64::MIN_POSITIVE);
        for k in 0..nz {
            for j in 0..ny {
                for i in 0..nx {
                    let p = mesh.position(node(i, j, k));
                    let q = [axis[0][i], axis[1][j], axis[2][k]];
                    if (0..3).any(|c| (p[c] - q[c]).abs() > tol) {
                        return Err(FieldOutputError::NotTensor {
                            what,
                            reason: format!(
                                "node ({i}, {j}, {k}) is at {p:?}, not at the axes' {q:?}"
                            ),
                        });
                    }
                }
            }
        }
        Ok(TensorAxes {
            shape,
            axis,
            dim: mesh.dim(),
            coordinates: mesh.coordinates(),
            tol,
        })
    }

    /// Node number of `(i, j, k)`.
    #[inline]
    pub fn node(&self, i: usize, j: usize, k: usize) -> usize {
        i + self.shape[0] * (j + self.shape[1] * k)
    }

    /// `(min, max)` of each axis.
    pub fn bounds(&self) -> [(f64, f64); 3] {
        std::array::from_fn(|c| (self.axis[c][0], self.axis[c][self.axis[c].len() - 1]))
    }

    /// Where `v` falls on axis `c`: `(i, t)` with `v = (1 - t) a[i] + t a[i + 1]`, or `None`
    /// outside the axis (beyond a rounding tolerance). A flat axis gives `(0, 0)` at its one
    /// coordinate.
    pub fn locate_axis(&self, c: usize, v: f64) -> Option<AxisSpot> {
        let a = &self.axis[c];
        let n = a.len();
        if v.is_nan() || v < a[0] - self.tol || v > a[n - 1] + self.tol {
            return None;
        }
        if n == 1 {
            return Some((0, 0.0));
        }
        // First node above v, in 1..n.
        let hi = a.partition_point(|x| *x <= v).clamp(1, n - 1);
        let i = hi - 1;
        let t = ((v - a[i]) / (a[i + 1] - a[i])).clamp(0.0, 1.0);
        Some((i, t))
    }

    /// Where `p` falls on all three axes, or `None` outside the mesh.
    pub fn locate(&self, p: [f64; 3]) -> Option<[AxisSpot; 3]> {
        Some([
            self.locate_axis(0, p[0])?,
            self.locate_axis(1, p[1])?,
            self.locate_axis(2, p[2])?,
        ])
    }

    /// Multilinear (linear, bilinear, trilinear) interpolation of node values `f` at a located
    /// point: exact for any field linear in each coordinate.
    pub fn interpolate(&self, at: &[AxisSpot; 3], f: impl Fn(usize) -> f64) -> f64 {
        let mut sum = 0.0;
        for dk in 0..2 {
            let wk = if dk == 0 { 1.0 - at[2].1 } else { at[2].1 };
            if wk == 0.0 {
                continue;
            }
            for dj in 0..2 {
                let wj = if dj == 0 { 1.0 - at[1].1 } else { at[1].1 };
                if wj == 0.0 {
                    continue;
                }
                for di in 0..2 {
                    let wi = if di == 0 { 1.0 - at[0].1 } else { at[0].1 };
                    if wi == 0.0 {
                        continue;
                    }
                    sum += wi * wj * wk * f(self.node(at[0].0 + di, at[1].0 + dj, at[2].0 + dk));
                }
            }
        }
        sum
    }
}

/// Interpolation weights at a point: up to 8 `(node, weight)` pairs (multilinear on a
/// tensor mesh, barycentric on a triangle), and the local node spacing there.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Stencil {
    len: usize,
    nodes: [usize; 8],
    weights: [f64; 8],
    /// The node spacing of the cell or triangle holding the point, m.
    pub spacing: f64,
}

impl Stencil {
    /// `sum_k w_k f(node_k)`.
    #[inline]
    pub fn apply(&self, f: impl Fn(usize) -> f64) -> f64 {
        (0..self.len)
            .map(|k| self.weights[k] * f(self.nodes[k]))
            .sum()
    }
}

/// Locates points on a mesh and interpolates node values there: multilinear on a
/// tensor-product mesh ([`TensorAxes`]), linear on the triangles of a Delaunay mesh
/// ([`TriangleLocator`]; 2D and `(r, z)`).
#[derive(Clone, Debug)]
pub enum PointSampler<'a> {
    /// A tensor-product mesh.
    Tensor(TensorAxes),
    /// The triangles of a Delaunay-Voronoi mesh.
    Triangles(&'a TriangleLocator),
}

impl<'a> PointSampler<'a> {
    /// The sampler of `mesh`: its triangles if given (they must index its nodes), else its
    /// tensor axes (refused, naming `what`, if the mesh is not a tensor product).
    pub fn new(
        mesh: &Mesh,
        triangles: Option<&'a TriangleLocator>,
        what: &'static str,
    ) -> Result<Self, FieldOutputError> {
        match triangles {
            Some(t) if t.nodes() == mesh.nodes() && mesh.dim() == 2 => {
                Ok(PointSampler::Triangles(t))
            }
            Some(t) => Err(FieldOutputError::NotTensor {
                what,
                reason: format!(
                    "the triangulation has {} nodes and the {}D mesh {}",
                    t.nodes(),
                    mesh.dim(),
                    mesh.nodes()
                ),
            }),
            None => Ok(PointSampler::Tensor(TensorAxes::of(mesh, what)?)),
        }
    }

    /// `(min, max)` of each coordinate (a flat third axis on triangles: `(0, 0)`).
    pub fn bounds(&self) -> [(f64, f64); 3] {
        match self {
            PointSampler::Tensor(a) => a.bounds(),
            PointSampler::Triangles(t) => {
                let b = t.bounds();
                [b[0], b[1], (0.0, 0.0)]
            }
        }
    }

    /// The interpolation weights at `p`, or `None` outside the mesh.
    pub fn locate(&self, p: [f64; 3]) -> Option<Stencil> {
        let mut s = Stencil {
            len: 0,
            nodes: [0; 8],
            weights: [0.0; 8],
            spacing: 0.0,
        };
        match self {
            PointSampler::Tensor(ax) => {
                let at = ax.locate(p)?;
                let mut h = f64::INFINITY;
                for (c, &(i, _)) in at.iter().enumerate().take(ax.dim) {
                    let a = &ax.axis[c];
                    if a.len() > 1 {
                        h = h.min(a[i + 1] - a[i]);
                    }
                }
                s.spacing = h;
                for dk in 0..2 {
                    let wk = if dk == 0 { 1.0 - at[2].1 } else { at[2].1 };
                    for dj in 0..2 {
                        let wj = if dj == 0 { 1.0 - at[1].1 } else { at[1].1 };
                        for di in 0..2 {
                            let wi = if di == 0 { 1.0 - at[0].1 } else { at[0].1 };
                            let w = wi * wj * wk;
                            if w != 0.0 {
                                s.nodes[s.len] = ax.node(at[0].0 + di, at[1].0 + dj, at[2].0 + dk);
                                s.weights[s.len] = w;
                                s.len += 1;
                            }
                        }
                    }
                }
                if s.len == 0 {
                    // All weights rounded to zero cannot happen for weights summing to 1.
                    return None;
                }
            }
            PointSampler::Triangles(t) => {
                let at = t.locate([p[0], p[1]])?;
                s.len = 3;
                s.nodes[..3].copy_from_slice(&at.nodes);
                s.weights[..3].copy_from_slice(&at.weights);
                s.spacing = t.size(at.triangle);
            }
        }
        Some(s)
    }
}

#[cfg(test)]
pub(crate) mod testing {
    //! A small tensor-mesh builder for the output tests (box volumes, one face per pair of
    //! neighbours, optional region per node).

    use crate::mesh::{CoordinateSystem, Mesh, MeshParts, Patch, PatchKind};

    /// A tensor mesh with the given axes (`z = [0]` and `y = [0]` for 2D and 1D), and the
    /// region of each node from `region(position)`.
    pub fn tensor_mesh(
        coordinates: CoordinateSystem,
        axes: [&[f64]; 3],
        regions: &[&str],
        region: impl Fn([f64; 3]) -> u16,
    ) -> Mesh {
        let shape = [axes[0].len(), axes[1].len(), axes[2].len()];
        let dim = 1 + (shape[1] > 1) as usize + (shape[2] > 1) as usize;
        let n = shape.iter().product::<usize>();
        let idx = |i: usize, j: usize, k: usize| (i + shape[0] * (j + shape[1] * k)) as u32;
        let mut node = Vec::with_capacity(n);
        let mut node_part = Vec::with_capacity(n);
        for k in 0..shape[2] {
            for j in 0..shape[1] {
                for i in 0..shape[0] {
                    let p = [axes[0][i], axes[1][j], axes[2][k]];
                    node.push(p);
                    node_part.push((region(p), 1.0));
                }
            }
        }
        let mut face_nodes = vec![];
        let mut face_distance = vec![];
        for k in 0..shape[2] {
            for j in 0..shape[1] {
                for i in 0..shape[0] {
                    if i + 1 < shape[0] {
                        face_nodes.push([idx(i, j, k), idx(i + 1, j, k)]);
                        face_distance.push(axes[0][i + 1] - axes[0][i]);
                    }
                    if j + 1 < shape[1] {
                        face_nodes.push([idx(i, j, k), idx(i, j + 1, k)]);
                        face_distance.push(axes[1][j + 1] - axes[1][j]);
                    }
                    if k + 1 < shape[2] {
                        face_nodes.push([idx(i, j, k), idx(i, j, k + 1)]);
                        face_distance.push(axes[2][k + 1] - axes[2][k]);
                    }
                }
            }
        }
        let nf = face_nodes.len();
        let parts = MeshParts {
            dim,
            node,
            regions: regions.iter().map(|s| s.to_string()).collect(),
            node_part_ptr: (0..=n as u32).collect(),
            node_part,
            face_nodes,
            face_distance,
            face_segment_ptr: (0..=nf as u32).collect(),
            segment_area: vec![1.0; nf],
            segment_part_ptr: (0..=nf as u32).collect(),
            segment_part: vec![(0, 1.0); nf],
            patches: vec![Patch {
                name: "boundary".into(),
                kind: PatchKind::Boundary,
            }],
            patch_faces: vec![],
            shape: Some(shape),
        };
        Mesh::new(coordinates, parts).expect("a valid test mesh")
    }

    /// `n` points from `a` to `b`, graded geometrically by `ratio` (1: uniform).
    pub fn axis(a: f64, b: f64, n: usize, ratio: f64) -> Vec<f64> {
        if n == 1 {
            return vec![a];
        }
        let w: Vec<f64> = (0..n - 1).map(|i| ratio.powi(i as i32)).collect();
        let total: f64 = w.iter().sum();
        let mut x = vec![a];
        let mut s = 0.0;
        for wi in &w[..n - 2] {
            s += wi;
            x.push(a + (b - a) * s / total);
        }
        x.push(b);
        x
    }
}

#[cfg(test)]
mod tests {
    use super::testing::*;
    use super::*;

    #[test]
    fn multilinear_interpolation_reproduces_trilinear_fields() {
        let (x, y, z) = (
            axis(0.0, 1.0, 5, 1.3),
            axis(-2.0, 1.0, 4, 0.7),
            axis(0.5, 0.9, 3, 1.0),
        );
        let m = tensor_mesh(CoordinateSystem::Cartesian, [&x, &y, &z], &["a"], |_| 0);
        let ax = TensorAxes::of(&m, "a test").unwrap();
        // f = 1 + 2x - 3y + 0.5z + xyz is trilinear: reproduced to rounding anywhere inside.
        let f = |p: [f64; 3]| 1.0 + 2.0 * p[0] - 3.0 * p[1] + 0.5 * p[2] + p[0] * p[1] * p[2];
        let vals: Vec<f64> = (0..m.nodes()).map(|i| f(m.position(i))).collect();
        for p in [
            [0.0, -2.0, 0.5],
            [1.0, 1.0, 0.9],
            [0.37, -0.2, 0.61],
            [0.99, 0.3, 0.5],
        ] {
            let at = ax.locate(p).unwrap();
            let v = ax.interpolate(&at, |i| vals[i]);
            assert!((v - f(p)).abs() < 1e-13, "{p:?}: {v} vs {}", f(p));
        }
        assert!(ax.locate([1.01, 0.0, 0.6]).is_none());
        assert!(ax.locate([0.5, 0.0, 0.4]).is_none());
        assert_eq!(ax.bounds()[1], (-2.0, 1.0));
    }

    #[test]
    fn a_mesh_that_is_not_a_tensor_product_is_refused() {
        let x = axis(0.0, 1.0, 3, 1.0);
        let mut p = tensor_mesh(CoordinateSystem::Cartesian, [&x, &x, &[0.0]], &["a"], |_| 0)
            .parts()
            .into_owned();
        p.node[4][0] += 0.1;
        let m = Mesh::new(CoordinateSystem::Cartesian, p).unwrap();
        let e = TensorAxes::of(&m, "a map").unwrap_err().to_string();
        assert!(
            e.contains("a map needs a tensor-product") && e.contains("(1, 1, 0)"),
            "{e}"
        );
    }

    #[test]
    fn column_names_carry_simplified_units() {
        assert_eq!(column_name("potential", "V"), "potential_V");
        assert_eq!(column_name("c_K", "mol/m^3"), "c_K_mol_m3");
        assert_eq!(column_name("flux", "mol m^-2 s^-1"), "flux_mol_m-2_s-1");
        assert_eq!(column_name("theta", ""), "theta");
    }
}
