//! Raw deserialized scenario: shapes only, every value with its position.
//!
//! Numbers are kept as [`Value`]s so that a value of the wrong type (`nodes = "600"`) is
//! reported by the validation with its key and an example, not as a serde type error.

use std::collections::BTreeMap;

use serde::Deserialize;
use toml::{Spanned, Value};

#[derive(Deserialize, Debug)]
#[serde(deny_unknown_fields)]
pub(super) struct Scenario {
    pub title: Option<String>,
    #[allow(dead_code)]
    pub description: Option<String>,
    pub model: Option<Spanned<String>>,
    pub mode: Option<Spanned<String>>,
    pub temperature: Option<Spanned<Value>>,
    pub permittivity: Option<Spanned<Value>>,
    pub closure: Spanned<String>,
    pub scheme: Option<Spanned<String>>,
    pub velocity: Option<Spanned<Value>>,
    pub domain: Spanned<Domain>,
    pub species: Vec<Species>,
    pub left: Spanned<Side>,
    pub right: Spanned<Side>,
    pub transient: Option<Spanned<Transient>>,
    pub solver: Option<Solver>,
}

#[derive(Deserialize, Debug)]
#[serde(deny_unknown_fields)]
pub(super) struct Domain {
    pub length: Spanned<Value>,
    pub nodes: Spanned<Value>,
    pub geometry: Option<Spanned<String>>,
    pub inner_radius: Option<Spanned<Value>>,
    pub grid: Option<Spanned<String>>,
    pub refine: Option<Spanned<String>>,
    pub min_spacing: Option<Spanned<Value>>,
}

#[derive(Deserialize, Debug)]
#[serde(deny_unknown_fields)]
pub(super) struct Species {
    pub name: Spanned<String>,
    pub charge: Spanned<Value>,
    pub diffusivity: Option<Spanned<Value>>,
    pub mobility: Option<Spanned<Value>>,
    /// A concentration (uniform) or a table `{ left, right, profile, at }`.
    pub initial: Option<Spanned<Value>>,
}

#[derive(Deserialize, Debug)]
#[serde(deny_unknown_fields)]
pub(super) struct Side {
    pub potential: Option<Spanned<Value>>,
    pub surface_charge: Option<Spanned<Value>>,
    pub current: Option<Spanned<Value>>,
    pub concentration: Option<BTreeMap<Spanned<String>, Spanned<Value>>>,
    pub flux: Option<BTreeMap<Spanned<String>, Spanned<Value>>>,
}

#[derive(Deserialize, Debug)]
#[serde(deny_unknown_fields)]
pub(super) struct Transient {
    pub end_time: Spanned<Value>,
    pub output_times: Option<Vec<Spanned<Value>>>,
    pub output_count: Option<Spanned<Value>>,
    pub rtol: Option<Spanned<Value>>,
    pub initial_step: Option<Spanned<Value>>,
    pub max_step: Option<Spanned<Value>>,
}

#[derive(Deserialize, Debug)]
#[serde(deny_unknown_fields)]
pub(super) struct Solver {
    pub max_iterations: Option<Spanned<Value>>,
    pub rtol: Option<Spanned<Value>>,
    pub continuation: Option<Spanned<String>>,
    pub continuation_step: Option<Spanned<Value>>,
    /// Memory limit in GB (1e9 bytes) for the resource estimate; default 4.
    pub memory_limit_gb: Option<Spanned<Value>>,
}

/// Only the `model` key, read before the full deserialization so that a typo in it is
/// reported as an unknown model rather than as the first key of the other model family.
#[derive(Deserialize, Debug)]
pub(super) struct ModelKey {
    pub model: Option<Spanned<Value>>,
}
