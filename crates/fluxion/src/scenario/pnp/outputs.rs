//! Maps of a PNP run (`formats = [..., "map"]`, `[output.map]`): the potential, every
//! concentration and `|E|`, with field lines of `E` or lines of the current density on
//! top, on 2D and `(r, z)` meshes (tensor or Delaunay).
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

use crate::constants::{thermal_voltage, FARADAY};
use crate::mesh::{Mesh, TriangleLocator};
use crate::models::pnp::PnpSolution;
use crate::output::{
    ColorScale, FieldMap, FieldOutputError, Flow, FlowLines, MapOptions, NodeField, OutputFile,
    PointSampler,
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
            for &f in mesh.node_faces(i) {
                let [p, q] = mesh.face_nodes(f as usize);
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
pub(super) fn current_density(s: &PnpScenario, sol: &PnpSolution) -> Vec<[f64; 3]> {
    let p = &s.problem;
    let mesh = &*p.mesh;
    let tri = s.triangles.as_deref();
    let n = mesh.nodes();
    let f_rt = 1.0 / thermal_voltage(p.temperature);
    let gphi = plane_gradient(mesh, tri, &sol.potential);
    let mut j = vec![[0.0; 3]; n];
    for (k, sp) in p.species.iter().enumerate() {
        if sp.charge == 0.0 {
            continue;
        }
        let c = &sol.concentration[k];
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

/// The map files of a PNP run and their names: `map_potential`, `map_c_<species>` (on the
/// `[output.map] concentration_scale`), `map_field` (`|E|`), each `.png` and `.svg`.
/// `fields` are the run's node fields: potential, `E`, then one concentration per species.
pub(super) fn pnp_maps(
    s: &PnpScenario,
    sol: &PnpSolution,
    fields: &[NodeField],
    file_stems: &[String],
) -> Result<(Vec<OutputFile>, Vec<String>), RunError> {
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
            current = current_density(s, sol);
            Some(Flow::Vector(&current))
        }
        MapLines::Field => Some(Flow::NegativeGradient(&sol.potential)),
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
            let name = format!("map_{stem}.{ext}");
            names.push(name.clone());
            files.push(OutputFile { name, bytes });
        }
    }
    Ok((files, names))
}
