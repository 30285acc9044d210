//! The files of one PNP state (a steady state, or a transient at one output time): NPY
//! arrays, line cuts, probes and maps (`formats = [..., "map"]`, `[output.map]`: the
//! potential, every concentration and `|E|`, with field lines of `E` or lines of the
//! current density on top, on 2D and `(r, z)` meshes, tensor or Delaunay).
//!
//! The current density at a node is
//!
//! ```text
//! J = -F sum_k z_k D_k f_k (grad c_k + z_k c_k (F / RT) grad phi)
//! ```
//!
//! (`f_k` the diffusivity factor of the node's dominant region; a species absent there,
//! NaN concentration, contributes nothing), with the node gradients of the potential and of
//! each concentration: on Delaunay meshes the area-weighted mean of the triangle gradients
//! around the node, on tensor meshes the least-squares gradient over the node's neighbours
//! that have a finite value (the central difference inside, one-sided at the boundary and
//! next to a region a species cannot enter). Only the direction of `J` is drawn.

use serde_json::{json, Map, Value as Json};

use crate::constants::{thermal_voltage, FARADAY};
use crate::mesh::{Mesh, TriangleLocator};
use crate::output::{
    line_cut_csv_on, node_field_npy, ColorScale, FieldMap, FieldOutputError, Flow, FlowLines,
    MapOptions, NodeField, OutputFile, PointSampler,
};
use crate::scenario::{MapLines, MeshKind, RunError};

use super::PnpScenario;

/// Node gradient of `u` in the plane: on triangles the area-weighted mean of the triangle
/// gradients; otherwise the least-squares fit over the neighbours with a finite value
/// (NaN where `u` is not finite or no neighbour is usable).
fn plane_gradient(mesh: &Mesh, triangles: Option<&TriangleLocator>, u: &[f64]) -> Vec<[f64; 2]> {
    if let Some(t) = triangles {
        return t.node_gradient(u);
    }
    (0..mesh.nodes())
        .map(|i| {
            if !u[i].is_finite() {
                return [f64::NAN; 2];
            }
            let xi = mesh.position(i);
            let (mut a, mut b) = ([[0.0; 2]; 2], [0.0; 2]);
            for f in mesh.node_faces(i) {
                let [p, q] = mesh.face_nodes(f);
                let j = if p == i { q } else { p };
                if !u[j].is_finite() {
                    continue;
                }
                let xj = mesh.position(j);
                let d = [xj[0] - xi[0], xj[1] - xi[1]];
                let w = 1.0 / (d[0] * d[0] + d[1] * d[1]);
                for r in 0..2 {
                    for c in 0..2 {
                        a[r][c] += w * d[r] * d[c];
                    }
                    b[r] += w * d[r] * (u[j] - u[i]);
                }
            }
            let det = a[0][0] * a[1][1] - a[0][1] * a[1][0];
            if det.abs() <= 1e-12 * (a[0][0] * a[1][1]).abs() || det == 0.0 {
                return [f64::NAN; 2];
            }
            [
                (b[0] * a[1][1] - b[1] * a[0][1]) / det,
                (a[0][0] * b[1] - a[1][0] * b[0]) / det,
            ]
        })
        .collect()
}

/// The current density `J` (A/m^2) at every node, `[Jx, Jy, 0]` (see the module docs).
pub(super) fn current_density(
    s: &PnpScenario,
    potential: &[f64],
    concentration: &[Vec<f64>],
) -> Vec<[f64; 3]> {
    let p = &s.problem;
    let mesh = &*p.mesh;
    let tri = s.triangles.as_deref();
    let n = mesh.nodes();
    let f_rt = 1.0 / thermal_voltage(p.temperature);
    let gphi = plane_gradient(mesh, tri, potential);
    let mut j = vec![[0.0; 3]; n];
    for (k, sp) in p.species.iter().enumerate() {
        if sp.charge == 0.0 {
            continue;
        }
        let c = &concentration[k];
        let gc = plane_gradient(mesh, tri, c);
        for i in 0..n {
            let r = mesh.dominant_region(i) as usize;
            let Some(f) = p.media[r].diffusivity_factor[k] else {
                continue;
            };
            if !c[i].is_finite() {
                continue;
            }
            let d = sp.diffusivity * f;
            for a in 0..2 {
                j[i][a] -=
                    FARADAY * sp.charge * d * (gc[i][a] + sp.charge * c[i] * f_rt * gphi[i][a]);
            }
        }
    }
    j
}

/// The map files of a PNP state and their names: `map_potential`, `map_c_<species>` (on
/// the `[output.map] concentration_scale`), `map_field` (`|E|`), each `.png` and `.svg`
/// with `suffix` before the extension. `fields` are the state's node fields: potential,
/// `E`, then one concentration per species.
pub(super) fn pnp_maps(
    s: &PnpScenario,
    state: (&[f64], &[Vec<f64>]),
    fields: &[NodeField],
    file_stems: &[String],
    suffix: &str,
) -> Result<(Vec<OutputFile>, Vec<String>), RunError> {
    let (potential, concentration) = state;
    let out_err = |e: FieldOutputError| RunError::Output(e.to_string());
    let p = &s.problem;
    let mesh = &*p.mesh;
    let tri = s.triangles.as_deref();
    let spec = &s.outputs.map_spec;
    let sampler = PointSampler::new(mesh, tri, "a map").map_err(out_err)?;
    let b = sampler.bounds();
    let (lo, hi) = ([b[0].0, b[1].0], [b[0].1, b[1].1]);
    let current;
    let flow = match spec.lines {
        MapLines::Current => {
            current = current_density(s, potential, concentration);
            Some(Flow::Vector(&current))
        }
        MapLines::Field => Some(Flow::NegativeGradient(potential)),
        MapLines::None => None,
    };
    // Lines through seeds along the diagonal of the bounding box, those inside the domain.
    let lines = flow.map(|f| {
        let mut l = FlowLines::seeded_along(f, lo, hi, spec.line_count);
        l.seeds
            .retain(|q| sampler.locate([q[0], q[1], b[2].0]).is_some());
        l
    });
    let axisym = s.mesh_kind == MeshKind::Axisymmetric && lo[0] >= 0.0;
    let mirror = spec.mirror.unwrap_or(true) && axisym;
    let species = p.species.len();
    let mut maps: Vec<(String, &NodeField, String, ColorScale)> = vec![(
        "potential".into(),
        &fields[0],
        "potential".into(),
        ColorScale::Linear,
    )];
    for k in 0..species {
        maps.push((
            format!("c_{}", file_stems[k]),
            &fields[2 + k],
            format!("c({})", p.species[k].name),
            spec.concentration_scale,
        ));
    }
    maps.push(("field".into(), &fields[1], "|E|".into(), ColorScale::Linear));
    let (mut files, mut names) = (vec![], vec![]);
    for (stem, field, title, scale) in maps {
        let mut o = MapOptions::titled(&format!("{}: {title}", s.title));
        o.mirror = mirror;
        o.scale = scale;
        let map = FieldMap::new_on(mesh, tri, field, lines.as_ref(), &o).map_err(out_err)?;
        for (ext, bytes) in [
            ("png", map.to_png().map_err(out_err)?),
            ("svg", map.to_svg().map_err(out_err)?.into_bytes()),
        ] {
            let name = format!("map_{stem}{suffix}.{ext}");
            names.push(name.clone());
            files.push(OutputFile { name, bytes });
        }
    }
    Ok((files, names))
}

/// A species name as part of a file name (`K+` -> `K+`, `SO4--` kept; anything but
/// letters, digits, `+`, `-` and `_` becomes `_`).
pub(super) fn file_safe(n: &str) -> String {
    n.chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || "+-_".contains(c) {
                c
            } else {
                '_'
            }
        })
        .collect()
}

/// The files of one state with `suffix` before each extension (`""` for a steady state,
/// `"_0003"` for output time 3 of a transient): `potential.npy` and `c_<species>.npy` with
/// `formats = [.., "npy"]`, `line_<name>.csv` for every line cut, and the maps of
/// [`pnp_maps`] with `formats = [.., "map"]`; also the names of the map files.
/// `fields`: potential, `E`, then one concentration per species (as the VTK file).
pub(super) fn state_files(
    s: &PnpScenario,
    state: (&[f64], &[Vec<f64>]),
    fields: &[NodeField],
    suffix: &str,
) -> Result<(Vec<OutputFile>, Vec<String>), RunError> {
    let out_err = |e: FieldOutputError| RunError::Output(e.to_string());
    let mesh = &*s.problem.mesh;
    let names: Vec<&str> = s.problem.species.iter().map(|k| k.name.as_str()).collect();
    let m = names.len();
    let mut files = vec![];
    if s.outputs.npy {
        files.push(OutputFile {
            name: format!("potential{suffix}.npy"),
            bytes: node_field_npy(mesh, &fields[0]).map_err(out_err)?,
        });
        for (k, n) in names.iter().enumerate() {
            files.push(OutputFile {
                name: format!("c_{}{suffix}.npy", file_safe(n)),
                bytes: node_field_npy(mesh, &fields[2 + k]).map_err(out_err)?,
            });
        }
    }
    for l in &s.outputs.lines {
        files.push(OutputFile::text(
            &format!("line_{}{suffix}.csv", l.name),
            line_cut_csv_on(mesh, s.triangles.as_deref(), &fields[..2 + m], l).map_err(out_err)?,
        ));
    }
    let mut maps = vec![];
    if s.outputs.map {
        let stems: Vec<String> = names.iter().map(|n| file_safe(n)).collect();
        let (map_files, map_names) = pnp_maps(s, state, fields, &stems, suffix)?;
        files.extend(map_files);
        maps = map_names;
    }
    Ok((files, maps))
}

/// The `[output] probe` values of one or more states, by probe name: `at_m`, `region`, and
/// `potential_V` and `concentration_mol_m3` per species (`null` where the species is
/// absent), interpolated (multi)linearly on tensor meshes and linearly in the triangle
/// holding the probe on Delaunay meshes. With one state the values are numbers, with
/// several (a transient's output times) lists in the order of `states`.
pub(super) fn probe_values(
    s: &PnpScenario,
    states: &[(&[f64], &[Vec<f64>])],
    series: bool,
) -> Result<Map<String, Json>, RunError> {
    let mut probes = Map::new();
    if s.outputs.probes.is_empty() {
        return Ok(probes);
    }
    let mesh = &*s.problem.mesh;
    let names: Vec<&str> = s.problem.species.iter().map(|k| k.name.as_str()).collect();
    // Validation refused probes outside the domain.
    let sampler = PointSampler::new(mesh, s.triangles.as_deref(), "a probe")
        .map_err(|e| RunError::Output(e.to_string()))?;
    let dim = mesh.dim();
    let one = |v: Vec<Json>| if series { json!(v) } else { v[0].clone() };
    for pr in &s.outputs.probes {
        let Some(at) = sampler.locate(pr.at) else {
            continue;
        };
        let mut o = Map::new();
        o.insert("at_m".into(), json!(&pr.at[..dim]));
        o.insert(
            "region".into(),
            json!(mesh.regions()[s.region_at(pr.at) as usize]),
        );
        let phi: Vec<Json> = states
            .iter()
            .map(|(p, _)| json!(at.apply(|i| p[i])))
            .collect();
        o.insert("potential_V".into(), one(phi));
        let conc: Map<String, Json> = names
            .iter()
            .enumerate()
            .map(|(k, n)| {
                let v: Vec<Json> = states
                    .iter()
                    .map(|(_, c)| {
                        let v = at.apply(|i| c[k][i]);
                        if v.is_finite() {
                            json!(v)
                        } else {
                            Json::Null
                        }
                    })
                    .collect();
                (n.to_string(), one(v))
            })
            .collect();
        o.insert("concentration_mol_m3".into(), Json::Object(conc));
        probes.insert(pr.name.clone(), Json::Object(o));
    }
    Ok(probes)
}
