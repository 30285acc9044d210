//! The `fluxion` command: a thin layer over the `fluxion` library.
//!
//! Exit codes: 0 success, 1 solver failure, 2 bad input (scenario file, arguments).

mod bench;
mod calc;
mod examples;

use std::io::IsTerminal;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use clap::{Parser, Subcommand};
use fluxion::output::OutputFile;
use fluxion::scenario::{self, AnyScenario};
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};

#[derive(Parser)]
#[command(
    name = "fluxion",
    version,
    about = "Transport driven by potential gradients: Nernst-Planck electrodiffusion and closed-form laws",
    long_about = "fluxion solves transport driven by potential gradients (J = -L grad mu).\n\nStart with `fluxion examples` to list the bundled scenarios, `fluxion examples gouy_chapman --write gc.toml` to copy one, and `fluxion run gc.toml --out out/` to solve it.\n\nExit codes: 0 success, 1 solver failure, 2 bad input."
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Solve a scenario and write profiles.csv, summary.json and plots to the output directory.
    Run {
        /// Scenario file (TOML). See docs/scenario.md.
        scenario: PathBuf,
        /// Output directory (created if missing; files are replaced atomically).
        #[arg(long, default_value = "out")]
        out: PathBuf,
        /// No progress bar and no summary on the terminal.
        #[arg(long, short)]
        quiet: bool,
    },
    /// Validate a scenario file without solving it.
    Check {
        /// Scenario file (TOML).
        scenario: PathBuf,
    },
    /// List the bundled example scenarios, print one, or write it to a file.
    Examples {
        /// Name of an example to print (without .toml).
        name: Option<String>,
        /// Write the example to this file instead of printing it.
        #[arg(long, requires = "name")]
        write: Option<PathBuf>,
    },
    #[command(about = calc::ABOUT, long_about = "Evaluate a closed-form law with units.\n\n  fluxion calc --list                 all laws\n  fluxion calc nernst --help          one law: equation, parameters, units, defaults\n  fluxion calc nernst z=1 c_out=5mM c_in=140mM T=37degC\n  fluxion calc ghk-potential z=1,1,-1 P=1,0.04,0.45 c_in=400,50,52mM c_out=20,440,560mM --json\n\nValues take units (140mM, 37degC, -60mV, 1.3e-9m^2/s, 4.5eV); bare numbers are SI. Exit code 2 on bad input.")]
    Calc(calc::CalcArgs),
    /// Benchmark the steady PNP solver on the standard cell (not a test; prints a table).
    Bench(bench::BenchArgs),
}

/// Errors with their exit code.
enum Failure {
    Input(String),
    Solver(String),
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let result = match cli.command {
        Command::Run {
            scenario,
            out,
            quiet,
        } => run(&scenario, &out, quiet),
        Command::Check { scenario } => check(&scenario),
        Command::Examples { name, write } => examples::command(name.as_deref(), write.as_deref()),
        Command::Bench(args) => bench::run(&args),
        Command::Calc(args) => calc::command(args),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(Failure::Input(msg)) => {
            eprint!("{msg}");
            if !msg.ends_with('\n') {
                eprintln!();
            }
            ExitCode::from(2)
        }
        Err(Failure::Solver(msg)) => {
            eprintln!("error: {msg}");
            ExitCode::from(1)
        }
    }
}

fn load(path: &Path) -> Result<AnyScenario, Failure> {
    let text = std::fs::read_to_string(path).map_err(|e| {
        Failure::Input(format!(
            "error: cannot read scenario file {}: {e}\n  fix: check the path; `fluxion examples` lists bundled scenarios",
            path.display()
        ))
    })?;
    // Files named in the scenario (pin positions) are relative to the scenario's folder.
    let dir = path.parent().map(Path::to_path_buf).unwrap_or_default();
    let read = |name: &str| std::fs::read_to_string(dir.join(name)).map_err(|e| e.to_string());
    scenario::parse_any(&text, &read)
        .map_err(|e| Failure::Input(e.render(&text, &path.display().to_string())))
}

/// Print each warning on stderr (also with --quiet: a warning is never silent).
fn print_warnings<'a>(warnings: impl IntoIterator<Item = &'a str>) {
    for w in warnings {
        eprintln!("warning: {w}");
    }
}

fn check(path: &Path) -> Result<(), Failure> {
    let s = load(path)?;
    print_warnings(s.warnings().iter().map(String::as_str));
    let s = match s {
        AnyScenario::Electrodiffusion(s) => s,
        AnyScenario::Vortex(v) => {
            // Parsing ran every validation and the resource estimate of `run`, without
            // allocating the system (which may be what a bad input would overflow).
            let est = &v.estimate;
            let sw = &v.problem.sweep;
            println!(
                "{}: ok (vortex model, {} vortices at {:.4} T in {:.3} x {:.3} um, {} pins, {} currents{}, {} steps per current)\n  estimate: {}",
                path.display(),
                est.vortices,
                est.vortices as f64 * fluxion::constants::FLUX_QUANTUM / (est.size.0 * est.size.1),
                est.size.0 * 1e6,
                est.size.1 * 1e6,
                est.pins,
                sw.currents.len(),
                if sw.down { " up and down" } else { "" },
                sw.equilibrate + sw.average,
                est.describe()
            );
            return Ok(());
        }
    };
    let model = s
        .model()
        .map_err(|e| Failure::Input(format!("error: {e}\n")))?;
    let p = &s.problem;
    println!(
        "{}: ok ({} species, {} closure, {} nodes, {} geometry, {} unknowns, {})",
        path.display(),
        p.species.len(),
        p.closure.name(),
        p.grid.len(),
        p.grid.geometry().name(),
        model.unknowns(),
        match &s.mode {
            scenario::Mode::Steady(_) => "steady".to_string(),
            scenario::Mode::Transient(o, _) => format!("transient to {} s", o.end_time),
        }
    );
    Ok(())
}

/// A progress bar on stderr, hidden when stderr is not a terminal or with --quiet.
struct Bar(ProgressBar);

impl fluxion::solve::Progress for Bar {
    fn update(&mut self, fraction: f64, message: &str) {
        self.0
            .set_position((fraction.clamp(0.0, 1.0) * 1000.0) as u64);
        self.0.set_message(message.to_string());
    }
}

fn progress_bar(quiet: bool) -> Bar {
    let pb = ProgressBar::new(1000);
    if quiet || !std::io::stderr().is_terminal() {
        pb.set_draw_target(ProgressDrawTarget::hidden());
    }
    pb.set_style(
        ProgressStyle::with_template("{spinner} [{elapsed_precise}] {bar:40} {percent:>3}% {msg}")
            .expect("valid template"),
    );
    Bar(pb)
}

fn run(path: &Path, out: &Path, quiet: bool) -> Result<(), Failure> {
    let s = load(path)?;
    let mut bar = progress_bar(quiet);
    let report = scenario::run_any(&s, &mut bar);
    bar.0.finish_and_clear();
    let report = report.map_err(|e| match e {
        fluxion::scenario::RunError::Solve(
            fluxion::models::electrodiffusion::SolveError::Model(m),
        ) => Failure::Input(format!("error: {m}\n")),
        fluxion::scenario::RunError::Vortex(v) => Failure::Input(format!("error: {v}\n")),
        other => Failure::Solver(other.to_string()),
    })?;
    write_atomically(out, &report.files).map_err(Failure::Solver)?;
    if let Some(w) = report.summary["warnings"].as_array() {
        print_warnings(w.iter().filter_map(|x| x.as_str()));
    }
    if !quiet {
        println!("{}", short_summary(&report.summary));
        println!(
            "wrote {} to {}",
            report
                .files
                .iter()
                .map(|f| f.name.as_str())
                .collect::<Vec<_>>()
                .join(", "),
            out.display()
        );
    }
    Ok(())
}

fn short_summary(v: &serde_json::Value) -> String {
    if v["model"] == "vortex" {
        let f = |k: &str| {
            v[k].as_f64()
                .map_or("not reached".to_string(), |x| format!("{x:.4e}"))
        };
        return format!(
            "  {} vortices at {:.4} T: J_c (E criterion) {} A/m^2, J_c (velocity) {} A/m^2\n  flux-flow resistivity {} Ohm m (Bardeen-Stephen {:.4e}), wall time {:.2} s",
            v["vortices"],
            v["field_T"].as_f64().unwrap_or(f64::NAN),
            f("jc_electric_field_A_per_m2"),
            f("jc_velocity_A_per_m2"),
            f("flux_flow_resistivity_fit_Ohm_m"),
            v["flux_flow_resistivity_bardeen_stephen_Ohm_m"].as_f64().unwrap_or(f64::NAN),
            v["wall_time_s"].as_f64().unwrap_or(f64::NAN)
        );
    }
    let mut lines = vec![];
    if let Some(obj) = v["species"].as_object() {
        for (name, s) in obj {
            lines.push(format!(
                "  {name:>8}: flux left {:.6e}, right {:.6e} mol m^-2 s^-1",
                s["flux_left"].as_f64().unwrap_or(f64::NAN),
                s["flux_right"].as_f64().unwrap_or(f64::NAN)
            ));
        }
    }
    lines.push(format!(
        "  current density {:.6e} A m^-2, potential drop {:.6e} V, wall time {:.3} s",
        v["current_density"].as_f64().unwrap_or(f64::NAN),
        v["potential_drop"].as_f64().unwrap_or(f64::NAN),
        v["wall_time_s"].as_f64().unwrap_or(f64::NAN)
    ));
    lines.join("\n")
}

/// Write every file to a temporary name in `dir` first, then rename them into place, so a
/// failure never leaves a half-written file; on error the temporaries are removed.
fn write_atomically(dir: &Path, files: &[OutputFile]) -> Result<(), String> {
    std::fs::create_dir_all(dir)
        .map_err(|e| format!("cannot create output directory {}: {e}", dir.display()))?;
    let pid = std::process::id();
    let mut temps = vec![];
    for f in files {
        let tmp = dir.join(format!(".{}.tmp-{pid}", f.name));
        if let Err(e) = std::fs::write(&tmp, &f.bytes) {
            for t in &temps {
                let _ = std::fs::remove_file(t);
            }
            let _ = std::fs::remove_file(&tmp);
            return Err(format!("cannot write {}: {e}", tmp.display()));
        }
        temps.push(tmp);
    }
    for (f, tmp) in files.iter().zip(&temps) {
        std::fs::rename(tmp, dir.join(&f.name))
            .map_err(|e| format!("cannot move {} into place: {e}", tmp.display()))?;
    }
    Ok(())
}
