//! Post-processing: physical profiles, boundary fluxes and currents, the time series.

use super::{Closure, Electrodiffusion, Row};
use crate::assembly::{FaceFlux, FluxLaw};
use crate::constants::{FARADAY, GAS_CONSTANT, VACUUM_PERMITTIVITY};
use crate::discretize::{sg_face_weight, Scheme};

impl Electrodiffusion {
    /// The Nernst-Planck flow (scaled, through the whole face, from node `f` to `f + 1`) of
    /// every species on every face: `flows[f * m + k]`.
    fn face_flows(&self, x: &[f64]) -> Vec<f64> {
        let m = self.m;
        let mut work = SeriesWork::new(self.nv, m);
        let mut out = vec![0.0; (self.n - 1) * m];
        for f in 0..self.n - 1 {
            self.face_flow(x, f, &mut work);
            out[f * m..(f + 1) * m].copy_from_slice(&work.val[..m]);
        }
        out
    }

    /// The Nernst-Planck flow of every species through face `f` (scaled, from node `f` to
    /// `f + 1`) into `work.val[..m]`.
    fn face_flow(&self, x: &[f64], f: usize, work: &mut SeriesWork) {
        let nv = self.nv;
        let (np, ..) = self.terms();
        work.val.fill(0.0);
        let mut ff = FaceFlux::new(nv, &mut work.val, &mut work.dk, &mut work.dl);
        np.flux(
            f,
            [f, f + 1],
            &x[f * nv..(f + 1) * nv],
            &x[(f + 1) * nv..(f + 2) * nv],
            &mut ff,
        );
    }

    /// Boundary flux density (SI, along +x) of species `k` on `side` from the half-cell
    /// balance (see [`Profiles::boundary_flux`]), given the scaled flow `flow` of `k` through
    /// the boundary face.
    fn boundary_flux(&self, k: usize, side: usize, flow: f64, xdot: Option<&[f64]>) -> f64 {
        let node = if side == 0 { 0 } else { self.n - 1 };
        let jb = if self.rows[side][k] == Row::Dirichlet {
            let acc = xdot
                .map(|d| self.mesh.volume(node) * d[node * self.nv + k])
                .unwrap_or(0.0);
            if side == 0 {
                (acc + flow) / self.ab[0]
            } else {
                (flow - acc) / self.ab[1]
            }
        } else {
            self.bc.species[side][k]
        };
        jb * self.scales.flux
    }

    /// Conduction current density `F sum_k z_k J_k` (A/m^2) from the boundary fluxes.
    fn current_density(&self, boundary_flux: &[[f64; 2]]) -> [f64; 2] {
        let mut current = [0.0; 2];
        for (side, c) in current.iter_mut().enumerate() {
            *c = FARADAY
                * (0..self.m)
                    .map(|k| self.problem.species[k].charge * boundary_flux[k][side])
                    .sum::<f64>();
        }
        current
    }

    /// Total amount of species `k` (see [`Profiles::amount`]) in the scaled state `x`.
    fn amount(&self, x: &[f64], k: usize) -> f64 {
        let grid = &self.problem.grid;
        let c0 = self.scales.concentration;
        (0..self.n)
            .map(|i| grid.volume(i) * (x[i * self.nv + k] * c0))
            .sum()
    }

    /// The time-series values of a scaled state (boundary fluxes and amounts into `work`,
    /// the conduction current returned), the same numbers as [`Self::profiles`] gives, in
    /// `O(N)` work over the state and without allocating.
    pub(super) fn series_point(
        &self,
        x: &[f64],
        xdot: Option<&[f64]>,
        work: &mut SeriesWork,
    ) -> [f64; 2] {
        let (n, m) = (self.n, self.m);
        for (side, face) in [(0, 0), (1, n - 2)] {
            self.face_flow(x, face, work);
            for k in 0..m {
                work.flux[k][side] = self.boundary_flux(k, side, work.val[k], xdot);
            }
        }
        for k in 0..m {
            work.amount[k] = self.amount(x, k);
        }
        self.current_density(&work.flux)
    }

    /// Displacement current density `eps dE/dt` (A/m^2, along +x) at the two walls, from the
    /// time derivative of the Gauss-law wall field (see [`Profiles::boundary_field`]):
    /// `eps A_b dE_w/dt = eps A_f dE_f/dt -+ V_0 d(rho_0)/dt`, exact for the discrete state,
    /// so conduction plus displacement current is the same at both walls of a planar cell.
    /// Zero unless the closure is Poisson: electroneutral and fixed-field models have no
    /// space charge whose field could change (their wall field is not a Gauss-law field).
    pub(super) fn displacement_current(&self, xdot: &[f64]) -> [f64; 2] {
        if self.problem.closure != Closure::Poisson {
            return [0.0; 2];
        }
        let (n, nv, m) = (self.n, self.nv, self.m);
        let s = self.scales;
        let grid = &self.problem.grid;
        let eps = self.problem.permittivity * VACUUM_PERMITTIVITY;
        let phidot = |i: usize| xdot[i * nv + m] * s.potential / s.time;
        let rhodot = |i: usize| {
            FARADAY
                * (0..m)
                    .map(|k| self.z[k] * xdot[i * nv + k] * s.concentration / s.time)
                    .sum::<f64>()
        };
        let x = grid.x();
        let efdot = |f: usize| -(phidot(f + 1) - phidot(f)) / (x[f + 1] - x[f]);
        let faces = n - 1;
        [
            (eps * efdot(0) * grid.face_area(0) - rhodot(0) * grid.volume(0))
                / grid.boundary_area(0),
            (eps * efdot(faces - 1) * grid.face_area(faces - 1)
                + rhodot(n - 1) * grid.volume(n - 1))
                / grid.boundary_area(1),
        ]
    }

    /// Physical profiles of a scaled state. `xdot` (scaled time derivative) corrects the
    /// boundary fluxes at Dirichlet boundaries for the accumulation in the half cell.
    pub fn profiles(&mut self, x: &[f64], xdot: Option<&[f64]>) -> Profiles {
        let flows = self.face_flows(x);
        let s = self.scales;
        let (n, nv, m) = (self.n, self.nv, self.m);
        let xs: Vec<f64> = self.problem.grid.x().to_vec();
        let phi: Vec<f64> = (0..n).map(|i| x[i * nv + m] * s.potential).collect();
        let conc: Vec<Vec<f64>> = (0..m)
            .map(|k| (0..n).map(|i| x[i * nv + k] * s.concentration).collect())
            .collect();
        // Face field and the exact SG split into diffusion, migration and advection.
        let faces = n - 1;
        let mut face_split = vec![[0.0f64; 4]; faces * m];
        for f in 0..faces {
            let hf = xs[f + 1] - xs[f];
            let dphi = phi[f + 1] - phi[f];
            for k in 0..m {
                let dk = self.problem.species[k].diffusivity;
                let z = self.problem.species[k].charge;
                let p = -z * dphi / s.potential + self.problem.velocity * hf / dk;
                let (ci, cj) = (conc[k][f], conc[k][f + 1]);
                let g = match self.problem.scheme {
                    Scheme::ScharfetterGummel => sg_face_weight(p),
                    Scheme::Upwind => {
                        if p >= 0.0 {
                            1.0
                        } else {
                            0.0
                        }
                    }
                    Scheme::Central => 0.5,
                };
                let cf = g * ci + (1.0 - g) * cj;
                let diff = -dk * (cj - ci) / hf;
                let mig = -dk * z * cf * dphi / (hf * s.potential);
                let adv = self.problem.velocity * cf;
                let total = flows[f * m + k] / self.mesh.face_area(f) * s.flux;
                face_split[f * m + k] = [total, diff, mig, adv];
            }
        }
        let mut flux = vec![FluxProfile::zeros(n); m];
        for (k, fp) in flux.iter_mut().enumerate() {
            for i in 0..n {
                let v = if i == 0 {
                    face_split[k]
                } else if i == n - 1 {
                    face_split[(faces - 1) * m + k]
                } else {
                    let (a, b) = (face_split[(i - 1) * m + k], face_split[i * m + k]);
                    [
                        0.5 * (a[0] + b[0]),
                        0.5 * (a[1] + b[1]),
                        0.5 * (a[2] + b[2]),
                        0.5 * (a[3] + b[3]),
                    ]
                };
                fp.total[i] = v[0];
                fp.diffusive[i] = v[1];
                fp.migrative[i] = v[2];
                fp.advective[i] = v[3];
            }
        }
        // Boundary fluxes from the half-cell balances.
        let mut boundary_flux = vec![[0.0; 2]; m];
        let mut boundary_split = vec![[[0.0; 4]; 2]; m];
        for (k, jb) in boundary_flux.iter_mut().enumerate() {
            for (side, face) in [(0, 0), (1, faces - 1)] {
                jb[side] = self.boundary_flux(k, side, flows[face * m + k], xdot);
            }
        }
        let current = self.current_density(&boundary_flux);
        // Field at nodes and charge density.
        let mut field: Vec<f64> = (0..n)
            .map(|i| {
                if i == 0 {
                    -(phi[1] - phi[0]) / (xs[1] - xs[0])
                } else if i == n - 1 {
                    -(phi[n - 1] - phi[n - 2]) / (xs[n - 1] - xs[n - 2])
                } else {
                    -(phi[i + 1] - phi[i - 1]) / (xs[i + 1] - xs[i - 1])
                }
            })
            .collect();
        let charge: Vec<f64> = (0..n)
            .map(|i| {
                FARADAY
                    * (0..m)
                        .map(|k| self.problem.species[k].charge * conc[k][i])
                        .sum::<f64>()
            })
            .collect();
        // Field at the walls from Gauss's law on the boundary half cells.
        let eps = self.problem.permittivity * VACUUM_PERMITTIVITY;
        let grid = &self.problem.grid;
        let ef = |f: usize| -(phi[f + 1] - phi[f]) / (xs[f + 1] - xs[f]);
        let boundary_field = [
            (eps * ef(0) * grid.face_area(0) - charge[0] * grid.volume(0))
                / (eps * grid.boundary_area(0)),
            (eps * ef(faces - 1) * grid.face_area(faces - 1) + charge[n - 1] * grid.volume(n - 1))
                / (eps * grid.boundary_area(1)),
        ];
        let poisson = self.problem.closure == Closure::Poisson;
        if poisson {
            // The wall values of the field are the Gauss-law values (second order), not
            // one-sided differences (first order).
            field[0] = boundary_field[0];
            field[n - 1] = boundary_field[1];
        } else if n >= 3 {
            // Second-order one-sided differences on the (non-uniform) wall intervals.
            let d3 = |f0: f64, f1: f64, f2: f64, h1: f64, h2: f64| {
                -(2.0 * h1 + h2) / (h1 * (h1 + h2)) * f0 + (h1 + h2) / (h1 * h2) * f1
                    - h1 / (h2 * (h1 + h2)) * f2
            };
            field[0] = -d3(phi[0], phi[1], phi[2], xs[1] - xs[0], xs[2] - xs[1]);
            field[n - 1] = d3(
                phi[n - 1],
                phi[n - 2],
                phi[n - 3],
                xs[n - 1] - xs[n - 2],
                xs[n - 2] - xs[n - 3],
            );
        }
        let surface_charge = poisson.then(|| [eps * boundary_field[0], -eps * boundary_field[1]]);
        // Split of the boundary flux at the wall itself: migration `D z c_w (F/RT) E_w` and
        // advection `v c_w` from the wall concentration and field, diffusion the rest, so
        // the three add up to the half-cell-balance flux.
        let vt = s.potential;
        for k in 0..m {
            let dk = self.problem.species[k].diffusivity;
            let z = self.problem.species[k].charge;
            for (side, node) in [(0, 0), (1, n - 1)] {
                let cw = conc[k][node];
                let total = boundary_flux[k][side];
                let mig = dk * z * cw * field[node] / vt;
                let adv = self.problem.velocity * cw;
                let split = [total, total - mig - adv, mig, adv];
                boundary_split[k][side] = split;
                let fp = &mut flux[k];
                fp.total[node] = split[0];
                fp.diffusive[node] = split[1];
                fp.migrative[node] = split[2];
                fp.advective[node] = split[3];
            }
        }
        let rt = GAS_CONSTANT * self.problem.temperature;
        let echem = (0..m)
            .map(|k| {
                let z = self.problem.species[k].charge;
                (0..n)
                    .map(|i| rt * (conc[k][i] / 1000.0).ln() + z * FARADAY * phi[i])
                    .collect()
            })
            .collect();
        let amount = (0..m).map(|k| self.amount(x, k)).collect();
        Profiles {
            x: xs,
            concentration: conc,
            potential: phi,
            field,
            charge_density: charge,
            electrochemical_potential: echem,
            flux,
            boundary_flux,
            boundary_split,
            current_density: current,
            boundary_field,
            surface_charge,
            amount,
            radius: (grid.geometry() != crate::mesh::Geometry::Planar)
                .then(|| (0..n).map(|i| grid.radius(i)).collect()),
        }
    }
}

/// Time series recorded at every accepted step (SI units; fluxes positive along +x).
#[derive(Clone, Debug, Default)]
pub struct TimeSeries {
    /// Times, s.
    pub time: Vec<f64>,
    /// Current density at the left and right boundaries, A/m^2: conduction plus, under the
    /// Poisson closure, the displacement current `eps dE/dt` (no other closure has one).
    pub current_density: [Vec<f64>; 2],
    /// Boundary flux per species at the left and right boundaries, mol m^-2 s^-1.
    pub flux: Vec<[Vec<f64>; 2]>,
    /// Total amount per species (mol/m^2 planar, mol/m cylindrical, mol spherical).
    pub amount: Vec<Vec<f64>>,
}

impl TimeSeries {
    pub(super) fn new(m: usize) -> Self {
        TimeSeries {
            flux: vec![[vec![], vec![]]; m],
            amount: vec![vec![]; m],
            ..Default::default()
        }
    }

    /// Record time `t`: conduction current plus `displacement` (A/m^2), boundary fluxes
    /// and amounts per species.
    pub(super) fn push(
        &mut self,
        t: f64,
        current: [f64; 2],
        displacement: [f64; 2],
        flux: &[[f64; 2]],
        amount: &[f64],
    ) {
        self.time.push(t);
        for side in 0..2 {
            self.current_density[side].push(current[side] + displacement[side]);
        }
        for k in 0..self.flux.len() {
            for side in 0..2 {
                self.flux[k][side].push(flux[k][side]);
            }
            self.amount[k].push(amount[k]);
        }
    }
}

/// Buffers of the per-step post-processing of a transient run, allocated once.
#[derive(Clone, Debug)]
pub(super) struct SeriesWork {
    val: Vec<f64>,
    dk: Vec<f64>,
    dl: Vec<f64>,
    /// Boundary flux per species `[left, right]`, mol m^-2 s^-1.
    pub(super) flux: Vec<[f64; 2]>,
    /// Amount per species.
    pub(super) amount: Vec<f64>,
}

impl SeriesWork {
    pub(super) fn new(nv: usize, m: usize) -> Self {
        SeriesWork {
            val: vec![0.0; nv],
            dk: vec![0.0; nv * nv],
            dl: vec![0.0; nv * nv],
            flux: vec![[0.0; 2]; m],
            amount: vec![0.0; m],
        }
    }
}

/// Flux density of one species at the nodes, split by mechanism (mol m^-2 s^-1, +x).
#[derive(Clone, Debug, PartialEq)]
pub struct FluxProfile {
    /// Total flux (the conservative Scharfetter-Gummel flux).
    pub total: Vec<f64>,
    /// Diffusion, `-D dc/dx`.
    pub diffusive: Vec<f64>,
    /// Migration, `-D z (F/RT) c dphi/dx`.
    pub migrative: Vec<f64>,
    /// Advection, `v c`.
    pub advective: Vec<f64>,
}

impl FluxProfile {
    fn zeros(n: usize) -> Self {
        FluxProfile {
            total: vec![0.0; n],
            diffusive: vec![0.0; n],
            migrative: vec![0.0; n],
            advective: vec![0.0; n],
        }
    }
}

/// Physical fields of a solution, SI units.
///
/// Node fluxes are averages of the two adjacent interval fluxes; at the two boundary nodes
/// they are the boundary fluxes with their split at the wall ([`Profiles::boundary_split`]).
/// On each interval the split uses the face concentration implied by the
/// Scharfetter-Gummel flux, so diffusion + migration + advection equals the total exactly.
#[derive(Clone, Debug, PartialEq)]
pub struct Profiles {
    /// Node positions, m (from the inner boundary).
    pub x: Vec<f64>,
    /// Concentrations `[species][node]`, mol/m^3.
    pub concentration: Vec<Vec<f64>>,
    /// Electric potential, V.
    pub potential: Vec<f64>,
    /// Electric field `-dphi/dx`, V/m (central differences inside; at the walls the
    /// Gauss-law value under the Poisson closure, one-sided differences otherwise).
    pub field: Vec<f64>,
    /// Space charge density `F sum z c`, C/m^3.
    pub charge_density: Vec<f64>,
    /// Electrochemical potential `RT ln(c / 1 M) + z F phi` (standard part omitted), J/mol.
    pub electrochemical_potential: Vec<Vec<f64>>,
    /// Flux profiles per species.
    pub flux: Vec<FluxProfile>,
    /// Boundary flux per species `[left, right]`, mol m^-2 s^-1, from the half-cell balance.
    pub boundary_flux: Vec<[f64; 2]>,
    /// Split `[total, diffusive, migrative, advective]` of the boundary flux at the wall,
    /// per species and side: the total from the half-cell balance, migration
    /// `D z c_w (F/RT) E_w` and advection `v c_w` from the wall values, diffusion the rest.
    pub boundary_split: Vec<[[f64; 4]; 2]>,
    /// Conduction current density `F sum z J` at `[left, right]`, A/m^2.
    pub current_density: [f64; 2],
    /// Electric field at the two walls from Gauss's law on the half cells, V/m:
    /// `eps A_b E_w = eps A_f E_f -+ rho_0 V_0` (left: minus), so the wall field equals the
    /// total charge between the walls to round-off.
    pub boundary_field: [f64; 2],
    /// Poisson closure: the surface charge density on each wall, C/m^2,
    /// `sigma = eps E . n` with `n` the unit normal pointing from the wall into the
    /// electrolyte (`[eps E_w(left), -eps E_w(right)]`); it balances the diffuse charge
    /// next to it. `None` for other closures.
    pub surface_charge: Option<[f64; 2]>,
    /// Curved geometries: the radius of each node, m (`x` is then `r - r_inner`).
    pub radius: Option<Vec<f64>>,
    /// Total amount per species (mol/m^2 planar, mol/m cylindrical, mol spherical).
    pub amount: Vec<f64>,
}
