//! Scenario files: TOML in, validated problems out.
//!
//! Parsing has two stages (as in ripgrep): the TOML text is deserialized into raw structs
//! that reject unknown keys and keep the position of every value, then a validation pass
//! converts units, checks physical ranges and builds the model, collecting *every* problem
//! with its key, value, position and a fix. The reference of all keys is in
//! `docs/scenario.md`.

mod raw;
mod run;
mod vortex;

pub use run::{run, RunError, RunReport};
pub use vortex::{parse_pins_csv, run_vortex, VortexScenario};

/// A scenario of any model family, chosen by its `model` key.
#[derive(Clone, Debug)]
pub enum AnyScenario {
    /// `model = "electrodiffusion"` (the default).
    Electrodiffusion(Scenario),
    /// `model = "vortex"`.
    Vortex(VortexScenario),
}

/// Parse a scenario of any model family. `read_file` returns the text of files the scenario
/// names (pin positions), resolved relative to the scenario by the caller.
pub fn parse_any(
    text: &str,
    read_file: &dyn Fn(&str) -> Result<String, String>,
) -> Result<AnyScenario, ScenarioError> {
    let model = toml::from_str::<toml::Table>(text)
        .ok()
        .and_then(|t| t.get("model").and_then(|m| m.as_str().map(str::to_string)));
    match model.as_deref() {
        Some("vortex") => vortex::parse(text, read_file).map(AnyScenario::Vortex),
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
        }
    }
}

/// Run a scenario of any model family.
pub fn run_any(s: &AnyScenario, progress: &mut dyn Progress) -> Result<RunReport, RunError> {
    match s {
        AnyScenario::Electrodiffusion(s) => run(s, progress),
        AnyScenario::Vortex(v) => run_vortex(v, progress),
    }
}

use std::ops::Range;

use toml::Spanned;
use toml::Value;

use crate::constants::{BOLTZMANN, ELEMENTARY_CHARGE};
use crate::discretize::Scheme;
use crate::mesh::{Geometry, Grid, Spacing};
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
        other => other.to_string(),
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
    let raw: raw::Scenario = toml::from_str(text).map_err(|e| ScenarioError {
        issues: vec![toml_issue(&e)],
    })?;
    let mut cx = Ctx { issues: vec![] };
    let scenario = build(&raw, &mut cx);
    match scenario {
        Some(s) if cx.issues.is_empty() => Ok(s),
        _ => Err(ScenarioError { issues: cx.issues }),
    }
}

fn toml_issue(e: &toml::de::Error) -> Issue {
    let msg = e.message().trim().to_string();
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
        key: "file".into(),
        message,
        span: e.span(),
    }
}

fn build(raw: &raw::Scenario, cx: &mut Ctx) -> Option<Scenario> {
    if let Some(m) = &raw.model {
        cx.choice(m, "model", &["electrodiffusion", "vortex"]);
    }
    let temperature = match &raw.temperature {
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
                t => t,
            }
        }
    };
    let permittivity = match &raw.permittivity {
        None => Some(78.5),
        Some(v) => cx.positive(
            v,
            "permittivity",
            dims::DIMENSIONLESS,
            "the relative permittivity",
        ),
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
        Some(v) => cx.quantity(v, "velocity", dims::VELOCITY),
    };
    let grid = build_grid(&raw.domain, cx);
    let species = build_species(&raw.species, temperature.unwrap_or(298.15), cx);
    let names: Vec<String> = species.iter().map(|s| s.name.clone()).collect();
    let left = build_side(&raw.left, "left", &names, cx);
    let right = build_side(&raw.right, "right", &names, cx);
    let transient = matches!(
        raw.mode.as_ref().map(|m| m.get_ref().as_str()),
        Some("transient")
    );
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
        warnings: vec![],
    })
}

fn build_grid(d: &Spanned<raw::Domain>, cx: &mut Ctx) -> Option<Grid> {
    let span = Some(d.span());
    let d = d.get_ref();
    let length = cx.positive(
        &d.length,
        "domain.length",
        dims::LENGTH,
        "the domain length",
    );
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
            let r = cx.quantity(v, "domain.inner_radius", dims::LENGTH);
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
    let nodes = *d.nodes.get_ref();
    if !(3..=50_000_000).contains(&nodes) {
        cx.push(
            "domain.nodes",
            format!("{nodes} nodes: use between 3 and 50000000 (e.g. nodes = 401)"),
            Some(d.nodes.span()),
        );
        return None;
    }
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
                    Some(v) => cx.positive(v, "domain.min_spacing", dims::LENGTH, "min_spacing"),
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
    match Grid::new(geometry, inner, length, nodes as usize, spacing) {
        Ok(g) => Some(g),
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
        if name.is_empty() || name.contains(',') || name.contains('"') {
            cx.push(
                key("name"),
                format!("\"{name}\" cannot name a species: use a non-empty name without commas or quotes, e.g. \"Na+\""),
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
            Value::Integer(i) => Some(*i as f64),
            Value::Float(f) if f.is_finite() => Some(*f),
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
    side: &Spanned<raw::Side>,
    name: &str,
    species: &[String],
    cx: &mut Ctx,
) -> Option<Boundary> {
    let span = Some(side.span());
    let s = side.get_ref();
    let mut bcs: Vec<Option<SpeciesBc>> = vec![None; species.len()];
    let lookup = |cx: &mut Ctx, key: &Spanned<String>, table: &str| -> Option<usize> {
        let pos = species.iter().position(|n| n == key.get_ref());
        if pos.is_none() && !species.is_empty() {
            cx.push(
                format!("{name}.{table}"),
                format!(
                    "unknown species \"{}\"; the species are {}",
                    key.get_ref(),
                    species
                        .iter()
                        .map(|s| format!("\"{s}\""))
                        .collect::<Vec<_>>()
                        .join(", ")
                ),
                Some(key.span()),
            );
        }
        pos
    };
    for (table, dim, is_conc) in [
        ("concentration", dims::CONCENTRATION, true),
        ("flux", dims::MOLAR_FLUX, false),
    ] {
        let map = if is_conc { &s.concentration } else { &s.flux };
        let Some(map) = map else { continue };
        for (k, v) in map {
            let Some(idx) = lookup(cx, k, table) else {
                continue;
            };
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
        potential =
            PotentialBc::Potential(cx.quantity(v, &format!("{name}.potential"), dims::VOLTAGE)?);
    }
    if let Some(v) = &s.surface_charge {
        count += 1;
        potential = PotentialBc::SurfaceCharge(cx.quantity(
            v,
            &format!("{name}.surface_charge"),
            dims::SURFACE_CHARGE,
        )?);
    }
    if let Some(v) = &s.current {
        count += 1;
        potential = PotentialBc::Current(cx.quantity(
            v,
            &format!("{name}.current"),
            dims::CURRENT_DENSITY,
        )?);
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
        if *n.get_ref() < 1 {
            cx.push(
                "solver.max_iterations",
                "must be at least 1 (default 60)",
                Some(n.span()),
            );
        } else {
            newton.max_iterations = *n.get_ref() as usize;
        }
    }
    if let Some(t) = &s.rtol {
        let v = *t.get_ref();
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
        let v = *st.get_ref();
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
    steady.newton = newton;
    (newton, steady)
}

fn build_transient(
    t: &Spanned<raw::Transient>,
    newton: NewtonOptions,
    cx: &mut Ctx,
) -> Option<TransientOptions> {
    let t = t.get_ref();
    let end = cx.positive(&t.end_time, "transient.end_time", dims::TIME, "end_time")?;
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
    if let Some(n) = &t.output_count {
        let n = *n.get_ref();
        if !(1..=10_000).contains(&n) {
            cx.push(
                "transient.output_count",
                "must be between 1 and 10000",
                Some(t.output_count.as_ref().unwrap().span()),
            );
        } else {
            opts.output_times
                .extend((1..=n).map(|i| end * i as f64 / n as f64));
        }
    }
    if let Some(r) = &t.rtol {
        let v = *r.get_ref();
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
        opts.initial_step = cx.positive(v, "transient.initial_step", dims::TIME, "initial_step")?;
    }
    if let Some(v) = &t.max_step {
        opts.max_step = cx.positive(v, "transient.max_step", dims::TIME, "max_step")?;
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
            out.push(v);
        }
    }
    (out.len() == raw.len()).then_some(out)
}

#[cfg(test)]
mod tests;
