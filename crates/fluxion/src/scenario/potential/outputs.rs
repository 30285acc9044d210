//! The `[output]` table of a static-field scenario (shared with the PNP scenarios):
//! formats, `[output.map]`, line cuts, probes and the vacuum reference.

use toml::Spanned;

use super::{RawMap, RawOutput};
use crate::mesh::TriangleLocator;
use crate::output::{ColorScale, Line};
use crate::scenario::geometry::MeshKind;
use crate::scenario::Ctx;

/// A named point where the summary reports the potential and field.
#[derive(Clone, Debug, PartialEq)]
pub struct Probe {
    /// Name (a key of `summary.json` `probes`).
    pub name: String,
    /// Mesh coordinates, m (unused coordinates zero).
    pub at: [f64; 3],
}

/// What the run writes besides `summary.json`.
#[derive(Clone, Debug, PartialEq)]
pub struct StaticOutputs {
    /// `fields.vtr` / `fields.vtu`.
    pub vtk: bool,
    /// `potential.npy` (and `field.npy`).
    pub npy: bool,
    /// `map_potential.png`/`.svg` and `map_field.png`/`.svg` (2D meshes; PNP runs also
    /// `map_c_<species>`): heat maps
    /// with field lines, equal aspect and a colour bar with units.
    pub map: bool,
    /// How maps are drawn (`[output.map]`).
    pub map_spec: MapSpec,
    /// Line cuts, one `line_<name>.csv` each.
    pub lines: Vec<Line>,
    /// Points reported in the summary.
    pub probes: Vec<Probe>,
    /// Solve again with every medium replaced by vacuum (relative coefficient 1, no fixed
    /// polarization) and report the energy difference (the Born solvation energy of an
    /// ion: the charging work in the medium minus that in vacuum).
    pub vacuum_reference: bool,
}

/// The lines drawn over a map.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum MapLines {
    /// None.
    None,
    /// Field lines of `E` (or `H`).
    Field,
    /// Lines of the electric current density (PNP runs).
    Current,
}

/// `[output.map]`: how the maps are drawn.
#[derive(Clone, Debug, PartialEq)]
pub struct MapSpec {
    /// Lines on top (default: field lines).
    pub lines: MapLines,
    /// Number of seed points of the lines (default 14).
    pub line_count: usize,
    /// Mirror an `(r, z)` map to `-r` (default: yes when the mesh starts at `r = 0`).
    pub mirror: Option<bool>,
    /// Colour scale of the concentration maps (PNP runs; default linear).
    pub concentration_scale: ColorScale,
}

impl Default for MapSpec {
    fn default() -> Self {
        MapSpec {
            lines: MapLines::Field,
            line_count: 14,
            mirror: None,
            concentration_scale: ColorScale::Linear,
        }
    }
}

/// The `[output.map]` table (`pnp`: the model has concentrations and a current).
fn map_spec(m: &Spanned<RawMap>, kind: MeshKind, pnp: bool, cx: &mut Ctx) -> MapSpec {
    let mut spec = MapSpec::default();
    let r = m.get_ref();
    if let Some(l) = &r.lines {
        let options: &[&str] = if pnp {
            &["field", "current", "none"]
        } else {
            &["field", "none"]
        };
        match cx.choice(l, "output.map.lines", options) {
            Some("current") => spec.lines = MapLines::Current,
            Some("none") => spec.lines = MapLines::None,
            _ => {}
        }
    }
    if let Some(v) = &r.line_count {
        match cx.integer(v, "output.map.line_count", "line_count = 14") {
            Some(n) if (1..=200).contains(&n) => spec.line_count = n as usize,
            Some(n) => cx.push(
                "output.map.line_count",
                format!("{n} lines: use 1 to 200"),
                Some(v.span()),
            ),
            None => {}
        }
    }
    if let Some(b) = &r.mirror {
        if *b.get_ref() && kind != MeshKind::Axisymmetric {
            cx.push(
                "output.map.mirror",
                format!(
                    "mirroring about the axis applies to axisymmetric (r, z) meshes, not {}: remove it",
                    kind.name()
                ),
                Some(b.span()),
            );
        }
        spec.mirror = Some(*b.get_ref());
    }
    if let Some(sc) = &r.concentration_scale {
        if !pnp {
            cx.push(
                "output.map.concentration_scale",
                "a static-field run has no concentrations: remove it",
                Some(sc.span()),
            );
        } else if let Some(c) = cx.choice(sc, "output.map.concentration_scale", &["linear", "log"])
        {
            spec.concentration_scale = if c == "log" {
                ColorScale::Log
            } else {
                ColorScale::Linear
            };
        }
    }
    spec
}

/// The `[output]` table. On a Delaunay mesh (`triangles`) probes and the ends of line
/// cuts must lie in a triangle; on tensor meshes inside the axes' box.
pub(in crate::scenario) fn build_outputs(
    o: Option<&RawOutput>,
    kind: MeshKind,
    axes: &[Vec<f64>],
    triangles: Option<&TriangleLocator>,
    pnp: bool,
    cx: &mut Ctx,
) -> Option<StaticOutputs> {
    let mut out = StaticOutputs {
        vtk: true,
        npy: true,
        map: false,
        map_spec: MapSpec::default(),
        lines: vec![],
        probes: vec![],
        vacuum_reference: false,
    };
    let Some(o) = o else { return Some(out) };
    let inside = |p: [f64; 3]| match triangles {
        Some(t) => t.locate([p[0], p[1]]).is_some(),
        None => axes
            .iter()
            .enumerate()
            .all(|(c, a)| p[c] >= a[0] && p[c] <= a[a.len() - 1]),
    };
    let bounds = || {
        let b = axes
            .iter()
            .zip(kind.axes())
            .map(|(a, n)| format!("{n} in [{:e}, {:e}] m", a[0], a[a.len() - 1]))
            .collect::<Vec<_>>()
            .join(", ");
        match triangles {
            Some(_) => format!("the triangulated domain, within {b}"),
            None => b,
        }
    };
    if let Some(f) = &o.formats {
        out.vtk = false;
        out.npy = false;
        for (i, v) in f.iter().enumerate() {
            match cx.choice(v, &format!("output.formats[{i}]"), &["vtk", "npy", "map"]) {
                Some("vtk") => out.vtk = true,
                Some("map") if kind.dim() != 2 => cx.push(
                    format!("output.formats[{i}]"),
                    format!("maps are drawn on 2D meshes (cartesian2d, axisymmetric); a {} mesh writes vtk and npy", kind.name()),
                    Some(v.span()),
                ),
                Some("map") => out.map = true,
                Some(_) => out.npy = true,
                None => {}
            }
        }
    }
    if let Some(m) = &o.map {
        if !out.map {
            cx.push(
                "output.map",
                "[output.map] sets how maps are drawn, but formats has no \"map\": add \"map\" to output.formats",
                Some(m.span()),
            );
        }
        out.map_spec = map_spec(m, kind, pnp, cx);
    }
    out.vacuum_reference = o.vacuum_reference.unwrap_or(false);
    let mut names: Vec<String> = vec![];
    let mut name_ok = |cx: &mut Ctx, n: &Spanned<String>, key: String| -> bool {
        let s = n.get_ref();
        if s.is_empty()
            || !s
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-')
        {
            cx.push(
                key,
                format!("\"{s}\" names a file: use letters, digits, '_' or '-'"),
                Some(n.span()),
            );
            return false;
        }
        if names.contains(s) {
            cx.push(key, format!("\"{s}\" is used twice"), Some(n.span()));
            return false;
        }
        names.push(s.clone());
        true
    };
    for (i, l) in o.line.iter().enumerate() {
        let key = format!("output.line[{i}]");
        let ll = l.get_ref();
        if !name_ok(cx, &ll.name, format!("{key}.name")) {
            continue;
        }
        let a = cx.point(&ll.from, &format!("{key}.from"), kind, Some(l.span()));
        let b = cx.point(&ll.to, &format!("{key}.to"), kind, Some(l.span()));
        let points = match &ll.points {
            None => Some(201),
            Some(v) => match cx.integer(v, &format!("{key}.points"), "points = 201") {
                Some(n) if (2..=1_000_000).contains(&n) => Some(n as usize),
                Some(n) => {
                    cx.push(
                        format!("{key}.points"),
                        format!("{n} points: use 2 to 1e6"),
                        Some(v.span()),
                    );
                    None
                }
                None => None,
            },
        };
        let (Some(a), Some(b), Some(points)) = (a, b, points) else {
            continue;
        };
        for (p, w) in [(a, "from"), (b, "to")] {
            if !inside(p) {
                cx.push(
                    format!("{key}.{w}"),
                    format!("the point {p:?} m lies outside the mesh ({})", bounds()),
                    Some(l.span()),
                );
            }
        }
        out.lines.push(Line::new(ll.name.get_ref(), a, b, points));
    }
    for (i, p) in o.probe.iter().enumerate() {
        let key = format!("output.probe[{i}]");
        let pp = p.get_ref();
        if !name_ok(cx, &pp.name, format!("{key}.name")) {
            continue;
        }
        let Some(at) = cx.point(&pp.at, &format!("{key}.at"), kind, Some(p.span())) else {
            continue;
        };
        if !inside(at) {
            cx.push(
                format!("{key}.at"),
                format!("the point {at:?} m lies outside the mesh ({})", bounds()),
                Some(p.span()),
            );
            continue;
        }
        out.probes.push(Probe {
            name: pp.name.get_ref().clone(),
            at,
        });
    }
    Some(out)
}
