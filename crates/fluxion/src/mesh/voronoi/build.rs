//! Construction of the mesh: constrained Delaunay triangulation, refinement, and the
//! Voronoi boxes (steps 1-4 of the module docs).

use super::super::fv::{Mesh, MeshParts, Patch, PatchFace, PatchKind};
use super::super::shapes::Polygon;
use super::boxes::voronoi_boxes;
use super::order::hilbert_numbering;
use super::{
    cross, dot, norm, segment_distance, sub, BuildTimes, CoordinateSystem, DelaunayMesh,
    DelaunaySpec, MeshQuality, VoronoiError,
};
use spade::{
    AngleLimit, ConstrainedDelaunayTriangulation, Point2, PositionInTriangulation,
    RefinementParameters, Triangulation,
};
use std::f64::consts::PI;
use std::time::Instant;

/// An input constraint segment: end points, patch (if any), boundary or interface.
struct InputSegment {
    a: [f64; 2],
    b: [f64; 2],
    patch: Option<u16>,
    boundary: bool,
}

type Cdt = ConstrainedDelaunayTriangulation<Point2<f64>>;

/// Build the Delaunay-Voronoi mesh of `spec` (see the module docs).
pub fn delaunay_mesh(spec: &DelaunaySpec) -> Result<DelaunayMesh, VoronoiError> {
    delaunay_mesh_timed(spec).map(|(m, _)| m)
}

/// What the size-field pass last found for a triangle (a spade face): its vertices, then
/// whether its centroid is outside the domain, or it is small enough, or too large.
#[derive(Clone, Copy, PartialEq)]
struct FaceClass {
    vertices: [u32; 3],
    kind: FaceKind,
}

#[derive(Clone, Copy, PartialEq)]
enum FaceKind {
    Unknown,
    Outside,
    Fine,
    TooLarge,
}

/// Centroid of a triangle.
#[inline]
fn centroid(p: [[f64; 2]; 3]) -> [f64; 2] {
    [
        (p[0][0] + p[1][0] + p[2][0]) / 3.0,
        (p[0][1] + p[1][1] + p[2][1]) / 3.0,
    ]
}

/// [`delaunay_mesh`] with the wall time of each phase.
///
/// The size field is enforced in passes (insert the centroid of every domain triangle whose
/// longest edge exceeds `1.2 h(centroid)`, then refine); a triangle's verdict is kept while
/// its vertices stay the same, so a pass only looks at the triangles the last one changed,
/// and each centroid is inserted starting from a vertex of its triangle.
pub fn delaunay_mesh_timed(
    spec: &DelaunaySpec,
) -> Result<(DelaunayMesh, BuildTimes), VoronoiError> {
    let mut times = BuildTimes::default();
    let mut clock = Instant::now();
    let mut lap = || {
        let t = clock.elapsed().as_secs_f64();
        clock = Instant::now();
        t
    };
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
    times.triangulation = lap();
    // Size field: insert centroids of too-large triangles inside the domain, then refine.
    let unknown = FaceClass {
        vertices: [u32::MAX; 3],
        kind: FaceKind::Unknown,
    };
    let mut class: Vec<FaceClass> = Vec::new();
    if !spec.near.is_empty() {
        let mut add = Vec::new();
        for _pass in 0..60 {
            add.clear();
            class.resize(cdt.num_all_faces(), unknown);
            for f in cdt.inner_faces() {
                let vs = f.vertices();
                let ids = vs.map(|v| v.fix().index() as u32);
                let c = &mut class[f.fix().index()];
                if c.vertices == ids && matches!(c.kind, FaceKind::Outside | FaceKind::Fine) {
                    continue;
                }
                let p = vs.map(|v| to_global(v.position()));
                let g = centroid(p);
                let kind = if !outer.contains(g[0], g[1]) {
                    FaceKind::Outside
                } else {
                    let longest = (0..3)
                        .map(|k| norm(sub(p[(k + 1) % 3], p[k])))
                        .fold(0.0, f64::max);
                    if longest > 1.2 * spec.size(g[0], g[1]) {
                        add.push((to_local(g), vs[0].fix()));
                        FaceKind::TooLarge
                    } else {
                        FaceKind::Fine
                    }
                };
                *c = FaceClass {
                    vertices: ids,
                    kind,
                };
            }
            if add.is_empty() {
                break;
            }
            times.size_passes += 1;
            if cdt.num_vertices() + add.len() > max_vertices {
                return Err(VoronoiError::TooLarge {
                    limit: max_vertices,
                    h: min_h,
                });
            }
            // A point strictly inside a triangle (or on a vertex) is found the same from
            // any start, so it is inserted from a vertex of the triangle it was the
            // centroid of. On an edge, which of its two directions the walk of `insert`
            // reports (so the order in which the triangulation stores its new triangles,
            // hence the node order) depends on the start: there the walk starts as
            // `insert`'s does, from the last inserted vertex. The first point of a pass
            // uses `insert` itself.
            let mut last = None;
            for &(p, hint) in &add {
                let v = match last {
                    None => cdt.insert(p),
                    Some(prev) => match cdt.locate_with_hint(p, hint) {
                        PositionInTriangulation::OnFace(_)
                        | PositionInTriangulation::OnVertex(_) => cdt.insert_with_hint(p, hint),
                        _ => cdt.insert_with_hint(p, prev),
                    },
                };
                last = Some(v.map_err(terr)?);
            }
            refine(&mut cdt)?;
        }
    }
    times.size_field = lap();

    // Domain triangles and their nodes.
    let position: Vec<[f64; 2]> = cdt.vertices().map(|v| to_global(v.position())).collect();
    class.resize(cdt.num_all_faces(), unknown);
    let mut in_domain = vec![false; cdt.num_all_faces()];
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
        let mut ids = f.vertices().map(|v| v.fix().index());
        let mut p = ids.map(|i| position[i]);
        let g = centroid(p);
        let c = class[f.fix().index()];
        let inside = if c.vertices == ids.map(|i| i as u32) && c.kind != FaceKind::Unknown {
            c.kind != FaceKind::Outside
        } else {
            outer.contains(g[0], g[1])
        };
        if !inside {
            continue;
        }
        in_domain[f.fix().index()] = true;
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
    drop(class);
    if triangles.is_empty() {
        return invalid("the outer boundary encloses no triangle".into());
    }
    // Renumber the nodes along a Hilbert curve and sort the triangles by their nodes, so
    // that the face loops of the assembly find neighbours close in memory (`order.rs`).
    let new_of = hilbert_numbering(&node);
    let mut renumbered = vec![[0.0; 3]; node.len()];
    for (old, p) in node.iter().enumerate() {
        renumbered[new_of[old] as usize] = *p;
    }
    let node = renumbered;
    for n in node_of.iter_mut().filter(|n| **n != u32::MAX) {
        *n = new_of[*n as usize];
    }
    let mut keyed: Vec<([u32; 3], u16)> = triangles
        .iter()
        .zip(&triangle_region)
        .map(|(t, &r)| (t.map(|n| new_of[n as usize]), r))
        .collect();
    drop(new_of);
    keyed.sort_by_key(|(t, _)| (*t.iter().min().expect("3 nodes"), *t));
    let (triangles, triangle_region): (Vec<[u32; 3]>, Vec<u16>) = keyed.into_iter().unzip();
    times.triangles = lap();

    let boxes = voronoi_boxes(&node, &triangles, &triangle_region, axi, max_edge)?;
    times.voronoi = lap();

    // Patch faces: edges on one domain triangle (boundary) or constraint edges between two.
    let w = |r: f64| if axi { 2.0 * PI * r } else { 1.0 };
    let mut patch_faces = Vec::new();
    for e in cdt.undirected_edges() {
        let [va, vb] = e.vertices().map(|v| v.fix().index());
        let (na, nb2) = (node_of[va], node_of[vb]);
        if na == u32::MAX || nb2 == u32::MAX {
            continue;
        }
        let d = e.as_directed();
        let sides: usize = [d, d.rev()]
            .iter()
            .filter(|d| {
                d.face()
                    .as_inner()
                    .is_some_and(|f| in_domain[f.fix().index()])
            })
            .count();
        if sides == 0 {
            continue;
        }
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
    times.patches = lap();
    let mesh = Mesh::new(
        spec.coordinates,
        MeshParts {
            dim: 2,
            node,
            regions,
            node_part_ptr: boxes.node_part_ptr,
            node_part: boxes.node_part,
            face_nodes: boxes.face_nodes,
            face_distance: boxes.face_distance,
            face_segment_ptr: boxes.face_segment_ptr,
            segment_area: boxes.segment_area,
            segment_part_ptr: boxes.segment_part_ptr,
            segment_part: boxes.segment_part,
            patches,
            patch_faces,
            shape: None,
        },
    )?;
    times.mesh = lap();
    let dm = DelaunayMesh {
        mesh,
        quality: MeshQuality {
            min_angle_deg: min_angle,
            min_face_ratio: boxes.min_face_ratio,
            max_edge,
            triangles: triangles.len(),
        },
        triangles,
        triangle_region,
    };
    Ok((dm, times))
}
