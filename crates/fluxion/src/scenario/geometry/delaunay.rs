//! `[mesh] kind = "delaunay"`: a boundary-conforming Delaunay triangulation with Voronoi
//! boxes ([`crate::mesh::delaunay_mesh`]) in 2D Cartesian or axisymmetric `(r, z)`
//! coordinates, whose triangle edges follow the surfaces of the round regions (circles in
//! 2D, spheres centred on the axis in `(r, z)`), so the two-point flux is second order at
//! curved material interfaces (on tensor meshes it is first order there).
//!
//! ```toml
//! [mesh]
//! kind = "delaunay"
//! coordinates = "cartesian2d"          # or "axisymmetric"
//! outer = { kind = "circle", radius = "10 um" }   # or { kind = "box", lo = [..], hi = [..] }
//! h = "1 um"                           # largest edge length
//! h_surface = "0.05 um"                # edge length on the region surfaces (optional)
//! ```
//!
//! Patches: a box has `xmin`, `xmax`, `ymin`, `ymax` (`(r, z)`: `axis` or `rmin`, `rmax`,
//! `zmin`, `zmax`); a circle has `outer` (in `(r, z)` a half disk: `axis` and `outer`),
//! then the interfaces (`surface_of`). The centre of every round region is a node.
//!
//! A general domain is a polygon with a patch name per edge (the edge from vertex `k` to
//! vertex `k + 1`, the last edge closing it; in `(r, z)` the edges on `r = 0` are named
//! `axis`), and `near` grades the edge length towards points or patches
//! (`h(x) <= h_near + growth * distance`):
//!
//! ```toml
//! outer = { kind = "polygon", vertices = [["0 um", "-5 um"], ["5 um", "-5 um"], ...],
//!           patches = ["tip_reservoir", "tip_reservoir", ...] }
//! near = [{ at = ["10 nm", "0 nm"], h = "2 nm", growth = 0.1 },
//!         { patch = "pore_wall", h = "100 nm", growth = 0.1 }]
//! ```

use std::f64::consts::PI;
use std::sync::Arc;

use toml::{Spanned, Value};

use super::{MeshKind, RawMesh, RegionShape};
use crate::mesh::{
    delaunay_mesh, CoordinateSystem, Curve, DelaunayMesh, DelaunaySpec, Extruded, OuterBoundary,
    Polygon, RegionRule, Shape, SizeNear, Sphere,
};
use crate::scenario::Ctx;
use crate::units::dims;

/// The `outer` boundary of a Delaunay mesh.
#[derive(serde::Deserialize, Debug)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawOuter {
    kind: Spanned<String>,
    lo: Option<Vec<Spanned<Value>>>,
    hi: Option<Vec<Spanned<Value>>>,
    radius: Option<Spanned<Value>>,
    vertices: Option<Vec<Spanned<Vec<Spanned<Value>>>>>,
    patches: Option<Vec<Spanned<String>>>,
}

/// One entry of `near`: a point (`at`) or a patch of the polygon (`patch`) to refine at.
#[derive(serde::Deserialize, Debug)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawNear {
    at: Option<Vec<Spanned<Value>>>,
    patch: Option<Spanned<String>>,
    h: Spanned<Value>,
    growth: Option<Spanned<Value>>,
}

/// Largest number of polygon vertices.
const MAX_POLYGON_VERTICES: usize = 100_000;

/// Growth of the edge length with the distance `d` from a round surface of radius `a`:
/// `h(d) = h_surface (1 + GROWTH d / a)` (capped at `h`), so halving `h` and `h_surface`
/// halves every edge (self-similar refinement, as convergence orders need).
const GROWTH: f64 = 2.5;

/// A validated Delaunay `[mesh]`, before the regions are known.
pub(super) struct DelaunayInput {
    /// `Cartesian2d` or `Axisymmetric`.
    pub kind: MeshKind,
    /// Box `(lo, hi)` or circle radius (centred at the origin).
    outer: Outer,
    h: f64,
    h_surface: Option<f64>,
    /// Local refinement: `(point or patch, h, growth)`.
    near: Vec<(NearTo, f64, f64)>,
}

enum Outer {
    Box([f64; 2], [f64; 2]),
    Circle(f64),
    /// Vertices and the patch of each edge.
    Polygon(Vec<[f64; 2]>, Vec<String>),
}

enum NearTo {
    Point([f64; 2]),
    Patch(String),
}

/// The union of some polygon edges, as a [`Shape`] whose distance is that to the nearest
/// edge (for the size field; it contains no point).
#[derive(Debug)]
struct Edges(Vec<([f64; 2], [f64; 2])>);

impl Shape for Edges {
    fn inside(&self, _p: [f64; 3]) -> bool {
        false
    }
    fn crossings(&self, _p0: [f64; 3], _p1: [f64; 3], _out: &mut Vec<f64>) {}
    fn signed_distance(&self, p: [f64; 3]) -> f64 {
        self.0
            .iter()
            .map(|&(a, b)| {
                let (ab, ap) = ([b[0] - a[0], b[1] - a[1]], [p[0] - a[0], p[1] - a[1]]);
                let l2 = ab[0] * ab[0] + ab[1] * ab[1];
                let t = if l2 > 0.0 {
                    ((ap[0] * ab[0] + ap[1] * ab[1]) / l2).clamp(0.0, 1.0)
                } else {
                    0.0
                };
                (ap[0] - t * ab[0]).hypot(ap[1] - t * ab[1])
            })
            .fold(f64::INFINITY, f64::min)
    }
}

impl DelaunayInput {
    /// The bounding box as two-node axes (for the inside checks of probes).
    pub fn bounds(&self) -> Vec<Vec<f64>> {
        let ax = self.kind == MeshKind::Axisymmetric;
        match &self.outer {
            Outer::Box(lo, hi) => vec![vec![lo[0], hi[0]], vec![lo[1], hi[1]]],
            Outer::Circle(r) => vec![vec![if ax { 0.0 } else { -r }, *r], vec![-r, *r]],
            Outer::Polygon(v, _) => (0..2)
                .map(|c| {
                    let lo = v.iter().map(|p| p[c]).fold(f64::INFINITY, f64::min);
                    let hi = v.iter().map(|p| p[c]).fold(f64::NEG_INFINITY, f64::max);
                    vec![lo, hi]
                })
                .collect(),
        }
    }

    /// Whether `r` starts at 0 in `(r, z)` (patch 0 is then `axis`).
    pub fn r0_is_axis(&self) -> bool {
        self.kind == MeshKind::Axisymmetric
            && match &self.outer {
                Outer::Box(lo, _) => lo[0] == 0.0,
                Outer::Circle(_) => true,
                // The axis patch of a polygon is wherever its `axis` edges are (by name).
                Outer::Polygon(..) => false,
            }
    }
}

/// Validate the Delaunay keys of `[mesh]`.
pub(super) fn parse(m: &RawMesh, span: &Spanned<RawMesh>, cx: &mut Ctx) -> Option<DelaunayInput> {
    for (name, a) in [("x", &m.x), ("y", &m.y), ("z", &m.z), ("r", &m.r)] {
        if let Some(a) = a {
            cx.push(
                format!("mesh.{name}"),
                format!("a delaunay mesh has no axes (its extent is `outer`, its spacing `h`); remove `{name}`"),
                Some(a.span()),
            );
        }
    }
    let Some(c) = &m.coordinates else {
        cx.push(
            "mesh.coordinates",
            "a delaunay mesh needs its coordinates: coordinates = \"cartesian2d\" or \"axisymmetric\"",
            Some(span.span()),
        );
        return None;
    };
    let kind = match cx.choice(c, "mesh.coordinates", &["cartesian2d", "axisymmetric"])? {
        "cartesian2d" => MeshKind::Cartesian2d,
        _ => MeshKind::Axisymmetric,
    };
    let Some(o) = &m.outer else {
        cx.push(
            "mesh.outer",
            "a delaunay mesh needs its outer boundary, e.g. outer = { kind = \"circle\", radius = \"10 um\" } or outer = { kind = \"box\", lo = [\"0 um\", \"0 um\"], hi = [\"10 um\", \"10 um\"] }",
            Some(span.span()),
        );
        return None;
    };
    let oo = o.get_ref();
    let outer = match cx.choice(&oo.kind, "mesh.outer.kind", &["box", "circle", "polygon"])? {
        "polygon" => polygon(oo, o, kind, cx)?,
        "box" => {
            if oo.radius.is_some() {
                cx.push(
                    "mesh.outer.radius",
                    "a box takes lo and hi; remove `radius`",
                    Some(o.span()),
                );
                return None;
            }
            let (Some(lo), Some(hi)) = (&oo.lo, &oo.hi) else {
                cx.push("mesh.outer", "a box needs lo and hi, e.g. lo = [\"0 um\", \"0 um\"], hi = [\"10 um\", \"10 um\"]", Some(o.span()));
                return None;
            };
            let lo = cx.point(lo, "mesh.outer.lo", kind, Some(o.span()));
            let hi = cx.point(hi, "mesh.outer.hi", kind, Some(o.span()));
            let (lo, hi) = (lo?, hi?);
            if !(lo[0] < hi[0] && lo[1] < hi[1]) || (kind == MeshKind::Axisymmetric && lo[0] < 0.0)
            {
                cx.push(
                    "mesh.outer",
                    "the box must have lo < hi in both coordinates (and r >= 0 in (r, z))",
                    Some(o.span()),
                );
                return None;
            }
            Outer::Box([lo[0], lo[1]], [hi[0], hi[1]])
        }
        _ => {
            if oo.lo.is_some() || oo.hi.is_some() {
                cx.push(
                    "mesh.outer",
                    "a circle takes radius (centred at the origin); remove lo and hi",
                    Some(o.span()),
                );
                return None;
            }
            let Some(r) = &oo.radius else {
                cx.push(
                    "mesh.outer",
                    "a circle needs radius, e.g. radius = \"10 um\"",
                    Some(o.span()),
                );
                return None;
            };
            Outer::Circle(cx.positive(r, "mesh.outer.radius", dims::LENGTH, "the radius")?)
        }
    };
    let Some(hv) = &m.h else {
        cx.push(
            "mesh.h",
            "a delaunay mesh needs its largest edge length, e.g. h = \"1 um\"",
            Some(span.span()),
        );
        return None;
    };
    let h = cx.positive(hv, "mesh.h", dims::LENGTH, "the edge length h")?;
    let h_surface = match &m.h_surface {
        None => None,
        Some(v) => {
            let hs = cx.positive(v, "mesh.h_surface", dims::LENGTH, "h_surface")?;
            if hs > h {
                cx.push("mesh.h_surface", format!("h_surface = {hs:e} m is above h = {h:e} m: it is the finer edge length on the region surfaces; lower it or remove it"), Some(v.span()));
                return None;
            }
            Some(hs)
        }
    };
    let near = parse_near(m, &outer, kind, cx)?;
    let input = DelaunayInput {
        kind,
        outer,
        h,
        h_surface,
        near,
    };
    let b = input.bounds();
    let size = (b[0][1] - b[0][0]).max(b[1][1] - b[1][0]);
    if h > size {
        cx.push(
            "mesh.h",
            format!("h = {h:e} m is larger than the domain ({size:e} m across); use at most a tenth of it"),
            Some(hv.span()),
        );
        return None;
    }
    Some(input)
}

/// `outer = { kind = "polygon", vertices, patches }`.
fn polygon(oo: &RawOuter, o: &Spanned<RawOuter>, kind: MeshKind, cx: &mut Ctx) -> Option<Outer> {
    if oo.lo.is_some() || oo.hi.is_some() || oo.radius.is_some() {
        cx.push(
            "mesh.outer",
            "a polygon takes vertices and patches; remove lo, hi and radius",
            Some(o.span()),
        );
        return None;
    }
    let (Some(vs), Some(ps)) = (&oo.vertices, &oo.patches) else {
        cx.push(
            "mesh.outer",
            "a polygon needs vertices (a list of points) and patches (one name per edge, the edge from vertex k to vertex k + 1, the last one closing the polygon)",
            Some(o.span()),
        );
        return None;
    };
    if vs.len() < 3 || vs.len() > MAX_POLYGON_VERTICES || ps.len() != vs.len() {
        cx.push(
            "mesh.outer",
            format!(
                "a polygon needs 3 to {MAX_POLYGON_VERTICES} vertices and one patch name per edge (as many as vertices); got {} vertices and {} patches",
                vs.len(),
                ps.len()
            ),
            Some(o.span()),
        );
        return None;
    }
    let mut pts = vec![];
    for (i, v) in vs.iter().enumerate() {
        let p = cx.point(
            v.get_ref(),
            &format!("mesh.outer.vertices[{i}]"),
            kind,
            Some(v.span()),
        )?;
        if kind == MeshKind::Axisymmetric && p[0] < 0.0 {
            cx.push(
                format!("mesh.outer.vertices[{i}]"),
                format!(
                    "r = {:e} m is negative: an (r, z) domain lies at r >= 0",
                    p[0]
                ),
                Some(v.span()),
            );
            return None;
        }
        pts.push([p[0], p[1]]);
    }
    let mut names = vec![];
    for (i, n) in ps.iter().enumerate() {
        let s = n.get_ref();
        if s.is_empty()
            || !s
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-')
        {
            cx.push(
                format!("mesh.outer.patches[{i}]"),
                format!("\"{s}\" cannot name a patch (it keys summary.json): use letters, digits, '_' or '-'"),
                Some(n.span()),
            );
            return None;
        }
        if kind == MeshKind::Axisymmetric {
            let (a, b) = (pts[i], pts[(i + 1) % pts.len()]);
            let on_axis = a[0] == 0.0 && b[0] == 0.0;
            if on_axis != (s == "axis") {
                cx.push(
                    format!("mesh.outer.patches[{i}]"),
                    if on_axis {
                        format!("the edge from vertex {i} to {} lies on the axis r = 0: name it \"axis\" (a symmetry line takes no condition)", (i + 1) % pts.len())
                    } else {
                        format!("\"axis\" names the edges on r = 0; the edge from vertex {i} to {} is not on it: give it another name", (i + 1) % pts.len())
                    },
                    Some(n.span()),
                );
                return None;
            }
        }
        names.push(s.clone());
    }
    if let Err(e) = Polygon::new(pts.clone()) {
        cx.push("mesh.outer.vertices", format!("{e}"), Some(o.span()));
        return None;
    }
    Some(Outer::Polygon(pts, names))
}

/// `near = [{ at | patch, h, growth }]`.
fn parse_near(
    m: &RawMesh,
    outer: &Outer,
    kind: MeshKind,
    cx: &mut Ctx,
) -> Option<Vec<(NearTo, f64, f64)>> {
    let mut out = vec![];
    for (i, n) in m.near.iter().flatten().enumerate() {
        let key = format!("mesh.near[{i}]");
        let nn = n.get_ref();
        let to = match (&nn.at, &nn.patch) {
            (Some(at), None) => {
                let p = cx.point(at, &format!("{key}.at"), kind, Some(n.span()))?;
                NearTo::Point([p[0], p[1]])
            }
            (None, Some(p)) => {
                let Outer::Polygon(_, names) = outer else {
                    cx.push(
                        format!("{key}.patch"),
                        "refinement towards a patch needs a polygon outer boundary; refine towards points with at = [...], or use h_surface for round regions",
                        Some(p.span()),
                    );
                    return None;
                };
                if !names.contains(p.get_ref()) {
                    let mut list = names.clone();
                    list.dedup();
                    cx.push(
                        format!("{key}.patch"),
                        format!(
                            "no polygon patch \"{}\"; the patches are {}",
                            p.get_ref(),
                            list.join(", ")
                        ),
                        Some(p.span()),
                    );
                    return None;
                }
                NearTo::Patch(p.get_ref().clone())
            }
            _ => {
                cx.push(
                    key,
                    "give either at = [...] (a point) or patch = \"name\" (a polygon patch) to refine towards",
                    Some(n.span()),
                );
                return None;
            }
        };
        let h = cx.positive(&nn.h, &format!("{key}.h"), dims::LENGTH, "the edge length")?;
        let g = match &nn.growth {
            None => 0.2,
            Some(v) => match cx.number(v, &format!("{key}.growth"), "growth = 0.2") {
                Some(g) if (0.0..=10.0).contains(&g) => g,
                Some(g) => {
                    cx.push(
                        format!("{key}.growth"),
                        format!("growth {g} (edge length gained per unit distance) must lie in [0, 10]; 0.1-0.3 grades smoothly"),
                        Some(v.span()),
                    );
                    return None;
                }
                None => return None,
            },
        };
        out.push((to, h, g));
    }
    Some(out)
}

/// A round region whose surface the mesh follows.
struct Round {
    region: u16,
    centre: [f64; 2],
    radius: f64,
    patch: Option<String>,
}

/// Build the mesh. `interfaces` are `(region, patch name)`; `max_vertices` comes from the
/// memory budget. Returns the mesh (patch names are the scenario names).
pub(super) fn build(
    d: &DelaunayInput,
    names: &[String],
    shapes: &[(u16, RegionShape)],
    interfaces: &[(u16, String)],
    max_vertices: usize,
    span: &Spanned<RawMesh>,
    cx: &mut Ctx,
) -> Option<DelaunayMesh> {
    let ax = d.kind == MeshKind::Axisymmetric;
    let mut rounds = vec![];
    for (r, s) in shapes {
        let Some((c, radius)) = s.round else {
            cx.push(
                format!("region[{}].shape", r - 1),
                format!("a delaunay mesh follows the surfaces of circles (2D) and spheres ((r, z)); a {} needs a tensor mesh (cartesian2d, axisymmetric, cartesian3d)", s.kind),
                None,
            );
            return None;
        };
        // Mesh coordinates of the centre: (x, y), or (r, z) from the embedded (r, 0, z).
        let centre = if ax { [c[0], c[2]] } else { [c[0], c[1]] };
        let patch = interfaces.iter().find(|i| i.0 == *r).map(|i| i.1.clone());
        rounds.push(Round {
            region: *r,
            centre,
            radius,
            patch,
        });
    }
    let b = d.bounds();
    let eps = 1e-9 * (b[0][1] - b[0][0]).max(b[1][1] - b[1][0]);
    for w in &rounds {
        let inside = match &d.outer {
            &Outer::Box(lo, hi) => {
                (ax || w.centre[0] - w.radius > lo[0] + eps)
                    && w.centre[0] + w.radius < hi[0] - eps
                    && w.centre[1] - w.radius > lo[1] + eps
                    && w.centre[1] + w.radius < hi[1] - eps
                    && (!ax || lo[0] == 0.0)
            }
            &Outer::Circle(r) => w.centre[0].hypot(w.centre[1]) + w.radius < r - eps,
            Outer::Polygon(v, _) => {
                let poly = Polygon::new(v.clone()).expect("checked at parse");
                let e = Extruded::new(poly, f64::NEG_INFINITY, f64::INFINITY)
                    .expect("an infinite extrusion");
                e.signed_distance([w.centre[0], w.centre[1], 0.0]) < -(w.radius + eps)
                    && !(ax && w.centre[0] != 0.0)
            }
        };
        if !inside {
            cx.push(
                format!("region[{}].shape", w.region - 1),
                format!(
                    "region \"{}\" must lie strictly inside the outer boundary of the delaunay mesh{}",
                    names[w.region as usize],
                    if ax { " (in (r, z), with r starting at 0)" } else { "" }
                ),
                None,
            );
            return None;
        }
    }
    let hs = d.h_surface.unwrap_or(d.h);
    // Vertices before anything is allocated: the triangles of the domain at h, the outer
    // boundary at h and the region surfaces at h_surface (refinement adds the graded band).
    let (w, hgt) = (b[0][1] - b[0][0], b[1][1] - b[1][0]);
    let size = w.max(hgt);
    let need = w * hgt / (0.433 * d.h * d.h)
        + 2.0 * (w + hgt) / d.h
        + rounds.iter().map(|r| 2.0 * PI * r.radius / hs).sum::<f64>()
        + d.near
            .iter()
            .map(|(to, h, g)| {
                // Vertices of the graded band: a fan around a point, a strip along edges.
                let len = match to {
                    NearTo::Point(_) => 0.0,
                    NearTo::Patch(p) => match &d.outer {
                        Outer::Polygon(v, names) => (0..v.len())
                            .filter(|&k| &names[k] == p)
                            .map(|k| {
                                let (a, b) = (v[k], v[(k + 1) % v.len()]);
                                (b[0] - a[0]).hypot(b[1] - a[1])
                            })
                            .sum(),
                        _ => 0.0,
                    },
                };
                let flat = w * hgt / (0.433 * h * h);
                let graded = if *g > 0.0 {
                    2.0 * PI / (0.433 * g * g) * (1.0 + g * size / h).ln()
                        + 2.0 * len / (0.433 * g * h)
                } else {
                    flat
                };
                graded.min(flat)
            })
            .sum::<f64>();
    if need.is_nan() || need > max_vertices as f64 {
        cx.push(
            "mesh",
            format!(
                "h = {:e} m and h_surface = {hs:e} m need about {need:.3e} vertices, above the {max_vertices} that the memory limit allows: raise h or h_surface (or memory_limit_gb in [solver])",
                d.h
            ),
            Some(span.span()),
        );
        return None;
    }
    // Axis vertices (top to bottom): the poles and centres of the spheres.
    let mut axis_z: Vec<f64> = vec![];
    for w in &rounds {
        axis_z.extend([w.centre[1] + w.radius, w.centre[1], w.centre[1] - w.radius]);
    }
    let axis = |top: f64, bottom: f64, z: &[f64]| -> Vec<[f64; 2]> {
        let mut v: Vec<f64> = z.to_vec();
        v.extend([top, bottom]);
        v.sort_by(|a, b| b.total_cmp(a));
        v.dedup();
        v.into_iter().map(|z| [0.0, z]).collect()
    };
    let boundary = match &d.outer {
        Outer::Polygon(v, names) => OuterBoundary {
            points: v.clone(),
            patches: names.clone(),
        },
        &Outer::Box(lo, hi) if !ax => OuterBoundary {
            points: vec![
                [lo[0], hi[1]],
                [lo[0], lo[1]],
                [hi[0], lo[1]],
                [hi[0], hi[1]],
            ],
            patches: ["xmin", "ymin", "xmax", "ymax"].map(String::from).to_vec(),
        },
        &Outer::Box(lo, hi) => {
            let (mut points, mut patches) = if lo[0] == 0.0 {
                let p = axis(hi[1], lo[1], &axis_z);
                let n = p.len() - 1;
                (p, vec!["axis".to_string(); n])
            } else {
                (
                    vec![[lo[0], hi[1]], [lo[0], lo[1]]],
                    vec!["rmin".to_string()],
                )
            };
            points.extend([[hi[0], lo[1]], [hi[0], hi[1]]]);
            patches.extend(["zmin", "rmax", "zmax"].map(String::from));
            OuterBoundary { points, patches }
        }
        &Outer::Circle(r) if !ax => {
            let segments = ((2.0 * PI * r / d.h).ceil() as usize).max(16);
            let c = Curve::circle([0.0, 0.0], r, segments);
            OuterBoundary {
                patches: vec!["outer".into(); c.points.len()],
                points: c.points,
            }
        }
        &Outer::Circle(r) => {
            let mut points = axis(r, -r, &axis_z);
            let mut patches = vec!["axis".to_string(); points.len() - 1];
            let segments = ((PI * r / d.h).ceil() as usize).max(8);
            let arc = Curve::arc([0.0, 0.0], r, -PI / 2.0, PI / 2.0, segments, false).points;
            points.extend(&arc[1..arc.len() - 1]);
            patches.extend(vec!["outer".to_string(); arc.len() - 1]);
            OuterBoundary { points, patches }
        }
    };
    let coordinates = if ax {
        CoordinateSystem::Axisymmetric
    } else {
        CoordinateSystem::Cartesian
    };
    let mut spec = DelaunaySpec::new(coordinates, boundary, d.h);
    spec.background = names[0].clone();
    spec.max_vertices = max_vertices;
    for (to, h, g) in &d.near {
        let shape: Arc<dyn Shape> = match to {
            NearTo::Point(p) => {
                spec.points.push(*p);
                Arc::new(Edges(vec![(*p, *p)]))
            }
            NearTo::Patch(name) => {
                let Outer::Polygon(v, names) = &d.outer else {
                    unreachable!("checked at parse")
                };
                Arc::new(Edges(
                    (0..v.len())
                        .filter(|&k| &names[k] == name)
                        .map(|k| (v[k], v[(k + 1) % v.len()]))
                        .collect(),
                ))
            }
        };
        spec.near.push(SizeNear {
            shape,
            h: *h,
            growth: *g,
        });
    }
    for w in &rounds {
        // Region rules and size fields take (x, y, 0) points: (r, z, 0) in (r, z).
        let shape: Arc<dyn Shape> = Arc::new(
            Sphere::new([w.centre[0], w.centre[1], 0.0], w.radius).expect("radius checked"),
        );
        let curve = if ax {
            let n = ((PI * w.radius / hs).ceil() as usize).max(8);
            let mut pts = Curve::arc(w.centre, w.radius, -PI / 2.0, PI / 2.0, n, false).points;
            pts[0] = [0.0, w.centre[1] - w.radius];
            pts[n] = [0.0, w.centre[1] + w.radius];
            Curve {
                points: pts,
                closed: false,
                patch: None,
            }
        } else {
            spec.points.push(w.centre);
            Curve::circle(
                w.centre,
                w.radius,
                ((2.0 * PI * w.radius / hs).ceil() as usize).max(16),
            )
        };
        // The region is the polygon of the curve (closed along the axis in (r, z)), so
        // that no triangle between a chord and its arc is labelled wrongly.
        let rule = Polygon::new(curve.points.clone())
            .ok()
            .and_then(|p| Extruded::new(p, f64::NEG_INFINITY, f64::INFINITY));
        let Some(rule) = rule else {
            cx.push(
                format!("region[{}].shape", w.region - 1),
                format!(
                    "region \"{}\" is too small for h_surface = {hs:e} m",
                    names[w.region as usize]
                ),
                None,
            );
            return None;
        };
        spec.curves.push(Curve {
            patch: w.patch.clone(),
            ..curve
        });
        spec.regions.push(RegionRule {
            name: names[w.region as usize].clone(),
            shape: Arc::new(rule),
        });
        if hs < d.h {
            spec.near.push(SizeNear {
                shape,
                h: hs,
                growth: GROWTH * hs / w.radius,
            });
        }
    }
    // Regions without a shape of their own (none here) keep their index order: the mesh's
    // regions are the background then the rules in order, as the scenario numbers them.
    match delaunay_mesh(&spec) {
        Ok(dm) => {
            if dm.mesh.regions() != names {
                cx.push(
                    "region",
                    format!(
                        "the delaunay mesh has the regions {:?}, not {:?}: a region too small for h_surface has no triangle; lower h_surface",
                        dm.mesh.regions(),
                        names
                    ),
                    Some(span.span()),
                );
                return None;
            }
            Some(dm)
        }
        Err(e) => {
            cx.push(
                "mesh",
                format!("{e} (h = {:e} m, h_surface = {hs:e} m)", d.h),
                Some(span.span()),
            );
            None
        }
    }
}
