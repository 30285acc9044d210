//! Tests of PNP transients and closures on general meshes.

use super::*;
use crate::constants::GAS_CONSTANT;
use crate::discretize::Scheme;
use crate::mesh::{uniform_nodes, Mesh, TensorGrid};
use crate::models::electrodiffusion::{
    pnp_benchmark, Electrodiffusion, PotentialBc, Species, SpeciesBc,
};
use crate::models::pnp::{
    Medium, PatchConditions, PnpProblem, PotentialCondition, SpeciesCondition,
};
use crate::solve::SolverChoice;
use std::sync::Arc;

fn water(m: usize, eps: f64) -> Medium {
    Medium {
        permittivity: eps,
        fixed_charge: 0.0,
        diffusivity_factor: vec![Some(1.0); m],
    }
}

fn side(b: &crate::models::electrodiffusion::Boundary) -> PatchConditions {
    PatchConditions {
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
            _ => PotentialCondition::Natural,
        },
    }
}

/// The 1D model's transient of the benchmark cell (10 mM | 5 mM, 4 V_T, from a uniform
/// 7.5 mM) and the general model's on the 1D mesh of the same grid and on the grid
/// extruded into a 3D bar: same equations, scheme, BDF and tolerances, so the fields and
/// the currents (conduction plus displacement) agree at the output times.
#[test]
fn transient_matches_the_1d_model_on_a_1d_mesh_and_a_3d_bar() {
    let p1 = pnp_benchmark(61, 0.1, 4.0);
    let mut ed = Electrodiffusion::new(p1.clone()).unwrap();
    let n = p1.grid.len();
    let init = vec![vec![7.5; n]; 2];
    let x0 = ed.state_from_concentrations(&init);
    let ts = ed.scales().time;
    let mut opts = TransientOptions::new(0.2 * ts);
    opts.output_times = vec![0.01 * ts, 0.05 * ts, 0.2 * ts];
    let s1 = ed.solve_transient(&x0, &opts, &mut ()).unwrap();
    let x = p1.grid.x().to_vec();
    let w = 0.3 * (x[n - 1] - x[0]);
    let meshes = [
        (Arc::new(Mesh::from_grid(&p1.grid)), 1.0, "1D mesh", 1e-7),
        (
            Arc::new(
                TensorGrid::cartesian_3d(&x, &uniform_nodes(0.0, w, 2), &uniform_nodes(0.0, w, 3))
                    .unwrap()
                    .mesh()
                    .unwrap(),
            ),
            w * w,
            "3D bar",
            1e-5,
        ),
    ];
    for (mesh, area, label, tol) in meshes {
        let names: Vec<String> = mesh.patches().iter().map(|p| p.name.clone()).collect();
        let patches = names
            .iter()
            .map(|p| match p.as_str() {
                "left" | "xmin" => side(&p1.boundaries[0]),
                "right" | "xmax" => side(&p1.boundaries[1]),
                _ => PatchConditions::wall(2),
            })
            .collect();
        let prob = PnpProblem {
            mesh: mesh.clone(),
            species: p1.species.clone(),
            temperature: p1.temperature,
            media: vec![water(2, p1.permittivity)],
            patches,
            scheme: Scheme::ScharfetterGummel,
            solver: SolverChoice::Auto,
            fixed_potential: None,
        };
        let mut pnp = Pnp::new(prob).unwrap();
        let init3 = vec![vec![7.5; mesh.nodes()]; 2];
        let s3 = pnp.solve_transient(&init3, &opts, &mut ()).unwrap();
        assert_eq!(s3.snapshots.len(), 3, "{label}");
        let right = names
            .iter()
            .position(|p| p == "right" || p == "xmax")
            .unwrap();
        let mut worst: f64 = 0.0;
        for ((t1, prof), snap) in s1.snapshots.iter().zip(&s3.snapshots) {
            assert!((t1 - snap.time).abs() < 1e-12 * t1);
            for i in 0..mesh.nodes() {
                let e = (prof.potential[i % n] - snap.potential[i]).abs()
                    / p1.boundaries[1].potential.value_or_zero();
                let c = (prof.concentration[0][i % n] - snap.concentration[0][i]).abs() / 10.0;
                worst = worst.max(e).max(c);
            }
            // Currents at the same time: the series records every step.
            let j1 = s1.series.time.iter().position(|t| t == t1).unwrap();
            let j3 = s3
                .series
                .time
                .iter()
                .position(|t| (t - t1).abs() <= 1e-12 * t1)
                .unwrap();
            let i1 = s1.series.current_density[1][j1] * area;
            let i3 = s3.series.conduction[j3][right] + s3.series.displacement[j3][right];
            assert!(
                (i1 - i3).abs() < 100.0 * tol * i1.abs(),
                "{label} t = {t1}: {i1} vs {i3}"
            );
        }
        eprintln!("{label}: worst relative field difference {worst:.2e}");
        assert!(worst < tol, "{label}: {worst}");
    }
}

trait OrZero {
    fn value_or_zero(&self) -> f64;
}
impl OrZero for PotentialBc {
    fn value_or_zero(&self) -> f64 {
        match *self {
            PotentialBc::Potential(v) => v,
            _ => 0.0,
        }
    }
}

/// Cottrell: the current to a planar electrode of area `A` after a potential step to the
/// diffusion limit, `I(t) = n F A c sqrt(D / (pi t))` (Bard & Faulkner, Electrochemical
/// Methods, 2nd ed., eq. 5.2.11), on an axisymmetric (r, z) cylinder whose bottom disk is
/// the electrode (c = 0) and whose walls are insulating, the cation in a fixed (zero) field.
/// The error at t = 1 s falls by about 4x per halving of the spacing (second order).
#[test]
fn cottrell_current_in_rz_converges_under_refinement() {
    let (rad, len, c, d) = (50e-6, 300e-6, 1.0, 1e-9);
    let species = vec![Species {
        name: "O+".into(),
        charge: 1.0,
        diffusivity: d,
    }];
    let mut errs = vec![];
    for nz in [31, 61, 121] {
        let grid =
            TensorGrid::axisymmetric(&uniform_nodes(0.0, rad, 3), &uniform_nodes(0.0, len, nz))
                .unwrap();
        let mesh = Arc::new(grid.mesh().unwrap());
        let patches = mesh
            .patches()
            .iter()
            .map(|p| match p.name.as_str() {
                "zmin" => PatchConditions {
                    species: vec![SpeciesCondition::Concentration(0.0)],
                    potential: PotentialCondition::Potential(0.0),
                },
                "zmax" => PatchConditions {
                    species: vec![SpeciesCondition::Flux(0.0)],
                    potential: PotentialCondition::Potential(0.0),
                },
                _ => PatchConditions::wall(1),
            })
            .collect();
        let prob = PnpProblem {
            mesh: mesh.clone(),
            species: species.clone(),
            temperature: 298.15,
            media: vec![water(1, 78.5)],
            patches,
            scheme: Scheme::ScharfetterGummel,
            solver: SolverChoice::Auto,
            fixed_potential: None,
        };
        let mut pnp = Pnp::with_closure(prob, Closure::FixedField).unwrap();
        let mut opts = TransientOptions::new(1.0);
        opts.rtol = 1e-6;
        opts.initial_step = 1e-7;
        let s = pnp
            .solve_transient(&[vec![c; mesh.nodes()]], &opts, &mut ())
            .unwrap();
        let zmin = mesh.patch_index("zmin").unwrap() as usize;
        let last = s.series.time.len() - 1;
        assert!((s.series.time[last] - 1.0).abs() < 1e-12);
        let i = s.series.conduction[last][zmin];
        let area = std::f64::consts::PI * rad * rad;
        let exact = FARADAY * area * c * (d / (std::f64::consts::PI * 1.0)).sqrt();
        errs.push(((i - exact) / exact).abs());
    }
    eprintln!("Cottrell relative errors {errs:?}");
    assert!(errs[2] < 2e-3, "{errs:?}");
    assert!(
        errs[1] / errs[2] > 3.0 && errs[0] / errs[1] > 3.0,
        "{errs:?}"
    );
}

/// A charging blocking electrode in (r, z) under Poisson (a 2 V_T step on the bottom disk,
/// a 10 mM reservoir at the top): at every step the outward currents (conduction plus
/// displacement) of all patches add up to zero (the total current is continuous), and the
/// conduction currents balance the rate of change of the charge in the domain,
/// `sum I_cond + dQ/dt = 0` (both exact for the scheme: the BDF weights sum to zero).
#[test]
fn charging_transient_conserves_charge_and_keeps_the_total_current_continuous() {
    let sp = |n: &str, z: f64| Species {
        name: n.into(),
        charge: z,
        diffusivity: 1e-9,
    };
    let grid = TensorGrid::axisymmetric(
        &uniform_nodes(0.0, 20e-9, 4),
        &uniform_nodes(0.0, 60e-9, 31),
    )
    .unwrap();
    let mesh = Arc::new(grid.mesh().unwrap());
    let vt = GAS_CONSTANT * 298.15 / FARADAY;
    let patches = mesh
        .patches()
        .iter()
        .map(|p| match p.name.as_str() {
            "zmin" => PatchConditions {
                species: vec![SpeciesCondition::Flux(0.0); 2],
                potential: PotentialCondition::Potential(2.0 * vt),
            },
            "zmax" => PatchConditions {
                species: vec![SpeciesCondition::Concentration(10.0); 2],
                potential: PotentialCondition::Potential(0.0),
            },
            _ => PatchConditions::wall(2),
        })
        .collect();
    let prob = PnpProblem {
        mesh: mesh.clone(),
        species: vec![sp("K+", 1.0), sp("Cl-", -1.0)],
        temperature: 298.15,
        media: vec![water(2, 78.5)],
        patches,
        scheme: Scheme::ScharfetterGummel,
        solver: SolverChoice::Auto,
        fixed_potential: None,
    };
    let mut pnp = Pnp::new(prob).unwrap();
    let t_end = 2e-6;
    let opts = TransientOptions::new(t_end);
    let s = pnp
        .solve_transient(&vec![vec![10.0; mesh.nodes()]; 2], &opts, &mut ())
        .unwrap();
    let zmin = mesh.patch_index("zmin").unwrap() as usize;
    let peak = s
        .series
        .displacement
        .iter()
        .map(|d| d[zmin].abs())
        .fold(0.0, f64::max);
    assert!(peak > 0.0);
    for j in 1..s.series.time.len() {
        let total: f64 = (0..mesh.patches().len())
            .map(|p| s.series.conduction[j][p] + s.series.displacement[j][p])
            .sum();
        assert!(
            total.abs() < 1e-6 * peak,
            "step {j}: total {total} vs {peak}"
        );
        let cond: f64 = s.series.conduction[j].iter().sum();
        let bal = cond + s.series.charge_rate[j];
        assert!(
            bal.abs() < 1e-6 * peak,
            "step {j}: {cond} + {}",
            s.series.charge_rate[j]
        );
        // Nothing but displacement crosses the blocking electrode.
        assert!(s.series.conduction[j][zmin].abs() < 1e-9 * peak);
    }
    // The double layer charges: the domain holds a net negative charge at the end.
    assert!(*s.series.charge.last().unwrap() < 0.0);
}

/// A liquid junction NaCl 0.1 M | 0.01 M on a 2D mesh under the electroneutral closure at
/// zero current: the diffusion potential is Planck's/Henderson's for a binary salt,
/// `phi_R - phi_L = -(D+ - D-)/(D+ + D-) (RT/F) ln(c_R / c_L)` (Bard & Faulkner eq. 2.3.39),
/// exact for the Scharfetter-Gummel scheme; the same as the 1D model's electroneutral
/// solution.
#[test]
fn liquid_junction_on_a_2d_mesh_gives_the_henderson_potential() {
    let (dp, dm) = (1.334e-9, 2.032e-9);
    let species = vec![
        Species {
            name: "Na+".into(),
            charge: 1.0,
            diffusivity: dp,
        },
        Species {
            name: "Cl-".into(),
            charge: -1.0,
            diffusivity: dm,
        },
    ];
    let len = 1e-4;
    let grid = TensorGrid::cartesian_2d(&uniform_nodes(0.0, len, 41), &uniform_nodes(0.0, 2e-5, 4))
        .unwrap();
    let mesh = Arc::new(grid.mesh().unwrap());
    let patches = mesh
        .patches()
        .iter()
        .map(|p| match p.name.as_str() {
            "xmin" => PatchConditions {
                species: vec![SpeciesCondition::Concentration(100.0); 2],
                potential: PotentialCondition::Potential(0.0),
            },
            "xmax" => PatchConditions {
                species: vec![SpeciesCondition::Concentration(10.0); 2],
                potential: PotentialCondition::Natural,
            },
            _ => PatchConditions::wall(2),
        })
        .collect();
    let species1 = species.clone();
    let prob = PnpProblem {
        mesh: mesh.clone(),
        species,
        temperature: 298.15,
        media: vec![water(2, 78.5)],
        patches,
        scheme: Scheme::ScharfetterGummel,
        solver: SolverChoice::Auto,
        fixed_potential: None,
    };
    let s = Pnp::with_closure(prob, Closure::Electroneutral)
        .unwrap()
        .solve_steady(&mut ())
        .unwrap();
    let vt = GAS_CONSTANT * 298.15 / FARADAY;
    let exact = -(dp - dm) / (dp + dm) * vt * (10.0f64 / 100.0).ln();
    let right = mesh.nodes() - 1;
    let e = s.potential[right];
    // Second-order discretization error of the ln c profile on 40 intervals.
    assert!((e - exact).abs() < 2e-3 * exact.abs(), "{e} vs {exact}");
    // The 1D model with the same grid and closure: the same discrete solution.
    let mut p1 = pnp_benchmark(41, 0.1, 0.0);
    p1.grid = crate::mesh::Grid::new(
        crate::mesh::Geometry::Planar,
        0.0,
        len,
        41,
        crate::mesh::Spacing::Uniform,
    )
    .unwrap();
    p1.species = species1;
    p1.closure = Closure::Electroneutral;
    p1.boundaries[0].species = vec![SpeciesBc::Concentration(100.0); 2];
    p1.boundaries[1].species = vec![SpeciesBc::Concentration(10.0); 2];
    p1.boundaries[0].potential = PotentialBc::Potential(0.0);
    p1.boundaries[1].potential = PotentialBc::Free;
    let s1 = Electrodiffusion::new(p1)
        .unwrap()
        .solve_steady(
            &crate::models::electrodiffusion::SteadyOptions::default(),
            &mut (),
        )
        .unwrap();
    for i in 0..mesh.nodes() {
        let a = s1.profiles.potential[i % 41];
        assert!(
            (a - s.potential[i]).abs() < 1e-9 * exact.abs(),
            "node {i}: {a} vs {}",
            s.potential[i]
        );
    }
    for p in &s.patches {
        assert!(p.current.abs() < 1e-9, "{}: {}", p.name, p.current);
    }
    for i in 0..mesh.nodes() {
        let q = s.concentration[0][i] - s.concentration[1][i];
        assert!(q.abs() < 1e-9, "node {i}: {q}");
    }
}

/// Goldman-Hodgkin-Katz: in a constant field the flux of each species through a membrane of
/// thickness `L` at potential `V = phi_R - phi_L` is
/// `J = (D/L) u (c_L - c_R e^u) / (e^u - 1)`, `u = z F V / RT` (Goldman, J. Gen. Physiol.
/// 27, 37 (1943); Hodgkin & Katz, J. Physiol. 108, 37 (1949)), and the current
/// `I = F A sum_k z_k J_k`. The fixed-field closure (the Laplace solution, linear in a 3D
/// bar) with the Scharfetter-Gummel scheme (exact for a constant field) gives it to round-off.
#[test]
fn ghk_current_through_a_3d_bar_in_a_fixed_field() {
    let (len, w, v) = (5e-9, 2e-9, 0.05);
    let species = vec![
        Species {
            name: "K+".into(),
            charge: 1.0,
            diffusivity: 1.9e-9,
        },
        Species {
            name: "Cl-".into(),
            charge: -1.0,
            diffusivity: 2.0e-9,
        },
    ];
    let (cl, cr) = ([100.0, 20.0], [10.0, 5.0]);
    let grid = TensorGrid::cartesian_3d(
        &uniform_nodes(0.0, len, 21),
        &uniform_nodes(0.0, w, 3),
        &uniform_nodes(0.0, w, 3),
    )
    .unwrap();
    let mesh = Arc::new(grid.mesh().unwrap());
    let patches = mesh
        .patches()
        .iter()
        .map(|p| match p.name.as_str() {
            "xmin" => PatchConditions {
                species: cl
                    .iter()
                    .map(|&c| SpeciesCondition::Concentration(c))
                    .collect(),
                potential: PotentialCondition::Potential(0.0),
            },
            "xmax" => PatchConditions {
                species: cr
                    .iter()
                    .map(|&c| SpeciesCondition::Concentration(c))
                    .collect(),
                potential: PotentialCondition::Potential(v),
            },
            _ => PatchConditions::wall(2),
        })
        .collect();
    let prob = PnpProblem {
        mesh: mesh.clone(),
        species: species.clone(),
        temperature: 298.15,
        media: vec![water(2, 78.5)],
        patches,
        scheme: Scheme::ScharfetterGummel,
        solver: SolverChoice::Auto,
        fixed_potential: None,
    };
    let s = Pnp::with_closure(prob, Closure::FixedField)
        .unwrap()
        .solve_steady(&mut ())
        .unwrap();
    let vt = GAS_CONSTANT * 298.15 / FARADAY;
    let xmax = mesh.patch_index("xmax").unwrap() as usize;
    let mut current = 0.0;
    for (k, sp) in species.iter().enumerate() {
        let u = sp.charge * v / vt;
        let j = sp.diffusivity / len * u * (cl[k] - cr[k] * u.exp()) / (u.exp() - 1.0);
        let flow = s.patches[xmax].species[k];
        assert!(
            (flow - j * w * w).abs() < 1e-9 * (j * w * w).abs(),
            "{}: {flow} vs {}",
            sp.name,
            j * w * w
        );
        current += FARADAY * sp.charge * j * w * w;
    }
    assert!((s.patches[xmax].current - current).abs() < 1e-9 * current.abs());
}
