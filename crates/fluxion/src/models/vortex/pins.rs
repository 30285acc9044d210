//! Pinning landscapes: point pins as attractive wells (units of lambda and f0).

use rand::RngExt;
use rand_xoshiro::rand_core::SeedableRng;
use rand_xoshiro::Xoshiro256PlusPlus;

use super::VortexError;

/// Shape of a pinning well of radius `r_p` and maximum force `f_p`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PinShape {
    /// `U = -U0 exp(-r^2 / r_p^2)`, force `-(2 U0 r / r_p^2) exp(-r^2/r_p^2)`, largest at
    /// `r = r_p / sqrt 2`, so `U0 = f_p r_p sqrt(e/2)`. Cut off at `3 r_p` (force below
    /// `4e-4 f_p` there).
    Gaussian,
    /// `U = (f_p / 2 r_p)(r^2 - r_p^2)` inside `r_p`: a linear restoring force `-f_p r / r_p`,
    /// largest (`f_p`) at the rim, zero outside.
    Parabolic,
}

impl PinShape {
    /// Name in scenario files.
    pub fn name(self) -> &'static str {
        match self {
            PinShape::Gaussian => "gaussian",
            PinShape::Parabolic => "parabolic",
        }
    }
}

const GAUSS: usize = 8192;

/// A set of identical point pins in the periodic box `[0, lx) x [0, ly)`, with a cell grid
/// for constant-time force evaluation.
#[derive(Clone, Debug)]
pub struct Pins {
    positions: Vec<[f64; 2]>,
    strength: f64,
    radius: f64,
    shape: PinShape,
    lx: f64,
    ly: f64,
    range: f64,
    nx: usize,
    ny: usize,
    cell_start: Vec<u32>,
    cell_items: Vec<u32>,
    /// `k(u) = f/r` of the well as a function of `u = r^2 / r_p^2` on [0, 9] (Gaussian).
    gauss: Vec<f64>,
}

impl Pins {
    /// Pins at given positions (wrapped into the box) with maximum force `strength` (f0) and
    /// radius `radius` (lambda).
    pub fn new(
        positions: Vec<[f64; 2]>,
        strength: f64,
        radius: f64,
        shape: PinShape,
        lx: f64,
        ly: f64,
    ) -> Result<Self, VortexError> {
        if !(strength.is_finite() && strength >= 0.0) {
            return Err(VortexError::param(
                "pins.strength",
                strength,
                "the maximum pinning force must be zero or positive",
            ));
        }
        if !(radius.is_finite() && radius > 0.0 && 2.0 * radius < lx.min(ly)) {
            return Err(VortexError::param(
                "pins.radius",
                radius,
                "the pin radius must be positive and smaller than half the sample",
            ));
        }
        let range = match shape {
            PinShape::Gaussian => 3.0 * radius,
            PinShape::Parabolic => radius,
        };
        let positions: Vec<[f64; 2]> = positions
            .into_iter()
            .map(|[x, y]| [x.rem_euclid(lx), y.rem_euclid(ly)])
            .collect();
        let nx = ((lx / range).floor() as usize).clamp(1, 4096);
        let ny = ((ly / range).floor() as usize).clamp(1, 4096);
        let mut counts = vec![0u32; nx * ny + 1];
        let cell = |p: &[f64; 2]| {
            let cx = ((p[0] / lx * nx as f64) as usize).min(nx - 1);
            let cy = ((p[1] / ly * ny as f64) as usize).min(ny - 1);
            cy * nx + cx
        };
        for p in &positions {
            counts[cell(p) + 1] += 1;
        }
        for k in 1..counts.len() {
            counts[k] += counts[k - 1];
        }
        let mut fill = counts.clone();
        let mut items = vec![0u32; positions.len()];
        for (i, p) in positions.iter().enumerate() {
            let c = cell(p);
            items[fill[c] as usize] = i as u32;
            fill[c] += 1;
        }
        Ok(Pins {
            positions,
            strength,
            radius,
            shape,
            lx,
            ly,
            range,
            nx,
            ny,
            cell_start: counts,
            cell_items: items,
            gauss: {
                // f / r = -(2 U0 / rp^2) e^{-u}, tabulated (linear interpolation, relative
                // error below 1e-6) so the force loop needs no exponential.
                let u0 = strength * radius * (0.5 * std::f64::consts::E).sqrt();
                let k = -2.0 * u0 / (radius * radius);
                (0..GAUSS + 2)
                    .map(|i| k * (-(i as f64) * 9.0 / GAUSS as f64).exp())
                    .collect()
            },
        })
    }

    /// `n` pins at uniformly random positions drawn from `seed`.
    pub fn random(
        n: usize,
        seed: u64,
        strength: f64,
        radius: f64,
        shape: PinShape,
        lx: f64,
        ly: f64,
    ) -> Result<Self, VortexError> {
        let mut rng = Xoshiro256PlusPlus::seed_from_u64(seed ^ 0x9e37_79b9_7f4a_7c15);
        let pos = (0..n)
            .map(|_| [rng.random::<f64>() * lx, rng.random::<f64>() * ly])
            .collect();
        Self::new(pos, strength, radius, shape, lx, ly)
    }

    /// A square array with lattice constant close to `a`, adjusted so that whole cells fill
    /// the periodic box (`lx / round(lx/a)` by `ly / round(ly/a)`).
    pub fn square(
        a: f64,
        strength: f64,
        radius: f64,
        shape: PinShape,
        lx: f64,
        ly: f64,
    ) -> Result<Self, VortexError> {
        if !(a > 0.0 && a.is_finite()) {
            return Err(VortexError::param(
                "pins.spacing",
                a,
                "the pin spacing must be positive",
            ));
        }
        let nx = ((lx / a).round() as usize).max(1);
        let ny = ((ly / a).round() as usize).max(1);
        let mut pos = Vec::with_capacity(nx * ny);
        for j in 0..ny {
            for i in 0..nx {
                pos.push([
                    (i as f64 + 0.5) * lx / nx as f64,
                    (j as f64 + 0.5) * ly / ny as f64,
                ]);
            }
        }
        Self::new(pos, strength, radius, shape, lx, ly)
    }

    /// A triangular array with lattice constant close to `a` (rows along x, an even number of
    /// rows so that the box is periodic), stretched to fill the box.
    pub fn triangular(
        a: f64,
        strength: f64,
        radius: f64,
        shape: PinShape,
        lx: f64,
        ly: f64,
    ) -> Result<Self, VortexError> {
        if !(a > 0.0 && a.is_finite()) {
            return Err(VortexError::param(
                "pins.spacing",
                a,
                "the pin spacing must be positive",
            ));
        }
        let nx = ((lx / a).round() as usize).max(1);
        let rows = ((ly / (a * 3f64.sqrt() / 2.0) / 2.0).round() as usize).max(1) * 2;
        let (dx, dy) = (lx / nx as f64, ly / rows as f64);
        let mut pos = Vec::with_capacity(nx * rows);
        for j in 0..rows {
            let shift = if j % 2 == 1 { 0.5 * dx } else { 0.0 };
            for i in 0..nx {
                pos.push([(i as f64 + 0.25) * dx + shift, (j as f64 + 0.5) * dy]);
            }
        }
        Self::new(pos, strength, radius, shape, lx, ly)
    }

    /// Pin positions (lambda).
    pub fn positions(&self) -> &[[f64; 2]] {
        &self.positions
    }

    /// Maximum pinning force (f0).
    pub fn strength(&self) -> f64 {
        self.strength
    }

    /// Pin radius (lambda).
    pub fn radius(&self) -> f64 {
        self.radius
    }

    /// Well shape.
    pub fn shape(&self) -> PinShape {
        self.shape
    }

    /// Force of one well on a vortex displaced by `(dx, dy)` from its centre.
    #[inline]
    pub fn well_force(&self, dx: f64, dy: f64) -> [f64; 2] {
        let r2 = dx * dx + dy * dy;
        let rp = self.radius;
        match self.shape {
            PinShape::Parabolic => {
                if r2 < rp * rp {
                    let k = -self.strength / rp;
                    [k * dx, k * dy]
                } else {
                    [0.0, 0.0]
                }
            }
            PinShape::Gaussian => {
                if r2 < self.range * self.range {
                    // F = -(2 U0 / rp^2) e^{-r^2/rp^2} (dx, dy), U0 = f_p rp sqrt(e/2).
                    let u0 = self.strength * rp * (0.5 * std::f64::consts::E).sqrt();
                    let k = -2.0 * u0 / (rp * rp) * (-r2 / (rp * rp)).exp();
                    [k * dx, k * dy]
                } else {
                    [0.0, 0.0]
                }
            }
        }
    }

    /// [`Pins::well_force`] with the Gaussian from a table.
    #[inline]
    fn fast_well_force(&self, dx: f64, dy: f64) -> [f64; 2] {
        match self.shape {
            PinShape::Parabolic => self.well_force(dx, dy),
            PinShape::Gaussian => {
                let u = (dx * dx + dy * dy) / (self.radius * self.radius);
                if u >= 9.0 {
                    return [0.0, 0.0];
                }
                let t = u * (GAUSS as f64 / 9.0);
                let i = t as usize;
                let w = t - i as f64;
                let k = self.gauss[i] + w * (self.gauss[i + 1] - self.gauss[i]);
                [k * dx, k * dy]
            }
        }
    }

    /// Total pinning force on a vortex at `(x, y)` (any position; periodic images are used).
    #[inline]
    pub fn force(&self, x: f64, y: f64) -> [f64; 2] {
        if self.positions.is_empty() || self.strength == 0.0 {
            return [0.0, 0.0];
        }
        let (lx, ly) = (self.lx, self.ly);
        // Vortex positions stray at most a little outside the box between re-wraps.
        let wrap = |v: f64, l: f64| {
            let w = if v < 0.0 {
                v + l
            } else if v >= l {
                v - l
            } else {
                v
            };
            if (0.0..l).contains(&w) {
                w
            } else {
                v.rem_euclid(l)
            }
        };
        let (xw, yw) = (wrap(x, lx), wrap(y, ly));
        // Cells are at least one interaction range wide: the 3 x 3 block around the
        // vortex's cell holds every pin within range.
        let cx = ((xw / lx * self.nx as f64) as usize).min(self.nx - 1);
        let cy = ((yw / ly * self.ny as f64) as usize).min(self.ny - 1);
        let (mut fx, mut fy) = (0.0, 0.0);
        let (wx, wy) = (self.nx.min(3), self.ny.min(3));
        for oy in 0..wy {
            // Neighbouring cell with periodic wrap (no integer division in this hot loop).
            let wrap = |v: usize, n: usize| if v >= n { v - n } else { v };
            let jy = wrap(cy + self.ny + oy - wy / 2, self.ny);
            let jy = wrap(jy, self.ny);
            for ox in 0..wx {
                let jx = wrap(wrap(cx + self.nx + ox - wx / 2, self.nx), self.nx);
                let c = jy * self.nx + jx;
                for k in self.cell_start[c]..self.cell_start[c + 1] {
                    let p = self.positions[self.cell_items[k as usize] as usize];
                    let mut dx = xw - p[0];
                    let mut dy = yw - p[1];
                    dx -= lx * (((dx > 0.5 * lx) as i32 - (dx < -0.5 * lx) as i32) as f64);
                    dy -= ly * (((dy > 0.5 * ly) as i32 - (dy < -0.5 * ly) as i32) as f64);
                    let f = self.fast_well_force(dx, dy);
                    fx += f[0];
                    fy += f[1];
                }
            }
        }
        [fx, fy]
    }
}

/// Time-averaged velocity (lambda / t0) of a single vortex driven with force `f` (f0) through
/// a row of parabolic pins of strength `f_p` and radius `r_p`, spaced `a` along the drive,
/// crossing each pin through its centre (the washboard of a 1D periodic potential):
///
/// `T = (r_p / f_p) ln((f + f_p)/(f - f_p)) + (a - 2 r_p)/f`, `v = a / T` for `f > f_p`,
/// and `v = 0` for `f <= f_p` (pinned). In these units `eta = 1`.
pub fn washboard_velocity_parabolic(f: f64, f_p: f64, r_p: f64, a: f64) -> f64 {
    if f <= f_p {
        return 0.0;
    }
    let t_in = r_p / f_p * ((f + f_p) / (f - f_p)).ln();
    let t_out = (a - 2.0 * r_p) / f;
    a / (t_in + t_out)
}

/// As [`washboard_velocity_parabolic`] for Gaussian wells, `T = int_0^a dx / (f - g(x))`
/// with the well force `g` of [`PinShape::Gaussian`] summed over the neighbouring pins,
/// integrated by composite Simpson quadrature with `n` intervals.
pub fn washboard_velocity_gaussian(f: f64, f_p: f64, r_p: f64, a: f64, n: usize) -> f64 {
    if f <= f_p {
        return 0.0;
    }
    let u0 = f_p * r_p * (0.5 * std::f64::consts::E).sqrt();
    let g = |x: f64| -> f64 {
        // Restoring force towards the pins at 0, a, -a (and 2a): -dU/dx.
        (-2..=2)
            .map(|k| {
                let d = x - k as f64 * a;
                -2.0 * u0 / (r_p * r_p) * d * (-d * d / (r_p * r_p)).exp()
            })
            .sum()
    };
    let n = n + n % 2;
    let h = a / n as f64;
    let mut s = 0.0;
    for k in 0..=n {
        let x = -0.5 * a + k as f64 * h;
        let w = if k == 0 || k == n {
            1.0
        } else if k % 2 == 1 {
            4.0
        } else {
            2.0
        };
        s += w / (f + g(x));
    }
    a / (s * h / 3.0)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Both well shapes have their maximum force equal to the stated strength.
    #[test]
    fn maximum_well_force_is_the_strength() {
        for shape in [PinShape::Gaussian, PinShape::Parabolic] {
            let p = Pins::new(vec![[5.0, 5.0]], 0.3, 0.2, shape, 10.0, 10.0).unwrap();
            let mut best: f64 = 0.0;
            for k in 0..20_000 {
                let r = k as f64 * 1e-5;
                let f = p.force(5.0 + r, 5.0);
                assert!(f[0] <= 0.0 && f[1] == 0.0); // attractive
                best = best.max(-f[0]);
            }
            assert!((best - 0.3).abs() < 1e-4, "{shape:?}: {best}");
        }
    }

    /// Periodic images: a pin at the corner attracts a vortex across the boundary.
    #[test]
    fn pins_act_across_the_periodic_boundary() {
        let p = Pins::new(
            vec![[0.05, 0.05]],
            0.3,
            0.5,
            PinShape::Parabolic,
            10.0,
            10.0,
        )
        .unwrap();
        let f = p.force(9.9, 9.95);
        assert!(f[0] > 0.0 && f[1] > 0.0);
        let a = Pins::square(1.0, 0.1, 0.1, PinShape::Gaussian, 10.0, 8.0).unwrap();
        assert_eq!(a.positions().len(), 80);
        let t = Pins::triangular(1.0, 0.1, 0.1, PinShape::Gaussian, 10.0, 8.66).unwrap();
        assert_eq!(t.positions().len(), 100);
    }

    /// The cell-list force equals a brute-force sum over all pins and their nearest images,
    /// for both shapes, at positions inside and slightly outside the box.
    #[test]
    fn cell_list_force_equals_brute_force() {
        for shape in [PinShape::Gaussian, PinShape::Parabolic] {
            let (lx, ly) = (7.3, 5.1);
            let p = Pins::random(300, 5, 0.4, 0.25, shape, lx, ly).unwrap();
            let mut x = 0.37f64;
            for _ in 0..2000 {
                x = (x * 7919.0 + 0.1234).fract();
                let vx = x * (lx + 1.0) - 0.5;
                x = (x * 7919.0 + 0.1234).fract();
                let vy = x * (ly + 1.0) - 0.5;
                let f = p.force(vx, vy);
                let (mut bx, mut by) = (0.0, 0.0);
                for q in p.positions() {
                    let mut dx = vx.rem_euclid(lx) - q[0];
                    let mut dy = vy.rem_euclid(ly) - q[1];
                    dx -= lx * (dx / lx).round();
                    dy -= ly * (dy / ly).round();
                    let w = p.well_force(dx, dy);
                    bx += w[0];
                    by += w[1];
                }
                // The Gaussian is tabulated in the force loop: 1e-6 relative to f_p.
                let tol = 1e-6 * p.strength();
                assert!(
                    (f[0] - bx).abs() < tol && (f[1] - by).abs() < tol,
                    "{shape:?} at ({vx}, {vy}): {f:?} vs {bx} {by}"
                );
            }
        }
    }

    /// The Gaussian washboard tends to the free velocity at strong drive and the quadrature
    /// converges.
    #[test]
    fn washboard_laws() {
        let v1 = washboard_velocity_gaussian(0.5, 0.2, 0.1, 2.0, 2000);
        let v2 = washboard_velocity_gaussian(0.5, 0.2, 0.1, 2.0, 4000);
        assert!((v1 - v2).abs() < 1e-10 * v2);
        assert!(v1 < 0.5 && washboard_velocity_gaussian(50.0, 0.2, 0.1, 2.0, 2000) / 50.0 > 0.999);
        assert_eq!(washboard_velocity_parabolic(0.19, 0.2, 0.1, 2.0), 0.0);
        // Logarithmic approach to the threshold: v falls monotonically towards zero.
        let v: Vec<f64> = [1e-1, 1e-3, 1e-6, 1e-12]
            .iter()
            .map(|e| washboard_velocity_parabolic(0.2 + e, 0.2, 0.1, 2.0))
            .collect();
        assert!(v.windows(2).all(|w| w[1] < w[0]) && v[3] < 0.5 * v[0]);
    }
}
