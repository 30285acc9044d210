//! Vortex scenarios (`model = "vortex"`): parsing, validation and the run with its outputs.

use std::time::Instant;

use serde::Deserialize;
use serde_json::json;
use toml::{Spanned, Value};

use super::{Ctx, RunError, RunReport, ScenarioError};
use crate::models::vortex::{
    critical_current, flux_flow_fit, Estimate, FluxFlowFit, Interaction, Material, PinShape,
    PinSpec, Prepare, Steady, Sweep, VortexError, VortexProblem, VortexResult, Well,
};
use crate::output::plot::Figure;
use crate::output::vortex_figures::{iv_figure, pin_radius, snapshot_figure, IvExtras};
use crate::output::OutputFile;
use crate::solve::Progress;
use crate::units::{dims, Dim};

#[derive(Deserialize, Debug)]
#[serde(deny_unknown_fields)]
struct Raw {
    model: Spanned<String>,
    title: Option<String>,
    #[allow(dead_code)]
    description: Option<String>,
    seed: Option<Spanned<i64>>,
    temperature: Option<Spanned<Value>>,
    material: Spanned<RawMaterial>,
    sample: Spanned<RawSample>,
    interaction: Option<RawInteraction>,
    pins: Option<Spanned<RawPins>>,
    dynamics: Option<RawDynamics>,
    prepare: Option<Spanned<RawPrepare>>,
    sweep: Spanned<RawSweep>,
    criteria: Option<RawCriteria>,
}

#[derive(Deserialize, Debug)]
#[serde(deny_unknown_fields)]
struct RawMaterial {
    lambda: Spanned<Value>,
    xi: Option<Spanned<Value>>,
    bc2: Option<Spanned<Value>>,
    rho_n: Spanned<Value>,
    thickness: Option<Spanned<Value>>,
}

#[derive(Deserialize, Debug)]
#[serde(deny_unknown_fields)]
struct RawSample {
    field: Spanned<Value>,
    vortices: Spanned<i64>,
}

#[derive(Deserialize, Debug)]
#[serde(deny_unknown_fields)]
struct RawInteraction {
    kind: Option<Spanned<String>>,
    cutoff: Option<Spanned<f64>>,
    taper_start: Option<Spanned<f64>>,
}

#[derive(Deserialize, Debug)]
#[serde(deny_unknown_fields)]
struct RawPins {
    kind: Spanned<String>,
    density: Option<Spanned<Value>>,
    matching_field: Option<Spanned<Value>>,
    spacing: Option<Spanned<Value>>,
    strength: Option<Spanned<Value>>,
    strength_f0: Option<Spanned<f64>>,
    radius: Option<Spanned<Value>>,
    shape: Option<Spanned<String>>,
    file: Option<Spanned<String>>,
}

#[derive(Deserialize, Debug)]
#[serde(deny_unknown_fields)]
struct RawDynamics {
    dt_t0: Option<Spanned<f64>>,
}

#[derive(Deserialize, Debug)]
#[serde(deny_unknown_fields)]
struct RawPrepare {
    method: Spanned<String>,
    start_temperature: Option<Spanned<Value>>,
    steps: Option<Spanned<i64>>,
}

#[derive(Deserialize, Debug)]
#[serde(deny_unknown_fields)]
struct RawSweep {
    currents: Spanned<Value>,
    down: Option<bool>,
    equilibrate: Option<Spanned<i64>>,
    average: Option<Spanned<i64>>,
    max_equilibrate: Option<Spanned<i64>>,
    steady_tolerance: Option<Spanned<f64>>,
}

#[derive(Deserialize, Debug)]
#[serde(deny_unknown_fields)]
struct RawCriteria {
    electric_field: Option<Spanned<Value>>,
    velocity: Option<Spanned<Value>>,
}

/// A validated vortex scenario.
#[derive(Clone, Debug)]
pub struct VortexScenario {
    /// Title for plots and the summary.
    pub title: String,
    /// The simulation.
    pub problem: VortexProblem,
    /// Electric-field criterion for `J_c` (V/m; default 1 uV/cm = 1e-4 V/m).
    pub e_criterion: f64,
    /// Velocity criterion for `J_c` (m/s): the mean vortex velocity along the Lorentz force
    /// reaches this value. `None`: 1% of the free flux-flow velocity `J_max Phi0 / eta` at the
    /// largest current of the sweep.
    pub v_threshold: Option<f64>,
    /// Legal but suspicious input found by validation (printed, and stored in `summary.json`).
    pub warnings: Vec<String>,
    /// Resources the run needs (memory, pair forces, steps, time), estimated at validation.
    pub estimate: Estimate,
}

const AREA_DENSITY: Dim = Dim::new(-2, 0, 0, 0, 0, 0);

impl Ctx {
    fn count(&mut self, v: &Spanned<i64>, key: &str, min: i64, max: i64) -> Option<usize> {
        let n = *v.get_ref();
        if n < min || n > max {
            self.push(
                key,
                format!("{n} is out of range; use an integer from {min} to {max}"),
                Some(v.span()),
            );
            return None;
        }
        Some(n as usize)
    }
}

/// Parse a vortex scenario. `read_file` returns the text of a file named in the scenario
/// (the pins CSV), relative to the scenario; the library itself does no I/O.
pub(super) fn parse(
    text: &str,
    read_file: &dyn Fn(&str) -> Result<String, String>,
) -> Result<VortexScenario, ScenarioError> {
    let raw: Raw = toml::from_str(text).map_err(|e| ScenarioError {
        issues: vec![super::toml_issue(&e)],
    })?;
    let mut cx = Ctx { issues: vec![] };
    let s = build(&raw, read_file, &mut cx);
    match s {
        Some(s) if cx.issues.is_empty() => Ok(s),
        _ => Err(ScenarioError { issues: cx.issues }),
    }
}

fn build(
    raw: &Raw,
    read_file: &dyn Fn(&str) -> Result<String, String>,
    cx: &mut Ctx,
) -> Option<VortexScenario> {
    cx.choice(&raw.model, "model", &["vortex"]);
    let temperature = match &raw.temperature {
        None => Some(0.0),
        Some(v) => {
            let t = cx.quantity(v, "temperature", dims::TEMPERATURE);
            match t {
                Some(t) if t < 0.0 || !t.is_finite() => {
                    cx.push(
                        "temperature",
                        "the temperature must be 0 K or above, e.g. \"4.2 K\"",
                        Some(v.span()),
                    );
                    None
                }
                t => t,
            }
        }
    };
    let seed = match &raw.seed {
        None => Some(1),
        Some(s) if *s.get_ref() >= 0 => Some(*s.get_ref() as u64),
        Some(s) => {
            cx.push(
                "seed",
                "the seed must be a non-negative integer",
                Some(s.span()),
            );
            None
        }
    };
    let m = raw.material.get_ref();
    let lambda = cx.positive(
        &m.lambda,
        "material.lambda",
        dims::LENGTH,
        "the penetration depth",
    );
    let xi = match (&m.xi, &m.bc2) {
        (Some(x), None) => cx.positive(x, "material.xi", dims::LENGTH, "the coherence length"),
        (None, Some(b)) => cx
            .positive(
                b,
                "material.bc2",
                dims::MAGNETIC_FIELD,
                "the upper critical field",
            )
            .and_then(|b| crate::laws::superconductor::coherence_length(b).ok())
            .and_then(|xi| {
                // Report a coherence length out of range at the key that was given.
                if (1e-10..=1e-3).contains(&xi) {
                    Some(xi)
                } else {
                    cx.push(
                        "material.bc2",
                        format!("gives a coherence length xi = sqrt(Phi0 / (2 pi B_c2)) = {xi:.3e} m, outside the physical range 0.1 nm to 1 mm; give B_c2 between 3.3e-10 T and 3.3e4 T (e.g. bc2 = \"13 T\")"),
                        Some(b.span()),
                    );
                    None
                }
            }),
        _ => {
            cx.push(
                "material",
                "give exactly one of xi (coherence length, e.g. xi = \"5 nm\") or bc2 (upper critical field, e.g. bc2 = \"13 T\")",
                Some(raw.material.span()),
            );
            None
        }
    };
    let rho_n = cx.positive(
        &m.rho_n,
        "material.rho_n",
        dims::RESISTIVITY,
        "the normal-state resistivity",
    );
    let thickness = match &m.thickness {
        None => Some(1e-6),
        Some(v) => cx.positive(
            v,
            "material.thickness",
            dims::LENGTH,
            "the vortex length (film thickness)",
        ),
    };
    let sample = raw.sample.get_ref();
    let field = cx.positive(
        &sample.field,
        "sample.field",
        dims::MAGNETIC_FIELD,
        "the flux density",
    );
    let vortices = cx.count(&sample.vortices, "sample.vortices", 1, 2_000_000);
    let (cutoff, taper) = match &raw.interaction {
        None => (5.0, 4.0),
        Some(i) => {
            let c = i.cutoff.as_ref().map_or(5.0, |c| *c.get_ref());
            (
                c,
                // One lambda inside the cutoff, or a fifth of it for cutoffs below 5.
                i.taper_start
                    .as_ref()
                    .map_or(c - (0.2 * c).min(1.0), |t| *t.get_ref()),
            )
        }
    };
    let interaction = match raw.interaction.as_ref().and_then(|i| i.kind.as_ref()) {
        None => Some(Interaction::Auto),
        Some(k) => cx
            .choice(k, "interaction.kind", &["auto", "london", "pearl"])
            .map(|k| match k {
                "london" => Interaction::London,
                "pearl" => Interaction::Pearl,
                _ => Interaction::Auto,
            }),
    };
    // An explicit choice against the d / lambda rule is legal but flagged.
    let interaction_warning = match (interaction, lambda, thickness) {
        (Some(i @ (Interaction::London | Interaction::Pearl)), Some(l), Some(d))
            if i != Interaction::Auto.resolve(l, d) =>
        {
            Some(format!(
                "interaction.kind = \"{}\" with d / lambda = {:.3}: the {} interaction holds for {}; \
                 \"auto\" would choose {} (remove interaction.kind to follow d / lambda)",
                i.name(),
                d / l,
                i.name(),
                if i == Interaction::Pearl { "d << lambda" } else { "d >> lambda" },
                Interaction::Auto.resolve(l, d).name()
            ))
        }
        _ => None,
    };
    // Pearl films without a cutoff key: the cutoff that balances the Ewald sum's two parts.
    let cutoff_given = raw.interaction.as_ref().is_some_and(|i| i.cutoff.is_some());
    let (cutoff, taper) = match (interaction, lambda, thickness, field, vortices) {
        (Some(i), Some(l), Some(d), Some(b), Some(n))
            if !cutoff_given && i.resolve(l, d) == Interaction::Pearl =>
        {
            let a = (2.0 * crate::constants::FLUX_QUANTUM / (3f64.sqrt() * b)).sqrt() / l;
            let c = crate::models::vortex::pearl::default_cutoff(n, a);
            let t = raw
                .interaction
                .as_ref()
                .and_then(|i| i.taper_start.as_ref())
                .map_or(c - 1.0, |t| *t.get_ref());
            (c, t)
        }
        _ => (cutoff, taper),
    };
    let dt = raw
        .dynamics
        .as_ref()
        .and_then(|d| d.dt_t0.as_ref())
        .map_or(0.01, |d| *d.get_ref());
    if !(dt > 0.0 && dt <= 0.2) {
        let span = raw
            .dynamics
            .as_ref()
            .and_then(|d| d.dt_t0.as_ref())
            .map(|d| d.span());
        cx.push("dynamics.dt_t0", format!("{dt} is not a usable time step; use 0 < dt_t0 <= 0.2 (default 0.01, in units of t0 = eta lambda / f0)"), span);
    }
    let prepare = match &raw.prepare {
        None => Some(Prepare::Lattice),
        Some(p) => {
            let pr = p.get_ref();
            match cx.choice(&pr.method, "prepare.method", &["lattice", "anneal"]) {
                Some("anneal") => {
                    let t0 = match &pr.start_temperature {
                        Some(t) => cx.positive(
                            t,
                            "prepare.start_temperature",
                            dims::TEMPERATURE,
                            "the annealing start temperature",
                        ),
                        None => {
                            cx.push("prepare.start_temperature", "annealing needs start_temperature, above the melting temperature (e.g. \"20 K\")", Some(p.span()));
                            None
                        }
                    };
                    let steps = match &pr.steps {
                        Some(s) => cx.count(s, "prepare.steps", 1, 100_000_000),
                        None => Some(20_000),
                    };
                    Some(Prepare::Anneal {
                        t_start: t0?,
                        steps: steps?,
                    })
                }
                Some(_) => Some(Prepare::Lattice),
                None => None,
            }
        }
    };
    let sw = raw.sweep.get_ref();
    let currents = build_currents(&sw.currents, cx);
    let equilibrate = sw.equilibrate.as_ref().map_or(Some(1000), |e| {
        cx.count(e, "sweep.equilibrate", 0, 100_000_000)
    });
    let average = sw
        .average
        .as_ref()
        .map_or(Some(1000), |e| cx.count(e, "sweep.average", 1, 100_000_000));
    // Steady-state test: by default up to 20 further averaging windows at each current.
    let max_extra = match (&sw.max_equilibrate, average) {
        (Some(m), _) => cx.count(m, "sweep.max_equilibrate", 0, 1_000_000_000),
        (None, Some(a)) => Some(20 * a),
        (None, None) => None,
    };
    let steady_tolerance = match &sw.steady_tolerance {
        None => Some(0.05),
        Some(t) if t.get_ref().is_finite() && *t.get_ref() > 0.0 && *t.get_ref() < 1.0 => {
            Some(*t.get_ref())
        }
        Some(t) => {
            cx.push(
                "sweep.steady_tolerance",
                format!(
                    "{} is not a relative tolerance; use a number between 0 and 1 (default 0.05)",
                    t.get_ref()
                ),
                Some(t.span()),
            );
            None
        }
    };
    let pins = build_pins(raw.pins.as_ref(), lambda, read_file, cx);
    let (e_criterion, v_threshold) = match &raw.criteria {
        None => (Some(1e-4), None),
        Some(c) => (
            c.electric_field.as_ref().map_or(Some(1e-4), |e| {
                cx.positive(
                    e,
                    "criteria.electric_field",
                    dims::FIELD,
                    "the electric-field criterion",
                )
            }),
            c.velocity.as_ref().and_then(|v| {
                cx.positive(
                    v,
                    "criteria.velocity",
                    dims::VELOCITY,
                    "the velocity criterion",
                )
            }),
        ),
    };
    let (e_criterion, field_v, v_threshold) = (e_criterion?, field?, v_threshold);
    // The absolute steady-state tolerance: a tenth of the velocity at which a criterion is met.
    let floor = (0.1 * e_criterion / field_v).min(v_threshold.map_or(f64::INFINITY, |v| 0.1 * v));
    let problem = VortexProblem {
        material: Material {
            lambda: lambda?,
            xi: xi?,
            rho_n: rho_n?,
            thickness: thickness?,
        },
        field: field_v,
        vortices: vortices?,
        temperature: temperature?,
        interaction: interaction?,
        cutoff,
        taper_start: taper,
        dt,
        pins: pins?,
        prepare: prepare?,
        sweep: Sweep {
            currents: currents?,
            down: sw.down.unwrap_or(true),
            equilibrate: equilibrate?,
            average: average?,
            steady: Steady {
                tolerance: steady_tolerance?,
                floor,
                max_extra: max_extra?,
            },
        },
        seed: seed?,
    };
    if !cx.issues.is_empty() {
        return None;
    }
    // Model-level checks and the resource estimate, without allocating the system.
    let (estimate, warnings) = match problem.validate() {
        Ok((_, est, w)) => (est, w),
        Err(e) => {
            let (key, span) = locate(raw, &e);
            cx.push(key, e.to_string(), span);
            return None;
        }
    };
    Some(VortexScenario {
        title: raw
            .title
            .clone()
            .unwrap_or_else(|| "vortex scenario".into()),
        problem,
        e_criterion,
        v_threshold,
        warnings: interaction_warning.into_iter().chain(warnings).collect(),
        estimate,
    })
}

/// The scenario key and file position of a model error (from the parameter it names).
fn locate(raw: &Raw, e: &VortexError) -> (String, Option<std::ops::Range<usize>>) {
    let m = raw.material.get_ref();
    let sw = raw.sweep.get_ref();
    let pins = raw.pins.as_ref();
    let param = match e {
        VortexError::Param { param, .. } => param.as_str(),
        VortexError::Setup(msg) if msg.starts_with("sweep") => "sweep",
        VortexError::Setup(_) => "sample",
    };
    let pin_key = |f: &dyn Fn(&RawPins) -> Option<std::ops::Range<usize>>| {
        pins.and_then(|p| f(p.get_ref()).or(Some(p.span())))
    };
    let span = match param {
        "material.lambda" => Some(m.lambda.span()),
        "material.xi" => m.xi.as_ref().or(m.bc2.as_ref()).map(|v| v.span()),
        "material.rho_n" => Some(m.rho_n.span()),
        "material.thickness" => m.thickness.as_ref().map(|v| v.span()),
        "sample.field" => Some(raw.sample.get_ref().field.span()),
        "sample.vortices" => Some(raw.sample.get_ref().vortices.span()),
        "temperature" => raw.temperature.as_ref().map(|v| v.span()),
        "prepare.start_temperature" => raw.prepare.as_ref().map(|p| {
            p.get_ref()
                .start_temperature
                .as_ref()
                .map_or(p.span(), |t| t.span())
        }),
        "sweep.currents" => Some(sw.currents.span()),
        "sweep.average" => sw.average.as_ref().map(|v| v.span()),
        "dynamics.dt" | "dynamics.dt_t0" => raw
            .dynamics
            .as_ref()
            .and_then(|d| d.dt_t0.as_ref())
            .map(|v| v.span()),
        "interaction.cutoff" => raw
            .interaction
            .as_ref()
            .and_then(|i| i.cutoff.as_ref())
            .map(|v| v.span()),
        "interaction.taper_start" => raw
            .interaction
            .as_ref()
            .and_then(|i| i.taper_start.as_ref())
            .map(|v| v.span()),
        "pins.density" => pin_key(&|p| {
            p.density
                .as_ref()
                .or(p.matching_field.as_ref())
                .map(|v| v.span())
        }),
        "pins.spacing" => pin_key(&|p| {
            p.spacing
                .as_ref()
                .or(p.matching_field.as_ref())
                .map(|v| v.span())
        }),
        "pins.strength" => pin_key(&|p| {
            p.strength
                .as_ref()
                .map(|v| v.span())
                .or(p.strength_f0.as_ref().map(|v| v.span()))
        }),
        "pins.radius" => pin_key(&|p| p.radius.as_ref().map(|v| v.span())),
        "pins.file" => pin_key(&|p| p.file.as_ref().map(|v| v.span())),
        k if k.starts_with("pins") => pins.map(|p| p.span()),
        "sweep" => Some(raw.sweep.span()),
        _ => Some(raw.sample.span()),
    };
    (param.to_string(), span)
}

/// `currents = ["0 A/m^2", "1e9 A/m^2", ...]` or `{ from, to, steps }` (linear, inclusive).
fn build_currents(v: &Spanned<Value>, cx: &mut Ctx) -> Option<Vec<f64>> {
    let key = "sweep.currents";
    let span = v.span();
    let one = |cx: &mut Ctx, x: &Value, k: &str| {
        cx.quantity_at(x, span.clone(), k, dims::CURRENT_DENSITY)
    };
    let list = match v.get_ref() {
        Value::Array(a) => {
            let mut out = vec![];
            for (k, x) in a.iter().enumerate() {
                out.push(one(cx, x, &format!("{key}[{k}]"))?);
            }
            out
        }
        Value::Table(t) => {
            let (Some(from), Some(to), Some(steps)) = (t.get("from"), t.get("to"), t.get("steps"))
            else {
                cx.push(key, "a range needs from, to and steps, e.g. currents = { from = \"0 A/m^2\", to = \"2e10 A/m^2\", steps = 40 }", Some(span));
                return None;
            };
            let (a, b) = (
                one(cx, from, "sweep.currents.from")?,
                one(cx, to, "sweep.currents.to")?,
            );
            let Some(n) = steps.as_integer().filter(|n| (2..=100_000).contains(n)) else {
                cx.push(
                    "sweep.currents.steps",
                    "steps must be an integer from 2 to 100000",
                    Some(span),
                );
                return None;
            };
            (0..n)
                .map(|k| a + (b - a) * k as f64 / (n - 1) as f64)
                .collect()
        }
        _ => {
            cx.push(
                key,
                "give a list of current densities or a range { from, to, steps }",
                Some(span),
            );
            return None;
        }
    };
    if list.is_empty()
        || list.iter().any(|j| !(j.is_finite() && *j >= 0.0))
        || list.windows(2).any(|w| w[1] <= w[0])
    {
        cx.push(key, "the current densities must be zero or positive and strictly increasing (the sweep goes up, then down if sweep.down = true)", Some(v.span()));
        return None;
    }
    Some(list)
}

fn build_pins(
    raw: Option<&Spanned<RawPins>>,
    lambda: Option<f64>,
    read_file: &dyn Fn(&str) -> Result<String, String>,
    cx: &mut Ctx,
) -> Option<PinSpec> {
    let Some(raw) = raw else {
        return Some(PinSpec::None);
    };
    let span = Some(raw.span());
    let p = raw.get_ref();
    let kind = cx.choice(
        &p.kind,
        "pins.kind",
        &["none", "random", "square", "triangular", "file"],
    )?;
    if kind == "none" {
        return Some(PinSpec::None);
    }
    let shape = match &p.shape {
        None => Some(PinShape::Gaussian),
        Some(s) => cx
            .choice(s, "pins.shape", &["gaussian", "parabolic"])
            .map(|s| {
                if s == "parabolic" {
                    PinShape::Parabolic
                } else {
                    PinShape::Gaussian
                }
            }),
    };
    let radius = match &p.radius {
        Some(r) => cx.positive(r, "pins.radius", dims::LENGTH, "the pin radius"),
        None => {
            cx.push(
                "pins.radius",
                "pins need a radius, e.g. radius = \"20 nm\"",
                span.clone(),
            );
            None
        }
    };
    // Strength: N/m, or in units of f0 with strength_f0 (converted when the material is known).
    let strength = match (&p.strength, &p.strength_f0) {
        (Some(s), None) => cx
            .quantity(s, "pins.strength", dims::FORCE_PER_LENGTH)
            .map(|x| x.abs()),
        (None, Some(f)) => {
            let f = *f.get_ref();
            if !(f.is_finite() && f >= 0.0) {
                cx.push(
                    "pins.strength_f0",
                    format!("{f} must be zero or positive (e.g. 0.2)"),
                    span.clone(),
                );
                None
            } else {
                lambda
                    .and_then(|l| crate::laws::superconductor::vortex_force_unit(l).ok())
                    .map(|f0| f * f0)
            }
        }
        _ => {
            cx.push("pins", "give exactly one of strength (force per length, e.g. \"1e-5 N/m\") or strength_f0 (in units of f0, e.g. 0.2)", span.clone());
            None
        }
    };
    // The density or spacing from a matching field B_phi = n_pins Phi0.
    let phi0 = crate::constants::FLUX_QUANTUM;
    let matching = p.matching_field.as_ref().and_then(|b| {
        cx.positive(
            b,
            "pins.matching_field",
            dims::MAGNETIC_FIELD,
            "the matching field",
        )
    });
    let well = Well {
        strength: strength?,
        radius: radius?,
        shape: shape?,
    };
    let spacing_of = |cx: &mut Ctx, triangular: bool| -> Option<f64> {
        match (&p.spacing, matching) {
            (Some(a), None) => cx.positive(a, "pins.spacing", dims::LENGTH, "the pin spacing"),
            (None, Some(b)) => Some(if triangular {
                (2.0 * phi0 / (3f64.sqrt() * b)).sqrt()
            } else {
                (phi0 / b).sqrt()
            }),
            _ => {
                cx.push("pins", "give exactly one of spacing (e.g. \"200 nm\") or matching_field (e.g. \"0.05 T\")", span.clone());
                None
            }
        }
    };
    match kind {
        "random" => {
            let density = match (&p.density, matching) {
                (Some(d), None) => cx.positive(d, "pins.density", AREA_DENSITY, "the pin density"),
                (None, Some(b)) => Some(b / phi0),
                _ => {
                    cx.push("pins", "give exactly one of density (pins per area, e.g. \"20 um^-2\") or matching_field (e.g. \"0.05 T\")", span.clone());
                    None
                }
            };
            Some(PinSpec::Random {
                density: density?,
                well,
            })
        }
        "square" => Some(PinSpec::Square {
            spacing: spacing_of(cx, false)?,
            well,
        }),
        "triangular" => Some(PinSpec::Triangular {
            spacing: spacing_of(cx, true)?,
            well,
        }),
        _ => {
            let Some(file) = &p.file else {
                cx.push("pins.file", "kind = \"file\" needs file = \"pins.csv\" (columns x and y with units in the header, e.g. x_nm,y_nm)", span);
                return None;
            };
            let text = match read_file(file.get_ref()) {
                Ok(t) => t,
                Err(e) => {
                    cx.push(
                        "pins.file",
                        format!("cannot read \"{}\": {e}", file.get_ref()),
                        Some(file.span()),
                    );
                    return None;
                }
            };
            match parse_pins_csv(&text) {
                Ok(positions) => Some(PinSpec::Positions { positions, well }),
                Err(e) => {
                    cx.push(
                        "pins.file",
                        format!("{}: {e}", file.get_ref()),
                        Some(file.span()),
                    );
                    None
                }
            }
        }
    }
}

/// Pin positions from CSV text with a header naming the columns and their unit, e.g.
/// `x_nm,y_nm` (also `x_um`, `x_m`); extra columns are ignored, `#` lines are comments.
pub fn parse_pins_csv(text: &str) -> Result<Vec<[f64; 2]>, String> {
    let mut lines = text
        .lines()
        .enumerate()
        .filter(|(_, l)| !l.trim().is_empty() && !l.trim_start().starts_with('#'));
    let Some((_, header)) = lines.next() else {
        return Err("the file is empty; expected a header such as x_nm,y_nm".into());
    };
    let cols: Vec<String> = header.split(',').map(|c| c.trim().to_string()).collect();
    let find = |axis: &str| -> Result<(usize, f64), String> {
        for (k, c) in cols.iter().enumerate() {
            if let Some(unit) = c.strip_prefix(&format!("{axis}_")) {
                let scale = crate::units::parse_as(&format!("1 {unit}"), dims::LENGTH)
                    .map_err(|e| format!("column {c}: {e}"))?;
                return Ok((k, scale));
            }
        }
        Err(format!(
            "no column {axis}_<unit> in the header \"{header}\"; write e.g. x_nm,y_nm"
        ))
    };
    let (ix, sx) = find("x")?;
    let (iy, sy) = find("y")?;
    let mut out = vec![];
    for (n, line) in lines {
        let f: Vec<&str> = line.split(',').map(str::trim).collect();
        let get = |k: usize| -> Result<f64, String> {
            f.get(k)
                .and_then(|v| v.parse::<f64>().ok())
                .filter(|v| v.is_finite())
                .ok_or_else(|| {
                    format!(
                        "line {}: \"{line}\" does not have a number in column {}",
                        n + 1,
                        k + 1
                    )
                })
        };
        out.push([get(ix)? * sx, get(iy)? * sy]);
    }
    if out.is_empty() {
        return Err("no pin positions after the header".into());
    }
    Ok(out)
}

fn fig_files(stem: &str, fig: &Figure) -> Result<Vec<OutputFile>, RunError> {
    Ok(vec![
        OutputFile {
            name: format!("{stem}.png"),
            bytes: fig.to_png()?,
        },
        OutputFile::text(&format!("{stem}.svg"), fig.to_svg()?),
    ])
}

/// Run a vortex scenario and render `iv.csv`, `iv.png/.svg`, `pins.csv`, the snapshots
/// (`vortices_<stage>.csv`, `snapshot_<stage>.png`) and `summary.json`.
pub fn run_vortex(s: &VortexScenario, progress: &mut dyn Progress) -> Result<RunReport, RunError> {
    let start = Instant::now();
    let r = s.problem.run(progress)?;
    let wall = start.elapsed().as_secs_f64();
    let analysis = analyse(s, &r);
    let mut files = vec![];
    let mut csv = String::from(
        "j_A_m2,branch,e_V_m,rho_Ohm_m,v_parallel_m_s,v_perp_m_s,rho_over_rho_ff,defect_fraction,v_first_half_m_s,v_second_half_m_s,extra_steps,steady\n",
    );
    let rho_ff = s.problem.material.rho_n * r.field / r.units.bc2;
    for p in &r.points {
        csv += &format!(
            "{:e},{},{:e},{:e},{:e},{:e},{:e},{},{:e},{:e},{},{}\n",
            p.j,
            if p.up { "up" } else { "down" },
            p.e,
            p.rho,
            p.v_parallel,
            p.v_perp,
            p.rho / rho_ff,
            p.defects.map_or(String::from("nan"), |d| format!("{d:.6}")),
            p.halves.0,
            p.halves.1,
            p.extra_steps,
            p.steady
        );
    }
    files.push(OutputFile::text("iv.csv", csv));
    let extras = IvExtras {
        rho_bs: rho_ff,
        fit: analysis.fit,
        jc_e: analysis.jc_e,
        e_criterion: s.e_criterion,
        pinned: !r.pins.is_empty(),
    };
    files.extend(fig_files("iv", &iv_figure(&s.title, &r.points, &extras))?);
    let mut pins_csv = String::from("x_nm,y_nm\n");
    for p in &r.pins {
        pins_csv += &format!("{:.6},{:.6}\n", p[0] * 1e9, p[1] * 1e9);
    }
    files.push(OutputFile::text("pins.csv", pins_csv));
    for (stage, pos) in &r.snapshots {
        let mut c = String::from("x_nm,y_nm\n");
        for p in pos {
            c += &format!("{:.6},{:.6}\n", p[0] * 1e9, p[1] * 1e9);
        }
        files.push(OutputFile::text(&format!("vortices_{stage}.csv"), c));
        files.extend(fig_files(
            &format!("snapshot_{stage}"),
            &snapshot_figure(
                &s.title,
                r.size,
                &r.pins,
                pin_radius(&s.problem.pins),
                stage,
                pos,
            ),
        )?);
    }
    let summary = json!({
        "title": s.title,
        "model": "vortex",
        "vortices": r.vortices,
        "field_T": r.field,
        "sample_size_m": [r.size.0, r.size.1],
        "pins": r.pins.len(),
        "temperature_K": s.problem.temperature,
        "seed": s.problem.seed,
        "units": {
            "lambda_m": r.units.length,
            "f0_N_per_m": r.units.force,
            "eta_N_s_per_m2": r.units.eta,
            "t0_s": r.units.time,
            "v0_m_per_s": r.units.velocity,
            "j0_A_per_m2": r.units.current_density,
            "bc2_T": r.units.bc2,
            "theta": r.units.theta(s.problem.temperature),
        },
        "criteria": {"electric_field_V_per_m": s.e_criterion, "velocity_m_per_s": analysis.v_threshold},
        "jc_electric_field_A_per_m2": analysis.jc_e,
        "jc_velocity_A_per_m2": analysis.jc_v,
        "flux_flow_resistivity_fit_Ohm_m": analysis.fit.map(|f| f.rho),
        "flux_flow_resistivity_bardeen_stephen_Ohm_m": rho_ff,
        "flux_flow_ratio": analysis.fit.map(|f| f.rho / rho_ff),
        "defect_fraction_prepared": crate::models::vortex::defect_fraction(
            &r.snapshots[0].1.iter().map(|p| [p[0] / r.units.length, p[1] / r.units.length]).collect::<Vec<_>>(),
            r.size.0 / r.units.length,
            r.size.1 / r.units.length,
        ),
        "defect_fraction_final": r.points.last().and_then(|p| p.defects),
        "time_steps": r.steps,
        "dt_s": s.problem.dt * r.units.time,
        "max_step_displacement_m": r.max_step,
        "pair_force_truncation_error_N_per_m": r.truncation_error,
        "interaction": {
            "kind": r.interaction.kind,
            "requested": r.interaction.requested,
            "reason": r.interaction.reason,
            "pearl_length_m": r.interaction.pearl_length,
            "ewald": r.interaction.ewald.as_ref().map(|e| json!({
                "alpha_per_lambda": e.alpha,
                "k_max_per_lambda": e.k_max,
                "k_vectors": e.k_vectors,
                "real_space_rms_error_N_per_m": e.real_space_error,
                "reciprocal_rms_error_N_per_m": e.reciprocal_error,
            })),
        },
        "wall_time_s": wall,
        "steady_state": {
            "tolerance": s.problem.sweep.steady.tolerance,
            "floor_m_per_s": s.problem.sweep.steady.floor,
            "max_extra_steps": s.problem.sweep.steady.max_extra,
            "extra_steps": r.points.iter().map(|p| p.extra_steps).sum::<usize>(),
            "unsteady_points": r.points.iter().filter(|p| !p.steady).count(),
        },
        "estimate": {
            "memory_bytes": s.estimate.memory_bytes,
            "pair_forces_per_step": s.estimate.pair_forces,
            "pin_evaluations_per_step": s.estimate.pin_evaluations,
            "steps": s.estimate.steps,
            "max_steps": s.estimate.max_steps,
            "seconds_one_core": s.estimate.seconds,
        },
        "flux_flow_fit": analysis.fit_note,
        "warnings": s.warnings.iter().chain(&r.warnings).chain(&analysis.warnings).collect::<Vec<_>>(),
    });
    files.push(OutputFile::text(
        "summary.json",
        serde_json::to_string_pretty(&summary).expect("json") + "\n",
    ));
    Ok(RunReport { files, summary })
}

struct Analysis {
    v_threshold: f64,
    /// `J_c` by the electric-field criterion; `None` without pins (no J_c: free flux flow
    /// at any current) or when the criterion is never reached.
    jc_e: Option<f64>,
    jc_v: Option<f64>,
    /// The flux-flow branch `E = rho_f J - b/J` (see [`FluxFlowFit`]).
    fit: Option<FluxFlowFit>,
    /// What the fit used and how it compares with Bardeen-Stephen (summary `flux_flow_fit`).
    fit_note: serde_json::Value,
    /// Problems with the result (summary `warnings`, printed by the CLI).
    warnings: Vec<String>,
}

fn analyse(s: &VortexScenario, r: &VortexResult) -> Analysis {
    let eta = r.units.eta;
    let phi0 = crate::constants::FLUX_QUANTUM;
    let pinned = !r.pins.is_empty()
        && match &s.problem.pins {
            PinSpec::None => false,
            PinSpec::Random { well, .. }
            | PinSpec::Square { well, .. }
            | PinSpec::Triangular { well, .. }
            | PinSpec::Positions { well, .. } => well.strength > 0.0,
        };
    let mut warnings = vec![];
    let j_max = r.points.iter().map(|p| p.j).fold(0.0, f64::max);
    let v_threshold = s.v_threshold.unwrap_or(0.01 * j_max * phi0 / eta);
    let (jc_e, jc_v) = if pinned {
        (
            critical_current(&r.points, s.e_criterion, |p| p.e),
            critical_current(&r.points, v_threshold, |p| p.v_parallel),
        )
    } else {
        (None, None)
    };
    let first = r
        .points
        .iter()
        .filter(|p| p.up && p.j > 0.0)
        .map(|p| p.j)
        .next();
    if pinned {
        for (name, jc) in [("electric-field", jc_e), ("velocity", jc_v)] {
            if jc.is_some() && jc == first {
                warnings.push(format!(
                    "the {name} criterion is already exceeded at the first nonzero current: J_c is at or below {:.4e} A/m^2; start the sweep lower",
                    first.unwrap_or(0.0)
                ));
            }
        }
        if jc_e.is_none() {
            warnings.push("E never reached the electric-field criterion: J_c lies above the largest current; raise sweep.currents".to_string());
        }
        // At zero current a pinned state must be at rest: a mean E above the criterion there
        // means the preparation has not relaxed and every J_c below is noise.
        // Thermal noise of a window-mean E of N free vortices: B v0 sqrt(2 theta / (N t)).
        let t_avg = s.problem.sweep.average as f64 * s.problem.dt;
        let theta = r.units.theta(s.problem.temperature);
        let noise_e =
            r.field * r.units.velocity * (2.0 * theta / (r.vortices as f64 * t_avg)).sqrt();
        if let Some(p0) = r.points.iter().find(|p| p.up && p.j == 0.0) {
            if p0.e.abs() >= s.e_criterion && p0.e.abs() <= 3.0 * noise_e {
                warnings.push(format!(
                    "at J = 0 the mean E ({:.3e} V/m) is within the thermal noise of the averaging window (3 sigma = {:.3e} V/m), which exceeds the criterion: J_c cannot be resolved by it; raise sweep.average (the noise falls as 1/sqrt(average)) or the criterion",
                    p0.e,
                    3.0 * noise_e
                ));
            } else if p0.e.abs() >= s.e_criterion {
                warnings.push(format!(
                    "at J = 0 after the preparation the mean E is {:.3e} V/m, {:.1} times the criterion: the vortices are still relaxing and J_c is not meaningful; raise sweep.equilibrate or sweep.max_equilibrate",
                    p0.e,
                    p0.e.abs() / s.e_criterion
                ));
            }
        }
    }
    if r.max_step > 0.1 * r.units.length {
        warnings.push(format!(
            "a vortex moved {:.3} lambda in one step; reduce dynamics.dt_t0 for accuracy",
            r.max_step / r.units.length
        ));
    }
    // The flux-flow branch: well above J_c (twice the larger criterion value), where the
    // pinning term b/J is a small correction.
    let rho_bs = s.problem.material.rho_n * r.field / r.units.bc2;
    let j_fit = if pinned {
        2.0 * jc_e.unwrap_or(0.0).max(jc_v.unwrap_or(0.0))
    } else {
        0.0
    };
    let fit = flux_flow_fit(&r.points, j_fit);
    let fit_note = match &fit {
        None => serde_json::Value::Null,
        Some(f) => {
            let ratio = f.rho / rho_bs;
            let why = if !pinned {
                "no pins: every vortex moves with J Phi0 / eta, so E = rho_f J exactly".to_string()
            } else {
                format!(
                    "E = rho_f J - b/J fitted for J >= {:.3e} A/m^2 ({} points): the pins still slow the moving vortices by a mean force that falls as 1/v, so the plain slope dE/dJ of the same points ({:.3} x Bardeen-Stephen) exceeds rho_f; rho_f is its large-drive limit",
                    f.j_min,
                    f.count,
                    f.slope / rho_bs
                )
            };
            if pinned && f.j_min < j_fit {
                warnings.push(format!(
                    "the flux-flow fit has fewer than three points above twice J_c ({:.3e} A/m^2) and used the three highest currents; extend the sweep for a reliable rho_f",
                    j_fit
                ));
            }
            if (ratio - 1.0).abs() > 0.1 {
                warnings.push(format!(
                    "the fitted flux-flow resistivity is {ratio:.3} times Bardeen-Stephen rho_n B/B_c2; extend the sweep to higher currents (at least a few J_c)"
                ));
            }
            json!({
                "rho_f_Ohm_m": f.rho,
                "b_V_A_per_m3": f.b,
                "ratio_to_bardeen_stephen": ratio,
                "slope_Ohm_m": f.slope,
                "slope_ratio_to_bardeen_stephen": f.slope / rho_bs,
                "j_min_A_per_m2": f.j_min,
                "points": f.count,
                "note": why,
            })
        }
    };
    Analysis {
        v_threshold,
        jc_e,
        jc_v,
        fit,
        fit_note,
        warnings,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn no_files(_: &str) -> Result<String, String> {
        Err("no files".into())
    }

    const BASE: &str = include_str!("../../../../examples/vortex_flux_flow.toml");

    #[test]
    fn pins_with_units_and_matching_fields() {
        let text = BASE.replace(
            "[sweep]",
            "[pins]\nkind = \"random\"\ndensity = \"20 um^-2\"\nstrength = \"1e-5 N/m\"\nradius = \"15 nm\"\n\n[sweep]",
        );
        let s = parse(&text, &no_files).unwrap();
        match s.problem.pins {
            PinSpec::Random { density, well } => {
                assert!((density - 20e12).abs() < 1e-3);
                assert_eq!(well.strength, 1e-5);
                assert_eq!(well.shape, PinShape::Gaussian);
            }
            ref other => panic!("{other:?}"),
        }
        let text = BASE.replace(
            "[sweep]",
            "[pins]\nkind = \"triangular\"\nmatching_field = \"0.1 T\"\nstrength_f0 = 0.5\nradius = \"15 nm\"\nshape = \"parabolic\"\n\n[sweep]",
        );
        let s = parse(&text, &no_files).unwrap();
        let f0 = crate::laws::superconductor::vortex_force_unit(100e-9).unwrap();
        match s.problem.pins {
            PinSpec::Triangular { spacing, well } => {
                // B_phi = 2 Phi0 / (sqrt 3 a^2) for a triangular array.
                let b = 2.0 * crate::constants::FLUX_QUANTUM / (3f64.sqrt() * spacing * spacing);
                assert!((b - 0.1).abs() < 1e-12);
                assert!((well.strength / f0 - 0.5).abs() < 1e-12);
            }
            ref other => panic!("{other:?}"),
        }
    }

    #[test]
    fn errors_name_the_key_and_position() {
        let text = BASE.replace("rho_n = \"1e-7 Ohm m\"", "rho_n = \"1e-7 Ohm\"");
        let e = parse(&text, &no_files).unwrap_err();
        assert_eq!(e.issues[0].key, "material.rho_n");
        assert!(
            e.issues[0].message.contains("resistivity"),
            "{}",
            e.issues[0].message
        );
        let span = e.issues[0].span.clone().unwrap();
        assert_eq!(&text[span], "\"1e-7 Ohm\"");
        let text = BASE.replace(
            "[sweep]",
            "[pins]\nkind = \"random\"\nradius = \"15 nm\"\nstrength_f0 = 0.1\n\n[sweep]",
        );
        let e = parse(&text, &no_files).unwrap_err();
        assert!(e.to_string().contains("density"), "{e}");
        let text = BASE.replace("vortices = 200", "vortices = 200\ncolour = \"red\"");
        let e = parse(&text, &no_files).unwrap_err();
        assert!(e.to_string().contains("unknown field"), "{e}");
    }

    const RANDOM: &str = include_str!("../../../../examples/vortex_random_pins.toml");
    const MATCHING: &str = include_str!("../../../../examples/vortex_matching.toml");

    /// The random-pins example with the bulk London interaction: the resource tests below
    /// probe the London estimates (a thin film would select Pearl, whose Ewald sum has its
    /// own limits, tested in validation/tests/pearl.rs).
    fn london_random() -> String {
        format!("{RANDOM}\n[interaction]\nkind = \"london\"\n")
    }

    fn refused(text: &str, key: &str, needle: &str) {
        let e = parse(text, &no_files).unwrap_err();
        assert_eq!(e.issues[0].key, key, "{e}");
        assert!(e.issues[0].message.contains(needle), "{e}");
        assert!(e.issues[0].span.is_some(), "{e}: no position");
    }

    /// Regression (issue #8): `lambda = "1e-30 m"` panicked (index out of bounds in the
    /// cell grid of vortex/system.rs), also under `fluxion check`.
    #[test]
    fn lambda_1e_30_is_refused_not_panic() {
        let text = RANDOM
            .replace("lambda = \"200 nm\"", "lambda = \"1e-30 m\"")
            .replace("xi = \"4 nm\"", "xi = \"1e-32 m\"");
        refused(&text, "material.lambda", "physical range");
    }

    /// Regression (issue #8): random pins at 1e9 um^-2 aborted while allocating 8.6e9 pins;
    /// the count and the memory are estimated first and the input is refused with both.
    #[test]
    fn random_pins_at_1e9_per_um2_are_refused_before_allocating() {
        let text = RANDOM.replace("matching_field = \"0.1 T\"", "density = \"1e9 um^-2\"");
        refused(&text, "pins.density", "GiB of memory");
        refused(&text, "pins.density", "8.602e9 pins");
    }

    /// Regression (issue #8): square pins at a spacing of 0.001 nm aborted while allocating.
    #[test]
    fn square_pins_at_0_001_nm_are_refused_before_allocating() {
        let text = MATCHING
            .replace("kind = \"triangular\"", "kind = \"square\"")
            .replace("matching_field = \"0.05 T\"", "spacing = \"0.001 nm\"");
        refused(&text, "pins.spacing", "GiB of memory");
    }

    /// Extreme and non-finite values of every numeric key are refused with the key, or
    /// accepted, but never panic or abort (issue #8: no input may panic).
    #[test]
    fn extreme_values_of_every_key_are_refused_not_panic() {
        let cases: &[(&str, &str, Option<&str>)] = &[
            (
                "temperature = \"0 K\"",
                "temperature = \"1e308 K\"",
                Some("prepare.start_temperature"),
            ),
            (
                "temperature = \"0 K\"",
                "temperature = nan",
                Some("temperature"),
            ),
            (
                "start_temperature = \"150 K\"",
                "start_temperature = \"1e300 K\"",
                Some("prepare.start_temperature"),
            ),
            (
                "\"3e10 A/m^2\"]",
                "\"1e308 A/m^2\"]",
                Some("sweep.currents"),
            ),
            ("\"3e10 A/m^2\"]", "inf]", Some("sweep.currents")),
            ("\"3e10 A/m^2\"]", "nan]", Some("sweep.currents")),
            (
                "strength_f0 = 0.3",
                "strength_f0 = 1e300",
                Some("pins.strength"),
            ),
            (
                "strength_f0 = 0.3",
                "strength_f0 = inf",
                Some("pins.strength_f0"),
            ),
            (
                "radius = \"30 nm\"",
                "radius = \"1e-30 m\"",
                Some("pins.strength"),
            ),
            (
                "radius = \"30 nm\"",
                "radius = \"1 m\"",
                Some("pins.radius"),
            ),
            (
                "matching_field = \"0.1 T\"",
                "matching_field = \"1e308 T\"",
                Some("pins.density"),
            ),
            (
                "field = \"0.05 T\"",
                "field = \"1e-30 T\"",
                Some("pins.density"),
            ),
            (
                "field = \"0.05 T\"",
                "field = \"1e308 T\"",
                Some("sample.field"),
            ),
            ("xi = \"4 nm\"", "xi = \"1e-40 m\"", Some("material.xi")),
            (
                "rho_n = \"1e-6 Ohm m\"",
                "rho_n = \"1e300 Ohm m\"",
                Some("material.rho_n"),
            ),
            (
                "thickness = \"2 nm\"",
                "thickness = \"1e-300 m\"",
                Some("material.thickness"),
            ),
            ("dt_t0 = 0.02", "dt_t0 = nan", Some("dynamics.dt_t0")),
            ("dt_t0 = 0.02", "dt_t0 = 1e-300", None),
            ("vortices = 200", "vortices = 2000000", None),
            ("steps = 4000", "steps = 100000000", None),
            ("equilibrate = 500", "equilibrate = 100000000", None),
            ("seed = 7", "seed = -1", Some("seed")),
            ("xi = \"4 nm\"", "bc2 = \"1e308 T\"", Some("material.bc2")),
            ("xi = \"4 nm\"", "bc2 = \"1e-30 T\"", Some("material.bc2")),
        ];
        for (from, to, key) in cases {
            assert!(RANDOM.contains(from), "{from}");
            let text = london_random().replace(from, to);
            match (parse(&text, &no_files), key) {
                (Err(e), Some(k)) => {
                    assert_eq!(e.issues[0].key, *k, "{to}: {e}");
                }
                (Ok(s), None) => {
                    assert!(s.estimate.memory_bytes <= crate::models::vortex::MEMORY_LIMIT_BYTES);
                }
                (Err(e), None) => panic!("{to}: unexpectedly refused: {e}"),
                (Ok(_), Some(k)) => panic!("{to}: accepted, expected a {k} error"),
            }
        }
    }

    /// An estimated run time far beyond a day (here years) is refused with the estimate.
    #[test]
    fn work_beyond_the_limit_is_refused_with_the_estimate() {
        let text = london_random()
            .replace("vortices = 200", "vortices = 2000000")
            .replace("equilibrate = 500", "equilibrate = 100000000");
        refused(&text, "sweep", "days on one core");
    }

    /// The resource estimate is what `fluxion check` prints; a large run is accepted with a
    /// warning stating the estimate, and the estimate agrees with the built system.
    #[test]
    fn estimate_matches_the_built_system_and_large_runs_warn() {
        let s = parse(&london_random(), &no_files).unwrap();
        let (_, sys, _) = s.problem.build().unwrap();
        assert_eq!(s.estimate.vortices, sys.len());
        assert_eq!(s.estimate.pins, sys.pins().unwrap().positions().len());
        // Half neighbour lists: the estimate of pair forces per step is within 10%.
        let pairs = sys.pair_evaluations() as f64;
        assert!(
            (s.estimate.pair_forces / pairs - 1.0).abs() < 0.1,
            "{pairs} vs {:?}",
            s.estimate
        );
        // Only the note that London was chosen for a thin film by hand.
        assert!(
            s.warnings.iter().all(|w| w.starts_with("interaction.kind")),
            "{:?}",
            s.warnings
        );
        let big = london_random().replace("vortices = 200", "vortices = 1000000");
        let s = parse(&big, &no_files).unwrap();
        assert!(
            s.warnings.iter().any(|w| w.contains("large run")),
            "{:?}",
            s.warnings
        );
    }

    #[test]
    fn pins_csv_reader() {
        let p = parse_pins_csv("# comment\nid,x_um,y_um\n1,0.5,1.5\n2,2,3\n").unwrap();
        assert_eq!(p.len(), 2);
        assert!((p[0][0] - 0.5e-6).abs() < 1e-18 && (p[1][1] - 3e-6).abs() < 1e-18);
        assert!(parse_pins_csv("x,y\n1,2\n")
            .unwrap_err()
            .contains("x_nm,y_nm"));
        assert!(parse_pins_csv("x_nm,y_nm\n1,abc\n")
            .unwrap_err()
            .contains("line 2"));
    }
}
