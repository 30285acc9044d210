//! The vortex ensemble and its overdamped Langevin integrator (dimensionless units).

use rand_distr::{Distribution, StandardNormal};
use rand_xoshiro::rand_core::SeedableRng;
use rand_xoshiro::Xoshiro256PlusPlus;
use rayon::prelude::*;

use super::force::PairForce;
use super::pins::Pins;
use super::VortexError;

/// Vortices per parallel work item (fixed, so results do not depend on the thread count).
const CHUNK: usize = 256;

/// Straight vortices in a periodic box, integrated with Euler-Maruyama:
///
/// `r_i(t + dt) = r_i + dt [sum_j f(r_ij) r_ij / r_ij + F_pin(r_i) + F_drive] + sqrt(2 theta dt) N(0, 1)`
///
/// in units of lambda, f0 and `t0 = eta lambda / f0` (so the drag is 1), with the reduced
/// temperature `theta = k_B T / (f0 lambda d)` for vortex segments of length `d`.
///
/// Pair forces use a Verlet neighbour list (radius `cutoff + skin`, rebuilt when a vortex has
/// moved more than `skin / 2`) built from a cell list; the force loop runs in parallel over
/// fixed chunks of vortices, each summing its own neighbours in a fixed order, and the noise
/// is drawn sequentially from one seeded stream, so a run is reproducible bit for bit for a
/// given seed whatever the number of threads. No allocation happens per step (buffers grow
/// only when a neighbour list outgrows its capacity).
pub struct VortexSystem {
    lx: f64,
    ly: f64,
    pos: Vec<[f64; 2]>,
    pair: Option<PairForce>,
    pins: Option<Pins>,
    dt: f64,
    skin: f64,
    rng: Xoshiro256PlusPlus,
    forces: Vec<[f64; 2]>,
    noise: Vec<[f64; 2]>,
    ref_pos: Vec<[f64; 2]>,
    max_nbr: usize,
    nbr: Vec<u32>,
    nbr_len: Vec<u32>,
    cell_head: Vec<u32>,
    cell_next: Vec<u32>,
    avx2: bool,
    /// Neighbour-list rebuilds so far.
    pub rebuilds: u64,
    /// Steps taken so far.
    pub steps: u64,
    /// Largest single-step displacement of any vortex (lambda) since the last reset.
    pub max_step: f64,
}

const NONE: u32 = u32::MAX;

impl VortexSystem {
    /// A system of vortices at `positions` in the box `lx x ly` (lambda), with pair force
    /// `pair` (`None`: non-interacting), pins, time step `dt` (t0) and noise seed `seed`.
    pub fn new(
        positions: Vec<[f64; 2]>,
        lx: f64,
        ly: f64,
        pair: Option<PairForce>,
        pins: Option<Pins>,
        dt: f64,
        seed: u64,
    ) -> Result<Self, VortexError> {
        if !(lx > 0.0 && ly > 0.0 && lx.is_finite() && ly.is_finite()) {
            return Err(VortexError::param(
                "sample size",
                lx.min(ly),
                "the box must have positive size",
            ));
        }
        if !(dt > 0.0 && dt.is_finite()) {
            return Err(VortexError::param(
                "dynamics.dt",
                dt,
                "the time step must be positive (e.g. 0.01 t0)",
            ));
        }
        if positions.is_empty() {
            return Err(VortexError::Setup(
                "no vortices: raise the field or the sample size".into(),
            ));
        }
        let skin = 0.5;
        let n = positions.len();
        if let Some(p) = &pair {
            let reach = p.cutoff() + skin;
            if n > 1 && (lx < 2.0 * reach || ly < 2.0 * reach) {
                return Err(VortexError::Setup(format!(
                    "the sample ({lx:.2} x {ly:.2} lambda) is smaller than twice the interaction reach \
                     ({reach:.2} lambda); use more vortices (a larger sample) or a smaller interaction.cutoff"
                )));
            }
        }
        let density = n as f64 / (lx * ly);
        let reach = pair.as_ref().map_or(0.0, |p| p.cutoff() + skin);
        let max_nbr = ((density * std::f64::consts::PI * reach * reach * 1.5) as usize + 16).min(n);
        let mut s = VortexSystem {
            lx,
            ly,
            pos: positions
                .into_iter()
                .map(|[x, y]| [x.rem_euclid(lx), y.rem_euclid(ly)])
                .collect(),
            pair,
            pins,
            dt,
            skin,
            rng: Xoshiro256PlusPlus::seed_from_u64(seed),
            forces: vec![[0.0; 2]; n],
            noise: vec![[0.0; 2]; n],
            ref_pos: vec![[0.0; 2]; n],
            max_nbr,
            nbr: vec![],
            nbr_len: vec![0; n],
            cell_head: vec![],
            cell_next: vec![NONE; n],
            #[cfg(target_arch = "x86_64")]
            avx2: std::arch::is_x86_feature_detected!("avx2"),
            #[cfg(not(target_arch = "x86_64"))]
            avx2: false,
            rebuilds: 0,
            steps: 0,
            max_step: 0.0,
        };
        s.rebuild();
        Ok(s)
    }

    /// Number of vortices.
    pub fn len(&self) -> usize {
        self.pos.len()
    }

    /// Always false (a system has at least one vortex).
    pub fn is_empty(&self) -> bool {
        self.pos.is_empty()
    }

    /// Box size (lambda).
    pub fn size(&self) -> (f64, f64) {
        (self.lx, self.ly)
    }

    /// The time step (t0).
    pub fn dt(&self) -> f64 {
        self.dt
    }

    /// The pins, if any.
    pub fn pins(&self) -> Option<&Pins> {
        self.pins.as_ref()
    }

    /// The pair force, if vortices interact.
    pub fn pair(&self) -> Option<&PairForce> {
        self.pair.as_ref()
    }

    /// Positions wrapped into the box (lambda).
    pub fn positions(&self) -> Vec<[f64; 2]> {
        self.pos
            .iter()
            .map(|[x, y]| [x.rem_euclid(self.lx), y.rem_euclid(self.ly)])
            .collect()
    }

    /// Pair evaluations per force computation (entries of the neighbour list).
    pub fn pair_evaluations(&self) -> usize {
        if self.pair.is_none() {
            return 0;
        }
        self.nbr_len.iter().map(|&l| l as usize).sum()
    }

    /// The forces of the last step (f0), without noise.
    pub fn forces(&self) -> &[[f64; 2]] {
        &self.forces
    }

    fn rebuild(&mut self) {
        let n = self.pos.len();
        for p in &mut self.pos {
            p[0] = p[0].rem_euclid(self.lx);
            p[1] = p[1].rem_euclid(self.ly);
        }
        self.ref_pos.copy_from_slice(&self.pos);
        self.rebuilds += 1;
        let Some(pair) = &self.pair else { return };
        if n < 2 {
            return;
        }
        let reach = pair.cutoff() + self.skin;
        let (lx, ly) = (self.lx, self.ly);
        let nx = ((lx / reach).floor() as usize).max(1);
        let ny = ((ly / reach).floor() as usize).max(1);
        self.cell_head.clear();
        self.cell_head.resize(nx * ny, NONE);
        let cell_of = |p: &[f64; 2]| {
            let cx = ((p[0] / lx * nx as f64) as usize).min(nx - 1);
            let cy = ((p[1] / ly * ny as f64) as usize).min(ny - 1);
            (cx, cy)
        };
        // Insert in reverse so that each cell lists its vortices in increasing index order.
        for i in (0..n).rev() {
            let (cx, cy) = cell_of(&self.pos[i]);
            let c = cy * nx + cx;
            self.cell_next[i] = self.cell_head[c];
            self.cell_head[c] = i as u32;
        }
        loop {
            let needed = n * self.max_nbr;
            if self.nbr.len() < needed {
                self.nbr.resize(needed, 0);
            }
            let (pos, head, next, max_nbr) =
                (&self.pos, &self.cell_head, &self.cell_next, self.max_nbr);
            let r2max = reach * reach;
            let overflow = self.nbr[..needed]
                .par_chunks_mut(max_nbr * CHUNK)
                .zip(self.nbr_len.par_chunks_mut(CHUNK))
                .enumerate()
                .map(|(c, (rows, lens))| {
                    let mut overflow = false;
                    for k in 0..lens.len() {
                        let i = c * CHUNK + k;
                        let row = &mut rows[k * max_nbr..(k + 1) * max_nbr];
                        let (xi, yi) = (pos[i][0], pos[i][1]);
                        let (cx, cy) = cell_of(&pos[i]);
                        let mut len = 0usize;
                        let (wx, wy) = (nx.min(3), ny.min(3));
                        for oy in 0..wy {
                            let jy = (cy + ny + oy - wy / 2) % ny;
                            for ox in 0..wx {
                                let jx = (cx + nx + ox - wx / 2) % nx;
                                let mut j = head[jy * nx + jx];
                                while j != NONE {
                                    let ju = j as usize;
                                    if ju != i {
                                        let mut dx = pos[ju][0] - xi;
                                        let mut dy = pos[ju][1] - yi;
                                        dx -= lx * (dx / lx).round();
                                        dy -= ly * (dy / ly).round();
                                        if dx * dx + dy * dy < r2max {
                                            if len < max_nbr {
                                                row[len] = j;
                                            } else {
                                                overflow = true;
                                            }
                                            len += 1;
                                        }
                                    }
                                    j = next[ju];
                                }
                            }
                        }
                        lens[k] = len.min(max_nbr) as u32;
                    }
                    overflow
                })
                .reduce(|| false, |a, b| a || b);
            if !overflow {
                break;
            }
            self.max_nbr = (self.max_nbr * 2).min(n);
        }
    }

    /// Compute the deterministic forces (pairs, pins, drive) into the force buffer.
    fn compute_forces(&mut self, drive: [f64; 2]) {
        let (lx, ly) = (self.lx, self.ly);
        let pos = &self.pos;
        let pair = self.pair.as_ref();
        let pins = self.pins.as_ref();
        let (nbr, nbr_len, max_nbr) = (&self.nbr, &self.nbr_len, self.max_nbr);
        let avx2 = self.avx2;
        let work = |(c, out): (usize, &mut [[f64; 2]])| {
            for k in 0..out.len() {
                let i = c * CHUNK + k;
                let (xi, yi) = (pos[i][0], pos[i][1]);
                let (mut fx, mut fy) = (drive[0], drive[1]);
                if let Some(pair) = pair {
                    let row = &nbr[i * max_nbr..i * max_nbr + nbr_len[i] as usize];
                    let f = pair_sum(pair, row, pos, xi, yi, lx, ly, avx2);
                    fx += f[0];
                    fy += f[1];
                }
                if let Some(pins) = pins {
                    let f = pins.force(xi, yi);
                    fx += f[0];
                    fy += f[1];
                }
                out[k] = [fx, fy];
            }
        };
        // Small systems: no thread hand-off (it would cost more than the work). The chunking
        // is the same either way, so the result is too.
        if self.pos.len() <= 2 * CHUNK {
            self.forces.chunks_mut(CHUNK).enumerate().for_each(work);
        } else {
            self.forces.par_chunks_mut(CHUNK).enumerate().for_each(work);
        }
    }

    /// Advance one step with drive force `drive` (f0 per length, the same on every vortex)
    /// and reduced temperature `theta`. Returns the mean displacement of the vortices
    /// (lambda), noise included.
    pub fn step(&mut self, drive: [f64; 2], theta: f64) -> [f64; 2] {
        self.compute_forces(drive);
        let n = self.pos.len();
        let dt = self.dt;
        let amp = (2.0 * theta.max(0.0) * dt).sqrt();
        if amp > 0.0 {
            for w in self.noise.iter_mut() {
                let zx: f64 = StandardNormal.sample(&mut self.rng);
                let zy: f64 = StandardNormal.sample(&mut self.rng);
                *w = [amp * zx, amp * zy];
            }
        }
        let (mut sx, mut sy) = (0.0, 0.0);
        let mut moved2: f64 = 0.0;
        let mut biggest: f64 = 0.0;
        let half_skin2 = 0.25 * self.skin * self.skin;
        for i in 0..n {
            let mut d = [dt * self.forces[i][0], dt * self.forces[i][1]];
            if amp > 0.0 {
                d[0] += self.noise[i][0];
                d[1] += self.noise[i][1];
            }
            self.pos[i][0] += d[0];
            self.pos[i][1] += d[1];
            sx += d[0];
            sy += d[1];
            biggest = biggest.max(d[0] * d[0] + d[1] * d[1]);
            let ex = self.pos[i][0] - self.ref_pos[i][0];
            let ey = self.pos[i][1] - self.ref_pos[i][1];
            moved2 = moved2.max(ex * ex + ey * ey);
        }
        self.max_step = self.max_step.max(biggest.sqrt());
        self.steps += 1;
        if moved2 > half_skin2 {
            self.rebuild();
        }
        [sx / n as f64, sy / n as f64]
    }

    /// Deterministic forces at the current positions (pairs, pins and `drive`), for tests and
    /// diagnostics.
    pub fn evaluate_forces(&mut self, drive: [f64; 2]) -> &[[f64; 2]] {
        self.compute_forces(drive);
        &self.forces
    }
}

/// Sum of the pair forces on a vortex at `(xi, yi)` from the neighbours in `row`.
///
/// Batches of 8 with branch-free minimum images give the CPU independent work; close pairs
/// (r < 0.5) take the exact path. The summation order is fixed, so the result is the same
/// bit for bit with or without the AVX2 build of this function (no fused multiply-adds are
/// introduced: Rust never contracts `a * b + c`).
#[allow(clippy::too_many_arguments)]
#[inline(always)]
fn pair_sum_body(
    pair: &PairForce,
    row: &[u32],
    pos: &[[f64; 2]],
    xi: f64,
    yi: f64,
    lx: f64,
    ly: f64,
) -> [f64; 2] {
    let (hx, hy) = (0.5 * lx, 0.5 * ly);
    let smin = pair.lookup_min();
    // Per-lane partial sums (combined in a fixed order at the end) let the compiler
    // vectorize without reassociating floating-point additions.
    let mut ax = [0.0f64; 8];
    let mut ay = [0.0f64; 8];
    let mut chunks = row.chunks_exact(8);
    for batch in &mut chunks {
        let mut dx = [0.0; 8];
        let mut dy = [0.0; 8];
        let mut ss = [0.0; 8];
        for k in 0..8 {
            let p = pos[batch[k] as usize];
            let mut x = xi - p[0];
            let mut y = yi - p[1];
            x -= lx * (((x > hx) as i32 - (x < -hx) as i32) as f64);
            y -= ly * (((y > hy) as i32 - (y < -hy) as i32) as f64);
            dx[k] = x;
            dy[k] = y;
            ss[k] = x * x + y * y;
        }
        let mut close = false;
        for k in 0..8 {
            close |= ss[k] < smin;
        }
        let mut g = [0.0; 8];
        if close {
            for k in 0..8 {
                g[k] = pair.over_r(ss[k]);
            }
        } else {
            for k in 0..8 {
                g[k] = pair.lookup(ss[k]);
            }
        }
        for k in 0..8 {
            ax[k] += g[k] * dx[k];
            ay[k] += g[k] * dy[k];
        }
    }
    let (mut fx, mut fy) = (0.0, 0.0);
    for k in 0..8 {
        fx += ax[k];
        fy += ay[k];
    }
    for &j in chunks.remainder() {
        let p = pos[j as usize];
        let mut x = xi - p[0];
        let mut y = yi - p[1];
        x -= lx * (((x > hx) as i32 - (x < -hx) as i32) as f64);
        y -= ly * (((y > hy) as i32 - (y < -hy) as i32) as f64);
        let g = pair.over_r(x * x + y * y);
        fx += g * x;
        fy += g * y;
    }
    [fx, fy]
}

#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2")]
#[allow(clippy::too_many_arguments)]
fn pair_sum_avx2(
    pair: &PairForce,
    row: &[u32],
    pos: &[[f64; 2]],
    xi: f64,
    yi: f64,
    lx: f64,
    ly: f64,
) -> [f64; 2] {
    pair_sum_body(pair, row, pos, xi, yi, lx, ly)
}

#[allow(clippy::too_many_arguments)]
#[inline(always)]
fn pair_sum(
    pair: &PairForce,
    row: &[u32],
    pos: &[[f64; 2]],
    xi: f64,
    yi: f64,
    lx: f64,
    ly: f64,
    avx2: bool,
) -> [f64; 2] {
    #[cfg(target_arch = "x86_64")]
    if avx2 {
        // SAFETY: `avx2` is true only when the CPU reports AVX2 (checked in `new`).
        return unsafe { pair_sum_avx2(pair, row, pos, xi, yi, lx, ly) };
    }
    let _ = avx2;
    pair_sum_body(pair, row, pos, xi, yi, lx, ly)
}

/// A triangular lattice of `nx` by `ny` vortices (`ny` even) with spacing `a` (lambda), in a
/// periodic box of `nx a` by `ny a sqrt(3)/2`. Returns the positions and the box.
pub fn triangular_lattice(nx: usize, ny: usize, a: f64) -> (Vec<[f64; 2]>, f64, f64) {
    let dy = a * 3f64.sqrt() / 2.0;
    let mut pos = Vec::with_capacity(nx * ny);
    for j in 0..ny {
        let shift = if j % 2 == 1 { 0.5 * a } else { 0.0 };
        for i in 0..nx {
            pos.push([(i as f64 + 0.25) * a + shift, (j as f64 + 0.5) * dy]);
        }
    }
    (pos, nx as f64 * a, ny as f64 * dy)
}

/// Lattice dimensions `(nx, ny)` (`ny` even) of a triangular lattice with about `n`
/// vortices in a nearly square box.
pub fn lattice_shape(n: usize) -> (usize, usize) {
    // nx a = ny a sqrt(3)/2  =>  ny = nx 2/sqrt(3); nx ny = n.
    let nx = ((n as f64 * 3f64.sqrt() / 2.0).sqrt().round() as usize).max(1);
    let ny = (((n as f64 / nx as f64) / 2.0).round() as usize).max(1) * 2;
    (nx, ny)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Pair forces cancel in total (Newton's third law holds for the neighbour-list sums),
    /// so without pins, drive and noise the centre of mass does not drift.
    #[test]
    fn centre_of_mass_does_not_drift() {
        let mut rng = Xoshiro256PlusPlus::seed_from_u64(7);
        use rand::RngExt;
        let (lx, ly) = (14.0, 13.0);
        let pos: Vec<[f64; 2]> = (0..150)
            .map(|_| [rng.random::<f64>() * lx, rng.random::<f64>() * ly])
            .collect();
        let pair = PairForce::new(5.0, 4.0, 0.05).unwrap();
        let mut s = VortexSystem::new(pos, lx, ly, Some(pair), None, 0.002, 1).unwrap();
        let total: [f64; 2] = s
            .evaluate_forces([0.0, 0.0])
            .iter()
            .fold([0.0, 0.0], |a, f| [a[0] + f[0], a[1] + f[1]]);
        let scale: f64 = s.forces().iter().map(|f| f[0].abs() + f[1].abs()).sum();
        assert!(total[0].abs() < 1e-12 * scale && total[1].abs() < 1e-12 * scale);
        let mut com = [0.0, 0.0];
        for _ in 0..500 {
            let d = s.step([0.0, 0.0], 0.0);
            com[0] += d[0];
            com[1] += d[1];
        }
        assert!(com[0].abs() < 1e-12 && com[1].abs() < 1e-12, "{com:?}");
        assert!(s.rebuilds >= 1);
    }

    /// A triangular lattice is force-free, and the interaction sum matches a brute-force
    /// sum over all periodic images of the exact London force within the truncation error.
    #[test]
    fn lattice_is_in_equilibrium_and_forces_match_brute_force() {
        let (pos, lx, ly) = triangular_lattice(14, 16, 1.0);
        let pair = PairForce::new(5.0, 4.0, 0.05).unwrap();
        let mut s =
            VortexSystem::new(pos.clone(), lx, ly, Some(pair.clone()), None, 0.01, 1).unwrap();
        for f in s.evaluate_forces([0.0, 0.0]) {
            assert!(f[0].abs() < 1e-12 && f[1].abs() < 1e-12, "{f:?}");
        }
        // Displace one vortex and compare with a brute-force sum of the tabulated force.
        let mut p2 = pos.clone();
        p2[37][0] += 0.3;
        p2[37][1] -= 0.1;
        let mut s =
            VortexSystem::new(p2.clone(), lx, ly, Some(pair.clone()), None, 0.01, 1).unwrap();
        let f = s.evaluate_forces([0.0, 0.0])[37];
        let (mut bx, mut by) = (0.0, 0.0);
        for (j, q) in p2.iter().enumerate() {
            if j == 37 {
                continue;
            }
            let mut dx = p2[37][0] - q[0];
            let mut dy = p2[37][1] - q[1];
            dx -= lx * (dx / lx).round();
            dy -= ly * (dy / ly).round();
            let r = (dx * dx + dy * dy).sqrt();
            let e = pair.exact(r);
            bx += e * dx / r;
            by += e * dy / r;
        }
        assert!(
            (f[0] - bx).abs() < 1e-5 && (f[1] - by).abs() < 1e-5,
            "{f:?} vs {bx} {by}"
        );
    }
}
