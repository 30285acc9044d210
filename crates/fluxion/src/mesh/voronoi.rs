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

use super::fv::{CoordinateSystem, Mesh, MeshError, MeshParts, Patch, PatchFace, PatchKind};
use super::shapes::{Polygon, Shape};
use spade::{
    AngleLimit, ConstrainedDelaunayTriangulation, Point2, RefinementParameters, Triangulation,
};
use std::collections::HashMap;
use std::f64::consts::PI;
use std::sync::Arc;

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
/// and, if `patch` is given, an [`PatchKind::Interface`] patch (a charged shell). A curve
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

/// An input constraint segment: end points, patch (if any), boundary or interface.
struct InputSegment {
    a: [f64; 2],
    b: [f64; 2],
    patch: Option<u16>,
    boundary: bool,
}

/// Per edge: `(region, segment area)` pieces, edge length, number of domain triangles.
type EdgeAcc = (Vec<(u16, f64)>, f64, u8);

type Cdt = ConstrainedDelaunayTriangulation<Point2<f64>>;

/// Build the Delaunay-Voronoi mesh of `spec` (see the module docs).
pub fn delaunay_mesh(spec: &DelaunaySpec) -> Result<DelaunayMesh, VoronoiError> {
    let invalid = |s: String| Err(VoronoiError::Invalid(s));
    let axi = match spec.coordinates {
        CoordinateSystem::Cartesian => false,
        CoordinateSystem::Axisymmetric => true,
        c => {
            return invalid(format!(
                "coordinates {c:?}: a Delaunay mesh is Cartesian (x, y) or Axisymmetric (r, z)"
            ))
        }
    };
    let b = &spec.boundary;
    if b.points.len() < 3 || b.patches.len() != b.points.len() {
        return invalid(format!(
            "the outer boundary needs at least 3 points and one patch per edge (got {} points, {} patches)",
            b.points.len(),
            b.patches.len()
        ));
    }
    let outer = Polygon::new(b.points.clone())
        .map_err(|e| VoronoiError::Invalid(format!("outer boundary: {e}")))?;
    if !(spec.h > 0.0 && spec.h.is_finite()) {
        return invalid(format!(
            "target edge length h = {} must be positive",
            spec.h
        ));
    }
    for s in &spec.near {
        if !(s.h > 0.0 && s.h.is_finite() && s.growth >= 0.0 && s.growth.is_finite()) {
            return invalid(format!(
                "local size h = {}, growth = {}: h must be positive, growth >= 0",
                s.h, s.growth
            ));
        }
    }
    if !(spec.min_angle_deg >= 0.0 && spec.min_angle_deg <= 33.0) {
        return invalid(format!(
            "min_angle_deg = {} must be in [0, 33] (Delaunay refinement may not terminate above)",
            spec.min_angle_deg
        ));
    }
    let all_points = || {
        b.points
            .iter()
            .chain(spec.curves.iter().flat_map(|c| c.points.iter()))
            .chain(spec.points.iter())
    };
    if let Some(p) = all_points().find(|p| !(p[0].is_finite() && p[1].is_finite())) {
        return invalid(format!("point {p:?} is not finite"));
    }
    if axi {
        if let Some(p) = all_points().find(|p| p[0] < 0.0) {
            return invalid(format!(
                "axisymmetric point {p:?} has r < 0: the domain must lie in r >= 0"
            ));
        }
    }
    // Patches: boundary names first (deduplicated), then interface names.
    let mut patches: Vec<Patch> = Vec::new();
    let patch_id = |name: &str, kind: PatchKind, patches: &mut Vec<Patch>| {
        if let Some(i) = patches.iter().position(|p| p.name == name) {
            return Ok(i as u16);
        }
        if patches.len() >= u16::MAX as usize {
            return Err(VoronoiError::Invalid("too many patches".into()));
        }
        patches.push(Patch {
            name: name.into(),
            kind,
        });
        Ok(patches.len() as u16 - 1)
    };
    let mut inputs: Vec<InputSegment> = Vec::new();
    let nb = b.points.len();
    for k in 0..nb {
        let id = patch_id(&b.patches[k], PatchKind::Boundary, &mut patches)?;
        inputs.push(InputSegment {
            a: b.points[k],
            b: b.points[(k + 1) % nb],
            patch: Some(id),
            boundary: true,
        });
    }
    for c in &spec.curves {
        if c.points.len() < 2 {
            return invalid("a curve needs at least 2 points".into());
        }
        let id = match &c.patch {
            Some(name) => {
                if patches
                    .iter()
                    .any(|p| &p.name == name && p.kind == PatchKind::Boundary)
                {
                    return invalid(format!(
                        "interface patch {name} has the name of a boundary patch: rename it"
                    ));
                }
                Some(patch_id(name, PatchKind::Interface, &mut patches)?)
            }
            None => None,
        };
        let n = c.points.len();
        let m = if c.closed { n } else { n - 1 };
        for k in 0..m {
            inputs.push(InputSegment {
                a: c.points[k],
                b: c.points[(k + 1) % n],
                patch: id,
                boundary: false,
            });
        }
    }
    // Scale to O(1).
    let (mut lo, mut hi) = ([f64::INFINITY; 2], [f64::NEG_INFINITY; 2]);
    for p in &b.points {
        for a in 0..2 {
            lo[a] = lo[a].min(p[a]);
            hi[a] = hi[a].max(p[a]);
        }
    }
    let scale = (hi[0] - lo[0]).max(hi[1] - lo[1]);
    let centre = [0.5 * (lo[0] + hi[0]), 0.5 * (lo[1] + hi[1])];
    let to_local =
        |p: [f64; 2]| Point2::new((p[0] - centre[0]) / scale, (p[1] - centre[1]) / scale);
    // (Round-off of the scaling must not put an axis node at r < 0.)
    let r_min = if axi { 0.0 } else { f64::NEG_INFINITY };
    let to_global = |p: Point2<f64>| {
        [
            (centre[0] + scale * p.x).max(r_min),
            centre[1] + scale * p.y,
        ]
    };
    let min_h = spec.near.iter().fold(spec.h, |h, s| h.min(s.h));
    let max_vertices = spec.max_vertices;
    let signed_area: f64 = (0..nb)
        .map(|k| cross(b.points[k], b.points[(k + 1) % nb]))
        .sum::<f64>()
        * 0.5;

    let terr = |e: spade::InsertionError| VoronoiError::Triangulation(format!("{e:?}"));
    let mut cdt = Cdt::new();
    for s in &inputs {
        let va = cdt.insert(to_local(s.a)).map_err(terr)?;
        let vb = cdt.insert(to_local(s.b)).map_err(terr)?;
        if va == vb {
            return invalid(format!("a zero-length edge at {:?}", s.a));
        }
        if !cdt.can_add_constraint(va, vb) {
            return invalid(format!(
                "the edge from {:?} to {:?} crosses another boundary or curve edge",
                s.a, s.b
            ));
        }
        cdt.add_constraint(va, vb);
    }
    for p in &spec.points {
        cdt.insert(to_local(*p)).map_err(terr)?;
    }
    let angle = AngleLimit::from_deg(spec.min_angle_deg);
    let refine = |cdt: &mut Cdt| -> Result<(), VoronoiError> {
        let room = max_vertices.saturating_sub(cdt.num_vertices());
        let r = cdt.refine(
            RefinementParameters::<f64>::new()
                .with_angle_limit(angle)
                .with_max_allowed_area((spec.h / scale).powi(2) * 3f64.sqrt() / 4.0)
                .with_max_additional_vertices(room),
        );
        if !r.refinement_complete {
            return Err(VoronoiError::TooLarge {
                limit: max_vertices,
                h: spec.h,
            });
        }
        Ok(())
    };
    refine(&mut cdt)?;
    // Size field: insert centroids of too-large triangles inside the domain, then refine.
    if !spec.near.is_empty() {
        for _pass in 0..60 {
            let mut add = Vec::new();
            for f in cdt.inner_faces() {
                let p = f.positions().map(to_global);
                let g = [
                    (p[0][0] + p[1][0] + p[2][0]) / 3.0,
                    (p[0][1] + p[1][1] + p[2][1]) / 3.0,
                ];
                if !outer.contains(g[0], g[1]) {
                    continue;
                }
                let longest = (0..3)
                    .map(|k| norm(sub(p[(k + 1) % 3], p[k])))
                    .fold(0.0, f64::max);
                if longest > 1.2 * spec.size(g[0], g[1]) {
                    add.push(to_local(g));
                }
            }
            if add.is_empty() {
                break;
            }
            if cdt.num_vertices() + add.len() > max_vertices {
                return Err(VoronoiError::TooLarge {
                    limit: max_vertices,
                    h: min_h,
                });
            }
            for p in add {
                cdt.insert(p).map_err(terr)?;
            }
            refine(&mut cdt)?;
        }
    }

    // Domain triangles and their nodes.
    let mut node_of = vec![u32::MAX; cdt.num_vertices()];
    let mut node: Vec<[f64; 3]> = Vec::new();
    let mut triangles: Vec<[u32; 3]> = Vec::new();
    let mut triangle_region: Vec<u16> = Vec::new();
    let mut regions = vec![spec.background.clone()];
    let mut rule_region = Vec::new();
    for r in &spec.regions {
        let id = match regions.iter().position(|n| n == &r.name) {
            Some(i) => i,
            None => {
                regions.push(r.name.clone());
                regions.len() - 1
            }
        };
        rule_region.push(id as u16);
    }
    let mut min_angle = f64::INFINITY;
    let mut max_edge: f64 = 0.0;
    for f in cdt.inner_faces() {
        let vs = f.vertices();
        let mut p = vs.map(|v| to_global(v.position()));
        let g = [
            (p[0][0] + p[1][0] + p[2][0]) / 3.0,
            (p[0][1] + p[1][1] + p[2][1]) / 3.0,
        ];
        if !outer.contains(g[0], g[1]) {
            continue;
        }
        let mut ids = vs.map(|v| v.fix().index());
        if cross(sub(p[1], p[0]), sub(p[2], p[0])) < 0.0 {
            p.swap(1, 2);
            ids.swap(1, 2);
        }
        let mut tri = [0u32; 3];
        for k in 0..3 {
            if node_of[ids[k]] == u32::MAX {
                node_of[ids[k]] = node.len() as u32;
                node.push([p[k][0], p[k][1], 0.0]);
            }
            tri[k] = node_of[ids[k]];
            let (u, v) = (sub(p[(k + 1) % 3], p[k]), sub(p[(k + 2) % 3], p[k]));
            min_angle = min_angle.min(cross(u, v).atan2(dot(u, v)).to_degrees());
            max_edge = max_edge.max(norm(u));
        }
        let mut region = 0u16;
        for (r, rule) in spec.regions.iter().enumerate() {
            if rule.shape.inside([g[0], g[1], 0.0]) {
                region = rule_region[r];
            }
        }
        triangles.push(tri);
        triangle_region.push(region);
    }
    if triangles.is_empty() {
        return invalid("the outer boundary encloses no triangle".into());
    }
    let n = node.len();
    let w = |r: f64| if axi { 2.0 * PI * r } else { 1.0 };

    // Per-triangle Voronoi pieces.
    let mut parts: Vec<Vec<(u16, f64)>> = vec![Vec::new(); n];
    // Per edge: (region, segment area) pieces, edge length, number of domain triangles.
    let mut edges: HashMap<(u32, u32), EdgeAcc> = HashMap::new();
    let add_part = |v: &mut Vec<(u16, f64)>, r: u16, x: f64| match v.iter_mut().find(|q| q.0 == r) {
        Some(q) => q.1 += x,
        None => v.push((r, x)),
    };
    for (t, tri) in triangles.iter().enumerate() {
        let r = triangle_region[t];
        let p = tri.map(|v| [node[v as usize][0], node[v as usize][1]]);
        let c = circumcentre(p);
        for k in 0..3 {
            let (i, j) = ((k + 1) % 3, (k + 2) % 3);
            let (u, v) = (sub(p[i], p[k]), sub(p[j], p[k]));
            let len = norm(sub(p[j], p[i]));
            let s = 0.5 * len * dot(u, v) / cross(u, v);
            let m = [0.5 * (p[i][0] + p[j][0]), 0.5 * (p[i][1] + p[j][1])];
            let area = s * w(0.5 * (m[0] + c[0]));
            let key = (tri[i].min(tri[j]), tri[i].max(tri[j]));
            let e = edges.entry(key).or_insert((Vec::new(), len, 0));
            e.2 += 1;
            add_part(&mut e.0, r, area);
            for &a in &[i, j] {
                let vol = 0.25 * len * s * w((p[a][0] + m[0] + c[0]) / 3.0);
                add_part(&mut parts[tri[a] as usize], r, vol);
            }
        }
    }
    let rscale = if axi {
        2.0 * PI * node.iter().fold(0.0f64, |m, x| m.max(x[0]))
    } else {
        1.0
    };
    let tol = 1e-9;
    let mut node_part_ptr = vec![0u32];
    let mut node_part = Vec::new();
    for (i, v) in parts.iter().enumerate() {
        for &(r, x) in v {
            let rel = x / (rscale * max_edge * max_edge);
            if rel < -tol {
                return Err(VoronoiError::NotAdmissible {
                    what: "node volume part",
                    x: node[i][0],
                    y: node[i][1],
                    value: rel,
                });
            }
            node_part.push((r, x.max(0.0)));
        }
        node_part_ptr.push(node_part.len() as u32);
    }
    let mut keys: Vec<(u32, u32)> = edges.keys().copied().collect();
    keys.sort_unstable();
    let mut face_nodes = Vec::with_capacity(keys.len());
    let mut face_distance = Vec::with_capacity(keys.len());
    let mut face_segment_ptr = vec![0u32];
    let mut segment_area = Vec::new();
    let mut segment_part_ptr = vec![0u32];
    let mut segment_part = Vec::new();
    let mut min_ratio = f64::INFINITY;
    for key in &keys {
        let (segs, len, _) = &edges[key];
        let (a, bb, len) = (key.0 as usize, key.1 as usize, *len);
        for &(r, area) in segs {
            let rel = area / (len * rscale);
            min_ratio = min_ratio.min(rel);
            if rel < -tol {
                return Err(VoronoiError::NotAdmissible {
                    what: "face segment",
                    x: 0.5 * (node[a][0] + node[bb][0]),
                    y: 0.5 * (node[a][1] + node[bb][1]),
                    value: rel,
                });
            }
            segment_area.push(area.max(0.0));
            segment_part.push((r, 1.0));
            segment_part_ptr.push(segment_part.len() as u32);
        }
        face_nodes.push([key.0, key.1]);
        face_distance.push(len);
        face_segment_ptr.push(segment_area.len() as u32);
    }
    // Patch faces: edges on one domain triangle (boundary) or constraint edges between two.
    let mut patch_faces = Vec::new();
    for e in cdt.undirected_edges() {
        let [va, vb] = e.vertices().map(|v| v.fix().index());
        let (na, nb2) = (node_of[va], node_of[vb]);
        if na == u32::MAX || nb2 == u32::MAX {
            continue;
        }
        let key = (na.min(nb2), na.max(nb2));
        let Some(&(_, _, sides)) = edges.get(&key) else {
            continue;
        };
        let boundary = sides == 1;
        if !boundary && !e.is_constraint_edge() {
            continue;
        }
        let (pa, pb) = (node[na as usize], node[nb2 as usize]);
        let (pa, pb) = ([pa[0], pa[1]], [pb[0], pb[1]]);
        let mid = [0.5 * (pa[0] + pb[0]), 0.5 * (pa[1] + pb[1])];
        let len = norm(sub(pb, pa));
        // The input segment this edge lies on.
        let found = inputs
            .iter()
            .filter(|s| s.boundary == boundary)
            .map(|s| {
                (
                    s,
                    segment_distance(mid, s.a, s.b) + segment_distance(pa, s.a, s.b),
                )
            })
            .min_by(|x, y| x.1.total_cmp(&y.1));
        let Some((seg, dist)) = found else { continue };
        if dist > 1e-6 * len {
            if boundary {
                return Err(VoronoiError::Triangulation(format!(
                    "boundary edge at ({}, {}) lies on no input edge",
                    mid[0], mid[1]
                )));
            }
            continue;
        }
        let Some(patch) = seg.patch else { continue };
        let d = sub(seg.b, seg.a);
        let dl = norm(d);
        // Right-hand normal of the input direction: outward for a counter-clockwise
        // boundary (flipped for a clockwise one), outward for a counter-clockwise curve.
        let mut normal = [d[1] / dl, -d[0] / dl];
        if boundary && signed_area < 0.0 {
            normal = [-normal[0], -normal[1]];
        }
        for (v, pv) in [(na, pa), (nb2, pb)] {
            let area = 0.5 * len * w(0.5 * (pv[0] + mid[0]));
            patch_faces.push(PatchFace {
                node: v,
                patch,
                area,
                normal: [normal[0], normal[1], 0.0],
            });
        }
    }
    patch_faces.sort_by_key(|p| (p.patch, p.node));
    let mesh = Mesh::new(
        spec.coordinates,
        MeshParts {
            dim: 2,
            node,
            regions,
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
            shape: None,
        },
    )?;
    Ok(DelaunayMesh {
        mesh,
        quality: MeshQuality {
            min_angle_deg: min_angle,
            min_face_ratio: min_ratio,
            max_edge,
            triangles: triangles.len(),
        },
        triangles,
        triangle_region,
    })
}

/// Circumcentre of a triangle.
fn circumcentre(p: [[f64; 2]; 3]) -> [f64; 2] {
    let (b, c) = (sub(p[1], p[0]), sub(p[2], p[0]));
    let d = 2.0 * cross(b, c);
    let (b2, c2) = (dot(b, b), dot(c, c));
    [
        p[0][0] + (c[1] * b2 - b[1] * c2) / d,
        p[0][1] + (b[0] * c2 - c[0] * b2) / d,
    ]
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::constants::VACUUM_PERMITTIVITY;
    use crate::mesh::{Extruded, Sphere};
    use crate::models::potential::{
        node_gradient, solve_potential, FieldKind, PatchCondition, PotentialProblem, RegionMaterial,
    };
    use crate::solve::SolverChoice;

    fn disk(r: f64, segments: usize, patch: &str) -> OuterBoundary {
        let c = Curve::circle([0.0, 0.0], r, segments);
        OuterBoundary {
            patches: vec![patch.into(); c.points.len()],
            points: c.points,
        }
    }

    /// Half disk `r >= 0` of radius `big` in (r, z), its axis through the vertices
    /// `(0, +-a)` and `(0, 0)`: patches `outer` (the arc) and `axis`.
    fn half_disk(big: f64, a: f64, segments: usize) -> OuterBoundary {
        let mut points = Curve::arc([0.0, 0.0], big, -PI / 2.0, PI / 2.0, segments, false).points;
        points[0][0] = 0.0;
        points[segments][0] = 0.0;
        let mut patches = vec!["outer".to_string(); segments];
        points.extend([[0.0, a], [0.0, 0.0], [0.0, -a]]);
        patches.extend([
            "axis".to_string(),
            "axis".into(),
            "axis".into(),
            "axis".into(),
        ]);
        OuterBoundary { points, patches }
    }

    fn order(e: &[f64]) -> Vec<f64> {
        e.windows(2).map(|w| (w[0] / w[1]).log2()).collect()
    }

    /// `div(k (grad u - m)) = 0` (`-grad u = H`, `B/mu0 = k H + m` for a magnetic scalar
    /// potential with magnetization `m`; `D/eps0 = eps_r E` with `m = 0`) with per-region
    /// `k`, `m`, Dirichlet data `g(x)` on the nodes of `patch` and natural conditions on
    /// the other patches, by [`solve_potential`] with a [`PatchCondition::NodePotential`].
    fn solve_dirichlet(
        dm: &DelaunayMesh,
        k: &[f64],
        m: &[[f64; 2]],
        patch: &str,
        g: impl Fn([f64; 3]) -> f64,
    ) -> Vec<f64> {
        let mesh = Arc::new(dm.mesh.clone());
        let pid = mesh.patch_index(patch).unwrap();
        let node_potential = (0..mesh.nodes()).map(|i| g(mesh.position(i))).collect();
        let patches = (0..mesh.patches().len())
            .map(|q| {
                if q == pid as usize {
                    PatchCondition::NodePotential
                } else {
                    PatchCondition::Natural
                }
            })
            .collect();
        let materials = k
            .iter()
            .zip(m)
            .map(|(&relative, m)| RegionMaterial::Medium {
                relative,
                charge_density: 0.0,
                polarization: [m[0], m[1], 0.0],
            })
            .collect();
        solve_potential(&PotentialProblem {
            kind: FieldKind::Magnetic,
            mesh,
            materials,
            patches,
            node_potential,
            solver: SolverChoice::SparseLu,
        })
        .unwrap()
        .potential
    }

    /// Region-weighted mean of `-grad u` over the triangles of `region` (weight `2 pi r`
    /// in (r, z)).
    fn mean_field(dm: &DelaunayMesh, u: &[f64], region: u16) -> [f64; 2] {
        let axi = dm.mesh.coordinates() == CoordinateSystem::Axisymmetric;
        let (mut e, mut v) = ([0.0; 2], 0.0);
        for t in 0..dm.triangles.len() {
            if dm.triangle_region[t] != region {
                continue;
            }
            let mut w = dm.triangle_area(t);
            if axi {
                let r: f64 = dm.triangles[t]
                    .iter()
                    .map(|&i| dm.mesh.position(i as usize)[0])
                    .sum::<f64>()
                    / 3.0;
                w *= r;
            }
            let g = dm.triangle_gradient(t, u);
            e[0] -= w * g[0];
            e[1] -= w * g[1];
            v += w;
        }
        [e[0] / v, e[1] / v]
    }

    fn node_at(dm: &DelaunayMesh, x: [f64; 2]) -> usize {
        (0..dm.mesh.nodes())
            .find(|&i| {
                let p = dm.mesh.position(i);
                (p[0] - x[0]).abs() + (p[1] - x[1]).abs() < 1e-12
            })
            .unwrap()
    }

    fn polygon_region(name: &str, points: Vec<[f64; 2]>) -> RegionRule {
        RegionRule {
            name: name.into(),
            shape: Arc::new(Extruded::new(Polygon::new(points).unwrap(), -1.0, 1.0).unwrap()),
        }
    }

    /// Exact measures: the control volumes add up to the polygon's area (Cartesian) and to
    /// `2 pi int r dA` (axisymmetric), the boundary patch faces to its perimeter and to the
    /// area of the surface of revolution, to round-off; every face segment is non-negative.
    #[test]
    fn volumes_and_patch_areas_are_exact() {
        let b = disk(1.0, 40, "rim");
        let mut spec = DelaunaySpec::new(CoordinateSystem::Cartesian, b, 0.15);
        spec.curves
            .push(Curve::circle([0.2, 0.0], 0.4, 24).with_patch("shell"));
        let dm = delaunay_mesh(&spec).unwrap();
        let area = 20.0 * (2.0 * PI / 40.0).sin();
        let m = &dm.mesh;
        assert!(
            (m.total_volume() - area).abs() < 1e-13 * area,
            "{}",
            m.total_volume()
        );
        assert!(dm.quality.min_face_ratio >= 0.0 && dm.quality.min_angle_deg > 20.0);
        let perimeter = 80.0 * (PI / 40.0).sin();
        let rim: f64 = m
            .patch_faces()
            .iter()
            .filter(|p| p.patch == 0)
            .map(|p| p.area)
            .sum();
        assert!((rim - perimeter).abs() < 1e-13, "{rim}");
        let shell: f64 = m
            .patch_faces()
            .iter()
            .filter(|p| p.patch == 1)
            .map(|p| p.area)
            .sum();
        assert!(
            (shell - 0.8 * 24.0 * (PI / 24.0).sin()).abs() < 1e-13,
            "{shell}"
        );
        // Outward normals on the rim.
        for pf in m.patch_faces().iter().filter(|p| p.patch == 0) {
            let x = m.position(pf.node as usize);
            assert!(pf.normal[0] * x[0] + pf.normal[1] * x[1] > 0.9);
        }
        // (r, z): half disk of radius 1 revolved, int r dA by the polygon formula.
        let b = half_disk(1.0, 0.5, 20);
        let dm = delaunay_mesh(&DelaunaySpec::new(
            CoordinateSystem::Axisymmetric,
            b.clone(),
            0.1,
        ))
        .unwrap();
        let n = b.points.len();
        let mut ir = 0.0;
        for k in 0..n {
            let (p, q) = (b.points[k], b.points[(k + 1) % n]);
            ir += (p[0] + q[0]) * cross(p, q) / 6.0;
        }
        let v = 2.0 * PI * ir.abs();
        assert!(
            (dm.mesh.total_volume() - v).abs() < 1e-13 * v,
            "{} {v}",
            dm.mesh.total_volume()
        );
        // Surface of revolution of the polygonal arc: sum of cone frusta 2 pi r_mid L.
        let mut s = 0.0;
        for k in 0..20 {
            let (p, q) = (b.points[k], b.points[k + 1]);
            s += PI * (p[0] + q[0]) * norm(sub(q, p));
        }
        let outer = dm.mesh.patch_index("outer").unwrap();
        let got: f64 = dm
            .mesh
            .patch_faces()
            .iter()
            .filter(|p| p.patch == outer)
            .map(|p| p.area)
            .sum();
        assert!((got - s).abs() < 1e-13 * s, "{got} {s}");
    }

    /// `-lap u = 1` on the disk of radius 1 with `u = 0` on the rim:
    /// `u = (1 - r^2)/4` (VoronoiFVM.jl's test case). The polygonal disk makes the error
    /// `O(h^2)`; measured (max nodal error, debug build):
    ///
    /// | h     | max error | order |
    /// |-------|-----------|-------|
    /// | 0.2   | 2.402e-3  |       |
    /// | 0.1   | 6.212e-4  | 1.95  |
    /// | 0.05  | 1.554e-4  | 2.00  |
    /// | 0.025 | 3.885e-5  | 2.00  |
    #[test]
    fn poisson_on_a_disk_is_second_order() {
        let mut errs = vec![];
        for h in [0.2, 0.1, 0.05, 0.025] {
            let segments = (2.0 * PI / h).ceil() as usize;
            let dm = delaunay_mesh(&DelaunaySpec::new(
                CoordinateSystem::Cartesian,
                disk(1.0, segments, "rim"),
                h,
            ))
            .unwrap();
            let mesh = Arc::new(dm.mesh.clone());
            let s = solve_potential(&PotentialProblem {
                kind: FieldKind::Electric,
                mesh: mesh.clone(),
                materials: vec![RegionMaterial::Medium {
                    relative: 1.0,
                    charge_density: VACUUM_PERMITTIVITY,
                    polarization: [0.0; 3],
                }],
                patches: vec![PatchCondition::Potential(0.0)],
                node_potential: vec![],
                solver: SolverChoice::Auto,
            })
            .unwrap();
            let e = (0..mesh.nodes())
                .map(|i| {
                    let x = mesh.position(i);
                    (s.potential[i] - 0.25 * (1.0 - x[0] * x[0] - x[1] * x[1])).abs()
                })
                .fold(0.0, f64::max);
            eprintln!("disk h {h} nodes {} error {e:.3e}", mesh.nodes());
            errs.push(e);
        }
        let o = order(&errs);
        eprintln!("orders {o:?}");
        assert!(o.iter().all(|&x| x > 1.7), "{errs:?} {o:?}");
    }

    /// Dielectric cylinder (radius 1, eps_i = 4) in a uniform field `E0 = 1` along x in
    /// eps_o = 1: inside `E = 2 eps_o/(eps_i + eps_o) E0 = 0.4` (Jackson, Classical
    /// Electrodynamics, 3rd ed., problem 4.10); outside
    /// `phi = -E0 x (1 - (eps_i - eps_o)/(eps_i + eps_o) a^2/r^2)`, imposed on the circle of
    /// radius 10. The interface is made of triangle edges, so the field converges at second
    /// order (relative errors of the mean interior field and the field at the centre node):
    ///
    /// | h at the interface | mean field | order | centre | order |
    /// |--------------------|------------|-------|--------|-------|
    /// | 0.2   | 1.038e-2 |      | 1.029e-2 |      |
    /// | 0.1   | 3.030e-3 | 1.78 | 3.020e-3 | 1.77 |
    /// | 0.05  | 7.950e-4 | 1.93 | 7.937e-4 | 1.93 |
    /// | 0.025 | 2.008e-4 | 1.98 | 2.007e-4 | 1.98 |
    ///
    /// (442 to 21962 nodes; the size field and the outer edge length scale together.)
    #[test]
    fn dielectric_cylinder_in_a_uniform_field_is_second_order() {
        let (a, big, ei) = (1.0, 10.0, 4.0);
        let beta = (ei - 1.0) / (ei + 1.0);
        let exact = 2.0 / (ei + 1.0);
        let (mut em, mut ec) = (vec![], vec![]);
        for sc in [1.0, 0.5, 0.25, 0.125] {
            let ha = 0.2 * sc;
            let inner = Curve::circle([0.0, 0.0], a, (2.0 * PI * a / ha).ceil() as usize);
            let outer_n = (2.0 * PI * big / (2.5 * sc)).ceil() as usize;
            let mut spec = DelaunaySpec::new(
                CoordinateSystem::Cartesian,
                disk(big, outer_n, "outer"),
                2.5 * sc,
            );
            spec.regions
                .push(polygon_region("cylinder", inner.points.clone()));
            spec.curves.push(inner);
            spec.points.push([0.0, 0.0]);
            spec.near.push(SizeNear {
                shape: Arc::new(Sphere::new([0.0; 3], a).unwrap()),
                h: ha,
                growth: 0.5 * sc,
            });
            let dm = delaunay_mesh(&spec).unwrap();
            let g = |x: [f64; 3]| {
                let r2 = x[0] * x[0] + x[1] * x[1];
                -x[0] * (1.0 - beta * a * a / r2)
            };
            let u = solve_dirichlet(&dm, &[1.0, ei], &[[0.0; 2]; 2], "outer", g);
            let mean = mean_field(&dm, &u, 1);
            let c = node_at(&dm, [0.0, 0.0]);
            let centre = -node_gradient(&dm.mesh, &u)[c][0];
            em.push((mean[0] - exact).abs() / exact);
            ec.push((centre - exact).abs() / exact);
            eprintln!(
                "cylinder h {ha} nodes {} min angle {:.1} mean {:.3e} centre {:.3e}",
                dm.mesh.nodes(),
                dm.quality.min_angle_deg,
                em.last().unwrap(),
                ec.last().unwrap()
            );
        }
        let (om, oc) = (order(&em), order(&ec));
        eprintln!("orders mean {om:?} centre {oc:?}");
        // The coarsest pair is pre-asymptotic (1.78); the finer pairs are asserted.
        assert!(
            om[1..].iter().chain(&oc[1..]).all(|&x| x > 1.8),
            "{em:?} {ec:?} {om:?} {oc:?}"
        );
    }

    /// The sphere of radius `a` in (r, z) on the half disk of radius `big`, fine near the
    /// sphere, the arc an interface curve, region 1 = `sphere`.
    fn sphere_mesh(a: f64, big: f64, sc: f64) -> DelaunayMesh {
        let ha = 0.2 * sc;
        let ns = (PI * a / ha).ceil() as usize;
        let mut arc = Curve::arc([0.0, 0.0], a, -PI / 2.0, PI / 2.0, ns, false);
        arc.points[0][0] = 0.0;
        arc.points[ns][0] = 0.0;
        let outer_n = (PI * big / (2.5 * sc)).ceil() as usize;
        let mut spec = DelaunaySpec::new(
            CoordinateSystem::Axisymmetric,
            half_disk(big, a, outer_n),
            2.5 * sc,
        );
        spec.regions
            .push(polygon_region("sphere", arc.points.clone()));
        spec.curves.push(arc);
        spec.near.push(SizeNear {
            shape: Arc::new(Sphere::new([0.0; 3], a).unwrap()),
            h: ha,
            growth: 0.5 * sc,
        });
        delaunay_mesh(&spec).unwrap_or_else(|e| panic!("sphere mesh at scale {sc}: {e}"))
    }

    /// Run a sphere problem on four meshes; `field(dm, u)` gives the (mean, centre) `z`
    /// field, compared with `exact`.
    fn sphere_orders(
        label: &str,
        exact: f64,
        solve: impl Fn(&DelaunayMesh) -> Vec<f64>,
    ) -> (Vec<f64>, Vec<f64>) {
        let (mut em, mut ec) = (vec![], vec![]);
        for sc in [1.0, 0.5, 0.25, 0.125] {
            let dm = sphere_mesh(1.0, 10.0, sc);
            let u = solve(&dm);
            let mean = mean_field(&dm, &u, 1)[1];
            let c = node_at(&dm, [0.0, 0.0]);
            let centre = -node_gradient(&dm.mesh, &u)[c][1];
            em.push(((mean - exact) / exact).abs());
            ec.push(((centre - exact) / exact).abs());
            eprintln!(
                "{label} h {} nodes {} mean {:.3e} centre {:.3e}",
                0.2 * sc,
                dm.mesh.nodes(),
                em.last().unwrap(),
                ec.last().unwrap()
            );
        }
        let (om, oc) = (order(&em), order(&ec));
        eprintln!("{label} orders mean {om:?} centre {oc:?}");
        (om, oc)
    }

    /// Dielectric sphere (radius 1, eps_i = 4) in a uniform field `E0 = 1` along z in
    /// eps_o = 1, in (r, z): inside `E = 3 eps_o/(eps_i + 2 eps_o) E0 = 0.5` (Jackson,
    /// Classical Electrodynamics, 3rd ed., sec. 4.4); outside
    /// `phi = -E0 z (1 - (eps_i - eps_o)/(eps_i + 2 eps_o) a^3/rho^3)` on the half circle
    /// of radius 10, the axis a natural (symmetry) patch.
    ///
    /// | h at the interface | mean field | order | centre | order |
    /// |--------------------|------------|-------|--------|-------|
    /// | 0.2   | 1.781e-2 |      | 1.769e-2 |      |
    /// | 0.1   | 5.021e-3 | 1.83 | 5.005e-3 | 1.82 |
    /// | 0.05  | 1.278e-3 | 1.97 | 1.275e-3 | 1.97 |
    /// | 0.025 | 3.281e-4 | 1.96 | 3.280e-4 | 1.96 |
    #[test]
    fn dielectric_sphere_in_rz_is_second_order() {
        let ei = 4.0;
        let beta = (ei - 1.0) / (ei + 2.0);
        let (om, oc) = sphere_orders("dielectric sphere", 3.0 / (ei + 2.0), |dm| {
            solve_dirichlet(dm, &[1.0, ei], &[[0.0; 2]; 2], "outer", |x| {
                let rho3 = (x[0] * x[0] + x[1] * x[1]).powf(1.5);
                -x[1] * (1.0 - beta / rho3)
            })
        });
        assert!(
            om[1..].iter().chain(&oc[1..]).all(|&x| x > 1.8),
            "{om:?} {oc:?}"
        );
    }

    /// Uniformly magnetized sphere (radius `a = 1`, `M = 1` A/m along z, `mu_r = 1`) in
    /// (r, z) by [`solve_potential`] with [`FieldKind::Magnetic`]: inside `H = -M/3`
    /// (Jackson, Classical Electrodynamics, 3rd ed., sec. 5.10), outside the dipole
    /// `Phi_M = M a^3 z / (3 rho^3)`. The outer half circle `rho = R = 10` is held at
    /// `Phi_M = 0`, which adds the uniform potential `-M a^3 z / (3 R^3)` everywhere (it is
    /// harmonic and keeps the interface conditions), so the exact interior field is
    /// `H = -(M/3)(1 - a^3/R^3)`.
    ///
    /// | h at the interface | mean field | order | centre | order |
    /// |--------------------|------------|-------|--------|-------|
    /// | 0.2   | 3.476e-2 |      | 3.451e-2 |      |
    /// | 0.1   | 9.975e-3 | 1.80 | 9.937e-3 | 1.80 |
    /// | 0.05  | 2.550e-3 | 1.97 | 2.545e-3 | 1.97 |
    /// | 0.025 | 6.561e-4 | 1.96 | 6.556e-4 | 1.96 |
    ///
    /// (254 to 11274 nodes.)
    #[test]
    fn magnetized_sphere_in_rz_is_second_order() {
        let (m, big) = (1.0, 10.0);
        let exact = -(m / 3.0) * (1.0 - 1.0 / (big * big * big));
        let (om, oc) = sphere_orders("magnetized sphere", exact, |dm| {
            let mesh = Arc::new(dm.mesh.clone());
            let patches = mesh
                .patches()
                .iter()
                .map(|p| match p.name.as_str() {
                    "outer" => PatchCondition::Potential(0.0),
                    _ => PatchCondition::Natural,
                })
                .collect();
            let mut materials = vec![RegionMaterial::VACUUM; 2];
            materials[mesh.region_index("sphere").unwrap() as usize] = RegionMaterial::Medium {
                relative: 1.0,
                charge_density: 0.0,
                polarization: [0.0, m, 0.0],
            };
            solve_potential(&PotentialProblem {
                kind: FieldKind::Magnetic,
                mesh,
                materials,
                patches,
                node_potential: vec![],
                solver: SolverChoice::Auto,
            })
            .unwrap()
            .potential
        });
        assert!(
            om[1..].iter().chain(&oc[1..]).all(|&x| x > 1.8),
            "{om:?} {oc:?}"
        );
    }

    /// Inputs that cannot make a mesh are refused with errors naming the value.
    #[test]
    fn bad_inputs_are_refused() {
        let spec = DelaunaySpec::new(CoordinateSystem::Cartesian, disk(1.0, 12, "rim"), -1.0);
        assert!(delaunay_mesh(&spec).unwrap_err().to_string().contains("-1"));
        let spec = DelaunaySpec::new(CoordinateSystem::Axisymmetric, disk(1.0, 12, "rim"), 0.5);
        assert!(delaunay_mesh(&spec)
            .unwrap_err()
            .to_string()
            .contains("r < 0"));
        let mut spec = DelaunaySpec::new(CoordinateSystem::Cartesian, disk(1.0, 12, "rim"), 0.5);
        spec.curves.push(Curve::circle([0.9, 0.0], 0.5, 12));
        assert!(delaunay_mesh(&spec)
            .unwrap_err()
            .to_string()
            .contains("crosses"));
        let mut spec = DelaunaySpec::new(CoordinateSystem::Cartesian, disk(1.0, 12, "rim"), 0.5);
        spec.boundary.patches.pop();
        assert!(delaunay_mesh(&spec).is_err());
    }
}
