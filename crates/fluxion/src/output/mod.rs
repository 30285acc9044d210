//! Outputs rendered in memory: CSV tables, JSON summaries and figures.
//!
//! Nothing here touches the file system; the caller (the CLI) writes the bytes, atomically.
//! CSV files use a header row, commas and `1.234e-9` style numbers, which Python
//! (`pandas.read_csv`), Julia (`CSV.read`) and spreadsheets read directly.

pub mod fields;
pub mod figures;
pub mod linecut;
pub mod maps;
pub mod npy;
pub mod plot;
pub mod vortex_figures;
pub mod vtk;

pub use fields::{FieldData, FieldOutputError, NodeField, PointSampler, Stencil, TensorAxes};
pub use figures::{current_figure, profiles_figure, FigureContext};
pub use linecut::{line_cut_csv, line_cut_csv_on, Line};
pub use maps::{ColorScale, Colormap, FieldMap, Flow, FlowLines, MapLayout, MapOptions};
pub use npy::{node_field_npy, npy_f64, npz};
pub use vtk::{pvd_collection, vtk_document, VtkDocument, VtkKind};

use std::fmt::Write;

use serde_json::{json, Map, Value};

use crate::models::electrodiffusion::{Profiles, SteadyStats, TimeSeries};

/// A named output file and its content.
#[derive(Clone, Debug, PartialEq)]
pub struct OutputFile {
    /// File name relative to the output directory.
    pub name: String,
    /// Content.
    pub bytes: Vec<u8>,
}

impl OutputFile {
    /// A text file.
    pub fn text(name: &str, text: String) -> Self {
        OutputFile {
            name: name.into(),
            bytes: text.into_bytes(),
        }
    }
}

fn num(out: &mut String, v: f64) {
    if v == 0.0 {
        // Also -0.0: a negative zero means nothing to a reader.
        out.push_str("0e0");
    } else if v.is_finite() {
        let _ = write!(out, "{v:e}");
    } else if v.is_nan() {
        out.push_str("nan");
    } else if v > 0.0 {
        out.push_str("inf");
    } else {
        out.push_str("-inf");
    }
}

/// Column names and values of a profile table.
fn profile_columns(p: &Profiles, names: &[String]) -> Vec<(String, Vec<f64>)> {
    // Planar: x from the left wall. Curved: the radius r, then the distance from the inner
    // wall r - r_inner.
    let mut cols = match &p.radius {
        None => vec![("x_m".to_string(), p.x.clone())],
        Some(r) => vec![
            ("r_m".to_string(), r.clone()),
            ("r_minus_r_inner_m".to_string(), p.x.clone()),
        ],
    };
    for (k, name) in names.iter().enumerate() {
        cols.push((format!("c_{name}_mol_m3"), p.concentration[k].clone()));
    }
    cols.push(("potential_V".into(), p.potential.clone()));
    cols.push(("field_V_m".into(), p.field.clone()));
    cols.push(("charge_density_C_m3".into(), p.charge_density.clone()));
    for (k, name) in names.iter().enumerate() {
        let f = &p.flux[k];
        cols.push((format!("flux_{name}_mol_m2_s"), f.total.clone()));
        cols.push((
            format!("diffusive_flux_{name}_mol_m2_s"),
            f.diffusive.clone(),
        ));
        cols.push((
            format!("migrative_flux_{name}_mol_m2_s"),
            f.migrative.clone(),
        ));
        cols.push((
            format!("advective_flux_{name}_mol_m2_s"),
            f.advective.clone(),
        ));
        cols.push((
            format!("echem_potential_{name}_J_mol"),
            p.electrochemical_potential[k].clone(),
        ));
    }
    cols
}

fn table(cols: &[(String, Vec<f64>)], prefix: Option<(&str, f64)>, header: bool, out: &mut String) {
    if header {
        let mut names: Vec<&str> = vec![];
        if let Some((name, _)) = prefix {
            names.push(name);
        }
        names.extend(cols.iter().map(|c| c.0.as_str()));
        out.push_str(&names.join(","));
        out.push('\n');
    }
    let rows = cols.first().map(|c| c.1.len()).unwrap_or(0);
    for i in 0..rows {
        if let Some((_, v)) = prefix {
            num(out, v);
            out.push(',');
        }
        for (j, (_, c)) in cols.iter().enumerate() {
            if j > 0 {
                out.push(',');
            }
            num(out, c[i]);
        }
        out.push('\n');
    }
}

/// `profiles.csv`: one row per node with concentrations, potential, field, charge density,
/// and per species the total, diffusive, migrative and advective flux and the
/// electrochemical potential. Units are in the column names.
pub fn profiles_csv(p: &Profiles, names: &[String]) -> String {
    let mut out = String::new();
    table(&profile_columns(p, names), None, true, &mut out);
    out
}

/// `snapshots.csv`: the profile tables at the output times, stacked, with a leading `time_s`
/// column (long format: `df.groupby("time_s")`).
pub fn snapshots_csv(snaps: &[(f64, Profiles)], names: &[String]) -> String {
    let mut out = String::new();
    for (i, (t, p)) in snaps.iter().enumerate() {
        table(
            &profile_columns(p, names),
            Some(("time_s", *t)),
            i == 0,
            &mut out,
        );
    }
    out
}

/// `timeseries.csv`: time, current density at both boundaries, boundary fluxes and total
/// amounts of every species at every accepted time step.
pub fn timeseries_csv(s: &TimeSeries, names: &[String], amount_unit: &str) -> String {
    let mut cols = vec![
        ("time_s".to_string(), s.time.clone()),
        (
            "current_density_left_A_m2".into(),
            s.current_density[0].clone(),
        ),
        (
            "current_density_right_A_m2".into(),
            s.current_density[1].clone(),
        ),
    ];
    for (k, name) in names.iter().enumerate() {
        cols.push((format!("flux_left_{name}_mol_m2_s"), s.flux[k][0].clone()));
        cols.push((format!("flux_right_{name}_mol_m2_s"), s.flux[k][1].clone()));
        cols.push((format!("amount_{name}_{amount_unit}"), s.amount[k].clone()));
    }
    let mut out = String::new();
    table(&cols, None, true, &mut out);
    out
}

/// Per-species totals with explicit sides: `flux_left`, `flux_right` (mol m^-2 s^-1, along
/// +x), the amount in the domain, and the concentrations at both walls.
pub fn species_summary(p: &Profiles, names: &[String]) -> Value {
    let mut map = Map::new();
    for (k, name) in names.iter().enumerate() {
        let b = p.boundary_flux[k];
        map.insert(
            name.clone(),
            json!({
                "flux_left": b[0],
                "flux_right": b[1],
                "amount": p.amount[k],
                "concentration_left": p.concentration[k][0],
                "concentration_right": p.concentration[k][p.x.len() - 1],
            }),
        );
    }
    Value::Object(map)
}

/// One block per boundary (`left`, `right`) with everything measured at that wall:
/// position, potential, field, surface charge and differential capacitance (where
/// defined), conduction current density, and per species the concentration, the flux with
/// its split at the wall, and the electrochemical potential (`null` where undefined, e.g.
/// at zero concentration).
pub fn boundaries_summary(p: &Profiles, names: &[String], capacitance: [Option<f64>; 2]) -> Value {
    let n = p.x.len();
    let mut out = Map::new();
    for (side, (key, node)) in [("left", 0), ("right", n - 1)].into_iter().enumerate() {
        let mut species = Map::new();
        for (k, name) in names.iter().enumerate() {
            let split = p.boundary_split[k][side];
            species.insert(
                name.clone(),
                json!({
                    "concentration_mol_m3": p.concentration[k][node],
                    "flux_mol_m2_s": p.boundary_flux[k][side],
                    "diffusive_flux_mol_m2_s": split[1],
                    "migrative_flux_mol_m2_s": split[2],
                    "advective_flux_mol_m2_s": split[3],
                    "electrochemical_potential_J_mol": p.electrochemical_potential[k][node],
                }),
            );
        }
        out.insert(
            key.into(),
            json!({
                "position_m": p.radius.as_ref().map_or(p.x[node], |r| r[node]),
                "potential_V": p.potential[node],
                "field_V_m": p.boundary_field[side],
                "surface_charge_C_m2": p.surface_charge.map(|s| s[side]),
                "differential_capacitance_F_m2": capacitance[side],
                "current_density_A_m2": p.current_density[side],
                "species": Value::Object(species),
            }),
        );
    }
    Value::Object(out)
}

/// `summary.json` of a steady run (the documented contract plus solver details).
pub fn steady_summary(
    title: &str,
    p: &Profiles,
    names: &[String],
    stats: &SteadyStats,
    capacitance: [Option<f64>; 2],
    wall_time_s: f64,
) -> Value {
    let n = p.x.len();
    json!({
        "title": title,
        "model": "electrodiffusion",
        "mode": "steady",
        "boundaries": boundaries_summary(p, names, capacitance),
        "species": species_summary(p, names),
        "current_density_left": p.current_density[0],
        "current_density_right": p.current_density[1],
        "potential_drop": p.potential[n - 1] - p.potential[0],
        "newton_iterations": stats.newton_iterations,
        "continuation": stats.continuation,
        "continuation_steps": stats.continuation_steps,
        "residual": stats.residual,
        "update_norm": stats.update_norm,
        "nodes": n,
        "wall_time_s": wall_time_s,
        "units": units_note(),
    })
}

/// Units of the summary fields, repeated in the file for readers.
pub fn units_note() -> Value {
    json!({
        "flux": "mol m^-2 s^-1, positive towards +x (outwards in curved geometry)",
        "current_density": "A m^-2, positive towards +x",
        "potential_drop": "V, right minus left",
        "surface_charge": "C m^-2 on the wall, balancing the diffuse charge next to it",
        "differential_capacitance": "F m^-2, d(surface charge)/d(wall potential - reservoir potential)",
        "amount": "mol m^-2 (planar), mol m^-1 (cylindrical), mol (spherical)",
        "concentration": "mol m^-3 (= mM)",
    })
}

/// Replace `-0.0` by `0.0` everywhere in a JSON value (non-finite numbers are already
/// `null` in `serde_json`), so that summaries never show a negative zero.
pub fn tidy_json(v: &mut Value) {
    match v {
        Value::Number(x) if x.as_f64().is_some_and(|f| f == 0.0 && f.is_sign_negative()) => {
            *v = json!(0.0);
        }
        Value::Array(a) => a.iter_mut().for_each(tidy_json),
        Value::Object(o) => o.values_mut().for_each(tidy_json),
        _ => {}
    }
}
