//! Construction of the mesh: constrained Delaunay triangulation, refinement, and the
//! Voronoi boxes (steps 1-4 of the module docs).

use super::super::fv::{Mesh, MeshParts, Patch, PatchFace, PatchKind};
use super::super::shapes::Polygon;
use super::{
    cross, dot, norm, segment_distance, sub, CoordinateSystem, DelaunayMesh, DelaunaySpec,
    MeshQuality, VoronoiError,
};
use spade::{
    AngleLimit, ConstrainedDelaunayTriangulation, Point2, RefinementParameters, Triangulation,
};
use std::collections::HashMap;
use std::f64::consts::PI;

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
