//! The run of a static-field scenario: solve, post-process, render the files and
//! `summary.json`.

use std::time::Instant;

use serde_json::{json, Map, Value as Json};

use super::{MapLines, MeshKind, StaticScenario};
use crate::constants::{AVOGADRO, VACUUM_PERMEABILITY, VACUUM_PERMITTIVITY};
use crate::models::potential::{
    solve_potential, FieldKind, PatchCondition, PotentialError, PotentialSolution, RegionMaterial,
};
use crate::output::{
    line_cut_csv_on, node_field_npy, vtk_document, FieldMap, Flow, FlowLines, MapOptions,
    NodeField, OutputFile, PointSampler,
};
use crate::scenario::{RunError, RunReport};
use crate::solve::Progress;

impl From<PotentialError> for RunError {
    fn from(e: PotentialError) -> Self {
        RunError::Potential(e)
    }
}

/// The units of a static-field run.
struct Units {
    potential: &'static str,
    field: &'static str,
    flux: &'static str,
    density: &'static str,
}

fn units(kind: FieldKind) -> Units {
    match kind {
        FieldKind::Electric => Units {
            potential: "V",
            field: "V_m",
            flux: "C",
            density: "C_m2",
        },
        FieldKind::Magnetic => Units {
            potential: "A",
            field: "A_m",
            flux: "Wb",
            density: "T",
        },
    }
}

/// Solve a static-field scenario and render `summary.json`, `fields.vtr` (or `.vtu`),
/// `potential.npy`, `field.npy` and one `line_<name>.csv` per line cut.
pub fn run_static(s: &StaticScenario, progress: &mut dyn Progress) -> Result<RunReport, RunError> {
    let start = Instant::now();
    progress.update(0.0, "solving");
    let p = &s.problem;
    let sol = solve_potential(p)?;
    progress.update(0.7, "post-processing");
    let mesh = &*p.mesh;
    let u = units(p.kind);
    let mut files = vec![];
    let pot_name = match p.kind {
        FieldKind::Electric => "potential",
        FieldKind::Magnetic => "magnetic_potential",
    };
    let field_name = match p.kind {
        FieldKind::Electric => "E",
        FieldKind::Magnetic => "H",
    };
    let pot_unit = u.potential;
    let field_unit = if p.kind == FieldKind::Electric {
        "V/m"
    } else {
        "A/m"
    };
    let region: Vec<f64> = (0..mesh.nodes())
        .map(|i| mesh.dominant_region(i) as f64)
        .collect();
    let fields = [
        NodeField::scalar(pot_name, pot_unit, &sol.potential),
        NodeField::vector(field_name, field_unit, &sol.field),
        NodeField::scalar("region", "1", &region),
    ];
    let out_err = |e: crate::output::FieldOutputError| RunError::Output(e.to_string());
    if s.outputs.vtk {
        let doc = vtk_document(mesh, &fields).map_err(out_err)?;
        files.push(OutputFile::text(
            &format!("fields.{}", doc.kind.extension()),
            doc.xml,
        ));
    }
    if s.outputs.npy {
        files.push(OutputFile {
            name: "potential.npy".into(),
            bytes: node_field_npy(mesh, &fields[0]).map_err(out_err)?,
        });
        files.push(OutputFile {
            name: "field.npy".into(),
            bytes: node_field_npy(mesh, &fields[1]).map_err(out_err)?,
        });
    }
    for l in &s.outputs.lines {
        files.push(OutputFile::text(
            &format!("line_{}.csv", l.name),
            line_cut_csv_on(mesh, s.triangles.as_deref(), &fields[..2], l).map_err(out_err)?,
        ));
    }
    let mut maps = vec![];
    if s.outputs.map {
        progress.update(0.75, "maps");
        let tri = s.triangles.as_deref();
        let sampler = PointSampler::new(mesh, tri, "a map").map_err(out_err)?;
        let b = sampler.bounds();
        let (lo, hi) = ([b[0].0, b[1].0], [b[0].1, b[1].1]);
        // Field lines through seeds along the diagonal of the domain (those inside it),
        // both ways.
        let spec = &s.outputs.map_spec;
        let mut lines = FlowLines::seeded_along(
            Flow::NegativeGradient(&sol.potential),
            lo,
            hi,
            spec.line_count,
        );
        lines
            .seeds
            .retain(|q| sampler.locate([q[0], q[1], b[2].0]).is_some());
        let lines = (spec.lines != MapLines::None).then_some(&lines);
        let axisym = s.mesh_kind == MeshKind::Axisymmetric && lo[0] >= 0.0;
        let mirror = spec.mirror.unwrap_or(true) && axisym;
        let (pot_title, field_title) = match p.kind {
            FieldKind::Electric => ("potential", "|E|"),
            FieldKind::Magnetic => ("magnetic scalar potential", "|H|"),
        };
        for (stem, field, title) in [
            ("potential", &fields[0], pot_title),
            ("field", &fields[1], field_title),
        ] {
            let mut o = MapOptions::titled(&format!("{}: {title}", s.title));
            o.mirror = mirror;
            let map = FieldMap::new_on(mesh, tri, field, lines, &o).map_err(out_err)?;
            for (ext, bytes) in [
                ("png", map.to_png().map_err(out_err)?),
                ("svg", map.to_svg().map_err(out_err)?.into_bytes()),
            ] {
                let name = format!("map_{stem}.{ext}");
                maps.push(name.clone());
                files.push(OutputFile { name, bytes });
            }
        }
    }
    let mut summary = summary_json(s, &sol, &u)?;
    if !maps.is_empty() {
        summary["maps"] = json!(maps);
    }
    if s.outputs.vacuum_reference {
        progress.update(0.8, "vacuum reference");
        let mut vac = p.clone();
        for m in &mut vac.materials {
            if let RegionMaterial::Medium {
                relative,
                polarization,
                ..
            } = m
            {
                *relative = 1.0;
                *polarization = [0.0; 3];
            }
        }
        let v = solve_potential(&vac)?;
        let d = sol.energy - v.energy;
        summary["vacuum_reference"] = json!({
            "energy_vacuum_J": v.energy,
            "energy_difference_J": d,
            "energy_difference_kJ_per_mol": d * AVOGADRO / 1e3,
            "note": "energy of this run minus the same run with every medium replaced by vacuum (relative coefficient 1, no fixed polarization): for an ion, the Born solvation energy",
        });
    }
    summary["wall_time_s"] = json!(start.elapsed().as_secs_f64());
    files.push(OutputFile::text(
        "summary.json",
        serde_json::to_string_pretty(&summary).expect("JSON values serialize"),
    ));
    progress.update(1.0, "done");
    Ok(RunReport { files, summary })
}

fn summary_json(s: &StaticScenario, sol: &PotentialSolution, u: &Units) -> Result<Json, RunError> {
    let p = &s.problem;
    let mesh = &*p.mesh;
    let model = match p.kind {
        FieldKind::Electric => "electrostatics",
        FieldKind::Magnetic => "magnetostatics",
    };
    // Conductors (regions) and patches.
    let mut conductors = Map::new();
    let mut terminals: Vec<(f64, f64)> = vec![]; // (potential, charge)
    for c in &sol.conductors {
        conductors.insert(
            c.name.clone(),
            json!({ format!("potential_{}", u.potential): c.potential, format!("charge_{}", u.flux): c.charge }),
        );
        // Terminals: conductors held at a potential (a charged one is a floating body).
        let r = mesh.region_index(&c.name).map(|r| r as usize);
        if let Some(RegionMaterial::Conductor { .. }) = r.map(|r| p.materials[r]) {
            terminals.push((c.potential, c.charge));
        }
    }
    let mut patches = Map::new();
    for (i, f) in sol.patches.iter().enumerate() {
        let name = &s.patch_names[i];
        let mut o = Map::new();
        let area: f64 = mesh
            .patch_faces()
            .iter()
            .filter(|pf| pf.patch as usize == i)
            .map(|pf| pf.area)
            .sum();
        o.insert("area_m2".into(), json!(area));
        match p.patches[i] {
            PatchCondition::Potential(v) => {
                o.insert("condition".into(), json!("potential"));
                o.insert(format!("potential_{}", u.potential), json!(v));
                // The charge on an electrode is minus the outward flux of D through the
                // domain boundary there.
                o.insert(format!("charge_{}", u.flux), json!(-f.flux));
                terminals.push((v, -f.flux));
            }
            PatchCondition::NodePotential => {
                o.insert("condition".into(), json!("uniform_field"));
                o.insert(format!("charge_{}", u.flux), json!(-f.flux));
            }
            PatchCondition::SurfaceCharge(sig) => {
                o.insert("condition".into(), json!("surface_charge"));
                o.insert("surface_charge_C_m2".into(), json!(sig));
                o.insert("charge_C".into(), json!(sig * area));
            }
            _ => {
                o.insert("condition".into(), json!("natural"));
            }
        }
        o.insert(format!("outward_flux_{}", u.flux), json!(f.flux));
        patches.insert(name.clone(), Json::Object(o));
    }
    // Capacitance: exactly two distinct terminal potentials and no fixed sources.
    let sources = p.materials.iter().any(|m| {
        matches!(m, RegionMaterial::Medium { charge_density, polarization, .. } if *charge_density != 0.0 || *polarization != [0.0; 3])
            || matches!(m, RegionMaterial::ChargedConductor { charge } if *charge != 0.0)
    }) || p
        .patches
        .iter()
        .any(|c| matches!(c, PatchCondition::SurfaceCharge(s) if *s != 0.0));
    let mut levels: Vec<f64> = terminals.iter().map(|t| t.0).collect();
    levels.sort_by(f64::total_cmp);
    levels.dedup();
    let capacitance = (p.kind == FieldKind::Electric && !sources && levels.len() == 2).then(|| {
        let hi = levels[1];
        let q: f64 = terminals.iter().filter(|t| t.0 == hi).map(|t| t.1).sum();
        q / (levels[1] - levels[0])
    });
    // Probes.
    let mut probes = Map::new();
    if !s.outputs.probes.is_empty() {
        // Tensor grids interpolate (multi)linearly, Delaunay meshes linearly in the
        // triangle holding the probe (validation refused probes outside the domain).
        let sampler = PointSampler::new(mesh, s.triangles.as_deref(), "a probe")
            .map_err(|e| RunError::Output(e.to_string()))?;
        let dim = mesh.dim();
        for pr in &s.outputs.probes {
            let Some(at) = sampler.locate(pr.at) else {
                continue;
            };
            let (phi, f): (f64, Vec<f64>) = (
                at.apply(|i| sol.potential[i]),
                (0..dim).map(|c| at.apply(|i| sol.field[i][c])).collect(),
            );
            let r = s.region_at(pr.at) as usize;
            let (flux_density, name) = match p.materials[r] {
                RegionMaterial::Medium {
                    relative,
                    polarization,
                    ..
                } => match p.kind {
                    FieldKind::Electric => (
                        (0..dim)
                            .map(|c| VACUUM_PERMITTIVITY * relative * f[c] + polarization[c])
                            .collect::<Vec<f64>>(),
                        "D_C_m2",
                    ),
                    FieldKind::Magnetic => (
                        (0..dim)
                            .map(|c| VACUUM_PERMEABILITY * (relative * f[c] + polarization[c]))
                            .collect(),
                        "B_T",
                    ),
                },
                RegionMaterial::Conductor { .. } => (
                    vec![0.0; dim],
                    if p.kind == FieldKind::Electric {
                        "D_C_m2"
                    } else {
                        "B_T"
                    },
                ),
                #[allow(unreachable_patterns)]
                _ => (vec![f64::NAN; dim], "flux_density"),
            };
            let _ = u.density;
            probes.insert(
                pr.name.clone(),
                json!({
                    "at_m": &pr.at[..dim],
                    "region": mesh.regions()[r],
                    format!("potential_{}", u.potential): phi,
                    format!("field_{}", u.field): f,
                    name: flux_density,
                }),
            );
        }
    }
    let shape = mesh.shape().map(|sh| sh[..mesh.dim()].to_vec());
    Ok(json!({
        "model": model,
        "title": s.title,
        "mesh": {
            "kind": if s.delaunay { "delaunay" } else { s.mesh_kind.name() },
            "coordinates": s.mesh_kind.name(),
            "nodes": mesh.nodes(),
            "shape": shape,
            "faces": mesh.faces(),
            "regions": mesh.regions(),
            "extent": s.mesh_kind.extent(),
        },
        "solver": { "linear": s.linear, "used": sol.solver },
        "energy_J": sol.energy,
        "conductors": conductors,
        "patches": patches,
        "capacitance_F": capacitance,
        "probes": probes,
        "memory_estimate_bytes": s.memory_estimate,
        "warnings": s.warnings,
    }))
}
