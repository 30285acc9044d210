//! `fluxion check` and `fluxion run` for Poisson-Nernst-Planck scenarios on general meshes
//! (`model = "pnp"`): the check line, the exit code of a failed run and the terminal
//! summary. The solve and the output set come from `fluxion::scenario::run_pnp`.

use std::path::Path;

use fluxion::models::pnp::PnpError;
use fluxion::scenario::PnpScenario;

use crate::Failure;

/// `fluxion check` of a parsed PNP scenario (parsing built the mesh and ran every
/// validation, including the memory estimate).
pub fn check(path: &Path, s: &PnpScenario) -> Result<(), Failure> {
    let p = &s.problem;
    let m = &*p.mesh;
    // Building the discrete system checks what parsing cannot (e.g. a species that can
    // reach no node), without solving.
    fluxion::models::pnp::Pnp::with_closure(p.clone(), s.closure).map_err(|e| failure(&e))?;
    println!(
        "{}: ok (pnp{}, {} species: {}, {} mesh of {} nodes, {} region(s): {}, {} patch(es){}, about {:.1} MB)",
        path.display(),
        match (&s.transient, s.closure.name()) {
            (Some(t), c) => format!(" transient to {:e} s, {c} closure", t.options.end_time),
            (None, "poisson") => String::new(),
            (None, c) => format!(", {c} closure"),
        },
        p.species.len(),
        p.species.iter().map(|k| k.name.as_str()).collect::<Vec<_>>().join(", "),
        s.mesh_kind.name(),
        m.nodes(),
        m.regions().len(),
        m.regions().join(", "),
        m.patches().len(),
        s.sweep
            .as_ref()
            .map(|w| format!(", sweep of {} potentials on {}", w.potentials.len(), s.patch_names[w.patch]))
            .unwrap_or_default(),
        s.memory_estimate / 1e6
    );
    Ok(())
}

/// The exit code of a failed PNP run: a problem that cannot be posed is bad input (2), a
/// solve that did not converge is a failed computation (1).
pub fn failure(e: &PnpError) -> Failure {
    match e {
        PnpError::Invalid(_) => Failure::Input(format!("error: {e}\n")),
        _ => Failure::Solver(e.to_string()),
    }
}

/// The terminal summary of a PNP run, or `None` for other models.
pub fn short_summary(v: &serde_json::Value) -> Option<String> {
    if v["model"].as_str()? != "pnp" {
        return None;
    }
    let mut lines = vec![format!(
        "  {} mesh, {} nodes, {} ({} Newton iterations{}): wall time {:.3} s",
        v["mesh"]["kind"].as_str().unwrap_or("?"),
        v["mesh"]["nodes"],
        v["solver"]["used"].as_str().unwrap_or("?"),
        v["solver"]["newton_iterations"],
        if v["solver"]["continuation"].as_bool() == Some(true) {
            ", with continuation"
        } else {
            ""
        },
        v["wall_time_s"].as_f64().unwrap_or(f64::NAN)
    )];
    if v["mode"].as_str() == Some("transient") {
        lines.push(format!(
            "  transient ({} closure): {} steps to {:e} s, {} field snapshots (fields.pvd), currents.csv",
            v["closure"].as_str().unwrap_or("?"),
            v["solver"]["steps"],
            v["transient"]["end_time_s"].as_f64().unwrap_or(f64::NAN),
            v["transient"]["output_times_s"].as_array().map_or(0, |a| a.len())
        ));
    }
    if let Some(obj) = v["patches"].as_object() {
        for (name, p) in obj {
            let i = p["outward_current_A"].as_f64().unwrap_or(f64::NAN);
            if i != 0.0 || p.get("potential_V").is_some() {
                lines.push(format!("  {name:>14}: outward current {i:.6e} A"));
            }
        }
    }
    if let Some(r) = v["current_balance"]["relative"].as_f64() {
        lines.push(format!(
            "  current balance over all patches: {r:.1e} of the largest"
        ));
    }
    if let Some(rs) = v["sweep"]["rectification"].as_array() {
        for r in rs {
            lines.push(format!(
                "  rectification |I(+{v} V)| / |I(-{v} V)| = {:.4}",
                r["ratio"].as_f64().unwrap_or(f64::NAN),
                v = r["potential_V"]
            ));
        }
    }
    Some(lines.join("\n"))
}
