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
//! [`pearl`] and [`Interaction`]),
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
    /// The interaction used.
    pub interaction: InteractionReport,
}

impl VortexProblem {
    /// Build the system: units, box, lattice, pins.
    pub fn build(&self) -> Result<(Units, VortexSystem, f64), VortexError> {
        let u = self.material.units()?;
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
        let a = u.lattice_spacing(self.field);
        let (nx, ny) = if self.vortices == 1 {
            (1, 1)
        } else {
            lattice_shape(self.vortices)
        };
        let (pos, lx, ly) = if self.vortices == 1 {
            // One vortex in a square cell of the same density.
            let side = (3f64.sqrt() / 2.0).sqrt() * a;
            (vec![[0.5 * side, 0.5 * side]], side, side)
        } else {
            triangular_lattice(nx, ny, a)
        };
        let core = (self.material.xi / u.length).min(0.49);
        let pearl = self
            .interaction
            .resolve(self.material.lambda, self.material.thickness)
            == Interaction::Pearl;
        let (pair, ewald) = if pos.len() < 2 {
            (None, None)
        } else if pearl {
            // The real-space part must fit the box like the London force.
            let reach = self.cutoff + 0.5;
            if lx < 2.0 * reach || ly < 2.0 * reach {
                return Err(VortexError::Setup(format!(
                    "the sample ({lx:.2} x {ly:.2} lambda) is smaller than twice the interaction reach \
                     ({reach:.2} lambda); use more vortices (a larger sample) or a smaller interaction.cutoff"
                )));
            }
            let kappa = self.material.thickness / (2.0 * self.material.lambda);
            let e = PearlEwald::new(
                kappa,
                lx,
                ly,
                pos.len(),
                self.taper_start,
                pearl::DEFAULT_ACCURACY,
            )?;
            (
                Some(e.short_range(self.cutoff, self.taper_start, core)?),
                Some(e),
            )
        } else {
            (
                Some(PairForce::new(self.cutoff, self.taper_start, core)?),
                None,
            )
        };
        let lam = u.length;
        let well = |w: &Well| -> Result<(f64, f64, PinShape), VortexError> {
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
            Ok((w.strength / u.force, w.radius / lam, w.shape))
        };
        let pins = match &self.pins {
            PinSpec::None => None,
            PinSpec::Random { density, well: w } => {
                if !(density.is_finite() && *density >= 0.0) {
                    return Err(VortexError::param(
                        "pins.density",
                        *density,
                        "the pin density must be zero or positive",
                    ));
                }
                let (s, r, shape) = well(w)?;
                let n = (density * lx * ly * lam * lam).round() as usize;
                Some(Pins::random(n, self.seed, s, r, shape, lx, ly)?)
            }
            PinSpec::Square { spacing, well: w } => {
                let (s, r, shape) = well(w)?;
                Some(Pins::square(spacing / lam, s, r, shape, lx, ly)?)
            }
            PinSpec::Triangular { spacing, well: w } => {
                let (s, r, shape) = well(w)?;
                Some(Pins::triangular(spacing / lam, s, r, shape, lx, ly)?)
            }
            PinSpec::Positions { positions, well: w } => {
                let (s, r, shape) = well(w)?;
                let p = positions.iter().map(|[x, y]| [x / lam, y / lam]).collect();
                Some(Pins::new(p, s, r, shape, lx, ly)?)
            }
        };
        let mut sys = VortexSystem::new(pos, lx, ly, pair, pins, self.dt, self.seed)?;
        sys.set_long_range(ewald)?;
        let field = sys.len() as f64 * FLUX_QUANTUM / (lx * ly * lam * lam);
        Ok((u, sys, field))
    }

    /// Prepare the vortex state and run the current sweep, reporting progress.
    pub fn run(&self, progress: &mut dyn Progress) -> Result<VortexResult, VortexError> {
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
            if !(t_start.is_finite() && t_start >= self.temperature) {
                return Err(VortexError::param(
                    "prepare.start_temperature",
                    t_start,
                    "annealing starts at or above the sweep temperature",
                ));
            }
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
        for (idx, &(j, up)) in schedule.iter().enumerate() {
            let drive = [0.0, -u.drive(j)];
            for _ in 0..sw.equilibrate {
                sys.step(drive, theta);
            }
            let (mut sx, mut sy) = (0.0, 0.0);
            for _ in 0..sw.average {
                let d = sys.step(drive, theta);
                sx += d[0];
                sy += d[1];
            }
            done += per_point;
            let t_avg = sw.average as f64 * sys.dt();
            // Along the Lorentz force (-y) and transverse (+x), in m/s.
            let v_par = -sy / t_avg * u.velocity;
            let v_perp = sx / t_avg * u.velocity;
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

/// Critical current density (A/m^2) on the up sweep by a threshold on `value(point)`: the
/// first crossing, linearly interpolated between the last point below and the first at or
/// above the threshold. Points at zero current are skipped (motion there is relaxation, not
/// driven flow). `None` if the threshold is never reached; the first nonzero current if it
/// is already exceeded there (J_c is then at or below it).
pub fn critical_current(
    points: &[SweepPoint],
    threshold: f64,
    value: impl Fn(&SweepPoint) -> f64,
) -> Option<f64> {
    let up: Vec<&SweepPoint> = points.iter().filter(|p| p.up && p.j > 0.0).collect();
    let k = up.iter().position(|p| value(p) >= threshold)?;
    if k == 0 {
        return Some(up[0].j);
    }
    let (a, b) = (up[k - 1], up[k]);
    let (va, vb) = (value(a), value(b));
    Some(a.j + (threshold - va) / (vb - va) * (b.j - a.j))
}

/// Least-squares slope `dE/dJ` (Ohm m) and intercept (V/m) of the `count` highest-current
/// points of the up sweep: the flux-flow resistivity of the high-drive branch.
pub fn flux_flow_fit(points: &[SweepPoint], count: usize) -> Option<(f64, f64)> {
    let mut up: Vec<&SweepPoint> = points.iter().filter(|p| p.up).collect();
    up.sort_by(|a, b| a.j.total_cmp(&b.j));
    let sel = &up[up.len().saturating_sub(count)..];
    if sel.len() < 2 {
        return None;
    }
    let n = sel.len() as f64;
    let (mx, my) = (
        sel.iter().map(|p| p.j).sum::<f64>() / n,
        sel.iter().map(|p| p.e).sum::<f64>() / n,
    );
    let sxx: f64 = sel.iter().map(|p| (p.j - mx).powi(2)).sum();
    let sxy: f64 = sel.iter().map(|p| (p.j - mx) * (p.e - my)).sum();
    if sxx <= 0.0 {
        return None;
    }
    let slope = sxy / sxx;
    Some((slope, my - slope * mx))
}
