//! The run of a PNP scenario: the steady state, the optional sweep, the field files and
//! `summary.json`.

use std::time::Instant;

use serde_json::{json, Map, Value as Json};

use super::PnpScenario;
use crate::constants::FARADAY;
use crate::models::pnp::{
    Pnp, PnpError, PnpSolution, PotentialCondition, SpeciesCondition, SteadySolver,
};
use crate::models::potential::node_gradient;
use crate::output::{vtk_document, NodeField, OutputFile};
use crate::scenario::{RunError, RunReport};
use crate::solve::Progress;

/// Relative current imbalance (sum of the outward patch currents over the largest) above
/// which the run warns: the scheme conserves charge to round-off, so more means an
/// unconverged solve.
pub const CURRENT_BALANCE_WARNING: f64 = 1e-6;

/// Concentration above which ideal PNP is unphysical (pure water, mol/m^3).
const PURE_SOLVENT_MOL_M3: f64 = 55.3e3;

impl From<PnpError> for RunError {
    fn from(e: PnpError) -> Self {
        RunError::Pnp(e)
    }
}

/// A progress sink that maps a sub-task's `[0, 1]` into `[lo, hi]` of the whole run.
struct Part<'a> {
    inner: &'a mut dyn Progress,
    lo: f64,
    hi: f64,
    label: String,
}

impl Progress for Part<'_> {
    fn update(&mut self, fraction: f64, message: &str) {
        let f = self.lo + (self.hi - self.lo) * fraction.clamp(0.0, 1.0);
        self.inner.update(f, &format!("{}: {message}", self.label));
    }
}

/// Solve a PNP scenario and render `summary.json`, `fields.vtr`/`.vtu`, `potential.npy`,
/// `c_<species>.npy`, `line_<name>.csv`, with a sweep `iv.csv`, and with `formats = [..,
/// "map"]` the maps of `outputs::pnp_maps`.
pub fn run_pnp(s: &PnpScenario, progress: &mut dyn Progress) -> Result<RunReport, RunError> {
    if let Some(tr) = &s.transient {
        return super::transient::run_transient(s, tr, progress);
    }
    let start = Instant::now();
    let p = &s.problem;
    let points = s.sweep.as_ref().map_or(0, |w| w.potentials.len());
    let share = 1.0 / (points as f64 + 1.0);
    let mut part = Part {
        inner: progress,
        lo: 0.0,
        hi: 0.8 * share,
        label: "steady state".into(),
    };
    let sol = Pnp::with_closure(p.clone(), s.closure)?.solve_steady(&mut part)?;
    let progress = part.inner;
    // The sweep: the same problem at each potential of one patch, under the scenario's
    // closure. One discrete system for all points (the potential rows of the swept patch
    // are fixed at every point; under `fixed_field` the Laplace field is solved again at
    // each point); the first point starts cold, each later one from the state of the point
    // before (`SteadySolver`), which converges to the same solution in fewer Newton
    // iterations.
    let mut sweep_rows: Vec<(f64, PnpSolution)> = vec![];
    if let Some(sw) = &s.sweep {
        let mut solver: Option<SteadySolver> = None;
        for (j, &v) in sw.potentials.iter().enumerate() {
            let mut part = Part {
                inner: &mut *progress,
                lo: 0.8 * share * (j as f64 + 1.0),
                hi: 0.8 * share * (j as f64 + 2.0),
                label: format!("sweep {}/{} ({v} V)", j + 1, sw.potentials.len()),
            };
            let sv = match solver.as_mut() {
                Some(sv) => {
                    sv.set_patch_potential(sw.patch, v)?;
                    sv
                }
                None => {
                    let mut q = p.clone();
                    q.patches[sw.patch].potential = PotentialCondition::Potential(v);
                    solver.insert(SteadySolver::new(Pnp::with_closure(q, s.closure)?)?)
                }
            };
            let (r, _) = sv.solve(&mut part)?;
            sweep_rows.push((v, r));
        }
    }
    progress.update(0.85, "post-processing");
    let mesh = &*p.mesh;
    let names: Vec<String> = p.species.iter().map(|k| k.name.clone()).collect();
    let (field, region, rho) = node_fields(p, &sol.potential, &sol.concentration);
    let region_f: Vec<f64> = region.iter().map(|&r| r as f64).collect();
    let conc_names: Vec<String> = names.iter().map(|n| format!("c_{n}")).collect();
    let mut fields = vec![
        NodeField::scalar("potential", "V", &sol.potential),
        NodeField::vector("E", "V/m", &field),
    ];
    for (k, n) in conc_names.iter().enumerate() {
        fields.push(NodeField::scalar(n, "mol/m^3", &sol.concentration[k]));
    }
    fields.push(NodeField::scalar("space_charge", "C/m^3", &rho));
    fields.push(NodeField::scalar("region", "1", &region_f));
    let out_err = |e: crate::output::FieldOutputError| RunError::Output(e.to_string());
    let mut files = vec![];
    if s.outputs.vtk {
        let doc = vtk_document(mesh, &fields).map_err(out_err)?;
        files.push(OutputFile::text(
            &format!("fields.{}", doc.kind.extension()),
            doc.xml,
        ));
    }
    if s.outputs.map {
        progress.update(0.9, "maps");
    }
    let (state_files, maps) =
        super::outputs::state_files(s, (&sol.potential, &sol.concentration), &fields, "")?;
    files.extend(state_files);
    let mut warnings = s.warnings.clone();
    let mut summary = summary_json(s, &sol, &mut warnings)?;
    if let Some(sw) = &s.sweep {
        let (iv, csv) = sweep_json(s, sw.patch, &sweep_rows);
        summary["sweep"] = iv;
        files.push(OutputFile::text("iv.csv", csv));
    }
    if !maps.is_empty() {
        summary["maps"] = json!(maps);
    }
    summary["warnings"] = json!(warnings);
    summary["closure"] = json!(s.closure.name());
    summary["wall_time_s"] = json!(start.elapsed().as_secs_f64());
    files.push(OutputFile::text(
        "summary.json",
        serde_json::to_string_pretty(&summary).expect("JSON values serialize"),
    ));
    progress.update(1.0, "done");
    Ok(RunReport { files, summary })
}

/// The largest ionic current `F |z_k flow_k|` of any species through any patch (A): the
/// scale of the round-off in the sum of the patch currents, which at open circuit is all
/// they are.
fn ionic_scale(p: &crate::models::pnp::PnpProblem, sol: &PnpSolution) -> f64 {
    sol.patches
        .iter()
        .flat_map(|f| f.species.iter().zip(&p.species))
        .map(|(flow, k)| FARADAY * (k.charge * flow).abs())
        .filter(|x| x.is_finite())
        .fold(0.0, f64::max)
}

/// `(sum of the outward patch currents, the largest |current|)`.
fn current_balance(sol: &PnpSolution) -> (f64, f64) {
    let sum: f64 = sol.patches.iter().map(|f| f.current).sum();
    let max = sol
        .patches
        .iter()
        .map(|f| f.current.abs())
        .fold(0.0, f64::max);
    (sum, max)
}

fn summary_json(
    s: &PnpScenario,
    sol: &PnpSolution,
    warnings: &mut Vec<String>,
) -> Result<Json, RunError> {
    let p = &s.problem;
    let mesh = &*p.mesh;
    let names: Vec<&str> = p.species.iter().map(|k| k.name.as_str()).collect();
    let mut patches = Map::new();
    for (i, f) in sol.patches.iter().enumerate() {
        let c = &p.patches[i];
        let mut o = Map::new();
        o.insert(
            "area_m2".into(),
            json!(crate::scenario::geometry::patch_area(mesh, i)),
        );
        match c.potential {
            PotentialCondition::Potential(v) => {
                o.insert("potential_V".into(), json!(v));
            }
            PotentialCondition::SurfaceCharge(q) => {
                o.insert("surface_charge_C_m2".into(), json!(q));
            }
            _ => {}
        }
        let mut conc = Map::new();
        for (k, sc) in c.species.iter().enumerate() {
            if let SpeciesCondition::Concentration(v) = sc {
                conc.insert(names[k].into(), json!(v));
            }
        }
        if !conc.is_empty() {
            o.insert("concentration_mol_m3".into(), Json::Object(conc));
        }
        let flows: Map<String, Json> = names
            .iter()
            .zip(&f.species)
            .map(|(n, v)| (n.to_string(), json!(v)))
            .collect();
        o.insert("outward_flow_mol_s".into(), Json::Object(flows));
        o.insert("outward_current_A".into(), json!(f.current));
        patches.insert(s.patch_names[i].clone(), Json::Object(o));
    }
    let (sum, max) = current_balance(sol);
    // Relative to the largest current or, if larger (at open circuit the currents are
    // round-off), the largest ionic current of one species.
    let scale = max.max(ionic_scale(p, sol));
    let rel = if scale > 0.0 { sum.abs() / scale } else { 0.0 };
    if rel > CURRENT_BALANCE_WARNING {
        warnings.push(format!(
            "the outward currents through all patches add up to {sum:e} A, {rel:.2e} of the largest current (or ionic current): charge is not conserved to solver accuracy (the solve may be unconverged; refine the mesh where the Debye layers are)"
        ));
    }
    for (k, n) in names.iter().enumerate() {
        let (i, c) = sol.concentration[k]
            .iter()
            .copied()
            .enumerate()
            .filter(|(_, c)| c.is_finite())
            .fold((0, f64::MIN), |a, b| if b.1 > a.1 { b } else { a });
        if c > PURE_SOLVENT_MOL_M3 {
            let x = mesh.position(i);
            warnings.push(format!(
                "c({n}) reaches {:.3e} M at {:?} m, above the density of pure water (55.3 M): ideal Poisson-Nernst-Planck ignores ion size, so the solution is not physical there (lower the potential or surface charge; finite ion size is issue #10)",
                c / 1e3,
                &x[..mesh.dim()]
            ));
        }
    }
    let probes = super::outputs::probe_values(s, &[(&sol.potential, &sol.concentration)], false)?;
    let shape = mesh.shape().map(|sh| sh[..mesh.dim()].to_vec());
    Ok(json!({
        "model": "pnp",
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
        "temperature_K": p.temperature,
        "species": names,
        "solver": {
            "linear": s.linear,
            "used": sol.solver,
            "newton_iterations": sol.newton_iterations,
            "continuation": sol.continuation,
        },
        "patches": patches,
        "current_balance": {
            "sum_of_outward_currents_A": sum,
            "largest_current_A": max,
            "relative": rel,
        },
        "probes": probes,
        "fixed_field": fixed_field_json(s),
        "memory_estimate_bytes": s.memory_estimate,
    }))
}

/// The uniform field of `[fixed_field]` (`field_V_m`, `direction`), or `null`.
pub(super) fn fixed_field_json(s: &PnpScenario) -> Json {
    match s.uniform_field {
        Some((e, d)) => json!({
            "field_V_m": e,
            "direction": &d[..s.problem.mesh.dim()],
            "potential": "phi(x) = -field (direction . x)",
        }),
        None => Json::Null,
    }
}

/// The sweep as JSON (`potentials_V`, per patch the outward currents, the rectification
/// ratios `|I(+V)| / |I(-V)|` for every swept `V > 0` whose `-V` is also swept) and as CSV.
fn sweep_json(s: &PnpScenario, patch: usize, rows: &[(f64, PnpSolution)]) -> (Json, String) {
    let mut csv = String::from("potential_V");
    for n in &s.patch_names {
        csv.push_str(&format!(",current_{n}_A"));
    }
    csv.push_str(",newton_iterations\n");
    for (v, r) in rows {
        csv.push_str(&format!("{v:e}"));
        for f in &r.patches {
            csv.push_str(&format!(",{:e}", f.current));
        }
        csv.push_str(&format!(",{}\n", r.newton_iterations));
    }
    let mut currents = Map::new();
    for (i, n) in s.patch_names.iter().enumerate() {
        currents.insert(
            n.clone(),
            json!(rows
                .iter()
                .map(|(_, r)| r.patches[i].current)
                .collect::<Vec<_>>()),
        );
    }
    let mut ratios = vec![];
    for (v, r) in rows.iter().filter(|(v, _)| *v > 0.0) {
        if let Some((_, q)) = rows.iter().find(|(w, _)| *w == -*v) {
            let (a, b) = (r.patches[patch].current, q.patches[patch].current);
            ratios.push(json!({
                "potential_V": v,
                "ratio": if b != 0.0 { (a / b).abs() } else { f64::NAN },
            }));
        }
    }
    (
        json!({
            "patch": s.patch_names[patch],
            "potentials_V": rows.iter().map(|(v, _)| *v).collect::<Vec<_>>(),
            "outward_current_A": currents,
            "rectification": ratios,
            "note": "rectification ratio = |I(+V)| / |I(-V)| of the outward current through the swept patch",
        }),
        csv,
    )
}

/// Node fields derived from a PNP state: `E = -grad phi` (V/m), the region of each node's
/// largest volume part, and the space charge `F (sum_k z_k c_k + fixed charge)` (C/m^3,
/// excluded species counted as 0).
pub(super) fn node_fields(
    p: &crate::models::pnp::PnpProblem,
    potential: &[f64],
    concentration: &[Vec<f64>],
) -> (Vec<[f64; 3]>, Vec<u16>, Vec<f64>) {
    let mesh = &*p.mesh;
    let field: Vec<[f64; 3]> = node_gradient(mesh, potential)
        .into_iter()
        .map(|g| g.map(|c| -c))
        .collect();
    let region: Vec<u16> = (0..mesh.nodes()).map(|i| mesh.dominant_region(i)).collect();
    let rho: Vec<f64> = (0..mesh.nodes())
        .map(|i| {
            let ions: f64 = p
                .species
                .iter()
                .zip(concentration)
                .map(|(k, c)| if c[i].is_nan() { 0.0 } else { k.charge * c[i] })
                .sum();
            FARADAY * (ions + p.media[region[i] as usize].fixed_charge)
        })
        .collect();
    (field, region, rho)
}
