//! Tensor-product (structured, non-uniform) box meshes: 2D Cartesian `(x, y)`, axisymmetric
//! `(r, z)`, 3D Cartesian `(x, y, z)` and the 1D channel of cross-section `A(x)`.
//!
//! The nodes are the tensor product of strictly increasing coordinate arrays, numbered
//! lexicographically with `x` (or `r`) fastest: node `(i, j, k)` is `i + nx (j + ny k)`.
//! Every node owns the vertex-centred box between the midpoints of its neighbouring
//! intervals (clipped at the domain boundary), exactly like [`Mesh::from_grid`] in 1D, so
//! Dirichlet values sit on the boundary and the faces between neighbours are perpendicular
//! to the edges that join them (the two-point flux is consistent).
//!
//! # Measures
//! With `m_{i+1/2} = (x_i + x_{i+1}) / 2` and a box `[a_0, b_0] x [a_1, b_1] (x [a_2, b_2])`:
//!
//! ```text
//! Cartesian 2D:  V = (b_0 - a_0)(b_1 - a_1)                 per metre of depth
//!                face normal to x: (b_1 - a_1);   normal to y: (b_0 - a_0)
//! Cartesian 3D:  V = (b_0 - a_0)(b_1 - a_1)(b_2 - a_2),  faces the products of the other two
//! (r, z):        V = pi (b_r^2 - a_r^2)(b_z - a_z)
//!                face normal to r at r_f: 2 pi r_f (b_z - a_z);  normal to z: pi (b_r^2 - a_r^2)
//! A(x) channel:  V = int_a^b A(x) dx (Simpson's rule),  face at m: A(m)
//! ```
//!
//! The volume of an `A(x)` box uses Simpson's rule, `(b - a)/6 (A(a) + 4 A((a+b)/2) + A(b))`:
//! it is exact for every cubic `A`, hence for a cone or any channel of circular section whose
//! radius is linear in `x` (`A = pi (r_0 + s x)^2`), and fourth-order otherwise, so the total
//! volume of a conical pore is exact to round-off.
//!
//! The axis `r = 0` may be the first `r` node: its box `[0, m_{1/2}]` is a full disk, the
//! face of the axis has zero area.
//!
//! # Patches
//! Boundary patches (kind [`PatchKind::Boundary`]), one patch face per boundary node with
//! the area of the node's part of that side (with the coordinate weight) and the outward unit
//! normal in mesh coordinates:
//!
//! - Cartesian: `xmin`, `xmax`, `ymin`, `ymax` (and `zmin`, `zmax` in 3D);
//! - axisymmetric: `axis` (when the first `r` node is `0`; its faces have zero area and are
//!   kept so that a scenario can name the patch and every side has one) or `rmin` (a hollow
//!   domain), then `rmax`, `zmin`, `zmax`; normals are stored as `(n_r, n_z, 0)`;
//! - `A(x)` channel: `left` and `right` (the names of [`Mesh::from_grid`]).
//!
//! # Regions
//! [`TensorGrid::mesh`] gives one region, `domain`. [`TensorGrid::mesh_with`] paints regions
//! through a [`RegionMap`] with a sub-cell treatment: every primal
//! element (the box between neighbouring nodes) is split into its `2^d` corner sub-boxes, one
//! per node; the volume of a sub-box is divided among regions by the fraction of it in each,
//! and each face segment (the part of a dual face inside one element) gets the regions and
//! length fractions of the edge between its two nodes, cut at the exact crossing points.
//!
//! Shapes and region maps are evaluated at *embedded* 3D points: Cartesian `(x, y, 0)` or
//! `(x, y, z)`, axisymmetric `(r, 0, z)` (so a sphere on the axis is `Sphere` centred at
//! `(0, 0, z_0)` and a cone along `z` is a cone along `z`), channels `(x, 0, 0)`.

use super::fv::{CoordinateSystem, Mesh, MeshError, MeshParts, Patch, PatchFace, PatchKind};
use super::regions::{interface_faces, Interface};
use std::f64::consts::PI;
use std::fmt;
use std::sync::Arc;

/// Upper bound on the memory a mesh may need before [`TensorGrid`] refuses to build it.
pub const MAX_MESH_BYTES: u64 = 32 << 30;

/// Rough bytes per node of a built mesh (positions, parts, faces, segments and the copies
/// [`Mesh::new`] keeps), used for the size check.
const BYTES_PER_NODE: [u64; 3] = [120, 200, 300];

/// Why a tensor mesh cannot be built.
#[derive(Clone, Debug, PartialEq, thiserror::Error)]
#[non_exhaustive]
pub enum StructuredError {
    /// Fewer than two nodes on an axis.
    #[error("axis {axis} has {n} node(s); a tensor mesh needs at least 2 per axis")]
    TooFewNodes {
        /// `"x"`, `"y"`, `"z"` or `"r"`.
        axis: &'static str,
        /// Number of nodes given.
        n: usize,
    },
    /// A coordinate is NaN or infinite.
    #[error("axis {axis}: node {index} = {value} is not finite")]
    NotFinite {
        /// The axis.
        axis: &'static str,
        /// Node index.
        index: usize,
        /// The value.
        value: f64,
    },
    /// Coordinates not strictly increasing.
    #[error(
        "axis {axis}: node {index} = {value} m is not above node {} = {previous} m; \
         node coordinates must be strictly increasing",
        index - 1
    )]
    NotIncreasing {
        /// The axis.
        axis: &'static str,
        /// Index of the offending node.
        index: usize,
        /// Its coordinate.
        value: f64,
        /// The coordinate of the node before it.
        previous: f64,
    },
    /// A negative radius in an axisymmetric mesh.
    #[error(
        "axis r: node {index} = {value} m is negative; radii must be >= 0 \
         (the axis r = 0 may be the first node)"
    )]
    NegativeRadius {
        /// Node index.
        index: usize,
        /// The radius.
        value: f64,
    },
    /// The cross-section of a channel is not positive and finite.
    #[error(
        "the cross-section A({x} m) = {value} m^2 must be positive and finite (near node {index})"
    )]
    BadArea {
        /// The nearest node.
        index: usize,
        /// Where `A` was evaluated.
        x: f64,
        /// The value returned.
        value: f64,
    },
    /// The mesh would need an absurd amount of memory.
    #[error(
        "a grid of {nx} x {ny} x {nz} nodes would need about {gib:.1} GiB \
         (limit {limit_gib} GiB); use fewer nodes"
    )]
    TooLarge {
        /// Nodes along x (or r).
        nx: usize,
        /// Nodes along y (or z).
        ny: usize,
        /// Nodes along z.
        nz: usize,
        /// Estimated size, GiB.
        gib: f64,
        /// The limit, GiB.
        limit_gib: u64,
    },
    /// Impossible graded-spacing parameters.
    #[error("graded spacing on [{a}, {b}]: {reason}")]
    BadSpacing {
        /// Start of the interval.
        a: f64,
        /// End of the interval.
        b: f64,
        /// What is wrong and how to fix it.
        reason: String,
    },
    /// A region map that does not fit the mesh (too many regions, an unknown label).
    #[error("regions: {0}")]
    Regions(String),
    /// The assembled parts were rejected by [`Mesh::new`] (a bug of this builder).
    #[error(transparent)]
    Mesh(#[from] MeshError),
}

/// `n` equally spaced nodes from `a` to `b` (both included).
///
/// ```
/// let x = fluxion::mesh::uniform_nodes(0.0, 1.0, 5);
/// assert_eq!(x, vec![0.0, 0.25, 0.5, 0.75, 1.0]);
/// ```
pub fn uniform_nodes(a: f64, b: f64, n: usize) -> Vec<f64> {
    if n < 2 {
        return vec![a; n];
    }
    let h = (b - a) / (n - 1) as f64;
    let mut x: Vec<f64> = (0..n).map(|i| a + h * i as f64).collect();
    x[n - 1] = b;
    x
}

/// Nodes on `[a, b]` refined towards the planes (or, per axis, points) `at`: the target
/// spacing is
///
/// ```text
/// h(x) = min(h_max, h_min + (growth - 1) dist(x, at))
/// ```
///
/// (each interval about `growth` times its neighbour nearer a refinement point: a geometric
/// grading), and every point of `at` inside `[a, b]` is itself a node (so an interface plane
/// lies on the grid). With `at` empty the spacing is uniform, close to `h_max`. Each piece
/// between consecutive break points gets `round(int dx / h)` intervals (at least one),
/// placed by equidistributing `int dx / h`.
///
/// ```
/// let x = fluxion::mesh::graded_nodes(0.0, 1.0, &[0.5], 1e-3, 0.05, 1.2).unwrap();
/// assert!(x.contains(&0.5));
/// let h_min = x.windows(2).map(|w| w[1] - w[0]).fold(1.0, f64::min);
/// assert!(h_min < 2e-3);
/// ```
pub fn graded_nodes(
    a: f64,
    b: f64,
    at: &[f64],
    h_min: f64,
    h_max: f64,
    growth: f64,
) -> Result<Vec<f64>, StructuredError> {
    let bad = |reason: String| Err(StructuredError::BadSpacing { a, b, reason });
    if !(a.is_finite() && b.is_finite() && b > a) {
        return bad("the interval must be finite with b > a".into());
    }
    if !(h_min > 0.0 && h_max >= h_min && h_max.is_finite()) {
        return bad(format!(
            "need 0 < h_min <= h_max, got h_min = {h_min}, h_max = {h_max}"
        ));
    }
    if !(growth > 1.0 && growth <= 10.0) {
        return bad(format!("growth must be in (1, 10], got {growth}"));
    }
    if (b - a) / h_min > 1e8 {
        return bad(format!(
            "{} intervals of h_min = {h_min}; raise h_min",
            (b - a) / h_min
        ));
    }
    let pts: Vec<f64> = at.iter().copied().filter(|p| p.is_finite()).collect();
    let h = |x: f64| {
        let d = pts
            .iter()
            .map(|p| (x - p).abs())
            .fold(f64::INFINITY, f64::min);
        if d.is_finite() {
            h_max.min(h_min + (growth - 1.0) * d)
        } else {
            h_max
        }
    };
    let mut breaks = vec![a, b];
    breaks.extend(pts.iter().copied().filter(|&p| p > a && p < b));
    breaks.sort_by(f64::total_cmp);
    breaks.dedup();
    let mut x = vec![a];
    let mut march: Vec<(f64, f64)> = Vec::new();
    for w in breaks.windows(2) {
        let (p, q) = (w[0], w[1]);
        // March with the local spacing, recording (x, number of intervals so far).
        march.clear();
        march.push((p, 0.0));
        let mut s = p;
        let mut k = 0.0;
        while s < q {
            let step = h(s).min(h(s + 0.5 * h(s)));
            if s + step >= q {
                k += (q - s) / step;
                s = q;
            } else {
                s += step;
                k += 1.0;
            }
            march.push((s, k));
        }
        let n = (k.round() as usize).max(1);
        // Equidistribute the interval count: node m sits at count m k / n.
        let mut seg = 0;
        for m in 1..n {
            let target = m as f64 * k / n as f64;
            while march[seg + 1].1 < target {
                seg += 1;
            }
            let (x0, k0) = march[seg];
            let (x1, k1) = march[seg + 1];
            x.push(x0 + (x1 - x0) * (target - k0) / (k1 - k0));
        }
        x.push(q);
    }
    Ok(x)
}

/// Regions painted on a mesh: a label for every point, and where along a segment the label
/// may change (the exact crossings of the region boundaries).
///
/// Points are embedded 3D points (see the module docs). Implemented by
/// [`super::Regions`] (shapes painted over a background, and 1D intervals) and
/// [`super::LabelMask`] (PNG / NPY masks).
pub trait RegionMap: Sync {
    /// Region names; labels index into this list.
    fn names(&self) -> &[String];
    /// The region at `p`.
    fn label(&self, p: [f64; 3]) -> u16;
    /// Push the parameters `t` in `(0, 1)` of the points `p0 + t (p1 - p0)` where the label
    /// may change (any order; extra points are harmless, missing ones are not).
    fn breaks(&self, p0: [f64; 3], p1: [f64; 3], out: &mut Vec<f64>);
    /// The label of the whole box `[lo, hi]` if it is certainly one region (`None` when it may
    /// hold several: the builder then resolves the box with exact crossings).
    fn uniform_label(&self, lo: [f64; 3], hi: [f64; 3]) -> Option<u16>;
    /// Named interface surfaces to attach as [`PatchKind::Interface`] patches (default none).
    fn interfaces(&self) -> &[Interface] {
        &[]
    }
    /// Sub-cell quadrature settings (default [`SubCell::default`]).
    fn sub_cell(&self) -> SubCell {
        SubCell::default()
    }
}

/// Quadrature settings of the sub-cell treatment.
#[derive(Clone, Copy, Debug, PartialEq)]
#[non_exhaustive]
pub struct SubCell {
    /// Fibres per transverse direction in a cut sub-box (volume fractions and the surface area
    /// of interfaces in 3D): the fraction is exact along each fibre (exact crossings) and the
    /// midpoint rule across them.
    pub fibres: usize,
    /// How a face segment crossed by an interface gets its region fractions.
    pub face_rule: FaceRule,
}

impl SubCell {
    /// These settings with `fibres` fibres per transverse direction (clamped to 1..=64).
    pub fn with_fibres(mut self, fibres: usize) -> Self {
        self.fibres = fibres.clamp(1, 64);
        self
    }

    /// These settings with another face rule.
    pub fn with_face_rule(mut self, face_rule: FaceRule) -> Self {
        self.face_rule = face_rule;
        self
    }
}

impl Default for SubCell {
    fn default() -> Self {
        SubCell {
            fibres: 8,
            face_rule: FaceRule::Edge,
        }
    }
}

/// The region fractions of a face segment cut by an interface.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum FaceRule {
    /// The fractions of the edge between the two nodes (exact crossing points); every
    /// segment of a face gets the same fractions (harmonic averaging along the edge).
    Edge,
    /// The fractions of the line parallel to the edge through the centre of the segment:
    /// segments on either side of an interface parallel to the edge see different regions
    /// (arithmetic across, harmonic along).
    Fibre,
    /// The region at the node a face segment's half-edge starts from (plain staircase, for
    /// comparison: what a cell-labelled mesh gives).
    Staircase,
}

/// The coordinate arrays of a tensor mesh and its coordinate system (see the module docs).
#[derive(Clone)]
pub struct TensorGrid {
    coordinates: CoordinateSystem,
    dim: usize,
    axes: [Vec<f64>; 3],
    area: Option<Arc<dyn Fn(f64) -> f64 + Send + Sync>>,
}

impl fmt::Debug for TensorGrid {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TensorGrid")
            .field("coordinates", &self.coordinates)
            .field("shape", &self.shape())
            .finish()
    }
}

fn check_axis(axis: &'static str, x: &[f64]) -> Result<(), StructuredError> {
    if x.len() < 2 {
        return Err(StructuredError::TooFewNodes { axis, n: x.len() });
    }
    for (i, &v) in x.iter().enumerate() {
        if !v.is_finite() {
            return Err(StructuredError::NotFinite {
                axis,
                index: i,
                value: v,
            });
        }
        if i > 0 && v <= x[i - 1] {
            return Err(StructuredError::NotIncreasing {
                axis,
                index: i,
                value: v,
                previous: x[i - 1],
            });
        }
    }
    Ok(())
}

impl TensorGrid {
    fn checked(
        coordinates: CoordinateSystem,
        names: &[&'static str],
        axes: &[&[f64]],
    ) -> Result<Self, StructuredError> {
        for (name, x) in names.iter().zip(axes) {
            check_axis(name, x)?;
        }
        let dim = axes.len();
        let mut shape = [1usize; 3];
        for (a, x) in axes.iter().enumerate() {
            shape[a] = x.len();
        }
        let nodes = shape.iter().map(|&n| n as u128).product::<u128>();
        let bytes = nodes * BYTES_PER_NODE[dim - 1] as u128;
        if bytes > MAX_MESH_BYTES as u128 || nodes > (u32::MAX / 2) as u128 {
            return Err(StructuredError::TooLarge {
                nx: shape[0],
                ny: shape[1],
                nz: shape[2],
                gib: bytes as f64 / (1u64 << 30) as f64,
                limit_gib: MAX_MESH_BYTES >> 30,
            });
        }
        let mut v: [Vec<f64>; 3] = [vec![0.0], vec![0.0], vec![0.0]];
        for (a, x) in axes.iter().enumerate() {
            v[a] = x.to_vec();
        }
        Ok(TensorGrid {
            coordinates,
            dim,
            axes: v,
            area: None,
        })
    }

    /// A 2D Cartesian grid (quantities per metre of depth) with nodes `x` and `y` (m).
    ///
    /// ```
    /// use fluxion::mesh::{uniform_nodes, TensorGrid};
    /// let g = TensorGrid::cartesian_2d(&uniform_nodes(0.0, 2.0, 5), &[0.0, 0.5, 1.0]).unwrap();
    /// let m = g.mesh().unwrap();
    /// assert_eq!(m.nodes(), 15);
    /// assert!((m.total_volume() - 2.0).abs() < 1e-15);
    /// ```
    pub fn cartesian_2d(x: &[f64], y: &[f64]) -> Result<Self, StructuredError> {
        Self::checked(CoordinateSystem::Cartesian, &["x", "y"], &[x, y])
    }

    /// A 3D Cartesian grid with nodes `x`, `y`, `z` (m).
    pub fn cartesian_3d(x: &[f64], y: &[f64], z: &[f64]) -> Result<Self, StructuredError> {
        Self::checked(CoordinateSystem::Cartesian, &["x", "y", "z"], &[x, y, z])
    }

    /// An axisymmetric `(r, z)` grid (stored as `(x, y) = (r, z)`); `r >= 0`, and the axis
    /// `r = 0` may be the first node.
    ///
    /// ```
    /// use fluxion::mesh::{uniform_nodes, TensorGrid};
    /// let g = TensorGrid::axisymmetric(&uniform_nodes(0.0, 1.0, 6), &[0.0, 2.0]).unwrap();
    /// let m = g.mesh().unwrap();
    /// let cylinder = std::f64::consts::PI * 2.0;
    /// assert!((m.total_volume() - cylinder).abs() < 1e-14);
    /// ```
    pub fn axisymmetric(r: &[f64], z: &[f64]) -> Result<Self, StructuredError> {
        if let Some((i, &v)) = r.iter().enumerate().find(|(_, &v)| v < 0.0) {
            return Err(StructuredError::NegativeRadius { index: i, value: v });
        }
        Self::checked(CoordinateSystem::Axisymmetric, &["r", "z"], &[r, z])
    }

    /// A 1D channel with nodes `x` (m) and cross-section `area(x)` (m^2), which must be
    /// positive and finite on `[x_0, x_{n-1}]` (checked at the nodes and the interval
    /// quarter points).
    ///
    /// ```
    /// use fluxion::mesh::{uniform_nodes, TensorGrid};
    /// use std::f64::consts::PI;
    /// // A cone of radius 1 + x on [0, 2]: volume pi/3 (3^3 - 1) exactly (Simpson's rule).
    /// let g = TensorGrid::area_profile(&uniform_nodes(0.0, 2.0, 4), |x| PI * (1.0 + x).powi(2))
    ///     .unwrap();
    /// let m = g.mesh().unwrap();
    /// assert!((m.total_volume() - PI / 3.0 * 26.0).abs() < 1e-13);
    /// ```
    pub fn area_profile(
        x: &[f64],
        area: impl Fn(f64) -> f64 + Send + Sync + 'static,
    ) -> Result<Self, StructuredError> {
        let mut g = Self::checked(CoordinateSystem::AreaProfile, &["x"], &[x])?;
        for (i, w) in x.windows(2).enumerate() {
            for s in [0.0, 0.25, 0.5, 0.75, 1.0] {
                let p = w[0] + s * (w[1] - w[0]);
                let a = area(p);
                if !(a > 0.0 && a.is_finite()) {
                    return Err(StructuredError::BadArea {
                        index: if s <= 0.5 { i } else { i + 1 },
                        x: p,
                        value: a,
                    });
                }
            }
        }
        g.area = Some(Arc::new(area));
        Ok(g)
    }

    /// Spatial dimension.
    pub fn dim(&self) -> usize {
        self.dim
    }

    /// Coordinate system of the meshes this grid builds.
    pub fn coordinates(&self) -> CoordinateSystem {
        self.coordinates
    }

    /// Nodes per axis, `1` for unused axes.
    pub fn shape(&self) -> [usize; 3] {
        [self.axes[0].len(), self.axes[1].len(), self.axes[2].len()]
    }

    /// Node coordinates of axis `a` (`[0.0]` for an unused axis).
    pub fn axis(&self, a: usize) -> &[f64] {
        &self.axes[a]
    }

    /// Number of node `(i, j, k)`: `i + nx (j + ny k)`.
    #[inline]
    pub fn node_index(&self, i: usize, j: usize, k: usize) -> usize {
        let [nx, ny, _] = self.shape();
        i + nx * (j + ny * k)
    }

    /// Mesh coordinates of a point as the embedded 3D point where shapes are evaluated.
    #[inline]
    pub fn embed(&self, p: [f64; 3]) -> [f64; 3] {
        match self.coordinates {
            CoordinateSystem::Axisymmetric => [p[0], 0.0, p[1]],
            _ => p,
        }
    }

    /// Measure along axis 0 of `[s, t]` (length, `pi (t^2 - s^2)` in `(r, z)`, or
    /// `int A` for a channel).
    #[inline]
    fn axial(&self, s: f64, t: f64) -> f64 {
        match self.coordinates {
            CoordinateSystem::Axisymmetric => PI * (t - s) * (t + s),
            CoordinateSystem::AreaProfile => {
                let a = self.area.as_ref().expect("channel has an area");
                (t - s) / 6.0 * (a(s) + 4.0 * a(0.5 * (s + t)) + a(t))
            }
            _ => t - s,
        }
    }

    /// Transverse measure (the product of the widths of the used axes `1..dim`).
    #[inline]
    fn transverse(&self, lo: &[f64; 3], hi: &[f64; 3]) -> f64 {
        (1..self.dim).map(|b| hi[b] - lo[b]).product()
    }

    /// Weighted volume of the box `[lo, hi]` (mesh coordinates).
    #[inline]
    pub fn box_volume(&self, lo: [f64; 3], hi: [f64; 3]) -> f64 {
        self.axial(lo[0], hi[0]) * self.transverse(&lo, &hi)
    }

    /// Weighted area of the rectangle normal to axis `a` at coordinate `at`, spanning
    /// `[lo, hi]` in the other axes.
    #[inline]
    pub fn face_area(&self, a: usize, at: f64, lo: [f64; 3], hi: [f64; 3]) -> f64 {
        match self.coordinates {
            CoordinateSystem::AreaProfile => (self.area.as_ref().expect("channel has an area"))(at),
            CoordinateSystem::Axisymmetric => {
                if a == 0 {
                    2.0 * PI * at * (hi[1] - lo[1])
                } else {
                    PI * (hi[0] - lo[0]) * (hi[0] + lo[0])
                }
            }
            _ => (0..self.dim)
                .filter(|&b| b != a)
                .map(|b| hi[b] - lo[b])
                .product(),
        }
    }

    /// Names of the boundary patches, in patch order (two per axis: min then max).
    pub fn patch_names(&self) -> Vec<&'static str> {
        match self.coordinates {
            CoordinateSystem::AreaProfile => vec!["left", "right"],
            CoordinateSystem::Axisymmetric => {
                let first = if self.axes[0][0] == 0.0 {
                    "axis"
                } else {
                    "rmin"
                };
                vec![first, "rmax", "zmin", "zmax"]
            }
            _ => ["xmin", "xmax", "ymin", "ymax", "zmin", "zmax"][..2 * self.dim].to_vec(),
        }
    }

    /// The mesh with one region, `domain`.
    pub fn mesh(&self) -> Result<Mesh, StructuredError> {
        self.mesh_with(&Single(vec!["domain".into()]))
    }

    /// The mesh with the regions (and interface patches) of `map`, resolved with the
    /// sub-cell treatment of the module docs.
    pub fn mesh_with(&self, map: &dyn RegionMap) -> Result<Mesh, StructuredError> {
        self.build(map)
    }

    /// Range of the dual box of node index `i` on axis `a`: `[m_{i-1/2}, m_{i+1/2}]` clipped.
    #[inline]
    pub(crate) fn dual(&self, a: usize, i: usize) -> (f64, f64) {
        let x = &self.axes[a];
        if x.len() == 1 {
            return (0.0, 0.0);
        }
        let lo = if i == 0 {
            x[0]
        } else {
            0.5 * (x[i - 1] + x[i])
        };
        let hi = if i + 1 == x.len() {
            x[i]
        } else {
            0.5 * (x[i] + x[i + 1])
        };
        (lo, hi)
    }

    /// Patches and their faces (boundary patches only).
    pub(crate) fn boundary_patches(&self) -> (Vec<Patch>, Vec<PatchFace>) {
        let names = self.patch_names();
        let patches = names
            .iter()
            .map(|n| Patch {
                name: (*n).to_string(),
                kind: PatchKind::Boundary,
            })
            .collect();
        let shape = self.shape();
        let mut faces = Vec::new();
        for a in 0..self.dim {
            for side in 0..2 {
                let ia = if side == 0 { 0 } else { shape[a] - 1 };
                let mut normal = [0.0; 3];
                normal[a] = if side == 0 { -1.0 } else { 1.0 };
                let patch = (2 * a + side) as u16;
                let at = self.axes[a][ia];
                let mut range = shape.map(|n| 0..n);
                range[a] = ia..ia + 1;
                for k in range[2].clone() {
                    for j in range[1].clone() {
                        for i in range[0].clone() {
                            let idx = [i, j, k];
                            let mut lo = [0.0; 3];
                            let mut hi = [0.0; 3];
                            for b in 0..3 {
                                (lo[b], hi[b]) = self.dual(b, idx[b]);
                            }
                            faces.push(PatchFace {
                                node: self.node_index(i, j, k) as u32,
                                patch,
                                area: self.face_area(a, at, lo, hi),
                                normal,
                            });
                        }
                    }
                }
            }
        }
        (patches, faces)
    }

    /// Assemble a mesh from parts with this grid's positions, shape and coordinates.
    pub(crate) fn finish(&self, mut parts: MeshParts) -> Result<Mesh, StructuredError> {
        let [nx, ny, nz] = self.shape();
        parts.dim = self.dim;
        parts.shape = Some([nx, ny, nz]);
        parts.node = Vec::with_capacity(nx * ny * nz);
        for k in 0..nz {
            for j in 0..ny {
                for i in 0..nx {
                    parts
                        .node
                        .push([self.axes[0][i], self.axes[1][j], self.axes[2][k]]);
                }
            }
        }
        Ok(Mesh::new(self.coordinates, parts)?)
    }
}

/// Marks an element that may hold several regions.
const CUT: u16 = u16::MAX;

/// Range of axis `a` of element `e` (unused axes: `(0, 0)`).
#[inline]
fn elem_range(x: &[f64], e: usize) -> (f64, f64) {
    if x.len() == 1 {
        (0.0, 0.0)
    } else {
        (x[e], x[e + 1])
    }
}

/// Range of the corner sub-box of node index `i` inside element `e` on one axis.
#[inline]
fn sub_range(x: &[f64], e: usize, i: usize) -> (f64, f64) {
    if x.len() == 1 {
        (0.0, 0.0)
    } else if i == e {
        (x[e], 0.5 * (x[e] + x[e + 1]))
    } else {
        (0.5 * (x[e] + x[e + 1]), x[e + 1])
    }
}

/// Element indices adjacent to node index `i` on an axis of `n` nodes.
#[inline]
fn adjacent(n: usize, i: usize) -> ([usize; 2], usize) {
    if n == 1 || i == 0 {
        ([0, 0], 1)
    } else if i + 1 == n {
        ([i - 1, 0], 1)
    } else {
        ([i - 1, i], 2)
    }
}

/// Add `(r, v)` to a small list of parts, merging equal regions.
#[inline]
fn add_part(parts: &mut Vec<(u16, f64)>, r: u16, v: f64) {
    match parts.iter_mut().find(|p| p.0 == r) {
        Some(p) => p.1 += v,
        None => parts.push((r, v)),
    }
}

/// Scratch buffers of the builder.
#[derive(Default)]
struct Scratch {
    breaks: Vec<f64>,
    parts: Vec<(u16, f64)>,
}

impl TensorGrid {
    /// Add to `out` the `(region, weight)` pieces of the segment `p0 -> p1` (mesh
    /// coordinates), cut at the exact crossings, with `weight(s, t)` the measure of the piece
    /// between parameters `s < t`.
    fn line_parts(
        &self,
        map: &dyn RegionMap,
        p0: [f64; 3],
        p1: [f64; 3],
        breaks: &mut Vec<f64>,
        out: &mut Vec<(u16, f64)>,
        weight: impl Fn(f64, f64) -> f64,
    ) {
        breaks.clear();
        map.breaks(self.embed(p0), self.embed(p1), breaks);
        breaks.retain(|t| *t > 0.0 && *t < 1.0);
        breaks.push(0.0);
        breaks.push(1.0);
        breaks.sort_by(f64::total_cmp);
        for w in breaks.windows(2) {
            let (s, t) = (w[0], w[1]);
            if t <= s {
                continue;
            }
            let m = 0.5 * (s + t);
            let p = [
                p0[0] + m * (p1[0] - p0[0]),
                p0[1] + m * (p1[1] - p0[1]),
                p0[2] + m * (p1[2] - p0[2]),
            ];
            add_part(out, map.label(self.embed(p)), weight(s, t));
        }
    }

    /// Region volumes of a cut sub-box `[lo, hi]`: fibres along axis 0 at the midpoints of a
    /// `q^(d-1)` subdivision of the transverse axes, exact along each fibre.
    fn box_parts(
        &self,
        map: &dyn RegionMap,
        lo: [f64; 3],
        hi: [f64; 3],
        q: usize,
        sc: &mut Scratch,
        out: &mut Vec<(u16, f64)>,
    ) {
        let q1 = if self.dim >= 2 { q } else { 1 };
        let q2 = if self.dim >= 3 { q } else { 1 };
        let w = self.transverse(&lo, &hi) / (q1 * q2) as f64;
        let (a, b) = (lo[0], hi[0]);
        for k in 0..q2 {
            for j in 0..q1 {
                let mut p0 = lo;
                for (c, n, idx) in [(1, q1, j), (2, q2, k)] {
                    if c < self.dim {
                        p0[c] = lo[c] + (hi[c] - lo[c]) * (idx as f64 + 0.5) / n as f64;
                    }
                }
                let mut p1 = p0;
                p1[0] = b;
                p0[0] = a;
                self.line_parts(map, p0, p1, &mut sc.breaks, out, |s, t| {
                    w * self.axial(a + s * (b - a), a + t * (b - a))
                });
            }
        }
    }

    /// Build the mesh (see [`TensorGrid::mesh_with`]).
    fn build(&self, map: &dyn RegionMap) -> Result<Mesh, StructuredError> {
        let nr = map.names().len();
        if nr == 0 || nr >= CUT as usize {
            return Err(StructuredError::Regions(format!(
                "{nr} regions; give between 1 and {} region names",
                CUT - 1
            )));
        }
        let opts = map.sub_cell();
        let q = opts.fibres.clamp(1, 64);
        let shape = self.shape();
        let [nx, ny, nz] = shape;
        let ne = shape.map(|n| n.saturating_sub(1).max(1));
        let ax = &self.axes;
        let staircase = opts.face_rule == FaceRule::Staircase;

        // 1. Which elements hold one region.
        let mut elem = vec![CUT; ne[0] * ne[1] * ne[2]];
        if !staircase {
            for e2 in 0..ne[2] {
                let r2 = elem_range(&ax[2], e2);
                for e1 in 0..ne[1] {
                    let r1 = elem_range(&ax[1], e1);
                    for e0 in 0..ne[0] {
                        let r0 = elem_range(&ax[0], e0);
                        let lo = self.embed([r0.0, r1.0, r2.0]);
                        let hi = self.embed([r0.1, r1.1, r2.1]);
                        if let Some(l) = map.uniform_label(lo, hi) {
                            elem[e0 + ne[0] * (e1 + ne[1] * e2)] = l;
                        }
                    }
                }
            }
        }
        let eidx = |e: [usize; 3]| e[0] + ne[0] * (e[1] + ne[1] * e[2]);
        let pos = |i: [usize; 3]| [ax[0][i[0]], ax[1][i[1]], ax[2][i[2]]];

        // 2. Node volumes, split into regions.
        let n = nx * ny * nz;
        let mut sc = Scratch::default();
        let mut node_part_ptr = Vec::with_capacity(n + 1);
        let mut node_part = Vec::with_capacity(n + n / 8);
        node_part_ptr.push(0u32);
        let mut acc: Vec<(u16, f64)> = Vec::new();
        for k in 0..nz {
            let (ek, ck) = adjacent(nz, k);
            for j in 0..ny {
                let (ej, cj) = adjacent(ny, j);
                for i in 0..nx {
                    let (ei, ci) = adjacent(nx, i);
                    acc.clear();
                    // Fast path: every adjacent element holds the same single region.
                    if !staircase {
                        let l = elem[eidx([ei[0], ej[0], ek[0]])];
                        let mut same = l != CUT;
                        for &e2 in &ek[..ck] {
                            for &e1 in &ej[..cj] {
                                for &e0 in &ei[..ci] {
                                    same &= elem[eidx([e0, e1, e2])] == l;
                                }
                            }
                        }
                        if same {
                            let (r0, r1, r2) = (self.dual(0, i), self.dual(1, j), self.dual(2, k));
                            let v = self.box_volume([r0.0, r1.0, r2.0], [r0.1, r1.1, r2.1]);
                            node_part.push((l, v));
                            node_part_ptr.push(node_part.len() as u32);
                            continue;
                        }
                    }
                    let own = if staircase {
                        map.label(self.embed(pos([i, j, k])))
                    } else {
                        CUT
                    };
                    for &e2 in &ek[..ck] {
                        let r2 = sub_range(&ax[2], e2, k);
                        for &e1 in &ej[..cj] {
                            let r1 = sub_range(&ax[1], e1, j);
                            for &e0 in &ei[..ci] {
                                let r0 = sub_range(&ax[0], e0, i);
                                let lo = [r0.0, r1.0, r2.0];
                                let hi = [r0.1, r1.1, r2.1];
                                let l = if staircase {
                                    own
                                } else {
                                    elem[eidx([e0, e1, e2])]
                                };
                                if l != CUT {
                                    add_part(&mut acc, l, self.box_volume(lo, hi));
                                } else {
                                    let mut out = std::mem::take(&mut sc.parts);
                                    out.clear();
                                    self.box_parts(map, lo, hi, q, &mut sc, &mut out);
                                    for &(r, v) in &out {
                                        add_part(&mut acc, r, v);
                                    }
                                    sc.parts = out;
                                }
                            }
                        }
                    }
                    acc.sort_by_key(|p| p.0);
                    node_part.extend(acc.iter().filter(|p| p.1 > 0.0 || acc.len() == 1));
                    node_part_ptr.push(node_part.len() as u32);
                }
            }
        }

        // 3. Faces along each axis, with one segment per adjacent element (merged when the
        //    parts agree).
        let nf: usize = (0..self.dim)
            .map(|a| {
                let mut s = shape;
                s[a] -= 1;
                s.iter().product::<usize>()
            })
            .sum();
        let mut face_nodes = Vec::with_capacity(nf);
        let mut face_distance = Vec::with_capacity(nf);
        let mut face_segment_ptr = Vec::with_capacity(nf + 1);
        let mut segment_area = Vec::with_capacity(nf);
        let mut segment_part_ptr = Vec::with_capacity(nf + 1);
        let mut segment_part: Vec<(u16, f64)> = Vec::with_capacity(nf);
        face_segment_ptr.push(0u32);
        segment_part_ptr.push(0u32);
        let stride = [1, nx, nx * ny];
        let mut seg: Vec<(u16, f64)> = Vec::new();
        for a in 0..self.dim {
            for k in 0..nz {
                for j in 0..ny {
                    for i in 0..nx {
                        let idx = [i, j, k];
                        if idx[a] + 1 >= shape[a] {
                            continue;
                        }
                        let node = self.node_index(i, j, k);
                        let x = &ax[a];
                        let d = x[idx[a] + 1] - x[idx[a]];
                        let mid = 0.5 * (x[idx[a] + 1] + x[idx[a]]);
                        face_nodes.push([node as u32, (node + stride[a]) as u32]);
                        face_distance.push(d);
                        let first_segment = segment_area.len();
                        // Adjacent elements in the other axes.
                        let mut cand = [([0usize; 2], 1usize); 3];
                        for b in 0..3 {
                            cand[b] = if b == a {
                                ([idx[a], 0], 1)
                            } else {
                                adjacent(shape[b], idx[b])
                            };
                        }
                        // Fast path: one region in every adjacent element.
                        let l = elem[eidx([cand[0].0[0], cand[1].0[0], cand[2].0[0]])];
                        let mut same = l != CUT;
                        for &e2 in &cand[2].0[..cand[2].1] {
                            for &e1 in &cand[1].0[..cand[1].1] {
                                for &e0 in &cand[0].0[..cand[0].1] {
                                    same &= elem[eidx([e0, e1, e2])] == l;
                                }
                            }
                        }
                        if same {
                            let mut lo = [0.0; 3];
                            let mut hi = [0.0; 3];
                            for b in 0..3 {
                                if b != a {
                                    (lo[b], hi[b]) = self.dual(b, idx[b]);
                                }
                            }
                            segment_area.push(self.face_area(a, mid, lo, hi));
                            segment_part.push((l, 1.0));
                            segment_part_ptr.push(segment_part.len() as u32);
                            face_segment_ptr.push(segment_area.len() as u32);
                            continue;
                        }
                        for &e2 in &cand[2].0[..cand[2].1] {
                            for &e1 in &cand[1].0[..cand[1].1] {
                                for &e0 in &cand[0].0[..cand[0].1] {
                                    let e = [e0, e1, e2];
                                    let mut lo = [0.0; 3];
                                    let mut hi = [0.0; 3];
                                    for b in 0..3 {
                                        if b != a {
                                            (lo[b], hi[b]) = sub_range(&ax[b], e[b], idx[b]);
                                        }
                                    }
                                    let area = self.face_area(a, mid, lo, hi);
                                    seg.clear();
                                    let l = elem[eidx(e)];
                                    if l != CUT {
                                        seg.push((l, 1.0));
                                    } else {
                                        let p0 = pos(idx);
                                        let mut p1 = p0;
                                        p1[a] = x[idx[a] + 1];
                                        match opts.face_rule {
                                            FaceRule::Staircase => {
                                                add_part(&mut seg, map.label(self.embed(p0)), 0.5);
                                                add_part(&mut seg, map.label(self.embed(p1)), 0.5);
                                            }
                                            rule => {
                                                let (mut f0, mut f1) = (p0, p1);
                                                if rule == FaceRule::Fibre {
                                                    for b in 0..self.dim {
                                                        if b != a {
                                                            f0[b] = 0.5 * (lo[b] + hi[b]);
                                                            f1[b] = f0[b];
                                                        }
                                                    }
                                                }
                                                self.line_parts(
                                                    map,
                                                    f0,
                                                    f1,
                                                    &mut sc.breaks,
                                                    &mut seg,
                                                    |s, t| t - s,
                                                );
                                            }
                                        }
                                        seg.sort_by_key(|p| p.0);
                                        seg.retain(|p| p.1 > 0.0);
                                    }
                                    // Merge with the previous segment of this face if equal.
                                    let last = segment_area.len();
                                    if last > first_segment {
                                        let p0 = segment_part_ptr[last - 1] as usize;
                                        if segment_part[p0..] == seg[..] {
                                            segment_area[last - 1] += area;
                                            continue;
                                        }
                                    }
                                    segment_area.push(area);
                                    segment_part.extend_from_slice(&seg);
                                    segment_part_ptr.push(segment_part.len() as u32);
                                }
                            }
                        }
                        face_segment_ptr.push(segment_area.len() as u32);
                    }
                }
            }
        }
        let (mut patches, mut patch_faces) = self.boundary_patches();
        for iface in map.interfaces() {
            let patch = patches.len() as u16;
            patches.push(Patch {
                name: iface.name.clone(),
                kind: PatchKind::Interface,
            });
            patch_faces.extend(interface_faces(self, iface, patch, q));
        }
        if let Some(&(r, _)) = node_part
            .iter()
            .chain(segment_part.iter())
            .find(|p| p.0 as usize >= nr)
        {
            return Err(StructuredError::Regions(format!(
                "the region map returned label {r} but names only {nr} regions"
            )));
        }
        let parts = MeshParts {
            regions: map.names().to_vec(),
            node_part_ptr,
            node_part,
            face_nodes,
            face_distance,
            face_segment_ptr,
            segment_area,
            segment_part_ptr,
            segment_part,
            patches,
            patch_faces,
            ..Default::default()
        };
        self.finish(parts)
    }
}

/// One region everywhere.
struct Single(Vec<String>);

impl RegionMap for Single {
    fn names(&self) -> &[String] {
        &self.0
    }
    fn label(&self, _: [f64; 3]) -> u16 {
        0
    }
    fn breaks(&self, _: [f64; 3], _: [f64; 3], _: &mut Vec<f64>) {}
    fn uniform_label(&self, _: [f64; 3], _: [f64; 3]) -> Option<u16> {
        Some(0)
    }
}

/// A small linear Poisson solver for the exactness and order tests of the mesh builders:
/// `div(k grad u) + f = 0` with `k` and `f` per region, surface sources `sigma` on
/// interface patches and Dirichlet data on boundary patches (natural, zero-flux, elsewhere).
#[cfg(test)]
pub(crate) mod poisson {
    use crate::mesh::Mesh;
    use crate::solve::{make_solver, SolverChoice, SparsityPattern, Structure};
    use std::sync::Arc;

    /// The problem data.
    pub struct Problem<'a> {
        /// Coefficient of each region.
        pub k: &'a dyn Fn(u16) -> f64,
        /// Volume source of each region.
        pub f: &'a dyn Fn(u16) -> f64,
        /// `(patch name, sigma)`: surface sources on patches.
        pub sigma: &'a [(&'a str, f64)],
        /// Patches where `u = g(position)`.
        pub dirichlet: &'a [&'a str],
        /// Dirichlet data.
        pub g: &'a dyn Fn([f64; 3]) -> f64,
    }

    /// Solve and return the nodal values.
    pub fn solve(m: &Mesh, p: &Problem) -> Vec<f64> {
        let n = m.nodes();
        let mut rows: Vec<Vec<usize>> = vec![Vec::new(); n];
        for f in 0..m.faces() {
            let [a, b] = m.face_nodes(f);
            rows[a].push(b);
            rows[b].push(a);
        }
        let pattern = Arc::new(SparsityPattern::from_rows(n, &rows));
        let structure = Structure::Sparse {
            pattern,
            layout: None,
        };
        let mut s = make_solver(&structure, SolverChoice::Auto).unwrap();
        let mut rhs: Vec<f64> = (0..n)
            .map(|i| m.volume_integral(i, |r| Some((p.f)(r))))
            .collect();
        let a = s.matrix();
        a.clear();
        for f in 0..m.faces() {
            let [i, j] = m.face_nodes(f);
            let t = m.transmissibility(f, |r| Some((p.k)(r)));
            a.add(i, i, t);
            a.add(j, j, t);
            a.add(i, j, -t);
            a.add(j, i, -t);
        }
        for &(name, sigma) in p.sigma {
            let pi = m.patch_index(name).expect("patch exists");
            for pf in m.patch_faces().iter().filter(|pf| pf.patch == pi) {
                rhs[pf.node as usize] += sigma * pf.area;
            }
        }
        for name in p.dirichlet {
            let pi = m.patch_index(name).expect("patch exists");
            for pf in m.patch_faces().iter().filter(|pf| pf.patch == pi) {
                let i = pf.node as usize;
                a.zero_row(i);
                a.add(i, i, 1.0);
                rhs[i] = (p.g)(m.position(i));
            }
        }
        s.factor().unwrap();
        s.solve(&mut rhs).unwrap();
        rhs
    }
}

#[cfg(test)]
mod tests {
    use super::poisson::{solve, Problem};
    use super::*;
    use crate::mesh::{Geometry, Grid};

    /// A non-uniform array on `[a, b]`: uniform nodes pushed by a smooth wiggle.
    fn wiggly(a: f64, b: f64, n: usize) -> Vec<f64> {
        (0..n)
            .map(|i| {
                let s = i as f64 / (n - 1) as f64;
                a + (b - a) * (s + 0.15 * (2.0 * PI * s).sin() / (2.0 * PI) * 2.0)
            })
            .collect()
    }

    fn patch_area(m: &Mesh, name: &str) -> f64 {
        let p = m.patch_index(name).unwrap();
        m.patch_faces()
            .iter()
            .filter(|f| f.patch == p)
            .map(|f| f.area)
            .sum()
    }

    #[test]
    fn cartesian_metrics_sum_to_the_domain() {
        let (x, y, z) = (
            wiggly(0.0, 2.0, 7),
            wiggly(-1.0, 0.5, 5),
            wiggly(0.0, 3.0, 4),
        );
        let m = TensorGrid::cartesian_2d(&x, &y).unwrap().mesh().unwrap();
        assert_eq!((m.nodes(), m.faces(), m.dim()), (35, 6 * 5 + 7 * 4, 2));
        assert_eq!(m.shape(), Some([7, 5, 1]));
        assert!((m.total_volume() - 3.0).abs() < 1e-14);
        for (name, len) in [("xmin", 1.5), ("xmax", 1.5), ("ymin", 2.0), ("ymax", 2.0)] {
            assert!((patch_area(&m, name) - len).abs() < 1e-14, "{name}");
        }
        // Node (2, 3) -> (3, 3): area = its dual height, distance x3 - x2.
        let f = (0..m.faces())
            .find(|&f| m.face_nodes(f) == [2 + 7 * 3, 3 + 7 * 3])
            .unwrap();
        let h = 0.5 * (y[4] - y[2]);
        assert!((m.face_area(f) - h).abs() < 1e-15);
        assert!((m.transmissibility(f, |_| Some(2.0)) - 2.0 * h / (x[3] - x[2])).abs() < 1e-14);
        assert_eq!(m.face_direction(f), [1.0, 0.0, 0.0]);
        let pf = m.patch_faces().iter().find(|p| p.patch == 3).unwrap();
        assert_eq!(pf.normal, [0.0, 1.0, 0.0]);

        let m3 = TensorGrid::cartesian_3d(&x, &y, &z)
            .unwrap()
            .mesh()
            .unwrap();
        assert_eq!(m3.nodes(), 7 * 5 * 4);
        assert_eq!(m3.position(m3.nodes() - 1), [2.0, 0.5, 3.0]);
        assert!((m3.total_volume() - 9.0).abs() < 1e-13);
        assert!((patch_area(&m3, "zmax") - 3.0).abs() < 1e-14);
        assert!((patch_area(&m3, "xmin") - 4.5).abs() < 1e-14);
    }

    #[test]
    fn axisymmetric_metrics_carry_the_radius() {
        let (r, z) = (wiggly(0.0, 1.5, 9), wiggly(-1.0, 1.0, 6));
        let m = TensorGrid::axisymmetric(&r, &z).unwrap().mesh().unwrap();
        let v = PI * 1.5 * 1.5 * 2.0;
        assert!((m.total_volume() - v).abs() < 1e-13 * v);
        assert_eq!(patch_area(&m, "axis"), 0.0);
        assert!((patch_area(&m, "rmax") - 2.0 * PI * 1.5 * 2.0).abs() < 1e-13);
        assert!((patch_area(&m, "zmin") - PI * 2.25).abs() < 1e-13);
        // The first node is a full disk.
        let h = 0.5 * (z[1] - z[0]);
        assert!((m.volume(0) - PI * (0.5 * r[1]).powi(2) * h).abs() < 1e-15);
        // Radial face between (3, 2) and (4, 2).
        let f = (0..m.faces())
            .find(|&f| m.face_nodes(f) == [3 + 9 * 2, 4 + 9 * 2])
            .unwrap();
        let rf = 0.5 * (r[3] + r[4]);
        assert!((m.face_area(f) - 2.0 * PI * rf * 0.5 * (z[3] - z[1])).abs() < 1e-14);
        // A hollow domain names its inner side rmin.
        let g = TensorGrid::axisymmetric(&[0.5, 1.0], &[0.0, 1.0]).unwrap();
        assert_eq!(g.patch_names(), vec!["rmin", "rmax", "zmin", "zmax"]);
    }

    #[test]
    fn cone_channel_volume_is_exact_and_resistance_second_order() {
        // Cone of radius 1 + x on [0, 2] (radius 1 to 3): volume pi/3 (27 - 1), and the
        // ohmic resistance int dx / A = L / (pi r0 r1) = 2 / (3 pi).
        let area = |x: f64| PI * (1.0 + x).powi(2);
        let mut errors = Vec::new();
        for n in [9, 17, 33, 65] {
            let x = wiggly(0.0, 2.0, n);
            let m = TensorGrid::area_profile(&x, area).unwrap().mesh().unwrap();
            assert!((m.total_volume() - PI / 3.0 * 26.0).abs() < 1e-13);
            assert_eq!(patch_area(&m, "left"), PI);
            assert_eq!(patch_area(&m, "right"), 9.0 * PI);
            let resistance: f64 = (0..m.faces())
                .map(|f| 1.0 / m.transmissibility(f, |_| Some(1.0)))
                .sum();
            errors.push((resistance / (2.0 / (3.0 * PI)) - 1.0).abs());
        }
        for w in errors.windows(2) {
            let order = (w[0] / w[1]).log2();
            assert!((order - 2.0).abs() < 0.15, "order {order}: {errors:?}");
        }
    }

    #[test]
    fn bad_axes_are_rejected_with_the_axis_index_and_value() {
        let e = TensorGrid::cartesian_2d(&[0.0, 1.0, 1.0], &[0.0, 1.0]).unwrap_err();
        assert_eq!(
            e,
            StructuredError::NotIncreasing {
                axis: "x",
                index: 2,
                value: 1.0,
                previous: 1.0
            }
        );
        assert!(e.to_string().contains("node 2 = 1 m is not above node 1"));
        let e = TensorGrid::cartesian_3d(&[0.0, 1.0], &[0.0, 1.0], &[0.0]).unwrap_err();
        assert_eq!(e, StructuredError::TooFewNodes { axis: "z", n: 1 });
        let e = TensorGrid::axisymmetric(&[-0.1, 1.0], &[0.0, 1.0]).unwrap_err();
        assert_eq!(
            e,
            StructuredError::NegativeRadius {
                index: 0,
                value: -0.1
            }
        );
        let e = TensorGrid::cartesian_2d(&[0.0, f64::NAN], &[0.0, 1.0]).unwrap_err();
        assert!(matches!(
            e,
            StructuredError::NotFinite {
                axis: "x",
                index: 1,
                ..
            }
        ));
        let e = TensorGrid::area_profile(&[0.0, 1.0, 2.0], |x| 1.0 - x).unwrap_err();
        assert!(
            matches!(e, StructuredError::BadArea { index: 1, .. }),
            "{e}"
        );
        let big = uniform_nodes(0.0, 1.0, 4000);
        let e = TensorGrid::cartesian_3d(&big, &big, &big).unwrap_err();
        assert!(
            matches!(e, StructuredError::TooLarge { nx: 4000, .. }),
            "{e}"
        );
        assert!(graded_nodes(0.0, 1.0, &[], 0.0, 1.0, 1.2).is_err());
    }

    #[test]
    fn graded_nodes_refine_towards_the_planes() {
        let x = graded_nodes(0.0, 10.0, &[2.0, 7.5], 0.01, 0.5, 1.15).unwrap();
        assert_eq!((x[0], *x.last().unwrap()), (0.0, 10.0));
        assert!(x.contains(&2.0) && x.contains(&7.5));
        let h: Vec<f64> = x.windows(2).map(|w| w[1] - w[0]).collect();
        assert!(h.iter().all(|&h| h > 0.0 && h < 0.6));
        let at = x.iter().position(|&v| v == 2.0).unwrap();
        assert!(h[at] < 0.02 && h[at - 1] < 0.02, "{} {}", h[at], h[at - 1]);
        // Neighbouring intervals differ by at most about the growth factor.
        assert!(h.windows(2).all(|w| w[1] / w[0] < 1.4 && w[0] / w[1] < 1.4));
        let u = graded_nodes(0.0, 1.0, &[], 0.01, 0.1, 1.2).unwrap();
        assert_eq!(u.len(), 11);
    }

    /// `-lap u = 1`: exact discrete solutions of the box scheme on non-uniform grids
    /// (VoronoiFVM's test, Fuhrmann et al.): the two-point flux of a quadratic is exact at
    /// the face midpoint and the box volumes are exact, so the nodal values are exact.
    #[test]
    fn laplacian_of_quadratics_is_exact_on_every_coordinate_system() {
        let radius = 1.3;
        let one = |_: u16| 1.0;
        // Disk in (r): Mesh::from_grid(cylindrical), u = (R^2 - r^2)/4.
        let g = Grid::from_nodes(Geometry::Cylindrical, 0.0, wiggly(0.0, radius, 23)).unwrap();
        let m = Mesh::from_grid(&g);
        let disk = |p: [f64; 3]| (radius * radius - p[0] * p[0]) / 4.0;
        let p = Problem {
            k: &one,
            f: &one,
            sigma: &[],
            dirichlet: &["right"],
            g: &disk,
        };
        let u = solve(&m, &p);
        for i in 0..m.nodes() {
            assert!((u[i] - disk(m.position(i))).abs() < 1e-12 * disk([0.0; 3]));
        }
        // Disk in (r, z), the same u independent of z (zmin, zmax insulating).
        let r = wiggly(0.0, radius, 17);
        let z = wiggly(-0.4, 0.7, 9);
        let m = TensorGrid::axisymmetric(&r, &z).unwrap().mesh().unwrap();
        let p = Problem {
            dirichlet: &["rmax"],
            ..p
        };
        let u = solve(&m, &p);
        for i in 0..m.nodes() {
            assert!(
                (u[i] - disk(m.position(i))).abs() < 1e-12 * disk([0.0; 3]),
                "{i}"
            );
        }
        // Ball in 1D spherical, u = (R^2 - r^2)/6.
        let g = Grid::from_nodes(Geometry::Spherical, 0.0, wiggly(0.0, radius, 23)).unwrap();
        let m = Mesh::from_grid(&g);
        let ball = |p: [f64; 3]| (radius * radius - p[0] * p[0]) / 6.0;
        let u = solve(
            &m,
            &Problem {
                dirichlet: &["right"],
                g: &ball,
                ..p
            },
        );
        for i in 0..m.nodes() {
            assert!((u[i] - ball(m.position(i))).abs() < 1e-12 * ball([0.0; 3]));
        }
        // 2D and 3D Cartesian, u = -(x^2 + y^2 (+ z^2))/(2d) + linear, Dirichlet all round.
        let quad = |p: [f64; 3]| -(p[0] * p[0] + p[1] * p[1]) / 4.0 + 0.3 * p[0] - 0.2 * p[1];
        let (x, y) = (wiggly(-1.0, 1.0, 11), wiggly(0.0, 2.0, 8));
        let m = TensorGrid::cartesian_2d(&x, &y).unwrap().mesh().unwrap();
        let all = ["xmin", "xmax", "ymin", "ymax", "zmin", "zmax"];
        let u = solve(
            &m,
            &Problem {
                dirichlet: &all[..4],
                g: &quad,
                ..p
            },
        );
        for i in 0..m.nodes() {
            assert!((u[i] - quad(m.position(i))).abs() < 1e-12, "{i}");
        }
        let quad3 = |p: [f64; 3]| -(p[0] * p[0] + p[1] * p[1] + p[2] * p[2]) / 6.0 + 0.1 * p[2];
        let z = wiggly(0.0, 1.0, 6);
        let m = TensorGrid::cartesian_3d(&x, &y, &z)
            .unwrap()
            .mesh()
            .unwrap();
        let u = solve(
            &m,
            &Problem {
                dirichlet: &all,
                g: &quad3,
                ..p
            },
        );
        for i in 0..m.nodes() {
            assert!((u[i] - quad3(m.position(i))).abs() < 1e-12, "{i}");
        }
    }
}
