//! The `fluxion` command: a thin layer over the `fluxion` library.
//!
//! Exit codes (also in `--help` and the README):
//! - 0: success.
//! - 1: the computation failed: the solver did not converge (the message says where and
//!   what to try), or a figure could not be rendered.
//! - 2: bad input: a scenario file that cannot be read or is invalid, bad arguments, a
//!   `calc` argument outside a law's validity or a result that overflows, an existing file
//!   that `examples --write` would overwrite without `--force`.
//! - 3: I/O failure on output: the output directory cannot be created or written, is a
//!   file, or is being written by another run; an output file cannot be written.
//!
//! Library errors reach the user through their `Display` text, and [`in_words`] turns the
//! few `Debug` names that library messages still embed into words.

mod bench;
mod bench_fields;
mod bench_pnp;
mod calc;
mod cpu;
mod examples;
mod outdir;
mod pnp_run;
mod static_run;

use std::io::IsTerminal;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use clap::{Parser, Subcommand};
use fluxion::scenario::{self, AnyScenario};
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};

#[derive(Parser)]
#[command(
    name = "fluxion",
    version,
    about = "Transport driven by potential gradients: Nernst-Planck electrodiffusion and closed-form laws",
    long_about = "fluxion solves transport driven by potential gradients (J = -L grad mu).\n\nStart with `fluxion examples` to list the bundled scenarios, `fluxion examples gouy_chapman --write gc.toml` to copy one, and `fluxion run gc.toml --out out/` to solve it.\n\nExit codes:\n  0  success\n  1  the computation failed (the solver did not converge; the message says what to try)\n  2  bad input (unreadable or invalid scenario, bad arguments, calc outside a law's validity, examples --write onto an existing file without --force)\n  3  I/O failure on output (the output directory is a file, cannot be created or written, or is in use by another run)"
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
        /// Output directory: created if missing and checked before the solve; the set of
        /// files fluxion wrote there is replaced as a whole (other files are not touched).
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
        /// Write the example to this file instead of printing it (an existing file is
        /// refused unless --force).
        #[arg(long, requires = "name")]
        write: Option<PathBuf>,
        /// With --write: replace the file if it exists.
        #[arg(long, requires = "write")]
        force: bool,
    },
    #[command(about = calc::ABOUT, long_about = "Evaluate a closed-form law with units.\n\n  fluxion calc --list                 all laws\n  fluxion calc nernst --help          one law: equation, parameters, units, defaults\n  fluxion calc nernst z=1 c_out=5mM c_in=140mM T=37degC\n  fluxion calc ghk-potential z=1,1,-1 P=1,0.04,0.45 c_in=400,50,52mM c_out=20,440,560mM --json\n\nValues take units (140mM, 37degC, -60mV, 1.3e-9m^2/s, 4.5eV); bare numbers are SI. Exit code 2 on bad input.")]
    Calc(calc::CalcArgs),
    /// Benchmark the steady PNP solver on the standard cell (not a test; prints a table).
    Bench(bench::BenchArgs),
}

/// Errors with their exit code.
enum Failure {
    /// Exit 2: bad input (the message starts with `error: ` and may span lines).
    Input(String),
    /// Exit 1: the computation failed.
    Solver(String),
    /// Exit 3: output I/O failed.
    Io(String),
}

/// Solver messages with the `Debug` names of Newton's failure reasons replaced by words
/// (e.g. `MaxIterations` becomes "the iteration limit was reached").
fn in_words(msg: &str) -> String {
    let mut s = msg
        .replace("MaxIterations", "the iteration limit was reached")
        .replace("LineSearch", "the line search found no decreasing step")
        .replace("NonFinite", "the residual became NaN or infinite");
    while let Some(i) = s.find("Singular(") {
        let rest = &s[i + "Singular(".len()..];
        let Some(j) = rest.find(')') else { break };
        let unknown = rest[..j].to_string();
        s.replace_range(
            i..i + "Singular(".len() + j + 1,
            &format!("the Jacobian is singular at unknown {unknown}"),
        );
    }
    s
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
        Command::Examples { name, write, force } => {
            examples::command(name.as_deref(), write.as_deref(), force)
        }
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
            eprintln!("error: {}", in_words(&msg));
            ExitCode::from(1)
        }
        Err(Failure::Io(msg)) => {
            eprintln!("error: {msg}");
            ExitCode::from(3)
        }
    }
}

/// Largest scenario or pin file read (bytes): a scenario is text of kilobytes; a pin list
/// of 1e7 positions is about 300 MB.
const MAX_INPUT_BYTES: u64 = 512 * 1024 * 1024;

/// Read a text file of at most [`MAX_INPUT_BYTES`] (a device such as /dev/zero or a huge
/// file is refused instead of read without end).
fn read_limited(path: &Path) -> std::io::Result<String> {
    use std::io::Read;
    let f = std::fs::File::open(path)?;
    if !f.metadata()?.is_file() {
        return Err(std::io::Error::other("not a regular file"));
    }
    let mut text = String::new();
    f.take(MAX_INPUT_BYTES + 1).read_to_string(&mut text)?;
    if text.len() as u64 > MAX_INPUT_BYTES {
        return Err(std::io::Error::other(format!(
            "larger than {} MiB",
            MAX_INPUT_BYTES >> 20
        )));
    }
    Ok(text)
}

fn load(path: &Path) -> Result<AnyScenario, Failure> {
    let text = read_limited(path).map_err(|e| {
        Failure::Input(format!(
            "error: cannot read scenario file {}: {e}\n  fix: check the path; `fluxion examples` lists bundled scenarios",
            path.display()
        ))
    })?;
    // Files named in the scenario (pin positions) are relative to the scenario's folder.
    let dir = path.parent().map(Path::to_path_buf).unwrap_or_default();
    let read = |name: &str| read_limited(&dir.join(name)).map_err(|e| e.to_string());
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
        AnyScenario::Static(st) => return static_run::check(path, &st),
        AnyScenario::Pnp(pp) => return pnp_run::check(path, &pp),
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
    // The output directory is checked (and stale temporaries cleaned up) before the solve.
    let dir = outdir::OutDir::prepare(out).map_err(|e| Failure::Io(e.0))?;
    for note in &dir.recovered {
        eprintln!("note: {note}");
    }
    let mut bar = progress_bar(quiet);
    let report = scenario::run_any(&s, &mut bar);
    bar.0.finish_and_clear();
    let report = match report {
        Ok(r) => r,
        Err(e) => {
            dir.abandon();
            return Err(match e {
                fluxion::scenario::RunError::Solve(
                    fluxion::models::electrodiffusion::SolveError::Model(m),
                ) => Failure::Input(format!("error: {m}\n")),
                fluxion::scenario::RunError::Vortex(v) => Failure::Input(format!("error: {v}\n")),
                fluxion::scenario::RunError::Potential(p) => static_run::failure(&p),
                fluxion::scenario::RunError::Pnp(p) => pnp_run::failure(&p),
                other => Failure::Solver(other.to_string()),
            });
        }
    };
    dir.commit(&report.files).map_err(|e| Failure::Io(e.0))?;
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
    if let Some(s) = pnp_run::short_summary(v) {
        return s;
    }
    if let Some(s) = static_run::short_summary(v) {
        return s;
    }
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
        "  current density left {:.6e}, right {:.6e} A m^-2, potential drop {:.6e} V, wall time {:.3} s",
        v["current_density_left"].as_f64().unwrap_or(f64::NAN),
        v["current_density_right"].as_f64().unwrap_or(f64::NAN),
        v["potential_drop"].as_f64().unwrap_or(f64::NAN),
        v["wall_time_s"].as_f64().unwrap_or(f64::NAN)
    ));
    lines.join("\n")
}

#[cfg(test)]
mod tests {
    use super::in_words;

    /// Issue #8: every `Debug` name of `NewtonFailure` that library messages embed is put in
    /// words; text without them is unchanged.
    #[test]
    fn newton_failure_debug_names_are_put_in_words() {
        assert_eq!(
            in_words("Newton's method failed (Singular(12)) after 3 iterations"),
            "Newton's method failed (the Jacobian is singular at unknown 12) after 3 iterations"
        );
        assert_eq!(
            in_words("(LineSearch after 2 iterations) (NonFinite) (MaxIterations)"),
            "(the line search found no decreasing step after 2 iterations) (the residual became NaN or infinite) (the iteration limit was reached)"
        );
        let plain = "the time stepper failed at t = 1e-3 s";
        assert_eq!(in_words(plain), plain);
    }
}
