//! Poisson-Nernst-Planck scenarios on general meshes (`model = "pnp"`): parsing,
//! validation and the run, on top of [`crate::models::pnp`].
//!
//! The file has the geometry of the static-field scenarios (`[mesh]` of any kind,
//! `[background]` and `[[region]]` with shapes, `[[patch]]` by name or `surface_of`; see
//! [`super::geometry`]) and the species and side conditions of the 1D scenarios:
//!
//! ```text
//! -div(eps0 eps_r grad phi) = F (sum_k z_k c_k + X),    J_k = -D_k f_k (grad c_k + z_k c_k grad phi / V_T),
//! div J_k = 0
//! ```
//!
//! Per region: `permittivity` (default 78.5), `fixed_charge` `X` (a concentration of unit
//! charges, negative for a cation exchanger or a negatively charged gel), `excluded`
//! species (may not enter) and `diffusivity_factor` `f_k` (hindered diffusion). Per patch:
//! `concentration` or `flux` (outward, mol m^-2 s^-1) per species (unlisted species:
//! blocked), and `potential` or `surface_charge`. An optional `[sweep]` solves again at a
//! list of potentials of one patch (steady runs, any closure) and reports the
//! current-voltage curve and the rectification ratios `|I(+V)| / |I(-V)|`. `closure` is
//! `"poisson"` (default), `"electroneutral"` (no patch needs a potential: one node is then
//! the gauge `phi = 0`) or `"fixed_field"` (the Laplace solution of the patch potentials, or
//! with `[fixed_field] field, direction` the uniform field `phi = -E (d . x)`), as in 1D;
//! `mode = "transient"` with a `[transient]` table (the 1D keys) and an `initial`
//! concentration per species (uniform, or a table by region name) integrates in time and
//! writes one field file per output time, a `.pvd` collection, `currents.csv` and per output
//! time the NPY arrays, line cuts and maps (`scenario/pnp/transient.rs`).
//!
//! Every key is in `docs/scenario-pnp.md` (the geometry keys in `docs/scenario-fields.md`).

mod fixed_field;
mod outputs;
mod run;
mod transient;

use std::collections::BTreeMap;
use std::sync::Arc;

use serde::Deserialize;
use toml::{Spanned, Value};

use super::geometry::{
    keyed, parse_geometry, region_at, Budget, PatchKeys, RawMesh, RawShape, RegionKeys,
    ScenarioGeometry,
};
use super::potential::{build_outputs, RawOutput};
use super::{
    build_side, build_species, build_temperature, raw, relative_permittivity, show, Ctx,
    ScenarioError, MAX_CONCENTRATION, MAX_POTENTIAL,
};
use crate::discretize::Scheme;
use crate::models::electrodiffusion::{Closure, PotentialBc, Species, SpeciesBc, TransientOptions};
use crate::models::pnp::{
    Medium, PatchConditions, PnpProblem, PotentialCondition, SpeciesCondition,
};
use crate::solve::SolverChoice;
use crate::units::dims;

pub use super::geometry::MeshKind;
pub use run::run_pnp;

/// Largest number of sweep points.
pub const MAX_SWEEP_POINTS: usize = 1000;

// ---------------------------------------------------------------------------------------
// Raw schema
// ---------------------------------------------------------------------------------------

#[derive(Deserialize, Debug)]
#[serde(deny_unknown_fields)]
struct Raw {
    model: Spanned<String>,
    title: Option<String>,
    #[allow(dead_code)]
    description: Option<String>,
    mode: Option<Spanned<String>>,
    closure: Option<Spanned<String>>,
    transient: Option<Spanned<raw::Transient>>,
    temperature: Option<Spanned<Value>>,
    scheme: Option<Spanned<String>>,
    #[serde(default)]
    species: Vec<raw::Species>,
    mesh: Spanned<RawMesh>,
    background: Option<Spanned<RawRegion>>,
    #[serde(default)]
    region: Vec<Spanned<RawRegion>>,
    #[serde(default)]
    patch: Vec<Spanned<RawPatch>>,
    sweep: Option<Spanned<RawSweep>>,
    fixed_field: Option<Spanned<RawFixedField>>,
    solver: Option<RawSolver>,
    output: Option<RawOutput>,
}

#[derive(Deserialize, Debug)]
#[serde(deny_unknown_fields)]
struct RawRegion {
    name: Option<Spanned<String>>,
    shape: Option<Spanned<RawShape>>,
    permittivity: Option<Spanned<Value>>,
    fixed_charge: Option<Spanned<Value>>,
    excluded: Option<Vec<Spanned<String>>>,
    diffusivity_factor: Option<BTreeMap<Spanned<String>, Spanned<Value>>>,
}

impl RegionKeys for RawRegion {
    fn name(&self) -> Option<&Spanned<String>> {
        self.name.as_ref()
    }
    fn shape(&self) -> Option<&Spanned<RawShape>> {
        self.shape.as_ref()
    }
}

#[derive(Deserialize, Debug)]
#[serde(deny_unknown_fields)]
struct RawPatch {
    name: Spanned<String>,
    surface_of: Option<Spanned<String>>,
    potential: Option<Spanned<Value>>,
    surface_charge: Option<Spanned<Value>>,
    concentration: Option<BTreeMap<Spanned<String>, Spanned<Value>>>,
    flux: Option<BTreeMap<Spanned<String>, Spanned<Value>>>,
}

impl PatchKeys for RawPatch {
    fn name(&self) -> &Spanned<String> {
        &self.name
    }
    fn surface_of(&self) -> Option<&Spanned<String>> {
        self.surface_of.as_ref()
    }
}

#[derive(Deserialize, Debug)]
#[serde(deny_unknown_fields)]
struct RawSweep {
    patch: Spanned<String>,
    potentials: Spanned<Vec<Spanned<Value>>>,
}

#[derive(Deserialize, Debug)]
#[serde(deny_unknown_fields)]
struct RawFixedField {
    field: Spanned<Value>,
    direction: Option<Spanned<Vec<Spanned<Value>>>>,
}

#[derive(Deserialize, Debug)]
#[serde(deny_unknown_fields)]
struct RawSolver {
    linear: Option<Spanned<String>>,
    memory_limit_gb: Option<Spanned<Value>>,
}

// ---------------------------------------------------------------------------------------
// Validated scenario
// ---------------------------------------------------------------------------------------

/// A current-voltage sweep: the steady state at each potential of one patch.
#[derive(Clone, Debug, PartialEq)]
pub struct Sweep {
    /// Index of the mesh patch whose potential is swept.
    pub patch: usize,
    /// Its potentials, V, in the order given.
    pub potentials: Vec<f64>,
}

/// A transient run: the time options and the initial concentrations.
#[derive(Clone, Debug)]
pub struct PnpTransientRun {
    /// End time, output times, tolerances (the 1D `[transient]` keys).
    pub options: TransientOptions,
    /// Initial concentrations `[species][node]`, mol/m^3.
    pub initial: Vec<Vec<f64>>,
}

/// A validated Poisson-Nernst-Planck scenario on a general mesh.
#[derive(Clone, Debug)]
pub struct PnpScenario {
    /// How the potential is determined.
    pub closure: Closure,
    /// `mode = "transient"`: the time integration, else a steady state.
    pub transient: Option<PnpTransientRun>,
    /// Title for the summary.
    pub title: String,
    /// Mesh kind (the coordinates of a Delaunay mesh).
    pub mesh_kind: MeshKind,
    /// Whether the mesh is a Delaunay-Voronoi mesh (`[mesh] kind = "delaunay"`).
    pub delaunay: bool,
    /// The triangles of a Delaunay mesh (probes, line cuts and maps interpolate on them).
    pub triangles: Option<Arc<crate::mesh::TriangleLocator>>,
    /// The problem (the mesh is built at validation).
    pub problem: PnpProblem,
    /// Scenario names of the mesh patches, in mesh patch order.
    pub patch_names: Vec<String>,
    /// Region shapes in painting order.
    pub shapes: Vec<(u16, super::RegionShape)>,
    /// Index of the background region.
    pub background: u16,
    /// Outputs (formats, line cuts, probes).
    pub outputs: super::StaticOutputs,
    /// The sweep, if any.
    pub sweep: Option<Sweep>,
    /// The uniform field of `[fixed_field]`, if any: `(E, unit direction)` in V/m and mesh
    /// coordinates; `problem.fixed_potential` is then `-E (d . x)`.
    pub uniform_field: Option<(f64, [f64; 3])>,
    /// Estimated peak memory, bytes.
    pub memory_estimate: f64,
    /// The linear solver requested.
    pub linear: String,
    /// Legal but suspicious input found by validation.
    pub warnings: Vec<String>,
}

impl PnpScenario {
    /// Region index at mesh coordinates `p`.
    pub fn region_at(&self, p: [f64; 3]) -> u16 {
        region_at(self.mesh_kind, &self.shapes, self.background, p)
    }
}

/// Peak memory (bytes) of a PNP run with `fields` unknowns per node (species and the
/// potential) on `nodes` nodes in dimension `dim`: the static-field estimate
/// ([`super::static_memory_estimate`]) for `nodes * fields` unknowns, the Jacobian blocks
/// being `fields x fields` (a sparse LU fills in proportion to the unknowns' graph), plus
/// the per-face coefficients (`fields` per face) and the state copies of Newton.
///
/// ```
/// let e = fluxion::scenario::pnp_memory_estimate(100_000, 2, 3);
/// assert!(e > 1e8 && e < 4e9, "{e}");
/// ```
pub fn pnp_memory_estimate(nodes: usize, dim: usize, fields: usize) -> f64 {
    let unknowns = nodes.saturating_mul(fields.max(1));
    super::static_memory_estimate(unknowns, dim) + 8.0 * (3 * dim) as f64 * unknowns as f64
}

/// The budget estimate before the species are known: two species and the potential.
fn three_field_estimate(nodes: usize, dim: usize) -> f64 {
    pnp_memory_estimate(nodes, dim, 3)
}

// ---------------------------------------------------------------------------------------
// Parsing
// ---------------------------------------------------------------------------------------

/// Parse and validate a PNP scenario (also builds its mesh).
///
/// ```
/// let text = r#"
/// model = "pnp"
/// [[species]]
/// name = "K+"
/// charge = 1
/// diffusivity = "2e-9 m^2/s"
/// [[species]]
/// name = "Cl-"
/// charge = -1
/// diffusivity = "2e-9 m^2/s"
/// [mesh]
/// kind = "cartesian2d"
/// x = { from = "0 nm", to = "100 nm", nodes = 11 }
/// y = { from = "0 nm", to = "20 nm", nodes = 5 }
/// [[patch]]
/// name = "xmin"
/// concentration = { "K+" = "10 mM", "Cl-" = "10 mM" }
/// potential = "0 V"
/// [[patch]]
/// name = "xmax"
/// concentration = { "K+" = "10 mM", "Cl-" = "10 mM" }
/// potential = "10 mV"
/// "#;
/// let s = fluxion::scenario::parse_pnp(text).unwrap();
/// assert_eq!(s.problem.mesh.nodes(), 55);
/// ```
pub fn parse_pnp(text: &str) -> Result<PnpScenario, ScenarioError> {
    let raw: Raw = toml::from_str(text).map_err(|e| ScenarioError {
        issues: vec![super::toml_issue_at(&e, text)],
    })?;
    let mut cx = Ctx { issues: vec![] };
    let s = build(&raw, &mut cx);
    match s {
        Some(s) if cx.issues.is_empty() => Ok(s),
        _ => Err(ScenarioError { issues: cx.issues }),
    }
}

/// The medium of one region table.
fn medium(r: Option<&RawRegion>, key: &str, species: &[String], cx: &mut Ctx) -> Option<Medium> {
    let m = species.len();
    let mut out = Medium {
        permittivity: 78.5,
        fixed_charge: 0.0,
        diffusivity_factor: vec![Some(1.0); m],
    };
    let Some(r) = r else { return Some(out) };
    let mut ok = true;
    if let Some(v) = &r.permittivity {
        match relative_permittivity(v, &format!("{key}.permittivity"), cx) {
            Some(e) => out.permittivity = e,
            None => ok = false,
        }
    }
    if let Some(v) = &r.fixed_charge {
        let k = format!("{key}.fixed_charge");
        match cx.quantity(v, &k, dims::CONCENTRATION) {
            Some(x) if x.is_finite() && x.abs() <= MAX_CONCENTRATION => out.fixed_charge = x,
            Some(x) => {
                cx.push(
                    k,
                    format!(
                        "{} ({x:e} mol/m^3 of unit charges) is beyond {MAX_CONCENTRATION:e} mol/m^3 (55.5 M, pure water) in magnitude; ion-exchange membranes carry 0.1-5 M of fixed groups: check the unit, e.g. fixed_charge = \"-1 M\"",
                        show(v)
                    ),
                    Some(v.span()),
                );
                ok = false;
            }
            None => ok = false,
        }
    }
    if let Some(list) = &r.excluded {
        let pairs: Vec<(&Spanned<String>, &())> = list.iter().map(|s| (s, &())).collect();
        let found = keyed(
            cx,
            pairs,
            species,
            &format!("{key}.excluded"),
            ("species", "species"),
        );
        ok &= found.len() == list.len();
        for (k, _, _) in found {
            out.diffusivity_factor[k] = None;
        }
    }
    if let Some(t) = &r.diffusivity_factor {
        let table = format!("{key}.diffusivity_factor");
        let found = keyed(cx, t, species, &table, ("species", "species"));
        ok &= found.len() == t.len();
        for (k, name, v) in found {
            let kk = format!("{table}.\"{}\"", name.get_ref());
            if out.diffusivity_factor[k].is_none() {
                cx.push(
                    kk,
                    "this species is excluded from the region, so it has no diffusivity there; remove one of the two",
                    Some(v.span()),
                );
                ok = false;
                continue;
            }
            match cx.number(v, &kk, "diffusivity_factor = { \"K+\" = 0.3 }") {
                Some(f) if f > 0.0 && f <= 1e3 => out.diffusivity_factor[k] = Some(f),
                Some(f) => {
                    cx.push(
                        kk,
                        format!("the factor on the diffusion coefficient must lie in (0, 1000], got {f}; to keep a species out, list it in excluded"),
                        Some(v.span()),
                    );
                    ok = false;
                }
                None => ok = false,
            }
        }
    }
    ok.then_some(out)
}

fn build(raw: &Raw, cx: &mut Ctx) -> Option<PnpScenario> {
    cx.choice(&raw.model, "model", &["pnp"])?;
    let mut warnings = vec![];
    let temperature = build_temperature(raw.temperature.as_ref(), cx);
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
    let transient_mode = match &raw.mode {
        None => false,
        Some(m) => cx.choice(m, "mode", &["steady", "transient"]) == Some("transient"),
    };
    let closure = match &raw.closure {
        None => Some(Closure::Poisson),
        Some(c) => cx
            .choice(c, "closure", &["poisson", "electroneutral", "fixed_field"])
            .map(|c| match c {
                "electroneutral" => Closure::Electroneutral,
                "fixed_field" => Closure::FixedField,
                _ => Closure::Poisson,
            }),
    };
    if !transient_mode {
        for (k, s) in raw.species.iter().enumerate() {
            if let Some(v) = &s.initial {
                cx.push(
                    format!("species[{k}].initial"),
                    "a steady state needs no initial concentration: remove initial, or set mode = \"transient\" with a [transient] table",
                    Some(v.span()),
                );
            }
        }
        if let Some(t) = &raw.transient {
            cx.push(
                "transient",
                "a [transient] table needs mode = \"transient\" (the default mode is \"steady\"): add mode = \"transient\" or remove the table",
                Some(t.span()),
            );
        }
    }
    let transient_opts = match (&raw.transient, transient_mode) {
        (Some(t), true) => super::build_transient(
            t,
            crate::solve::NewtonOptions {
                max_iterations: 15,
                ..Default::default()
            },
            cx,
        ),
        (None, true) => {
            cx.push(
                "transient",
                "mode = \"transient\" needs a [transient] table with at least end_time, e.g. [transient] end_time = \"1 ms\"",
                None,
            );
            None
        }
        _ => None,
    };
    let species: Vec<Species> = build_species(&raw.species, temperature.unwrap_or(298.15), cx);
    let names: Vec<String> = species.iter().map(|s| s.name.clone()).collect();
    if species.is_empty() {
        return None;
    }
    // Mesh and regions, each region's medium read in file order.
    let mut media: Vec<Medium> = vec![];
    let budget = Budget {
        memory_limit_gb: raw.solver.as_ref().and_then(|s| s.memory_limit_gb.as_ref()),
        estimate: three_field_estimate,
    };
    let geometry = parse_geometry(
        &raw.mesh,
        raw.background.as_ref(),
        &raw.region,
        &raw.patch,
        budget,
        cx,
        |cx, key, r| {
            let m = medium(r, key, &names, cx);
            let ok = m.is_some();
            media.push(m.unwrap_or(Medium {
                permittivity: 1.0,
                fixed_charge: 0.0,
                diffusivity_factor: vec![None; names.len()],
            }));
            ok
        },
    )?;
    // Patch conditions: the 1D side rules (one potential condition, a species either fixed
    // or given a flux, limits on every value).
    let slots = geometry.patch_slots(&raw.patch, cx);
    let mut patches = vec![PatchConditions::wall(species.len()); geometry.patch_names.len()];
    for (i, (p, slot)) in raw.patch.iter().zip(slots).enumerate() {
        let Some(idx) = slot else { continue };
        let pp = p.get_ref();
        let side = raw::Side {
            potential: pp.potential.clone(),
            surface_charge: pp.surface_charge.clone(),
            current: None,
            concentration: pp.concentration.clone(),
            flux: pp.flux.clone(),
        };
        let key = format!("patch[{i}]");
        let Some(b) = build_side(&side, Some(p.span()), &key, &names, cx, &mut warnings) else {
            continue;
        };
        patches[idx] = PatchConditions {
            species: b
                .species
                .iter()
                .map(|s| match *s {
                    SpeciesBc::Concentration(c) => SpeciesCondition::Concentration(c),
                    SpeciesBc::Flux(j) => SpeciesCondition::Flux(j),
                })
                .collect(),
            potential: match b.potential {
                PotentialBc::Potential(v) => PotentialCondition::Potential(v),
                PotentialBc::SurfaceCharge(s) => PotentialCondition::SurfaceCharge(s),
                _ => PotentialCondition::Natural,
            },
        };
    }
    let ScenarioGeometry {
        kind: mesh_kind,
        axes,
        mesh,
        shapes,
        background,
        patch_names,
        r0_is_axis,
        delaunay,
        triangles,
        ..
    } = geometry;
    let axis = patch_names.iter().position(|n| n == "axis");
    let on_axis = mesh_kind == MeshKind::Axisymmetric && (r0_is_axis || axis.is_some());
    if on_axis && axis.is_some_and(|a| patches[a] != PatchConditions::wall(species.len())) {
        cx.push(
            "patch",
            "the axis r = 0 of an axisymmetric mesh is a symmetry line: nothing crosses it and the field has no normal component there; remove the [[patch]] for \"axis\"",
            None,
        );
    }
    let uniform = raw.fixed_field.as_ref().and_then(|f| {
        fixed_field::uniform_field(f, closure, mesh_kind, &patches, &patch_names, cx)
    });
    let any_potential = patches
        .iter()
        .any(|c| matches!(c.potential, PotentialCondition::Potential(_)));
    if raw.fixed_field.is_none() && closure != Some(Closure::Electroneutral) && !any_potential {
        cx.push(
            "patch",
            format!(
                "the potential is fixed on no patch, so it is determined only up to a constant: give a reservoir or electrode patch a potential, e.g. [[patch]] name = \"{}\" potential = \"0 V\"",
                patch_names.last().map_or("xmax", |s| s.as_str())
            ),
            None,
        );
    }
    // A steady electroneutral state without a patch potential is referenced where the whole
    // charged composition is fixed (the gauge replaces that patch's redundant charge-balance
    // row, `models::pnp_closure::gauge_node`); without such a patch the neutrality rows
    // leave the steady problem singular or overdetermined.
    let unreferenced = if closure == Some(Closure::Electroneutral) && !transient_mode {
        crate::models::pnp::unreferenced_charged_species(&species, &patches)
    } else {
        None
    };
    if let Some(charged) = unreferenced {
        let list: Vec<String> = charged
            .iter()
            .map(|&k| format!("\"{}\"", names[k]))
            .collect();
        cx.push(
            "patch",
            format!(
                "under closure = \"electroneutral\" a steady state with no patch potential needs one patch that fixes the concentrations of all charged species (the reference composition of the potential), and no patch does: give one reservoir patch a concentration of each of {} (with sum z c = 0), or run mode = \"transient\"",
                list.join(", ")
            ),
            None,
        );
    }
    for (k, n) in names.iter().enumerate() {
        let fixed = patches
            .iter()
            .any(|c| matches!(c.species[k], SpeciesCondition::Concentration(_)));
        let enters = media.iter().any(|m| m.diffusivity_factor[k].is_some());
        if enters && !fixed && !transient_mode {
            cx.push(
                "patch",
                format!("species \"{n}\" has a fixed concentration on no patch, so its amount is not determined by a steady state: give a reservoir patch concentration = {{ \"{n}\" = \"10 mM\" }}"),
                None,
            );
        }
        if !enters {
            cx.push(
                "region",
                format!("species \"{n}\" is excluded from every region; remove it from [[species]] or from excluded"),
                None,
            );
        }
    }
    if let (Some(sw), true) = (&raw.sweep, transient_mode) {
        cx.push(
            "sweep",
            "a [sweep] solves one steady state per potential, so it needs mode = \"steady\": remove the [sweep] table, or remove mode = \"transient\" (a transient run records its currents at every step in currents.csv)",
            Some(sw.span()),
        );
    }
    if let (Some(sw), Some(_)) = (&raw.sweep, &raw.fixed_field) {
        cx.push(
            "sweep",
            "a [sweep] changes a patch potential, which a uniform [fixed_field] does not depend on: remove the [sweep] table, or remove [fixed_field] to use the Laplace field of the patch potentials",
            Some(sw.span()),
        );
    }
    let initial = if transient_mode {
        let charges: Vec<f64> = species.iter().map(|k| k.charge).collect();
        transient::build_initial(&raw.species, &charges, &names, &mesh, &media, closure, cx)
    } else {
        None
    };
    // Sweep.
    let sweep = match &raw.sweep {
        None => None,
        Some(sw) => {
            let s = sw.get_ref();
            let idx = patch_names.iter().position(|n| n == s.patch.get_ref());
            let mut pots = vec![];
            for (i, v) in s.potentials.get_ref().iter().enumerate() {
                let k = format!("sweep.potentials[{i}]");
                if let Some(x) = cx.quantity(v, &k, dims::VOLTAGE) {
                    if x.is_finite() && x.abs() <= MAX_POTENTIAL {
                        pots.push(x);
                    } else {
                        cx.push(k, format!("{} is beyond {MAX_POTENTIAL:e} V in magnitude; check the unit, e.g. \"500 mV\"", show(v)), Some(v.span()));
                    }
                }
            }
            let n = s.potentials.get_ref().len();
            if n == 0 || n > MAX_SWEEP_POINTS {
                cx.push(
                    "sweep.potentials",
                    format!("{n} potentials: give 1 to {MAX_SWEEP_POINTS}, e.g. potentials = [\"-0.5 V\", \"0.5 V\"]"),
                    Some(s.potentials.span()),
                );
            }
            match idx {
                None => {
                    cx.push(
                        "sweep.patch",
                        format!(
                            "no patch \"{}\"; the patches are {}",
                            s.patch.get_ref(),
                            patch_names.join(", ")
                        ),
                        Some(s.patch.span()),
                    );
                    None
                }
                Some(i) if !matches!(patches[i].potential, PotentialCondition::Potential(_)) => {
                    cx.push(
                        "sweep.patch",
                        format!("patch \"{}\" has no potential to sweep: give it potential = \"0 V\" in its [[patch]] (and concentrations, as a reservoir or electrode)", s.patch.get_ref()),
                        Some(s.patch.span()),
                    );
                    None
                }
                Some(i) => Some(Sweep {
                    patch: i,
                    potentials: pots,
                }),
            }
        }
    };
    let linear = match raw.solver.as_ref().and_then(|s| s.linear.as_ref()) {
        None => "auto",
        Some(l) => cx.choice(l, "solver.linear", &["auto", "lu"])?,
    };
    // Memory with the actual number of fields, before any solver storage exists.
    let fields = species.len() + 1;
    let est = pnp_memory_estimate(mesh.nodes(), mesh.dim(), fields);
    let limit = super::geometry::memory_limit(
        raw.solver.as_ref().and_then(|s| s.memory_limit_gb.as_ref()),
        cx,
    );
    if est > limit {
        cx.push(
            "mesh",
            format!(
                "{} nodes with {fields} unknowns each would need about {:.2} GB (sparse LU factors included), above the limit of {:.2} GB: use fewer nodes, fewer species, or raise memory_limit_gb in [solver] if the machine has the memory",
                mesh.nodes(),
                est / 1e9,
                limit / 1e9
            ),
            None,
        );
    }
    let outputs = build_outputs(
        raw.output.as_ref(),
        mesh_kind,
        &axes,
        triangles.as_deref(),
        true,
        cx,
    )?;
    if outputs.vacuum_reference {
        cx.push(
            "output.vacuum_reference",
            "vacuum_reference belongs to the static-field models (the Born energy); remove it",
            None,
        );
    }
    let title = raw.title.clone().unwrap_or_else(|| "fluxion pnp".into());
    let (temperature, scheme, closure) = (temperature?, scheme?, closure?);
    if !cx.issues.is_empty() {
        return None;
    }
    let transient = match transient_mode {
        true => Some(PnpTransientRun {
            options: transient_opts?,
            initial: initial?,
        }),
        false => None,
    };
    let fixed_potential = uniform.map(|(e, d)| {
        (0..mesh.nodes())
            .map(|i| {
                let x = mesh.position(i);
                -e * (0..3).map(|a| d[a] * x[a]).sum::<f64>()
            })
            .collect()
    });
    Some(PnpScenario {
        closure,
        transient,
        title,
        mesh_kind,
        delaunay,
        triangles,
        problem: PnpProblem {
            mesh: Arc::new(mesh),
            species,
            temperature,
            media,
            patches,
            scheme,
            solver: match linear {
                "lu" => SolverChoice::SparseLu,
                _ => SolverChoice::Auto,
            },
            fixed_potential,
        },
        patch_names,
        shapes,
        background,
        outputs,
        sweep,
        uniform_field: uniform,
        memory_estimate: est,
        linear: linear.to_string(),
        warnings,
    })
}

#[cfg(test)]
#[path = "pnp_tests.rs"]
mod tests;

#[cfg(test)]
mod gap_tests;
