//! Tests of the general Poisson-Nernst-Planck model.

use super::*;
use crate::constants::GAS_CONSTANT;
use crate::mesh::{uniform_nodes, Grid, TensorGrid};
use crate::models::electrodiffusion::{pnp_benchmark, Electrodiffusion, SteadyOptions};

fn salt(d: f64) -> Vec<Species> {
    vec![
        Species {
            name: "K+".into(),
            charge: 1.0,
            diffusivity: d,
        },
        Species {
            name: "Cl-".into(),
            charge: -1.0,
            diffusivity: d,
        },
    ]
}

fn water(m: usize) -> Medium {
    Medium {
        permittivity: 78.5,
        fixed_charge: 0.0,
        diffusivity_factor: vec![Some(1.0); m],
    }
}

fn reservoir(c: f64, v: f64) -> PatchConditions {
    PatchConditions {
        species: vec![SpeciesCondition::Concentration(c); 2],
        potential: PotentialCondition::Potential(v),
    }
}

/// The general model on the 1D mesh of a grid gives the 1D model's answer for the benchmark
/// cell (10 mM | 5 mM, 4 V_T across a cell of 10 Debye lengths): same equations, same
/// discretization, so the potentials and the current agree to solver tolerance.
#[test]
fn general_model_reproduces_the_1d_model() {
    let p1 = pnp_benchmark(201, 0.1, 4.0);
    let mut ed = Electrodiffusion::new(p1.clone()).unwrap();
    let s1 = ed.solve_steady(&SteadyOptions::default(), &mut ()).unwrap();
    let pc = |b: &crate::models::electrodiffusion::Boundary| {
        let c = match b.species[0] {
            crate::models::electrodiffusion::SpeciesBc::Concentration(c) => c,
            _ => unreachable!(),
        };
        let v = match b.potential {
            crate::models::electrodiffusion::PotentialBc::Potential(v) => v,
            _ => unreachable!(),
        };
        reservoir(c, v)
    };
    let prob = PnpProblem {
        mesh: Arc::new(Mesh::from_grid(&p1.grid)),
        species: p1.species.clone(),
        temperature: p1.temperature,
        media: vec![Medium {
            permittivity: p1.permittivity,
            ..water(2)
        }],
        patches: vec![pc(&p1.boundaries[0]), pc(&p1.boundaries[1])],
        scheme: Scheme::ScharfetterGummel,
        solver: SolverChoice::Auto,
    };
    let s2 = Pnp::new(prob).unwrap().solve_steady(&mut ()).unwrap();
    for (a, b) in s1.profiles.potential.iter().zip(&s2.potential) {
        assert!((a - b).abs() < 1e-9, "{a} vs {b}");
    }
    // Current along +x in 1D = outward current through the right patch (area 1).
    let i1 = s1.profiles.current_density[1];
    let i2 = s2.patches[1].current;
    assert!((i1 - i2).abs() < 1e-6 * i1.abs(), "{i1} vs {i2}");
    assert!((s2.patches[0].current + s2.patches[1].current).abs() < 1e-9 * i1.abs());
}

/// Ohmic conductance of an electrolyte cylinder in (r, z): with equal reservoirs the
/// solution is uniform and the current `I = kappa pi R^2 V / L`, `kappa = F^2/(RT) sum z^2 D c`
/// (Bard & Faulkner, Electrochemical Methods, eq. 2.3.5 and 4.3.x), exact for the discrete
/// scheme; current continuity between the two ends.
#[test]
fn ohmic_conductance_of_an_axisymmetric_channel() {
    let (rad, len, c, v, d) = (10e-9, 100e-9, 100.0, 0.01, 2e-9);
    let grid = TensorGrid::axisymmetric(&uniform_nodes(0.0, rad, 6), &uniform_nodes(0.0, len, 21))
        .unwrap();
    let mesh = Arc::new(grid.mesh().unwrap());
    let patches = mesh
        .patches()
        .iter()
        .map(|p| match p.name.as_str() {
            "zmin" => reservoir(c, 0.0),
            "zmax" => reservoir(c, v),
            _ => PatchConditions::wall(2),
        })
        .collect();
    let prob = PnpProblem {
        mesh,
        species: salt(d),
        temperature: 298.15,
        media: vec![water(2)],
        patches,
        scheme: Scheme::ScharfetterGummel,
        solver: SolverChoice::Auto,
    };
    let s = Pnp::new(prob).unwrap().solve_steady(&mut ()).unwrap();
    let kappa = FARADAY * FARADAY / (GAS_CONSTANT * 298.15) * 2.0 * d * c;
    let exact = kappa * std::f64::consts::PI * rad * rad * v / len;
    let find = |n: &str| s.patches.iter().find(|p| p.name == n).unwrap().current;
    // Positive current flows from high to low potential: out of the domain at zmin.
    let (i_in, i_out) = (find("zmax"), find("zmin"));
    assert!((i_out - exact).abs() < 1e-8 * exact, "{i_out} vs {exact}");
    assert!((i_in + i_out).abs() < 1e-10 * exact);
    let _ = Grid::new;
}
