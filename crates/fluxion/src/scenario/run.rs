//! Running a validated scenario: solve, then render every output in memory.

use std::time::Instant;

use serde_json::json;

use super::{Mode, Scenario};
use crate::mesh::Geometry;
use crate::models::electrodiffusion::SolveError;
use crate::output::{self, OutputFile};
use crate::solve::Progress;

/// Everything a run produced, ready to be written.
#[derive(Debug)]
pub struct RunReport {
    /// Output files (CSV, JSON, PNG, SVG).
    pub files: Vec<OutputFile>,
    /// The summary (also in `summary.json`).
    pub summary: serde_json::Value,
}

/// A run failed; nothing should be written.
#[derive(Debug, thiserror::Error)]
pub enum RunError {
    /// The solver failed.
    #[error(transparent)]
    Solve(#[from] SolveError),
    /// The vortex simulation could not be set up.
    #[error(transparent)]
    Vortex(#[from] crate::models::vortex::VortexError),
    /// A static-field problem could not be posed or solved.
    #[error(transparent)]
    Potential(crate::models::potential::PotentialError),
    /// A Poisson-Nernst-Planck problem on a general mesh could not be posed or solved.
    #[error(transparent)]
    Pnp(crate::models::pnp::PnpError),
    /// A field output could not be rendered.
    #[error("could not render an output: {0}")]
    Output(String),
    /// A figure could not be rendered.
    #[error("could not render a figure: {0}")]
    Plot(#[from] output::plot::PlotError),
}

/// Density of pure water at 25 degC in mol/m^3 (55.3 mol/L): no solute can be denser.
const PURE_SOLVENT_MOL_M3: f64 = 55.3e3;

/// Warnings about a solution that is legal but outside the model's validity: concentrations
/// above the density of a pure solvent (ideal Poisson-Boltzmann at high potentials).
fn solution_warnings(
    p: &crate::models::electrodiffusion::Profiles,
    names: &[String],
) -> Vec<String> {
    let mut out = vec![];
    for (k, name) in names.iter().enumerate() {
        let (i, c) = p.concentration[k]
            .iter()
            .copied()
            .enumerate()
            .fold((0, f64::MIN), |a, (i, c)| if c > a.1 { (i, c) } else { a });
        if c > PURE_SOLVENT_MOL_M3 {
            out.push(format!(
                "c({name}) reaches {:.3e} M at x = {:.4e} m, above the density of pure water (55.3 M): ideal Nernst-Planck-Poisson ignores ion size, so the solution is not physical there (lower the potential or surface charge; finite ion size is issue #10)",
                c / 1e3,
                p.x[i]
            ));
        }
    }
    out
}

fn figure_files(stem: &str, fig: &output::plot::Figure) -> Result<Vec<OutputFile>, RunError> {
    Ok(vec![
        OutputFile {
            name: format!("{stem}.png"),
            bytes: fig.to_png()?,
        },
        OutputFile::text(&format!("{stem}.svg"), fig.to_svg()?),
    ])
}

/// Solve the scenario and render `profiles.csv`, `summary.json`, `profiles.png/.svg` and,
/// for transient runs, `timeseries.csv`, `snapshots.csv` and `current.png/.svg`.
pub fn run(s: &Scenario, progress: &mut dyn Progress) -> Result<RunReport, RunError> {
    let start = Instant::now();
    let mut model = s.model().map_err(SolveError::from)?;
    let names: Vec<String> = s.problem.species.iter().map(|x| x.name.clone()).collect();
    let mut files = vec![];
    let (summary, final_profiles) = match &s.mode {
        Mode::Steady(opts) => {
            let sol = model.solve_steady(opts, progress)?;
            let wall = start.elapsed().as_secs_f64();
            files.push(OutputFile::text(
                "profiles.csv",
                output::profiles_csv(&sol.profiles, &names),
            ));
            let ctx =
                output::FigureContext::new(&s.problem, None, Some(sol.profiles.boundary_field));
            files.extend(figure_files(
                "profiles",
                &output::profiles_figure(&s.title, &sol.profiles, &[], &ctx),
            )?);
            let summary = output::steady_summary(
                &s.title,
                &sol.profiles,
                &names,
                &sol.stats,
                sol.differential_capacitance,
                wall,
            );
            (summary, sol.profiles)
        }
        Mode::Transient(opts, init) => {
            let x0 = model.state_from_concentrations(init);
            let sol = model.solve_transient(&x0, opts, progress)?;
            let wall = start.elapsed().as_secs_f64();
            let amount_unit = match s.problem.grid.geometry() {
                Geometry::Planar => "mol_m2",
                Geometry::Cylindrical => "mol_m",
                Geometry::Spherical => "mol",
            };
            files.push(OutputFile::text(
                "profiles.csv",
                output::profiles_csv(&sol.profiles, &names),
            ));
            files.push(OutputFile::text(
                "timeseries.csv",
                output::timeseries_csv(&sol.series, &names, amount_unit),
            ));
            files.push(OutputFile::text(
                "snapshots.csv",
                output::snapshots_csv(&sol.snapshots, &names),
            ));
            let ctx = output::FigureContext::new(
                &s.problem,
                Some(init),
                Some(sol.profiles.boundary_field),
            );
            files.extend(figure_files(
                "profiles",
                &output::profiles_figure(&s.title, &sol.profiles, &sol.snapshots, &ctx),
            )?);
            files.extend(figure_files(
                "current",
                &output::current_figure(&s.title, &sol.series, &ctx),
            )?);
            let p = &sol.profiles;
            let n = p.x.len();
            let mut species = output::species_summary(p, &names);
            for (k, name) in names.iter().enumerate() {
                let a = &sol.series.amount[k];
                species[name]["amount_initial"] = json!(a[0]);
                species[name]["amount_final"] = json!(a[a.len() - 1]);
            }
            let summary = json!({
                "title": s.title,
                "model": "electrodiffusion",
                "mode": "transient",
                "end_time_s": opts.end_time,
                "boundaries": output::boundaries_summary(p, &names, [None, None]),
                "species": species,
                "current_density_left": sol.series.current_density[0].last(),
                "current_density_right": sol.series.current_density[1].last(),
                "potential_drop": p.potential[n - 1] - p.potential[0],
                "steps": sol.stats.steps,
                "error_test_failures": sol.stats.error_test_failures,
                "newton_failures": sol.stats.newton_failures,
                "newton_iterations": sol.stats.newton_iterations,
                "nodes": n,
                "wall_time_s": wall,
                "units": output::units_note(),
            });
            (summary, sol.profiles)
        }
    };
    let mut summary = summary;
    let mut warnings = s.warnings.clone();
    warnings.extend(solution_warnings(&final_profiles, &names));
    summary["geometry"] = json!(s.problem.grid.geometry().name());
    summary["closure"] = json!(s.problem.closure.name());
    summary["warnings"] = json!(warnings);
    output::tidy_json(&mut summary);
    files.push(OutputFile::text(
        "summary.json",
        serde_json::to_string_pretty(&summary).expect("json") + "\n",
    ));
    Ok(RunReport { files, summary })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Regression (issue #8): `summary.json` showed `-0.0`, `-inf` (the electrochemical
    /// potential at zero concentration) and side-ambiguous top-level `flux` and
    /// `current_density`; undefined values are now `null` and every wall has its own block.
    #[test]
    fn summary_has_no_negative_zero_and_null_where_undefined() {
        let text = include_str!("../../../../examples/cottrell_spherical.toml");
        let s = super::super::parse(text).unwrap();
        let report = run(&s, &mut ()).unwrap();
        let json = String::from_utf8(
            report
                .files
                .iter()
                .find(|f| f.name == "summary.json")
                .unwrap()
                .bytes
                .clone(),
        )
        .unwrap();
        assert!(!json.contains("inf") && !json.contains("NaN"), "{json}");
        fn no_negative_zero(v: &serde_json::Value) -> bool {
            match v {
                serde_json::Value::Number(x) => {
                    !x.as_f64().is_some_and(|f| f == 0.0 && f.is_sign_negative())
                }
                serde_json::Value::Array(a) => a.iter().all(no_negative_zero),
                serde_json::Value::Object(o) => o.values().all(no_negative_zero),
                _ => true,
            }
        }
        let parsed: serde_json::Value = serde_json::from_str(&json).unwrap();
        assert!(no_negative_zero(&parsed), "{json}");
        let v = &report.summary;
        assert!(v.get("current_density").is_none());
        let wall = &v["boundaries"]["left"]["species"]["Ox+"];
        assert_eq!(wall["concentration_mol_m3"], 0.0);
        assert!(wall["electrochemical_potential_J_mol"].is_null());
        // Spherical: the position is the electrode radius (5 um), not r - r_inner.
        assert_eq!(v["boundaries"]["left"]["position_m"], 5e-6);
        assert!(v["species"]["Ox+"]["amount_initial"].as_f64().unwrap() > 0.0);
        let csv = &report
            .files
            .iter()
            .find(|f| f.name == "profiles.csv")
            .unwrap()
            .bytes;
        let header = String::from_utf8_lossy(csv);
        assert!(
            header.starts_with("r_m,r_minus_r_inner_m,"),
            "{}",
            &header[..60]
        );
        assert!(header.lines().nth(1).unwrap().starts_with("5e-6,0e0,"));
    }
}
