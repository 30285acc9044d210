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
    /// A figure could not be rendered.
    #[error("could not render a figure: {0}")]
    Plot(#[from] output::plot::PlotError),
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
    let summary = match &s.mode {
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
            output::steady_summary(&s.title, &sol.profiles, &names, &sol.stats, wall)
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
            let amounts: Vec<(f64, f64)> = sol
                .series
                .amount
                .iter()
                .map(|a| (a[0], a[a.len() - 1]))
                .collect();
            json!({
                "title": s.title,
                "mode": "transient",
                "end_time_s": opts.end_time,
                "species": output::species_summary(p, &names),
                "current_density": sol.series.current_density[1].last(),
                "current_density_left": sol.series.current_density[0].last(),
                "potential_drop": p.potential[n - 1] - p.potential[0],
                "amount_initial_final": amounts,
                "steps": sol.stats.steps,
                "error_test_failures": sol.stats.error_test_failures,
                "newton_failures": sol.stats.newton_failures,
                "newton_iterations": sol.stats.newton_iterations,
                "nodes": n,
                "wall_time_s": wall,
                "units": output::units_note(),
            })
        }
    };
    let mut summary = summary;
    summary["warnings"] = json!(s.warnings);
    files.push(OutputFile::text(
        "summary.json",
        serde_json::to_string_pretty(&summary).expect("json") + "\n",
    ));
    Ok(RunReport { files, summary })
}
