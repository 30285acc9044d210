//! Physical dimensions and unit strings.
//!
//! The numerical core works in SI numbers only. Unit strings such as `"10 mM"`, `"25 mV"`,
//! `"1 um"` or `"37 degC"` are parsed to SI at the boundary (scenario files, `fluxion calc`).
//!
//! A quantity is a number followed by an optional unit expression: unit symbols with SI
//! prefixes (`mM`, `um`, `kOhm`), multiplied by spaces, `*` or `·`, divided by `/`, grouped by
//! parentheses and raised to integer powers (`m^2`, `m**2`, `m2`, `m²`, `s^-1`, `s⁻¹`).
//! A product after `/` must be parenthesized (`mol/(m^2 s)`) because `mol/m^2 s` is ambiguous.

use std::fmt;
use std::ops::{Div, Mul};

/// A physical dimension as exponents of the SI base units m, kg, s, A, K, mol.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Dim {
    /// Exponent of the metre.
    pub m: i8,
    /// Exponent of the kilogram.
    pub kg: i8,
    /// Exponent of the second.
    pub s: i8,
    /// Exponent of the ampere.
    pub a: i8,
    /// Exponent of the kelvin.
    pub k: i8,
    /// Exponent of the mole.
    pub mol: i8,
}

impl Dim {
    /// Build a dimension from its exponents (m, kg, s, A, K, mol).
    pub const fn new(m: i8, kg: i8, s: i8, a: i8, k: i8, mol: i8) -> Self {
        Dim {
            m,
            kg,
            s,
            a,
            k,
            mol,
        }
    }

    /// Whether all exponents are zero.
    pub const fn is_dimensionless(self) -> bool {
        self.m == 0 && self.kg == 0 && self.s == 0 && self.a == 0 && self.k == 0 && self.mol == 0
    }

    /// `self * other^n`, or `None` when an exponent leaves the `i8` range.
    fn mul_pow(self, other: Dim, n: i32) -> Option<Dim> {
        let f = |a: i8, b: i8| i8::try_from(i32::from(a) + i32::from(b) * n).ok();
        Some(Dim::new(
            f(self.m, other.m)?,
            f(self.kg, other.kg)?,
            f(self.s, other.s)?,
            f(self.a, other.a)?,
            f(self.k, other.k)?,
            f(self.mol, other.mol)?,
        ))
    }
}

impl Mul for Dim {
    type Output = Dim;
    /// Product of dimensions; panics if an exponent overflows `i8`.
    fn mul(self, rhs: Dim) -> Dim {
        self.mul_pow(rhs, 1).expect("dimension exponent overflow")
    }
}

impl Div for Dim {
    type Output = Dim;
    /// Quotient of dimensions; panics if an exponent overflows `i8`.
    fn div(self, rhs: Dim) -> Dim {
        self.mul_pow(rhs, -1).expect("dimension exponent overflow")
    }
}

/// Named dimensions used across fluxion.
pub mod dims {
    use super::Dim;
    /// Dimensionless.
    pub const DIMENSIONLESS: Dim = Dim::new(0, 0, 0, 0, 0, 0);
    /// Length, m.
    pub const LENGTH: Dim = Dim::new(1, 0, 0, 0, 0, 0);
    /// Area, m^2.
    pub const AREA: Dim = Dim::new(2, 0, 0, 0, 0, 0);
    /// Volume, m^3.
    pub const VOLUME: Dim = Dim::new(3, 0, 0, 0, 0, 0);
    /// Mass, kg.
    pub const MASS: Dim = Dim::new(0, 1, 0, 0, 0, 0);
    /// Amount of substance, mol.
    pub const AMOUNT: Dim = Dim::new(0, 0, 0, 0, 0, 1);
    /// Time, s.
    pub const TIME: Dim = Dim::new(0, 0, 1, 0, 0, 0);
    /// Temperature, K.
    pub const TEMPERATURE: Dim = Dim::new(0, 0, 0, 0, 1, 0);
    /// Amount concentration, mol/m^3 (= mM).
    pub const CONCENTRATION: Dim = Dim::new(-3, 0, 0, 0, 0, 1);
    /// Electric potential, V = kg m^2 s^-3 A^-1.
    pub const VOLTAGE: Dim = Dim::new(2, 1, -3, -1, 0, 0);
    /// Electric field, V/m.
    pub const FIELD: Dim = Dim::new(1, 1, -3, -1, 0, 0);
    /// Diffusion coefficient, m^2/s.
    pub const DIFFUSIVITY: Dim = Dim::new(2, 0, -1, 0, 0, 0);
    /// Electric mobility, m^2/(V s).
    pub const MOBILITY: Dim = Dim::new(0, -1, 2, 1, 0, 0);
    /// Molar flux density, mol/(m^2 s).
    pub const MOLAR_FLUX: Dim = Dim::new(-2, 0, -1, 0, 0, 1);
    /// Electric current density, A/m^2.
    pub const CURRENT_DENSITY: Dim = Dim::new(-2, 0, 0, 1, 0, 0);
    /// Electric current, A.
    pub const CURRENT: Dim = Dim::new(0, 0, 0, 1, 0, 0);
    /// Surface charge density, C/m^2.
    pub const SURFACE_CHARGE: Dim = Dim::new(-2, 0, 1, 1, 0, 0);
    /// Volume charge density, C/m^3.
    pub const CHARGE_DENSITY: Dim = Dim::new(-3, 0, 1, 1, 0, 0);
    /// Charge, C.
    pub const CHARGE: Dim = Dim::new(0, 0, 1, 1, 0, 0);
    /// Velocity (also membrane permeability), m/s.
    pub const VELOCITY: Dim = Dim::new(1, 0, -1, 0, 0, 0);
    /// Magnetic flux density, T = kg s^-2 A^-1.
    pub const MAGNETIC_FIELD: Dim = Dim::new(0, 1, -2, -1, 0, 0);
    /// Magnetic flux, Wb = T m^2.
    pub const MAGNETIC_FLUX: Dim = Dim::new(2, 1, -2, -1, 0, 0);
    /// Electrical resistance, Ohm.
    pub const RESISTANCE: Dim = Dim::new(2, 1, -3, -2, 0, 0);
    /// Electrical conductance, S.
    pub const CONDUCTANCE: Dim = Dim::new(-2, -1, 3, 2, 0, 0);
    /// Electrical resistivity, Ohm m.
    pub const RESISTIVITY: Dim = Dim::new(3, 1, -3, -2, 0, 0);
    /// Electrical conductivity, S/m.
    pub const CONDUCTIVITY: Dim = Dim::new(-3, -1, 3, 2, 0, 0);
    /// Conductance per area (membranes), S/m^2.
    pub const AREA_CONDUCTANCE: Dim = Dim::new(-4, -1, 3, 2, 0, 0);
    /// Molar conductivity, S m^2/mol.
    pub const MOLAR_CONDUCTIVITY: Dim = Dim::new(0, -1, 3, 2, 0, -1);
    /// Capacitance, F.
    pub const CAPACITANCE: Dim = Dim::new(-2, -1, 4, 2, 0, 0);
    /// Capacitance per area (membranes, double layers), F/m^2.
    pub const AREA_CAPACITANCE: Dim = Dim::new(-4, -1, 4, 2, 0, 0);
    /// Permittivity, F/m.
    pub const PERMITTIVITY: Dim = Dim::new(-3, -1, 4, 2, 0, 0);
    /// Energy, J.
    pub const ENERGY: Dim = Dim::new(2, 1, -2, 0, 0, 0);
    /// Molar energy, J/mol.
    pub const MOLAR_ENERGY: Dim = Dim::new(2, 1, -2, 0, 0, -1);
    /// Power, W.
    pub const POWER: Dim = Dim::new(2, 1, -3, 0, 0, 0);
    /// Pressure, Pa.
    pub const PRESSURE: Dim = Dim::new(-1, 1, -2, 0, 0, 0);
    /// Dynamic viscosity, Pa s.
    pub const VISCOSITY: Dim = Dim::new(-1, 1, -1, 0, 0, 0);
    /// Force per length, N/m.
    pub const FORCE_PER_LENGTH: Dim = Dim::new(0, 1, -2, 0, 0, 0);
    /// Force, N.
    pub const FORCE: Dim = Dim::new(1, 1, -2, 0, 0, 0);
    /// Molar mass, kg/mol.
    pub const MOLAR_MASS: Dim = Dim::new(0, 1, 0, 0, 0, -1);
    /// Rate, 1/s.
    pub const RATE: Dim = Dim::new(0, 0, -1, 0, 0, 0);
    /// Volumetric reaction rate, mol/(m^3 s).
    pub const REACTION_RATE: Dim = Dim::new(-3, 0, -1, 0, 0, 1);
}

use dims::*;

/// A parsed quantity: a value in SI units with its dimension. `Display` prints it in SI units,
/// e.g. `"0.025 V"` or `"1.3e-9 m^2/s"`.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Quantity {
    /// Value in SI units (mol/m^3 for `"10 mM"`, K for `"37 degC"`).
    pub value: f64,
    /// Dimension of the value.
    pub dim: Dim,
}

impl fmt::Display for Quantity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match display_unit(self.dim).as_str() {
            "" => write!(f, "{}", fmt_num(self.value)),
            unit => write!(f, "{} {unit}", fmt_num(self.value)),
        }
    }
}

const HINT: &str = "write a number followed by a unit, e.g. \"10 mM\" or \"1.3e-9 m^2/s\"";

/// Why a quantity string was rejected. The messages are complete sentences meant to be shown
/// to users verbatim (callers may prefix the name of the field).
#[derive(Debug, thiserror::Error, Clone, PartialEq)]
pub enum UnitError {
    /// The text is empty or only whitespace.
    #[error("no value was given; {hint}", hint = HINT)]
    Empty,
    /// The text does not start with a number.
    #[error("\"{text}\" does not start with a number; {hint}", hint = HINT)]
    BadNumber {
        /// The text as given (trimmed).
        text: String,
    },
    /// The number is infinite or NaN.
    #[error("\"{text}\" is not a finite number; {hint}", hint = HINT)]
    NonFinite {
        /// The text as given (trimmed).
        text: String,
    },
    /// A unit symbol is not known.
    #[error("{}", unknown_message(.text, .unit, .suggestion))]
    UnknownUnit {
        /// The unknown symbol.
        unit: String,
        /// The text as given (trimmed).
        text: String,
        /// A close known spelling, if there is an obvious one.
        suggestion: Option<String>,
    },
    /// The unit expression is malformed (operators, parentheses, exponents).
    #[error("\"{text}\" has a malformed unit ({reason}); write the value as e.g. \"1.3e-9 m^2/s\" or \"1e-6 mol/(m^2 s)\"")]
    BadSyntax {
        /// The text as given (trimmed).
        text: String,
        /// What is wrong.
        reason: String,
    },
    /// `degC` (an affine scale) was combined with other units or exponents.
    #[error("\"{text}\" combines degC with other units, but degC can only be used alone for an absolute temperature such as \"37 degC\"; use K for temperature differences and rates, e.g. \"0.5 K/s\"")]
    AffineTemperature {
        /// The text as given (trimmed).
        text: String,
    },
    /// A prefix larger than one on the molar unit `M` (`"100 MM"`, `"1 kM"`): a kilomolar
    /// solution would already hold about 20 times more solute than pure water holds water
    /// (55.5 mol/L), so such a prefix is almost always a typo for `m` (milli).
    #[error("\"{text}\" uses the unit \"{unit}\", a multiple of the molar unit M = mol/L, but no solution is denser than about 55.5 M (pure water); did you mean \"mM\", as in \"{}\"?", replace_atom(.text, .unit, "mM"))]
    LargeMolarPrefix {
        /// The text as given (trimmed).
        text: String,
        /// The prefixed unit, e.g. `"MM"`.
        unit: String,
    },
    /// The quantity has another dimension than expected.
    #[error("\"{text}\" is {} but {} is expected here, e.g. \"{}\"", describe(*.got), describe(*.expected), example(*.expected))]
    Mismatch {
        /// The text as given (trimmed).
        text: String,
        /// Dimension of the given quantity.
        got: Dim,
        /// Dimension that was expected.
        expected: Dim,
    },
    /// A bare number was given where a dimensional quantity is expected.
    #[error("{}", missing_message(.text, *.expected))]
    MissingUnit {
        /// The text as given (trimmed).
        text: String,
        /// Dimension that was expected.
        expected: Dim,
    },
}

/// Well-known dimensions: (dimension, SI unit, description, example).
#[rustfmt::skip]
const KNOWN: &[(Dim, &str, &str, &str)] = &[
    (DIMENSIONLESS, "1", "a dimensionless number", "0.5"),
    (LENGTH, "m", "a length", "100 nm"),
    (AREA, "m^2", "an area", "1 cm^2"),
    (VOLUME, "m^3", "a volume", "1 mL"),
    (MASS, "kg", "a mass", "1 g"),
    (AMOUNT, "mol", "an amount of substance", "1 mmol"),
    (TIME, "s", "a time", "0.5 s"),
    (RATE, "s^-1", "a rate", "10 s^-1"),
    (TEMPERATURE, "K", "a temperature", "37 degC"),
    (CONCENTRATION, "mol/m^3", "a concentration", "10 mM"),
    (VOLTAGE, "V", "a voltage", "25 mV"),
    (FIELD, "V/m", "an electric field", "1e4 V/m"),
    (DIFFUSIVITY, "m^2/s", "a diffusion coefficient", "1.3e-9 m^2/s"),
    (MOBILITY, "m^2/(V s)", "an electric mobility", "5e-8 m^2/(V s)"),
    (VELOCITY, "m/s", "a velocity", "1 um/s"),
    (MOLAR_FLUX, "mol/(m^2 s)", "a molar flux", "1e-6 mol/(m^2 s)"),
    (REACTION_RATE, "mol/(m^3 s)", "a reaction rate", "1e-3 mol/(m^3 s)"),
    (CURRENT, "A", "a current", "1 nA"),
    (CURRENT_DENSITY, "A/m^2", "a current density", "10 A/m^2"),
    (CHARGE, "C", "a charge", "1 pC"),
    (SURFACE_CHARGE, "C/m^2", "a surface charge density", "-0.05 C/m^2"),
    (CHARGE_DENSITY, "C/m^3", "a charge density", "100 C/m^3"),
    (MAGNETIC_FIELD, "T", "a magnetic flux density", "0.1 T"),
    (MAGNETIC_FLUX, "Wb", "a magnetic flux", "1 mWb"),
    (RESISTANCE, "Ohm", "a resistance", "10 kOhm"),
    (CONDUCTANCE, "S", "a conductance", "1 nS"),
    (RESISTIVITY, "Ohm m", "a resistivity", "1e-7 Ohm m"),
    (CONDUCTIVITY, "S/m", "a conductivity", "1.5 S/m"),
    (AREA_CONDUCTANCE, "S/m^2", "a conductance per area", "0.3 mS/cm^2"),
    (MOLAR_CONDUCTIVITY, "S m^2/mol", "a molar conductivity", "0.015 S m^2/mol"),
    (CAPACITANCE, "F", "a capacitance", "1 uF"),
    (AREA_CAPACITANCE, "F/m^2", "a capacitance per area", "1 uF/cm^2"),
    (PERMITTIVITY, "F/m", "a permittivity", "7.1e-10 F/m"),
    (ENERGY, "J", "an energy", "1 eV"),
    (MOLAR_ENERGY, "J/mol", "a molar energy", "-20 kJ/mol"),
    (POWER, "W", "a power", "1 mW"),
    (FORCE, "N", "a force", "1 pN"),
    (FORCE_PER_LENGTH, "N/m", "a force per length", "0.072 N/m"),
    (PRESSURE, "Pa", "a pressure", "1 atm"),
    (VISCOSITY, "Pa s", "a dynamic viscosity", "0.89 mPa s"),
    (MOLAR_MASS, "kg/mol", "a molar mass", "58.44 g/mol"),
];

fn known(d: Dim) -> Option<&'static (Dim, &'static str, &'static str, &'static str)> {
    KNOWN.iter().find(|k| k.0 == d)
}

/// Render a dimension as a readable SI unit: the usual name for well-known dimensions
/// (`"mol/m^3"`, `"V"`, `"m^2/s"`, `"mol/(m^2 s)"`, `"Ohm m"`, ...), otherwise the base-unit
/// form such as `"kg m^2 s^-3 A^-1 K"`. The dimensionless dimension renders as `"1"`.
pub fn format_dim(d: Dim) -> String {
    if let Some(k) = known(d) {
        return k.1.to_string();
    }
    let names = ["kg", "m", "s", "A", "K", "mol"];
    let exps = [d.kg, d.m, d.s, d.a, d.k, d.mol];
    let parts: Vec<String> = (names.iter().zip(exps).filter(|&(_, e)| e != 0))
        .map(|(u, e)| format!("{u}^{e}").trim_end_matches("^1").to_string())
        .collect();
    parts.join(" ")
}

/// The SI unit used to print values of dimension `d` (e.g. answers of a calculator): the same
/// as [`format_dim`] except that dimensionless values get an empty unit.
pub fn display_unit(d: Dim) -> String {
    if d.is_dimensionless() {
        String::new()
    } else {
        format_dim(d)
    }
}

/// A short example value for a well-known dimension, such as `"10 mM"` for
/// [`dims::CONCENTRATION`] or `"37 degC"` for [`dims::TEMPERATURE`]; empty for other dimensions.
pub fn example_for(d: Dim) -> &'static str {
    known(d).map_or("", |k| k.3)
}

/// An example that always exists: [`example_for`] or `"1 <SI unit>"`.
fn example(d: Dim) -> String {
    match example_for(d) {
        "" => format!("1 {}", format_dim(d)),
        ex => ex.to_string(),
    }
}

/// "a voltage (V)", "a dimensionless number" or "a quantity in kg m".
fn describe(d: Dim) -> String {
    match known(d) {
        Some(k) if d.is_dimensionless() => k.2.to_string(),
        Some(k) => format!("{} ({})", k.2, k.1),
        None => format!("a quantity in {}", format_dim(d)),
    }
}

fn fmt_num(v: f64) -> String {
    if v == 0.0 || (1e-3..1e6).contains(&v.abs()) {
        format!("{v}")
    } else {
        format!("{v:e}")
    }
}

fn missing_message(text: &str, expected: Dim) -> String {
    let (ex, unit) = (example(expected), format_dim(expected));
    let mut msg = format!(
        "\"{text}\" has no unit but {} is expected here; add a unit, e.g. \"{ex}\"",
        describe(expected)
    );
    if !ex.ends_with(&format!(" {unit}")) {
        if let Ok(q) = parse_quantity(&ex) {
            msg += &format!(" or \"{} {unit}\"", fmt_num(q.value));
        }
    }
    msg
}

fn unknown_message(text: &str, unit: &str, suggestion: &Option<String>) -> String {
    match suggestion {
        Some(s) => format!(
            "\"{text}\" contains the unknown unit \"{unit}\"; did you mean \"{s}\", as in \"{}\"?",
            replace_atom(text, unit, s)
        ),
        None => format!(
            "\"{text}\" contains the unknown unit \"{unit}\"; use SI symbols with optional \
             prefixes such as m, s, mol, M, V, A, C, K or Ohm, e.g. \"10 mM\" or \"1.3e-9 m^2/s\""
        ),
    }
}

/// `text` with the whole-word occurrence of `atom` replaced by `with`.
fn replace_atom(text: &str, atom: &str, with: &str) -> String {
    let is_atom = |c: Option<char>| c.is_some_and(is_atom_char);
    text.match_indices(atom)
        .map(|(i, _)| (&text[..i], &text[i + atom.len()..]))
        .find(|(pre, post)| !is_atom(pre.chars().next_back()) && !is_atom(post.chars().next()))
        .map_or_else(
            || with.to_string(),
            |(pre, post)| format!("{pre}{with}{post}"),
        )
}

/// Parse a quantity such as `"10 mM"`, `"1.3e-9 m^2/s"`, `"mol/(m^2 s)"`-style units or
/// `"37 degC"` to its SI value and dimension. A bare number is dimensionless.
pub fn parse_quantity(text: &str) -> Result<Quantity, UnitError> {
    parse_inner(text).map(|(q, _)| q)
}

/// Parse `text` and check that it has dimension `expected`; returns the SI value.
///
/// A bare number is accepted only when `expected` is dimensionless.
///
/// ```
/// use fluxion::units::{dims, parse_as};
/// let c = parse_as("10 mM", dims::CONCENTRATION).unwrap();
/// assert!((c - 10.0).abs() < 1e-12); // mol/m^3
/// let d = parse_as("1.3e-9 m^2/s", dims::DIFFUSIVITY).unwrap();
/// assert!((d - 1.3e-9).abs() < 1e-21);
/// let err = parse_as("10 mV", dims::CONCENTRATION).unwrap_err();
/// assert_eq!(
///     err.to_string(),
///     r#""10 mV" is a voltage (V) but a concentration (mol/m^3) is expected here, e.g. "10 mM""#
/// );
/// ```
pub fn parse_as(text: &str, expected: Dim) -> Result<f64, UnitError> {
    let (q, has_unit) = parse_inner(text)?;
    let text = text.trim().to_string();
    match q.dim == expected {
        true => Ok(q.value),
        false if has_unit => Err(UnitError::Mismatch {
            text,
            got: q.dim,
            expected,
        }),
        false => Err(UnitError::MissingUnit { text, expected }),
    }
}

/// The longest leading number of `t` (Rust float syntax, no inf/nan) and where it ends.
fn leading_number(t: &str) -> Option<(f64, usize)> {
    let end = t
        .find(|c: char| !"0123456789+-.eE".contains(c))
        .unwrap_or(t.len());
    (1..=end)
        .rev()
        .find_map(|k| Some((t[..k].parse().ok()?, k)))
}

fn parse_inner(text: &str) -> Result<(Quantity, bool), UnitError> {
    let t = text.trim();
    if t.is_empty() {
        return Err(UnitError::Empty);
    }
    let non_finite = || UnitError::NonFinite { text: t.into() };
    let Some((number, end)) = leading_number(t) else {
        let word = t.trim_start_matches(['+', '-']).to_ascii_lowercase();
        if word.starts_with("inf") || word.starts_with("nan") {
            return Err(non_finite());
        }
        return Err(UnitError::BadNumber { text: t.into() });
    };
    let toks = tokenize(t[end..].trim_start()).map_err(|reason| UnitError::BadSyntax {
        text: t.into(),
        reason,
    })?;
    let has_unit = !toks.is_empty();
    let (value, dim) = if !has_unit {
        (number, DIMENSIONLESS)
    } else if toks
        .iter()
        .any(|tok| matches!(tok, Tok::Atom(a) if DEGC.contains(a)))
    {
        if toks.len() != 1 {
            return Err(UnitError::AffineTemperature { text: t.into() });
        }
        (number + 273.15, TEMPERATURE)
    } else {
        let mut p = Parser {
            toks,
            pos: 0,
            text: t,
        };
        let s = p.expr()?;
        if p.pos < p.toks.len() {
            return Err(p.syntax("unmatched \")\""));
        }
        let p10 = 10f64.powi(s.exp10.abs()); // exact up to 1e22
        let v = number * s.factor;
        (if s.exp10 >= 0 { v * p10 } else { v / p10 }, s.dim)
    };
    if !number.is_finite() || !value.is_finite() {
        return Err(non_finite());
    }
    Ok((Quantity { value, dim }, has_unit))
}

const DEGC: [&str; 3] = ["degC", "°C", "℃"];

/// Unit atoms: (symbol, dimension, factor, power of ten, takes SI prefixes).
/// The SI value of one unit is `factor * 10^power`.
#[rustfmt::skip]
const UNITS: &[(&str, Dim, f64, i32, bool)] = &[
    ("m", LENGTH, 1.0, 0, true), ("g", MASS, 1.0, -3, true), ("s", TIME, 1.0, 0, true),
    ("A", CURRENT, 1.0, 0, true), ("K", TEMPERATURE, 1.0, 0, true), ("mol", AMOUNT, 1.0, 0, true),
    ("L", VOLUME, 1.0, -3, true), ("l", VOLUME, 1.0, -3, true), ("M", CONCENTRATION, 1.0, 3, true),
    ("V", VOLTAGE, 1.0, 0, true), ("C", CHARGE, 1.0, 0, true), ("F", CAPACITANCE, 1.0, 0, true),
    ("Ohm", RESISTANCE, 1.0, 0, true), ("ohm", RESISTANCE, 1.0, 0, true),
    ("Ω", RESISTANCE, 1.0, 0, true), ("\u{2126}", RESISTANCE, 1.0, 0, true),
    ("S", CONDUCTANCE, 1.0, 0, true), ("T", MAGNETIC_FIELD, 1.0, 0, true),
    ("Wb", MAGNETIC_FLUX, 1.0, 0, true), ("J", ENERGY, 1.0, 0, true), ("W", POWER, 1.0, 0, true),
    ("N", FORCE, 1.0, 0, true), ("Pa", PRESSURE, 1.0, 0, true), ("bar", PRESSURE, 1.0, 5, true),
    ("atm", PRESSURE, 101325.0, 0, false), ("Hz", RATE, 1.0, 0, true),
    ("eV", ENERGY, 1.602176634, -19, true), ("min", TIME, 60.0, 0, false),
    ("h", TIME, 3600.0, 0, false), ("Å", LENGTH, 1.0, -10, false),
    ("\u{212B}", LENGTH, 1.0, -10, false), ("angstrom", LENGTH, 1.0, -10, false),
    ("meter", LENGTH, 1.0, 0, false), ("metre", LENGTH, 1.0, 0, false),
    ("meters", LENGTH, 1.0, 0, false), ("metres", LENGTH, 1.0, 0, false),
    ("second", TIME, 1.0, 0, false), ("seconds", TIME, 1.0, 0, false), ("sec", TIME, 1.0, 0, false),
    ("molar", CONCENTRATION, 1.0, 3, false), ("liter", VOLUME, 1.0, -3, false),
    ("litre", VOLUME, 1.0, -3, false),
];

/// SI prefixes, most common first (the order suggestions prefer).
#[rustfmt::skip]
const PREFIXES: &[(&str, i32)] = &[
    ("m", -3), ("u", -6), ("µ", -6), ("μ", -6), ("n", -9), ("k", 3), ("p", -12), ("M", 6),
    ("G", 9), ("c", -2), ("d", -1), ("da", 1), ("h", 2), ("f", -15), ("a", -18), ("T", 12),
    ("P", 15), ("E", 18), ("Z", 21), ("Y", 24), ("z", -21), ("y", -24),
];

/// Common misspellings and the symbol to suggest.
#[rustfmt::skip]
const ALIASES: &[(&str, &str)] = &[
    ("hr", "h"), ("hrs", "h"), ("hour", "h"), ("hours", "h"), ("mins", "min"), ("minute", "min"),
    ("minutes", "min"), ("secs", "s"), ("msec", "ms"), ("kelvin", "K"), ("celsius", "degC"),
    ("oC", "degC"), ("deg", "degC"), ("micron", "um"), ("microns", "um"), ("mole", "mol"),
    ("moles", "mol"), ("ohms", "Ohm"), ("amp", "A"), ("amps", "A"), ("volt", "V"), ("volts", "V"),
    ("millimolar", "mM"), ("micromolar", "uM"), ("gram", "g"), ("grams", "g"), ("liters", "L"),
    ("litres", "L"), ("pascal", "Pa"), ("tesla", "T"), ("siemens", "S"), ("coulomb", "C"),
];

#[derive(Clone, Copy, Debug)]
struct Scale {
    dim: Dim,
    factor: f64,
    exp10: i32,
}

const ONE: Scale = Scale {
    dim: DIMENSIONLESS,
    factor: 1.0,
    exp10: 0,
};

/// Resolve a unit atom: exact symbol first, then SI prefix + prefixable symbol.
fn resolve(atom: &str) -> Option<Scale> {
    let find = |s: &str| UNITS.iter().find(|u| u.0 == s);
    if let Some(&(_, dim, factor, exp10, _)) = find(atom) {
        return Some(Scale { dim, factor, exp10 });
    }
    PREFIXES.iter().find_map(|&(p, e)| {
        let &(_, dim, factor, exp10, _) = find(atom.strip_prefix(p)?).filter(|u| u.4)?;
        if dim == CONCENTRATION && e > 0 {
            // Multiples of the molar unit are refused (see `UnitError::LargeMolarPrefix`).
            return None;
        }
        Some(Scale {
            dim,
            factor,
            exp10: exp10 + e,
        })
    })
}

/// `kM`, `MM`, `GM`, ...: the molar unit with a prefix larger than one.
fn is_large_molar(atom: &str) -> bool {
    PREFIXES
        .iter()
        .any(|&(p, e)| e > 0 && atom.strip_prefix(p) == Some("M"))
}

/// A close known spelling for an unknown atom: an alias, a case fix, or a split into two units.
fn suggest(atom: &str) -> Option<String> {
    if let Some((_, s)) = ALIASES.iter().find(|(a, _)| a.eq_ignore_ascii_case(atom)) {
        return Some(s.to_string());
    }
    let (lower, letters) = (atom.to_lowercase(), atom.chars().count());
    let plain = DEGC
        .iter()
        .chain(UNITS.iter().map(|u| &u.0))
        .map(|s| s.to_string());
    let prefixed = PREFIXES.iter().flat_map(|(p, _)| {
        let units = UNITS.iter().filter(|u| u.4);
        units.map(move |u| format!("{p}{}", u.0))
    });
    // A case fix keeping most of the given case ("UM" -> "uM"); none for single letters, so
    // that "G" (gauss?) does not become "g".
    let fixes = plain
        .chain(prefixed)
        .filter(|s| letters > 1 && s.to_lowercase() == lower);
    let same_case = |s: &String| s.chars().zip(atom.chars()).filter(|(a, b)| a == b).count();
    if let Some(s) = fixes.rev().max_by_key(same_case) {
        return Some(s);
    }
    atom.char_indices().skip(1).find_map(|(i, _)| {
        let (a, b) = atom.split_at(i);
        (resolve(a).is_some() && resolve(b).is_some()).then(|| format!("{a} {b}"))
    })
}

#[derive(Clone, Copy, Debug, PartialEq)]
enum Tok<'a> {
    Atom(&'a str),
    /// A bare `1`, as in `1/s`.
    One,
    Pow(i32),
    Mul,
    Div,
    Open,
    Close,
}

fn is_atom_char(c: char) -> bool {
    c.is_alphabetic() || c == '°' || c == '℃'
}

#[rustfmt::skip]
const SUPERSCRIPTS: [(char, char); 12] = [
    ('⁰', '0'), ('¹', '1'), ('²', '2'), ('³', '3'), ('⁴', '4'), ('⁵', '5'),
    ('⁶', '6'), ('⁷', '7'), ('⁸', '8'), ('⁹', '9'), ('⁻', '-'), ('⁺', '+'),
];

fn superscript(c: char) -> Option<char> {
    SUPERSCRIPTS.iter().find(|s| s.0 == c).map(|s| s.1)
}

/// A leading (signed) integer exponent of `s` and the rest of `s`.
fn exponent(s: &str) -> Result<(i32, &str), String> {
    let sign = usize::from(s.starts_with(['+', '-']));
    let end = s[sign..]
        .find(|c: char| !c.is_ascii_digit())
        .map_or(s.len(), |e| e + sign);
    let n: i8 = s[..end]
        .parse()
        .map_err(|_| "expected a small integer exponent such as 2 or -1")?;
    Ok((n.into(), &s[end..]))
}

fn tokenize(u: &str) -> Result<Vec<Tok<'_>>, String> {
    let mut toks = Vec::new();
    let mut rest = u;
    while let Some(c) = rest.chars().next() {
        let after = &rest[c.len_utf8()..];
        let (tok, next) = match c {
            _ if c.is_whitespace() => (None, after),
            '*' if after.starts_with('*') => {
                exponent(&after[1..]).map(|(n, r)| (Some(Tok::Pow(n)), r))?
            }
            '^' => exponent(after).map(|(n, r)| (Some(Tok::Pow(n)), r))?,
            '*' | '·' | '⋅' => (Some(Tok::Mul), after),
            '/' => (Some(Tok::Div), after),
            '(' => (Some(Tok::Open), after),
            ')' => (Some(Tok::Close), after),
            _ if superscript(c).is_some() => {
                let end = rest
                    .find(|c| superscript(c).is_none())
                    .unwrap_or(rest.len());
                let ascii: String = rest[..end].chars().filter_map(superscript).collect();
                match exponent(&ascii)? {
                    (n, "") => (Some(Tok::Pow(n)), &rest[end..]),
                    _ => return Err(format!("bad exponent \"{}\"", &rest[..end])),
                }
            }
            _ if is_atom_char(c) => {
                let end = rest.find(|c| !is_atom_char(c)).unwrap_or(rest.len());
                toks.push(Tok::Atom(&rest[..end]));
                let r = &rest[end..];
                match r
                    .trim_start_matches('-')
                    .starts_with(|c: char| c.is_ascii_digit())
                {
                    true => exponent(r).map(|(n, r)| (Some(Tok::Pow(n)), r))?,
                    false => (None, r),
                }
            }
            '1' if !after.starts_with(|c: char| c.is_ascii_digit()) => (Some(Tok::One), after),
            ',' => return Err("unexpected \",\"; use \".\" as the decimal separator".into()),
            _ => return Err(format!("unexpected \"{c}\"")),
        };
        toks.extend(tok);
        rest = next;
    }
    Ok(toks)
}

const AMBIGUOUS: &str =
    "a product after \"/\" is ambiguous; put the denominator in parentheses as in \"mol/(m^2 s)\"";

struct Parser<'a> {
    toks: Vec<Tok<'a>>,
    pos: usize,
    text: &'a str,
}

impl<'a> Parser<'a> {
    fn syntax(&self, reason: &str) -> UnitError {
        UnitError::BadSyntax {
            text: self.text.into(),
            reason: reason.into(),
        }
    }

    fn peek(&self) -> Option<Tok<'a>> {
        self.toks.get(self.pos).copied()
    }

    fn next(&mut self) -> Option<Tok<'a>> {
        self.pos += 1;
        self.toks.get(self.pos - 1).copied()
    }

    /// `a * b^n`.
    fn combine(&self, a: Scale, b: Scale, n: i32) -> Result<Scale, UnitError> {
        let dim = a.dim.mul_pow(b.dim, n);
        let exp10 = b.exp10.checked_mul(n).and_then(|e| e.checked_add(a.exp10));
        match (dim, exp10) {
            (Some(dim), Some(exp10)) => Ok(Scale {
                dim,
                factor: a.factor * b.factor.powi(n),
                exp10,
            }),
            _ => Err(self.syntax("an exponent is too large")),
        }
    }

    /// Products and quotients up to the end or a closing parenthesis.
    fn expr(&mut self) -> Result<Scale, UnitError> {
        let (mut acc, mut divided) = (ONE, false);
        loop {
            match self.peek() {
                None | Some(Tok::Close) => return Ok(acc),
                Some(Tok::Div) => {
                    self.pos += 1;
                    let f = self.factor()?;
                    acc = self.combine(acc, f, -1)?;
                    divided = true;
                }
                Some(Tok::Pow(_)) => return Err(self.syntax("an exponent must follow a unit")),
                Some(tok) => {
                    if divided {
                        return Err(self.syntax(AMBIGUOUS));
                    }
                    self.pos += usize::from(tok == Tok::Mul);
                    let f = self.factor()?;
                    acc = self.combine(acc, f, 1)?;
                }
            }
        }
    }

    /// A unit symbol or a parenthesized expression, with an optional exponent.
    fn factor(&mut self) -> Result<Scale, UnitError> {
        let base = match self.next() {
            Some(Tok::Atom(a)) => resolve(a).ok_or_else(|| {
                if is_large_molar(a) {
                    UnitError::LargeMolarPrefix {
                        text: self.text.into(),
                        unit: a.into(),
                    }
                } else {
                    UnitError::UnknownUnit {
                        unit: a.into(),
                        text: self.text.into(),
                        suggestion: suggest(a),
                    }
                }
            })?,
            Some(Tok::One) if self.peek() == Some(Tok::Div) => ONE,
            Some(Tok::One) => {
                return Err(self.syntax("a bare number is only allowed as in \"1/s\""))
            }
            Some(Tok::Open) => {
                let inner = self.expr()?;
                if self.next() != Some(Tok::Close) {
                    return Err(self.syntax("missing \")\""));
                }
                inner
            }
            Some(Tok::Close) => return Err(self.syntax("unmatched \")\"")),
            Some(Tok::Pow(_)) => return Err(self.syntax("an exponent must follow a unit")),
            _ => return Err(self.syntax("a unit is missing after an operator")),
        };
        match self.peek() {
            Some(Tok::Pow(n)) => {
                self.pos += 1;
                self.combine(ONE, base, n)
            }
            _ => Ok(base),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn q(text: &str) -> Quantity {
        parse_quantity(text).unwrap_or_else(|e| panic!("{text}: {e}"))
    }

    #[track_caller]
    fn close(text: &str, value: f64, dim: Dim) {
        let got = q(text);
        assert_eq!(got.dim, dim, "{text}");
        let rel = (got.value - value).abs() / value.abs().max(f64::MIN_POSITIVE);
        assert!(rel <= 1e-12, "{text}: {} != {value}", got.value);
    }

    fn err(text: &str) -> UnitError {
        parse_quantity(text).unwrap_err()
    }

    const EV: f64 = 1.602176634e-19;

    #[rustfmt::skip]
    const CASES: &[(&str, f64, Dim)] = &[
        ("1e-9", 1e-9, DIMENSIONLESS), ("-60", -60.0, DIMENSIONLESS), (".5", 0.5, DIMENSIONLESS),
        ("+3", 3.0, DIMENSIONLESS), (" 2. ", 2.0, DIMENSIONLESS), ("1E3", 1e3, DIMENSIONLESS),
        ("0", 0.0, DIMENSIONLESS), ("2 m/mm", 2e3, DIMENSIONLESS),
        // compound units
        ("1.33e-9 m^2/s", 1.33e-9, DIFFUSIVITY), ("1.33e-9 m2/s", 1.33e-9, DIFFUSIVITY),
        ("1.33e-9 m**2/s", 1.33e-9, DIFFUSIVITY), ("1.33e-9 m²/s", 1.33e-9, DIFFUSIVITY),
        ("1.33e-9m^2 s^-1", 1.33e-9, DIFFUSIVITY), ("2 mol/(m^2 s)", 2.0, MOLAR_FLUX),
        ("2 mol m^-2 s^-1", 2.0, MOLAR_FLUX), ("2 mol/m^2/s", 2.0, MOLAR_FLUX),
        ("2 mol m-2 s-1", 2.0, MOLAR_FLUX), ("2 mol·m⁻²·s⁻¹", 2.0, MOLAR_FLUX),
        ("2 mol*m^-2*s^-1", 2.0, MOLAR_FLUX), ("3 kg*m/s^2", 3.0, FORCE),
        ("1e4 V/m", 1e4, FIELD), ("10 A/m^2", 10.0, CURRENT_DENSITY),
        ("-0.05 C/m^2", -0.05, SURFACE_CHARGE), ("5 uC/cm^2", 0.05, SURFACE_CHARGE),
        ("5 µC/cm²", 0.05, SURFACE_CHARGE), ("1 Ohm m", 1.0, RESISTIVITY),
        ("1e-7 Ω·m", 1e-7, RESISTIVITY), ("1e-7 ohm m", 1e-7, RESISTIVITY),
        ("1.5 S/m", 1.5, CONDUCTIVITY), ("5e-8 m^2/(V s)", 5e-8, MOBILITY),
        ("10 1/s", 10.0, RATE), ("10 /s", 10.0, RATE), ("10 Hz", 10.0, RATE),
        ("2 (mm/s)^2", 2e-6, Dim::new(2, 0, -2, 0, 0, 0)), ("1 uF/cm^2", 0.01, AREA_CAPACITANCE),
        ("-20 kJ/mol", -2e4, MOLAR_ENERGY), ("0.89 mPa s", 8.9e-4, VISCOSITY),
        ("8.314 J/(mol K)", 8.314, Dim::new(2, 1, -2, 0, -1, -1)), ("1 um/s", 1e-6, VELOCITY),
        // atoms
        ("25 mV", 0.025, VOLTAGE), ("2 mT", 2e-3, MAGNETIC_FIELD), ("1 atm", 101325.0, PRESSURE),
        ("1 bar", 1e5, PRESSURE), ("2 mbar", 200.0, PRESSURE), ("1 eV", EV, ENERGY),
        ("2 meV", 2e-3 * EV, ENERGY), ("2 min", 120.0, TIME), ("1 h", 3600.0, TIME),
        ("5 ms", 5e-3, TIME), ("3 Å", 3e-10, LENGTH), ("3 angstrom", 3e-10, LENGTH),
        ("1 L", 1e-3, VOLUME), ("1 kg", 1.0, MASS), ("1 g", 1e-3, MASS), ("1 F", 1.0, CAPACITANCE),
        ("1 Wb", 1.0, MAGNETIC_FLUX), ("1 W", 1.0, POWER), ("1 N", 1.0, FORCE),
        ("1 mK", 1e-3, TEMPERATURE), ("4.7 kOhm", 4.7e3, RESISTANCE), ("1 MΩ", 1e6, RESISTANCE),
        ("1 mS", 1e-3, CONDUCTANCE), ("1 metre", 1.0, LENGTH), ("1 sec", 1.0, TIME),
        ("1 um", 1e-6, LENGTH), ("1 µm", 1e-6, LENGTH), ("1 μm", 1e-6, LENGTH),
        ("1e6 pm", 1e-6, LENGTH), ("1 dam", 10.0, LENGTH), ("1 Mm", 1e6, LENGTH),
        // concentrations: case matters
        ("1 mM", 1.0, CONCENTRATION), ("1 mol/m^3", 1.0, CONCENTRATION),
        ("1e-3 M", 1.0, CONCENTRATION), ("1 mmol/L", 1.0, CONCENTRATION),
        ("1 umol/mL", 1.0, CONCENTRATION), ("1e-3 mol/l", 1.0, CONCENTRATION),
        ("1000 uM", 1.0, CONCENTRATION), ("10mM", 10.0, CONCENTRATION),
        ("1 M", 1e3, CONCENTRATION), ("1 molar", 1e3, CONCENTRATION),
        // temperatures
        ("37 degC", 310.15, TEMPERATURE), ("37 °C", 310.15, TEMPERATURE),
        ("37degC", 310.15, TEMPERATURE), ("310.15 K", 310.15, TEMPERATURE),
    ];

    #[test]
    fn parses_values_to_si() {
        for &(text, value, dim) in CASES {
            close(text, value, dim);
        }
        assert!(q("-273.15 degC").value.abs() < 1e-12);
        for &(p, e) in PREFIXES {
            for (unit, dim) in [
                ("m", LENGTH),
                ("V", VOLTAGE),
                ("Pa", PRESSURE),
                ("mol", AMOUNT),
            ] {
                close(&format!("1 {p}{unit}"), 10f64.powi(e), dim);
            }
        }
    }

    #[test]
    fn parse_as_checks_dimensions() {
        assert_eq!(parse_as("10 mM", CONCENTRATION), Ok(10.0));
        assert_eq!(parse_as("0.5", DIMENSIONLESS), Ok(0.5));
        let e = parse_as(" 10 mV ", CONCENTRATION).unwrap_err();
        let (text, got, expected) = ("10 mV".into(), VOLTAGE, CONCENTRATION);
        assert_eq!(
            e,
            UnitError::Mismatch {
                text,
                got,
                expected
            }
        );
        let e = parse_as("10", CONCENTRATION).unwrap_err();
        assert_eq!(
            e,
            UnitError::MissingUnit {
                text: "10".into(),
                expected
            }
        );
        let messages = [
            ("10", CONCENTRATION, "\"10\" has no unit but a concentration (mol/m^3) is expected here; add a unit, e.g. \"10 mM\" or \"10 mol/m^3\""),
            ("25", VOLTAGE, "\"25\" has no unit but a voltage (V) is expected here; add a unit, e.g. \"25 mV\" or \"0.025 V\""),
            ("1e-9", DIFFUSIVITY, "\"1e-9\" has no unit but a diffusion coefficient (m^2/s) is expected here; add a unit, e.g. \"1.3e-9 m^2/s\""),
            ("37 C", TEMPERATURE, "\"37 C\" is a charge (C) but a temperature (K) is expected here, e.g. \"37 degC\""),
            ("3 kg m", DIMENSIONLESS, "\"3 kg m\" is a quantity in kg m but a dimensionless number is expected here, e.g. \"0.5\""),
            ("3 m", Dim::new(1, 1, 0, 0, 0, 0), "\"3 m\" is a length (m) but a quantity in kg m is expected here, e.g. \"1 kg m\""),
        ];
        for (text, dim, msg) in messages {
            assert_eq!(parse_as(text, dim).unwrap_err().to_string(), msg);
        }
    }

    #[test]
    fn rejects_bad_input() {
        assert_eq!(err(""), UnitError::Empty);
        assert_eq!(err("  "), UnitError::Empty);
        for t in ["abc", "mM", "- 5", "."] {
            assert_eq!(err(t), UnitError::BadNumber { text: t.into() });
        }
        for t in ["inf", "-inf", "NaN", "infinity mM", "1e999", "1e300 Ym^3"] {
            assert_eq!(err(t), UnitError::NonFinite { text: t.into() }, "{t}");
        }
        for t in ["1 degC/s", "1 degC m", "1 degC^2", "1 K/degC", "1 (°C)"] {
            assert_eq!(err(t), UnitError::AffineTemperature { text: t.into() });
        }
        #[rustfmt::skip]
        let unknown = [("5 foo", "foo", None), ("5 G", "G", None), ("5 mv", "mv", Some("mV")),
            ("1 MOL/L", "MOL", Some("mol")), ("5 UM", "UM", Some("uM")), ("1 Pas", "Pas", Some("Pa s")),
            ("2 hr", "hr", Some("h")), ("37 degc", "degc", Some("degC"))];
        for (text, unit, s) in unknown {
            let (text, unit, suggestion): (String, String, _) =
                (text.into(), unit.into(), s.map(String::from));
            assert_eq!(
                err(&text),
                UnitError::UnknownUnit {
                    unit,
                    text,
                    suggestion
                }
            );
        }
        #[rustfmt::skip]
        let syntax = [("1 m^", "integer exponent"), ("1 m^x", "integer exponent"),
            ("1 m^999", "integer exponent"), ("1 mol/(m^2 s", "missing \")\""), ("1 m)", "unmatched"),
            ("1 m^2/V s", "ambiguous"), ("1 mol/m^2*s", "ambiguous"), ("1 m 2", "unexpected \"2\""),
            ("1 m 1", "bare number"), ("1,5 m", "decimal separator"), ("1 m^2^3", "must follow"),
            ("1 m/", "missing"), ("1 (m^100)^100", "too large"), ("1 m # x", "unexpected \"#\"")];
        for (text, reason) in syntax {
            match err(text) {
                UnitError::BadSyntax { reason: r, .. } => {
                    assert!(r.contains(reason), "{text}: {r}")
                }
                e => panic!("{text}: {e:?}"),
            }
        }
    }

    /// Issue #8: "100 MM" parsed as 100 megamolar (1e8 mol/m^3) and was solved. No solution
    /// is denser than pure water (55.5 mol/L), so multiples of M are refused with a hint.
    #[test]
    fn megamolar_100_mm_is_refused_with_a_did_you_mean_mm_hint() {
        for (t, unit) in [
            ("100 MM", "MM"),
            ("1 kM", "kM"),
            ("2 GM", "GM"),
            ("3 daM", "daM"),
        ] {
            let e = parse_as(t, CONCENTRATION).unwrap_err();
            assert_eq!(
                e,
                UnitError::LargeMolarPrefix {
                    text: t.into(),
                    unit: unit.into()
                }
            );
            let m = e.to_string();
            assert!(m.contains("did you mean \"mM\""), "{m}");
            assert!(m.contains("55.5 M"), "{m}");
        }
        assert!(parse_as("100 MM", CONCENTRATION)
            .unwrap_err()
            .to_string()
            .ends_with("as in \"100 mM\"?"));
        // Sub-unit prefixes and other units with large prefixes still work.
        close("100 mM", 100.0, CONCENTRATION);
        close("5 nM", 5e-6, CONCENTRATION);
        close("2 MV", 2e6, VOLTAGE);
        close("1 kmol/m^3", 1e3, CONCENTRATION);
    }

    #[test]
    fn messages_name_the_text_and_show_an_example() {
        let msg = |t: &str| parse_as(t, CONCENTRATION).unwrap_err().to_string();
        for t in [
            "abc", "inf", "5 foo", "5 mv", "1 m^", "1 degC/s", "10 mV", "10",
        ] {
            let m = msg(t);
            assert!(m.contains(&format!("\"{t}\"")), "{m}");
            assert!(m.contains("e.g. \"") || m.contains("as in \""), "{m}");
            assert!(!m.contains("text") && !m.contains("expected:"), "{m}");
        }
        assert!(msg("").contains("e.g. \"10 mM\""));
        assert!(msg("1 degC/s").contains("use K for temperature differences"));
        assert!(msg("5 m/mv").ends_with("did you mean \"mV\", as in \"5 m/mV\"?"));
        assert!(msg("1 m^2/V s").contains("parentheses as in \"mol/(m^2 s)\""));
    }

    #[test]
    fn known_dimensions_are_consistent() {
        for (i, &(d, unit, _, ex)) in KNOWN.iter().enumerate() {
            assert!(KNOWN[..i].iter().all(|k| k.0 != d), "duplicate {unit}");
            assert_eq!((q(ex).dim, example_for(d)), (d, ex), "{ex}");
            if !d.is_dimensionless() {
                close(&format!("1 {unit}"), 1.0, d);
                assert_eq!(display_unit(d), unit);
            }
        }
        assert_eq!(
            (format_dim(DIMENSIONLESS), display_unit(DIMENSIONLESS)),
            ("1".into(), "".into())
        );
        assert_eq!(format_dim(MOLAR_FLUX), "mol/(m^2 s)");
        assert_eq!(
            format_dim(Dim::new(2, 1, -3, -1, 1, 0)),
            "kg m^2 s^-3 A^-1 K"
        );
        assert_eq!(example_for(Dim::new(1, 1, 0, 0, 0, 0)), "");
        assert_eq!(
            (q("25 mV").to_string(), q("0.5").to_string()),
            ("0.025 V".into(), "0.5".into())
        );
        assert_eq!(q("1.3e-9 m^2/s").to_string(), "1.3e-9 m^2/s");
        assert_eq!((VOLTAGE / LENGTH, CHARGE * RATE), (FIELD, CURRENT));
    }
}
