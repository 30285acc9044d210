//! Flux of flux: overdamped Langevin dynamics of Abrikosov vortices in a type-II
//! superconductor (seed 001): flux flow, pinning and the critical current.
//!
//! Straight vortices threading a film of thickness `d` move in its 2D cross-section with
//! periodic boundaries:
//!
//! `eta dr_i/dt = sum_j f0 K1(r_ij / lambda) r_ij/r_ij + F_pin(r_i) + J x Phi0 z + Gamma_i(t)`,
//!
//! (per unit length; in a thin film, `d < lambda`, the pair force is the Pearl force per
//! vortex divided by `d`, summed over all periodic images by an Ewald split: see
//! [`pearl`](crate::models::vortex::pearl) and [`Interaction`](crate::models::vortex::Interaction)),
//!
//! with the Bardeen-Stephen drag per length `eta = Phi0 B_c2 / rho_n`, the London pair force
//! unit `f0 = Phi0^2 / (2 pi mu0 lambda^3)` (see [`PairForce`](crate::models::vortex::PairForce) for the cutoff and its error),
//! the Lorentz force per length `J Phi0` and thermal noise per length with
//! `<Gamma_a(t) Gamma_b(t')> = (2 eta k_B T / d) delta_ab delta(t - t')`, so that a free vortex
//! diffuses with `D = k_B T / (eta d)`. The vortex density is `n = B / Phi0`.
//!
//! **Sign convention**: the current flows along `+x`; the Lorentz force `J x Phi0 z` then
//! points along `-y`, and moving vortices induce `E = B x v`, along `+x` (parallel to `J`,
//! so the flux flow dissipates `E J`). `v_parallel` is the mean velocity along the Lorentz
//! force, `v_perp` the transverse (Hall-like) component.
//!
//! **Internal units** (dimensionless): length `lambda`, force per length `f0`, time
//! `t0 = eta lambda / f0`, velocity `v0 = f0 / eta`, drive `F = J Phi0 / f0`, temperature
//! `theta = k_B T / (f0 lambda d)`. Physical inputs and outputs are SI (see [`Units`](crate::models::vortex::Units)).

mod force;
mod order;
pub mod pearl;
mod pins;
mod system;

pub use force::{bessel_k1, PairForce};
pub use order::defect_fraction;
pub use pearl::{pearl_force, pearl_length, PearlEwald};
pub use pins::{washboard_velocity_gaussian, washboard_velocity_parabolic, PinShape, Pins};
pub use system::{lattice_shape, triangular_lattice, VortexSystem};

use crate::constants::{BOLTZMANN, FLUX_QUANTUM};
use crate::laws::superconductor as sc;
use crate::solve::Progress;

/// Which vortex-vortex interaction a simulation uses.
///
/// - `London`: the bulk pair force `f0 K1(r/lambda)` per unit length, valid for films much
///   thicker than `lambda` (and for bulk samples); short ranged, cut off at `interaction.cutoff`.
/// - `Pearl`: the thin-film force (Pearl 1964), valid for `d << lambda`, long ranged with the
///   Pearl length `Lambda = 2 lambda^2 / d`; summed over all periodic images by an Ewald split
///   ([`PearlEwald`]).
/// - `Auto` (default): `Pearl` when `d / lambda <` [`PEARL_THRESHOLD`] (`d < lambda`, i.e.
///   `Lambda > 2 lambda`), `London` otherwise. Between `d ~ lambda / 3` and `d ~ 3 lambda`
///   neither limit is exact (the crossover of Kogan, PRB 49, 15874 (1994)).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
#[non_exhaustive]
pub enum Interaction {
    /// Pearl for `d < lambda`, London otherwise.
    #[default]
    Auto,
    /// Bulk London interaction.
    London,
    /// Thin-film Pearl interaction with its periodic (Ewald) sum.
    Pearl,
}

/// `Interaction::Auto` uses the Pearl interaction below this ratio `d / lambda`.
pub const PEARL_THRESHOLD: f64 = 1.0;

impl Interaction {
    /// The interaction actually used for a film of thickness `d` and penetration depth
    /// `lambda` (`London` or `Pearl`).
    pub fn resolve(self, lambda: f64, d: f64) -> Interaction {
        match self {
            Interaction::Auto if d / lambda < PEARL_THRESHOLD => Interaction::Pearl,
            Interaction::Auto => Interaction::London,
            other => other,
        }
    }

    /// `"auto"`, `"london"` or `"pearl"`.
    pub fn name(self) -> &'static str {
        match self {
            Interaction::Auto => "auto",
            Interaction::London => "london",
            Interaction::Pearl => "pearl",
        }
    }
}

/// What a run used for the vortex-vortex interaction (for the summary).
#[derive(Clone, Debug, PartialEq)]
pub struct InteractionReport {
    /// `"london"`, `"pearl"` or `"none"` (a single vortex, or no pair force).
    pub kind: &'static str,
    /// What was asked for (`"auto"`, `"london"`, `"pearl"`).
    pub requested: &'static str,
    /// Why, in words (the `d / lambda` rule for `auto`).
    pub reason: String,
    /// Pearl length `2 lambda^2 / d` (m).
    pub pearl_length: f64,
    /// Ewald parameters for Pearl runs: `alpha` (1/lambda), `k_max` (1/lambda), number of
    /// reciprocal vectors, estimated RMS force errors of the real-space and reciprocal parts
    /// (N/m, like the pair force).
    pub ewald: Option<EwaldReport>,
}

/// The Ewald parameters of a Pearl run (see [`PearlEwald`]).
#[derive(Clone, Debug, PartialEq)]
pub struct EwaldReport {
    /// Splitting parameter `alpha` (1/lambda).
    pub alpha: f64,
    /// Reciprocal cutoff (1/lambda).
    pub k_max: f64,
    /// Reciprocal vectors summed (half space).
    pub k_vectors: usize,
    /// Estimated RMS force error of the real-space part (N/m).
    pub real_space_error: f64,
    /// Estimated RMS force error of the reciprocal part (N/m).
    pub reciprocal_error: f64,
}

/// A non-physical parameter or an impossible set-up.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum VortexError {
    /// A parameter is out of range.
    #[error("{param} = {value} is not allowed: {fix}")]
    Param {
        /// Parameter (scenario key).
        param: String,
        /// Its value.
        value: f64,
        /// What it must satisfy.
        fix: String,
    },
    /// The set-up cannot be simulated (with the reason and what to change).
    #[error("{0}")]
    Setup(String),
}

impl VortexError {
    pub(crate) fn param(param: &str, value: f64, fix: &str) -> Self {
        VortexError::Param {
            param: param.into(),
            value,
            fix: fix.into(),
        }
    }
}

/// Material parameters in SI units.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Material {
    /// London penetration depth `lambda` (m).
    pub lambda: f64,
    /// Ginzburg-Landau coherence length `xi` (m), which sets `B_c2 = Phi0 / (2 pi xi^2)`.
    pub xi: f64,
    /// Normal-state resistivity `rho_n` (Ohm m).
    pub rho_n: f64,
    /// Length `d` of the vortex segments (film thickness, m); sets the thermal noise.
    pub thickness: f64,
}

/// Conversion between SI and the internal units of one material.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Units {
    /// Length unit `lambda` (m).
    pub length: f64,
    /// Force-per-length unit `f0` (N/m).
    pub force: f64,
    /// Drag per length `eta = Phi0 B_c2 / rho_n` (N s m^-2).
    pub eta: f64,
    /// Time unit `t0 = eta lambda / f0` (s).
    pub time: f64,
    /// Velocity unit `f0 / eta` (m/s).
    pub velocity: f64,
    /// Current density giving a drive of one `f0`: `f0 / Phi0` (A/m^2).
    pub current_density: f64,
    /// Upper critical field `B_c2` (T).
    pub bc2: f64,
    /// Segment length `d` (m).
    pub thickness: f64,
}

impl Material {
    /// Check the parameters and derive the unit system.
    pub fn units(&self) -> Result<Units, VortexError> {
        let check = |name: &str, v: f64| {
            if v.is_finite() && v > 0.0 {
                Ok(v)
            } else {
                Err(VortexError::param(
                    name,
                    v,
                    "it must be a positive length, resistivity or thickness",
                ))
            }
        };
        let lambda = check("material.lambda", self.lambda)?;
        let xi = check("material.xi", self.xi)?;
        let rho_n = check("material.rho_n", self.rho_n)?;
        let d = check("material.thickness", self.thickness)?;
        // Physical ranges (generous): penetration depths of real superconductors lie between
        // about 30 nm and 100 um, coherence lengths are above an interatomic distance,
        // normal-state resistivities of metals and cuprates between about 1e-11 and 1e-4
        // Ohm m. Values far outside are typing errors (e.g. a unit prefix), not materials.
        for (name, v, lo, hi, what) in [
            (
                "material.lambda",
                lambda,
                1e-9,
                1e-3,
                "between 1 nm and 1 mm (e.g. \"200 nm\")",
            ),
            (
                "material.xi",
                xi,
                1e-10,
                1e-3,
                "at least 0.1 nm (e.g. \"4 nm\")",
            ),
            (
                "material.rho_n",
                rho_n,
                1e-13,
                1e-2,
                "between 1e-13 and 1e-2 Ohm m (e.g. \"1e-6 Ohm m\")",
            ),
            (
                "material.thickness",
                d,
                1e-10,
                1.0,
                "between 0.1 nm and 1 m (e.g. \"2 nm\")",
            ),
        ] {
            if !(lo..=hi).contains(&v) {
                return Err(VortexError::param(
                    name,
                    v,
                    &format!("outside the physical range: it must be {what}"),
                ));
            }
        }
        if xi >= 0.5 * lambda {
            return Err(VortexError::param(
                "material.xi",
                xi,
                "the London model needs a strongly type-II material, xi < lambda / 2",
            ));
        }
        let bc2 = sc::upper_critical_field(xi).map_err(|e| VortexError::Setup(e.to_string()))?;
        let eta = sc::bardeen_stephen_viscosity(bc2, rho_n)
            .map_err(|e| VortexError::Setup(e.to_string()))?;
        let f0 = sc::vortex_force_unit(lambda).map_err(|e| VortexError::Setup(e.to_string()))?;
        Ok(Units {
            length: lambda,
            force: f0,
            eta,
            time: eta * lambda / f0,
            velocity: f0 / eta,
            current_density: f0 / FLUX_QUANTUM,
            bc2,
            thickness: d,
        })
    }
}

impl Units {
    /// Reduced temperature `theta = k_B T / (f0 lambda d)`.
    pub fn theta(&self, t: f64) -> f64 {
        BOLTZMANN * t / (self.force * self.length * self.thickness)
    }

    /// Dimensionless drive `J Phi0 / f0` of a current density (A/m^2).
    pub fn drive(&self, j: f64) -> f64 {
        j / self.current_density
    }

    /// Triangular-lattice spacing at flux density `b` (T), in lambda:
    /// `a = sqrt(2 Phi0 / (sqrt 3 B)) / lambda`.
    pub fn lattice_spacing(&self, b: f64) -> f64 {
        (2.0 * FLUX_QUANTUM / (3f64.sqrt() * b)).sqrt() / self.length
    }
}

/// One point of a current sweep.
#[derive(Clone, Debug, PartialEq)]
pub struct SweepPoint {
    /// Current density (A/m^2).
    pub j: f64,
    /// True on the way up, false on the way down.
    pub up: bool,
    /// Mean vortex velocity along the Lorentz force (m/s), averaged over vortices and time.
    pub v_parallel: f64,
    /// Mean transverse velocity (m/s).
    pub v_perp: f64,
    /// Electric field along the current, `E = B v_parallel` (V/m).
    pub e: f64,
    /// Resistivity `E / J` (Ohm m).
    pub rho: f64,
    /// Fraction of vortices without six Delaunay neighbours at the end of the step.
    pub defects: Option<f64>,
    /// Mean velocities along the Lorentz force (m/s) in the first and second half of the
    /// final averaging window (see [`Steady`]).
    pub halves: (f64, f64),
    /// Extra equilibration steps spent at this current by the steady-state test.
    pub extra_steps: usize,
    /// Whether the steady-state test passed.
    pub steady: bool,
}

/// How the vortex state is prepared before the sweep.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Prepare {
    /// Start from the ideal triangular lattice.
    Lattice,
    /// Start from the lattice, melt it at `t_start` (K) and cool linearly to the sweep
    /// temperature over `steps` time steps (field cooling), so the vortices settle into the
    /// pinning landscape.
    Anneal {
        /// Starting temperature (K), above melting.
        t_start: f64,
        /// Number of time steps of the cooling ramp.
        steps: usize,
    },
}

/// A current sweep protocol.
#[derive(Clone, Debug, PartialEq)]
pub struct Sweep {
    /// Current densities of the up sweep (A/m^2), increasing.
    pub currents: Vec<f64>,
    /// Also sweep back down through the same currents.
    pub down: bool,
    /// Time steps at each current before averaging.
    pub equilibrate: usize,
    /// Time steps averaged at each current.
    pub average: usize,
    /// The steady-state test applied at each current.
    pub steady: Steady,
}

/// Steady-state test of a sweep point.
///
/// The averaging window of `average` steps is split into two halves with mean velocities
/// `v1`, `v2` along the Lorentz force. The point is steady when
///
/// `|v1 - v2| <= max(tolerance max(|v1|, |v2|), floor) + 3 sqrt(2) sigma`,
///
/// where `sigma = sqrt(2 theta / (N t_half))` (lambda / t0) is the standard error of the
/// half-window mean velocity of `N` free vortices diffusing at reduced temperature `theta`
/// over a half window `t_half` (Einstein), zero at `T = 0`. At `J = 0` a steady state is
/// at rest on average (equilibrium: no net flow of flux without a drive), so there both
/// halves must also satisfy `|v| <= floor + 3 sigma`: a slow uniform relaxation after
/// annealing, which the comparison of the halves cannot see, is not taken as steady. The
/// mean velocity of the last `min(equilibrate, average/2)` equilibration steps (or of the
/// second half of the previous window) must agree with the first half in the same way, so
/// that a transient that is uniform over one window is seen by the change from before it. When the test fails, the window
/// is counted as further equilibration and a new window is averaged, until the test passes
/// or `max_extra` further steps have been spent; a point still not steady is marked
/// (`SweepPoint::steady = false`) and the run warns.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Steady {
    /// Relative tolerance on the difference of the half-window velocities.
    pub tolerance: f64,
    /// Absolute tolerance (m/s); the scenario uses a tenth of the velocity `E_c / B` of the
    /// electric-field criterion, so that a point is settled as far as `J_c` is concerned.
    pub floor: f64,
    /// Largest number of extra equilibration steps at one current.
    pub max_extra: usize,
}

impl Default for Steady {
    /// Tolerance 5%, no absolute floor, no extension (each point is tested and marked only).
    fn default() -> Self {
        Steady {
            tolerance: 0.05,
            floor: 0.0,
            max_extra: 0,
        }
    }
}

/// Everything a vortex simulation needs, in SI units.
#[derive(Clone, Debug)]
pub struct VortexProblem {
    /// Material.
    pub material: Material,
    /// Applied flux density `B` (T).
    pub field: f64,
    /// Approximate number of vortices (the box is sized to fit a triangular lattice).
    pub vortices: usize,
    /// Temperature (K).
    pub temperature: f64,
    /// Vortex-vortex interaction (London, Pearl, or chosen from `d / lambda`).
    pub interaction: Interaction,
    /// Interaction cutoff (lambda): of the London force, or of the real-space part of the
    /// Pearl Ewald sum (a larger cutoff means fewer reciprocal vectors).
    pub cutoff: f64,
    /// Where the taper of the pair force starts (lambda).
    pub taper_start: f64,
    /// Time step (in units of t0).
    pub dt: f64,
    /// Pinning landscape description.
    pub pins: PinSpec,
    /// Preparation.
    pub prepare: Prepare,
    /// Sweep.
    pub sweep: Sweep,
    /// Random seed (noise, random pins).
    pub seed: u64,
}

/// Pinning landscape in SI units.
#[derive(Clone, Debug, PartialEq)]
pub enum PinSpec {
    /// No pins: the flux-flow reference.
    None,
    /// Random point pins with areal density (m^-2).
    Random {
        /// Pins per area (m^-2).
        density: f64,
        /// Well parameters.
        well: Well,
    },
    /// Square array with lattice constant (m).
    Square {
        /// Lattice constant (m).
        spacing: f64,
        /// Well parameters.
        well: Well,
    },
    /// Triangular array with lattice constant (m).
    Triangular {
        /// Lattice constant (m).
        spacing: f64,
        /// Well parameters.
        well: Well,
    },
    /// Explicit positions (m), e.g. read from a CSV file by the caller.
    Positions {
        /// Pin positions (m), wrapped into the sample.
        positions: Vec<[f64; 2]>,
        /// Well parameters.
        well: Well,
    },
}

/// A pinning well in SI units.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Well {
    /// Maximum pinning force per length (N/m).
    pub strength: f64,
    /// Radius (m).
    pub radius: f64,
    /// Shape.
    pub shape: PinShape,
}

/// Result of a simulation.
#[derive(Clone, Debug)]
pub struct VortexResult {
    /// Units used.
    pub units: Units,
    /// Flux density actually simulated (`N Phi0 / area`, T).
    pub field: f64,
    /// Number of vortices.
    pub vortices: usize,
    /// Sample size (m).
    pub size: (f64, f64),
    /// Pin positions (m).
    pub pins: Vec<[f64; 2]>,
    /// The sweep.
    pub points: Vec<SweepPoint>,
    /// Vortex positions (m) after preparation, at the largest current, and at the end.
    pub snapshots: Vec<(String, Vec<[f64; 2]>)>,
    /// Total time steps.
    pub steps: u64,
    /// Largest deterministic displacement `dt |F| / eta` of a vortex in one step (m).
    pub max_step: f64,
    /// Upper bound of the truncation error of a pair force (N/m).
    pub truncation_error: f64,
    /// Problems found while running (points that did not reach a steady state).
    pub warnings: Vec<String>,
    /// The interaction used.
    pub interaction: InteractionReport,
}

/// Largest memory a vortex run may need (bytes): 4 GiB. Larger set-ups are refused before
/// anything is allocated, by [`VortexProblem::validate`].
pub const MEMORY_LIMIT_BYTES: f64 = 4.0 * 1024.0 * 1024.0 * 1024.0;
/// Largest estimated run time on one core (s): 7 days. Longer runs are refused.
pub const WORK_LIMIT_S: f64 = 7.0 * 86400.0;
/// Estimated run times above this (1 hour) are accepted with a warning stating the estimate.
pub const WORK_WARNING_S: f64 = 3600.0;
/// Cost model of the run-time estimate, measured on the reference machine (one core of the
/// development VM, release build): seconds per pair force, per pin-well evaluation, per
/// vortex and step (noise, update, cell lookups), per step, and per Delaunay site of the
/// defect analysis done at each sweep point.
const COST_PAIR: f64 = 4e-9;
const COST_PIN: f64 = 3e-9;
const COST_VORTEX: f64 = 6e-8;
const COST_STEP: f64 = 3e-6;
const COST_SITE: f64 = 2e-6;
/// Largest deterministic or thermal displacement per time step (lambda) that is accepted;
/// above a tenth of it the run warns.
const MAX_STEP: f64 = 1.0;

/// What a run needs, estimated by [`VortexProblem::validate`] before anything is allocated.
#[derive(Clone, Debug, PartialEq)]
pub struct Estimate {
    /// Number of vortices (the nearest triangular lattice to the requested count).
    pub vortices: usize,
    /// Number of pins.
    pub pins: usize,
    /// Sample size (m).
    pub size: (f64, f64),
    /// Lattice spacing of the vortices (lambda).
    pub spacing: f64,
    /// Pair forces per step (each pair once, within the cutoff plus the neighbour-list skin).
    pub pair_forces: f64,
    /// Pin-well evaluations per step (pins in the 3 x 3 cells around each vortex).
    pub pin_evaluations: f64,
    /// Time steps without steady-state extensions.
    pub steps: u64,
    /// Time steps if every point uses its largest extension.
    pub max_steps: u64,
    /// Peak memory (bytes).
    pub memory_bytes: f64,
    /// Estimated run time on one core (s), without steady-state extensions.
    pub seconds: f64,
    /// Estimated run time with every point extended to the limit (s).
    pub max_seconds: f64,
    /// Largest deterministic displacement per step by the drive at the largest current
    /// (lambda).
    pub drive_step: f64,
    /// Largest thermal displacement scale per step `sqrt(2 theta dt)` (lambda), at the
    /// annealing start temperature if annealing.
    pub noise_step: f64,
    /// `dt` times the stiffness of the pin wells (their largest force gradient), in t0 / t0.
    pub pin_stiffness_dt: f64,
    /// `dt` times the largest relaxation rate of the lattice modes (the largest eigenvalue
    /// of the dynamical matrix of the perfect lattice over the Brillouin zone).
    pub lattice_stiffness_dt: f64,
}

impl Estimate {
    /// One line for `fluxion check`: sizes, work and memory.
    pub fn describe(&self) -> String {
        format!(
            "{} vortices, {} pins, {:.3e} pair forces and {:.3e} pin evaluations per step, {} steps (up to {} with steady-state extensions), about {} of memory, estimated run time {} (up to {}) on one core",
            self.vortices,
            self.pins,
            self.pair_forces,
            self.pin_evaluations,
            self.steps,
            self.max_steps,
            show_bytes(self.memory_bytes),
            show_seconds(self.seconds),
            show_seconds(self.max_seconds)
        )
    }
}

fn show_bytes(b: f64) -> String {
    if b >= 1e4 * 1024f64.powi(3) {
        format!("{:.3e} GiB", b / 1024f64.powi(3))
    } else if b >= 1024f64.powi(3) {
        format!("{:.3} GiB", b / 1024f64.powi(3))
    } else if b >= 1024f64.powi(2) {
        format!("{:.1} MiB", b / 1024f64.powi(2))
    } else {
        format!("{:.0} KiB", b / 1024.0)
    }
}

fn show_seconds(t: f64) -> String {
    if t >= 86400.0 {
        format!("{:.3e} days", t / 86400.0)
    } else if t >= 3600.0 {
        format!("{:.1} h", t / 3600.0)
    } else if t >= 60.0 {
        format!("{:.1} min", t / 60.0)
    } else {
        format!("{:.2} s", t)
    }
}

/// Box geometry of a problem (lambda): lattice shape, spacing and size.
struct Geometry {
    nx: usize,
    ny: usize,
    a: f64,
    lx: f64,
    ly: f64,
}

impl VortexProblem {
    /// Box geometry: a triangular lattice of about `vortices` vortices at the flux density.
    fn geometry(&self, u: &Units) -> Geometry {
        let a = u.lattice_spacing(self.field);
        if self.vortices == 1 {
            // One vortex in a square cell of the same density.
            let side = (3f64.sqrt() / 2.0).sqrt() * a;
            return Geometry {
                nx: 1,
                ny: 1,
                a,
                lx: side,
                ly: side,
            };
        }
        let (nx, ny) = lattice_shape(self.vortices);
        Geometry {
            nx,
            ny,
            a,
            lx: nx as f64 * a,
            ly: ny as f64 * a * 3f64.sqrt() / 2.0,
        }
    }

    /// The well of the pin specification in internal units: strength (f0), radius (lambda).
    fn well(&self, u: &Units) -> Result<Option<(f64, f64, PinShape)>, VortexError> {
        let w = match &self.pins {
            PinSpec::None => return Ok(None),
            PinSpec::Random { well, .. }
            | PinSpec::Square { well, .. }
            | PinSpec::Triangular { well, .. }
            | PinSpec::Positions { well, .. } => well,
        };
        if !(w.strength.is_finite() && w.strength >= 0.0) {
            return Err(VortexError::param(
                "pins.strength",
                w.strength,
                "the pinning force per length must be zero or positive",
            ));
        }
        if !(w.radius.is_finite() && w.radius > 0.0) {
            return Err(VortexError::param(
                "pins.radius",
                w.radius,
                "the pin radius must be positive",
            ));
        }
        Ok(Some((w.strength / u.force, w.radius / u.length, w.shape)))
    }

    /// Number of pins of the specification in a box `lx x ly` (lambda), computed in floating
    /// point (no allocation, no overflow).
    fn pin_count(&self, lx: f64, ly: f64, lam: f64) -> Result<f64, VortexError> {
        Ok(match &self.pins {
            PinSpec::None => 0.0,
            PinSpec::Random { density, .. } => {
                if !(density.is_finite() && *density >= 0.0) {
                    return Err(VortexError::param(
                        "pins.density",
                        *density,
                        "the pin density must be zero or positive",
                    ));
                }
                (density * lx * ly * lam * lam).round()
            }
            PinSpec::Square { spacing, .. } | PinSpec::Triangular { spacing, .. } => {
                let a = spacing / lam;
                if !(a > 0.0 && a.is_finite()) {
                    return Err(VortexError::param(
                        "pins.spacing",
                        *spacing,
                        "the pin spacing must be positive",
                    ));
                }
                let nx = (lx / a).round().max(1.0);
                if matches!(self.pins, PinSpec::Square { .. }) {
                    nx * (ly / a).round().max(1.0)
                } else {
                    nx * (ly / (a * 3f64.sqrt() / 2.0) / 2.0).round().max(1.0) * 2.0
                }
            }
            PinSpec::Positions { positions, .. } => positions.len() as f64,
        })
    }

    /// Check every parameter and estimate the memory, the pair interactions, the time steps
    /// and the run time, without allocating the system: what [`VortexProblem::build`] and
    /// [`VortexProblem::run`] would refuse on input grounds is refused here. Returns the
    /// units, the estimate and warnings (legal but suspicious input).
    ///
    /// Limits: memory above [`MEMORY_LIMIT_BYTES`] and an estimated run time above
    /// [`WORK_LIMIT_S`] are refused (the message states the need and what to change); a run
    /// time above [`WORK_WARNING_S`] is a warning. Displacements per step above one lambda (by
    /// the drive at the largest current, or by the thermal noise), a pin well whose stiffness
    /// makes explicit Euler steps unstable (`dt k > 2`) and a lattice whose fastest mode makes
    /// them unstable (`dt lambda_max > 2`, see `lattice_stiffness`) are refused; a tenth of
    /// the step limits, `dt k > 0.5` and `dt lambda_max > 1` (overshooting modes) are warnings.
    pub fn validate(&self) -> Result<(Units, Estimate, Vec<String>), VortexError> {
        let u = self.material.units()?;
        let mut warnings = vec![];
        if !(self.field.is_finite() && self.field > 0.0) {
            return Err(VortexError::param(
                "sample.field",
                self.field,
                "the flux density must be positive (e.g. \"0.5 T\")",
            ));
        }
        if self.field >= u.bc2 {
            return Err(VortexError::param(
                "sample.field",
                self.field,
                "the field must stay below B_c2 (the sample would be normal); lower it or the coherence length",
            ));
        }
        if !(1..=2_000_000).contains(&self.vortices) {
            return Err(VortexError::param(
                "sample.vortices",
                self.vortices as f64,
                "between 1 and 2e6 vortices",
            ));
        }
        if !(self.temperature.is_finite() && self.temperature >= 0.0) {
            return Err(VortexError::param(
                "temperature",
                self.temperature,
                "the temperature must be 0 K or above",
            ));
        }
        if !(self.dt > 0.0 && self.dt.is_finite()) {
            return Err(VortexError::param(
                "dynamics.dt",
                self.dt,
                "the time step must be positive (e.g. 0.01 t0)",
            ));
        }
        let sw = &self.sweep;
        if sw.currents.is_empty() || sw.currents.iter().any(|j| !(j.is_finite() && *j >= 0.0)) {
            return Err(VortexError::Setup(
                "sweep: give at least one current density, each zero or positive".into(),
            ));
        }
        if sw.average == 0 {
            return Err(VortexError::param(
                "sweep.average",
                0.0,
                "average over at least one time step",
            ));
        }
        let st = &sw.steady;
        if !(st.tolerance.is_finite() && st.tolerance > 0.0) {
            return Err(VortexError::param(
                "sweep.steady_tolerance",
                st.tolerance,
                "the relative steady-state tolerance must be positive (default 0.05)",
            ));
        }
        if !(st.floor.is_finite() && st.floor >= 0.0) {
            return Err(VortexError::param(
                "sweep.steady_floor",
                st.floor,
                "the absolute steady-state tolerance must be zero or positive",
            ));
        }
        let (prep_steps, t_hot) = match self.prepare {
            Prepare::Lattice => (0, self.temperature),
            Prepare::Anneal { t_start, steps } => {
                if !(t_start.is_finite() && t_start >= self.temperature) {
                    return Err(VortexError::param(
                        "prepare.start_temperature",
                        t_start,
                        "annealing starts at or above the sweep temperature",
                    ));
                }
                (steps, t_start)
            }
        };
        let g = self.geometry(&u);
        let n = g.nx * g.ny;
        let (lx, ly, lam) = (g.lx, g.ly, u.length);
        // Pair force (cheap to build: a fixed table) and the box it needs.
        let skin = 0.5;
        let pair = if n > 1 {
            Some(PairForce::new(
                self.cutoff,
                self.taper_start,
                (self.material.xi / lam).min(0.49),
            )?)
        } else {
            None
        };
        if let Some(p) = &pair {
            let reach = p.cutoff() + skin;
            if lx < 2.0 * reach || ly < 2.0 * reach {
                return Err(VortexError::Setup(format!(
                    "the sample ({lx:.3e} x {ly:.3e} lambda) is smaller than twice the interaction reach \
                     ({reach:.2} lambda); use more vortices (a larger sample) or a smaller interaction.cutoff"
                )));
            }
            if g.a > p.cutoff() {
                warnings.push(format!(
                    "the vortex spacing ({:.3} lambda) exceeds the interaction cutoff ({} lambda): the vortices do not interact; raise the field or interaction.cutoff if they should",
                    g.a,
                    p.cutoff()
                ));
            }
        }
        // A thin film's Ewald sum: its own estimate refuses an over-large reciprocal sum
        // before the k vectors are allocated.
        if n > 1
            && self
                .interaction
                .resolve(self.material.lambda, self.material.thickness)
                == Interaction::Pearl
        {
            let kappa = self.material.thickness / (2.0 * self.material.lambda);
            PearlEwald::new(kappa, lx, ly, n, self.taper_start, pearl::DEFAULT_ACCURACY)?;
        }
        // Pins: count and well, before any allocation.
        let well = self.well(&u)?;
        let n_pins = self.pin_count(lx, ly, lam)?;
        let (mut pin_memory, mut pin_evaluations, mut pin_stiffness) = (0.0, 0.0, 0.0);
        if let Some((s, r, shape)) = well {
            if 2.0 * r >= lx.min(ly) {
                return Err(VortexError::param(
                    "pins.radius",
                    r * lam,
                    "the pin radius must be smaller than half the sample",
                ));
            }
            let range = match shape {
                PinShape::Gaussian => 3.0 * r,
                PinShape::Parabolic => r,
            };
            let pnx = (lx / range).floor().clamp(1.0, 4096.0);
            let pny = (ly / range).floor().clamp(1.0, 4096.0);
            // Positions twice (generated, then wrapped), cell items, cells, Gaussian table.
            pin_memory = n_pins * 36.0 + pnx * pny * 4.0 + 8194.0 * 8.0;
            pin_evaluations = n as f64 * n_pins * pnx.min(3.0) * pny.min(3.0) / (pnx * pny);
            // Largest force gradient of a well: 2 U0 / r_p^2 = sqrt(2e) f_p / r_p (Gaussian),
            // f_p / r_p (parabolic).
            let k = match shape {
                PinShape::Gaussian => (2.0 * std::f64::consts::E).sqrt(),
                PinShape::Parabolic => 1.0,
            } * s
                / r;
            pin_stiffness = k * self.dt;
            if s == 0.0 {
                pin_evaluations = 0.0;
            }
        }
        // Vortex arrays: positions, forces, reference positions, scratch (16 B each),
        // list lengths, slabs, permutation (4 B each), the neighbour rows, cells, noise
        // streams; snapshots; the Delaunay analysis (sites with images) and the outputs.
        let density = n as f64 / (lx * ly);
        let (neighbours, max_nbr, cells) = match &pair {
            Some(p) => {
                let reach = p.cutoff() + skin;
                let full = (density * std::f64::consts::PI * reach * reach).min(n as f64 - 1.0);
                let cap = 2.0 * (n as f64).sqrt().ceil() + 2.0;
                let cells = ((lx / reach).floor().min(cap).max(1.0))
                    * ((ly / reach).floor().min(cap).max(1.0));
                (
                    full,
                    (density * std::f64::consts::PI * reach * reach * 1.5 + 16.0).min(n as f64),
                    cells,
                )
            }
            None => (0.0, 0.0, 0.0),
        };
        let spacing = (lx * ly / n as f64).sqrt();
        let margin = (3.0 * spacing).min(0.5 * lx.min(ly));
        let sites = n as f64 * ((1.0 + 2.0 * margin / lx) * (1.0 + 2.0 * margin / ly)).min(9.0);
        let vortex_memory = n as f64 * (76.0 + 4.0 * max_nbr + 3.0 * 16.0 + 600.0)
            + cells * 4.0
            + (n as f64 / 256.0).ceil() * 64.0
            + sites * 200.0;
        let memory = vortex_memory + pin_memory + 16.0 * 1024.0 * 1024.0;
        let pair_forces = n as f64 * neighbours / 2.0;
        let points = (sw.currents.len() * if sw.down { 2 } else { 1 }) as u64;
        let steps = prep_steps as u64 + points * (sw.equilibrate + sw.average) as u64;
        let max_steps = steps + points * st.max_extra as u64;
        let per_step = COST_STEP
            + n as f64 * COST_VORTEX
            + pair_forces * COST_PAIR
            + pin_evaluations * COST_PIN;
        let analysis = points as f64 * sites * COST_SITE;
        let seconds = steps as f64 * per_step + analysis;
        let max_seconds = max_steps as f64 * per_step + analysis;
        // Displacements per step and stiffness.
        let j_max = sw.currents.iter().cloned().fold(0.0, f64::max);
        let drive_step = self.dt * u.drive(j_max);
        let noise_step = (2.0 * u.theta(t_hot) * self.dt).sqrt();
        let lattice_stiffness = pair
            .as_ref()
            .map_or(0.0, |p| lattice_stiffness(p, g.a) * self.dt);
        let est = Estimate {
            vortices: n,
            pins: n_pins.min(usize::MAX as f64) as usize,
            size: (lx * lam, ly * lam),
            spacing: g.a,
            pair_forces,
            pin_evaluations,
            steps,
            max_steps,
            memory_bytes: memory,
            seconds,
            max_seconds,
            drive_step,
            noise_step,
            pin_stiffness_dt: pin_stiffness,
            lattice_stiffness_dt: lattice_stiffness,
        };
        // Refusals, with what it would need and what to change.
        if memory.is_nan() || memory > MEMORY_LIMIT_BYTES {
            let need = show_bytes(memory);
            return Err(if pin_memory > vortex_memory {
                let (key, value, what) = match &self.pins {
                    PinSpec::Random { density, .. } => (
                        "pins.density",
                        *density,
                        "lower the pin density (or use pins.matching_field)",
                    ),
                    PinSpec::Square { spacing, .. } | PinSpec::Triangular { spacing, .. } => {
                        ("pins.spacing", *spacing, "raise the pin spacing")
                    }
                    _ => ("pins.file", n_pins, "use fewer pins"),
                };
                VortexError::param(
                    key,
                    value,
                    &format!(
                        "it would place {n_pins:.3e} pins in the {:.3e} x {:.3e} m sample and need about {need} of memory, above the limit of {}; {what}, or use fewer vortices (a smaller sample)",
                        lx * lam,
                        ly * lam,
                        show_bytes(MEMORY_LIMIT_BYTES)
                    ),
                )
            } else {
                VortexError::param(
                    "sample.vortices",
                    n as f64,
                    &format!(
                        "{n} vortices with {:.3e} neighbours each within the interaction reach (spacing {:.3e} lambda) need about {need} of memory, above the limit of {}; use fewer vortices, a lower field or a smaller interaction.cutoff",
                        neighbours,
                        g.a,
                        show_bytes(MEMORY_LIMIT_BYTES)
                    ),
                )
            });
        }
        if drive_step.is_nan() || drive_step > MAX_STEP {
            return Err(VortexError::param(
                "sweep.currents",
                j_max,
                &format!(
                    "the largest current moves a vortex {drive_step:.3e} lambda per time step (dt_t0 J Phi0 / f0); above {MAX_STEP} lambda the pins and neighbours are stepped over: keep the currents below {:.3e} A/m^2 at this time step, or lower dynamics.dt_t0",
                    MAX_STEP / self.dt * u.current_density
                ),
            ));
        }
        if noise_step.is_nan() || noise_step > MAX_STEP {
            let key = if t_hot > self.temperature {
                "prepare.start_temperature"
            } else {
                "temperature"
            };
            return Err(VortexError::param(
                key,
                t_hot,
                &format!(
                    "the thermal step sqrt(2 theta dt) is {noise_step:.3e} lambda (theta = k_B T / (f0 lambda d) = {:.3e}); above {MAX_STEP} lambda the dynamics is meaningless: lower the temperature, dynamics.dt_t0, or raise material.thickness",
                    u.theta(t_hot)
                ),
            ));
        }
        if pin_stiffness.is_nan() || pin_stiffness > 2.0 {
            let (s, r, _) = well.unwrap_or((0.0, 1.0, PinShape::Gaussian));
            return Err(VortexError::param(
                "pins.strength",
                s * u.force,
                &format!(
                    "a pin well of strength {s:.3e} f0 and radius {r:.3e} lambda is too stiff for the time step: dt_t0 times its largest force gradient is {pin_stiffness:.3e}, and explicit Euler steps are unstable above 2; lower dynamics.dt_t0 below {:.3e}, weaken or widen the pins",
                    2.0 * self.dt / pin_stiffness
                ),
            ));
        }
        if lattice_stiffness.is_nan() || lattice_stiffness > 2.0 {
            return Err(VortexError::param(
                "dynamics.dt_t0",
                self.dt,
                &format!(
                    "the vortex lattice (spacing {:.3e} lambda) is too stiff for this time step: dt_t0 times the largest relaxation rate of its modes is {lattice_stiffness:.3e}, and explicit Euler steps are unstable above 2; use dt_t0 below {:.3e}",
                    g.a,
                    2.0 * self.dt / lattice_stiffness
                ),
            ));
        }
        if seconds.is_nan() || seconds > WORK_LIMIT_S {
            return Err(VortexError::param(
                "sweep",
                steps as f64,
                &format!(
                    "{steps} time steps of {n} vortices ({pair_forces:.3e} pair forces and {pin_evaluations:.3e} pin evaluations per step) would take about {} on one core, above the limit of {}; use fewer vortices, fewer currents or fewer steps per current",
                    show_seconds(seconds),
                    show_seconds(WORK_LIMIT_S)
                ),
            ));
        }
        // Warnings.
        if seconds > WORK_WARNING_S || max_seconds > 10.0 * WORK_WARNING_S {
            warnings.push(format!(
                "large run: estimated {} on one core (up to {} if every current needs the largest steady-state extension), {steps} steps of {n} vortices",
                show_seconds(seconds),
                show_seconds(max_seconds)
            ));
        }
        if drive_step > 0.1 * MAX_STEP {
            warnings.push(format!(
                "the largest current moves a vortex {drive_step:.3} lambda per time step; reduce dynamics.dt_t0 for accuracy"
            ));
        }
        if let Some((_, r, _)) = well {
            if drive_step > 0.5 * r {
                warnings.push(format!(
                    "at the largest current a vortex crosses a pin ({r:.3} lambda radius) in fewer than two time steps ({drive_step:.3} lambda per step): the pinning force is under-resolved there; reduce dynamics.dt_t0"
                ));
            }
        }
        if noise_step > 0.1 * MAX_STEP {
            warnings.push(format!(
                "the thermal step sqrt(2 theta dt) is {noise_step:.3} lambda at {t_hot} K; reduce dynamics.dt_t0 for accuracy"
            ));
        }
        if pin_stiffness > 0.5 {
            warnings.push(format!(
                "the pin wells are stiff for the time step (dt times the force gradient = {pin_stiffness:.3}); reduce dynamics.dt_t0 below {:.3e} for accuracy",
                0.5 * self.dt / pin_stiffness
            ));
        }
        if lattice_stiffness > 1.0 {
            warnings.push(format!(
                "the vortex lattice is stiff for the time step (dt times the largest relaxation rate of its modes = {lattice_stiffness:.3}): explicit Euler steps overshoot (oscillate) above 1; use dynamics.dt_t0 below {:.3e}",
                self.dt / lattice_stiffness
            ));
        }
        Ok((u, est, warnings))
    }

    /// Build the system: units, box, lattice, pins (after [`VortexProblem::validate`]).
    pub fn build(&self) -> Result<(Units, VortexSystem, f64), VortexError> {
        let (u, _, _) = self.validate()?;
        let g = self.geometry(&u);
        let (pos, lx, ly) = if self.vortices == 1 {
            (vec![[0.5 * g.lx, 0.5 * g.ly]], g.lx, g.ly)
        } else {
            triangular_lattice(g.nx, g.ny, g.a)
        };
        let (pair, ewald) = self.pair_forces(&u, pos.len(), lx, ly)?;
        let lam = u.length;
        let pins = match (&self.pins, self.well(&u)?) {
            (PinSpec::Random { density, .. }, Some((s, r, shape))) => {
                let n = (density * lx * ly * lam * lam).round() as usize;
                Some(Pins::random(n, self.seed, s, r, shape, lx, ly)?)
            }
            (PinSpec::Square { spacing, .. }, Some((s, r, shape))) => {
                Some(Pins::square(spacing / lam, s, r, shape, lx, ly)?)
            }
            (PinSpec::Triangular { spacing, .. }, Some((s, r, shape))) => {
                Some(Pins::triangular(spacing / lam, s, r, shape, lx, ly)?)
            }
            (PinSpec::Positions { positions, .. }, Some((s, r, shape))) => {
                let p = positions.iter().map(|[x, y]| [x / lam, y / lam]).collect();
                Some(Pins::new(p, s, r, shape, lx, ly)?)
            }
            _ => None,
        };
        let mut sys = VortexSystem::new(pos, lx, ly, pair, pins, self.dt, self.seed)?;
        sys.set_long_range(ewald)?;
        let field = sys.len() as f64 * FLUX_QUANTUM / (lx * ly * lam * lam);
        Ok((u, sys, field))
    }

    /// The pair interaction of `n` vortices in an `lx` x `ly` box (lambda): the London
    /// force, or for a thin film the short-range Ewald part of the Pearl force plus its
    /// reciprocal-space sum (see [`pearl`]).
    fn pair_forces(
        &self,
        u: &Units,
        n: usize,
        lx: f64,
        ly: f64,
    ) -> Result<(Option<PairForce>, Option<PearlEwald>), VortexError> {
        if n < 2 {
            return Ok((None, None));
        }
        let core = (self.material.xi / u.length).min(0.49);
        let pearl = self
            .interaction
            .resolve(self.material.lambda, self.material.thickness)
            == Interaction::Pearl;
        if !pearl {
            return Ok((
                Some(PairForce::new(self.cutoff, self.taper_start, core)?),
                None,
            ));
        }
        let kappa = self.material.thickness / (2.0 * self.material.lambda);
        let e = PearlEwald::new(kappa, lx, ly, n, self.taper_start, pearl::DEFAULT_ACCURACY)?;
        Ok((
            Some(e.short_range(self.cutoff, self.taper_start, core)?),
            Some(e),
        ))
    }

    /// Prepare the vortex state and run the current sweep, reporting progress. At each
    /// current the steady-state test of [`Steady`] decides whether the averaging window is
    /// repeated (see there).
    pub fn run(&self, progress: &mut dyn Progress) -> Result<VortexResult, VortexError> {
        let sw = &self.sweep;
        let (u, mut sys, field) = self.build()?;
        let theta = u.theta(self.temperature);
        let (lx, ly) = sys.size();
        let lam = u.length;
        let to_si = |p: Vec<[f64; 2]>| {
            p.into_iter()
                .map(|[x, y]| [x * lam, y * lam])
                .collect::<Vec<_>>()
        };
        let prep_steps = match self.prepare {
            Prepare::Lattice => 0,
            Prepare::Anneal { steps, .. } => steps,
        };
        let mut schedule: Vec<(f64, bool)> = sw.currents.iter().map(|&j| (j, true)).collect();
        if sw.down {
            schedule.extend(sw.currents.iter().rev().map(|&j| (j, false)));
        }
        let per_point = sw.equilibrate + sw.average;
        let total = (prep_steps + schedule.len() * per_point).max(1) as f64;
        let mut done = 0usize;
        if let Prepare::Anneal { t_start, steps } = self.prepare {
            let th0 = u.theta(t_start);
            for k in 0..steps {
                let f = k as f64 / steps.max(1) as f64;
                sys.step([0.0, 0.0], th0 + (theta - th0) * f);
                done += 1;
                if k % 256 == 0 {
                    progress.update(done as f64 / total, "annealing");
                }
            }
        }
        let mut snapshots = vec![("prepared".to_string(), to_si(sys.positions()))];
        let mut points = Vec::with_capacity(schedule.len());
        let j_max = sw.currents.iter().cloned().fold(0.0, f64::max);
        let n = sys.len() as f64;
        // Half windows: the first `h1` steps and the remaining `h2`.
        let h1 = sw.average / 2;
        let h2 = sw.average - h1;
        // Standard error of a half-window mean velocity of free vortices (lambda / t0).
        let dt_sys = sys.dt();
        let sigma = |steps: usize| {
            if steps == 0 {
                0.0
            } else {
                (2.0 * theta / (n * steps as f64 * dt_sys)).sqrt()
            }
        };
        let noise = 3.0 * (sigma(h1).powi(2) + sigma(h2).powi(2)).sqrt() * u.velocity;
        for (idx, &(j, up)) in schedule.iter().enumerate() {
            let drive = [0.0, -u.drive(j)];
            // The last (up to half a window of) equilibration steps give a third segment.
            let m = sw.equilibrate.min(h2);
            let mut prev_sum = 0.0;
            for k in 0..sw.equilibrate {
                let d = sys.step(drive, theta);
                if k >= sw.equilibrate - m {
                    prev_sum += d[1];
                }
            }
            let mut prev = (m > 0).then(|| (-prev_sum / (m as f64 * sys.dt()) * u.velocity, m));
            let mut extra = 0usize;
            let (v_par, v_perp, halves, steady) = loop {
                let mut sums = [[0.0f64; 2]; 2];
                for k in 0..sw.average {
                    let d = sys.step(drive, theta);
                    let half = usize::from(k >= h1);
                    sums[half][0] += d[0];
                    sums[half][1] += d[1];
                }
                let dt = sys.dt();
                let t_avg = sw.average as f64 * dt;
                // Along the Lorentz force (-y) and transverse (+x), in m/s.
                let v_par = -(sums[0][1] + sums[1][1]) / t_avg * u.velocity;
                let v_perp = (sums[0][0] + sums[1][0]) / t_avg * u.velocity;
                let half_v = |s: &[f64; 2], steps: usize| {
                    if steps == 0 {
                        v_par
                    } else {
                        -s[1] / (steps as f64 * dt) * u.velocity
                    }
                };
                let (v1, v2) = (half_v(&sums[0], h1), half_v(&sums[1], h2));
                let tol =
                    (sw.steady.tolerance * v1.abs().max(v2.abs())).max(sw.steady.floor) + noise;
                // Without a drive a steady state is at rest on average (equilibrium: no net
                // flow of flux), so at J = 0 both halves must also be within the floor of 0.
                let at_rest =
                    j > 0.0 || (v1.abs().max(v2.abs()) <= sw.steady.floor + noise / 2f64.sqrt());
                // The segment before the window must agree too (a transient that happens
                // to be uniform over one window is caught by the change from before it).
                let before = prev.map_or(true, |(v0, m0)| {
                    let tol0 = (sw.steady.tolerance * v0.abs().max(v1.abs())).max(sw.steady.floor)
                        + 3.0 * (sigma(m0).powi(2) + sigma(h1).powi(2)).sqrt() * u.velocity;
                    (v0 - v1).abs() <= tol0
                });
                let steady = (v1 - v2).abs() <= tol && at_rest && before;
                prev = Some((v2, h2));
                if steady || extra + sw.average > sw.steady.max_extra {
                    break (v_par, v_perp, (v1, v2), steady);
                }
                extra += sw.average;
                progress.update(
                    done as f64 / total,
                    &format!("J = {j:.3e} A/m^2: not steady yet, {extra} extra steps"),
                );
            };
            done += per_point;
            let e = field * v_par;
            let pos = sys.positions();
            points.push(SweepPoint {
                j,
                up,
                v_parallel: v_par,
                v_perp,
                e,
                rho: if j > 0.0 { e / j } else { 0.0 },
                defects: defect_fraction(&pos, lx, ly),
                halves,
                extra_steps: extra,
                steady,
            });
            if up && j == j_max {
                snapshots.push(("max_current".to_string(), to_si(pos)));
            }
            progress.update(
                done as f64 / total,
                &format!("J = {j:.3e} A/m^2 ({}/{})", idx + 1, schedule.len()),
            );
        }
        snapshots.push(("final".to_string(), to_si(sys.positions())));
        let mut warnings = vec![];
        let unsteady: Vec<&SweepPoint> = points.iter().filter(|p| !p.steady).collect();
        if !unsteady.is_empty() {
            let list = unsteady
                .iter()
                .take(8)
                .map(|p| {
                    format!(
                        "{:.3e} A/m^2 {} (halves {:.3e} and {:.3e} m/s)",
                        p.j,
                        if p.up { "up" } else { "down" },
                        p.halves.0,
                        p.halves.1
                    )
                })
                .collect::<Vec<_>>()
                .join(", ");
            warnings.push(format!(
                "{} of {} sweep points did not reach a steady state within {} extra equilibration steps (the mean velocities of the two halves of the averaging window differ by more than {}% or {:.3e} m/s): {list}{}; their E is not a steady-state value: raise sweep.equilibrate, sweep.average or sweep.max_equilibrate",
                unsteady.len(),
                points.len(),
                sw.steady.max_extra,
                sw.steady.tolerance * 100.0,
                sw.steady.floor + noise,
                if unsteady.len() > 8 { ", ..." } else { "" }
            ));
        }
        let pins = sys.pins().map_or(vec![], |p| to_si(p.positions().to_vec()));
        Ok(VortexResult {
            units: u,
            field,
            vortices: sys.len(),
            size: (lx * lam, ly * lam),
            pins,
            points,
            snapshots,
            steps: sys.steps,
            max_step: sys.max_step * lam,
            truncation_error: sys.pair().map_or(0.0, |p| p.truncation_error()) * u.force,
            warnings,
            interaction: self.interaction_report(&sys, &u),
        })
    }

    /// Which interaction the system `sys` (built by [`VortexProblem::build`]) uses, and why.
    pub fn interaction_report(&self, sys: &VortexSystem, u: &Units) -> InteractionReport {
        let (lambda, d) = (self.material.lambda, self.material.thickness);
        let ratio = d / lambda;
        let resolved = self.interaction.resolve(lambda, d);
        let reason = match self.interaction {
            Interaction::Auto => format!(
                "auto: d / lambda = {ratio:.4} is {} {PEARL_THRESHOLD} ({})",
                if resolved == Interaction::Pearl {
                    "below"
                } else {
                    "at or above"
                },
                if resolved == Interaction::Pearl {
                    "thin film, Pearl length 2 lambda^2/d"
                } else {
                    "thick film or bulk, London K1(r/lambda)"
                }
            ),
            other => format!("requested {} (d / lambda = {ratio:.4})", other.name()),
        };
        let kind = match (sys.pair(), sys.long_range()) {
            (None, _) => "none",
            (Some(p), _) if p.is_pearl() => "pearl",
            _ => "london",
        };
        InteractionReport {
            kind,
            requested: self.interaction.name(),
            reason,
            pearl_length: pearl::pearl_length(lambda, d),
            ewald: sys.long_range().map(|e| EwaldReport {
                alpha: e.alpha(),
                k_max: e.k_max(),
                k_vectors: e.k_vectors(),
                real_space_error: e.real_space_error() * u.force,
                reciprocal_error: e.reciprocal_error() * u.force,
            }),
        }
    }
}

/// Largest relaxation rate of a perfect triangular lattice of spacing `a` (lambda) under the
/// pair force: the largest eigenvalue over the Brillouin zone of the dynamical matrix
///
/// `D(q) = sum_j (1 - cos q.r_j) [ |f'(r_j)| r^ r^T - (f(r_j) / r_j) (I - r^ r^T) ]`
///
/// (the Hessian of the interaction energy per vortex; in internal units the drag is 1, so
/// the linearized motion is `dx/dt = -D x`). Explicit Euler multiplies a mode by
/// `1 - dt lambda`: it is stable for `dt lambda_max < 2` and monotone below 1. Sites within
/// `150 a` are summed exactly; beyond, the sum is bounded by the integral of
/// `2 (|f'| + f/r)` with the lattice density (an overestimate, so only very dense lattices are
/// affected). `q` runs over a 12 x 12 grid of the reciprocal cell, which holds the zone corners
/// `K` and edge centres `M`.
fn lattice_stiffness(p: &PairForce, a: f64) -> f64 {
    let deriv = |r: f64| {
        let h = 1e-5 * r.max(1e-3);
        let lo = (r - h).max(0.0);
        (p.exact(r + h) - p.exact(lo)) / (r + h - lo)
    };
    let rc = p.cutoff();
    let r_exact = rc.min(150.0 * a);
    let h3 = a * 3f64.sqrt() / 2.0;
    let m = (r_exact / h3).ceil() as i64 + 1;
    // Sites with their Hessian blocks (xx, xy, yy).
    let mut sites: Vec<([f64; 2], [f64; 3])> = vec![];
    for j in -m..=m {
        let y = j as f64 * h3;
        let shift = if j.rem_euclid(2) == 1 { 0.5 * a } else { 0.0 };
        for i in -m..=m {
            let x = i as f64 * a + shift;
            let r = (x * x + y * y).sqrt();
            if r > 0.0 && r < r_exact {
                let (kr, kt) = (deriv(r).abs(), -p.exact(r) / r);
                let (cx, cy) = (x / r, y / r);
                let hxx = kr * cx * cx + kt * (1.0 - cx * cx);
                let hxy = (kr - kt) * cx * cy;
                let hyy = kr * cy * cy + kt * (1.0 - cy * cy);
                sites.push(([x, y], [hxx, hxy, hyy]));
            }
        }
    }
    let mut tail = 0.0;
    if r_exact < rc {
        let density = 2.0 / (3f64.sqrt() * a * a);
        let steps = 400;
        let h = (rc - r_exact) / steps as f64;
        let mut acc = 0.0;
        for q in 0..=steps {
            let r = r_exact + q as f64 * h;
            let w = if q == 0 || q == steps {
                1.0
            } else if q % 2 == 1 {
                4.0
            } else {
                2.0
            };
            acc += w * 2.0 * std::f64::consts::PI * r * 2.0 * (deriv(r).abs() + p.exact(r) / r);
        }
        tail = density * acc * h / 3.0;
    }
    // Reciprocal vectors of the lattice a1 = (a, 0), a2 = (a/2, a sqrt(3)/2).
    let tau = 2.0 * std::f64::consts::PI / a;
    let b1 = [tau, -tau / 3f64.sqrt()];
    let b2 = [0.0, 2.0 * tau / 3f64.sqrt()];
    let grid = 12;
    let mut best = 0.0f64;
    for u in 0..grid {
        for v in 0..grid {
            let (fu, fv) = (u as f64 / grid as f64, v as f64 / grid as f64);
            let q = [fu * b1[0] + fv * b2[0], fu * b1[1] + fv * b2[1]];
            let (mut dxx, mut dxy, mut dyy) = (0.0, 0.0, 0.0);
            for (r, h) in &sites {
                let w = 1.0 - (q[0] * r[0] + q[1] * r[1]).cos();
                dxx += w * h[0];
                dxy += w * h[1];
                dyy += w * h[2];
            }
            let mean = 0.5 * (dxx + dyy);
            let disc = (0.25 * (dxx - dyy) * (dxx - dyy) + dxy * dxy).sqrt();
            best = best.max(mean + disc);
        }
    }
    best + tail
}

/// Critical current density (A/m^2) on the up sweep by a threshold on `value(point)`: the
/// current above which the value stays at or above the threshold, linearly interpolated
/// between the last point below and the next one. Points at zero current are skipped
/// (motion there is relaxation, not driven flow). A point above the threshold followed by
/// points below it is a transient (an avalanche of a small sample at T = 0), not the onset
/// of flow, and does not set `J_c`. `None` if the last point is below the threshold; the
/// first nonzero current if every point exceeds it (J_c is then at or below it).
pub fn critical_current(
    points: &[SweepPoint],
    threshold: f64,
    value: impl Fn(&SweepPoint) -> f64,
) -> Option<f64> {
    let up: Vec<&SweepPoint> = points.iter().filter(|p| p.up && p.j > 0.0).collect();
    if value(up.last()?) < threshold {
        return None;
    }
    let Some(below) = up.iter().rposition(|p| value(p) < threshold) else {
        return Some(up[0].j);
    };
    let (a, b) = (up[below], up[below + 1]);
    let (va, vb) = (value(a), value(b));
    Some(a.j + (threshold - va) / (vb - va) * (b.j - a.j))
}

/// The flux-flow branch of an I-V curve: `E = rho_f J - b / J`, fitted to the up sweep by
/// linear least squares at the currents `J >= j_min`.
///
/// Why the `1/J` term: above depinning the pins still slow the vortices, by a mean pinning
/// force that decreases as the velocity grows. For one vortex in a periodic potential
/// (the washboard, e.g. sinusoidal with maximum force `f_p`) the mean velocity is
/// `v = sqrt(F^2 - f_p^2) / eta = (F - f_p^2 / (2 F) + ...) / eta`, and for random pins the
/// dynamic pinning force of a fast lattice falls as `1/v` too (Schmid & Hauger, J. Low Temp.
/// Phys. 11, 667 (1973); Koshelev & Vinokur, PRL 73, 3580 (1994)). The slope `dE/dJ` of the
/// branch is therefore `rho_f (1 + f_p^2 / (2 F^2))`, larger than the Bardeen-Stephen value
/// `rho_f = rho_n B / B_c2` at any finite drive (1.2x at `F = 1.5 f_p`); `rho_f` of this fit
/// is the large-drive limit, which is the Bardeen-Stephen resistivity.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct FluxFlowFit {
    /// Asymptotic flux-flow resistivity `rho_f` (Ohm m).
    pub rho: f64,
    /// Coefficient `b` of the pinning term (V A / m^3).
    pub b: f64,
    /// Smallest current used (A/m^2).
    pub j_min: f64,
    /// Number of points used.
    pub count: usize,
    /// Plain least-squares slope `dE/dJ` of the same points (Ohm m), for comparison.
    pub slope: f64,
}

impl FluxFlowFit {
    /// The fitted electric field (V/m) at current density `j` (A/m^2).
    pub fn e(&self, j: f64) -> f64 {
        self.rho * j - self.b / j
    }
}

/// Fit [`FluxFlowFit`] to the up-sweep points with `j >= j_min` (at least three, else the
/// three highest currents).
pub fn flux_flow_fit(points: &[SweepPoint], j_min: f64) -> Option<FluxFlowFit> {
    let mut up: Vec<&SweepPoint> = points.iter().filter(|p| p.up && p.j > 0.0).collect();
    up.sort_by(|a, b| a.j.total_cmp(&b.j));
    let mut sel: Vec<&SweepPoint> = up.iter().copied().filter(|p| p.j >= j_min).collect();
    if sel.len() < 3 {
        sel = up[up.len().saturating_sub(3)..].to_vec();
    }
    if sel.len() < 2 {
        return None;
    }
    // Normal equations for E = rho J - b / J.
    let (mut s11, mut s12, mut s22, mut r1, mut r2) = (0.0, 0.0, 0.0, 0.0, 0.0);
    for p in &sel {
        let (x1, x2) = (p.j, -1.0 / p.j);
        s11 += x1 * x1;
        s12 += x1 * x2;
        s22 += x2 * x2;
        r1 += x1 * p.e;
        r2 += x2 * p.e;
    }
    let det = s11 * s22 - s12 * s12;
    if det.is_nan() || det.abs() <= 1e-12 * s11 * s22 {
        return None;
    }
    let rho = (r1 * s22 - r2 * s12) / det;
    let b = (s11 * r2 - s12 * r1) / det;
    let n = sel.len() as f64;
    let mx = sel.iter().map(|p| p.j).sum::<f64>() / n;
    let my = sel.iter().map(|p| p.e).sum::<f64>() / n;
    let sxx: f64 = sel.iter().map(|p| (p.j - mx).powi(2)).sum();
    let sxy: f64 = sel.iter().map(|p| (p.j - mx) * (p.e - my)).sum();
    Some(FluxFlowFit {
        rho,
        b,
        j_min: sel[0].j,
        count: sel.len(),
        slope: sxy / sxx,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The stability limit of explicit Euler from the lattice modes is the real one: a
    /// slightly perturbed triangular lattice relaxes with `dt = 0.9 (2 / lambda_max)` and
    /// blows up with `dt = 1.1 (2 / lambda_max)` (linear stability of `x -> (1 - dt D) x`).
    #[test]
    fn lattice_stability_limit_is_the_largest_mode_rate() {
        let pair = PairForce::new(5.0, 4.0, 0.05).unwrap();
        let a = 0.8;
        let lam = lattice_stiffness(&pair, a);
        let (pos, lx, ly) = triangular_lattice(18, 18, a);
        let perturbed: Vec<[f64; 2]> = pos
            .iter()
            .enumerate()
            .map(|(i, p)| {
                let s = ((i * 7919) % 1000) as f64 / 1000.0 - 0.5;
                let t = ((i * 104_729) % 997) as f64 / 997.0 - 0.5;
                [p[0] + 1e-6 * s, p[1] + 1e-6 * t]
            })
            .collect();
        let growth = |factor: f64| {
            let dt = factor * 2.0 / lam;
            let mut s =
                VortexSystem::new(perturbed.clone(), lx, ly, Some(pair.clone()), None, dt, 1)
                    .unwrap();
            for _ in 0..400 {
                s.step([0.0, 0.0], 0.0);
            }
            s.evaluate_forces([0.0, 0.0])
                .iter()
                .map(|f| f[0].abs().max(f[1].abs()))
                .fold(0.0, f64::max)
        };
        let initial = growth(1e-9);
        let (stable, unstable) = (growth(0.9), growth(1.1));
        assert!(
            stable < initial,
            "{stable} vs {initial} (lambda_max = {lam})"
        );
        assert!(
            unstable > 1e3 * initial,
            "{unstable} vs {initial} (lambda_max = {lam})"
        );
    }
}
