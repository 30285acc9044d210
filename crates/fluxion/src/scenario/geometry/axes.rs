//! The axes of `[mesh]` (`{ from, to, nodes, refine, h_min, growth }`: uniform or graded
//! towards refinement points) and the length, point and bounded-quantity readers shared by
//! the geometry and the scenarios on general meshes.

use toml::{Spanned, Value};

use super::{MeshKind, RawAxis, RawMesh};
use crate::mesh::{graded_nodes, uniform_nodes};
use crate::scenario::{show, Ctx};
use crate::units::{dims, Dim};

impl Ctx {
    /// A length within the accepted range.
    pub(crate) fn length(&mut self, v: &Spanned<Value>, key: &str) -> Option<f64> {
        let x = self.quantity(v, key, dims::LENGTH)?;
        if !x.is_finite() || x.abs() > crate::scenario::MAX_LENGTH {
            self.push(
                key,
                format!(
                    "{} is not a usable coordinate: lengths are at most {:e} m in magnitude; check the unit (nm, um, mm, m)",
                    show(v),
                    crate::scenario::MAX_LENGTH
                ),
                Some(v.span()),
            );
            return None;
        }
        Some(x)
    }

    /// A point of `dim` lengths (mesh coordinates), unused coordinates zero.
    pub(crate) fn point(
        &mut self,
        v: &[Spanned<Value>],
        key: &str,
        kind: MeshKind,
        span: Option<std::ops::Range<usize>>,
    ) -> Option<[f64; 3]> {
        let dim = kind.dim();
        if v.len() != dim {
            self.push(
                key,
                format!(
                    "a point of a {} mesh has {dim} coordinate(s) ({}), got {}; e.g. {key} = [{}]",
                    kind.name(),
                    kind.axes().join(", "),
                    v.len(),
                    vec!["\"0 um\""; dim].join(", ")
                ),
                span.or_else(|| v.first().map(|s| s.span())),
            );
            return None;
        }
        let mut p = [0.0; 3];
        let mut ok = true;
        for (c, x) in v.iter().enumerate() {
            match self.length(x, &format!("{key}[{c}]")) {
                Some(l) => p[c] = l,
                None => ok = false,
            }
        }
        ok.then_some(p)
    }

    /// A quantity whose magnitude is at most `max`.
    pub(crate) fn bounded(
        &mut self,
        v: &Spanned<Value>,
        key: &str,
        dim: Dim,
        max: f64,
        why: &str,
    ) -> Option<f64> {
        let x = self.quantity(v, key, dim)?;
        if !x.is_finite() || x.abs() > max {
            self.push(
                key,
                format!(
                    "{} is too large: at most {max:e} {} in magnitude ({why}); check the unit",
                    show(v),
                    crate::units::format_dim(dim)
                ),
                Some(v.span()),
            );
            return None;
        }
        Some(x)
    }
}

/// The node coordinates of every axis of the mesh kind, in mesh order.
pub(super) fn build_axes(
    m: &RawMesh,
    kind: MeshKind,
    span: &Spanned<RawMesh>,
    cx: &mut Ctx,
) -> Option<Vec<Vec<f64>>> {
    let given = [("x", &m.x), ("y", &m.y), ("z", &m.z), ("r", &m.r)];
    let wanted = kind.axes();
    for (name, a) in given {
        if let Some(a) = a {
            if !wanted.contains(&name) {
                cx.push(
                    format!("mesh.{name}"),
                    format!(
                        "a {} mesh has the axes {}; remove `{name}`",
                        kind.name(),
                        wanted.join(", ")
                    ),
                    Some(a.span()),
                );
            }
        }
    }
    let mut out = vec![];
    let mut ok = true;
    for &name in wanted {
        let a = given
            .iter()
            .find(|g| g.0 == name)
            .and_then(|g| g.1.as_ref());
        let Some(a) = a else {
            cx.push(
                format!("mesh.{name}"),
                format!(
                    "a {} mesh needs the axis `{name}`, e.g. {name} = {{ from = \"0 um\", to = \"1 um\", nodes = 101 }}",
                    kind.name()
                ),
                Some(span.span()),
            );
            ok = false;
            continue;
        };
        match axis_nodes(a, &format!("mesh.{name}"), kind, name, cx) {
            Some(x) => out.push(x),
            None => ok = false,
        }
    }
    ok.then_some(out)
}

fn axis_nodes(
    a: &Spanned<RawAxis>,
    key: &str,
    kind: MeshKind,
    name: &str,
    cx: &mut Ctx,
) -> Option<Vec<f64>> {
    let ax = a.get_ref();
    let from = cx.length(&ax.from, &format!("{key}.from"));
    let to = cx.length(&ax.to, &format!("{key}.to"));
    let nodes = cx.integer(&ax.nodes, &format!("{key}.nodes"), "nodes = 101");
    let (from, to, nodes) = (from?, to?, nodes?);
    let min_nodes = if kind.dim() == 1 { 3 } else { 2 };
    if nodes < min_nodes {
        cx.push(
            format!("{key}.nodes"),
            format!("{nodes} nodes: an axis needs at least {min_nodes}, e.g. nodes = 101"),
            Some(ax.nodes.span()),
        );
        return None;
    }
    if nodes > 100_000_000 {
        cx.push(
            format!("{key}.nodes"),
            format!("{nodes} nodes on one axis is beyond any mesh this solver can hold; use at most 1e8"),
            Some(ax.nodes.span()),
        );
        return None;
    }
    if to <= from || (to - from) < crate::scenario::MIN_LENGTH {
        cx.push(
            format!("{key}.to"),
            format!(
                "the axis must run from a lower to a higher coordinate (at least {:e} m long): from = {} m, to = {} m",
                crate::scenario::MIN_LENGTH, from, to
            ),
            Some(ax.to.span()),
        );
        return None;
    }
    let radial = name == "r";
    if radial && from < 0.0 {
        cx.push(
            format!("{key}.from"),
            format!(
                "a radius cannot be negative ({from} m); start at 0 (the axis or centre) or above"
            ),
            Some(ax.from.span()),
        );
        return None;
    }
    if matches!(kind, MeshKind::Cylindrical | MeshKind::Spherical) && from <= 0.0 {
        cx.push(
            format!("{key}.from"),
            "a 1D radial mesh starts at an inner radius above 0 (the centre is singular for a point charge and has no boundary face); e.g. from = \"0.3 nm\"",
            Some(ax.from.span()),
        );
        return None;
    }
    let n = nodes as usize;
    let Some(refine) = &ax.refine else {
        if let Some(h) = ax.h_min.as_ref().or(ax.growth.as_ref()) {
            cx.push(
                key,
                "h_min and growth grade the spacing towards the refine points; add refine = [\"1 um\"] or remove them",
                Some(h.span()),
            );
            return None;
        }
        return Some(uniform_nodes(from, to, n));
    };
    let mut at = vec![];
    for (i, v) in refine.iter().enumerate() {
        let p = cx.length(v, &format!("{key}.refine[{i}]"))?;
        if p < from || p > to {
            cx.push(
                format!("{key}.refine[{i}]"),
                format!("the refinement point {p:e} m lies outside the axis [{from:e}, {to:e}] m"),
                Some(v.span()),
            );
            return None;
        }
        at.push(p);
    }
    let h_max = (to - from) / (n - 1) as f64;
    let h_min = match &ax.h_min {
        None => h_max / 8.0,
        Some(v) => {
            let h = cx.positive(v, &format!("{key}.h_min"), dims::LENGTH, "h_min")?;
            if h > h_max {
                cx.push(
                    format!("{key}.h_min"),
                    format!("h_min = {h:e} m is above the spacing the node count gives, (to - from)/(nodes - 1) = {h_max:e} m; lower it or use fewer nodes"),
                    Some(v.span()),
                );
                return None;
            }
            h
        }
    };
    let growth = match &ax.growth {
        None => 1.1,
        Some(v) => cx.number(v, &format!("{key}.growth"), "growth = 1.1")?,
    };
    if (to - from) / h_min > 1e8 {
        cx.push(
            format!("{key}.h_min"),
            format!(
                "h_min = {h_min:e} m would put more than 1e8 intervals on the axis; raise h_min"
            ),
            ax.h_min.as_ref().map(|v| v.span()),
        );
        return None;
    }
    match graded_nodes(from, to, &at, h_min, h_max, growth) {
        Ok(x) => Some(x),
        Err(e) => {
            cx.push(key, e.to_string(), Some(a.span()));
            None
        }
    }
}
