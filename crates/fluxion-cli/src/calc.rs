//! `fluxion calc`: evaluate a closed-form law from the command line.

use fluxion::laws::catalog::{self, Evaluation, Kind, Law};
use fluxion::units::{dims, display_unit, format_dim, Dim};
use serde_json::{json, Map, Value};

use crate::Failure;

/// Arguments of `fluxion calc` (help flags are handled here so that `LAW --help` describes
/// the law).
#[derive(clap::Args)]
#[command(disable_help_flag = true)]
pub struct CalcArgs {
    /// Law to evaluate (see --list), e.g. nernst, ghk-potential, debye-length, flux-flow.
    pub law: Option<String>,
    /// Parameters as name=value with units, e.g. z=1 c_out=5mM c_in=140mM T=37degC.
    /// Lists are comma-separated: z=1,1,-1 c_in=400,50,52mM. Bare numbers are SI.
    #[arg(trailing_var_arg = true, allow_hyphen_values = true)]
    pub args: Vec<String>,
    /// List every law with a one-line description.
    #[arg(long)]
    pub list: bool,
    /// Print the result as JSON (SI values with unit names).
    #[arg(long)]
    pub json: bool,
    /// Describe the law (equation, parameters, units, defaults, reference).
    #[arg(short = 'h', long = "help")]
    pub help: bool,
}

pub const ABOUT: &str = "Evaluate a closed-form law (Nernst, GHK, Debye, Grahame, Henderson, Cottrell, Bardeen-Stephen, ...) with units";

pub fn command(mut a: CalcArgs) -> Result<(), Failure> {
    // Flags written after the parameters land in `args`; take them out.
    a.args.retain(|s| match s.as_str() {
        "--json" => {
            a.json = true;
            false
        }
        "--help" | "-h" => {
            a.help = true;
            false
        }
        "--list" => {
            a.list = true;
            false
        }
        _ => true,
    });
    if a.list {
        print!("{}", list());
        return Ok(());
    }
    let Some(name) = a.law else {
        if a.help {
            let mut cmd = <crate::Cli as clap::CommandFactory>::command();
            if let Some(sub) = cmd.find_subcommand_mut("calc") {
                let _ = sub.print_long_help();
            }
        } else {
            print!("{}", list());
        }
        return Ok(());
    };
    let law = catalog::find(&name).map_err(input)?;
    if a.help {
        print!("{}", describe(law));
        return Ok(());
    }
    let mut pairs = vec![];
    for arg in &a.args {
        let (k, v) = arg.split_once('=').ok_or_else(|| {
            input(catalog::CalcError::Syntax {
                arg: arg.to_string(),
            })
        })?;
        pairs.push((k.trim(), v.trim()));
    }
    let eval = catalog::evaluate(law, &pairs).map_err(input)?;
    if a.json {
        println!(
            "{}",
            serde_json::to_string_pretty(&to_json(law, &eval)).expect("JSON of numbers")
        );
    } else {
        print!("{}", human(law, &eval));
    }
    Ok(())
}

fn input(e: catalog::CalcError) -> Failure {
    Failure::Input(format!("error: {e}\n"))
}

fn list() -> String {
    let mut s = String::from("Laws (fluxion calc LAW --help describes one):\n");
    let mut category = "";
    for l in catalog::laws() {
        if l.category != category {
            category = l.category;
            s += &format!("\n{category}:\n");
        }
        s += &format!("  {:<24} {}\n", l.name, l.summary);
    }
    s += "\nExample: fluxion calc nernst z=1 c_out=5mM c_in=140mM T=37degC\n";
    s
}

fn unit_name(d: Dim) -> String {
    match display_unit(d).as_str() {
        "" => "dimensionless".to_string(),
        u => u.to_string(),
    }
}

fn describe(l: &Law) -> String {
    let mut s = format!("{} - {}\n\n  {}\n\n", l.name, l.summary, l.equation);
    s += &format!("{}\nReference: {}\n\nParameters:\n", l.notes, l.reference);
    let w = l.params.iter().map(|p| p.name.len()).max().unwrap_or(0);
    for p in l.params {
        let unit = match p.kind {
            Kind::Scalar => unit_name(p.dim),
            Kind::List => format!("list of {}", unit_name(p.dim)),
        };
        let extra = match (p.default, p.optional) {
            (Some(d), _) => format!(" [default {d}]"),
            (None, true) => " [optional]".to_string(),
            _ => String::new(),
        };
        s += &format!("  {:<w$}  {} ({unit}){extra}\n", p.name, p.help);
    }
    if l.params.is_empty() {
        s += "  (none)\n";
    }
    s += "\nOutputs:\n";
    for (name, dim, help) in l.outputs {
        s += &format!("  {name}: {help} ({})\n", unit_name(*dim));
    }
    s += &format!(
        "\nUsage: fluxion calc {} name=value ... [--json]\nValues take units (140mM, 37degC, -60mV, 1.3e-9m^2/s); bare numbers are SI.\n",
        l.name
    );
    s
}

/// `v` with `n` significant digits, trailing zeros removed.
fn sig(v: f64, n: usize) -> String {
    if v == 0.0 || !v.is_finite() {
        return format!("{v}");
    }
    let mag = v.abs().log10().floor() as i32;
    if !(-4..6).contains(&mag) {
        let s = format!("{:.*e}", n - 1, v);
        let (m, e) = s.split_once('e').unwrap_or((&s, "0"));
        let m = if m.contains('.') {
            m.trim_end_matches('0').trim_end_matches('.')
        } else {
            m
        };
        return format!("{m}e{e}");
    }
    let decimals = (n as i32 - 1 - mag).max(0) as usize;
    let s = format!("{v:.decimals$}");
    if s.contains('.') {
        s.trim_end_matches('0').trim_end_matches('.').to_string()
    } else {
        s
    }
}

/// A value in a convenient unit: SI prefixes for simple units, mM for concentrations.
fn pretty(v: f64, d: Dim) -> String {
    let simple = [
        (dims::VOLTAGE, "V"),
        (dims::LENGTH, "m"),
        (dims::TIME, "s"),
        (dims::CURRENT, "A"),
        (dims::MAGNETIC_FIELD, "T"),
        (dims::MAGNETIC_FLUX, "Wb"),
        (dims::FORCE, "N"),
        (dims::CHARGE, "C"),
    ];
    if let Some((_, u)) = simple.iter().find(|(sd, _)| *sd == d) {
        let e3 = (v.abs().log10() / 3.0).floor() as i32 * 3;
        if v != 0.0 && v.is_finite() && !(-18..=12).contains(&e3) {
            // Beyond the prefixes (no "TT" for 3e24 T): the SI unit with an exponent.
            return format!("{} {u}", sig(v, 6));
        }
        if v != 0.0 && v.is_finite() {
            let mut e3 = e3;
            // Molecular lengths read better in nm than in pm (0.961 nm, not 961 pm).
            if d == dims::LENGTH && e3 == -12 && v.abs() >= 1e-10 {
                e3 = -9;
            }
            let prefix = match e3 {
                -18 => "a",
                -15 => "f",
                -12 => "p",
                -9 => "n",
                -6 => "u",
                -3 => "m",
                3 => "k",
                6 => "M",
                9 => "G",
                12 => "T",
                _ => "",
            };
            return format!("{} {prefix}{u}", sig(v / 10f64.powi(e3), 6));
        }
    }
    if d == dims::CONCENTRATION {
        return format!("{} mM", sig(v, 6));
    }
    match display_unit(d).as_str() {
        "" => sig(v, 6),
        u => format!("{} {u}", sig(v, 6)),
    }
}

fn human(l: &Law, e: &Evaluation) -> String {
    let mut s = format!("{}: {}\n  {}\n", l.name, l.summary, l.equation);
    if !e.inputs.is_empty() {
        s += "inputs:\n";
    }
    let w = e.inputs.iter().map(|i| i.0.len()).max().unwrap_or(0);
    for (name, values, dim) in &e.inputs {
        let v: Vec<String> = values.iter().map(|v| pretty(*v, *dim)).collect();
        s += &format!("  {name:<w$} = {}\n", v.join(", "));
    }
    s += "result:\n";
    let w = e.outputs.iter().map(|o| o.name.len()).max().unwrap_or(0);
    for o in &e.outputs {
        s += &format!(
            "  {:<w$} = {:<22} {}\n",
            o.name,
            pretty(o.value, o.dim),
            o.help
        );
    }
    for name in &e.undefined {
        let help = l
            .outputs
            .iter()
            .find(|(n, _, _)| name.starts_with(n.trim_end_matches("[]")))
            .map_or("", |o| o.2);
        s += &format!(
            "  {name:<w$} = {:<22} {help} (undefined for these inputs)\n",
            "undefined"
        );
    }
    s
}

fn to_json(l: &Law, e: &Evaluation) -> Value {
    let mut inputs = Map::new();
    for (name, values, dim) in &e.inputs {
        let value = if values.len() == 1
            && l.params
                .iter()
                .any(|p| p.name == *name && p.kind == Kind::Scalar)
        {
            json!(values[0])
        } else {
            json!(values)
        };
        inputs.insert(
            name.to_string(),
            json!({"value": value, "unit": format_dim(*dim)}),
        );
    }
    let mut outputs = Map::new();
    for o in &e.outputs {
        outputs.insert(
            o.name.clone(),
            json!({"value": o.value, "unit": format_dim(o.dim), "description": o.help}),
        );
    }
    for name in &e.undefined {
        outputs.insert(name.clone(), json!({"value": null, "undefined": true}));
    }
    json!({
        "law": l.name,
        "equation": l.equation,
        "reference": l.reference,
        "inputs": inputs,
        "outputs": outputs,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn significant_digits_and_prefixes() {
        assert_eq!(sig(-89.05534, 6), "-89.0553");
        assert_eq!(sig(1.0, 6), "1");
        assert_eq!(sig(1.234567e-9, 4), "1.235e-9");
        assert_eq!(pretty(-0.0890553, dims::VOLTAGE), "-89.0553 mV");
        assert_eq!(pretty(9.6e-10, dims::LENGTH), "0.96 nm");
        assert_eq!(pretty(140.0, dims::CONCENTRATION), "140 mM");
        // Issue #8: values beyond the SI prefixes printed as "3.29106e12 TT".
        assert_eq!(pretty(3.29106e24, dims::MAGNETIC_FIELD), "3.29106e24 T");
        assert_eq!(pretty(9.61988e139, dims::LENGTH), "9.61988e139 m");
        assert_eq!(pretty(2e-25, dims::LENGTH), "2e-25 m");
    }
}
