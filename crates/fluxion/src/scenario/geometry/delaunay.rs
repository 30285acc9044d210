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

use std::f64::consts::PI;
use std::sync::Arc;

use toml::{Spanned, Value};

use super::{MeshKind, RawMesh, RegionShape};
use crate::mesh::{
    delaunay_mesh, CoordinateSystem, Curve, DelaunaySpec, Extruded, Mesh, OuterBoundary, Polygon,
    RegionRule, Shape, SizeNear, Sphere,
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
}

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
}

enum Outer {
    Box([f64; 2], [f64; 2]),
    Circle(f64),
}

impl DelaunayInput {
    /// The bounding box as two-node axes (for the inside checks of probes).
    pub fn bounds(&self) -> Vec<Vec<f64>> {
        let ax = self.kind == MeshKind::Axisymmetric;
        match self.outer {
            Outer::Box(lo, hi) => vec![vec![lo[0], hi[0]], vec![lo[1], hi[1]]],
            Outer::Circle(r) => vec![vec![if ax { 0.0 } else { -r }, r], vec![-r, r]],
        }
    }

    /// Whether `r` starts at 0 in `(r, z)` (patch 0 is then `axis`).
    pub fn r0_is_axis(&self) -> bool {
        self.kind == MeshKind::Axisymmetric
            && match self.outer {
                Outer::Box(lo, _) => lo[0] == 0.0,
                Outer::Circle(_) => true,
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
    let outer = match cx.choice(&oo.kind, "mesh.outer.kind", &["box", "circle"])? {
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
    let input = DelaunayInput {
        kind,
        outer,
        h,
        h_surface,
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
) -> Option<Mesh> {
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
        let inside = match d.outer {
            Outer::Box(lo, hi) => {
                (ax || w.centre[0] - w.radius > lo[0] + eps)
                    && w.centre[0] + w.radius < hi[0] - eps
                    && w.centre[1] - w.radius > lo[1] + eps
                    && w.centre[1] + w.radius < hi[1] - eps
                    && (!ax || lo[0] == 0.0)
            }
            Outer::Circle(r) => w.centre[0].hypot(w.centre[1]) + w.radius < r - eps,
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
    let need = w * hgt / (0.433 * d.h * d.h)
        + 2.0 * (w + hgt) / d.h
        + rounds.iter().map(|r| 2.0 * PI * r.radius / hs).sum::<f64>();
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
    let boundary = match d.outer {
        Outer::Box(lo, hi) if !ax => OuterBoundary {
            points: vec![
                [lo[0], hi[1]],
                [lo[0], lo[1]],
                [hi[0], lo[1]],
                [hi[0], hi[1]],
            ],
            patches: ["xmin", "ymin", "xmax", "ymax"].map(String::from).to_vec(),
        },
        Outer::Box(lo, hi) => {
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
        Outer::Circle(r) if !ax => {
            let segments = ((2.0 * PI * r / d.h).ceil() as usize).max(16);
            let c = Curve::circle([0.0, 0.0], r, segments);
            OuterBoundary {
                patches: vec!["outer".into(); c.points.len()],
                points: c.points,
            }
        }
        Outer::Circle(r) => {
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
            Some(dm.mesh)
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
