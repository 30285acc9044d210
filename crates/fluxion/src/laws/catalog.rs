//! A catalog of the laws for `fluxion calc`: names, parameters with units and defaults,
//! equations, references, and evaluation from unit strings.
//!
//! ```
//! use fluxion::laws::catalog;
//! let law = catalog::find("nernst").unwrap();
//! let args = [("z", "1"), ("c_out", "5 mM"), ("c_in", "140mM"), ("T", "37degC")];
//! let eval = catalog::evaluate(law, &args).unwrap();
//! assert_eq!(eval.outputs[0].name, "E");
//! assert!((eval.outputs[0].value * 1e3 + 89.06).abs() < 0.01);
//! ```

use super::{coupled, diffusion, electrochem as ec, electrode, electrons, reaction};
use super::{superconductor as sc, LawError};
use crate::units::{dims::*, parse_quantity, Dim, UnitError};

/// Whether a parameter takes one value or a comma-separated list (one per ion).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    /// One value.
    Scalar,
    /// A list, e.g. `z=1,1,-1` or `c_in=400,50,52mM` (a unit after the last value applies to
    /// values written without one).
    List,
}

/// A parameter of a law.
#[derive(Clone, Copy, Debug)]
pub struct Param {
    /// Name used on the command line (`name=value`).
    pub name: &'static str,
    /// Physical dimension; values are converted to SI.
    pub dim: Dim,
    /// One value or a list.
    pub kind: Kind,
    /// Default value (a unit string) if the parameter may be omitted.
    pub default: Option<&'static str>,
    /// May be omitted without a default (the law then skips the outputs that need it).
    pub optional: bool,
    /// What the parameter means.
    pub help: &'static str,
}

/// An output quantity of an evaluation, in SI units.
#[derive(Clone, Debug, PartialEq)]
pub struct Output {
    /// Name (`E`, `J`, `t[2]`, ...).
    pub name: String,
    /// SI value.
    pub value: f64,
    /// Dimension.
    pub dim: Dim,
    /// What it is.
    pub help: &'static str,
}

/// Parsed arguments of one evaluation, in SI.
#[derive(Clone, Debug, Default)]
pub struct Args {
    values: Vec<(&'static str, Vec<f64>)>,
}

impl Args {
    fn get(&self, name: &str) -> Option<&[f64]> {
        self.values
            .iter()
            .find(|(n, _)| *n == name)
            .map(|(_, v)| v.as_slice())
    }
    /// A scalar parameter (present because it is required or has a default).
    fn s(&self, name: &str) -> f64 {
        self.get(name).map_or(f64::NAN, |v| v[0])
    }
    /// An optional scalar parameter.
    fn opt(&self, name: &str) -> Option<f64> {
        self.get(name).map(|v| v[0])
    }
    /// A list parameter.
    fn l(&self, name: &str) -> &[f64] {
        self.get(name).unwrap_or(&[])
    }
}

/// One law of the catalog.
#[derive(Debug)]
pub struct Law {
    /// Command-line name, e.g. `ghk-potential`.
    pub name: &'static str,
    /// Group (electrochemistry, diffusion, coupled flows, ...).
    pub category: &'static str,
    /// One-line description.
    pub summary: &'static str,
    /// The equation in plain text.
    pub equation: &'static str,
    /// Assumptions, validity, conventions.
    pub notes: &'static str,
    /// Reference.
    pub reference: &'static str,
    /// Parameters.
    pub params: &'static [Param],
    /// Outputs: name, dimension, description (lists are expanded per ion).
    pub outputs: &'static [(&'static str, Dim, &'static str)],
    eval: fn(&Args) -> Result<Vec<f64>, LawError>,
}

/// A law evaluated: the inputs as understood (SI) and the outputs.
#[derive(Clone, Debug)]
pub struct Evaluation {
    /// The law's name.
    pub law: &'static str,
    /// Every parameter with its SI value(s) (defaults included).
    pub inputs: Vec<(&'static str, Vec<f64>, Dim)>,
    /// Results (every value finite: [`evaluate`] refuses a non-finite result).
    pub outputs: Vec<Output>,
    /// Outputs that the law does not define for these inputs, e.g. the Nernst potential
    /// `E[2]` of an ion that is absent on one side in `ghk-potential`.
    pub undefined: Vec<String>,
}

/// Bits of the NaN that a law's `eval` returns for an output whose optional input was not
/// given (the output is left out). Any other NaN or infinity is an error of `evaluate`.
const NOT_GIVEN_BITS: u64 = 0x7ff8_0000_6e6f_6e65;
/// Bits of the NaN for an output that is undefined for the given inputs (listed in
/// [`Evaluation::undefined`]).
const UNDEFINED_BITS: u64 = 0x7ff8_0000_756e_6466;

/// The value for "optional input not given": the output is left out.
fn not_given() -> f64 {
    f64::from_bits(NOT_GIVEN_BITS)
}

/// The value for "undefined for these inputs": the output is listed as undefined.
fn undefined() -> f64 {
    f64::from_bits(UNDEFINED_BITS)
}

/// Errors of `fluxion calc`: each names the law or parameter and says what to write.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum CalcError {
    /// No law of that name.
    #[error("unknown law `{name}`{}; `fluxion calc --list` shows all laws", suggest(.suggestion))]
    UnknownLaw {
        /// What was asked for.
        name: String,
        /// The closest law name.
        suggestion: Option<&'static str>,
    },
    /// An argument is not `name=value`.
    #[error("argument `{arg}` is not of the form name=value, e.g. c_in=140mM")]
    Syntax {
        /// The argument.
        arg: String,
    },
    /// The law has no such parameter.
    #[error("`{law}` has no parameter `{name}`{}; its parameters are {list} (see `fluxion calc {law} --help`)", suggest(.suggestion))]
    UnknownParam {
        /// The law.
        law: &'static str,
        /// The unknown name.
        name: String,
        /// The closest parameter name.
        suggestion: Option<&'static str>,
        /// All parameter names.
        list: String,
    },
    /// A parameter was given twice.
    #[error("parameter `{0}` is given twice")]
    Duplicate(String),
    /// A required parameter is missing.
    #[error("`{law}` needs parameter `{param}` ({help}), e.g. {param}={example}")]
    Missing {
        /// The law.
        law: &'static str,
        /// The parameter.
        param: &'static str,
        /// Its description.
        help: &'static str,
        /// An example value with a unit.
        example: String,
    },
    /// A value could not be read in the expected unit.
    #[error("parameter `{param}`: {source}")]
    Value {
        /// The parameter.
        param: &'static str,
        /// The unit error.
        source: UnitError,
    },
    /// A scalar parameter got a list.
    #[error("parameter `{0}` takes one value, not a list")]
    NotAList(&'static str),
    /// A parameter is outside its physical range.
    #[error("parameter `{param}` = {}{unit} is not allowed: {requirement}", short(*.value))]
    Range {
        /// The parameter.
        param: &'static str,
        /// Its value in SI units.
        value: f64,
        /// The SI unit, with a leading space (empty for dimensionless parameters).
        unit: String,
        /// What it must satisfy.
        requirement: &'static str,
    },
    /// The law rejected the values.
    #[error("{0}")]
    Law(#[from] LawError),
    /// A result is infinite or NaN: the inputs are outside the range where the law can be
    /// evaluated (an overflow, or an argument outside the law's validity).
    #[error("`{law}`: the result `{output}` would be {value} for {inputs}; these inputs are outside the range where the law can be evaluated in double precision (an exponent or ratio overflows). Use values in the physical range of the law (see `fluxion calc {law} --help`)")]
    NotFinite {
        /// The law.
        law: &'static str,
        /// The output that is not finite.
        output: String,
        /// `inf`, `-inf` or `NaN`.
        value: String,
        /// The inputs, as `name = value unit, ...` in SI.
        inputs: String,
    },
}

/// A value with at most 10 significant digits (no binary noise such as 26.850000000000023),
/// in exponent notation when very large or small (`1e300`, not 301 digits).
fn short(v: f64) -> String {
    let s = format!("{v:.10e}");
    match s.parse::<f64>() {
        Ok(r) if r != 0.0 && !(1e-5..1e9).contains(&r.abs()) => format!("{r:e}"),
        Ok(r) => format!("{r}"),
        Err(_) => s,
    }
}

fn suggest(s: &Option<&'static str>) -> String {
    s.map_or(String::new(), |s| format!(" (did you mean `{s}`?)"))
}

/// Levenshtein distance, for suggestions.
fn distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut row: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut prev = row[0];
        row[0] = i + 1;
        for j in 0..b.len() {
            let cur = row[j + 1];
            let sub = prev + usize::from(!ca.eq_ignore_ascii_case(&b[j]));
            row[j + 1] = sub.min(row[j] + 1).min(cur + 1);
            prev = cur;
        }
    }
    row[b.len()]
}

fn closest<'a>(name: &str, options: impl Iterator<Item = &'a str>) -> Option<&'a str> {
    options
        .map(|o| (distance(name, o), o))
        .filter(|&(d, o)| d <= 2.max(o.len() / 3))
        .min_by_key(|&(d, _)| d)
        .map(|(_, o)| o)
}

/// The law called `name`.
pub fn find(name: &str) -> Result<&'static Law, CalcError> {
    LAWS.iter()
        .find(|l| l.name == name)
        .ok_or_else(|| CalcError::UnknownLaw {
            name: name.to_string(),
            suggestion: closest(name, LAWS.iter().map(|l| l.name)),
        })
}

/// Every law, grouped by category.
pub fn laws() -> &'static [Law] {
    LAWS
}

/// Parse one value (or list) of `param` from its text: numbers with optional units; a bare
/// number is taken in SI units; in a list, a unit written after the last value applies to
/// the values written without one (`400,50,52 mM`).
pub fn parse_value(param: &Param, text: &str) -> Result<Vec<f64>, CalcError> {
    let err = |source| CalcError::Value {
        param: param.name,
        source,
    };
    let items: Vec<&str> = text.split(',').map(str::trim).collect();
    if param.kind == Kind::Scalar && items.len() > 1 {
        return Err(CalcError::NotAList(param.name));
    }
    // The unit suffix of the last item, for bare numbers before it.
    let last = items.last().copied().unwrap_or("");
    let num_end = last
        .find(|c: char| !"0123456789+-.eE".contains(c))
        .unwrap_or(last.len());
    let suffix = last[num_end..].trim();
    let mut out = Vec::with_capacity(items.len());
    for item in &items {
        let q = parse_quantity(item).map_err(err)?;
        let q = if q.dim.is_dimensionless() && !param.dim.is_dimensionless() && !suffix.is_empty() {
            parse_quantity(&format!("{item} {suffix}")).map_err(err)?
        } else {
            q
        };
        let value = if q.dim == param.dim {
            q.value
        } else if q.dim.is_dimensionless() {
            // A bare number is SI.
            q.value
        } else {
            return Err(err(UnitError::Mismatch {
                text: item.to_string(),
                got: q.dim,
                expected: param.dim,
            }));
        };
        if !value.is_finite() {
            return Err(CalcError::Range {
                param: param.name,
                value,
                unit: String::new(),
                requirement: "it must be a finite number (a value such as 1e999 overflows)",
            });
        }
        out.push(value);
    }
    Ok(out)
}

/// Evaluate `law` with `name=value` pairs (values are unit strings).
pub fn evaluate(law: &'static Law, args: &[(&str, &str)]) -> Result<Evaluation, CalcError> {
    let mut given: Vec<(&'static Param, Vec<f64>)> = vec![];
    for (name, text) in args {
        let p =
            law.params
                .iter()
                .find(|p| p.name == *name)
                .ok_or_else(|| CalcError::UnknownParam {
                    law: law.name,
                    name: name.to_string(),
                    suggestion: closest(name, law.params.iter().map(|p| p.name)),
                    list: law
                        .params
                        .iter()
                        .map(|p| p.name)
                        .collect::<Vec<_>>()
                        .join(", "),
                })?;
        if given.iter().any(|(q, _)| q.name == p.name) {
            return Err(CalcError::Duplicate(p.name.to_string()));
        }
        given.push((p, parse_value(p, text)?));
    }
    let mut parsed = Args::default();
    let mut inputs = vec![];
    for p in law.params {
        let v = match given.iter().find(|(q, _)| q.name == p.name) {
            Some((_, v)) => v.clone(),
            None => match p.default {
                Some(d) => parse_value(p, d)?,
                None if p.optional => continue,
                None => {
                    return Err(CalcError::Missing {
                        law: law.name,
                        param: p.name,
                        help: p.help,
                        example: match crate::units::example_for(p.dim) {
                            "" => format!("1{}", crate::units::format_dim(p.dim)),
                            ex => ex.replace(' ', ""),
                        },
                    })
                }
            },
        };
        inputs.push((p.name, v.clone(), p.dim));
        parsed.values.push((p.name, v));
    }
    let values = (law.eval)(&parsed).map_err(|e| match e {
        LawError::OutOfRange {
            param,
            value,
            requirement,
        } => match law.params.iter().find(|p| p.name == param) {
            Some(p) => CalcError::Range {
                param,
                value,
                unit: match crate::units::display_unit(p.dim).as_str() {
                    "" => String::new(),
                    u => format!(" {u}"),
                },
                requirement,
            },
            None => CalcError::Law(e),
        },
        e => CalcError::Law(e),
    })?;
    let (outputs, undefined) = name_outputs(law, values);
    // A catalog-level guarantee: no result is printed as inf or NaN.
    if let Some(o) = outputs.iter().find(|o| !o.value.is_finite()) {
        return Err(CalcError::NotFinite {
            law: law.name,
            output: o.name.clone(),
            value: format!("{}", o.value),
            inputs: inputs
                .iter()
                .map(|(name, v, dim)| {
                    let v: Vec<String> = v.iter().map(|x| short(*x)).collect();
                    match crate::units::display_unit(*dim).as_str() {
                        "" => format!("{name} = {}", v.join(",")),
                        u => format!("{name} = {} {u}", v.join(",")),
                    }
                })
                .collect::<Vec<_>>()
                .join(", "),
        });
    }
    Ok(Evaluation {
        law: law.name,
        inputs,
        outputs,
        undefined,
    })
}

/// Attach names to output values; list outputs (`name[]`) take the remaining values.
/// Outputs whose optional input is missing (value [`not_given`]) are left out, and outputs
/// that the law does not define for these inputs ([`undefined`]) are returned by name.
fn name_outputs(law: &Law, values: Vec<f64>) -> (Vec<Output>, Vec<String>) {
    let mut out = vec![];
    let mut undef = vec![];
    let mut push = |name: String, value: f64, dim, help| match value.to_bits() {
        NOT_GIVEN_BITS => {}
        UNDEFINED_BITS => undef.push(name),
        _ => out.push(Output {
            name,
            value,
            dim,
            help,
        }),
    };
    let mut it = values.into_iter().peekable();
    for &(name, dim, help) in law.outputs {
        if let Some(stem) = name.strip_suffix("[]") {
            for (k, v) in it.by_ref().enumerate() {
                push(format!("{stem}[{}]", k + 1), v, dim, help);
            }
        } else if let Some(v) = it.next() {
            push(name.to_string(), v, dim, help);
        }
    }
    (out, undef)
}

const T: Param = Param {
    name: "T",
    dim: TEMPERATURE,
    kind: Kind::Scalar,
    default: Some("298.15 K"),
    optional: false,
    help: "temperature",
};
const EPS_R: Param = Param {
    name: "eps_r",
    dim: DIMENSIONLESS,
    kind: Kind::Scalar,
    default: Some("78.5"),
    optional: false,
    help: "relative permittivity of the medium (water at 25 degC: 78.5)",
};
const ETA_WATER: Param = Param {
    name: "eta",
    dim: VISCOSITY,
    kind: Kind::Scalar,
    default: Some("0.89 mPa s"),
    optional: false,
    help: "dynamic viscosity (water at 25 degC: 0.89 mPa s)",
};

const fn p(name: &'static str, dim: Dim, help: &'static str) -> Param {
    Param {
        name,
        dim,
        kind: Kind::Scalar,
        default: None,
        optional: false,
        help,
    }
}
const fn list(name: &'static str, dim: Dim, help: &'static str) -> Param {
    Param {
        name,
        dim,
        kind: Kind::List,
        default: None,
        optional: false,
        help,
    }
}
const fn def(name: &'static str, dim: Dim, default: &'static str, help: &'static str) -> Param {
    Param {
        name,
        dim,
        kind: Kind::Scalar,
        default: Some(default),
        optional: false,
        help,
    }
}
const fn opt(name: &'static str, dim: Dim, help: &'static str) -> Param {
    Param {
        name,
        dim,
        kind: Kind::Scalar,
        default: None,
        optional: true,
        help,
    }
}

const MECH_MOBILITY: Dim = Dim::new(0, -1, 1, 0, 0, 0);
const TEMP_GRADIENT: Dim = Dim::new(-1, 0, 0, 0, 1, 0);
const DRAG: Dim = Dim::new(-1, 1, -1, 0, 0, 0);
const VOLUME_PER_CHARGE: Dim = Dim::new(3, 0, -1, -1, 0, 0);
const VOLT_PER_PASCAL: Dim = Dim::new(3, 0, -1, -1, 0, 0);
const RICHARDSON: Dim = Dim::new(-2, 0, 0, 1, -2, 0);

/// Concentrations per ion, or one concentration of a symmetric `z:z` salt applied to both ions.
fn per_ion(z: &[f64], c: &[f64]) -> Vec<f64> {
    if c.len() == 1 && z.len() == 2 && z[0] == -z[1] {
        vec![c[0], c[0]]
    } else {
        c.to_vec()
    }
}

fn one_of(a: Option<f64>, an: &str, b: Option<f64>, bn: &str) -> Result<(), LawError> {
    match (a, b) {
        (Some(_), None) | (None, Some(_)) => Ok(()),
        _ => Err(LawError::Inconsistent(format!(
            "give exactly one of `{an}` and `{bn}`"
        ))),
    }
}

static LAWS: &[Law] = &[
    Law {
        name: "nernst",
        category: "electrochemistry and membranes",
        summary: "Nernst (reversal) potential of an ion across a membrane",
        equation: "E = (RT/zF) ln(c_out/c_in)",
        notes: "E is phi_in - phi_out at equilibrium; ideal solutions.",
        reference: "Nernst (1889); Hille, Ion Channels of Excitable Membranes, 3rd ed., ch. 1",
        params: &[
            p("z", DIMENSIONLESS, "charge number of the ion"),
            p("c_out", CONCENTRATION, "extracellular concentration"),
            p("c_in", CONCENTRATION, "intracellular concentration"),
            T,
        ],
        outputs: &[("E", VOLTAGE, "reversal potential phi_in - phi_out")],
        eval: |a| Ok(vec![ec::nernst_potential(a.s("z"), a.s("c_out"), a.s("c_in"), a.s("T"))?]),
    },
    Law {
        name: "ghk-flux",
        category: "electrochemistry and membranes",
        summary: "Goldman-Hodgkin-Katz flux and current of one ion at a membrane potential",
        equation: "J = P u (c_in - c_out e^-u)/(1 - e^-u), u = zFV/RT; I = zFJ",
        notes: "Positive outwards; V = phi_in - phi_out; constant field, independent ions.",
        reference: "Goldman (1943); Hodgkin & Katz (1949), J. Physiol. 108, 37",
        params: &[
            p("z", DIMENSIONLESS, "charge number"),
            p("P", VELOCITY, "permeability"),
            p("c_in", CONCENTRATION, "intracellular concentration"),
            p("c_out", CONCENTRATION, "extracellular concentration"),
            p("V", VOLTAGE, "membrane potential phi_in - phi_out"),
            T,
        ],
        outputs: &[
            ("J", MOLAR_FLUX, "outward flux"),
            ("I", CURRENT_DENSITY, "outward current density"),
        ],
        eval: |a| {
            let (z, p, ci, co, v, t) = (a.s("z"), a.s("P"), a.s("c_in"), a.s("c_out"), a.s("V"), a.s("T"));
            Ok(vec![ec::ghk_flux(z, p, ci, co, v, t)?, ec::ghk_current(z, p, ci, co, v, t)?])
        },
    },
    Law {
        name: "ghk-potential",
        category: "electrochemistry and membranes",
        summary: "GHK resting potential of a membrane permeable to several ions (any charge)",
        equation: "sum_i z_i F J_GHK,i(V) = 0; monovalent: V = (RT/F) ln[(sum P_c c_out + sum P_a c_in)/(sum P_c c_in + sum P_a c_out)]",
        notes: "One value per ion in each list; divalent ions are solved numerically.",
        reference: "Goldman (1943); Hodgkin & Katz (1949), J. Physiol. 108, 37",
        params: &[
            list("z", DIMENSIONLESS, "charge numbers, e.g. 1,1,-1"),
            list("P", DIMENSIONLESS, "permeabilities or permeability ratios, e.g. 1,0.04,0.45"),
            list("c_in", CONCENTRATION, "intracellular concentrations, e.g. 400,50,52mM"),
            list("c_out", CONCENTRATION, "extracellular concentrations, e.g. 20,440,560mM"),
            T,
        ],
        outputs: &[
            ("V", VOLTAGE, "resting potential phi_in - phi_out"),
            ("E[]", VOLTAGE, "Nernst potential of each ion"),
        ],
        eval: |a| {
            let (z, p, ci, co) = (a.l("z"), a.l("P"), a.l("c_in"), a.l("c_out"));
            super::same_length(
                "GHK potential",
                &[("z", z.len()), ("P", p.len()), ("c_in", ci.len()), ("c_out", co.len())],
            )?;
            let ions: Vec<_> = (0..z.len())
                .map(|i| ec::MembraneIon { z: z[i], permeability: p[i], c_in: ci[i], c_out: co[i] })
                .collect();
            let mut out = vec![ec::ghk_potential(&ions, a.s("T"))?];
            for i in &ions {
                // The Nernst potential of an ion absent on one side is undefined.
                out.push(ec::nernst_potential(i.z, i.c_out, i.c_in, a.s("T")).unwrap_or_else(|_| undefined()));
            }
            Ok(out)
        },
    },
    Law {
        name: "constant-field",
        category: "electrochemistry and membranes",
        summary: "Steady Nernst-Planck flux (and profile) through a layer with a constant field (seed 002)",
        equation: "J = (D/L) u (c0 - cL e^-u)/(1 - e^-u), u = zF(phi_0 - phi_L)/RT; c(x) = c0 + (cL - c0)(e^{ux/L} - 1)/(e^u - 1)",
        notes: "Flux positive towards +x; V = phi_0 - phi_L; give x for the concentration there.",
        reference: "Goldman (1943); seed 002",
        params: &[
            p("D", DIFFUSIVITY, "diffusion coefficient"),
            p("L", LENGTH, "layer thickness"),
            p("z", DIMENSIONLESS, "charge number (0 for a neutral solute)"),
            p("c0", CONCENTRATION, "concentration at x = 0"),
            p("cL", CONCENTRATION, "concentration at x = L"),
            p("V", VOLTAGE, "potential drop phi(0) - phi(L)"),
            opt("x", LENGTH, "position for the profile (optional)"),
            T,
        ],
        outputs: &[
            ("J", MOLAR_FLUX, "steady flux towards +x"),
            ("c", CONCENTRATION, "concentration at x"),
        ],
        eval: |a| {
            let (d, l, z, c0, cl, v, t) = (a.s("D"), a.s("L"), a.s("z"), a.s("c0"), a.s("cL"), a.s("V"), a.s("T"));
            let j = ec::constant_field_flux(d, l, z, c0, cl, v, t)?;
            let c = match a.opt("x") {
                Some(x) => ec::constant_field_concentration(x, l, z, c0, cl, v, t)?,
                None => not_given(),
            };
            Ok(vec![j, c])
        },
    },
    Law {
        name: "einstein",
        category: "electrochemistry and membranes",
        summary: "Einstein relation between diffusion coefficient and mobility (give D or mobility)",
        equation: "D = u k_B T / (|z| e); mechanical mobility b = D / (k_B T)",
        notes: "Ions, and non-degenerate electrons or holes (z = -1 or 1).",
        reference: "Einstein (1905); seed 001",
        params: &[
            opt("D", DIFFUSIVITY, "diffusion coefficient"),
            opt("mobility", MOBILITY, "electric mobility (magnitude)"),
            def("z", DIMENSIONLESS, "1", "charge number"),
            T,
        ],
        outputs: &[
            ("D", DIFFUSIVITY, "diffusion coefficient"),
            ("mobility", MOBILITY, "electric mobility |z| e D / k_B T"),
            ("b", MECH_MOBILITY, "mechanical mobility (velocity per force) D / k_B T"),
        ],
        eval: |a| {
            one_of(a.opt("D"), "D", a.opt("mobility"), "mobility")?;
            let (z, t) = (a.s("z"), a.s("T"));
            let d = match a.opt("D") {
                Some(d) => d,
                None => ec::diffusivity_from_mobility(a.s("mobility"), z, t)?,
            };
            let u = ec::mobility_from_diffusivity(d, z, t)?;
            Ok(vec![d, u, d / (crate::constants::BOLTZMANN * t)])
        },
    },
    Law {
        name: "debye-length",
        category: "electrochemistry and membranes",
        summary: "Debye screening length of any ion mixture",
        equation: "lambda_D = sqrt(eps_r eps0 R T / (F^2 sum z_i^2 c_i))",
        notes: "c: one value per ion, or one value for a symmetric z:z salt (default z = 1,-1).",
        reference: "Debye & Hueckel (1923); Israelachvili, Intermolecular and Surface Forces, 3rd ed., eq. 14.36",
        params: &[
            Param { default: Some("1,-1"), ..list("z", DIMENSIONLESS, "charge numbers of the ions") },
            list("c", CONCENTRATION, "concentrations of the ions (or of a z:z salt)"),
            EPS_R,
            T,
        ],
        outputs: &[
            ("lambda_D", LENGTH, "Debye length"),
            ("I", CONCENTRATION, "ionic strength"),
        ],
        eval: |a| {
            let c = per_ion(a.l("z"), a.l("c"));
            Ok(vec![
                ec::debye_length(a.l("z"), &c, a.s("eps_r"), a.s("T"))?,
                ec::ionic_strength(a.l("z"), &c)?,
            ])
        },
    },
    Law {
        name: "gouy-chapman",
        category: "electrochemistry and membranes",
        summary: "Gouy-Chapman potential at distance x from a charged wall (symmetric z:z electrolyte)",
        equation: "psi(x) = (4RT/zF) artanh[tanh(zF psi0/4RT) e^{-x/lambda_D}]",
        notes: "Poisson-Boltzmann for point ions; c is the concentration of each ion.",
        reference: "Gouy (1910); Chapman (1913); Bard & Faulkner, 2nd ed., eq. 13.3.18",
        params: &[
            p("x", LENGTH, "distance from the wall"),
            p("psi0", VOLTAGE, "wall (diffuse-layer) potential"),
            p("c", CONCENTRATION, "salt concentration"),
            def("z", DIMENSIONLESS, "1", "valence of the z:z salt"),
            EPS_R,
            T,
        ],
        outputs: &[
            ("psi", VOLTAGE, "potential at x"),
            ("lambda_D", LENGTH, "Debye length"),
            ("sigma", SURFACE_CHARGE, "wall charge (Grahame)"),
        ],
        eval: |a| {
            let (c, z, e, t) = (a.s("c"), a.s("z"), a.s("eps_r"), a.s("T"));
            Ok(vec![
                ec::gouy_chapman_potential(a.s("x"), a.s("psi0"), c, z, e, t)?,
                ec::debye_length(&[z, -z], &[c, c], e, t)?,
                ec::grahame_charge(a.s("psi0"), c, z, e, t)?,
            ])
        },
    },
    Law {
        name: "grahame",
        category: "electrochemistry and membranes",
        summary: "Grahame relation between surface charge and diffuse-layer potential (give psi0 or sigma)",
        equation: "sigma = sqrt(8 eps_r eps0 R T c) sinh(zF psi0 / 2RT)",
        notes: "Symmetric z:z electrolyte of concentration c; either direction.",
        reference: "Grahame (1947), Chem. Rev. 41, 441",
        params: &[
            opt("psi0", VOLTAGE, "diffuse-layer potential"),
            opt("sigma", SURFACE_CHARGE, "surface charge density"),
            p("c", CONCENTRATION, "salt concentration"),
            def("z", DIMENSIONLESS, "1", "valence of the z:z salt"),
            EPS_R,
            T,
        ],
        outputs: &[
            ("sigma", SURFACE_CHARGE, "surface charge density"),
            ("psi0", VOLTAGE, "diffuse-layer potential"),
            ("C_d", AREA_CAPACITANCE, "differential capacitance of the diffuse layer"),
        ],
        eval: |a| {
            one_of(a.opt("psi0"), "psi0", a.opt("sigma"), "sigma")?;
            let (c, z, e, t) = (a.s("c"), a.s("z"), a.s("eps_r"), a.s("T"));
            let psi0 = match a.opt("psi0") {
                Some(p) => p,
                None => ec::grahame_potential(a.s("sigma"), c, z, e, t)?,
            };
            let sigma = ec::grahame_charge(psi0, c, z, e, t)?;
            // C_d = eps/lambda_D cosh(zF psi0 / 2RT) (Bard & Faulkner eq. 13.3.23).
            let ld = ec::debye_length(&[z, -z], &[c, c], e, t)?;
            let vt = super::rt_over_f(t)?;
            let cd = e * crate::constants::VACUUM_PERMITTIVITY / ld * (z * psi0 / (2.0 * vt)).cosh();
            Ok(vec![sigma, psi0, cd])
        },
    },
    Law {
        name: "henderson",
        category: "electrochemistry and membranes",
        summary: "Henderson liquid-junction potential for any number of ions",
        equation: "dphi = -(RT/F) [sum z D dc / sum z^2 D dc] ln(sum z^2 D c_R / sum z^2 D c_L)",
        notes: "dphi = phi_right - phi_left; linear mixing in the junction; one value per ion.",
        reference: "Henderson (1907), Z. phys. Chem. 59, 118; MacInnes (1939), ch. 13",
        params: &[
            list("z", DIMENSIONLESS, "charge numbers"),
            list("D", DIFFUSIVITY, "diffusion coefficients"),
            list("c_left", CONCENTRATION, "concentrations on the left"),
            list("c_right", CONCENTRATION, "concentrations on the right"),
            T,
        ],
        outputs: &[("dphi", VOLTAGE, "junction potential phi_right - phi_left")],
        eval: |a| {
            let (z, d, cl, cr) = (a.l("z"), a.l("D"), a.l("c_left"), a.l("c_right"));
            super::same_length(
                "Henderson",
                &[("z", z.len()), ("D", d.len()), ("c_left", cl.len()), ("c_right", cr.len())],
            )?;
            let ions: Vec<_> = (0..z.len())
                .map(|i| ec::JunctionIon { z: z[i], d: d[i], c_left: cl[i], c_right: cr[i] })
                .collect();
            Ok(vec![ec::henderson_potential(&ions, a.s("T"))?])
        },
    },
    Law {
        name: "planck",
        category: "electrochemistry and membranes",
        summary: "Planck junction potential of one binary salt at two concentrations",
        equation: "dphi = -(RT/F) (D+ - D-)/(z+ D+ - z- D-) ln(c_right/c_left)",
        notes: "dphi = phi_right - phi_left; exact electroneutral steady state at zero current.",
        reference: "Planck (1890); Bard & Faulkner, 2nd ed., eq. 2.3.39",
        params: &[
            def("z_plus", DIMENSIONLESS, "1", "cation charge number"),
            def("z_minus", DIMENSIONLESS, "-1", "anion charge number"),
            p("D_plus", DIFFUSIVITY, "cation diffusion coefficient"),
            p("D_minus", DIFFUSIVITY, "anion diffusion coefficient"),
            p("c_left", CONCENTRATION, "salt concentration on the left"),
            p("c_right", CONCENTRATION, "salt concentration on the right"),
            T,
        ],
        outputs: &[("dphi", VOLTAGE, "junction potential phi_right - phi_left")],
        eval: |a| {
            Ok(vec![ec::planck_single_salt(
                a.s("z_plus"), a.s("z_minus"), a.s("D_plus"), a.s("D_minus"),
                a.s("c_left"), a.s("c_right"), a.s("T"),
            )?])
        },
    },
    Law {
        name: "salt-diffusion",
        category: "electrochemistry and membranes",
        summary: "Salt (ambipolar) diffusion coefficient and transference numbers of a binary salt",
        equation: "D_s = (z+ - z-) D+ D- / (z+ D+ - z- D-); t+ = z+ D+ / (z+ D+ - z- D-)",
        notes: "Dilute ideal solution, electroneutral, zero current.",
        reference: "Newman, Electrochemical Systems, 3rd ed., eq. 11.14; Cussler, Diffusion, sec. 6.1",
        params: &[
            def("z_plus", DIMENSIONLESS, "1", "cation charge number"),
            def("z_minus", DIMENSIONLESS, "-1", "anion charge number"),
            p("D_plus", DIFFUSIVITY, "cation diffusion coefficient"),
            p("D_minus", DIFFUSIVITY, "anion diffusion coefficient"),
        ],
        outputs: &[
            ("D_salt", DIFFUSIVITY, "salt diffusion coefficient"),
            ("t_plus", DIMENSIONLESS, "cation transference number"),
            ("t_minus", DIMENSIONLESS, "anion transference number"),
        ],
        eval: |a| {
            let (zp, zm, dp, dm) = (a.s("z_plus"), a.s("z_minus"), a.s("D_plus"), a.s("D_minus"));
            let ds = ec::salt_diffusivity(zp, zm, dp, dm)?;
            let t = ec::transference_numbers(&[zp, zm], &[dp, dm], &[-zm, zp])?;
            Ok(vec![ds, t[0], t[1]])
        },
    },
    Law {
        name: "transference",
        category: "electrochemistry and membranes",
        summary: "Transference numbers of the ions of a solution",
        equation: "t_i = z_i^2 D_i c_i / sum_k z_k^2 D_k c_k",
        notes: "One value per ion in each list.",
        reference: "Bard & Faulkner, 2nd ed., eq. 2.3.8",
        params: &[
            list("z", DIMENSIONLESS, "charge numbers"),
            list("D", DIFFUSIVITY, "diffusion coefficients"),
            list("c", CONCENTRATION, "concentrations"),
        ],
        outputs: &[("t[]", DIMENSIONLESS, "transference number of each ion")],
        eval: |a| ec::transference_numbers(a.l("z"), a.l("D"), a.l("c")),
    },
    Law {
        name: "cottrell",
        category: "electrode processes",
        summary: "Cottrell current and charge after a potential step (planar electrode)",
        equation: "i = n F c sqrt(D/(pi t)); Q = 2 n F c sqrt(D t/pi)",
        notes: "Diffusion-limited, semi-infinite, excess supporting electrolyte.",
        reference: "Cottrell (1903); Bard & Faulkner, 2nd ed., eqs. 5.2.11, 5.8.1",
        params: &[
            def("n", DIMENSIONLESS, "1", "electrons per molecule"),
            p("c", CONCENTRATION, "bulk concentration"),
            p("D", DIFFUSIVITY, "diffusion coefficient"),
            p("t", TIME, "time after the step"),
        ],
        outputs: &[
            ("i", CURRENT_DENSITY, "current density"),
            ("Q", SURFACE_CHARGE, "charge passed per area"),
        ],
        eval: |a| {
            let (n, c, d, t) = (a.s("n"), a.s("c"), a.s("D"), a.s("t"));
            Ok(vec![electrode::cottrell_current(n, c, d, t)?, electrode::cottrell_charge(n, c, d, t)?])
        },
    },
    Law {
        name: "cottrell-spherical",
        category: "electrode processes",
        summary: "Current after a potential step at a spherical electrode",
        equation: "i = n F D c (1/sqrt(pi D t) + 1/r0)",
        notes: "Tends to the steady n F D c / r0 for t >> r0^2/D.",
        reference: "Bard & Faulkner, 2nd ed., eq. 5.2.20",
        params: &[
            def("n", DIMENSIONLESS, "1", "electrons per molecule"),
            p("c", CONCENTRATION, "bulk concentration"),
            p("D", DIFFUSIVITY, "diffusion coefficient"),
            p("t", TIME, "time after the step"),
            p("r0", LENGTH, "electrode radius"),
        ],
        outputs: &[
            ("i", CURRENT_DENSITY, "current density"),
            ("i_steady", CURRENT_DENSITY, "steady-state limit n F D c / r0"),
        ],
        eval: |a| {
            let (n, c, d, r0) = (a.s("n"), a.s("c"), a.s("D"), a.s("r0"));
            Ok(vec![
                electrode::cottrell_spherical_current(n, c, d, a.s("t"), r0)?,
                n * crate::constants::FARADAY * d * c / r0,
            ])
        },
    },
    Law {
        name: "limiting-current",
        category: "electrode processes",
        summary: "Limiting current across a stagnant layer: excess support, binary salt, or Newman's AX + BX",
        equation: "i = n F D c / delta (support); i = n F D c (1 - z+/z-)/delta (binary salt); i = 2 F D_A (c_X - sqrt(c_B c_X))/delta (AX + BX)",
        notes: "Give c_B (inert B+X- concentration, monovalent) for Newman's mixed case; the ratio is to the pure-diffusion limit.",
        reference: "Bard & Faulkner, 2nd ed., eq. 1.4.10; Newman, Electrochemical Systems, 3rd ed., sec. 19.4",
        params: &[
            def("n", DIMENSIONLESS, "1", "electrons per reacting cation"),
            p("c", CONCENTRATION, "bulk concentration of the reacting cation"),
            p("D", DIFFUSIVITY, "its diffusion coefficient"),
            p("delta", LENGTH, "diffusion (Nernst) layer thickness"),
            def("z_plus", DIMENSIONLESS, "1", "cation charge number (binary case)"),
            def("z_minus", DIMENSIONLESS, "-1", "anion charge number (binary case)"),
            opt("c_B", CONCENTRATION, "inert supporting cation concentration (AX + BX case)"),
        ],
        outputs: &[
            ("i_supported", CURRENT_DENSITY, "with excess supporting electrolyte"),
            ("i_binary", CURRENT_DENSITY, "binary salt, no support"),
            ("i_mixed", CURRENT_DENSITY, "AX + BX with the given c_B"),
            ("ratio", DIMENSIONLESS, "i_mixed / i_supported"),
        ],
        eval: |a| {
            let (n, c, d, delta) = (a.s("n"), a.s("c"), a.s("D"), a.s("delta"));
            let sup = electrode::limiting_current(n, c, d, delta)?;
            let bin = electrode::limiting_current_binary(n, a.s("z_plus"), a.s("z_minus"), c, d, delta)?;
            let (mixed, ratio) = match a.opt("c_B") {
                Some(cb) => electrode::limiting_current_supported(c, cb, d, delta)?,
                None => (not_given(), not_given()),
            };
            Ok(vec![sup, bin, mixed, ratio])
        },
    },
    Law {
        name: "fick",
        category: "diffusion",
        summary: "Fick's first law: steady flux of a neutral solute through a layer",
        equation: "J = -D dc/dx = D (c_left - c_right)/L",
        notes: "Flux positive towards +x.",
        reference: "Fick (1855); Cussler, Diffusion, 3rd ed., eq. 2.2-10",
        params: &[
            p("D", DIFFUSIVITY, "diffusion coefficient"),
            p("c_left", CONCENTRATION, "concentration at x = 0"),
            p("c_right", CONCENTRATION, "concentration at x = L"),
            p("L", LENGTH, "thickness"),
        ],
        outputs: &[("J", MOLAR_FLUX, "flux towards +x")],
        eval: |a| Ok(vec![diffusion::fick_flux(a.s("D"), a.s("c_left"), a.s("c_right"), a.s("L"))?]),
    },
    Law {
        name: "diffusion-time",
        category: "diffusion",
        summary: "Time to diffuse a distance L (mean square displacement 2 n D t = L^2)",
        equation: "t = L^2 / (2 n D)",
        notes: "n = dims = 1, 2 or 3.",
        reference: "Einstein (1905); Berg, Random Walks in Biology, eq. 1.14",
        params: &[
            p("L", LENGTH, "distance"),
            p("D", DIFFUSIVITY, "diffusion coefficient"),
            def("dims", DIMENSIONLESS, "1", "number of dimensions (1, 2, 3)"),
        ],
        outputs: &[("t", TIME, "diffusion time")],
        eval: |a| {
            let n = a.s("dims");
            if n.fract() != 0.0 {
                return Err(LawError::OutOfRange { param: "dims", value: n, requirement: "the number of dimensions must be 1, 2 or 3" });
            }
            Ok(vec![diffusion::diffusion_time(a.s("L"), a.s("D"), n.clamp(0.0, 9.0) as u32)?])
        },
    },
    Law {
        name: "ternary-diffusion",
        category: "diffusion",
        summary: "Nernst-Planck ternary diffusion matrix of two salts with a common ion (uphill diffusion)",
        equation: "D_ij = D_i delta_ij - D_i z_i c_i z_j (D_j - D_3) / sum_k z_k^2 D_k c_k",
        notes: "Ions 1, 2 and the common counter-ion 3 (c3 from electroneutrality); J_i = -sum_j D_ij dc_j/dx.",
        reference: "Vinograd & McBain (1941), JACS 63, 2008; Cussler, Diffusion, 3rd ed., sec. 7.4",
        params: &[
            list("z", DIMENSIONLESS, "charge numbers of ions 1, 2, 3, e.g. 1,1,-1"),
            list("D", DIFFUSIVITY, "diffusion coefficients of ions 1, 2, 3"),
            p("c1", CONCENTRATION, "concentration of ion 1"),
            p("c2", CONCENTRATION, "concentration of ion 2"),
        ],
        outputs: &[
            ("D11", DIFFUSIVITY, "main term of ion 1"),
            ("D12", DIFFUSIVITY, "ion 1 driven by the gradient of ion 2"),
            ("D21", DIFFUSIVITY, "ion 2 driven by the gradient of ion 1"),
            ("D22", DIFFUSIVITY, "main term of ion 2"),
        ],
        eval: |a| {
            let (z, d) = (a.l("z"), a.l("D"));
            if z.len() != 3 || d.len() != 3 {
                return Err(LawError::Inconsistent(format!(
                    "ternary diffusion: `z` and `D` need exactly 3 values (ions 1, 2 and the common ion); got {} and {}",
                    z.len(), d.len()
                )));
            }
            let m = diffusion::ternary_diffusion_matrix([z[0], z[1], z[2]], [d[0], d[1], d[2]], a.s("c1"), a.s("c2"))?;
            Ok(vec![m[0][0], m[0][1], m[1][0], m[1][1]])
        },
    },
    Law {
        name: "electroosmosis",
        category: "coupled flows",
        summary: "Helmholtz-Smoluchowski electro-osmotic mobility and velocity",
        equation: "mu_eo = -eps_r eps0 zeta / eta; u = mu_eo E",
        notes: "Thin double layer; give E for the velocity.",
        reference: "von Smoluchowski (1903); Hunter, Zeta Potential in Colloid Science (1981), ch. 3",
        params: &[
            p("zeta", VOLTAGE, "zeta potential of the wall"),
            opt("E", FIELD, "applied field along the channel"),
            EPS_R,
            ETA_WATER,
        ],
        outputs: &[
            ("mu_eo", MOBILITY, "electro-osmotic mobility"),
            ("u", VELOCITY, "slip velocity"),
        ],
        eval: |a| {
            let m = coupled::electroosmotic_mobility(a.s("eps_r"), a.s("zeta"), a.s("eta"))?;
            Ok(vec![m, a.opt("E").map_or_else(not_given, |e| m * e)])
        },
    },
    Law {
        name: "streaming",
        category: "coupled flows",
        summary: "Streaming potential and streaming current from a pressure drop",
        equation: "dphi = -eps zeta dp / (eta K); j_s = -eps zeta dp / (eta L)",
        notes: "dp = p_in - p_out; dphi = phi_out - phi_in at zero current; give L for the current density.",
        reference: "Helmholtz (1879); von Smoluchowski (1903); Hunter (1981), eq. 3.4.5",
        params: &[
            p("zeta", VOLTAGE, "zeta potential"),
            p("dp", PRESSURE, "pressure drop p_in - p_out"),
            p("K", CONDUCTIVITY, "electrolyte conductivity"),
            opt("L", LENGTH, "channel length (for the streaming current)"),
            EPS_R,
            ETA_WATER,
        ],
        outputs: &[
            ("dphi", VOLTAGE, "streaming potential phi_out - phi_in"),
            ("j_s", CURRENT_DENSITY, "streaming current density at zero field"),
        ],
        eval: |a| {
            let (e, z, eta, dp) = (a.s("eps_r"), a.s("zeta"), a.s("eta"), a.s("dp"));
            let v = coupled::streaming_potential(e, z, eta, a.s("K"), dp)?;
            let j = match a.opt("L") {
                Some(l) => coupled::streaming_current_density(e, z, eta, dp, l)?,
                None => not_given(),
            };
            Ok(vec![v, j])
        },
    },
    Law {
        name: "onsager-electrokinetic",
        category: "coupled flows",
        summary: "Onsager cross-coefficients of electro-osmosis and streaming, and Saxen's relation",
        equation: "J_V = L_pp X_p + L_pe E, j = L_ep X_p + L_ee E; L_pe = L_ep = -eps zeta/eta",
        notes: "Saxen: (J_V/j) at X_p = 0 equals (dphi/dp) at j = 0.",
        reference: "Onsager (1931); Saxen (1892); de Groot & Mazur (1962), ch. XIV",
        params: &[
            p("zeta", VOLTAGE, "zeta potential"),
            p("K", CONDUCTIVITY, "electrolyte conductivity"),
            EPS_R,
            ETA_WATER,
        ],
        outputs: &[
            ("L_pe", MOBILITY, "electro-osmotic coefficient (from slip flow)"),
            ("L_ep", MOBILITY, "streaming coefficient (from convected charge)"),
            ("eo_flow_per_current", VOLUME_PER_CHARGE, "Saxen: (J_V/j) at zero pressure gradient"),
            ("streaming_potential_per_pressure", VOLT_PER_PASCAL, "Saxen: (dphi/dp) at zero current"),
        ],
        eval: |a| {
            let o = coupled::electrokinetic_onsager(a.s("eps_r"), a.s("zeta"), a.s("eta"), a.s("K"))?;
            Ok(vec![o.l_pe, o.l_ep, o.electroosmotic_flow_per_current, o.streaming_potential_per_pressure])
        },
    },
    Law {
        name: "plasma-thermoelectric",
        category: "coupled flows",
        summary: "Electric field sustained by a temperature gradient in a plasma (seed 000)",
        equation: "E = -(1 + beta) (k_B/e) grad T; grad Phi = -E",
        notes: "Uniform density; beta = thermal-force coefficient (0: simple model; 0.71: hydrogen plasma).",
        reference: "Braginskii (1965), Rev. Plasma Phys. 1, 205",
        params: &[
            p("grad_T", TEMP_GRADIENT, "electron temperature gradient, e.g. 1000 K/m"),
            def("beta", DIMENSIONLESS, "0", "thermal-force coefficient"),
        ],
        outputs: &[
            ("E", FIELD, "electric field"),
            ("grad_phi", FIELD, "potential gradient"),
        ],
        eval: |a| {
            let e = coupled::plasma_thermoelectric_field(a.s("grad_T"), a.s("beta"))?;
            Ok(vec![e, -e])
        },
    },
    Law {
        name: "reaction-flux",
        category: "reactions",
        summary: "Net flux of a reversible reaction from the forward flux and the Gibbs energy (flux-force relation)",
        equation: "v = v_f (1 - Gamma), Gamma = v_r/v_f = exp(dG/RT)",
        notes: "v_f in any rate unit (a bare number keeps its unit).",
        reference: "Beard & Qian, Chemical Biophysics (2008), sec. 5.1; seed 002",
        params: &[
            p("v_f", REACTION_RATE, "forward flux"),
            p("dG", MOLAR_ENERGY, "Gibbs energy of reaction, e.g. -5 kJ/mol"),
            T,
        ],
        outputs: &[
            ("v", REACTION_RATE, "net flux"),
            ("Gamma", DIMENSIONLESS, "v_r / v_f"),
            ("v_r", REACTION_RATE, "reverse flux"),
        ],
        eval: |a| {
            let (v, g) = reaction::reaction_flux(a.s("v_f"), a.s("dG"), a.s("T"))?;
            Ok(vec![v, g, a.s("v_f") * g])
        },
    },
    Law {
        name: "richardson",
        category: "electrons and fields",
        summary: "Richardson-Dushman thermionic emission current density",
        equation: "J = lambda_R A0 T^2 exp(-W / k_B T), A0 = 4 pi m_e k_B^2 e / h^3",
        notes: "Zero field; lambda_r is the material correction (tungsten about 0.5).",
        reference: "Richardson (1901); Dushman (1923), Phys. Rev. 21, 623",
        params: &[
            p("W", ENERGY, "work function, e.g. 4.54 eV"),
            Param { default: None, ..T },
            def("lambda_r", DIMENSIONLESS, "1", "correction factor to A0"),
        ],
        outputs: &[
            ("J", CURRENT_DENSITY, "emission current density"),
            ("A0", RICHARDSON, "universal Richardson constant"),
        ],
        eval: |a| {
            Ok(vec![
                electrons::richardson_dushman(a.s("W"), a.s("T"), a.s("lambda_r"))?,
                electrons::richardson_constant(),
            ])
        },
    },
    Law {
        name: "charged-shell",
        category: "electrons and fields",
        summary: "Field and potential of a charged spherical shell (zero inside, sigma/eps just outside)",
        equation: "r < R: E = 0, V = sigma R/eps; r >= R: E = sigma R^2/(eps r^2), V = sigma R^2/(eps r)",
        notes: "Potential zero at infinity.",
        reference: "Griffiths, Introduction to Electrodynamics, 4th ed., ex. 2.7; seed 000",
        params: &[
            p("sigma", SURFACE_CHARGE, "surface charge density"),
            p("R", LENGTH, "shell radius"),
            p("r", LENGTH, "distance from the centre"),
            def("eps_r", DIMENSIONLESS, "1", "relative permittivity around the shell"),
        ],
        outputs: &[
            ("E", FIELD, "radial field"),
            ("V", VOLTAGE, "potential"),
        ],
        eval: |a| {
            let (e, v) = electrons::charged_shell(a.s("sigma"), a.s("R"), a.s("r"), a.s("eps_r"))?;
            Ok(vec![e, v])
        },
    },
    Law {
        name: "flux-quantum",
        category: "superconductors",
        summary: "The superconducting flux quantum",
        equation: "Phi0 = h / 2e",
        notes: "Exact in the 2019 SI.",
        reference: "CODATA 2018",
        params: &[],
        outputs: &[("Phi0", MAGNETIC_FLUX, "flux quantum")],
        eval: |_| Ok(vec![sc::flux_quantum()]),
    },
    Law {
        name: "upper-critical-field",
        category: "superconductors",
        summary: "Upper critical field from the coherence length, or back (give xi or Bc2)",
        equation: "B_c2 = Phi0 / (2 pi xi^2)",
        notes: "Ginzburg-Landau.",
        reference: "Tinkham, Introduction to Superconductivity, 2nd ed., eq. 4.62",
        params: &[
            opt("xi", LENGTH, "coherence length"),
            opt("Bc2", MAGNETIC_FIELD, "upper critical field"),
        ],
        outputs: &[
            ("Bc2", MAGNETIC_FIELD, "upper critical field"),
            ("xi", LENGTH, "coherence length"),
        ],
        eval: |a| {
            one_of(a.opt("xi"), "xi", a.opt("Bc2"), "Bc2")?;
            let b = match a.opt("xi") {
                Some(xi) => sc::upper_critical_field(xi)?,
                None => a.s("Bc2"),
            };
            Ok(vec![b, sc::coherence_length(b)?])
        },
    },
    Law {
        name: "flux-flow",
        category: "superconductors",
        summary: "Bardeen-Stephen vortex viscosity, vortex velocity, induced field and flux-flow resistivity",
        equation: "eta = Phi0 B_c2 / rho_n; v = J Phi0 / eta; E = B v; rho_f = rho_n B / B_c2",
        notes: "Free (unpinned) vortices, B << B_c2.",
        reference: "Bardeen & Stephen (1965), Phys. Rev. 140, A1197; Kim, Hempstead & Strnad (1965)",
        params: &[
            p("J", CURRENT_DENSITY, "transport current density"),
            p("B", MAGNETIC_FIELD, "flux density (vortex density times Phi0)"),
            p("rho_n", RESISTIVITY, "normal-state resistivity"),
            p("Bc2", MAGNETIC_FIELD, "upper critical field"),
        ],
        outputs: &[
            ("eta", DRAG, "vortex viscosity per length"),
            ("f_L", FORCE_PER_LENGTH, "Lorentz force per length J Phi0"),
            ("v", VELOCITY, "vortex velocity"),
            ("E", FIELD, "induced electric field"),
            ("rho_f", RESISTIVITY, "flux-flow resistivity"),
        ],
        eval: |a| {
            let eta = sc::bardeen_stephen_viscosity(a.s("Bc2"), a.s("rho_n"))?;
            let v = sc::vortex_velocity(a.s("J"), eta)?;
            Ok(vec![
                eta,
                a.s("J") * sc::flux_quantum(),
                v,
                sc::flux_flow_field(a.s("B"), v)?,
                sc::flux_flow_resistivity(a.s("rho_n"), a.s("B"), a.s("Bc2"))?,
            ])
        },
    },
    Law {
        name: "vortex-force-unit",
        category: "superconductors",
        summary: "Unit of vortex forces per length, f0 = Phi0^2/(2 pi mu0 lambda^3)",
        equation: "f0 = Phi0^2 / (2 pi mu0 lambda^3); pair force f0 K1(r/lambda)",
        notes: "London theory.",
        reference: "Brandt (1995), Rep. Prog. Phys. 58, 1465",
        params: &[p("lambda", LENGTH, "London penetration depth")],
        outputs: &[("f0", FORCE_PER_LENGTH, "force unit per length")],
        eval: |a| Ok(vec![sc::vortex_force_unit(a.s("lambda"))?]),
    },
];

#[cfg(test)]
mod tests {
    use super::*;

    fn eval(law: &str, args: &[(&str, &str)]) -> Result<Evaluation, CalcError> {
        evaluate(find(law)?, args)
    }

    fn out(e: &Evaluation, name: &str) -> f64 {
        e.outputs.iter().find(|o| o.name == name).unwrap().value
    }

    #[test]
    fn every_law_is_documented_and_names_are_unique() {
        for (i, l) in LAWS.iter().enumerate() {
            assert!(!l.summary.is_empty() && !l.equation.is_empty() && !l.reference.is_empty());
            assert!(LAWS[..i].iter().all(|m| m.name != l.name), "{}", l.name);
            for p in l.params {
                assert!(!p.help.is_empty(), "{}.{}", l.name, p.name);
                if let Some(d) = p.default {
                    parse_value(p, d).unwrap();
                }
            }
        }
        assert!(LAWS.len() >= 25);
    }

    /// One evaluable case per law (the list `every_law_evaluates` walks).
    const CASES: &[(&str, &[(&str, &str)])] = &[
        (
            "nernst",
            &[("z", "2"), ("c_out", "2 mM"), ("c_in", "100 nM")],
        ),
        (
            "ghk-flux",
            &[
                ("z", "1"),
                ("P", "1e-8 m/s"),
                ("c_in", "140mM"),
                ("c_out", "5mM"),
                ("V", "-70 mV"),
            ],
        ),
        (
            "ghk-potential",
            &[
                ("z", "1,2"),
                ("P", "1,0.1"),
                ("c_in", "140,1e-4 mM"),
                ("c_out", "5,2 mM"),
            ],
        ),
        (
            "constant-field",
            &[
                ("D", "1e-9"),
                ("L", "5 nm"),
                ("z", "-1"),
                ("c0", "1mM"),
                ("cL", "2mM"),
                ("V", "30 mV"),
                ("x", "1 nm"),
            ],
        ),
        (
            "einstein",
            &[("mobility", "0.14 m^2/(V s)"), ("z", "-1"), ("T", "300 K")],
        ),
        ("debye-length", &[("z", "2,-1"), ("c", "1,2 mM")]),
        (
            "gouy-chapman",
            &[("x", "1 nm"), ("psi0", "-80 mV"), ("c", "10 mM")],
        ),
        ("grahame", &[("psi0", "50 mV"), ("c", "1 mM"), ("z", "2")]),
        (
            "henderson",
            &[
                ("z", "1,1,-1"),
                ("D", "9.311e-9,1.957e-9,2.032e-9"),
                ("c_left", "100,0,100 mM"),
                ("c_right", "0,100,100 mM"),
            ],
        ),
        (
            "planck",
            &[
                ("D_plus", "9.311e-9"),
                ("D_minus", "2.032e-9"),
                ("c_left", "100mM"),
                ("c_right", "10mM"),
            ],
        ),
        (
            "salt-diffusion",
            &[
                ("z_plus", "2"),
                ("D_plus", "0.792e-9"),
                ("D_minus", "2.032e-9"),
            ],
        ),
        (
            "transference",
            &[
                ("z", "1,-1,2"),
                ("D", "1.3e-9,2e-9,0.8e-9"),
                ("c", "10,30,10 mM"),
            ],
        ),
        ("cottrell", &[("c", "1 mM"), ("D", "1e-9"), ("t", "1 s")]),
        (
            "cottrell-spherical",
            &[("c", "1 mM"), ("D", "1e-9"), ("t", "1 s"), ("r0", "5 um")],
        ),
        (
            "limiting-current",
            &[
                ("c", "10 mM"),
                ("D", "1.6e-9"),
                ("delta", "100 um"),
                ("c_B", "0 mM"),
            ],
        ),
        (
            "fick",
            &[
                ("D", "1.8e-9"),
                ("c_left", "10 mM"),
                ("c_right", "1 mM"),
                ("L", "10 um"),
            ],
        ),
        (
            "diffusion-time",
            &[("L", "1 mm"), ("D", "1e-9"), ("dims", "3")],
        ),
        (
            "ternary-diffusion",
            &[
                ("z", "1,1,-1"),
                ("D", "9.311e-9,1.334e-9,2.032e-9"),
                ("c1", "1mM"),
                ("c2", "100mM"),
            ],
        ),
        ("electroosmosis", &[("zeta", "-50 mV"), ("E", "100 V/cm")]),
        (
            "streaming",
            &[
                ("zeta", "-50 mV"),
                ("dp", "1 bar"),
                ("K", "0.0147 S/m"),
                ("L", "1 cm"),
            ],
        ),
        (
            "onsager-electrokinetic",
            &[("zeta", "-30 mV"), ("K", "0.1 S/m")],
        ),
        (
            "plasma-thermoelectric",
            &[("grad_T", "1000 K/m"), ("beta", "0.71")],
        ),
        ("reaction-flux", &[("v_f", "2"), ("dG", "-5 kJ/mol")]),
        ("richardson", &[("W", "4.54 eV"), ("T", "2500 K")]),
        (
            "charged-shell",
            &[("sigma", "1 uC/cm^2"), ("R", "1 cm"), ("r", "2 cm")],
        ),
        ("flux-quantum", &[]),
        ("upper-critical-field", &[("xi", "10 nm")]),
        (
            "flux-flow",
            &[
                ("J", "1e9 A/m^2"),
                ("B", "1 T"),
                ("rho_n", "1e-7 Ohm m"),
                ("Bc2", "10 T"),
            ],
        ),
        ("vortex-force-unit", &[("lambda", "100 nm")]),
    ];

    /// Every law of the catalog evaluates from typical arguments to finite outputs, one of
    /// each named output at least.
    #[test]
    fn every_law_evaluates() {
        let cases = CASES;
        for law in LAWS {
            let (_, args) = cases
                .iter()
                .find(|(n, _)| *n == law.name)
                .unwrap_or_else(|| panic!("no case for {}", law.name));
            let e = eval(law.name, args).unwrap_or_else(|e| panic!("{}: {e}", law.name));
            assert!(!e.outputs.is_empty());
            for o in &e.outputs {
                assert!(
                    o.value.is_finite(),
                    "{}: {} = {}",
                    law.name,
                    o.name,
                    o.value
                );
            }
            for (name, _, _) in law.outputs {
                let stem = name.trim_end_matches("[]");
                assert!(
                    e.outputs.iter().any(|o| o.name.starts_with(stem)),
                    "{}: {name}",
                    law.name
                );
            }
        }
    }

    #[test]
    fn units_in_arguments_and_lists() {
        let e = eval(
            "ghk-potential",
            &[
                ("z", "1,1,-1"),
                ("P", "1,0.04,0.45"),
                ("c_in", "400,50,52 mM"),
                ("c_out", "20mM,440mM,560mM"),
                ("T", "20 degC"),
            ],
        )
        .unwrap();
        assert!((out(&e, "V") * 1e3 + 59.9).abs() < 0.1);
        assert_eq!(e.outputs.len(), 4);
        assert_eq!(e.outputs[3].name, "E[3]");
        let e = eval("debye-length", &[("c", "0.1 M")]).unwrap();
        assert!((out(&e, "lambda_D") * 1e9 - 0.961).abs() < 1e-3);
        let e = eval("einstein", &[("D", "1.334e-9 m^2/s")]).unwrap();
        assert!((out(&e, "mobility") - 5.19e-8).abs() < 0.01e-8);
        let e = eval(
            "richardson",
            &[("W", "4.54 eV"), ("T", "2500 K"), ("lambda_r", "0.5")],
        )
        .unwrap();
        assert!((out(&e, "J") - 2640.0).abs() < 20.0);
        let e = eval(
            "constant-field",
            &[
                ("D", "1e-9"),
                ("L", "1 um"),
                ("z", "1"),
                ("c0", "10mM"),
                ("cL", "1mM"),
                ("V", "0 V"),
                ("x", "0.5 um"),
            ],
        )
        .unwrap();
        assert!((out(&e, "c") - 5.5).abs() < 1e-12);
        let e = eval(
            "constant-field",
            &[
                ("D", "1e-9"),
                ("L", "1 um"),
                ("z", "1"),
                ("c0", "10mM"),
                ("cL", "1mM"),
                ("V", "0 V"),
            ],
        )
        .unwrap();
        assert_eq!(e.outputs.len(), 1);
    }

    #[test]
    fn bad_input_names_the_parameter() {
        let e = eval("nernst", &[("z", "1"), ("c_out", "5 mM"), ("c_in", "0 mM")]).unwrap_err();
        assert!(
            e.to_string().contains("`c_in` = 0 mol/m^3 is not allowed"),
            "{e}"
        );
        let e = eval("nernst", &[("z", "1"), ("c_out", "5 mV"), ("c_in", "1 mM")]).unwrap_err();
        assert!(
            e.to_string().contains("parameter `c_out`") && e.to_string().contains("concentration"),
            "{e}"
        );
        let e = eval("nernst", &[("z", "1"), ("c_out", "5 mM")]).unwrap_err();
        assert!(
            e.to_string().contains("needs parameter `c_in`") && e.to_string().contains("c_in=10mM"),
            "{e}"
        );
        let e = eval(
            "nernst",
            &[
                ("z", "1"),
                ("c_out", "5 mM"),
                ("c_in", "1 mM"),
                ("T", "-5 K"),
            ],
        )
        .unwrap_err();
        assert!(e.to_string().contains("`T` = -5 K"), "{e}");
        let e = eval("nernst", &[("z", "1"), ("cout", "5 mM")]).unwrap_err();
        assert!(e.to_string().contains("did you mean `c_out`"), "{e}");
        let e = find("nerst").unwrap_err();
        assert!(e.to_string().contains("did you mean `nernst`"), "{e}");
        let e = eval("nernst", &[("z", "1,2")]).unwrap_err();
        assert_eq!(e, CalcError::NotAList("z"));
        let e = eval("einstein", &[("D", "1e-9"), ("mobility", "1e-8")]).unwrap_err();
        assert!(e.to_string().contains("exactly one of"), "{e}");
        let e = eval(
            "henderson",
            &[
                ("z", "1,-1"),
                ("D", "1e-9"),
                ("c_left", "1,1"),
                ("c_right", "1,1"),
            ],
        )
        .unwrap_err();
        assert!(e.to_string().contains("`D` has 1"), "{e}");
    }

    /// Issue #8: `fluxion calc` printed inf/NaN with exit 0 when an argument overflowed a law.
    /// Every law, every numeric parameter of its typical case replaced in turn by huge,
    /// tiny and huge negative values (and the other parameters typical): the evaluation
    /// either refuses with an error or returns finite values only; nothing panics.
    #[test]
    fn calc_never_returns_inf_or_nan_at_extreme_arguments() {
        let extremes = ["1e300", "-1e300", "1e-300", "1e308", "5e-324"];
        let (mut refused, mut not_finite) = (0, 0);
        for (law, args) in CASES {
            let l = find(law).unwrap();
            for p in l.params {
                for x in extremes {
                    // Keep the unit of the typical value, if any, so the dimension is right.
                    let mut a: Vec<(&str, String)> =
                        args.iter().map(|(k, v)| (*k, v.to_string())).collect();
                    let value = match p.kind {
                        Kind::Scalar => x.to_string(),
                        Kind::List => {
                            let n = a
                                .iter()
                                .find(|(k, _)| *k == p.name)
                                .map_or(1, |(_, v)| v.split(',').count());
                            vec![x; n].join(",")
                        }
                    };
                    a.retain(|(k, _)| *k != p.name);
                    a.push((p.name, value));
                    let pairs: Vec<(&str, &str)> =
                        a.iter().map(|(k, v)| (*k, v.as_str())).collect();
                    match evaluate(l, &pairs) {
                        Ok(e) => {
                            for o in &e.outputs {
                                assert!(
                                    o.value.is_finite(),
                                    "{law} {}={x}: {} = {}",
                                    p.name,
                                    o.name,
                                    o.value
                                );
                            }
                        }
                        Err(e) => {
                            refused += 1;
                            not_finite += usize::from(matches!(e, CalcError::NotFinite { .. }));
                            let m = e.to_string();
                            assert!(!m.is_empty() && !m.contains("Some("), "{law}: {m}");
                        }
                    }
                }
            }
        }
        // Both kinds of refusal occur: a parameter check, and the catalog-level check of
        // every output (the overflows that used to be printed as inf).
        assert!(
            refused > not_finite && not_finite > 0,
            "{refused} {not_finite}"
        );
    }

    /// Issue #8: at T = 1e300 K the Richardson-Dushman current `A0 T^2 exp(-W/kT)`
    /// overflows to `inf`: refused with the output and the inputs named.
    #[test]
    fn overflowing_result_is_refused_with_the_output_named() {
        let e = eval("richardson", &[("W", "4.54 eV"), ("T", "1e300 K")]).unwrap_err();
        assert!(matches!(e, CalcError::NotFinite { .. }), "{e}");
        let m = e.to_string();
        assert!(m.contains("inf") && m.contains("T = 1e300 K"), "{m}");
    }

    /// Issue #8: `1e999` parses to infinity; it is refused as an input, not evaluated.
    #[test]
    fn infinite_argument_is_refused() {
        let e = eval("debye-length", &[("c", "1e999 mM")]).unwrap_err();
        assert!(
            e.to_string().contains("`c`") && e.to_string().contains("finite"),
            "{e}"
        );
    }

    /// Issue #8: the flux-flow resistivity `rho_n B / B_c2` (Kim, Hempstead & Strnad 1965)
    /// holds below `B_c2`; above it the sample is normal and `rho_f > rho_n` is unphysical.
    #[test]
    fn flux_flow_above_bc2_is_refused() {
        let args = [("J", "1e9 A/m^2"), ("rho_n", "1e-7 Ohm m"), ("Bc2", "10 T")];
        let mut a = args.to_vec();
        a.push(("B", "12 T"));
        let e = eval("flux-flow", &a).unwrap_err();
        assert!(e.to_string().contains("B_c2"), "{e}");
        let mut a = args.to_vec();
        a.push(("B", "10 T"));
        let e = eval("flux-flow", &a).unwrap();
        assert_eq!(out(&e, "rho_f"), 1e-7);
    }

    /// Issue #8: in `ghk-potential` the Nernst potential of an ion absent on one side is
    /// undefined: it is listed as undefined (not printed as NaN), and the GHK potential of
    /// the others is still given (Hodgkin & Katz 1949 with Cl- absent outside: V equals the
    /// two-ion GHK potential of K+ and Na+ plus the Cl- term).
    #[test]
    fn ghk_nernst_of_an_absent_ion_is_undefined_not_nan() {
        let e = eval(
            "ghk-potential",
            &[
                ("z", "1,1,-1"),
                ("P", "1,0.04,0.45"),
                ("c_in", "400,50,52mM"),
                ("c_out", "20,440,0mM"),
            ],
        )
        .unwrap();
        assert_eq!(e.undefined, vec!["E[3]".to_string()]);
        assert!(e.outputs.iter().all(|o| o.value.is_finite()));
        assert!(e.outputs.iter().any(|o| o.name == "E[2]"));
    }
}
