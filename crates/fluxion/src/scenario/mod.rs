//! Scenario files: TOML in, validated problems out.
//!
//! Parsing has two stages (as in ripgrep): the TOML text is deserialized into raw structs
//! that reject unknown keys and keep the position of every value, then a validation pass
//! converts units, checks physical ranges and builds the model, collecting *every* problem
//! with its key, value, position and a fix. The reference of all keys is in
//! `docs/scenario.md`.

mod geometry;
mod pnp;
mod potential;
mod raw;
mod run;
mod vortex;

pub use pnp::{parse_pnp, pnp_memory_estimate, run_pnp, PnpScenario, Sweep};
pub use potential::{
    parse_static, run_static, static_memory_estimate, MapLines, MapSpec, MeshKind, Probe,
    RegionShape, StaticOutputs, StaticScenario,
};
pub use run::{run, RunError, RunReport};
pub use vortex::{parse_pins_csv, run_vortex, VortexScenario};

/// A scenario of any model family, chosen by its `model` key.
#[derive(Clone, Debug)]
pub enum AnyScenario {
    /// `model = "electrodiffusion"` (the default).
    Electrodiffusion(Scenario),
    /// `model = "vortex"`.
    Vortex(VortexScenario),
    /// `model = "electrostatics"` or `"magnetostatics"`.
    Static(Box<StaticScenario>),
    /// Poisson-Nernst-Planck on a general mesh (`model = "pnp"`).
    Pnp(Box<PnpScenario>),
}

/// Parse a scenario of any model family. `read_file` returns the text of files the scenario
/// names (pin positions), resolved relative to the scenario by the caller.
pub fn parse_any(
    text: &str,
    read_file: &dyn Fn(&str) -> Result<String, String>,
) -> Result<AnyScenario, ScenarioError> {
    if let Some(issue) = model_issue(
        text,
        &[
            "electrodiffusion",
            "vortex",
            "electrostatics",
            "magnetostatics",
            "pnp",
        ],
    ) {
        return Err(ScenarioError {
            issues: vec![issue],
        });
    }
    let model = toml::from_str::<toml::Table>(text)
        .ok()
        .and_then(|t| t.get("model").and_then(|m| m.as_str().map(str::to_string)));
    match model.as_deref() {
        Some("vortex") => vortex::parse(text, read_file).map(AnyScenario::Vortex),
        Some("electrostatics" | "magnetostatics") => {
            parse_static(text).map(|s| AnyScenario::Static(Box::new(s)))
        }
        Some("pnp") => parse_pnp(text).map(|s| AnyScenario::Pnp(Box::new(s))),
        _ => parse(text).map(AnyScenario::Electrodiffusion),
    }
}

impl AnyScenario {
    /// Warnings found while validating the scenario (printed by `fluxion check` and `run`,
    /// stored in `summary.json`).
    pub fn warnings(&self) -> &[String] {
        match self {
            AnyScenario::Electrodiffusion(s) => &s.warnings,
            AnyScenario::Vortex(v) => &v.warnings,
            AnyScenario::Static(s) => &s.warnings,
            AnyScenario::Pnp(s) => &s.warnings,
        }
    }
}

/// Run a scenario of any model family.
pub fn run_any(s: &AnyScenario, progress: &mut dyn Progress) -> Result<RunReport, RunError> {
    match s {
        AnyScenario::Electrodiffusion(s) => run(s, progress),
        AnyScenario::Vortex(v) => run_vortex(v, progress),
        AnyScenario::Static(s) => run_static(s, progress),
        AnyScenario::Pnp(s) => run_pnp(s, progress),
    }
}

use std::ops::Range;

use toml::Spanned;
use toml::Value;

use crate::constants::{BOLTZMANN, ELEMENTARY_CHARGE, FARADAY, GAS_CONSTANT, VACUUM_PERMITTIVITY};
use crate::discretize::Scheme;
use crate::mesh::{Geometry, Grid, GridError, Spacing};
use crate::models::electrodiffusion::{
    Boundary, Closure, Electrodiffusion, PotentialBc, Problem, Species, SpeciesBc, SteadyOptions,
    TransientOptions,
};
use crate::solve::{ContinuationOptions, NewtonOptions, Progress};
use crate::units::{dims, parse_as, Dim};

/// One problem found in a scenario file.
#[derive(Clone, Debug, PartialEq)]
pub struct Issue {
    /// Dotted key path, e.g. `species[1].diffusivity`.
    pub key: String,
    /// What is wrong and how to fix it.
    pub message: String,
    /// Byte range in the file, when known.
    pub span: Option<Range<usize>>,
}

/// A scenario file could not be turned into a problem.
#[derive(Clone, Debug, PartialEq, thiserror::Error)]
#[error("{}", .issues.iter().map(|i| format!("{}: {}", i.key, i.message)).collect::<Vec<_>>().join("\n"))]
pub struct ScenarioError {
    /// All problems found.
    pub issues: Vec<Issue>,
}

impl ScenarioError {
    /// Render the issues with file positions and the offending line, e.g.
    ///
    /// ```text
    /// error: species[0].diffusivity: -1e-9 m^2/s is not physical: ...
    ///   --> cell.toml:12:15
    ///    |
    /// 12 | diffusivity = "-1e-9 m^2/s"
    ///    |               ^^^^^^^^^^^^^
    /// ```
    pub fn render(&self, source: &str, file: &str) -> String {
        let mut out = String::new();
        for issue in &self.issues {
            out.push_str(&format!("error: {}: {}\n", issue.key, issue.message));
            if let Some(span) = &issue.span {
                let start = span.start.min(source.len());
                let line_no = source[..start].matches('\n').count() + 1;
                let line_start = source[..start].rfind('\n').map(|p| p + 1).unwrap_or(0);
                let line_end = source[start..]
                    .find('\n')
                    .map(|p| start + p)
                    .unwrap_or(source.len());
                let col = source[line_start..start].chars().count() + 1;
                let line = &source[line_start..line_end];
                let width = source[start..span.end.min(line_end).max(start)]
                    .chars()
                    .count()
                    .max(1);
                let pad = " ".repeat(line_no.to_string().len());
                out.push_str(&format!("{pad}--> {file}:{line_no}:{col}\n"));
                out.push_str(&format!("{pad} |\n{line_no} | {line}\n"));
                out.push_str(&format!(
                    "{pad} | {}{}\n",
                    " ".repeat(col - 1),
                    "^".repeat(width)
                ));
            } else {
                out.push_str(&format!("  --> {file}\n"));
            }
        }
        out
    }
}

/// Steady or transient.
#[derive(Clone, Debug, PartialEq)]
pub enum Mode {
    /// Solve for the steady state.
    Steady(SteadyOptions),
    /// Integrate in time from the initial concentrations `[species][node]` (mol/m^3).
    Transient(TransientOptions, Vec<Vec<f64>>),
}

/// A validated electrodiffusion scenario.
#[derive(Clone, Debug)]
pub struct Scenario {
    /// Title for plots and summaries.
    pub title: String,
    /// The physical problem.
    pub problem: Problem,
    /// What to compute.
    pub mode: Mode,
    /// Legal but suspicious input found by validation: the run proceeds, the CLI prints each
    /// line on the terminal and `summary.json` stores them under `warnings`.
    pub warnings: Vec<String>,
}

impl Scenario {
    /// Build the discrete model.
    pub fn model(&self) -> Result<Electrodiffusion, crate::models::electrodiffusion::ModelError> {
        Electrodiffusion::new(self.problem.clone())
    }
}

struct Ctx {
    issues: Vec<Issue>,
}

impl Ctx {
    fn push(
        &mut self,
        key: impl Into<String>,
        message: impl Into<String>,
        span: Option<Range<usize>>,
    ) {
        self.issues.push(Issue {
            key: key.into(),
            message: message.into(),
            span,
        });
    }

    /// A quantity: a bare number (SI) or a string with units.
    fn quantity(&mut self, v: &Spanned<Value>, key: &str, dim: Dim) -> Option<f64> {
        self.quantity_at(v.get_ref(), v.span(), key, dim)
    }

    fn quantity_at(&mut self, v: &Value, span: Range<usize>, key: &str, dim: Dim) -> Option<f64> {
        let span = Some(span);
        match v {
            Value::Float(f) => Some(*f),
            Value::Integer(i) => Some(*i as f64),
            Value::String(s) => match parse_as(s, dim) {
                Ok(x) => Some(x),
                Err(e) => {
                    self.push(key, e.to_string(), span);
                    None
                }
            },
            other => {
                self.push(
                    key,
                    format!(
                        "expected a number (SI) or a string with units such as \"{}\", found {}",
                        crate::units::example_for(dim),
                        other.type_str()
                    ),
                    span,
                );
                None
            }
        }
    }

    fn positive(&mut self, v: &Spanned<Value>, key: &str, dim: Dim, what: &str) -> Option<f64> {
        let x = self.quantity(v, key, dim)?;
        if !(x > 0.0 && x.is_finite()) {
            self.push(
                key,
                format!(
                    "{} must be positive, got {}; e.g. {} = \"{}\"",
                    what,
                    show(v),
                    key.rsplit('.').next().unwrap_or(key),
                    crate::units::example_for(dim)
                ),
                Some(v.span()),
            );
            return None;
        }
        Some(x)
    }

    /// `x` (already converted) if it lies in `[lo, hi]`, otherwise an issue naming the range.
    fn within(
        &mut self,
        x: f64,
        v: &Spanned<Value>,
        key: &str,
        (lo, hi): (f64, f64),
        what: &str,
        unit: &str,
    ) -> Option<f64> {
        if (lo..=hi).contains(&x) {
            return Some(x);
        }
        let side = if x > hi {
            format!("too large: {what} is at most {hi:e} {unit}")
        } else {
            format!("too small: {what} is at least {lo:e} {unit}")
        };
        self.push(
            key,
            format!("{} ({x:e} {unit}) is {side}; check the unit", show(v)),
            Some(v.span()),
        );
        None
    }

    /// A whole number given as a TOML integer (or a float with no fractional part, such
    /// as `5e7`); `example` is a correct line such as `nodes = 401`.
    fn integer(&mut self, v: &Spanned<Value>, key: &str, example: &str) -> Option<i64> {
        match v.get_ref() {
            Value::Integer(i) => Some(*i),
            Value::Float(f) if f.is_finite() && f.fract() == 0.0 && f.abs() < 9.0e15 => {
                Some(*f as i64)
            }
            other => {
                let found = match other {
                    Value::Float(f) => format!("the number {f}"),
                    Value::String(s) => format!("the string \"{s}\" (remove the quotes)"),
                    o => format!("a {}", o.type_str()),
                };
                self.push(
                    key,
                    format!("expected a whole number, found {found}; e.g. {example}"),
                    Some(v.span()),
                );
                None
            }
        }
    }

    /// A plain number (no units); `example` is a correct line such as `rtol = 1e-6`.
    fn number(&mut self, v: &Spanned<Value>, key: &str, example: &str) -> Option<f64> {
        match v.get_ref() {
            Value::Integer(i) => Some(*i as f64),
            Value::Float(f) => Some(*f),
            other => {
                let found = match other {
                    Value::String(s) => format!("the string \"{s}\" (remove the quotes)"),
                    o => format!("a {}", o.type_str()),
                };
                self.push(
                    key,
                    format!("expected a number, found {found}; e.g. {example}"),
                    Some(v.span()),
                );
                None
            }
        }
    }

    fn choice<'a>(
        &mut self,
        v: &'a Spanned<String>,
        key: &str,
        options: &[&'a str],
    ) -> Option<&'a str> {
        let s = v.get_ref().as_str();
        if options.contains(&s) {
            Some(s)
        } else {
            self.push(
                key,
                format!(
                    "unknown value \"{s}\"; use one of {}",
                    options
                        .iter()
                        .map(|o| format!("\"{o}\""))
                        .collect::<Vec<_>>()
                        .join(", ")
                ),
                Some(v.span()),
            );
            None
        }
    }
}

fn show(v: &Spanned<Value>) -> String {
    match v.get_ref() {
        Value::String(s) => format!("\"{s}\""),
        Value::Float(f) if f.is_finite() && *f != 0.0 && !(1e-4..1e6).contains(&f.abs()) => {
            format!("{f:e}")
        }
        other => other.to_string(),
    }
}

/// Highest accepted temperature, K: no liquid or solid electrolyte exists above it.
pub const MAX_TEMPERATURE: f64 = 1e4;
/// Lowest accepted temperature, K.
pub const MIN_TEMPERATURE: f64 = 1.0;
/// Largest accepted boundary flux density, mol/(m^2 s): pure water (55.5 mol/L) at 18 m/s.
pub const MAX_FLUX: f64 = 1e6;
/// Largest accepted applied current density, A/m^2 (100 kA/cm^2).
pub const MAX_CURRENT_DENSITY: f64 = 1e9;
/// Largest Boltzmann exponent `|z| F dphi / RT` accepted under the Poisson closure: above
/// 700 the factor `exp(z F dphi / RT)` leaves the floating-point range (1.8e308 = e^709.8).
pub const MAX_BOLTZMANN_EXPONENT: f64 = 700.0;
/// Highest accepted relative permittivity (ferroelectric ceramics reach about 1e4).
pub const MAX_PERMITTIVITY: f64 = 1e6;
/// Highest accepted advection speed, m/s (the flow is taken as incompressible).
pub const MAX_VELOCITY: f64 = 1e3;
/// Shortest accepted domain length, m (a hundredth of an atomic radius).
pub const MIN_LENGTH: f64 = 1e-12;
/// Longest accepted domain length or inner radius, m.
pub const MAX_LENGTH: f64 = 1e6;
/// Shortest accepted time (end time, step), s: a femtosecond, far below the dielectric
/// relaxation of water (8 ps) under which a continuum transport model has no meaning.
pub const MIN_TIME: f64 = 1e-15;
/// Longest accepted time, s (30 million years).
pub const MAX_TIME: f64 = 1e15;
/// Highest accepted concentration, mol/m^3: the molarity of pure water, 55.5 mol/L
/// (1000 g/L / 18.015 g/mol), the densest common solvent; no solute can be more
/// concentrated than the solvent it is dissolved in is in itself.
pub const MAX_CONCENTRATION: f64 = 55_500.0;
/// Largest accepted boundary potential, V.
pub const MAX_POTENTIAL: f64 = 1e6;
/// Boundary potentials above this (V) are flagged: beyond the stability window of any
/// electrolyte (water 1.23 V, the widest organic and ionic-liquid electrolytes about 6 V).
pub const WARN_POTENTIAL: f64 = 10.0;
/// Largest accepted surface charge density, C/m^2: one elementary charge per 0.08 nm^2,
/// beyond a close-packed monolayer of ions (about one per 0.1 nm^2, 1.6 C/m^2).
pub const MAX_SURFACE_CHARGE: f64 = 2.0;
/// Largest accepted charge number of a species.
pub const MAX_CHARGE_NUMBER: f64 = 1000.0;
/// Default memory limit of a run, bytes (`solver.memory_limit_gb` changes it).
pub const DEFAULT_MEMORY_LIMIT: f64 = 4e9;

/// The memory an electrodiffusion run needs, estimated from its sizes before anything is
/// allocated (bytes).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct MemoryEstimate {
    /// The banded Jacobian and its LU factors.
    pub jacobian: f64,
    /// Everything: Jacobian, solver vectors, model buffers, profiles and output text.
    pub total: f64,
}

/// Estimate the memory of a run with `nodes` nodes, `species` species and `profiles`
/// profiles held at once (1 for a steady run; the initial, the final one and the snapshots
/// of a transient run), an upper bound of what the solvers allocate:
///
/// ```text
/// N = nodes (species + 1) unknowns, ku = 2 (species + 1) - 1 bands above the diagonal,
/// kl = species + 1 below (2 (species + 1) - 1 with a current balance: `wide`)
/// Jacobian  8 N (2 kl + ku + 1) + 24 N        LAPACK band storage with the fill-in rows,
///                                             pivots and row/column scales
/// vectors   8 N (5 steady, 13 transient)      Newton (4) + state; BDF history, mass,
///                                             predictor, corrector, weights, derivative
/// model     8 nodes (4 species + 8)           face flux buffers, grid metrics
/// profile   8 nodes (4 + 10 species)          x, phi, E, rho; c, mu, 4 flux parts, face split
///           + 20 nodes (4 + 6 species)        its CSV text (about 17 bytes per value)
/// figures   32 nodes (species + 3)            two figures, 16 bytes per point
/// ```
///
/// Measured peak resident memory (release build, 2 species, Poisson closure): 0.40 GB for a
/// steady run on 500,000 nodes (estimate 0.64 GB), 0.99 GB for a transient run on 100,000
/// nodes with 20 output times (estimate 1.22 GB).
///
/// ```
/// let e = fluxion::scenario::memory_estimate(1_000_000, 2, 1, false, false);
/// // 3e6 unknowns, 12 band rows: the Jacobian alone is about 0.36 GB.
/// assert!((e.jacobian - 3.6e8).abs() < 1e6);
/// assert!(e.total > e.jacobian && e.total < 2e9);
/// ```
pub fn memory_estimate(
    nodes: usize,
    species: usize,
    profiles: usize,
    transient: bool,
    wide: bool,
) -> MemoryEstimate {
    let (n, m) = (nodes as f64, species as f64);
    let nv = m + 1.0;
    let unknowns = n * nv;
    let ku = 2.0 * nv - 1.0;
    let kl = if wide { ku } else { nv };
    let jacobian = 8.0 * unknowns * (2.0 * kl + ku + 1.0) + 24.0 * unknowns;
    let vectors = 8.0 * unknowns * if transient { 13.0 } else { 5.0 };
    let model = 8.0 * n * (4.0 * m + 8.0);
    let profile = 8.0 * n * (4.0 + 10.0 * m) + 20.0 * n * (4.0 + 6.0 * m);
    let figures = 32.0 * n * (m + 3.0);
    MemoryEstimate {
        jacobian,
        total: jacobian + vectors + model + profiles as f64 * profile + figures,
    }
}

fn gb(bytes: f64) -> String {
    if bytes >= 1e9 {
        format!("{:.3} GB", bytes / 1e9)
    } else {
        format!("{:.1} MB", bytes / 1e6)
    }
}

/// The memory limit of the run in bytes (`solver.memory_limit_gb`).
fn memory_limit(s: Option<&raw::Solver>, cx: &mut Ctx) -> f64 {
    let Some(v) = s.and_then(|s| s.memory_limit_gb.as_ref()) else {
        return DEFAULT_MEMORY_LIMIT;
    };
    match cx.number(v, "solver.memory_limit_gb", "memory_limit_gb = 16") {
        Some(g) if g > 0.0 && g <= 1e6 => g * 1e9,
        Some(_) => {
            cx.push(
                "solver.memory_limit_gb",
                format!(
                    "{} must be a positive number of GB (1e9 bytes) up to 1e6, e.g. memory_limit_gb = 16 (default {})",
                    show(v),
                    DEFAULT_MEMORY_LIMIT / 1e9
                ),
                Some(v.span()),
            );
            DEFAULT_MEMORY_LIMIT
        }
        None => DEFAULT_MEMORY_LIMIT,
    }
}

/// `domain.nodes`, checked against the memory a run of that size needs.
fn build_nodes(raw: &raw::Scenario, transient: bool, limit: f64, cx: &mut Ctx) -> Option<usize> {
    let d = raw.domain.get_ref();
    let n = cx.integer(&d.nodes, "domain.nodes", "nodes = 401")?;
    if n < 3 {
        cx.push(
            "domain.nodes",
            format!("{n} nodes: a grid needs at least 3 (the two boundaries and one interior node), e.g. nodes = 401"),
            Some(d.nodes.span()),
        );
        return None;
    }
    let snapshots = raw.transient.as_ref().filter(|_| transient).map_or(0, |t| {
        let t = t.get_ref();
        let listed = t.output_times.as_ref().map_or(1, Vec::len);
        let counted = t
            .output_count
            .as_ref()
            .and_then(|c| c.get_ref().as_integer())
            .map_or(0, |c| c.clamp(0, 10_000) as usize);
        listed + counted
    });
    let m = raw.species.len().max(1);
    let profiles = if transient { snapshots + 2 } else { 1 };
    // The wide lower band of a current balance exists only under the electroneutral closure.
    let wide = raw.closure.get_ref() == "electroneutral";
    let est = memory_estimate(n as usize, m, profiles, transient, wide);
    if est.total > limit {
        let per_node = est.total / n as f64;
        let most = (limit / per_node).floor() as u64;
        cx.push(
            "domain.nodes",
            format!(
                "{n} nodes with {m} species would need about {} of memory ({} for the banded Jacobian{}), above the limit of {}: use at most {most} nodes (grid = \"refined\" puts them where the profiles are steep){} or, if the machine has the memory, raise the limit with memory_limit_gb in [solver]",
                gb(est.total),
                gb(est.jacobian),
                if transient { format!(", {snapshots} snapshots") } else { String::new() },
                gb(limit),
                if transient { ", fewer output times" } else { "" },
            ),
            Some(d.nodes.span()),
        );
        return None;
    }
    Some(n as usize)
}

/// A length in nm, in e-notation when tiny or huge.
fn nm(x: f64) -> String {
    let v = x * 1e9;
    if (1e-3..1e6).contains(&v) {
        format!("{v:.4} nm")
    } else {
        format!("{v:.3e} nm")
    }
}

fn too_concentrated(v: &Spanned<Value>, c: f64) -> String {
    format!(
        "{} ({:.4e} mol/L) is above {} mol/L, the molarity of pure water: no solute is denser than the densest solvent; check the unit (\"mM\" is millimolar, \"M\" = mol/L)",
        show(v),
        c / 1e3,
        MAX_CONCENTRATION / 1e3
    )
}

/// Physical consistency of a built problem under the Poisson closure: neutral reservoirs,
/// surface charges against the contact theorem, and a grid that resolves the Debye length.
fn physics_checks(
    p: &Problem,
    mode: &Mode,
    raw: &raw::Scenario,
    cx: &mut Ctx,
    warnings: &mut Vec<String>,
) {
    if p.closure != Closure::Poisson {
        return;
    }
    let eps = p.permittivity * VACUUM_PERMITTIVITY;
    let rt = GAS_CONSTANT * p.temperature;
    let names = ["left", "right"];
    if let [PotentialBc::Potential(a), PotentialBc::Potential(b)] =
        [p.boundaries[0].potential, p.boundaries[1].potential]
    {
        let zmax = p.species.iter().map(|s| s.charge.abs()).fold(0.0, f64::max);
        let exponent = zmax * (a - b).abs() * FARADAY / rt;
        if exponent > MAX_BOLTZMANN_EXPONENT {
            let side = if a.abs() >= b.abs() { 0 } else { 1 };
            let v = if side == 0 {
                raw.left.get_ref().potential.as_ref()
            } else {
                raw.right.get_ref().potential.as_ref()
            };
            cx.push(
                format!("{}.potential", names[side]),
                format!(
                    "a potential difference of {} V across the cell is {exponent:.0} thermal voltages for |z| = {zmax}: under closure = \"poisson\" the Boltzmann factor exp(|z| F dphi / RT) leaves the floating-point range above {MAX_BOLTZMANN_EXPONENT} (|dphi| < {:.2} V here), and no electrolyte sustains such a drop; check the unit (mV?)",
                    a - b,
                    MAX_BOLTZMANN_EXPONENT * rt / (FARADAY * zmax.max(1e-300))
                ),
                v.map(|v| v.span()),
            );
            return;
        }
    }
    let fixed = |side: usize, k: usize| match p.boundaries[side].species[k] {
        SpeciesBc::Concentration(c) => Some(c),
        SpeciesBc::Flux(_) => None,
    };
    let any_charged = p.species.iter().any(|s| s.charge != 0.0);
    // A reservoir: every charged species has a fixed concentration on that side.
    let reservoir: [bool; 2] = std::array::from_fn(|side| {
        any_charged
            && p.species
                .iter()
                .enumerate()
                .all(|(k, s)| s.charge == 0.0 || fixed(side, k).is_some())
    });
    let sum = |side: usize, f: &dyn Fn(f64, f64) -> f64| -> f64 {
        p.species
            .iter()
            .enumerate()
            .filter_map(|(k, s)| fixed(side, k).map(|c| f(s.charge, c)))
            .sum()
    };
    let mut charged_reservoir = [false; 2];
    for side in 0..2 {
        if !reservoir[side] {
            continue;
        }
        let q = sum(side, &|z, c| z * c);
        let a = sum(side, &|z, c| z.abs() * c);
        if a > 0.0 && q.abs() > 1e-6 * a {
            charged_reservoir[side] = true;
            warnings.push(format!(
                "{}.concentration: the fixed composition is not electroneutral (sum z c = {q:.4e} mol/m^3 against sum |z| c = {a:.4e} mol/m^3). Under closure = \"poisson\" the boundary then holds a space charge F sum z c = {:.3e} C/m^3: the solution forms a layer about a Debye length thick at this boundary, with a potential jump and a net charge there, that no real reservoir has. Make sum z c = 0 unless a charged reservoir is meant",
                names[side],
                FARADAY * q
            ));
        }
    }
    // Ionic strength sum z^2 c of the boundary compositions (the larger side: the shorter
    // Debye length), else of the initial values.
    let (mut s2, mut total) = (0.0f64, 0.0);
    for side in 0..2 {
        let v = sum(side, &|z, c| z * z * c);
        if v > s2 {
            s2 = v;
            total = sum(side, &|_, c| c);
        }
    }
    if s2 == 0.0 {
        if let Mode::Transient(_, init) = mode {
            for i in 0..p.grid.len() {
                let v: f64 = p
                    .species
                    .iter()
                    .enumerate()
                    .map(|(k, s)| s.charge * s.charge * init[k][i])
                    .sum();
                s2 = s2.max(v);
            }
        }
    }
    for side in 0..2 {
        let PotentialBc::SurfaceCharge(sigma) = p.boundaries[side].potential else {
            continue;
        };
        // Contact theorem of the planar Poisson-Boltzmann double layer (Grahame 1947;
        // Henderson and Blum, J. Chem. Phys. 69, 5441 (1978)): the total ion concentration
        // at the wall is sum c_bulk + sigma^2 / (2 eps R T).
        let wall = total + sigma * sigma / (2.0 * eps * rt);
        if wall > MAX_CONCENTRATION {
            warnings.push(format!(
                "{}.surface_charge = {sigma} C/m^2 is very high: by the contact theorem of the Poisson-Boltzmann double layer (Grahame 1947) the total ion concentration at the wall is sum c_bulk + sigma^2/(2 eps R T) = {:.1} mol/L, above the {} mol/L of pure water. Point ions cannot pack that densely, so the profiles next to the wall are not physical (in water at 25 degC this happens above about {:.2} C/m^2)",
                names[side],
                wall / 1e3,
                MAX_CONCENTRATION / 1e3,
                (2.0 * eps * rt * (MAX_CONCENTRATION - total).max(0.0)).sqrt()
            ));
        }
    }
    if s2 <= 0.0 {
        return;
    }
    let lambda = (eps * rt / (FARADAY * FARADAY * s2)).sqrt();
    let x = p.grid.x();
    let n = x.len();
    for side in 0..2 {
        let charged_wall = match p.boundaries[side].potential {
            PotentialBc::Potential(_) => true,
            PotentialBc::SurfaceCharge(s) => s != 0.0,
            _ => false,
        };
        if !((charged_wall && !reservoir[side]) || charged_reservoir[side]) {
            continue;
        }
        // The longest interval that starts within 3 lambda_D of the wall.
        let h_max = (0..n - 1)
            .filter(|&i| {
                if side == 0 {
                    x[i] - x[0] < 3.0 * lambda
                } else {
                    x[n - 1] - x[i + 1] < 3.0 * lambda
                }
            })
            .map(|i| x[i + 1] - x[i])
            .fold(0.0, f64::max);
        let detail = format!(
            "the Debye length of the boundary compositions is lambda_D = sqrt(eps R T / (F^2 sum z^2 c)) = {}, but intervals within 3 lambda_D of the {} wall are up to {} = {:.2} lambda_D long",
            nm(lambda),
            names[side],
            nm(h_max),
            h_max / lambda
        );
        let fix = format!(
            "add nodes, or use grid = \"refined\" with refine = \"{}\" and min_spacing = \"{}\" (0.05 lambda_D)",
            if side == 0 { "left" } else { "right" },
            nm(0.05 * lambda)
        );
        // Box-method decay of the linearized layer per interval: r + 1/r - 2 = (h/lambda)^2
        // against the exact exp(-h/lambda): 0.6096 vs 0.6065 at h = lambda/2, 0.172 vs 0.135
        // at h = 2 lambda, where the whole layer lies inside one interval.
        if h_max > 2.0 * lambda {
            cx.push(
                "domain",
                format!(
                    "the double layer at the {} wall is not resolved: {detail}; above 2 lambda_D the layer lies inside one interval and the wall field and charge come out wrong by a large factor: {fix}",
                    names[side]
                ),
                Some(raw.domain.get_ref().nodes.span()),
            );
        } else if h_max > 0.5 * lambda {
            warnings.push(format!(
                "domain: the double layer at the {} wall is coarsely resolved: {detail}; above lambda_D/2 the wall field is off by about h/(2 lambda_D) = {:.0}%: {fix}",
                names[side],
                50.0 * h_max / lambda
            ));
        }
    }
}

/// Parse and validate a scenario from TOML text.
///
/// ```
/// let text = r#"
/// closure = "fixed_field"
/// [domain]
/// length = "5 nm"
/// nodes = 11
/// [[species]]
/// name = "K+"
/// charge = 1
/// diffusivity = "1.96e-9 m^2/s"
/// [left]
/// potential = "-60 mV"
/// concentration = { "K+" = "140 mM" }
/// [right]
/// potential = "0 V"
/// concentration = { "K+" = "5 mM" }
/// "#;
/// let s = fluxion::scenario::parse(text).unwrap();
/// assert_eq!(s.problem.species[0].name, "K+");
/// ```
pub fn parse(text: &str) -> Result<Scenario, ScenarioError> {
    if let Some(issue) = model_issue(text, &["electrodiffusion"]) {
        return Err(ScenarioError {
            issues: vec![issue],
        });
    }
    let raw: raw::Scenario = toml::from_str(text).map_err(|e| ScenarioError {
        issues: vec![toml_issue_at(&e, text)],
    })?;
    let mut cx = Ctx { issues: vec![] };
    let scenario = build(&raw, &mut cx);
    match scenario {
        Some(s) if cx.issues.is_empty() => Ok(s),
        _ => Err(ScenarioError { issues: cx.issues }),
    }
}

/// The model families and what they are for (listed by the unknown-model message).
const MODELS: [(&str, &str); 5] = [
    (
        "electrodiffusion",
        "Nernst-Planck transport in 1D, the default",
    ),
    ("vortex", "superconducting vortex dynamics"),
    (
        "electrostatics",
        "Poisson with dielectrics, charges and conductors",
    ),
    (
        "magnetostatics",
        "magnetic scalar potential, current-free regions",
    ),
    (
        "pnp",
        "Poisson-Nernst-Planck on 2D, (r, z) and 3D meshes with regions",
    ),
];

/// An issue when the `model` key names no model family (or not one of `accepted`): read
/// before the full deserialization, so that `model = "vortx"` says "unknown model" instead
/// of complaining about the first key of the other family.
fn model_issue(text: &str, accepted: &[&str]) -> Option<Issue> {
    let key: raw::ModelKey = toml::from_str(text).ok()?;
    let m = key.model?;
    let list = MODELS
        .iter()
        .map(|(n, what)| format!("\"{n}\" ({what})"))
        .collect::<Vec<_>>()
        .join(", ");
    let message = match m.get_ref() {
        Value::String(s) if accepted.contains(&s.as_str()) => return None,
        Value::String(s) if MODELS.iter().any(|(n, _)| n == s) => format!(
            "model = \"{s}\" is read by fluxion::scenario::parse_any (or `fluxion run`), not by this parser"
        ),
        Value::String(s) => format!("unknown model \"{s}\"; use one of {list}"),
        other => format!(
            "the model is a name in quotes, found a {}; use one of {list}, e.g. model = \"vortex\"",
            other.type_str()
        ),
    };
    Some(Issue {
        key: "model".into(),
        message,
        span: Some(m.span()),
    })
}

/// The dotted key at byte `pos` of a TOML text, found from the line (`key = ...`) and the
/// last table header above it (`[domain]`, `[[species]]`), e.g. `domain.nodes`.
fn key_at(text: &str, pos: usize) -> Option<String> {
    let pos = pos.min(text.len());
    let pos = (0..=pos).rev().find(|&p| text.is_char_boundary(p))?;
    let line_start = text[..pos].rfind('\n').map_or(0, |p| p + 1);
    let line_end = text[pos..].find('\n').map_or(text.len(), |p| pos + p);
    let line = &text[line_start..line_end];
    let key = line
        .split_once('=')
        .map(|(k, _)| k.trim().trim_matches('"'))?;
    if key.is_empty() || key.starts_with('[') || key.starts_with('#') {
        return None;
    }
    let header = text[..line_start].lines().rev().find_map(|l| {
        let l = l.trim();
        l.starts_with('[')
            .then(|| l.trim_matches(|c| c == '[' || c == ']').trim().to_string())
    });
    Some(match header {
        Some(h) if !h.is_empty() => format!("{h}.{key}"),
        _ => key.to_string(),
    })
}

/// A correct line for a key of the electrodiffusion scenario, by its last path segment.
fn example_line(key: &str) -> Option<&'static str> {
    Some(match key {
        "closure" => "closure = \"poisson\"",
        "mode" => "mode = \"steady\"",
        "scheme" => "scheme = \"scharfetter_gummel\"",
        "geometry" => "geometry = \"planar\"",
        "grid" => "grid = \"refined\"",
        "refine" => "refine = \"both\"",
        "continuation" => "continuation = \"auto\"",
        "name" => "name = \"Na+\"",
        "title" => "title = \"my cell\"",
        "description" => "description = \"free text\"",
        "output_times" => "output_times = [\"1 ms\", \"10 ms\"]",
        "species" => "a [[species]] table per species, with name, charge and diffusivity",
        "concentration" => "concentration = { \"Na+\" = \"100 mM\" }",
        "flux" => "flux = { \"Na+\" = \"1e-6 mol/(m^2 s)\" }",
        "left" | "right" => "a [left] table with potential = \"0 V\"",
        "domain" => "a [domain] table with length = \"1 um\" and nodes = 401",
        "transient" => "a [transient] table with end_time = \"1 s\"",
        "solver" => "a [solver] table with max_iterations = 60",
        _ => return None,
    })
}

/// "expected i64" and friends in words.
fn expected_in_words(expected: &str) -> String {
    let e = expected.trim();
    match e {
        "i64" | "u64" | "usize" | "i32" | "u32" => "a whole number such as 600".into(),
        "f64" | "f32" => "a number such as 1e-6".into(),
        "a string" => "a string in quotes such as \"poisson\"".into(),
        "a sequence" => "a list such as [1, 2]".into(),
        "a boolean" => "true or false".into(),
        _ if e.starts_with("struct ") || e.starts_with("a map") => {
            "a table (a [section] or { key = value, ... })".into()
        }
        _ => e.to_string(),
    }
}

/// A deserialization error as an issue, without the source text (no key is derived).
fn toml_issue(e: &toml::de::Error) -> Issue {
    toml_issue_at(e, "")
}

/// A deserialization error as an issue: the key is found from the error's position in
/// `text`, and type errors are put in words ("must be a whole number such as 600").
fn toml_issue_at(e: &toml::de::Error, text: &str) -> Issue {
    let mut msg = e.message().trim().to_string();
    let located = [
        "invalid type",
        "invalid value",
        "unknown field",
        "duplicate key",
    ]
    .iter()
    .any(|p| msg.starts_with(p));
    let key = e
        .span()
        .filter(|_| located)
        .and_then(|sp| key_at(text, sp.start));
    if let Some(rest) = msg.strip_prefix("invalid type: ") {
        if let Some((found, expected)) = rest.split_once(", expected ") {
            let k = key.clone().unwrap_or_else(|| "this key".into());
            let last = k.rsplit('.').next().unwrap_or(&k);
            msg = format!(
                "`{k}` must be {}, found {found}; {}",
                expected_in_words(expected),
                example_line(last)
                    .map(|e| format!("e.g. {e}"))
                    .unwrap_or_else(|| "see docs/scenario.md for the form of each key".into())
            );
        }
    }
    let hint = if let Some(rest) = msg.strip_prefix("missing field ") {
        let field = rest.trim_matches('`');
        match field {
            "closure" => {
                "add closure = \"poisson\", \"electroneutral\" or \"fixed_field\"".to_string()
            }
            "domain" => "add a [domain] table with length and nodes".to_string(),
            "left" | "right" => {
                format!("add a [{field}] table with the boundary conditions on that side")
            }
            "species" => {
                "add at least one [[species]] table with name, charge and diffusivity".to_string()
            }
            f => format!("add the key `{f}` (see docs/scenario.md)"),
        }
    } else if msg.starts_with("unknown field") {
        "remove or correct the key (keys are case-sensitive; see docs/scenario.md)".to_string()
    } else {
        String::new()
    };
    let message = if hint.is_empty() {
        msg
    } else {
        format!("{msg}: {hint}")
    };
    Issue {
        key: key.unwrap_or_else(|| "file".into()),
        message,
        span: e.span(),
    }
}

fn build(raw: &raw::Scenario, cx: &mut Ctx) -> Option<Scenario> {
    if let Some(m) = &raw.model {
        cx.choice(m, "model", &["electrodiffusion", "vortex"]);
    }
    let temperature = build_temperature(raw.temperature.as_ref(), cx);
    let permittivity = match &raw.permittivity {
        None => Some(78.5),
        Some(v) => relative_permittivity(v, "permittivity", cx),
    };
    let closure = cx
        .choice(
            &raw.closure,
            "closure",
            &["poisson", "electroneutral", "fixed_field"],
        )
        .map(|c| match c {
            "poisson" => Closure::Poisson,
            "electroneutral" => Closure::Electroneutral,
            _ => Closure::FixedField,
        });
    let scheme = match &raw.scheme {
        None => Some(Scheme::ScharfetterGummel),
        Some(s) => cx
            .choice(s, "scheme", &["scharfetter_gummel", "upwind", "central"])
            .map(|s| match s {
                "upwind" => Scheme::Upwind,
                "central" => Scheme::Central,
                _ => Scheme::ScharfetterGummel,
            }),
    };
    let velocity = match &raw.velocity {
        None => Some(0.0),
        Some(v) => match cx.quantity(v, "velocity", dims::VELOCITY) {
            Some(u) if u.abs() > MAX_VELOCITY => {
                cx.push(
                    "velocity",
                    format!(
                        "{} is faster than {MAX_VELOCITY} m/s; the advection term v c assumes an incompressible flow far below the speed of sound (1480 m/s in water): check the unit, e.g. velocity = \"1 um/s\"",
                        show(v)
                    ),
                    Some(v.span()),
                );
                None
            }
            u => u,
        },
    };
    let transient = matches!(
        raw.mode.as_ref().map(|m| m.get_ref().as_str()),
        Some("transient")
    );
    let mut warnings = vec![];
    // Resources first: nothing is allocated for a grid that would not fit.
    let limit = memory_limit(raw.solver.as_ref(), cx);
    let nodes = build_nodes(raw, transient, limit, cx);
    let grid = nodes.and_then(|n| build_grid(&raw.domain, n, cx));
    if let (Some(g), Some(v)) = (&grid, &raw.velocity) {
        if g.geometry() != Geometry::Planar && velocity.is_some_and(|u| u != 0.0) {
            cx.push(
                "velocity",
                format!(
                    "a constant velocity is not divergence-free in {} geometry (div(v e_r) = {} v / r), so it would create or destroy solvent; remove velocity or use geometry = \"planar\"",
                    g.geometry().name(),
                    if g.geometry() == Geometry::Cylindrical { 1 } else { 2 }
                ),
                Some(v.span()),
            );
        }
    }
    let species = build_species(&raw.species, temperature.unwrap_or(298.15), cx);
    let names: Vec<String> = species.iter().map(|s| s.name.clone()).collect();
    let side = |s: &Spanned<raw::Side>, name, cx: &mut Ctx, w: &mut Vec<String>| {
        build_side(s.get_ref(), Some(s.span()), name, &names, cx, w)
    };
    let left = side(&raw.left, "left", cx, &mut warnings);
    let right = side(&raw.right, "right", cx, &mut warnings);
    if let Some(m) = &raw.mode {
        cx.choice(m, "mode", &["steady", "transient"]);
    }
    let solver = build_solver(raw.solver.as_ref(), cx);
    let grid = grid?;
    let mode = if transient {
        let Some(t) = &raw.transient else {
            cx.push(
                "transient",
                "mode = \"transient\" needs a [transient] table with end_time (e.g. end_time = \"1 s\")",
                raw.mode.as_ref().map(|m| m.span()),
            );
            return None;
        };
        let opts = build_transient(t, solver.0, cx);
        let initial = build_initial(&raw.species, &grid, cx);
        Mode::Transient(opts?, initial?)
    } else {
        if let Some(t) = &raw.transient {
            cx.push(
                "transient",
                "a [transient] table is only used with mode = \"transient\"; set the mode or remove the table",
                Some(t.span()),
            );
        }
        for (k, s) in raw.species.iter().enumerate() {
            if let Some(i) = &s.initial {
                cx.push(
                    format!("species[{k}].initial"),
                    "initial concentrations are only used with mode = \"transient\"; remove the key or set the mode",
                    Some(i.span()),
                );
            }
        }
        Mode::Steady(solver.1)
    };
    let problem = Problem {
        grid,
        species,
        temperature: temperature?,
        permittivity: permittivity?,
        closure: closure?,
        boundaries: [left?, right?],
        velocity: velocity?,
        scheme: scheme?,
    };
    if !cx.issues.is_empty() {
        return None;
    }
    physics_checks(&problem, &mode, raw, cx, &mut warnings);
    if !cx.issues.is_empty() {
        return None;
    }
    // Model-level checks (enough boundary conditions, electroneutral boundaries, ...).
    if let Err(e) = Electrodiffusion::new(problem.clone()) {
        let msg = e.to_string();
        let (key, span) = if msg.starts_with("the left") || msg.starts_with("left") {
            ("left", Some(raw.left.span()))
        } else if msg.starts_with("the right") || msg.starts_with("right") {
            ("right", Some(raw.right.span()))
        } else {
            ("closure", Some(raw.closure.span()))
        };
        cx.push(key, msg, span);
        return None;
    }
    if let Mode::Transient(_, init) = &mode {
        if problem.closure == Closure::Electroneutral {
            for i in 0..problem.grid.len() {
                let (mut q, mut s) = (0.0, 0.0);
                for (k, sp) in problem.species.iter().enumerate() {
                    q += sp.charge * init[k][i];
                    s += (sp.charge * init[k][i]).abs();
                }
                if q.abs() > 1e-9 * s.max(1e-300) {
                    cx.push(
                        "species.initial",
                        format!(
                            "the initial concentrations are not electroneutral at x = {:.4e} m (sum z c = {q:.4e} mol/m^3); closure = \"electroneutral\" needs sum z c = 0 everywhere",
                            problem.grid.x()[i]
                        ),
                        raw.species.first().and_then(|s| s.initial.as_ref().map(|i| i.span())),
                    );
                    return None;
                }
            }
        }
    }
    Some(Scenario {
        title: raw
            .title
            .clone()
            .unwrap_or_else(|| "fluxion scenario".into()),
        problem,
        mode,
        warnings,
    })
}

/// `temperature` (default 298.15 K), refused at or below 1 K and above 1e4 K.
fn build_temperature(v: Option<&Spanned<Value>>, cx: &mut Ctx) -> Option<f64> {
    match v {
        None => Some(298.15),
        Some(v) => {
            let t = cx.quantity(v, "temperature", dims::TEMPERATURE);
            match t {
                Some(t) if t <= 0.0 || !t.is_finite() => {
                    cx.push(
                        "temperature",
                        format!(
                            "{} is at or below absolute zero; use e.g. \"25 degC\" or 298.15 (K)",
                            show(v)
                        ),
                        Some(v.span()),
                    );
                    None
                }
                Some(t) if t < MIN_TEMPERATURE => {
                    cx.push(
                        "temperature",
                        format!(
                            "{} ({t:e} K) is below {MIN_TEMPERATURE} K, where no ion moves by thermal diffusion; check the unit, e.g. \"25 degC\" or 298.15 (K)",
                            show(v)
                        ),
                        Some(v.span()),
                    );
                    None
                }
                Some(t) if t > MAX_TEMPERATURE => {
                    cx.push(
                        "temperature",
                        format!(
                            "{} ({t:.4e} K) is above {MAX_TEMPERATURE} K, where no liquid or solid electrolyte exists; check the unit, e.g. \"25 degC\" or 298.15 (K)",
                            show(v)
                        ),
                        Some(v.span()),
                    );
                    None
                }
                t => t,
            }
        }
    }
}

/// A relative permittivity under `key`: between 1 (vacuum) and [`MAX_PERMITTIVITY`].
fn relative_permittivity(v: &Spanned<Value>, key: &str, cx: &mut Ctx) -> Option<f64> {
    match cx.quantity(v, key, dims::DIMENSIONLESS) {
        // eps_r >= 1: no medium screens less than vacuum.
        Some(e) if !(1.0..=MAX_PERMITTIVITY).contains(&e) => {
            cx.push(
                key,
                format!(
                    "the relative permittivity must lie between 1 (vacuum: no medium polarizes less) and {MAX_PERMITTIVITY:e} (ferroelectrics reach 1e4), got {}; water at 25 degC has 78.5",
                    show(v)
                ),
                Some(v.span()),
            );
            None
        }
        e => e,
    }
}

fn build_grid(d: &Spanned<raw::Domain>, nodes: usize, cx: &mut Ctx) -> Option<Grid> {
    let span = Some(d.span());
    let d = d.get_ref();
    let length = cx
        .positive(
            &d.length,
            "domain.length",
            dims::LENGTH,
            "the domain length",
        )
        .and_then(|l| {
            cx.within(
                l,
                &d.length,
                "domain.length",
                (MIN_LENGTH, MAX_LENGTH),
                "the domain length",
                "m",
            )
        });
    let geometry = match &d.geometry {
        None => Some(Geometry::Planar),
        Some(g) => cx
            .choice(
                g,
                "domain.geometry",
                &["planar", "cylindrical", "spherical"],
            )
            .map(|g| match g {
                "cylindrical" => Geometry::Cylindrical,
                "spherical" => Geometry::Spherical,
                _ => Geometry::Planar,
            }),
    };
    let inner = match &d.inner_radius {
        None => {
            if matches!(geometry, Some(Geometry::Cylindrical)) {
                cx.push(
                    "domain.inner_radius",
                    "a cylindrical domain needs inner_radius (the radius of the inner boundary, e.g. \"1 um\" for a wire electrode); 0 puts the axis at the left boundary",
                    span.clone(),
                );
            }
            Some(0.0)
        }
        Some(v) => {
            let r = cx
                .quantity(v, "domain.inner_radius", dims::LENGTH)
                .and_then(|r| {
                    cx.within(
                        r,
                        v,
                        "domain.inner_radius",
                        (0.0, MAX_LENGTH),
                        "the inner radius",
                        "m",
                    )
                });
            if let Some(r) = r {
                if r < 0.0 {
                    cx.push(
                        "domain.inner_radius",
                        format!("{} must be zero or positive", show(v)),
                        Some(v.span()),
                    );
                    return None;
                }
                if geometry == Some(Geometry::Planar) && r != 0.0 {
                    cx.push(
                        "domain.inner_radius",
                        "inner_radius only applies to cylindrical and spherical geometry; remove it or set geometry",
                        Some(v.span()),
                    );
                }
            }
            r
        }
    };
    let spacing = match d.grid.as_ref() {
        None => Some(Spacing::Uniform),
        Some(g) => match cx.choice(g, "domain.grid", &["uniform", "refined"]) {
            Some("uniform") => Some(Spacing::Uniform),
            Some(_) => {
                let refine = match &d.refine {
                    None => Some((true, true)),
                    Some(r) => cx
                        .choice(r, "domain.refine", &["left", "right", "both"])
                        .map(|r| (r != "right", r != "left")),
                };
                let min = match &d.min_spacing {
                    None => {
                        cx.push(
                            "domain.min_spacing",
                            "grid = \"refined\" needs min_spacing, the width of the smallest interval (e.g. \"0.01 nm\", well below the Debye length)",
                            Some(g.span()),
                        );
                        None
                    }
                    Some(v) => cx
                        .positive(v, "domain.min_spacing", dims::LENGTH, "min_spacing")
                        .and_then(|m| {
                            cx.within(
                                m,
                                v,
                                "domain.min_spacing",
                                (MIN_LENGTH, MAX_LENGTH),
                                "min_spacing",
                                "m",
                            )
                        }),
                };
                match (refine, min) {
                    (Some((l, r)), Some(m)) => Some(Spacing::Refined {
                        left: l,
                        right: r,
                        min_spacing: m,
                    }),
                    _ => None,
                }
            }
            None => None,
        },
    };
    let (length, geometry, inner, spacing) = (length?, geometry?, inner?, spacing?);
    match Grid::new(geometry, inner, length, nodes, spacing) {
        Ok(g) => Some(g),
        Err(GridError::NotIncreasing(i)) => {
            // Only a refined grid can collapse: neighbouring nodes closer than the
            // floating-point resolution of their position.
            cx.push(
                "domain.min_spacing",
                format!(
                    "the refined grid cannot be built: to reach this min_spacing with {nodes} nodes the tanh stretching puts nodes {} and {i} at the same position in floating point; use a larger min_spacing (e.g. 1e-4 of the uniform spacing {:.3e} m) or fewer nodes",
                    i - 1,
                    length / (nodes - 1) as f64
                ),
                d.min_spacing.as_ref().map(|v| v.span()).or(span),
            );
            None
        }
        Err(e) => {
            cx.push("domain", format!("{e}"), span);
            None
        }
    }
}

fn build_species(raw: &[raw::Species], temperature: f64, cx: &mut Ctx) -> Vec<Species> {
    let mut out = vec![];
    if raw.is_empty() {
        cx.push(
            "species",
            "no species: add at least one [[species]] table with name, charge and diffusivity",
            None,
        );
    }
    for (k, s) in raw.iter().enumerate() {
        let key = |f: &str| format!("species[{k}].{f}");
        let name = s.name.get_ref().trim().to_string();
        // The name heads CSV columns (`c_<name>_mol_m3`) and keys JSON objects.
        if name.is_empty() || name.contains([',', '"', '\'']) || name.chars().any(char::is_control)
        {
            cx.push(
                key("name"),
                format!("{name:?} cannot name a species: it heads the CSV columns, so use a non-empty name without commas, quotes, line breaks or other control characters, e.g. \"Na+\""),
                Some(s.name.span()),
            );
        }
        if raw[..k].iter().any(|o| o.name.get_ref().trim() == name) {
            cx.push(
                key("name"),
                format!("species \"{name}\" is defined twice; names must be unique"),
                Some(s.name.span()),
            );
        }
        let z = match s.charge.get_ref() {
            Value::Integer(i) if (*i as f64).abs() <= MAX_CHARGE_NUMBER => Some(*i as f64),
            Value::Float(f) if f.is_finite() && f.abs() <= MAX_CHARGE_NUMBER => Some(*f),
            Value::Integer(_) | Value::Float(_) => {
                cx.push(
                    key("charge"),
                    format!(
                        "the charge number {} is beyond {MAX_CHARGE_NUMBER} in magnitude; even polyelectrolytes carry fewer charges per molecule (model a long chain per charged segment), e.g. charge = 1",
                        show(&s.charge)
                    ),
                    Some(s.charge.span()),
                );
                None
            }
            Value::String(t) if t.trim().parse::<f64>().is_ok() => {
                cx.push(
                    key("charge"),
                    format!(
                        "the charge number is a plain number without quotes: write charge = {}",
                        t.trim()
                    ),
                    Some(s.charge.span()),
                );
                None
            }
            _ => {
                cx.push(
                    key("charge"),
                    format!(
                        "the charge number must be a number such as 1, -1 or 2, got {}",
                        show(&s.charge)
                    ),
                    Some(s.charge.span()),
                );
                None
            }
        };
        let d = match (&s.diffusivity, &s.mobility) {
            (Some(d), None) => cx.positive(
                d,
                &key("diffusivity"),
                dims::DIFFUSIVITY,
                "the diffusion coefficient",
            ),
            (None, Some(u)) => {
                let mu = cx.positive(
                    u,
                    &key("mobility"),
                    dims::MOBILITY,
                    "the electrical mobility",
                );
                match (mu, z) {
                    (Some(_), Some(0.0)) => {
                        cx.push(
                            key("mobility"),
                            "a neutral species has no electrical mobility; give its diffusivity instead",
                            Some(u.span()),
                        );
                        None
                    }
                    // Einstein relation D = u k_B T / (|z| e).
                    (Some(mu), Some(z)) => {
                        Some(mu * BOLTZMANN * temperature / (z.abs() * ELEMENTARY_CHARGE))
                    }
                    _ => None,
                }
            }
            (Some(_), Some(u)) => {
                cx.push(
                    key("mobility"),
                    "give either diffusivity or mobility, not both (they are linked by the Einstein relation D = u k_B T / (|z| e))",
                    Some(u.span()),
                );
                None
            }
            (None, None) => {
                cx.push(
                    key("diffusivity"),
                    format!("species \"{name}\" needs diffusivity (e.g. \"1.33e-9 m^2/s\") or mobility (e.g. \"5.19e-8 m^2/(V s)\")"),
                    Some(s.name.span()),
                );
                None
            }
        };
        if let (Some(z), Some(d)) = (z, d) {
            out.push(Species {
                name,
                charge: z,
                diffusivity: d,
            });
        }
    }
    if out.len() != raw.len() {
        // Keep indices aligned for later checks: a failed species already reported.
        out.clear();
    }
    out
}

fn build_side(
    s: &raw::Side,
    span: Option<Range<usize>>,
    name: &str,
    species: &[String],
    cx: &mut Ctx,
    warnings: &mut Vec<String>,
) -> Option<Boundary> {
    let mut bcs: Vec<Option<SpeciesBc>> = vec![None; species.len()];
    for (table, dim, is_conc) in [
        ("concentration", dims::CONCENTRATION, true),
        ("flux", dims::MOLAR_FLUX, false),
    ] {
        let map = if is_conc { &s.concentration } else { &s.flux };
        let Some(map) = map else { continue };
        if species.is_empty() {
            continue;
        }
        let table_key = format!("{name}.{table}");
        for (idx, k, v) in geometry::keyed(cx, map, species, &table_key, ("species", "species")) {
            let key = format!("{name}.{table}.\"{}\"", k.get_ref());
            let Some(x) = cx.quantity(v, &key, dim) else {
                continue;
            };
            if bcs[idx].is_some() {
                cx.push(
                    key,
                    "this species has both a concentration and a flux on this side; give one",
                    Some(v.span()),
                );
                continue;
            }
            if is_conc && (x < 0.0 || !x.is_finite()) {
                cx.push(
                    key,
                    format!("a concentration cannot be negative, got {}", show(v)),
                    Some(v.span()),
                );
                continue;
            }
            if is_conc && x > MAX_CONCENTRATION {
                cx.push(key, too_concentrated(v, x), Some(v.span()));
                continue;
            }
            if !is_conc && x.abs() > MAX_FLUX {
                cx.push(
                    key,
                    format!(
                        "{} is beyond {MAX_FLUX:e} mol/(m^2 s) in magnitude, more than pure water (55.5 mol/L) carries at 18 m/s: check the unit, e.g. \"1e-6 mol/(m^2 s)\"",
                        show(v)
                    ),
                    Some(v.span()),
                );
                continue;
            }
            bcs[idx] = Some(if is_conc {
                SpeciesBc::Concentration(x)
            } else {
                SpeciesBc::Flux(x)
            });
        }
    }
    let mut potential = PotentialBc::Free;
    let mut count = 0;
    if let Some(v) = &s.potential {
        count += 1;
        let key = format!("{name}.potential");
        let phi = cx.quantity(v, &key, dims::VOLTAGE)?;
        if phi.abs() > MAX_POTENTIAL {
            cx.push(
                &key,
                format!(
                    "{} is beyond {MAX_POTENTIAL:e} V, far above the breakdown of any electrolyte or membrane; check the unit, e.g. potential = \"25 mV\"",
                    show(v)
                ),
                Some(v.span()),
            );
            return None;
        }
        if phi.abs() > WARN_POTENTIAL {
            warnings.push(format!(
                "{key} = {}: above {WARN_POTENTIAL} V in magnitude, beyond the stability window of any electrolyte (water decomposes above 1.23 V, the widest organic and ionic-liquid electrolytes near 5-6 V); a double layer at such a potential would hold Boltzmann factors exp(F phi / RT) of e^{:.0} (at 25 degC). Check the unit (mV?) unless the drive is meant (e.g. electrophoresis)",
                show(v),
                phi.abs() / 0.025_693
            ));
        }
        potential = PotentialBc::Potential(phi);
    }
    if let Some(v) = &s.surface_charge {
        count += 1;
        let key = format!("{name}.surface_charge");
        let sigma = cx.quantity(v, &key, dims::SURFACE_CHARGE)?;
        if sigma.abs() > MAX_SURFACE_CHARGE {
            cx.push(
                &key,
                format!(
                    "{} is beyond {MAX_SURFACE_CHARGE} C/m^2 in magnitude, i.e. more than one elementary charge per {:.3} nm^2, denser than a close-packed monolayer of ions (about one per 0.1 nm^2, 1.6 C/m^2); real surfaces carry up to a few tenths of a C/m^2: check the unit, e.g. surface_charge = \"-0.05 C/m^2\" or \"-5 uC/cm^2\"",
                    show(v),
                    ELEMENTARY_CHARGE / MAX_SURFACE_CHARGE * 1e18
                ),
                Some(v.span()),
            );
            return None;
        }
        potential = PotentialBc::SurfaceCharge(sigma);
    }
    if let Some(v) = &s.current {
        count += 1;
        let key = format!("{name}.current");
        let i = cx.quantity(v, &key, dims::CURRENT_DENSITY)?;
        if i.abs() > MAX_CURRENT_DENSITY {
            cx.push(
                &key,
                format!(
                    "{} is beyond {MAX_CURRENT_DENSITY:e} A/m^2 (100 kA/cm^2) in magnitude, orders of magnitude above any electrochemical current density (at most about 1e5 A/m^2): check the unit, e.g. current = \"10 mA/cm^2\"",
                    show(v)
                ),
                Some(v.span()),
            );
            return None;
        }
        potential = PotentialBc::Current(i);
    }
    if count > 1 {
        cx.push(
            name,
            "give at most one of potential, surface_charge and current on a side",
            span,
        );
        return None;
    }
    Some(Boundary {
        species: bcs
            .into_iter()
            .map(|b| b.unwrap_or(SpeciesBc::Flux(0.0)))
            .collect(),
        potential,
    })
}

fn build_solver(raw: Option<&raw::Solver>, cx: &mut Ctx) -> (NewtonOptions, SteadyOptions) {
    let mut newton = NewtonOptions::default();
    let mut steady = SteadyOptions::default();
    let Some(s) = raw else {
        return (newton, steady);
    };
    if let Some(n) = &s.max_iterations {
        match cx.integer(n, "solver.max_iterations", "max_iterations = 60") {
            Some(k) if !(1..=100_000).contains(&k) => cx.push(
                "solver.max_iterations",
                format!("{k} must be between 1 and 100000 (default 60)"),
                Some(n.span()),
            ),
            Some(k) => newton.max_iterations = k as usize,
            None => {}
        }
    }
    if let Some(t) = &s.rtol {
        let Some(v) = cx.number(t, "solver.rtol", "rtol = 1e-10") else {
            return (newton, steady);
        };
        if !(v > 0.0 && v < 1.0) {
            cx.push(
                "solver.rtol",
                "must be between 0 and 1 (default 1e-10)",
                Some(t.span()),
            );
        } else {
            newton.rtol = v;
        }
    }
    if let Some(c) = &s.continuation {
        if let Some(c) = cx.choice(c, "solver.continuation", &["auto", "always"]) {
            steady.force_continuation = c == "always";
        }
    }
    if let Some(st) = &s.continuation_step {
        let Some(v) = cx.number(st, "solver.continuation_step", "continuation_step = 0.05") else {
            return (newton, steady);
        };
        if !(v > 0.0 && v <= 1.0) {
            cx.push(
                "solver.continuation_step",
                "must be in (0, 1] (default 0.05)",
                Some(st.span()),
            );
        } else {
            steady.continuation = ContinuationOptions {
                initial_step: v,
                ..steady.continuation
            };
        }
    }
    steady.newton = NewtonOptions {
        jacobian_reuse: steady.newton.jacobian_reuse,
        ..newton
    };
    (newton, steady)
}

fn build_transient(
    t: &Spanned<raw::Transient>,
    newton: NewtonOptions,
    cx: &mut Ctx,
) -> Option<TransientOptions> {
    let t = t.get_ref();
    let end = cx.positive(&t.end_time, "transient.end_time", dims::TIME, "end_time")?;
    let end = cx.within(
        end,
        &t.end_time,
        "transient.end_time",
        (MIN_TIME, MAX_TIME),
        "end_time",
        "s",
    )?;
    let mut opts = TransientOptions::new(end);
    opts.newton = NewtonOptions {
        max_iterations: newton.max_iterations.min(20),
        ..newton
    };
    if let Some(list) = &t.output_times {
        let mut times = vec![];
        for (i, v) in list.iter().enumerate() {
            let key = format!("transient.output_times[{i}]");
            if let Some(x) = cx.quantity(v, &key, dims::TIME) {
                if !(x >= 0.0 && x <= end * (1.0 + 1e-12)) {
                    cx.push(
                        key,
                        format!("output time {} lies outside [0, end_time]", show(v)),
                        Some(v.span()),
                    );
                } else {
                    times.push(x.min(end));
                }
            }
        }
        opts.output_times = times;
    }
    if let Some(nv) = &t.output_count {
        match cx.integer(nv, "transient.output_count", "output_count = 10") {
            Some(n) if !(1..=10_000).contains(&n) => cx.push(
                "transient.output_count",
                format!("{n} must be between 1 and 10000"),
                Some(nv.span()),
            ),
            Some(n) => opts
                .output_times
                .extend((1..=n).map(|i| end * i as f64 / n as f64)),
            None => {}
        }
    }
    if let Some(r) = &t.rtol {
        let v = cx.number(r, "transient.rtol", "rtol = 1e-5")?;
        if !(v > 0.0 && v < 1.0) {
            cx.push(
                "transient.rtol",
                "must be between 0 and 1 (default 1e-5)",
                Some(r.span()),
            );
        } else {
            opts.rtol = v;
        }
    }
    if let Some(v) = &t.initial_step {
        let h = cx.positive(v, "transient.initial_step", dims::TIME, "initial_step")?;
        opts.initial_step = cx.within(
            h,
            v,
            "transient.initial_step",
            (MIN_TIME, end),
            "initial_step",
            "s",
        )?;
    }
    if let Some(v) = &t.max_step {
        let h = cx.positive(v, "transient.max_step", dims::TIME, "max_step")?;
        opts.max_step = cx.within(
            h,
            v,
            "transient.max_step",
            (MIN_TIME, MAX_TIME),
            "max_step",
            "s",
        )?;
    }
    Some(opts)
}

fn build_initial(raw: &[raw::Species], grid: &Grid, cx: &mut Ctx) -> Option<Vec<Vec<f64>>> {
    let mut out = vec![];
    let x = grid.x();
    let l = grid.length();
    for (k, s) in raw.iter().enumerate() {
        let key = format!("species[{k}].initial");
        let Some(init) = &s.initial else {
            cx.push(
                key,
                format!(
                    "mode = \"transient\" needs the initial concentration of \"{}\", e.g. initial = \"10 mM\" or initial = {{ left = \"10 mM\", right = \"1 mM\", profile = \"linear\" }}",
                    s.name.get_ref()
                ),
                Some(s.name.span()),
            );
            continue;
        };
        let span = init.span();
        let values: Option<Vec<f64>> = match init.get_ref() {
            Value::Table(t) => {
                for k in t.keys() {
                    if !["left", "right", "profile", "at"].contains(&k.as_str()) {
                        cx.push(
                            format!("{key}.{k}"),
                            "unknown key; an initial profile takes left, right, profile (\"linear\" or \"step\") and at",
                            Some(span.clone()),
                        );
                    }
                }
                let get = |cx: &mut Ctx, name: &str, dim: Dim| -> Option<f64> {
                    match t.get(name) {
                        Some(v) => cx.quantity_at(v, span.clone(), &format!("{key}.{name}"), dim),
                        None => {
                            cx.push(
                                format!("{key}.{name}"),
                                format!("an initial profile needs {name}, e.g. {{ left = \"10 mM\", right = \"1 mM\" }}"),
                                Some(span.clone()),
                            );
                            None
                        }
                    }
                };
                let a = get(cx, "left", dims::CONCENTRATION);
                let b = get(cx, "right", dims::CONCENTRATION);
                let shape = match t.get("profile") {
                    None => Some("linear"),
                    Some(Value::String(p)) if p == "linear" || p == "step" => Some(p.as_str()),
                    Some(other) => {
                        cx.push(
                            format!("{key}.profile"),
                            format!("unknown profile {other}; use \"linear\" or \"step\""),
                            Some(span.clone()),
                        );
                        None
                    }
                };
                let at = match t.get("at") {
                    None => Some(0.5 * l),
                    Some(v) => cx.quantity_at(v, span.clone(), &format!("{key}.at"), dims::LENGTH),
                };
                match (a, b, shape, at) {
                    (Some(a), Some(b), Some(shape), Some(at)) => Some(
                        x.iter()
                            .map(|xi| {
                                if shape == "linear" {
                                    a + (b - a) * xi / l
                                } else if *xi < at {
                                    a
                                } else if *xi > at {
                                    b
                                } else {
                                    0.5 * (a + b)
                                }
                            })
                            .collect(),
                    ),
                    _ => None,
                }
            }
            v => {
                let c = cx.quantity_at(v, span.clone(), &key, dims::CONCENTRATION)?;
                Some(vec![c; x.len()])
            }
        };
        if let Some(v) = values {
            if v.iter().any(|c| *c < 0.0 || !c.is_finite()) {
                cx.push(
                    key,
                    "initial concentrations cannot be negative",
                    Some(init.span()),
                );
                continue;
            }
            if let Some(c) = v.iter().copied().find(|c| *c > MAX_CONCENTRATION) {
                cx.push(key, too_concentrated(init, c), Some(init.span()));
                continue;
            }
            out.push(v);
        }
    }
    (out.len() == raw.len()).then_some(out)
}

#[cfg(test)]
mod tests;
