//! The vortex ensemble and its overdamped Langevin integrator (dimensionless units).

use rand_distr::{Distribution, StandardNormal};
use rand_xoshiro::rand_core::SeedableRng;
use rand_xoshiro::Xoshiro256PlusPlus;
use rayon::prelude::*;

use super::force::PairForce;
use super::pearl::PearlEwald;
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
/// Pair forces use half Verlet neighbour lists (radius `cutoff + skin`, rebuilt when a vortex
/// has moved more than `skin / 2` relative to the common drift, so a uniformly sliding lattice
/// keeps its lists) built from a cell list after sorting the vortices by cell. Each pair is
/// evaluated once (Newton's third law): columns of cells ("slabs", at least one reach wide)
/// are processed in two or three phases whose jobs write to disjoint slabs, in parallel
/// without atomics and in a fixed order. The noise comes from one seeded stream per chunk of
/// vortices, so a run is reproducible bit for bit for a given seed whatever the number of
/// threads. No allocation happens per step (buffers grow
/// only when a neighbour list outgrows its capacity).
pub struct VortexSystem {
    lx: f64,
    ly: f64,
    pos: Vec<[f64; 2]>,
    pair: Option<PairForce>,
    long_range: Option<PearlEwald>,
    pins: Option<Pins>,
    dt: f64,
    skin: f64,
    rngs: Vec<Xoshiro256PlusPlus>,
    partial: Vec<[f64; 4]>,
    drift: [f64; 2],
    forces: Vec<[f64; 2]>,
    ref_pos: Vec<[f64; 2]>,
    max_nbr: usize,
    nbr: Vec<u32>,
    nbr_len: Vec<u32>,
    cell_start: Vec<u32>,
    slab_of: Vec<u32>,
    slab_start: Vec<usize>,
    phases: Vec<Vec<usize>>,
    perm: Vec<u32>,
    scratch: Vec<[f64; 2]>,
    avx2: bool,
    /// Neighbour-list rebuilds so far.
    pub rebuilds: u64,
    /// Steps taken so far.
    pub steps: u64,
    /// Largest deterministic single-step displacement `dt |F|` of any vortex (lambda).
    pub max_step: f64,
}

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
                    "the sample ({lx:.3e} x {ly:.3e} lambda) is smaller than twice the interaction reach \
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
            long_range: None,
            pins,
            dt,
            skin,
            rngs: {
                // One independent stream per chunk of vortices (2^128 draws apart).
                let mut r = Xoshiro256PlusPlus::seed_from_u64(seed);
                (0..n.div_ceil(CHUNK))
                    .map(|_| {
                        let s = r.clone();
                        r.jump();
                        s
                    })
                    .collect()
            },
            partial: vec![[0.0; 4]; n.div_ceil(CHUNK)],
            drift: [0.0; 2],
            forces: vec![[0.0; 2]; n],
            ref_pos: vec![[0.0; 2]; n],
            max_nbr,
            nbr: vec![],
            nbr_len: vec![0; n],
            cell_start: vec![],
            slab_of: vec![0; n],
            slab_start: vec![0, n],
            phases: vec![],
            perm: vec![0; n],
            scratch: vec![[0.0; 2]; n],
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

    /// Add a long-range (reciprocal-space) force evaluated once per step after the pair and
    /// pin forces, e.g. the Ewald part of the Pearl interaction whose short-range part is
    /// the pair force. It must be set up for this box and vortex count.
    pub fn set_long_range(&mut self, lr: Option<PearlEwald>) -> Result<(), VortexError> {
        if let Some(e) = &lr {
            let (lx, ly, n) = e.shape();
            if lx != self.lx || ly != self.ly || n != self.pos.len() {
                return Err(VortexError::Setup(format!(
                    "the long-range sum was set up for {n} vortices in {lx} x {ly} lambda,                      not {} in {} x {}",
                    self.pos.len(),
                    self.lx,
                    self.ly
                )));
            }
        }
        self.long_range = lr;
        Ok(())
    }

    /// The long-range force, if any.
    pub fn long_range(&self) -> Option<&PearlEwald> {
        self.long_range.as_ref()
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

    /// Wrap the positions, sort the vortices by cell (column-major, so that each column of
    /// cells, a "slab" at least one interaction reach wide, is a contiguous index range) and
    /// build half neighbour lists: vortex `i` in slab `s` lists `j > i` in slab `s` and every
    /// `j` in slab `s + 1`, so each pair appears once (Newton's third law).
    fn rebuild(&mut self) {
        let n = self.pos.len();
        for p in &mut self.pos {
            p[0] = p[0].rem_euclid(self.lx);
            p[1] = p[1].rem_euclid(self.ly);
        }
        self.rebuilds += 1;
        let Some(pair) = &self.pair else {
            self.ref_pos.copy_from_slice(&self.pos);
            self.drift = [0.0; 2];
            return;
        };
        if n < 2 {
            self.ref_pos.copy_from_slice(&self.pos);
            self.drift = [0.0; 2];
            return;
        }
        let reach = pair.cutoff() + self.skin;
        let (lx, ly) = (self.lx, self.ly);
        // Cells at least one reach wide; no more cells than about four per vortex (a sparse
        // system in a huge box would otherwise ask for more cells than memory holds: the
        // cell count is computed in floating point, so it cannot overflow).
        let cap = 2.0 * (n as f64).sqrt().ceil() + 2.0;
        let nx = ((lx / reach).floor().min(cap) as usize).max(1);
        let ny = ((ly / reach).floor().min(cap) as usize).max(1);
        let cell_of = |p: &[f64; 2]| {
            let cx = ((p[0] / lx * nx as f64) as usize).min(nx - 1);
            let cy = ((p[1] / ly * ny as f64) as usize).min(ny - 1);
            cx * ny + cy
        };
        // Counting sort by cell (stable), then permute the positions.
        self.cell_start.clear();
        self.cell_start.resize(nx * ny + 1, 0);
        for p in &self.pos {
            self.cell_start[cell_of(p) + 1] += 1;
        }
        for c in 1..self.cell_start.len() {
            self.cell_start[c] += self.cell_start[c - 1];
        }
        {
            let fill = &mut self.slab_of; // reused as a cursor per cell below
            fill.clear();
            fill.extend_from_slice(&self.cell_start[..nx * ny]);
            for (old, p) in self.pos.iter().enumerate() {
                let c = cell_of(p);
                self.perm[fill[c] as usize] = old as u32;
                fill[c] += 1;
            }
            fill.resize(n, 0);
        }
        for (new, &old) in self.perm.iter().enumerate() {
            self.scratch[new] = self.pos[old as usize];
        }
        std::mem::swap(&mut self.pos, &mut self.scratch);
        self.ref_pos.copy_from_slice(&self.pos);
        self.drift = [0.0; 2];
        // Slabs are the columns of cells; with fewer than 3 columns everything is one slab.
        let slabs = if nx >= 3 { nx } else { 1 };
        self.slab_start.clear();
        for s in 0..=slabs {
            let c = if slabs == 1 { s * nx * ny } else { s * ny };
            self.slab_start.push(self.cell_start[c] as usize);
        }
        for s in 0..slabs {
            for i in self.slab_start[s]..self.slab_start[s + 1] {
                self.slab_of[i] = s as u32;
            }
        }
        // Phases of slabs whose jobs write to disjoint slabs (s and s + 1).
        self.phases.clear();
        if slabs == 1 {
            self.phases.push(vec![0]);
        } else {
            let last_alone = slabs % 2 == 1;
            let even: Vec<usize> = (0..slabs)
                .step_by(2)
                .filter(|&s| !(last_alone && s == slabs - 1))
                .collect();
            let odd: Vec<usize> = (1..slabs).step_by(2).collect();
            self.phases.push(even);
            self.phases.push(odd);
            if last_alone {
                self.phases.push(vec![slabs - 1]);
            }
        }
        loop {
            let needed = n * self.max_nbr;
            if self.nbr.len() < needed {
                self.nbr.resize(needed, 0);
            }
            let (pos, start, slab_of, max_nbr) =
                (&self.pos, &self.cell_start, &self.slab_of, self.max_nbr);
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
                        let ci = cell_of(&pos[i]);
                        let (cx, cy) = (ci / ny, ci % ny);
                        let si = slab_of[i] as usize;
                        let next = if slabs >= 3 {
                            (si + 1) % slabs
                        } else {
                            usize::MAX
                        };
                        let mut len = 0usize;
                        let (wx, wy) = (nx.min(3), ny.min(3));
                        for ox in 0..wx {
                            let jx = (cx + nx + ox - wx / 2) % nx;
                            for oy in 0..wy {
                                let jy = (cy + ny + oy - wy / 2) % ny;
                                let c = jx * ny + jy;
                                for j in start[c] as usize..start[c + 1] as usize {
                                    let sj = slab_of[j] as usize;
                                    let listed = (sj == si && j > i) || sj == next;
                                    if !listed {
                                        continue;
                                    }
                                    // Positions are wrapped here, so one image shift suffices.
                                    let mut dx = pos[j][0] - xi;
                                    let mut dy = pos[j][1] - yi;
                                    dx -= lx
                                        * (((dx > 0.5 * lx) as i32 - (dx < -0.5 * lx) as i32)
                                            as f64);
                                    dy -= ly
                                        * (((dy > 0.5 * ly) as i32 - (dy < -0.5 * ly) as i32)
                                            as f64);
                                    if dx * dx + dy * dy < r2max {
                                        if len < max_nbr {
                                            row[len] = j as u32;
                                        } else {
                                            overflow = true;
                                        }
                                        len += 1;
                                    }
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
        let pins = self.pins.as_ref();
        // Drive and pins, per vortex.
        let init = |(c, out): (usize, &mut [[f64; 2]])| {
            for k in 0..out.len() {
                let i = c * CHUNK + k;
                let (mut fx, mut fy) = (drive[0], drive[1]);
                if let Some(pins) = pins {
                    let f = pins.force(pos[i][0], pos[i][1]);
                    fx += f[0];
                    fy += f[1];
                }
                out[k] = [fx, fy];
            }
        };
        let small = self.pos.len() <= 2 * CHUNK;
        if small {
            self.forces.chunks_mut(CHUNK).enumerate().for_each(init);
        } else {
            self.forces.par_chunks_mut(CHUNK).enumerate().for_each(init);
        }
        if let Some(lr) = self.long_range.as_mut() {
            lr.add_forces(pos, &mut self.forces);
        }
        let Some(pair) = self.pair.as_ref() else {
            return;
        };
        if self.pos.len() < 2 {
            return;
        }
        let (nbr, nbr_len, max_nbr) = (&self.nbr, &self.nbr_len, self.max_nbr);
        let avx2 = self.avx2;
        let out = SharedForces(self.forces.as_mut_ptr());
        let slab_start = &self.slab_start;
        let job = |s: usize| {
            for i in slab_start[s]..slab_start[s + 1] {
                let row = &nbr[i * max_nbr..i * max_nbr + nbr_len[i] as usize];
                // SAFETY: the jobs of one phase write only to the vortices of their own slab
                // and the next one, and no two jobs of a phase share a slab (see `rebuild`).
                unsafe { half_pair_sum(pair, row, pos, i, lx, ly, &out, avx2) };
            }
        };
        for phase in &self.phases {
            if small || phase.len() == 1 {
                phase.iter().for_each(|&s| job(s));
            } else {
                phase.par_iter().for_each(|&s| job(s));
            }
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
        let drift = self.drift;
        // Per chunk: noise from the chunk's own stream, the move, and partial sums (mean
        // displacement, largest step, largest excursion since the last rebuild), reduced in
        // chunk order: the same numbers for any number of threads.
        let update = |(((c, pos), (rng, part)), (forces, refp)): ChunkArgs<'_>| {
            let _ = c;
            let (mut sx, mut sy, mut big, mut moved) = (0.0, 0.0, 0.0f64, 0.0f64);
            for k in 0..pos.len() {
                let mut d = [dt * forces[k][0], dt * forces[k][1]];
                // The largest deterministic step (the noise step is set by theta and dt).
                big = big.max(d[0] * d[0] + d[1] * d[1]);
                if amp > 0.0 {
                    let zx: f64 = StandardNormal.sample(rng);
                    let zy: f64 = StandardNormal.sample(rng);
                    d[0] += amp * zx;
                    d[1] += amp * zy;
                }
                pos[k][0] += d[0];
                pos[k][1] += d[1];
                sx += d[0];
                sy += d[1];
                // Excursion relative to the common drift since the last rebuild: a uniformly
                // translating lattice keeps its neighbour lists.
                let ex = pos[k][0] - refp[k][0] - drift[0];
                let ey = pos[k][1] - refp[k][1] - drift[1];
                moved = moved.max(ex * ex + ey * ey);
            }
            *part = [sx, sy, big, moved];
        };
        if n <= 2 * CHUNK {
            self.pos
                .chunks_mut(CHUNK)
                .enumerate()
                .zip(self.rngs.iter_mut().zip(self.partial.iter_mut()))
                .zip(self.forces.chunks(CHUNK).zip(self.ref_pos.chunks(CHUNK)))
                .for_each(update);
        } else {
            self.pos
                .par_chunks_mut(CHUNK)
                .enumerate()
                .zip(self.rngs.par_iter_mut().zip(self.partial.par_iter_mut()))
                .zip(
                    self.forces
                        .par_chunks(CHUNK)
                        .zip(self.ref_pos.par_chunks(CHUNK)),
                )
                .for_each(update);
        }
        let (mut sx, mut sy, mut biggest, mut moved2) = (0.0, 0.0, 0.0f64, 0.0f64);
        for p in &self.partial {
            sx += p[0];
            sy += p[1];
            biggest = biggest.max(p[2]);
            moved2 = moved2.max(p[3]);
        }
        let mean = [sx / n as f64, sy / n as f64];
        self.drift[0] += mean[0];
        self.drift[1] += mean[1];
        // Pair distances change by at most the sum of two relative excursions; this step's
        // drift was not yet subtracted above, so it is added to the bound.
        let bound = moved2.sqrt() + (mean[0] * mean[0] + mean[1] * mean[1]).sqrt();
        self.max_step = self.max_step.max(biggest.sqrt());
        self.steps += 1;
        if bound > 0.5 * self.skin {
            self.rebuild();
        }
        mean
    }

    /// Use (or not) the AVX2 kernel, where the CPU has it (for tests: both give the same bits).
    #[cfg(test)]
    fn set_simd(&mut self, on: bool) {
        #[cfg(target_arch = "x86_64")]
        {
            self.avx2 = on && std::arch::is_x86_feature_detected!("avx2");
        }
        let _ = on;
    }

    /// Deterministic forces at the current positions (pairs, pins and `drive`), for tests and
    /// diagnostics.
    pub fn evaluate_forces(&mut self, drive: [f64; 2]) -> &[[f64; 2]] {
        self.compute_forces(drive);
        &self.forces
    }
}

/// Arguments of one chunk of the integrator: index and positions, noise stream and partial
/// sums, forces and reference positions.
type ChunkArgs<'a> = (
    (
        (usize, &'a mut [[f64; 2]]),
        (&'a mut Xoshiro256PlusPlus, &'a mut [f64; 4]),
    ),
    (&'a [[f64; 2]], &'a [[f64; 2]]),
);

/// The force buffer shared by the jobs of one phase (which write to disjoint vortices).
struct SharedForces(*mut [f64; 2]);
// SAFETY: used only inside `compute_forces`, where concurrent jobs touch disjoint indices.
unsafe impl Sync for SharedForces {}
unsafe impl Send for SharedForces {}

// TODO(#4): this kernel is ~70% of a step. Gathers are slow on this machine's CPU; the next
// candidates are f32 tables and cell-relative f32 coordinates (twice the SIMD width) or a
// neighbour layout with contiguous neighbour coordinates (no gathers).
/// Add the pair forces between vortex `i` and its half-list neighbours `row`: `+f` on `i`,
/// `-f` on each `j`, in a fixed order (so results do not depend on threads or on the AVX2
/// build: Rust never contracts `a * b + c` into fused multiply-adds).
///
/// # Safety
/// `out` must point to the force buffer (length `pos.len()`), and no other thread may access
/// the entries of `i` and of the vortices in `row` during the call.
#[allow(clippy::too_many_arguments)]
#[inline(always)]
unsafe fn half_pair_body(
    pair: &PairForce,
    row: &[u32],
    pos: &[[f64; 2]],
    i: usize,
    lx: f64,
    ly: f64,
    out: &SharedForces,
) {
    let (hx, hy) = (0.5 * lx, 0.5 * ly);
    let smin = pair.lookup_min();
    let (xi, yi) = (pos[i][0], pos[i][1]);
    // Four lanes: lane k accumulates pairs k, k + 4, ... (the association of the AVX2
    // kernel, so both give the same bits).
    let mut ax = [0.0f64; 4];
    let mut ay = [0.0f64; 4];
    let mut chunks = row.chunks_exact(4);
    for batch in &mut chunks {
        let mut dx = [0.0; 4];
        let mut dy = [0.0; 4];
        let mut ss = [0.0; 4];
        for k in 0..4 {
            let p = pos[batch[k] as usize];
            let mut x = xi - p[0];
            let mut y = yi - p[1];
            x -= lx * (((x > hx) as i32 - (x < -hx) as i32) as f64);
            y -= ly * (((y > hy) as i32 - (y < -hy) as i32) as f64);
            dx[k] = x;
            dy[k] = y;
            ss[k] = x * x + y * y;
        }
        let close = ss.iter().any(|&s| s < smin);
        let mut g = [0.0; 4];
        for k in 0..4 {
            g[k] = if close {
                pair.over_r(ss[k])
            } else {
                pair.lookup(ss[k])
            };
        }
        for k in 0..4 {
            let (fx, fy) = (g[k] * dx[k], g[k] * dy[k]);
            ax[k] += fx;
            ay[k] += fy;
            let fj = &mut *out.0.add(batch[k] as usize);
            fj[0] -= fx;
            fj[1] -= fy;
        }
    }
    finish_pair_sum(pair, chunks.remainder(), pos, i, lx, ly, out, ax, ay);
}

/// Remainder pairs and the force on `i` (shared by both kernels, same order).
#[allow(clippy::too_many_arguments)]
#[inline(always)]
unsafe fn finish_pair_sum(
    pair: &PairForce,
    rest: &[u32],
    pos: &[[f64; 2]],
    i: usize,
    lx: f64,
    ly: f64,
    out: &SharedForces,
    ax: [f64; 4],
    ay: [f64; 4],
) {
    let (hx, hy) = (0.5 * lx, 0.5 * ly);
    let (xi, yi) = (pos[i][0], pos[i][1]);
    let mut fx = ((ax[0] + ax[1]) + ax[2]) + ax[3];
    let mut fy = ((ay[0] + ay[1]) + ay[2]) + ay[3];
    for &j in rest {
        let p = pos[j as usize];
        let mut x = xi - p[0];
        let mut y = yi - p[1];
        x -= lx * (((x > hx) as i32 - (x < -hx) as i32) as f64);
        y -= ly * (((y > hy) as i32 - (y < -hy) as i32) as f64);
        let g = pair.over_r(x * x + y * y);
        fx += g * x;
        fy += g * y;
        let fj = &mut *out.0.add(j as usize);
        fj[0] -= g * x;
        fj[1] -= g * y;
    }
    let fi = &mut *out.0.add(i);
    fi[0] += fx;
    fi[1] += fy;
}

/// The same computation with AVX2 gathers, four pairs at a time. Every operation matches
/// the scalar kernel (separate multiplies and adds, the same comparisons, truncation and
/// lane association), so the results are identical bit for bit.
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2")]
#[allow(clippy::too_many_arguments)]
unsafe fn half_pair_avx2(
    pair: &PairForce,
    row: &[u32],
    pos: &[[f64; 2]],
    i: usize,
    lx: f64,
    ly: f64,
    out: &SharedForces,
) {
    use std::arch::x86_64::*;
    let (table, smin, inv_ds, last) = pair.table_parts();
    let base = pos.as_ptr() as *const f64;
    let (xi, yi) = (pos[i][0], pos[i][1]);
    let (vxi, vyi) = (_mm256_set1_pd(xi), _mm256_set1_pd(yi));
    let (vlx, vly) = (_mm256_set1_pd(lx), _mm256_set1_pd(ly));
    let (vhx, vhy) = (_mm256_set1_pd(0.5 * lx), _mm256_set1_pd(0.5 * ly));
    let (vnhx, vnhy) = (_mm256_set1_pd(-0.5 * lx), _mm256_set1_pd(-0.5 * ly));
    let (vsmin, vinv, vlast) = (
        _mm256_set1_pd(smin),
        _mm256_set1_pd(inv_ds),
        _mm256_set1_pd(last),
    );
    let one = _mm_set1_epi32(1);
    let mut ax = _mm256_setzero_pd();
    let mut ay = _mm256_setzero_pd();
    let mut chunks = row.chunks_exact(4);
    let mut fxs = [0.0f64; 4];
    let mut fys = [0.0f64; 4];
    for batch in &mut chunks {
        let idx = _mm_loadu_si128(batch.as_ptr() as *const __m128i);
        let idx2 = _mm_slli_epi32(idx, 1);
        let xs = _mm256_i32gather_pd::<8>(base, idx2);
        let ys = _mm256_i32gather_pd::<8>(base.add(1), idx2);
        let mut dx = _mm256_sub_pd(vxi, xs);
        let mut dy = _mm256_sub_pd(vyi, ys);
        // x -= lx for x > lx/2, x += lx for x < -lx/2 (exclusive, as in the scalar code).
        let gx = _mm256_cmp_pd::<_CMP_GT_OQ>(dx, vhx);
        let lxm = _mm256_cmp_pd::<_CMP_LT_OQ>(dx, vnhx);
        dx = _mm256_blendv_pd(dx, _mm256_sub_pd(dx, vlx), gx);
        dx = _mm256_blendv_pd(dx, _mm256_add_pd(dx, vlx), lxm);
        let gy = _mm256_cmp_pd::<_CMP_GT_OQ>(dy, vhy);
        let lym = _mm256_cmp_pd::<_CMP_LT_OQ>(dy, vnhy);
        dy = _mm256_blendv_pd(dy, _mm256_sub_pd(dy, vly), gy);
        dy = _mm256_blendv_pd(dy, _mm256_add_pd(dy, vly), lym);
        let ss = _mm256_add_pd(_mm256_mul_pd(dx, dx), _mm256_mul_pd(dy, dy));
        let g = if _mm256_movemask_pd(_mm256_cmp_pd::<_CMP_LT_OQ>(ss, vsmin)) != 0 {
            // A close pair: the exact path for this batch.
            let mut s4 = [0.0f64; 4];
            _mm256_storeu_pd(s4.as_mut_ptr(), ss);
            let g4 = [
                pair.over_r(s4[0]),
                pair.over_r(s4[1]),
                pair.over_r(s4[2]),
                pair.over_r(s4[3]),
            ];
            _mm256_loadu_pd(g4.as_ptr())
        } else {
            let u = _mm256_min_pd(_mm256_mul_pd(_mm256_sub_pd(ss, vsmin), vinv), vlast);
            let k = _mm256_cvttpd_epi32(u);
            let w = _mm256_sub_pd(u, _mm256_cvtepi32_pd(k));
            let a = _mm256_i32gather_pd::<8>(table.as_ptr(), k);
            let b = _mm256_i32gather_pd::<8>(table.as_ptr(), _mm_add_epi32(k, one));
            _mm256_add_pd(a, _mm256_mul_pd(w, _mm256_sub_pd(b, a)))
        };
        let fx = _mm256_mul_pd(g, dx);
        let fy = _mm256_mul_pd(g, dy);
        ax = _mm256_add_pd(ax, fx);
        ay = _mm256_add_pd(ay, fy);
        _mm256_storeu_pd(fxs.as_mut_ptr(), fx);
        _mm256_storeu_pd(fys.as_mut_ptr(), fy);
        for k in 0..4 {
            let fj = &mut *out.0.add(batch[k] as usize);
            fj[0] -= fxs[k];
            fj[1] -= fys[k];
        }
    }
    let mut a4 = [0.0f64; 4];
    let mut b4 = [0.0f64; 4];
    _mm256_storeu_pd(a4.as_mut_ptr(), ax);
    _mm256_storeu_pd(b4.as_mut_ptr(), ay);
    finish_pair_sum(pair, chunks.remainder(), pos, i, lx, ly, out, a4, b4);
}

/// Dispatch to the AVX2 build when available. Same safety contract as [`half_pair_body`].
#[allow(clippy::too_many_arguments)]
#[inline(always)]
unsafe fn half_pair_sum(
    pair: &PairForce,
    row: &[u32],
    pos: &[[f64; 2]],
    i: usize,
    lx: f64,
    ly: f64,
    out: &SharedForces,
    avx2: bool,
) {
    #[cfg(target_arch = "x86_64")]
    if avx2 {
        return half_pair_avx2(pair, row, pos, i, lx, ly, out);
    }
    let _ = avx2;
    half_pair_body(pair, row, pos, i, lx, ly, out)
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

    /// Regression (issue #8, `lambda = "1e-30 m"`): two vortices in a box of 1e24 lambda
    /// asked for a cell grid whose size overflowed (index out of bounds); cells are now
    /// capped by the number of vortices, and the forces are still right (far apart: none).
    #[test]
    fn sparse_vortices_in_a_huge_box_do_not_overflow_the_cell_grid() {
        let pair = PairForce::new(5.0, 4.0, 0.05).unwrap();
        let (lx, ly) = (1e24, 2e24);
        let pos = vec![[1.0, 1.0], [3e23, 5e23]];
        let mut s = VortexSystem::new(pos, lx, ly, Some(pair.clone()), None, 0.01, 1).unwrap();
        assert!(s
            .evaluate_forces([0.0, 0.0])
            .iter()
            .all(|f| f == &[0.0, 0.0]));
        // Two close vortices in the same huge box still repel with the London force.
        let pos = vec![[1.0, 1.0], [2.0, 1.0]];
        let mut s = VortexSystem::new(pos, lx, ly, Some(pair.clone()), None, 0.01, 1).unwrap();
        let k = s.positions().iter().position(|p| p[0] == 2.0).unwrap();
        let f = s.evaluate_forces([0.0, 0.0])[k];
        assert!(
            (f[0] - pair.exact(1.0)).abs() < 1e-6 && f[1] == 0.0,
            "{f:?}"
        );
    }

    /// The AVX2 kernel and the portable one give identical forces, bit for bit, including
    /// close pairs (the exact path) and pairs across the periodic boundary.
    #[test]
    fn simd_and_portable_kernels_agree_bitwise() {
        let mut rng = Xoshiro256PlusPlus::seed_from_u64(9);
        use rand::RngExt;
        let (lx, ly) = (14.0, 13.0);
        let pos: Vec<[f64; 2]> = (0..700)
            .map(|_| [rng.random::<f64>() * lx, rng.random::<f64>() * ly])
            .collect();
        let pair = PairForce::new(5.0, 4.0, 0.05).unwrap();
        let mut s = VortexSystem::new(pos, lx, ly, Some(pair), None, 0.002, 1).unwrap();
        s.set_simd(true);
        let a = s.evaluate_forces([0.1, -0.2]).to_vec();
        s.set_simd(false);
        let b = s.evaluate_forces([0.1, -0.2]).to_vec();
        for (x, y) in a.iter().zip(&b) {
            assert_eq!(x[0].to_bits(), y[0].to_bits());
            assert_eq!(x[1].to_bits(), y[1].to_bits());
        }
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
        // Vortices are reordered internally: find the displaced one by its position.
        let k = s
            .positions()
            .iter()
            .position(|p| (p[0] - p2[37][0]).abs() < 1e-12 && (p[1] - p2[37][1]).abs() < 1e-12)
            .unwrap();
        let f = s.evaluate_forces([0.0, 0.0])[k];
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
