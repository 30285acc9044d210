//! `fluxion check` and `fluxion run` for static-field scenarios (`model = "electrostatics"`
//! or `"magnetostatics"`): the check line, the exit code of a failed run and the terminal
//! summary. The solve and the output set (`summary.json`, `fields.vtr`/`.vtu`,
//! `potential.npy`, `field.npy`, `line_<name>.csv`, and with `formats = [.., "map"]` the
//! maps `map_potential.png`/`.svg`, `map_field.png`/`.svg`) come from
//! `fluxion::scenario::run_static`; the files are written by `outdir` as a whole set.

use std::path::Path;

use fluxion::models::potential::{FieldKind, PotentialError};
use fluxion::scenario::StaticScenario;

use crate::Failure;

/// `fluxion check` of a parsed static-field scenario: parsing already built the mesh and
/// ran every validation, including the memory estimate.
pub fn check(path: &Path, s: &StaticScenario) -> Result<(), Failure> {
    let p = &s.problem;
    let m = &*p.mesh;
    let shape = m
        .shape()
        .map(|sh| {
            sh[..m.dim()]
                .iter()
                .map(|n| n.to_string())
                .collect::<Vec<_>>()
                .join(" x ")
        })
        .unwrap_or_else(|| m.nodes().to_string());
    println!(
        "{}: ok ({}, {} mesh of {} nodes ({shape}), {} region(s): {}, {} patch(es) with conditions, linear solver {}, about {:.1} MB)",
        path.display(),
        match p.kind {
            FieldKind::Electric => "electrostatics",
            FieldKind::Magnetic => "magnetostatics",
        },
        s.mesh_kind.name(),
        m.nodes(),
        m.regions().len(),
        m.regions().join(", "),
        p.patches
            .iter()
            .filter(|c| !matches!(c, fluxion::models::potential::PatchCondition::Natural))
            .count(),
        s.linear,
        s.memory_estimate / 1e6
    );
    Ok(())
}

/// The exit code of a failed static run: a problem that cannot be posed is bad input (2), a
/// failed linear solve is a failed computation (1).
pub fn failure(e: &PotentialError) -> Failure {
    match e {
        PotentialError::Linear(_) => Failure::Solver(e.to_string()),
        _ => Failure::Input(format!("error: {e}\n")),
    }
}

/// The terminal summary of a static run, or `None` for other models.
pub fn short_summary(v: &serde_json::Value) -> Option<String> {
    let model = v["model"].as_str()?;
    if model != "electrostatics" && model != "magnetostatics" {
        return None;
    }
    let magnetic = model == "magnetostatics";
    let (pu, qu) = if magnetic { ("A", "Wb") } else { ("V", "C") };
    let mut lines = vec![format!(
        "  {} mesh, {} nodes, {}: energy {:.6e} J ({}), wall time {:.3} s",
        v["mesh"]["kind"].as_str().unwrap_or("?"),
        v["mesh"]["nodes"],
        v["solver"]["used"].as_str().unwrap_or("?"),
        v["energy_J"].as_f64().unwrap_or(f64::NAN),
        v["mesh"]["extent"].as_str().unwrap_or(""),
        v["wall_time_s"].as_f64().unwrap_or(f64::NAN)
    )];
    if let Some(c) = v["capacitance_F"].as_f64() {
        lines.push(format!("  capacitance {c:.6e} F"));
    }
    if let Some(obj) = v["patches"].as_object() {
        for (name, p) in obj {
            lines.push(format!(
                "  {name:>10}: {}, outward flux {:.6e} {qu}",
                p["condition"].as_str().unwrap_or("?"),
                p[format!("outward_flux_{qu}")].as_f64().unwrap_or(f64::NAN)
            ));
        }
    }
    if let Some(obj) = v["conductors"].as_object() {
        for (name, c) in obj {
            lines.push(format!(
                "  {name:>10}: conductor at {} {pu}, charge {:.6e} {qu}",
                c[format!("potential_{pu}")],
                c[format!("charge_{qu}")].as_f64().unwrap_or(f64::NAN)
            ));
        }
    }
    if let Some(d) = v["vacuum_reference"]["energy_difference_kJ_per_mol"].as_f64() {
        lines.push(format!(
            "  energy relative to vacuum {:.6e} J ({d:.4} kJ/mol)",
            v["vacuum_reference"]["energy_difference_J"]
                .as_f64()
                .unwrap_or(f64::NAN)
        ));
    }
    Some(lines.join("\n"))
}
