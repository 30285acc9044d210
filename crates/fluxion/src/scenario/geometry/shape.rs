//! The `shape` of a region: box, sphere, circle, cylinder, cone or polygon, in the mesh
//! coordinates of its kind, as a [`Shape`] evaluated at embedded 3D points.

use std::sync::Arc;

use toml::{Spanned, Value};

use super::{MeshKind, RawShape, RegionShape};
use crate::mesh::{Cuboid, Extruded, Polygon, Revolved, Shape, Sphere};
use crate::scenario::{show, Ctx};

/// Validate a region's `shape` table (`key` is its key, e.g. `region[0].shape`).
pub(crate) fn region_shape(
    s: &Spanned<RawShape>,
    key: &str,
    kind: MeshKind,
    cx: &mut Ctx,
) -> Option<RegionShape> {
    let sh = s.get_ref();
    let k = cx.choice(
        &sh.kind,
        &format!("{key}.kind"),
        &["box", "sphere", "circle", "cylinder", "cone", "polygon"],
    )?;
    let span = Some(s.span());
    let need = |cx: &mut Ctx, what: &str, example: &str| {
        cx.push(
            key,
            format!("a {k} needs `{what}`, e.g. {example}"),
            span.clone(),
        );
    };
    let pt = |cx: &mut Ctx,
              v: &Option<Vec<Spanned<Value>>>,
              what: &str,
              example: &str|
     -> Option<[f64; 3]> {
        match v {
            None => {
                need(cx, what, example);
                None
            }
            Some(v) => cx.point(v, &format!("{key}.{what}"), kind, span.clone()),
        }
    };
    let len = |cx: &mut Ctx, v: &Option<Spanned<Value>>, what: &str| -> Option<f64> {
        match v {
            None => {
                need(cx, what, &format!("{what} = \"1 um\""));
                None
            }
            Some(v) => {
                let x = cx.length(v, &format!("{key}.{what}"))?;
                if x < 0.0 {
                    cx.push(
                        format!("{key}.{what}"),
                        format!("{what} cannot be negative ({})", show(v)),
                        Some(v.span()),
                    );
                    return None;
                }
                Some(x)
            }
        }
    };
    let e = |p: [f64; 3]| kind.embed(p);
    let degenerate = |cx: &mut Ctx| {
        cx.push(key, format!("this {k} is empty or degenerate: check that sizes are positive and lo < hi in every coordinate"), span.clone());
    };
    let dim = kind.dim();
    let mut round = None;
    let shape: Arc<dyn Shape> = match k {
        "box" => {
            let lo = pt(cx, &sh.lo, "lo", "lo = [\"0 um\", \"0 um\"]")?;
            let hi = pt(cx, &sh.hi, "hi", "hi = [\"1 um\", \"1 um\"]")?;
            // Unused embedded axes are unbounded.
            let (mut l, mut h) = (e(lo), e(hi));
            for c in 0..3 {
                let used = match kind {
                    MeshKind::Axisymmetric => c != 1,
                    _ => c < dim,
                };
                if !used {
                    l[c] = f64::NEG_INFINITY;
                    h[c] = f64::INFINITY;
                }
            }
            if kind == MeshKind::Axisymmetric {
                // A box in (r, z) is a ring: the solid of revolution of the rectangle.
                let poly = Polygon::new(vec![
                    [lo[0], lo[1]],
                    [hi[0], lo[1]],
                    [hi[0], hi[1]],
                    [lo[0], hi[1]],
                ]);
                match poly
                    .ok()
                    .and_then(|p| Revolved::new([0.0; 3], [0.0, 0.0, 1.0], p).ok())
                {
                    Some(r) if lo[0] >= 0.0 && lo[0] < hi[0] && lo[1] < hi[1] => Arc::new(r),
                    _ => {
                        degenerate(cx);
                        return None;
                    }
                }
            } else {
                match Cuboid::new(l, h) {
                    Some(b) => Arc::new(b),
                    None => {
                        degenerate(cx);
                        return None;
                    }
                }
            }
        }
        "sphere" | "circle" => {
            if k == "circle" && kind != MeshKind::Cartesian2d {
                cx.push(format!("{key}.kind"), "a circle is a 2D Cartesian shape (an infinite cylinder along z); use a sphere, cylinder or cone on this mesh", Some(sh.kind.span()));
                return None;
            }
            if k == "sphere" && kind == MeshKind::Cartesian2d {
                cx.push(format!("{key}.kind"), "a 2D Cartesian mesh is the cross-section of objects infinite along z: a round one is a \"circle\"", Some(sh.kind.span()));
                return None;
            }
            let c = pt(cx, &sh.centre, "centre", "centre = [\"0 um\", \"0 um\"]")?;
            if kind == MeshKind::Axisymmetric && c[0] != 0.0 {
                cx.push(
                    format!("{key}.centre"),
                    "an axisymmetric sphere is centred on the axis: its r coordinate must be 0",
                    span,
                );
                return None;
            }
            let r = len(cx, &sh.radius, "radius")?;
            round = Some((e(c), r));
            match Sphere::new(e(c), r) {
                Some(s) => Arc::new(s),
                None => {
                    degenerate(cx);
                    return None;
                }
            }
        }
        "cylinder" | "cone" => {
            if kind == MeshKind::Cartesian2d || dim == 1 {
                cx.push(format!("{key}.kind"), format!("a {k} needs an axisymmetric or 3D mesh (in 2D use a box, circle or polygon)"), Some(sh.kind.span()));
                return None;
            }
            let b = pt(cx, &sh.base, "base", "base = [\"0 um\", \"0 um\"]")?;
            let t = pt(cx, &sh.top, "top", "top = [\"0 um\", \"1 um\"]")?;
            if kind == MeshKind::Axisymmetric && (b[0] != 0.0 || t[0] != 0.0) {
                cx.push(key, "in an axisymmetric mesh the axis of a cylinder or cone is the z axis: base and top have r = 0", span);
                return None;
            }
            let made = if k == "cylinder" {
                let r = len(cx, &sh.radius, "radius")?;
                Revolved::cylinder(e(b), e(t), r)
            } else {
                let rb = len(cx, &sh.r_base, "r_base")?;
                let rt = len(cx, &sh.r_top, "r_top")?;
                Revolved::cone(e(b), e(t), rb, rt)
            };
            match made {
                Some(s) => Arc::new(s),
                None => {
                    degenerate(cx);
                    return None;
                }
            }
        }
        _ => {
            if dim == 1 {
                cx.push(
                    format!("{key}.kind"),
                    "a polygon needs a 2D, axisymmetric or 3D mesh; in 1D use a box",
                    Some(sh.kind.span()),
                );
                return None;
            }
            let Some(vs) = &sh.vertices else {
                need(
                    cx,
                    "vertices",
                    "vertices = [[\"0 um\", \"0 um\"], [\"1 um\", \"0 um\"], [\"0 um\", \"1 um\"]]",
                );
                return None;
            };
            let mut v2 = vec![];
            for (i, v) in vs.iter().enumerate() {
                if v.get_ref().len() != 2 {
                    cx.push(
                        format!("{key}.vertices[{i}]"),
                        "a polygon vertex has 2 coordinates (x, y; (r, z) in axisymmetric meshes)",
                        Some(v.span()),
                    );
                    return None;
                }
                let x = cx.length(&v.get_ref()[0], &format!("{key}.vertices[{i}][0]"))?;
                let y = cx.length(&v.get_ref()[1], &format!("{key}.vertices[{i}][1]"))?;
                v2.push([x, y]);
            }
            let poly = match Polygon::new(v2) {
                Ok(p) => p,
                Err(err) => {
                    cx.push(format!("{key}.vertices"), err.to_string(), span);
                    return None;
                }
            };
            match kind {
                MeshKind::Axisymmetric => match Revolved::new([0.0; 3], [0.0, 0.0, 1.0], poly) {
                    Ok(r) => Arc::new(r),
                    Err(err) => {
                        cx.push(
                            format!("{key}.vertices"),
                            format!("{err} (vertices are (r, z) with r >= 0)"),
                            span,
                        );
                        return None;
                    }
                },
                MeshKind::Cartesian3d => {
                    let Some(z) = &sh.z else {
                        need(
                            cx,
                            "z",
                            "z = [\"0 um\", \"1 um\"] (the range the polygon is extruded over)",
                        );
                        return None;
                    };
                    if z.len() != 2 {
                        cx.push(
                            format!("{key}.z"),
                            "z is the range [z0, z1] of the extrusion",
                            span,
                        );
                        return None;
                    }
                    let z0 = cx.length(&z[0], &format!("{key}.z[0]"))?;
                    let z1 = cx.length(&z[1], &format!("{key}.z[1]"))?;
                    match Extruded::new(poly, z0, z1) {
                        Some(x) => Arc::new(x),
                        None => {
                            degenerate(cx);
                            return None;
                        }
                    }
                }
                _ => Arc::new(poly),
            }
        }
    };
    // Keys that this kind does not use.
    let used: &[&str] = match k {
        "box" => &["lo", "hi"],
        "sphere" | "circle" => &["centre", "radius"],
        "cylinder" => &["base", "top", "radius"],
        "cone" => &["base", "top", "r_base", "r_top"],
        _ => &["vertices", "z"],
    };
    let present = [
        ("lo", sh.lo.is_some()),
        ("hi", sh.hi.is_some()),
        ("centre", sh.centre.is_some()),
        ("radius", sh.radius.is_some()),
        ("base", sh.base.is_some()),
        ("top", sh.top.is_some()),
        ("r_base", sh.r_base.is_some()),
        ("r_top", sh.r_top.is_some()),
        ("vertices", sh.vertices.is_some()),
        ("z", sh.z.is_some()),
    ];
    for (name, p) in present {
        if p && !used.contains(&name) {
            cx.push(
                format!("{key}.{name}"),
                format!("a {k} takes {}; remove `{name}`", used.join(", ")),
                span.clone(),
            );
            return None;
        }
    }
    Some(RegionShape {
        shape,
        kind: k.to_string(),
        round,
    })
}
