//! `fluxion bench`: time the steady PNP solver on the standard cell for growing grids.
//!
//! The cell is [`fluxion::models::electrodiffusion::pnp_benchmark`], the same problem as the
//! DEVSIM and FiPy peer scripts (1:1 electrolyte, Debye length 1% of the cell, 2 thermal
//! voltages). The time is that of building the discrete system and solving for the steady
//! state; computing the profiles from it is timed apart (`profiles_s`, median). `cpu_s` is
//! the median CPU time of the process over the same span ([`process_cpu_s`]: all threads,
//! user and system time alike, so page faults count; the assembly, factorization and
//! solves of large grids run on two threads, so it can exceed the wall time): on a loaded
//! machine it is the figure to compare, since the wall time then includes the waits for a
//! core. Peak memory is the process high-water mark (VmHWM) after
//! each size: one solve and its profiles (each repetition frees the previous one's results
//! before it starts).

use std::time::Instant;

use clap::Args;
use fluxion::models::electrodiffusion::{pnp_benchmark, Electrodiffusion, SteadyOptions};

use crate::cpu::process_cpu_s;
use crate::Failure;

#[derive(Args)]
pub struct BenchArgs {
    /// Node counts, comma separated (1e5 notation accepted).
    #[arg(long, default_value = "1e3,1e4,1e5,1e6", value_delimiter = ',')]
    nodes: Vec<String>,
    /// Debye length over cell length.
    #[arg(long, default_value_t = 0.01)]
    debye: f64,
    /// Applied potential in thermal voltages.
    #[arg(long, default_value_t = 2.0)]
    volts: f64,
    /// Repetitions per size (the best, median and worst times are reported).
    #[arg(long, default_value_t = 3)]
    repeat: usize,
    /// Benchmark the vortex dynamics instead (vortex counts in --vortices).
    #[arg(long)]
    vortex: bool,
    /// Vortex counts for --vortex (spacing = lambda, random pins, drive, noise).
    #[arg(long, default_value = "1e3,1e4,1e5", value_delimiter = ',')]
    vortices: Vec<String>,
    /// Time steps timed per size for --vortex.
    #[arg(long, default_value_t = 400)]
    steps: usize,
    /// Benchmark static fields instead: the 2D dielectric cylinder (the FiPy peer problem)
    /// and the 3D dielectric sphere (see `bench_fields.rs`).
    #[arg(long)]
    fields: bool,
    /// Benchmark steady axisymmetric PNP in a charged conical nanopore instead, on the
    /// meshes of --pnp-scales (see `bench_pnp.rs`).
    #[arg(long)]
    pnp: bool,
    /// Mesh scales for --pnp (cells grow like scale^2: 4.1k cells at 1, 236k at 9).
    #[arg(long, default_value = "1,2,4,9", value_delimiter = ',')]
    pnp_scales: Vec<f64>,
    /// Tip reservoir potential for --pnp, V.
    #[arg(long, default_value_t = 0.5, allow_hyphen_values = true)]
    pnp_volts: f64,
}

fn vortex_bench(args: &BenchArgs) -> Result<(), Failure> {
    use fluxion::models::vortex::{
        lattice_shape, triangular_lattice, PairForce, PinShape, Pins, VortexSystem,
    };
    println!(
        "vortex dynamics: spacing = lambda, cutoff 5 lambda (taper from 4), random pins (1 per lambda^2, f_p = 0.2 f0, r_p = 0.2 lambda), drive 0.5 f0, theta = 1e-3, {} threads",
        rayon::current_num_threads()
    );
    println!(
        "{:>10} {:>12} {:>12} {:>12} {:>14} {:>16} {:>10} {:>14}",
        "vortices",
        "ms_per_step",
        "median_ms",
        "max_ms",
        "pairs_per_step",
        "pairs_per_s",
        "rebuilds",
        "sweep_40x2000_s"
    );
    for s in &args.vortices {
        let n: f64 = s.trim().parse().map_err(|_| {
            Failure::Input(format!(
                "error: --vortices: \"{s}\" is not a number (e.g. --vortices 1e3,1e4)"
            ))
        })?;
        if !(50.0..=2e6).contains(&n) {
            return Err(Failure::Input(format!(
                "error: --vortices: {s} must be between 50 and 2e6"
            )));
        }
        let (nx, ny) = lattice_shape(n as usize);
        let (pos, lx, ly) = triangular_lattice(nx, ny, 1.0);
        let pair = PairForce::new(5.0, 4.0, 0.05).map_err(|e| Failure::Input(e.to_string()))?;
        let pins = Pins::random((lx * ly) as usize, 3, 0.2, 0.2, PinShape::Gaussian, lx, ly)
            .map_err(|e| Failure::Input(e.to_string()))?;
        let mut sys = VortexSystem::new(pos, lx, ly, Some(pair), Some(pins), 0.01, 1)
            .map_err(|e| Failure::Input(e.to_string()))?;
        for _ in 0..50 {
            sys.step([0.0, -0.5], 1e-3);
        }
        // `--repeat` blocks of `--steps` steps; best, median and worst time per step.
        let r0 = sys.rebuilds;
        let mut pairs = 0usize;
        let mut times = vec![];
        for _ in 0..args.repeat.max(1) {
            let t0 = Instant::now();
            for _ in 0..args.steps {
                pairs += sys.pair_evaluations();
                sys.step([0.0, -0.5], 1e-3);
            }
            times.push(t0.elapsed().as_secs_f64() / args.steps as f64);
        }
        times.sort_by(f64::total_cmp);
        let (t, median, worst) = (times[0], times[times.len() / 2], times[times.len() - 1]);
        let steps = args.steps * times.len();
        println!(
            "{:>10} {:>12.3} {:>12.3} {:>12.3} {:>14} {:>16.3e} {:>10} {:>14.1}",
            sys.len(),
            t * 1e3,
            median * 1e3,
            worst * 1e3,
            pairs / steps,
            pairs as f64 / (t * steps as f64),
            sys.rebuilds - r0,
            t * 80_000.0
        );
    }
    Ok(())
}

fn peak_rss_mb() -> Option<f64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    let kb: f64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kb / 1024.0)
}

pub fn run(args: &BenchArgs) -> Result<(), Failure> {
    if args.fields {
        return crate::bench_fields::run(
            &[200, 400, 800, 1000],
            &[12, 16, 24, 32],
            &[32, 64, 96, 128],
            args.repeat,
        );
    }
    if args.pnp {
        return crate::bench_pnp::run(&args.pnp_scales, args.repeat, args.pnp_volts);
    }
    if args.vortex {
        return vortex_bench(args);
    }
    let mut sizes = vec![];
    for s in &args.nodes {
        let n: f64 = s.trim().parse().map_err(|_| {
            Failure::Input(format!(
                "error: --nodes: \"{s}\" is not a number (e.g. --nodes 1e3,1e5)"
            ))
        })?;
        if !(3.0..=5e7).contains(&n) {
            return Err(Failure::Input(format!(
                "error: --nodes: {s} must be between 3 and 5e7"
            )));
        }
        sizes.push(n as usize);
    }
    if !(args.debye > 0.0 && args.volts.is_finite() && args.repeat >= 1) {
        return Err(Failure::Input(
            "error: --debye must be positive, --volts finite and --repeat at least 1".into(),
        ));
    }
    println!(
        "steady PNP, 2 species, Poisson, Debye length {} of the cell, {} V_T applied",
        args.debye, args.volts
    );
    println!(
        "{:>10} {:>12} {:>12} {:>12} {:>12} {:>12} {:>8} {:>14} {:>14} {:>14} {:>16}",
        "nodes",
        "time_s",
        "median_s",
        "max_s",
        "cpu_s",
        "profiles_s",
        "newton",
        "solver_MB",
        "peak_rss_MB",
        "flux_p",
        "J+ (J L/D c0)"
    );
    for n in sizes {
        // Timed: building the discrete system and solving for the steady state (as the
        // peers' set-up and solve). Timed apart: the profiles (post-processing, output).
        let mut times = vec![];
        let mut post = vec![];
        let mut cpu = vec![];
        let mut last = None;
        for _ in 0..args.repeat {
            // The previous repetition's profiles are freed first, so the peak memory is that
            // of one solve and its profiles, not of a solve plus an earlier result.
            drop(last.take());
            let c0 = process_cpu_s();
            let t0 = Instant::now();
            let mut m = Electrodiffusion::new(pnp_benchmark(n, args.debye, args.volts))
                .map_err(|e| Failure::Input(e.to_string()))?;
            let (x, stats) = m
                .solve_steady_state(&SteadyOptions::default(), &mut ())
                .map_err(|e| Failure::Solver(e.to_string()))?;
            times.push(t0.elapsed().as_secs_f64());
            cpu.push(process_cpu_s() - c0);
            let t1 = Instant::now();
            let profiles = m.profiles(&x, None);
            post.push(t1.elapsed().as_secs_f64());
            last = Some((profiles, stats));
        }
        // Best, median and worst of the repetitions: the spread shows the machine's noise.
        times.sort_by(f64::total_cmp);
        post.sort_by(f64::total_cmp);
        cpu.sort_by(f64::total_cmp);
        let (best, median, worst) = (times[0], times[times.len() / 2], times[times.len() - 1]);
        let (profiles, stats) = last.expect("at least one repetition");
        // The flux in the peers' dimensionless units (x in [0, 1], D = 1, c0 = 1).
        let p = pnp_benchmark(n, args.debye, args.volts);
        let (l, d) = (p.grid.x()[n - 1] - p.grid.x()[0], p.species[0].diffusivity);
        let c0 = match p.boundaries[0].species[0] {
            fluxion::models::electrodiffusion::SpeciesBc::Concentration(c) => c,
            _ => f64::NAN,
        };
        let j = profiles.boundary_flux[0][1];
        println!(
            "{:>10} {:>12.4} {:>12.4} {:>12.4} {:>12.4} {:>12.4} {:>8} {:>14.1} {:>14.1} {:>14.6e} {:>16.10}",
            n,
            best,
            median,
            worst,
            cpu[cpu.len() / 2],
            post[post.len() / 2],
            stats.newton_iterations,
            stats.memory_bytes as f64 / 1e6,
            peak_rss_mb().unwrap_or(f64::NAN),
            j,
            j * l / (d * c0)
        );
    }
    Ok(())
}
