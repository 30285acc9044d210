//! Transient PNP scenarios (`mode = "transient"`): the initial concentrations and the time
//! loop's outputs, one field file per output time (`fields_NNNN.vtr`/`.vtu`) with a
//! `fields.pvd` collection, `currents.csv` (outward conduction, displacement and total
//! current of every patch and the charge in the domain at every step) and `summary.json`.

use std::time::Instant;

use serde_json::{json, Map, Value as Json};
use toml::Value;

use super::{PnpScenario, PnpTransientRun};
use crate::mesh::Mesh;
use crate::models::electrodiffusion::Closure;
use crate::models::pnp::{Medium, Pnp};
use crate::models::pnp_transient::PnpTransientSolution;
use crate::output::{pvd_collection, vtk_document, NodeField, OutputFile};
use crate::scenario::{raw, show, Ctx, RunError, RunReport, MAX_CONCENTRATION};
use crate::solve::Progress;
use crate::units::dims;

/// The initial concentration of every species at every node: `initial = "10 mM"` (uniform)
/// or `initial = { water = "10 mM", membrane = "1 M" }` by region (the region of the
/// node's largest volume part; unlisted regions: 0). Under the electroneutral closure every
/// region's composition must be neutral with its fixed charge.
pub(super) fn build_initial(
    species: &[raw::Species],
    charges: &[f64],
    names: &[String],
    mesh: &Mesh,
    media: &[Medium],
    closure: Option<Closure>,
    cx: &mut Ctx,
) -> Option<Vec<Vec<f64>>> {
    if species.len() != names.len() || charges.len() != names.len() {
        // A species was refused (reported already).
        return None;
    }
    let regions = mesh.regions();
    let mut per_region = vec![vec![0.0; regions.len()]; names.len()];
    let mut ok = true;
    for (k, s) in species.iter().enumerate() {
        let key = format!("species[{k}].initial");
        let Some(v) = &s.initial else {
            cx.push(
                key,
                format!("mode = \"transient\" needs the initial concentration of \"{}\": add initial = \"10 mM\" (uniform) or initial = {{ {} = \"10 mM\" }} (by region)", names[k], regions[0]),
                None,
            );
            ok = false;
            continue;
        };
        let check = |x: Option<f64>, key: &str, shown: String, cx: &mut Ctx| match x {
            Some(c) if (0.0..=MAX_CONCENTRATION).contains(&c) => Some(c),
            Some(c) => {
                cx.push(
                    key,
                    format!("{shown} ({c:e} mol/m^3) must lie in [0, {MAX_CONCENTRATION:e}] mol/m^3 (55.5 M, pure water); e.g. initial = \"10 mM\""),
                    Some(v.span()),
                );
                None
            }
            None => None,
        };
        match v.get_ref() {
            Value::Table(t) => {
                for (r, val) in t {
                    let kk = format!("{key}.{r}");
                    let Some(ri) = regions.iter().position(|n| n == r) else {
                        cx.push(
                            kk,
                            format!("no region \"{r}\"; the regions are {}", regions.join(", ")),
                            Some(v.span()),
                        );
                        ok = false;
                        continue;
                    };
                    let x = cx.quantity_at(val, v.span(), &kk, dims::CONCENTRATION);
                    match check(x, &kk, format!("{val}"), cx) {
                        Some(c) => per_region[k][ri] = c,
                        None => ok = false,
                    }
                }
            }
            _ => {
                let x = cx.quantity(v, &key, dims::CONCENTRATION);
                match check(x, &key, show(v), cx) {
                    Some(c) => per_region[k].fill(c),
                    None => ok = false,
                }
            }
        }
    }
    if ok && closure == Some(Closure::Electroneutral) {
        for (r, name) in regions.iter().enumerate() {
            let (mut q, mut scale) = (media[r].fixed_charge, media[r].fixed_charge.abs());
            for (k, &z) in charges.iter().enumerate() {
                if media[r].diffusivity_factor[k].is_some() {
                    q += z * per_region[k][r];
                    scale += (z * per_region[k][r]).abs();
                }
            }
            if q.abs() > 1e-9 * scale.max(1e-300) {
                cx.push(
                    "species.initial",
                    format!("under closure = \"electroneutral\" the initial composition of region \"{name}\" must be neutral, but sum z c + fixed_charge = {q:.6e} mol/m^3: adjust the initial concentrations there"),
                    None,
                );
                ok = false;
            }
        }
    }
    ok.then(|| {
        (0..names.len())
            .map(|k| {
                (0..mesh.nodes())
                    .map(|i| per_region[k][mesh.dominant_region(i) as usize])
                    .collect()
            })
            .collect()
    })
}

/// Integrate a transient PNP scenario and render its files: per output time `j` the field
/// file `fields_NNNN`, and with the `[output]` settings `potential_NNNN.npy`,
/// `c_<species>_NNNN.npy`, `line_<name>_NNNN.csv` and the maps `map_<field>_NNNN.png/.svg`
/// (`super::outputs::state_files`); the probes in `summary.json` hold one value per output
/// time.
///
/// TODO(#9): the memory estimate does not count the snapshots yet.
pub(super) fn run_transient(
    s: &PnpScenario,
    tr: &PnpTransientRun,
    progress: &mut dyn Progress,
) -> Result<RunReport, RunError> {
    let start = Instant::now();
    let p = &s.problem;
    let mut model = Pnp::with_closure(p.clone(), s.closure)?;
    let sol = model.solve_transient(&tr.initial, &tr.options, progress)?;
    progress.update(0.95, "post-processing");
    let mesh = &*p.mesh;
    let mut files = vec![];
    let mut maps = vec![];
    let out_err = |e: crate::output::FieldOutputError| RunError::Output(e.to_string());
    let mut entries = vec![];
    for (j, snap) in sol.snapshots.iter().enumerate() {
        let (field, region, rho) = super::run::node_fields(p, &snap.potential, &snap.concentration);
        let region_f: Vec<f64> = region.iter().map(|&r| r as f64).collect();
        let names: Vec<String> = p.species.iter().map(|k| format!("c_{}", k.name)).collect();
        let mut fields = vec![
            NodeField::scalar("potential", "V", &snap.potential),
            NodeField::vector("E", "V/m", &field),
        ];
        for (k, n) in names.iter().enumerate() {
            fields.push(NodeField::scalar(n, "mol/m^3", &snap.concentration[k]));
        }
        fields.push(NodeField::scalar("space_charge", "C/m^3", &rho));
        fields.push(NodeField::scalar("region", "1", &region_f));
        if s.outputs.vtk {
            let doc = vtk_document(mesh, &fields).map_err(out_err)?;
            let name = format!("fields_{j:04}.{}", doc.kind.extension());
            files.push(OutputFile::text(&name, doc.xml));
            entries.push((snap.time, name));
        }
        let state = (&snap.potential[..], &snap.concentration[..]);
        let (more, map_names) =
            super::outputs::state_files(s, state, &fields, &format!("_{j:04}"))?;
        files.extend(more);
        maps.extend(map_names);
    }
    if s.outputs.vtk {
        let list: Vec<(f64, &str)> = entries.iter().map(|(t, n)| (*t, n.as_str())).collect();
        files.push(OutputFile::text(
            "fields.pvd",
            pvd_collection(&list).map_err(out_err)?,
        ));
    }
    files.push(OutputFile::text("currents.csv", currents_csv(s, &sol)));
    let mut summary = summary_json(s, tr, &sol, mesh);
    let states: Vec<(&[f64], &[Vec<f64>])> = sol
        .snapshots
        .iter()
        .map(|x| (&x.potential[..], &x.concentration[..]))
        .collect();
    summary["probes"] = json!(super::outputs::probe_values(s, &states, true)?);
    if !maps.is_empty() {
        summary["maps"] = json!(maps);
    }
    summary["fixed_field"] = super::run::fixed_field_json(s);
    summary["wall_time_s"] = json!(start.elapsed().as_secs_f64());
    files.push(OutputFile::text(
        "summary.json",
        serde_json::to_string_pretty(&summary).expect("JSON values serialize"),
    ));
    progress.update(1.0, "done");
    Ok(RunReport { files, summary })
}

/// One row per step: time, per patch the outward conduction, displacement and total
/// current, then the charge in the domain and its rate of change.
fn currents_csv(s: &PnpScenario, sol: &PnpTransientSolution) -> String {
    let mut csv = String::from("time_s");
    for n in &s.patch_names {
        csv.push_str(&format!(",conduction_{n}_A,displacement_{n}_A,total_{n}_A"));
    }
    csv.push_str(",charge_C,charge_rate_A\n");
    let se = &sol.series;
    for j in 0..se.time.len() {
        csv.push_str(&format!("{:e}", se.time[j]));
        for (c, d) in se.conduction[j].iter().zip(&se.displacement[j]) {
            csv.push_str(&format!(",{c:e},{d:e},{:e}", c + d));
        }
        csv.push_str(&format!(",{:e},{:e}\n", se.charge[j], se.charge_rate[j]));
    }
    csv
}

fn summary_json(
    s: &PnpScenario,
    tr: &PnpTransientRun,
    sol: &PnpTransientSolution,
    mesh: &Mesh,
) -> Json {
    let se = &sol.series;
    let last = se.time.len() - 1;
    let names: Vec<&str> = s.problem.species.iter().map(|k| k.name.as_str()).collect();
    let m = names.len();
    let mut patches = Map::new();
    for (i, n) in s.patch_names.iter().enumerate() {
        let flows: Map<String, Json> = names
            .iter()
            .enumerate()
            .map(|(k, sp)| (sp.to_string(), json!(se.flow[last][i * m + k])))
            .collect();
        patches.insert(
            n.clone(),
            json!({
                "area_m2": crate::scenario::geometry::patch_area(mesh, i),
                "outward_flow_mol_s": flows,
                "conduction_current_A": se.conduction[last][i],
                "displacement_current_A": se.displacement[last][i],
                "outward_current_A": se.conduction[last][i] + se.displacement[last][i],
            }),
        );
    }
    // Continuity and conservation over all steps after the first.
    let (mut worst_total, mut worst_charge, mut largest): (f64, f64, f64) = (0.0, 0.0, 0.0);
    for j in 1..se.time.len() {
        let total: f64 = se.conduction[j]
            .iter()
            .zip(&se.displacement[j])
            .map(|(c, d)| c + d)
            .sum();
        let cond: f64 = se.conduction[j].iter().sum();
        worst_total = worst_total.max(total.abs());
        worst_charge = worst_charge.max((cond + se.charge_rate[j]).abs());
        for (c, d) in se.conduction[j].iter().zip(&se.displacement[j]) {
            largest = largest.max((c + d).abs()).max(c.abs());
        }
    }
    let amounts: Map<String, Json> = names
        .iter()
        .enumerate()
        .map(|(k, sp)| {
            (
                sp.to_string(),
                json!({ "initial_mol": se.amount[0][k], "final_mol": se.amount[last][k] }),
            )
        })
        .collect();
    json!({
        "model": "pnp",
        "mode": "transient",
        "closure": s.closure.name(),
        "title": s.title,
        "mesh": {
            "kind": if s.delaunay { "delaunay" } else { s.mesh_kind.name() },
            "coordinates": s.mesh_kind.name(),
            "nodes": mesh.nodes(),
            "faces": mesh.faces(),
            "regions": mesh.regions(),
        },
        "temperature_K": s.problem.temperature,
        "species": names,
        "solver": {
            "linear": s.linear,
            "used": sol.solver,
            "newton_iterations": sol.stats.newton_iterations,
            "steps": sol.stats.steps,
            "error_test_failures": sol.stats.error_test_failures,
            "newton_failures": sol.stats.newton_failures,
            "continuation": false,
        },
        "transient": {
            "end_time_s": tr.options.end_time,
            "rtol": tr.options.rtol,
            "output_times_s": sol.snapshots.iter().map(|x| x.time).collect::<Vec<_>>(),
        },
        "patches": patches,
        "current_balance": {
            "largest_current_A": largest,
            "worst_sum_of_total_currents_A": worst_total,
            "relative": if largest > 0.0 { worst_total / largest } else { 0.0 },
            "worst_conduction_plus_charge_rate_A": worst_charge,
        },
        "charge_C": { "initial": se.charge[0], "final": se.charge[last] },
        "amount": amounts,
        "memory_estimate_bytes": s.memory_estimate,
        "warnings": s.warnings,
    })
}
