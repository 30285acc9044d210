//! The figures of an electrodiffusion run: profiles (with snapshots of transient runs) and
//! transient currents, with analytic references where the run has one.
//!
//! What a figure may draw beyond the solution is decided by [`FigureContext::new`] from the
//! problem itself (never from a title or file name), and every reference curve is computed
//! with the library laws:
//! - a potential step at a planar electrode in excess supporting electrolyte: the Cottrell
//!   current `i = n F c sqrt(D / (pi t))` ([`crate::laws::electrode::cottrell_current`]);
//! - the same at a spherical electrode of radius `r0`: `i = n F D c (1/sqrt(pi D t) + 1/r0)`
//!   ([`crate::laws::electrode::cottrell_spherical_current`]) and its steady limit
//!   `n F D c / r0`;
//! - a diffuse layer at a wall held at `psi0` against a reservoir of a symmetric `z:z`
//!   electrolyte (Poisson closure, steady): the Gouy-Chapman potential
//!   ([`crate::laws::electrochem::gouy_chapman_potential`]) and the Boltzmann
//!   concentrations `c_i = c0 exp(-z_i F psi / RT)` it implies;
//! - a constant-field (fixed field) layer between fixed concentrations on a planar grid: the
//!   Goldman profile ([`crate::laws::electrochem::constant_field_concentration`]) and flux
//!   ([`crate::laws::electrochem::constant_field_flux`]);
//! - under the Poisson closure, the Debye length
//!   ([`crate::laws::electrochem::debye_length`]) of the reservoir composition.
//!
//! Axes: when the grid is refined towards a wall, or a Poisson double layer is thin
//! compared with the domain, profiles are drawn against the log distance from that wall,
//! so that the layer is visible. Transient currents are drawn as `|i|` against `t` on
//! log-log axes; when a boundary concentration is stepped at `t = 0`, times before the
//! diffusion length `sqrt(D t)` spans [`RESOLVED_CELLS`] grid cells at that boundary are
//! not shown (the discrete current there is set by the first cell, not by the physics).

use crate::constants::{FARADAY, GAS_CONSTANT};
use crate::laws::electrochem::{
    constant_field_concentration, constant_field_flux, debye_length, gouy_chapman_potential,
};
use crate::laws::electrode::{cottrell_current, cottrell_spherical_current};
use crate::mesh::Geometry;
use crate::models::electrodiffusion::{
    Closure, PotentialBc, Problem, Profiles, SpeciesBc, TimeSeries, SIDES,
};

use super::plot::{palette, Figure, Guide, Panel, Series};

/// The diffusion length `sqrt(D t)` must span this many grid cells at a stepped boundary
/// before a transient current is drawn.
pub const RESOLVED_CELLS: f64 = 5.0;

/// The analytic current of a potential-step experiment detected in the problem.
#[derive(Clone, Debug, PartialEq)]
pub enum CurrentReference {
    /// Planar Cottrell transient.
    Cottrell {
        /// Electrode side (0 left, 1 right).
        side: usize,
        /// Electrons per molecule `n = |z|`.
        n: f64,
        /// Bulk concentration, mol/m^3.
        c: f64,
        /// Diffusivity, m^2/s.
        d: f64,
        /// Species name.
        species: String,
    },
    /// Spherical electrode (inner boundary) of radius `r0`.
    Spherical {
        /// Electrons per molecule `n = |z|`.
        n: f64,
        /// Bulk concentration, mol/m^3.
        c: f64,
        /// Diffusivity, m^2/s.
        d: f64,
        /// Electrode radius, m.
        r0: f64,
        /// Species name.
        species: String,
    },
}

impl CurrentReference {
    /// Electrode side (0 left, 1 right).
    pub fn side(&self) -> usize {
        match self {
            CurrentReference::Cottrell { side, .. } => *side,
            CurrentReference::Spherical { .. } => 0,
        }
    }

    /// The current density magnitude (A/m^2) at time `t` (s), from the library law.
    pub fn current(&self, t: f64) -> Option<f64> {
        match self {
            CurrentReference::Cottrell { n, c, d, .. } => cottrell_current(*n, *c, *d, t).ok(),
            CurrentReference::Spherical { n, c, d, r0, .. } => {
                cottrell_spherical_current(*n, *c, *d, t, *r0).ok()
            }
        }
    }

    /// The steady limit (A/m^2), where there is one (spherical: `n F D c / r0`).
    pub fn steady_limit(&self) -> Option<f64> {
        match self {
            CurrentReference::Cottrell { .. } => None,
            CurrentReference::Spherical { n, c, d, r0, .. } => Some(n * FARADAY * d * c / r0),
        }
    }

    fn label(&self) -> String {
        match self {
            CurrentReference::Cottrell { species, .. } => {
                format!("Cottrell, n F c sqrt(D/πt) ({species})")
            }
            CurrentReference::Spherical { species, .. } => {
                format!("n F D c (1/sqrt(πDt) + 1/r0) ({species})")
            }
        }
    }
}

/// A Gouy-Chapman double layer detected in the problem (steady, Poisson closure, wall at a
/// fixed potential with all species blocked, reservoir of a symmetric `z:z` electrolyte).
#[derive(Clone, Debug, PartialEq)]
pub struct GouyChapman {
    /// Wall side (0 left, 1 right).
    pub wall: usize,
    /// Wall potential minus reservoir potential, V.
    pub psi0: f64,
    /// Reservoir potential, V.
    pub phi_bulk: f64,
    /// Concentration of each ion in the reservoir, mol/m^3.
    pub c0: f64,
    /// Charge number `z > 0`.
    pub z: f64,
    /// Relative permittivity.
    pub eps_r: f64,
    /// Temperature, K.
    pub temperature: f64,
}

impl GouyChapman {
    /// The potential (V, in the problem's gauge) at distance `x` (m) from the wall.
    pub fn potential(&self, x: f64) -> Option<f64> {
        gouy_chapman_potential(x, self.psi0, self.c0, self.z, self.eps_r, self.temperature)
            .ok()
            .map(|p| p + self.phi_bulk)
    }

    /// The Boltzmann concentration (mol/m^3) of an ion of charge `zi` at distance `x`.
    pub fn concentration(&self, zi: f64, x: f64) -> Option<f64> {
        let vt = GAS_CONSTANT * self.temperature / FARADAY;
        let psi = self.potential(x)? - self.phi_bulk;
        Some(self.c0 * (-zi * psi / vt).exp())
    }
}

/// A constant-field layer detected in the problem (fixed-field closure, planar, no
/// advection, potentials and all concentrations fixed on both sides).
#[derive(Clone, Debug, PartialEq)]
pub struct ConstantField {
    /// Layer thickness, m.
    pub length: f64,
    /// Potential drop along +x, `phi_0 - phi_L`, V.
    pub drop: f64,
    /// Boundary concentrations `[species] -> (c_0, c_L)`, mol/m^3.
    pub concentrations: Vec<(f64, f64)>,
    /// Temperature, K.
    pub temperature: f64,
}

impl ConstantField {
    /// Goldman's concentration (mol/m^3) of species `k` (charge `z`) at `x` (m).
    pub fn concentration(&self, k: usize, z: f64, x: f64) -> Option<f64> {
        let (c0, cl) = self.concentrations[k];
        constant_field_concentration(x, self.length, z, c0, cl, self.drop, self.temperature).ok()
    }

    /// Goldman's flux (mol m^-2 s^-1) of species `k` (charge `z`, diffusivity `d`).
    pub fn flux(&self, k: usize, z: f64, d: f64) -> Option<f64> {
        let (c0, cl) = self.concentrations[k];
        constant_field_flux(d, self.length, z, c0, cl, self.drop, self.temperature).ok()
    }
}

fn constant_field(p: &Problem) -> Option<ConstantField> {
    if p.closure != Closure::FixedField
        || p.grid.geometry() != Geometry::Planar
        || p.velocity != 0.0
    {
        return None;
    }
    let (PotentialBc::Potential(a), PotentialBc::Potential(b)) =
        (p.boundaries[0].potential, p.boundaries[1].potential)
    else {
        return None;
    };
    let (c0, cl) = (all_fixed(p, 0)?, all_fixed(p, 1)?);
    Some(ConstantField {
        length: p.grid.length(),
        drop: a - b,
        concentrations: c0.into_iter().zip(cl).collect(),
        temperature: p.temperature,
    })
}

/// What the figures of a run know beyond the solution: species, the wall to measure
/// distance from, the Debye length, and the analytic references that apply.
#[derive(Clone, Debug, PartialEq)]
pub struct FigureContext {
    /// Species names, in species order (colour `k` is [`palette::species`]`(k)`).
    pub names: Vec<String>,
    /// Charge numbers.
    pub charges: Vec<f64>,
    /// Geometry and inner radius (m) for the axis label.
    pub geometry: Geometry,
    /// Inner radius, m (curved geometries).
    pub inner_radius: f64,
    /// Draw profiles against the log distance from this side (0 left, 1 right).
    pub wall: Option<usize>,
    /// Debye length (m) of the reservoir composition, under the Poisson closure.
    pub debye_length: Option<f64>,
    /// The Gouy-Chapman reference, where it applies.
    pub gouy_chapman: Option<GouyChapman>,
    /// The analytic current, where it applies.
    pub current_reference: Option<CurrentReference>,
    /// The constant-field (Goldman) layer, where it applies (steady runs).
    pub constant_field: Option<ConstantField>,
    /// Diffusivities, m^2/s.
    pub diffusivities: Vec<f64>,
    /// Earliest time shown in the current figure (s), and why, for a stepped boundary.
    pub resolved_time: Option<(f64, String)>,
}

fn all_fixed(p: &Problem, side: usize) -> Option<Vec<f64>> {
    p.boundaries[side]
        .species
        .iter()
        .map(|b| match b {
            SpeciesBc::Concentration(c) => Some(*c),
            SpeciesBc::Flux(_) => None,
        })
        .collect()
}

fn all_blocked(p: &Problem, side: usize) -> bool {
    p.boundaries[side]
        .species
        .iter()
        .all(|b| *b == SpeciesBc::Flux(0.0))
}

impl FigureContext {
    /// Inspect the problem (and, for transient runs, the initial concentrations
    /// `[species][node]`) and decide which axes and references the figures use.
    pub fn new(p: &Problem, initial: Option<&[Vec<f64>]>, wall_field: Option<[f64; 2]>) -> Self {
        let z: Vec<f64> = p.species.iter().map(|s| s.charge).collect();
        let g = &p.grid;
        let n = g.len();
        let length = g.length();
        let mut ctx = FigureContext {
            names: p.species.iter().map(|s| s.name.clone()).collect(),
            charges: z.clone(),
            geometry: g.geometry(),
            inner_radius: g.inner_radius(),
            wall: None,
            debye_length: None,
            gouy_chapman: None,
            current_reference: None,
            resolved_time: None,
            constant_field: None,
            diffusivities: p.species.iter().map(|s| s.diffusivity).collect(),
        };
        if n < 3 {
            return ctx;
        }
        // The wall: a side the grid is refined towards.
        let hmax = (0..n - 1).map(|i| g.spacing(i)).fold(0.0, f64::max);
        let refined = [g.spacing(0) < hmax / 20.0, g.spacing(n - 2) < hmax / 20.0];
        let field = wall_field.unwrap_or([0.0, 0.0]);
        let stronger = if field[1].abs() > field[0].abs() {
            1
        } else {
            0
        };
        ctx.wall = match refined {
            [true, false] => Some(0),
            [false, true] => Some(1),
            [true, true] => Some(stronger),
            _ => None,
        };
        // Debye length of the reservoir (or of the mean initial composition).
        if p.closure == Closure::Poisson {
            let side_c = |s: usize| all_fixed(p, s);
            let comp = match (ctx.wall, side_c(0), side_c(1)) {
                (Some(w), _, _) if side_c(1 - w).is_some() => side_c(1 - w),
                (Some(w), _, _) if side_c(w).is_some() => side_c(w),
                (None, Some(a), Some(b)) => Some(if field[0].abs() >= field[1].abs() {
                    a
                } else {
                    b
                }),
                (None, Some(a), None) => Some(a),
                (None, None, Some(b)) => Some(b),
                _ => initial.map(|c| {
                    c.iter()
                        .map(|ck| ck.iter().sum::<f64>() / ck.len().max(1) as f64)
                        .collect()
                }),
            };
            ctx.debye_length =
                comp.and_then(|c| debye_length(&z, &c, p.permittivity, p.temperature).ok());
            // A thin layer between a wall and a reservoir: show it on a log distance axis.
            let reservoir = side_c(0).is_some() || side_c(1).is_some();
            if let (None, Some(ld), true) = (ctx.wall, ctx.debye_length, reservoir) {
                if ld < length / 100.0 {
                    ctx.wall = Some(stronger);
                }
            }
        }
        ctx.gouy_chapman = if initial.is_none() {
            gouy_chapman(p, &z)
        } else {
            None
        };
        if let Some(gc) = &ctx.gouy_chapman {
            ctx.wall = Some(gc.wall);
        }
        if initial.is_none() {
            ctx.constant_field = constant_field(p);
        }
        if let Some(init) = initial {
            ctx.current_reference = current_reference(p, init);
            ctx.resolved_time = resolved_time(p, init);
        }
        ctx
    }
}

fn gouy_chapman(p: &Problem, z: &[f64]) -> Option<GouyChapman> {
    if p.closure != Closure::Poisson || z.len() != 2 || z[0] != -z[1] || z[0] == 0.0 {
        return None;
    }
    for wall in 0..2 {
        let bulk = 1 - wall;
        let (PotentialBc::Potential(phi_w), PotentialBc::Potential(phi_b)) =
            (p.boundaries[wall].potential, p.boundaries[bulk].potential)
        else {
            continue;
        };
        let Some(c) = all_fixed(p, bulk) else {
            continue;
        };
        if !all_blocked(p, wall) || c[0] <= 0.0 || (c[0] - c[1]).abs() > 1e-9 * c[0] {
            continue;
        }
        let ld = debye_length(z, &c, p.permittivity, p.temperature).ok()?;
        if p.grid.length() < 10.0 * ld {
            return None;
        }
        return Some(GouyChapman {
            wall,
            psi0: phi_w - phi_b,
            phi_bulk: phi_b,
            c0: c[0],
            z: z[0].abs(),
            eps_r: p.permittivity,
            temperature: p.temperature,
        });
    }
    None
}

/// Species stepped at a boundary at `t = 0`: the boundary value differs from the initial
/// value at the boundary node. Returns `(side, species)` pairs.
fn stepped(p: &Problem, init: &[Vec<f64>]) -> Vec<(usize, usize)> {
    let cmax = init
        .iter()
        .flatten()
        .fold(0.0f64, |a, v| a.max(v.abs()))
        .max(f64::MIN_POSITIVE);
    let mut out = vec![];
    for side in 0..2 {
        for (k, b) in p.boundaries[side].species.iter().enumerate() {
            if let (SpeciesBc::Concentration(c), Some(ck)) = (b, init.get(k)) {
                let node = if side == 0 { ck.first() } else { ck.last() };
                if let Some(c0) = node {
                    if (c - c0).abs() > 1e-9 * cmax {
                        out.push((side, k));
                    }
                }
            }
        }
    }
    out
}

fn resolved_time(p: &Problem, init: &[Vec<f64>]) -> Option<(f64, String)> {
    let g = &p.grid;
    let n = g.len();
    let mut best: Option<(f64, String)> = None;
    for (side, k) in stepped(p, init) {
        let h = if side == 0 {
            g.spacing(0)
        } else {
            g.spacing(n - 2)
        };
        let d = p.species[k].diffusivity;
        if d <= 0.0 {
            continue;
        }
        let t = RESOLVED_CELLS * RESOLVED_CELLS * h * h / d;
        if best.as_ref().map_or(true, |b| t > b.0) {
            best = Some((
                t,
                format!(
                    "t < {} s not shown: sqrt(D t) of {} is below {} cells ({} m) at the {} boundary, stepped at t = 0",
                    short(t),
                    p.species[k].name,
                    RESOLVED_CELLS,
                    short(h),
                    SIDES[side]
                ),
            ));
        }
    }
    best
}

fn current_reference(p: &Problem, init: &[Vec<f64>]) -> Option<CurrentReference> {
    let steps = stepped(p, init);
    let g = &p.grid;
    for side in 0..2 {
        let bcs = &p.boundaries[side].species;
        let consumed: Vec<usize> = (0..bcs.len())
            .filter(|k| bcs[*k] == SpeciesBc::Concentration(0.0))
            .collect();
        let [k] = consumed[..] else {
            continue;
        };
        if !steps.contains(&(side, k)) {
            continue;
        }
        let others_blocked = (0..bcs.len())
            .filter(|j| *j != k)
            .all(|j| bcs[j] == SpeciesBc::Flux(0.0));
        let ck = &init[k];
        let c0 = ck[ck.len() / 2];
        let uniform = ck.iter().all(|v| (v - c0).abs() <= 1e-9 * c0.abs());
        let zk = p.species[k].charge;
        // Excess supporting electrolyte: the other ions carry 20 times the ionic strength.
        let support: f64 = (0..bcs.len())
            .filter(|j| *j != k)
            .map(|j| {
                let cj = &init[j];
                p.species[j].charge.powi(2) * cj[cj.len() / 2]
            })
            .sum();
        let supported = zk == 0.0 || support >= 20.0 * zk * zk * c0;
        if !(others_blocked && uniform && c0 > 0.0 && supported) {
            continue;
        }
        let n = if zk == 0.0 { 1.0 } else { zk.abs() };
        let d = p.species[k].diffusivity;
        let species = p.species[k].name.clone();
        return match g.geometry() {
            Geometry::Planar => Some(CurrentReference::Cottrell {
                side,
                n,
                c: c0,
                d,
                species,
            }),
            Geometry::Spherical if side == 0 && g.inner_radius() > 0.0 => {
                Some(CurrentReference::Spherical {
                    n,
                    c: c0,
                    d,
                    r0: g.inner_radius(),
                    species,
                })
            }
            _ => None,
        };
    }
    None
}

/// `1.5e-9`-style short numbers for notes and legends.
fn short(v: f64) -> String {
    let s = format!("{v:.2e}");
    let (m, e) = s.split_once('e').unwrap_or((&s, "0"));
    let m = m.trim_end_matches('0').trim_end_matches('.');
    if e == "0" {
        m.to_string()
    } else {
        format!("{m}e{e}")
    }
}

/// A length with a readable unit: `0.961 nm`, `31.6 µm`.
fn length_label(v: f64) -> String {
    let (s, u) = length_unit(v);
    format!("{} {u}", short_sig(v * s))
}

/// Three significant digits, trailing zeros removed: `0.962`, `4.1`, `1000`.
fn short_sig(v: f64) -> String {
    let digits = if v == 0.0 {
        0
    } else {
        (2 - v.abs().log10().floor() as i64).clamp(0, 12) as usize
    };
    let s = format!("{v:.digits$}");
    if !s.contains('.') {
        return s;
    }
    let s = s.trim_end_matches('0').trim_end_matches('.');
    s.to_string()
}

fn length_unit(l: f64) -> (f64, &'static str) {
    if l < 1e-6 {
        (1e9, "nm")
    } else if l < 1e-3 {
        (1e6, "µm")
    } else if l < 1.0 {
        (1e3, "mm")
    } else {
        (1.0, "m")
    }
}

/// A time with a readable unit: `1 ms`, `250 µs`, `2.5 s`.
pub fn time_label(t: f64) -> String {
    let (s, u) = if t == 0.0 {
        (1.0, "s")
    } else if t < 1e-6 {
        (1e9, "ns")
    } else if t < 1e-3 {
        (1e6, "µs")
    } else if t < 1.0 {
        (1e3, "ms")
    } else {
        (1.0, "s")
    };
    format!("{} {u}", short_sig(t * s))
}

/// The horizontal axis of profile panels: positions, their label, and whether it is log.
struct XAxis {
    values: Vec<f64>,
    label: String,
    log: bool,
    /// Metres to axis units.
    scale: f64,
}

fn x_axis(p: &Profiles, ctx: &FigureContext) -> XAxis {
    let x0 = p.x.first().copied().unwrap_or(0.0);
    let x1 = p.x.last().copied().unwrap_or(1.0);
    let (scale, unit) = length_unit(x1 - x0);
    match ctx.wall {
        Some(w) => {
            let dist: Vec<f64> =
                p.x.iter()
                    .map(|x| if w == 0 { x - x0 } else { x1 - x })
                    .collect();
            // The unit of a little above the middle of the log range (labels 0.01 to 1e4).
            let d_min = dist
                .iter()
                .copied()
                .filter(|d| *d > 0.0)
                .fold(f64::INFINITY, f64::min);
            let (scale, unit) = length_unit(10.0 * (d_min.min(x1 - x0) * (x1 - x0)).sqrt());
            let label = match (ctx.geometry, w) {
                (Geometry::Planar, _) => {
                    format!("distance from the {} wall ({unit}), log scale", SIDES[w])
                }
                (_, 0) => format!("r - r_inner ({unit}), log scale"),
                _ => format!("r_outer - r ({unit}), log scale"),
            };
            XAxis {
                values: dist.iter().map(|d| d * scale).collect(),
                label,
                log: true,
                scale,
            }
        }
        None => {
            let curved = ctx.geometry != Geometry::Planar;
            let values =
                p.x.iter()
                    .map(|x| {
                        if curved {
                            (ctx.inner_radius + x - x0) * scale
                        } else {
                            x * scale
                        }
                    })
                    .collect();
            XAxis {
                values,
                label: if curved {
                    format!("r ({unit})")
                } else {
                    format!("x ({unit})")
                },
                log: false,
                scale,
            }
        }
    }
}

fn debye_guide(ctx: &FigureContext, ax: &XAxis) -> Option<Guide> {
    let ld = ctx.debye_length?;
    let at = if ax.log {
        ld * ax.scale
    } else {
        return None;
    };
    Some(Guide::new(at, &format!("λ_D = {}", length_label(ld))))
}

/// Two profiles that a reader cannot tell apart (within 0.5% of their largest value).
fn coincide(a: &[f64], b: &[f64]) -> bool {
    let m = a.iter().chain(b).fold(0.0f64, |m, v| m.max(v.abs()));
    m > 0.0 && a.iter().zip(b).all(|(x, y)| (x - y).abs() <= 5e-3 * m)
}

/// Whether concentrations need a log axis so that minor species stay visible: the species'
/// largest values differ by more than a factor 20, or a Poisson double layer is drawn.
fn log_concentrations(profiles: &[&Profiles], ctx: &FigureContext) -> bool {
    if ctx.debye_length.is_some() && ctx.wall.is_some() {
        return true;
    }
    let maxima: Vec<f64> = (0..ctx.names.len())
        .map(|k| {
            profiles
                .iter()
                .flat_map(|p| p.concentration[k].iter())
                .fold(0.0f64, |a, v| a.max(*v))
        })
        .collect();
    let hi = maxima.iter().cloned().fold(0.0, f64::max);
    let lo = maxima
        .iter()
        .cloned()
        .filter(|v| *v > 0.0)
        .fold(f64::INFINITY, f64::min);
    hi > 20.0 * lo
}

/// The floor of a log concentration axis: 1% of the smallest species maximum, so that a
/// species driven to zero at an electrode leaves the axis at the bottom instead of
/// stretching it over many decades.
fn concentration_floor(profiles: &[&Profiles], n: usize) -> Option<f64> {
    let mut lo = f64::INFINITY;
    let mut hi = 0.0f64;
    let mut min_pos = f64::INFINITY;
    for k in 0..n {
        let m = profiles
            .iter()
            .flat_map(|p| p.concentration[k].iter())
            .fold(0.0f64, |a, v| a.max(*v));
        if m > 0.0 {
            lo = lo.min(m);
        }
        hi = hi.max(m);
        for p in profiles {
            for v in &p.concentration[k] {
                if *v > 0.0 {
                    min_pos = min_pos.min(*v);
                }
            }
        }
    }
    if !(lo.is_finite() && hi > 0.0) {
        return None;
    }
    let floor = (1e-2 * lo).max(min_pos * 0.8);
    Some(floor.min(0.5 * hi))
}

fn flux_panels(fig: &mut Figure, p: &Profiles, ctx: &FigureContext, ax: &XAxis, when: &str) {
    for (k, name) in ctx.names.iter().enumerate() {
        let f = &p.flux[k];
        let mut panel = Panel::new(
            &format!("Flux of {name}{when}"),
            &ax.label,
            "J (mol m⁻² s⁻¹)",
        );
        panel.log_x = ax.log;
        panel = panel
            .with(
                Series::line("total", ax.values.clone(), f.total.clone())
                    .color(palette::species(k)),
            )
            .with(
                Series::dashed("diffusion", ax.values.clone(), f.diffusive.clone())
                    .color(palette::DIFFUSION),
            )
            .with(
                Series::dotted("migration", ax.values.clone(), f.migrative.clone())
                    .color(palette::MIGRATION),
            );
        if let Some(j) = ctx
            .constant_field
            .as_ref()
            .and_then(|cf| cf.flux(k, ctx.charges[k], ctx.diffusivities[k]))
        {
            let (a, b) = (
                ax.values.first().copied().unwrap_or(0.0),
                ax.values.last().copied().unwrap_or(1.0),
            );
            panel = panel.with(Series::reference(
                "Goldman (GHK) flux",
                vec![a, b],
                vec![j, j],
            ));
        }
        if f.advective.iter().any(|v| *v != 0.0) {
            panel = panel.with(
                Series::dashed("advection", ax.values.clone(), f.advective.clone())
                    .color(palette::ADVECTION),
            );
        }
        fig.push(panel);
    }
}

/// The profile figure. Steady runs: concentrations of all species (log axis when minor
/// species would vanish), the potential, and per species the flux split into diffusion,
/// migration and advection. Transient runs (`snapshots` non-empty): one concentration panel
/// per species and the potential, each with the snapshots at the output times (lighter =
/// earlier, the time in the legend), then the fluxes at the end. References and the Debye
/// length from `ctx`.
pub fn profiles_figure(
    title: &str,
    p: &Profiles,
    snapshots: &[(f64, Profiles)],
    ctx: &FigureContext,
) -> Figure {
    let ax = x_axis(p, ctx);
    let mut fig = Figure::new(title, 2);
    let debye = debye_guide(ctx, &ax);
    let wall_d = |x: &[f64]| -> Vec<f64> {
        let x0 = x.first().copied().unwrap_or(0.0);
        let x1 = x.last().copied().unwrap_or(0.0);
        x.iter()
            .map(|x| match ctx.wall {
                Some(1) => x1 - x,
                _ => x - x0,
            })
            .collect()
    };
    let all: Vec<&Profiles> = if snapshots.is_empty() {
        vec![p]
    } else {
        snapshots.iter().map(|s| &s.1).collect()
    };
    let log_c = log_concentrations(&all, ctx);
    let floor = if log_c {
        concentration_floor(&all, ctx.names.len())
    } else {
        None
    };
    let nsnap = snapshots.len();
    let shade = |i: usize| {
        if nsnap <= 1 {
            1.0
        } else {
            i as f64 / (nsnap - 1) as f64
        }
    };
    let c_label = "c (mM)";
    if snapshots.is_empty() {
        let mut conc = Panel::new("Concentrations", &ax.label, c_label);
        conc.log_x = ax.log;
        conc.log_y = log_c;
        for (k, name) in ctx.names.iter().enumerate() {
            let mut s = Series::line(name, ax.values.clone(), p.concentration[k].clone())
                .color(palette::species(k));
            // A curve on top of an earlier one (electroneutral binary salts) is dashed so
            // that both stay visible.
            if (0..k).any(|j| coincide(&p.concentration[j], &p.concentration[k])) {
                s = s.style(super::plot::Style::Dashed).size(2.5);
            }
            conc.series.push(s);
        }
        if let Some(gc) = &ctx.gouy_chapman {
            let d = wall_d(&p.x);
            for (k, zk) in ctx.charges.iter().enumerate() {
                let c: Vec<f64> = d
                    .iter()
                    .map(|x| gc.concentration(*zk, *x).unwrap_or(f64::NAN))
                    .collect();
                let label = if k == 0 {
                    "Gouy-Chapman (Boltzmann)"
                } else {
                    ""
                };
                conc.series
                    .push(Series::reference(label, ax.values.clone(), c).size(1.5));
            }
            conc.note = "dashed: c0 exp(-z F ψ_GC / RT) with the Gouy-Chapman potential".into();
        }
        if let Some(cf) = &ctx.constant_field {
            let x0 = p.x.first().copied().unwrap_or(0.0);
            for (k, zk) in ctx.charges.iter().enumerate() {
                let c: Vec<f64> =
                    p.x.iter()
                        .map(|x| cf.concentration(k, *zk, (x - x0).clamp(0.0, cf.length)))
                        .map(|c| c.unwrap_or(f64::NAN))
                        .collect();
                let label = if k == 0 {
                    "constant field (Goldman)"
                } else {
                    ""
                };
                conc.series
                    .push(Series::reference(label, ax.values.clone(), c).size(1.5));
            }
        }
        if let Some(lo) = floor {
            if conc.log_y {
                let hi = all
                    .iter()
                    .flat_map(|p| p.concentration.iter().flatten())
                    .fold(0.0f64, |a, v| a.max(*v));
                conc.y_range = Some((lo, hi * 1.25));
            }
        }
        conc.vlines.extend(debye.clone());
        fig.push(conc);
    } else {
        for (k, name) in ctx.names.iter().enumerate() {
            let mut conc = Panel::new(&format!("Concentration of {name}"), &ax.label, c_label);
            conc.log_x = ax.log;
            let lo = all
                .iter()
                .flat_map(|p| p.concentration[k].iter())
                .fold(f64::INFINITY, |a, v| a.min(*v));
            let hi = all
                .iter()
                .flat_map(|p| p.concentration[k].iter())
                .fold(0.0f64, |a, v| a.max(*v));
            // A single species spanning decades (a double layer) gets a log axis.
            conc.log_y = log_c && lo > 0.0 && hi > 20.0 * lo;
            for (i, (t, s)) in snapshots.iter().enumerate() {
                let x = x_axis(s, ctx).values;
                conc.series.push(
                    Series::line(
                        &format!("t = {}", time_label(*t)),
                        x,
                        s.concentration[k].clone(),
                    )
                    .color(palette::shade(palette::species(k), shade(i))),
                );
            }
            conc.vlines.extend(debye.clone());
            fig.push(conc);
        }
    }
    let mut pot = Panel::new("Electric potential", &ax.label, "φ (mV)");
    pot.log_x = ax.log;
    if snapshots.is_empty() {
        pot.series.push(
            Series::line(
                "φ",
                ax.values.clone(),
                p.potential.iter().map(|v| v * 1e3).collect(),
            )
            .color(palette::POTENTIAL),
        );
    } else {
        for (i, (t, s)) in snapshots.iter().enumerate() {
            pot.series.push(
                Series::line(
                    &format!("t = {}", time_label(*t)),
                    x_axis(s, ctx).values,
                    s.potential.iter().map(|v| v * 1e3).collect(),
                )
                .color(palette::shade(palette::POTENTIAL, shade(i))),
            );
        }
    }
    if let Some(gc) = &ctx.gouy_chapman {
        let d = wall_d(&p.x);
        let psi: Vec<f64> = d
            .iter()
            .map(|x| gc.potential(*x).map_or(f64::NAN, |v| v * 1e3))
            .collect();
        pot.series
            .push(Series::reference("Gouy-Chapman", ax.values.clone(), psi).size(1.5));
        pot.note = format!(
            "ψ0 = {} mV, c0 = {} mM, z = {}",
            short_sig(gc.psi0 * 1e3),
            short_sig(gc.c0),
            gc.z
        );
    }
    pot.vlines.extend(debye);
    fig.push(pot);
    let when = match snapshots.last() {
        Some((t, _)) => format!(" at t = {}", time_label(*t)),
        None => String::new(),
    };
    flux_panels(&mut fig, p, ctx, &ax, &when);
    fig
}

/// A current series for a log axis: `|i|` at positive times from `t_min`, and a legend
/// suffix stating the sign.
fn magnitude(t: &[f64], i: &[f64], t_min: f64) -> (Vec<f64>, Vec<f64>, &'static str) {
    let (tt, ii): (Vec<f64>, Vec<f64>) = t
        .iter()
        .zip(i)
        .filter(|(t, _)| **t > 0.0)
        .map(|(t, i)| (*t, *i))
        .unzip();
    let shown = tt.iter().zip(&ii).filter(|(t, _)| **t >= t_min);
    let (mut pos, mut neg) = (false, false);
    for (_, v) in shown {
        pos |= *v > 0.0;
        neg |= *v < 0.0;
    }
    let sign = match (pos, neg) {
        (true, false) => "i > 0",
        (false, true) => "i < 0",
        (true, true) => "sign changes",
        _ => "i = 0",
    };
    (tt, ii.iter().map(|v| v.abs()).collect(), sign)
}

/// The transient figure: `|i|` at both boundaries against `t` on log-log axes, with the
/// analytic reference where `ctx` has one (and then a second panel with the ratio to it).
/// Times before `ctx.resolved_time` are outside the axes and do not set the current scale.
pub fn current_figure(title: &str, s: &TimeSeries, ctx: &FigureContext) -> Figure {
    let mut fig = Figure::new(title, 2);
    let t_end = s.time.last().copied().unwrap_or(1.0);
    let t_first = s.time.iter().copied().find(|t| *t > 0.0).unwrap_or(t_end);
    let t_min = ctx
        .resolved_time
        .as_ref()
        .map_or(t_first, |r| r.0.max(t_first))
        .min(0.5 * t_end);
    let mut panel = Panel::new("Current density", "t (s)", "|i| (A m⁻²)")
        .log_x()
        .log_y();
    panel.x_range = Some((t_min, t_end));
    let mut notes = vec![];
    if let Some((_, why)) = &ctx.resolved_time {
        notes.push(why.clone());
    }
    let reference = ctx.current_reference.as_ref();
    let sides: Vec<usize> = match reference {
        // The other boundary of a curved cell has another area: its current density is not
        // comparable with the electrode's.
        Some(r) if ctx.geometry != Geometry::Planar => vec![r.side()],
        _ => vec![0, 1],
    };
    for side in sides {
        let (t, i, sign) = magnitude(&s.time, &s.current_density[side], t_min);
        if sign == "i = 0" {
            notes.push(format!("{} boundary: i = 0", SIDES[side]));
            continue;
        }
        let label = format!("{} boundary ({sign})", SIDES[side]);
        let color = if side == 0 {
            palette::LEFT
        } else {
            palette::RIGHT
        };
        panel.series.push(if side == 0 {
            Series::line(&label, t, i).color(color)
        } else {
            Series::dotted(&label, t, i).color(color).size(2.5)
        });
    }
    if let Some(r) = reference {
        let n = 200;
        let (a, b) = (t_min.log10(), t_end.log10());
        let t: Vec<f64> = (0..=n)
            .map(|j| 10f64.powf(a + (b - a) * j as f64 / n as f64))
            .collect();
        let i: Vec<f64> = t
            .iter()
            .map(|t| r.current(*t).unwrap_or(f64::NAN))
            .collect();
        panel.series.push(Series::reference(&r.label(), t, i));
        if let Some(lim) = r.steady_limit() {
            panel
                .hlines
                .push(Guide::new(lim, "steady limit n F D c / r0"));
        }
        // The ratio to the reference at the recorded times.
        let side = r.side();
        let (t, i, _) = magnitude(&s.time, &s.current_density[side], t_min);
        let (tr, ratio): (Vec<f64>, Vec<f64>) = t
            .iter()
            .zip(&i)
            .filter(|(t, _)| **t >= t_min)
            .filter_map(|(t, i)| r.current(*t).map(|c| (*t, i / c)))
            .unzip();
        let mut rp = Panel::new(
            &format!("Ratio to the reference ({} boundary)", SIDES[side]),
            "t (s)",
            "|i| / i_ref",
        )
        .log_x()
        .with(Series::line("simulation / reference", tr, ratio).color(palette::species(0)))
        .with(Series::reference("1", vec![t_min, t_end], vec![1.0, 1.0]));
        rp.x_range = Some((t_min, t_end));
        rp.legend = super::plot::LegendPos::Hidden;
        panel.note = notes.join("; ");
        fig.push(panel);
        fig.push(rp);
        return fig;
    }
    panel.note = notes.join("; ");
    fig.columns = 1;
    fig.push(panel);
    fig
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::discretize::Scheme;
    use crate::mesh::{Grid, Spacing};
    use crate::models::electrodiffusion::{Boundary, Species};

    fn species(name: &str, z: f64, d: f64) -> Species {
        Species {
            name: name.into(),
            charge: z,
            diffusivity: d,
        }
    }

    /// The bundled Cottrell example: 1 mM Ox+ in 1 M KCl, planar, consumed at the left.
    fn cottrell_problem(geometry: Geometry) -> (Problem, Vec<Vec<f64>>) {
        let spacing = Spacing::Refined {
            left: true,
            right: false,
            min_spacing: 2e-9,
        };
        let r0 = if geometry == Geometry::Planar {
            0.0
        } else {
            5e-6
        };
        let grid = Grid::new(geometry, r0, 5e-4, 300, spacing).unwrap();
        let n = grid.len();
        let bulk = [1.0, 1000.0, 1001.0];
        let p = Problem {
            grid,
            species: vec![
                species("Ox+", 1.0, 1e-9),
                species("K+", 1.0, 1.957e-9),
                species("Cl-", -1.0, 2.032e-9),
            ],
            temperature: 298.15,
            permittivity: 78.5,
            closure: Closure::Electroneutral,
            boundaries: [
                Boundary {
                    species: vec![
                        SpeciesBc::Concentration(0.0),
                        SpeciesBc::Flux(0.0),
                        SpeciesBc::Flux(0.0),
                    ],
                    potential: PotentialBc::Free,
                },
                Boundary {
                    species: bulk.iter().map(|c| SpeciesBc::Concentration(*c)).collect(),
                    potential: PotentialBc::Potential(0.0),
                },
            ],
            velocity: 0.0,
            scheme: Scheme::ScharfetterGummel,
        };
        (p, bulk.iter().map(|c| vec![*c; n]).collect())
    }

    #[test]
    fn cottrell_reference_is_the_law_at_sample_times() {
        // Bard & Faulkner, 2nd ed., eq. 5.2.11: i = n F c sqrt(D / (pi t)).
        let (p, init) = cottrell_problem(Geometry::Planar);
        let ctx = FigureContext::new(&p, Some(&init), None);
        let r = ctx.current_reference.clone().expect("Cottrell detected");
        assert_eq!(r.side(), 0);
        for t in [1e-6, 1e-3, 1.0] {
            let want = FARADAY * 1.0 * (1e-9 / (std::f64::consts::PI * t)).sqrt();
            assert!((r.current(t).unwrap() / want - 1.0).abs() < 1e-12);
        }
        // The drawn reference series equals the law at its sample points.
        let s = TimeSeries {
            time: vec![0.0, 1e-9, 1e-6, 1e-3, 1.0],
            current_density: [vec![0.0, 1.4e5, -5e4, -1.6e3, -54.0], vec![0.0; 5]],
            flux: vec![],
            amount: vec![],
        };
        let fig = current_figure("c", &s, &ctx);
        let reference = fig.panels[0]
            .series
            .iter()
            .find(|x| x.label.starts_with("Cottrell"))
            .expect("reference drawn");
        assert_eq!(reference.color, Some(palette::REFERENCE));
        for (t, i) in reference.x.iter().zip(&reference.y) {
            assert!((i / cottrell_current(1.0, 1.0, 1e-9, *t).unwrap() - 1.0).abs() < 1e-12);
        }
        assert_eq!(fig.panels.len(), 2, "a ratio panel goes with the reference");
    }

    #[test]
    fn cottrell_log_axes_exclude_the_start_up_spike() {
        let (p, init) = cottrell_problem(Geometry::Planar);
        let ctx = FigureContext::new(&p, Some(&init), None);
        let (t_res, why) = ctx.resolved_time.clone().expect("stepped boundary");
        // 25 h^2 / D with h = 2 nm (the refined first cell) and D = 1e-9 m^2/s.
        let h = p.grid.spacing(0);
        assert!(
            (t_res / (25.0 * h * h / 1e-9) - 1.0).abs() < 1e-12,
            "{t_res}"
        );
        assert!(why.contains("Ox+"), "{why}");
        // The bundled example's first steps: +1.4e5 and +8.1e3 A/m^2 at 1-1.2 ns.
        let t = vec![0.0, 1e-9, 1.15e-9, 1e-7, 1e-5, 1e-3, 1e-1, 1.0];
        let i: Vec<f64> = t
            .iter()
            .map(|t| {
                if *t < 2e-9 {
                    1.4e5
                } else {
                    -cottrell_current(1.0, 1.0, 1e-9, *t).unwrap()
                }
            })
            .collect();
        let s = TimeSeries {
            time: t,
            current_density: [i.clone(), i],
            flux: vec![],
            amount: vec![],
        };
        let fig = current_figure("c", &s, &ctx);
        let l = &fig.layout().unwrap()[0];
        assert!(l.log_x && l.log_y);
        assert!(l.x_range.0 >= t_res.log10() - 0.1, "{:?}", l.x_range);
        let i_max = cottrell_current(1.0, 1.0, 1e-9, t_res).unwrap();
        assert!(
            10f64.powf(l.y_range.1) < 1.5 * i_max,
            "the spike sets the scale: {:?}",
            l.y_range
        );
        let left = &fig.panels[0].series[0];
        assert!(left.label.contains("i < 0"), "{}", left.label);
        assert!(left.y.iter().all(|v| *v >= 0.0), "|i| is drawn");
    }

    #[test]
    fn spherical_reference_and_steady_limit_are_the_laws() {
        // Bard & Faulkner, 2nd ed., eq. 5.2.20: i = n F D c (1/sqrt(pi D t) + 1/r0).
        let (p, init) = cottrell_problem(Geometry::Spherical);
        let ctx = FigureContext::new(&p, Some(&init), None);
        let r = ctx.current_reference.clone().expect("spherical detected");
        let t = 0.3;
        let want = FARADAY * 1e-9 * (1.0 / (std::f64::consts::PI * 1e-9 * t).sqrt() + 1.0 / 5e-6);
        assert!((r.current(t).unwrap() / want - 1.0).abs() < 1e-12);
        assert!((r.steady_limit().unwrap() / (FARADAY * 1e-9 / 5e-6) - 1.0).abs() < 1e-12);
        let s = TimeSeries {
            time: vec![0.0, 1e-6, 1.0, 100.0],
            current_density: [
                vec![0.0, -1e3, -30.0, -19.5],
                vec![0.0, -1e-3, -1e-4, -1e-4],
            ],
            flux: vec![],
            amount: vec![],
        };
        let fig = current_figure("s", &s, &ctx);
        let panel = &fig.panels[0];
        assert_eq!(panel.hlines.len(), 1);
        assert!(
            !panel.series.iter().any(|x| x.label.starts_with("right")),
            "the outer boundary's current density is not comparable"
        );
    }

    #[test]
    fn unsupported_step_has_no_cottrell_reference() {
        let (mut p, mut init) = cottrell_problem(Geometry::Planar);
        // 1 mM Ox+ in 1 mM KCl: migration matters, Cottrell does not hold.
        let n = p.grid.len();
        init[1] = vec![1.0; n];
        init[2] = vec![2.0; n];
        p.boundaries[1].species = vec![
            SpeciesBc::Concentration(1.0),
            SpeciesBc::Concentration(1.0),
            SpeciesBc::Concentration(2.0),
        ];
        let ctx = FigureContext::new(&p, Some(&init), None);
        assert!(ctx.current_reference.is_none());
        assert!(
            ctx.resolved_time.is_some(),
            "the step is still unresolved at first"
        );
    }

    fn gouy_chapman_problem() -> Problem {
        // The bundled examples/gouy_chapman.toml: 100 mM NaCl, 50 mV wall, 30 nm.
        let spacing = Spacing::Refined {
            left: true,
            right: false,
            min_spacing: 5e-12,
        };
        let grid = Grid::new(Geometry::Planar, 0.0, 30e-9, 600, spacing).unwrap();
        Problem {
            grid,
            species: vec![
                species("Na+", 1.0, 1.334e-9),
                species("Cl-", -1.0, 2.032e-9),
            ],
            temperature: 298.15,
            permittivity: 78.5,
            closure: Closure::Poisson,
            boundaries: [
                Boundary {
                    species: vec![SpeciesBc::Flux(0.0), SpeciesBc::Flux(0.0)],
                    potential: PotentialBc::Potential(0.05),
                },
                Boundary {
                    species: vec![
                        SpeciesBc::Concentration(100.0),
                        SpeciesBc::Concentration(100.0),
                    ],
                    potential: PotentialBc::Potential(0.0),
                },
            ],
            velocity: 0.0,
            scheme: Scheme::ScharfetterGummel,
        }
    }

    fn fake_profiles(x: Vec<f64>, m: usize) -> Profiles {
        let n = x.len();
        Profiles {
            concentration: vec![vec![100.0; n]; m],
            potential: vec![0.0; n],
            field: vec![0.0; n],
            charge_density: vec![0.0; n],
            electrochemical_potential: vec![vec![0.0; n]; m],
            flux: vec![
                crate::models::electrodiffusion::FluxProfile {
                    total: vec![0.0; n],
                    diffusive: vec![0.0; n],
                    migrative: vec![0.0; n],
                    advective: vec![0.0; n],
                };
                m
            ],
            boundary_flux: vec![[0.0; 2]; m],
            boundary_split: vec![[[0.0; 4]; 2]; m],
            current_density: [0.0; 2],
            boundary_field: [0.0; 2],
            surface_charge: None,
            amount: vec![0.0; m],
            radius: None,
            x,
        }
    }

    #[test]
    fn gouy_chapman_overlay_and_debye_length_are_the_laws() {
        // Bard & Faulkner, 2nd ed., eq. 13.3.18; lambda_D = 0.961 nm at 100 mM (Israelachvili
        // eq. 14.36: 0.304 nm / sqrt(0.1)).
        let p = gouy_chapman_problem();
        let ctx = FigureContext::new(&p, None, None);
        let gc = ctx.gouy_chapman.clone().expect("Gouy-Chapman detected");
        assert_eq!((gc.wall, gc.psi0, gc.c0, gc.z), (0, 0.05, 100.0, 1.0));
        let ld = ctx.debye_length.unwrap();
        assert!((ld * 1e9 - 0.961).abs() < 1e-3, "{ld}");
        assert_eq!(ctx.wall, Some(0));
        let prof = fake_profiles(p.grid.x().to_vec(), 2);
        let fig = profiles_figure("gc", &prof, &[], &ctx);
        let pot = fig
            .panels
            .iter()
            .find(|x| x.title == "Electric potential")
            .unwrap();
        let r = pot
            .series
            .iter()
            .find(|s| s.label == "Gouy-Chapman")
            .unwrap();
        for (k, v) in r.y.iter().enumerate().step_by(37) {
            let want =
                gouy_chapman_potential(p.grid.x()[k], 0.05, 100.0, 1.0, 78.5, 298.15).unwrap();
            assert!((v * 1e-3 - want).abs() < 1e-15, "{k}: {v} mV vs {want} V");
        }
        // Boltzmann concentrations: c+ c- = c0^2 everywhere.
        let conc = &fig.panels[0];
        assert!(conc.log_y, "log concentrations show the depleted co-ion");
        let refs: Vec<&Series> = conc
            .series
            .iter()
            .filter(|s| s.color == Some(palette::REFERENCE))
            .collect();
        assert_eq!(refs.len(), 2);
        for (a, b) in refs[0].y.iter().zip(&refs[1].y) {
            assert!((a * b / 1e4 - 1.0).abs() < 1e-12);
        }
        // The Debye length is marked on a log distance axis.
        assert!(pot.log_x && conc.log_x);
        assert_eq!(pot.vlines.len(), 1);
        assert!((pot.vlines[0].at - ld * 1e9).abs() < 1e-12);
        assert!(
            pot.vlines[0].label.contains("λ_D = 0.962 nm"),
            "{}",
            pot.vlines[0].label
        );
    }

    #[test]
    fn snapshots_are_drawn_with_their_times_and_species_keep_their_colours() {
        let (p, init) = cottrell_problem(Geometry::Planar);
        let ctx = FigureContext::new(&p, Some(&init), None);
        let x = p.grid.x().to_vec();
        let snaps: Vec<(f64, Profiles)> = [1e-3, 1e-2, 1e-1, 1.0]
            .iter()
            .map(|t| (*t, fake_profiles(x.clone(), 3)))
            .collect();
        let fig = profiles_figure("c", &snaps[3].1, &snaps, &ctx);
        for (k, name) in ctx.names.iter().enumerate() {
            let panel = fig
                .panels
                .iter()
                .find(|q| q.title == format!("Concentration of {name}"))
                .unwrap();
            let labels: Vec<&str> = panel.series.iter().map(|s| s.label.as_str()).collect();
            assert_eq!(labels, ["t = 1 ms", "t = 10 ms", "t = 100 ms", "t = 1 s"]);
            assert_eq!(panel.series[3].color, Some(palette::species(k)));
            let flux = fig
                .panels
                .iter()
                .find(|q| q.title == format!("Flux of {name} at t = 1 s"))
                .unwrap();
            assert_eq!(flux.series[0].color, Some(palette::species(k)));
            assert_eq!(flux.series[1].color, Some(palette::DIFFUSION));
        }
        // The refined electrode wall gives a log distance axis.
        assert!(fig.panels[0].log_x);
    }

    #[test]
    fn constant_field_overlay_is_goldmans_law() {
        // examples/ghk_membrane.toml: K+ 140 | 5 mM across 5 nm at -60 mV (Goldman 1943).
        let grid = Grid::new(Geometry::Planar, 0.0, 5e-9, 51, Spacing::Uniform).unwrap();
        let p = Problem {
            grid,
            species: vec![species("K+", 1.0, 1e-12)],
            temperature: 298.15,
            permittivity: 78.5,
            closure: Closure::FixedField,
            boundaries: [
                Boundary {
                    species: vec![SpeciesBc::Concentration(140.0)],
                    potential: PotentialBc::Potential(-0.06),
                },
                Boundary {
                    species: vec![SpeciesBc::Concentration(5.0)],
                    potential: PotentialBc::Potential(0.0),
                },
            ],
            velocity: 0.0,
            scheme: Scheme::ScharfetterGummel,
        };
        let ctx = FigureContext::new(&p, None, None);
        assert!(ctx.constant_field.is_some());
        let prof = fake_profiles(p.grid.x().to_vec(), 1);
        let fig = profiles_figure("ghk", &prof, &[], &ctx);
        let r = fig.panels[0]
            .series
            .iter()
            .find(|s| s.label.starts_with("constant field"))
            .unwrap();
        for (x, c) in p.grid.x().iter().zip(&r.y) {
            let want =
                constant_field_concentration(*x, 5e-9, 1.0, 140.0, 5.0, -0.06, 298.15).unwrap();
            assert!(
                (c - want).abs() < 1e-12 * want.max(1.0),
                "{x}: {c} vs {want}"
            );
        }
        let flux = &fig.panels[2];
        let j = flux
            .series
            .iter()
            .find(|s| s.label.starts_with("Goldman"))
            .unwrap();
        let want = constant_field_flux(1e-12, 5e-9, 1.0, 140.0, 5.0, -0.06, 298.15).unwrap();
        assert_eq!(j.y, vec![want, want]);
    }

    #[test]
    fn coinciding_species_stay_visible() {
        // An electroneutral binary salt: c(H+) = c(Cl-) everywhere.
        let grid = Grid::new(Geometry::Planar, 0.0, 1e-3, 11, Spacing::Uniform).unwrap();
        let prof = fake_profiles(grid.x().to_vec(), 2);
        let (mut p, _) = cottrell_problem(Geometry::Planar);
        p.grid = grid;
        p.species.truncate(2);
        let ctx = FigureContext::new(&p, None, None);
        let fig = profiles_figure("lj", &prof, &[], &ctx);
        let styles: Vec<_> = fig.panels[0].series.iter().map(|s| s.style).collect();
        assert_eq!(
            styles,
            [
                super::super::plot::Style::Line,
                super::super::plot::Style::Dashed
            ]
        );
    }

    #[test]
    fn minor_species_get_a_log_axis() {
        // iodide_supported: 101 mM K+, 100 mM NO3-, 1 mM I-.
        let grid = Grid::new(Geometry::Planar, 0.0, 1e-4, 11, Spacing::Uniform).unwrap();
        let mut prof = fake_profiles(grid.x().to_vec(), 3);
        prof.concentration[2] = vec![1.0; 11];
        let (mut p, _) = cottrell_problem(Geometry::Planar);
        p.grid = grid;
        let ctx = FigureContext::new(&p, None, None);
        let fig = profiles_figure("i", &prof, &[], &ctx);
        assert!(fig.panels[0].log_y);
        let (lo, _) = fig.panels[0].y_range.unwrap();
        assert!(
            lo <= 1.0,
            "the minor species is inside the axis: floor {lo}"
        );
        prof.concentration[2] = vec![50.0; 11];
        assert!(!profiles_figure("i", &prof, &[], &ctx).panels[0].log_y);
    }
}
