//! Boundary-conforming Delaunay triangulations and their Voronoi boxes, as a [`Mesh`].
//!
//! On a tensor grid a curved material interface cuts the edges between nodes, and the
//! two-point flux with cut-edge fractions is only first order for the field next to it. Here
//! the interface is made of triangle edges, so no edge crosses it, and the two-point flux on
//! an *admissible* mesh (Delaunay and boundary conforming: no triangle's circumcentre lies
//! beyond a boundary or interface edge) is second order, as in VoronoiFVM.jl
//! (Fuhrmann et al., <https://github.com/WIAS-PDELib/VoronoiFVM.jl>; Si, Gärtner, Fuhrmann,
//! "Boundary conforming Delaunay mesh generation", Comput. Math. Math. Phys. 50 (2010) 38).
//!
//! # Construction
//!
//! 1. The outer boundary (a polygon with a patch name per edge), the interior curves
//!    (polylines, closed or ending on the boundary) and extra points are inserted into a
//!    constrained Delaunay triangulation ([`spade`]), scaled to `O(1)` coordinates.
//! 2. Ruppert/Chew refinement (`spade`'s `refine`) with a minimum angle splits every
//!    encroached constraint edge (a vertex inside an edge's diametral circle) and keeps the
//!    triangulation Delaunay; then a size field `h(x)` is enforced by inserting the
//!    centroids of triangles whose longest edge exceeds `h(centroid)` and refining again.
//! 3. Each triangle `(p_0, p_1, p_2)` with circumcentre `c` contributes, for its edge
//!    `(i, j)` opposite vertex `k` (angle `alpha_k`), the signed Voronoi piece from the edge
//!    midpoint `m_ij` to `c` of length `s_ij = |p_i p_j| cot(alpha_k) / 2` (negative for an
//!    obtuse angle: the standard signed construction, exact when the Delaunay property holds
//!    because the two pieces of an interior edge then add up to a non-negative length), and
//!    to vertex `i` the signed triangle `(p_i, m_ij, c)` of area `|p_i p_j| s_ij / 4`.
//!    Cartesian meshes are per metre of depth; in axisymmetric `(x, y) = (r, z)` every area
//!    and volume is multiplied by `2 pi r` integrated exactly over each piece
//!    (`2 pi r_centroid` times the signed length or area of the straight piece).
//! 4. Faces are the triangle edges; each carries one segment per region on its sides (edge
//!    fraction 1 in that region). Boundary and interface patch faces are the halves of each
//!    constraint edge attached to its end nodes.
//!
//! The mesh is refused ([`VoronoiError::NotAdmissible`]) if a node's region part or a face
//! segment comes out negative beyond round-off; [`MeshQuality`] reports the worst case.

mod boxes;
mod build;
mod locate;
mod order;
mod pore;
#[cfg(test)]
mod tests;

use super::fv::{CoordinateSystem, Mesh, MeshError};
use super::shapes::Shape;
use std::f64::consts::PI;
use std::sync::Arc;

pub use build::{delaunay_mesh, delaunay_mesh_timed};
pub use locate::{TriangleLocator, TriangleSpot};
pub use pore::ConicalPore;

/// The outer boundary of the domain: a simple polygon, `patches[k]` naming the edge from
/// `points[k]` to `points[k + 1]` (the last edge closes the polygon). Either orientation.
#[derive(Clone, Debug, PartialEq)]
pub struct OuterBoundary {
    /// Vertices, at least 3.
    pub points: Vec<[f64; 2]>,
    /// One patch name per edge.
    pub patches: Vec<String>,
}

/// A curve inside the domain made of triangle edges in the mesh: a material interface
/// and, if `patch` is given, an [`PatchKind::Interface`](crate::mesh::PatchKind::Interface) patch (a charged shell). A curve
/// may be closed or open; an open curve must end on the boundary (its end points should be
/// vertices of the [`OuterBoundary`]) or on another curve.
#[derive(Clone, Debug, PartialEq)]
pub struct Curve {
    /// Vertices of the polyline.
    pub points: Vec<[f64; 2]>,
    /// Whether the last point joins the first.
    pub closed: bool,
    /// Interface patch name, if the curve carries conditions.
    pub patch: Option<String>,
}

impl Curve {
    /// The circle of centre `c` and radius `r` as a closed counter-clockwise polygon of
    /// `segments` edges (vertices on the circle).
    pub fn circle(c: [f64; 2], r: f64, segments: usize) -> Curve {
        Curve::arc(c, r, 0.0, 2.0 * PI, segments.max(3), true)
    }

    /// The arc of centre `c`, radius `r` from angle `a0` to `a1` (radians, counter-clockwise
    /// if `a1 > a0`) with `segments` edges; `closed` only for a full turn.
    pub fn arc(c: [f64; 2], r: f64, a0: f64, a1: f64, segments: usize, closed: bool) -> Curve {
        let n = segments.max(1);
        let last = if closed { n - 1 } else { n };
        let points = (0..=last)
            .map(|k| {
                let a = a0 + (a1 - a0) * k as f64 / n as f64;
                [c[0] + r * a.cos(), c[1] + r * a.sin()]
            })
            .collect();
        Curve {
            points,
            closed,
            patch: None,
        }
    }

    /// The same curve as an interface patch called `name`.
    pub fn with_patch(mut self, name: &str) -> Curve {
        self.patch = Some(name.into());
        self
    }
}

/// A named region: every triangle whose centroid `(x, y, 0)` is inside `shape` (later rules
/// win over earlier ones; triangles matching none belong to the background region).
#[derive(Clone, Debug)]
pub struct RegionRule {
    /// Region name.
    pub name: String,
    /// Its shape (for axisymmetric meshes in `(r, z, 0)`; a [`super::Sphere`] centred on
    /// the axis is a ball).
    pub shape: Arc<dyn Shape>,
}

/// Local refinement: `h(x) <= h + growth * d(x)` with `d` the distance to `shape`'s surface
/// (the absolute signed distance).
#[derive(Clone, Debug)]
pub struct SizeNear {
    /// Surface to refine at.
    pub shape: Arc<dyn Shape>,
    /// Edge length on the surface.
    pub h: f64,
    /// Growth of the edge length with the distance (dimensionless, e.g. 0.2).
    pub growth: f64,
}

/// Everything a Delaunay-Voronoi mesh is built from.
#[derive(Clone, Debug)]
pub struct DelaunaySpec {
    /// Cartesian (per metre of depth) or axisymmetric `(r, z)` (then `r >= 0` everywhere).
    pub coordinates: CoordinateSystem,
    /// Outer boundary.
    pub boundary: OuterBoundary,
    /// Interior curves (interfaces).
    pub curves: Vec<Curve>,
    /// Extra vertices (e.g. a node exactly at a centre).
    pub points: Vec<[f64; 2]>,
    /// Name of the region of triangles no rule claims.
    pub background: String,
    /// Region rules.
    pub regions: Vec<RegionRule>,
    /// Target (largest) edge length everywhere.
    pub h: f64,
    /// Finer edge lengths near surfaces.
    pub near: Vec<SizeNear>,
    /// Minimum angle of the refinement, degrees (at most 33; 25 is safe).
    pub min_angle_deg: f64,
    /// Largest number of vertices (refused beyond).
    pub max_vertices: usize,
}

impl DelaunaySpec {
    /// A spec with one region `background`, no curves, 25 degrees and 2 million vertices.
    pub fn new(coordinates: CoordinateSystem, boundary: OuterBoundary, h: f64) -> Self {
        DelaunaySpec {
            coordinates,
            boundary,
            curves: Vec::new(),
            points: Vec::new(),
            background: "domain".into(),
            regions: Vec::new(),
            h,
            near: Vec::new(),
            min_angle_deg: 25.0,
            max_vertices: 2_000_000,
        }
    }

    /// Local size `h(x, y) = min(h, min_k (h_k + g_k d_k))`.
    pub fn size(&self, x: f64, y: f64) -> f64 {
        self.near.iter().fold(self.h, |h, s| {
            h.min(s.h + s.growth * s.shape.signed_distance([x, y, 0.0]).abs())
        })
    }
}

/// Worst-case measures of a built mesh.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct MeshQuality {
    /// Smallest triangle angle, degrees.
    pub min_angle_deg: f64,
    /// Smallest face segment length (midpoint to circumcentre pieces summed per region)
    /// divided by its edge length; `>= 0` on an admissible mesh (0: a right angle opposite a
    /// boundary edge, or four cocircular points).
    pub min_face_ratio: f64,
    /// Longest edge.
    pub max_edge: f64,
    /// Triangles.
    pub triangles: usize,
}

/// Wall time of the phases of [`delaunay_mesh_timed`], s.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
#[non_exhaustive]
pub struct BuildTimes {
    /// Checks, the constrained triangulation of the inputs and the first refinement.
    pub triangulation: f64,
    /// Enforcing the size field (centroid insertion and refinement passes).
    pub size_field: f64,
    /// Passes of the size field that inserted points.
    pub size_passes: usize,
    /// Domain triangles, their nodes, regions and quality.
    pub triangles: f64,
    /// Voronoi pieces: node volume parts and face segments.
    pub voronoi: f64,
    /// Boundary and interface patch faces.
    pub patches: f64,
    /// [`Mesh::new`].
    pub mesh: f64,
}

/// A mesh that cannot be built.
#[derive(Clone, Debug, PartialEq, thiserror::Error)]
#[non_exhaustive]
pub enum VoronoiError {
    /// A bad input value, with what to change.
    #[error("{0}")]
    Invalid(String),
    /// The triangulation failed (a coordinate out of range, crossing constraints).
    #[error("triangulation failed: {0}")]
    Triangulation(String),
    /// More vertices than allowed.
    #[error("the mesh needs more than {limit} vertices: increase h (now {h}) or max_vertices")]
    TooLarge {
        /// The limit.
        limit: usize,
        /// The target edge length.
        h: f64,
    },
    /// A Voronoi measure is negative: the mesh is not boundary conforming Delaunay.
    #[error("the mesh is not admissible: {what} near ({x}, {y}) is {value} (relative to the edge); refine the curves there (more segments) or lower min_angle_deg")]
    NotAdmissible {
        /// `"face segment"` or `"node volume part"`.
        what: &'static str,
        /// Where.
        x: f64,
        /// Where.
        y: f64,
        /// The relative value.
        value: f64,
    },
    /// The assembled mesh failed its checks.
    #[error(transparent)]
    Mesh(#[from] MeshError),
}

/// A Delaunay-Voronoi mesh: the finite-volume [`Mesh`] and its triangles.
#[derive(Clone, Debug)]
pub struct DelaunayMesh {
    /// The box mesh.
    pub mesh: Mesh,
    /// Triangles (node indices, counter-clockwise).
    pub triangles: Vec<[u32; 3]>,
    /// Region of each triangle.
    pub triangle_region: Vec<u16>,
    /// Worst-case measures.
    pub quality: MeshQuality,
}

impl DelaunayMesh {
    /// Area of triangle `t` (without coordinate weight).
    pub fn triangle_area(&self, t: usize) -> f64 {
        let [a, b, c] = self.tri_points(t);
        0.5 * cross(sub(b, a), sub(c, a))
    }

    /// Gradient of the piecewise linear interpolant of the node values `u` on triangle `t`.
    pub fn triangle_gradient(&self, t: usize, u: &[f64]) -> [f64; 2] {
        let [a, b, c] = self.tri_points(t);
        let [i, j, k] = self.triangles[t].map(|v| v as usize);
        let (e1, e2) = (sub(b, a), sub(c, a));
        let det = cross(e1, e2);
        let (d1, d2) = (u[j] - u[i], u[k] - u[i]);
        // [e1; e2] g = [d1; d2].
        [
            (d1 * e2[1] - d2 * e1[1]) / det,
            (e1[0] * d2 - e2[0] * d1) / det,
        ]
    }

    fn tri_points(&self, t: usize) -> [[f64; 2]; 3] {
        self.triangles[t].map(|v| {
            let p = self.mesh.position(v as usize);
            [p[0], p[1]]
        })
    }
}

#[inline]
fn sub(a: [f64; 2], b: [f64; 2]) -> [f64; 2] {
    [a[0] - b[0], a[1] - b[1]]
}
#[inline]
fn cross(a: [f64; 2], b: [f64; 2]) -> f64 {
    a[0] * b[1] - a[1] * b[0]
}
#[inline]
fn dot(a: [f64; 2], b: [f64; 2]) -> f64 {
    a[0] * b[0] + a[1] * b[1]
}
#[inline]
fn norm(a: [f64; 2]) -> f64 {
    dot(a, a).sqrt()
}

/// Distance from `p` to the segment `a b`.
fn segment_distance(p: [f64; 2], a: [f64; 2], b: [f64; 2]) -> f64 {
    let (ab, ap) = (sub(b, a), sub(p, a));
    let t = (dot(ap, ab) / dot(ab, ab)).clamp(0.0, 1.0);
    norm(sub(ap, [t * ab[0], t * ab[1]]))
}
