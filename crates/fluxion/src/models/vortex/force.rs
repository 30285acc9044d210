//! The pair force between vortices, tabulated: London (bulk) or the short-range part of the
//! Ewald-split Pearl (thin-film) interaction.

use rayon::prelude::*;

use super::pearl;
use super::VortexError;

/// Which radial force law a [`PairForce`] tabulates (lengths in lambda, forces in f0).
#[derive(Clone, Copy, Debug, PartialEq)]
pub(crate) enum Kernel {
    /// London: `K1(r)`.
    London,
    /// The real-space part of the Ewald-split Pearl force, [`pearl::short_force`].
    PearlShort {
        /// `kappa = lambda / Lambda = d / (2 lambda)`.
        kappa: f64,
        /// Ewald splitting parameter (1/lambda).
        alpha: f64,
    },
}

/// Repulsive force per unit length between two vortices at distance `r` (lengths in units of
/// `lambda`, forces in units of `f0 = Phi0^2 / (2 pi mu0 lambda^3)`):
///
/// - `f(r) = K1(r)` for `r_core <= r <= r_in` (London theory, exact);
/// - `f(r) = K1(r) S(r)` for `r_in < r < r_c`, with the C1 taper
///   `S = 1 - s^2 (3 - 2 s)`, `s = (r - r_in) / (r_c - r_in)`, and `f = 0` beyond `r_c`;
/// - `f(r) = K1(r_core) r / r_core` inside the core `r < r_core` (London theory fails below
///   the coherence length; the force stays finite).
///
/// The truncation error of a pair force is at most `K1(r_in)` (0.0125 f0 for
/// `r_in = 4`, 0.0040 f0 for `r_in = 5`), see [`PairForce::truncation_error`]. For speed,
/// `f(r)/r` is tabulated against `r^2` (16384 nodes, linear interpolation, error below
/// 2e-5 relative for `r >= 0.5` and 1e-6 for `r >= 1`, tested) and evaluated directly below `r = 0.5`.
///
/// [`PairForce::pearl_short`] tabulates instead the short-range (real-space) part of the
/// Ewald-split Pearl interaction of a thin film, with the same taper, core and table; the
/// long-range part is summed in reciprocal space by [`PearlEwald`](super::PearlEwald).
#[derive(Clone, Debug)]
pub struct PairForce {
    kernel: Kernel,
    cutoff: f64,
    taper_start: f64,
    core: f64,
    s_min: f64,
    ds: f64,
    inv_ds: f64,
    table: Vec<f64>,
}

/// `K1(x)` (modified Bessel function of the second kind, order 1).
pub fn bessel_k1(x: f64) -> f64 {
    pxfm::f_k1(x)
}

const TABLE: usize = 1 << 14;
const S_MIN: f64 = 0.25;

impl PairForce {
    /// Build the force with cutoff `cutoff`, taper start `taper_start` and core radius `core`
    /// (all in units of lambda).
    pub fn new(cutoff: f64, taper_start: f64, core: f64) -> Result<Self, VortexError> {
        Self::with_kernel(cutoff, taper_start, core, Kernel::London)
    }

    /// The short-range part of the Ewald-split Pearl force ([`pearl::short_force`]) with
    /// `kappa = d / (2 lambda)` and splitting parameter `alpha` (1/lambda), tapered like the
    /// London force. Normally built by [`PearlEwald::short_range`](super::PearlEwald::short_range).
    pub fn pearl_short(
        cutoff: f64,
        taper_start: f64,
        core: f64,
        kappa: f64,
        alpha: f64,
    ) -> Result<Self, VortexError> {
        if !(kappa.is_finite() && kappa > 0.0 && alpha.is_finite() && alpha > 0.0) {
            return Err(VortexError::param(
                "interaction.kind",
                kappa,
                "the Pearl interaction needs kappa = d/(2 lambda) > 0 and alpha > 0",
            ));
        }
        Self::with_kernel(
            cutoff,
            taper_start,
            core,
            Kernel::PearlShort { kappa, alpha },
        )
    }

    fn with_kernel(
        cutoff: f64,
        taper_start: f64,
        core: f64,
        kernel: Kernel,
    ) -> Result<Self, VortexError> {
        if !(cutoff.is_finite() && cutoff > 0.5 && cutoff <= 20.0) {
            return Err(VortexError::param(
                "interaction.cutoff",
                cutoff,
                "the cutoff must be between 0.5 and 20 lambda (default 5)",
            ));
        }
        if !(taper_start > 0.0 && taper_start < cutoff) {
            return Err(VortexError::param(
                "interaction.taper_start",
                taper_start,
                "the taper must start inside the cutoff (default: cutoff - 1 lambda)",
            ));
        }
        if !(core > 0.0 && core < 0.5) {
            return Err(VortexError::param(
                "interaction.core",
                core,
                "the core radius (coherence length / lambda) must be between 0 and 0.5",
            ));
        }
        let mut f = PairForce {
            kernel,
            cutoff,
            taper_start,
            core,
            s_min: S_MIN,
            ds: 0.0,
            inv_ds: 0.0,
            table: vec![],
        };
        let s_max = cutoff * cutoff;
        f.ds = (s_max - S_MIN) / (TABLE - 1) as f64;
        f.inv_ds = 1.0 / f.ds;
        // Nodes 0 ..= TABLE (the last at the cutoff, where the force is zero) and a zero tail
        // so that lookups beyond the cutoff need no branch.
        let g = &f;
        let table = (0..TABLE + 2)
            .into_par_iter()
            .map(|k| {
                let s = S_MIN + k as f64 * f.ds;
                let r = s.sqrt();
                g.exact(r) / r
            })
            .collect();
        f.table = table;
        Ok(f)
    }

    /// The cutoff radius `r_c` (lambda).
    pub fn cutoff(&self) -> f64 {
        self.cutoff
    }

    /// Where the taper starts, `r_in` (lambda).
    pub fn taper_start(&self) -> f64 {
        self.taper_start
    }

    /// The core radius (lambda).
    pub fn core(&self) -> f64 {
        self.core
    }

    /// Upper bound of the truncation error of one pair force, `K1(r_in)` in units of `f0`
    /// (Pearl: the short-range force at `r_in`, which decays monotonically beyond it).
    pub fn truncation_error(&self) -> f64 {
        self.law(self.taper_start)
    }

    /// True for the short-range part of the Pearl interaction.
    pub fn is_pearl(&self) -> bool {
        matches!(self.kernel, Kernel::PearlShort { .. })
    }

    /// The untapered force law at `r` (lambda, f0).
    fn law(&self, r: f64) -> f64 {
        match self.kernel {
            Kernel::London => bessel_k1(r),
            Kernel::PearlShort { kappa, alpha } => pearl::short_force(r, kappa, alpha),
        }
    }

    /// The force at distance `r` evaluated directly (reference for the table).
    pub fn exact(&self, r: f64) -> f64 {
        if r >= self.cutoff {
            return 0.0;
        }
        if r < self.core {
            return self.law(self.core) * r / self.core;
        }
        let k = self.law(r);
        if r <= self.taper_start {
            k
        } else {
            let s = (r - self.taper_start) / (self.cutoff - self.taper_start);
            k * (1.0 - s * s * (3.0 - 2.0 * s))
        }
    }

    /// Table lookup for `s >= 0.25` (no check), linear interpolation; zero beyond the cutoff.
    #[inline(always)]
    pub fn lookup(&self, s: f64) -> f64 {
        let u = ((s - self.s_min) * self.inv_ds).min((TABLE) as f64);
        let k = u as usize;
        let w = u - k as f64;
        let (a, b) = (self.table[k], self.table[k + 1]);
        a + w * (b - a)
    }

    /// The raw table for the SIMD kernel: `(values, s_min, 1/ds, last index)`; entry `k` is
    /// `f/r` at `s = s_min + k ds`, and entries past the cutoff are zero.
    pub(crate) fn table_parts(&self) -> (&[f64], f64, f64, f64) {
        (&self.table, self.s_min, self.inv_ds, TABLE as f64)
    }

    /// Smallest `s = r^2` handled by [`PairForce::lookup`].
    pub fn lookup_min(&self) -> f64 {
        self.s_min
    }

    /// `f(r) / r` as a function of `s = r^2` (so that the force vector is this times the
    /// separation vector); zero beyond the cutoff.
    #[inline]
    pub fn over_r(&self, s: f64) -> f64 {
        if s >= self.s_min {
            self.lookup(s)
        } else {
            let r = s.sqrt();
            if r < 1e-12 {
                return self.law(self.core) / self.core;
            }
            self.exact(r) / r
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// K1 values from Abramowitz & Stegun, Table 9.8 (e^x K1(x)): K1(1) = 0.6019072302,
    /// K1(2) = 0.1398658818, K1(5) = 0.0040446134.
    #[test]
    fn bessel_k1_matches_tables() {
        assert!((bessel_k1(1.0) - 0.601_907_230_2).abs() < 1e-10);
        assert!((bessel_k1(2.0) - 0.139_865_881_8).abs() < 1e-10);
        assert!((bessel_k1(5.0) - 0.004_044_613_4).abs() < 1e-10);
    }

    /// The tabulated force equals K1 for r_core <= r <= r_in to the interpolation accuracy,
    /// and differs from K1 by at most the stated truncation error everywhere beyond the core.
    #[test]
    fn table_matches_london_within_the_stated_errors() {
        let f = PairForce::new(5.0, 4.0, 0.05).unwrap();
        let bound = f.truncation_error();
        // A&S Table 9.8: K1(4) = 0.012483499.
        assert!((bound - 0.012_483_499).abs() < 1e-8);
        let mut r = 0.05;
        while r < 8.0 {
            let tab = f.over_r(r * r) * r;
            let ex = f.exact(r);
            let tol = if r >= 1.0 { 1e-6 } else { 2e-5 };
            assert!(
                (tab - ex).abs() <= tol * ex.abs().max(1e-3),
                "r = {r}: {tab} vs {ex}"
            );
            if r <= 4.0 {
                assert!((ex - bessel_k1(r)).abs() < 1e-15 * bessel_k1(r));
            } else {
                assert!((ex - bessel_k1(r)).abs() <= bound);
            }
            r += 0.0137;
        }
        assert_eq!(f.over_r(25.0), 0.0);
        assert!(PairForce::new(0.1, 0.05, 0.01).is_err());
    }
}
