//! Robustness: steady PNP cells that FiPy and DEVSIM struggle with converge with defaults.
//!
//! Reference behaviour of the peers on this problem (shared/peers/README.md): FiPy 4.0.3
//! diverges at 100 cells for lambda = 0.01, V = 2 V_T.

use fluxion::models::electrodiffusion::{pnp_benchmark, Electrodiffusion, SteadyOptions};

fn check_conservation(sol: &fluxion::models::electrodiffusion::SteadySolution) {
    // Steady planar: every interval carries the same flux.
    for f in &sol.profiles.flux {
        let j0 = f.total[0];
        let scale = f.total.iter().fold(0.0f64, |m, v| m.max(v.abs()));
        for j in &f.total {
            assert!(
                (j - j0).abs() <= 1e-8 * scale,
                "flux not constant: {j} vs {j0}"
            );
        }
    }
}

#[test]
fn thin_debye_layer_and_40_thermal_voltages_converge_with_defaults() {
    let mut m = Electrodiffusion::new(pnp_benchmark(2001, 1e-3, 40.0)).unwrap();
    let sol = m.solve_steady(&SteadyOptions::default(), &mut ()).unwrap();
    assert!(sol.stats.update_norm <= 1.0);
    check_conservation(&sol);
    // The applied potential is there.
    let vt = fluxion::constants::thermal_voltage(298.15);
    let phi = &sol.profiles.potential;
    assert!((phi[phi.len() - 1] - 40.0 * vt).abs() < 1e-12);
    println!("{:?}", sol.stats);
}

#[test]
fn the_fipy_benchmark_converges_at_100_cells() {
    let mut m = Electrodiffusion::new(pnp_benchmark(101, 0.01, 2.0)).unwrap();
    let sol = m.solve_steady(&SteadyOptions::default(), &mut ()).unwrap();
    check_conservation(&sol);
    assert!(!sol.stats.continuation, "{:?}", sol.stats);
}

#[test]
fn blocking_wall_at_40_thermal_voltages_with_a_thin_debye_layer_converges() {
    use fluxion::models::electrodiffusion::{PotentialBc, SpeciesBc};
    // Same cell, but the left wall blocks both ions: a double layer of 1e-3 L at 1 V.
    let mut p = pnp_benchmark(2001, 1e-3, 0.0);
    p.boundaries[0].species = vec![SpeciesBc::Flux(0.0), SpeciesBc::Flux(0.0)];
    let vt = fluxion::constants::thermal_voltage(298.15);
    p.boundaries[0].potential = PotentialBc::Potential(40.0 * vt);
    let mut m = Electrodiffusion::new(p).unwrap();
    let sol = m.solve_steady(&SteadyOptions::default(), &mut ()).unwrap();
    println!("{:?}", sol.stats);
    // Equilibrium: Boltzmann distribution c = c_bulk exp(-z phi / V_T) at the wall.
    let pr = &sol.profiles;
    let c_anion = pr.concentration[1][0];
    let expected = 5.0 * (40.0f64).exp();
    assert!(
        (c_anion - expected).abs() / expected < 1e-6,
        "{c_anion} vs {expected}"
    );
    assert!(pr.boundary_flux[0][1].abs() < 1e-20);
}

/// Continuation alone (forced) reaches the same solution as the direct solve.
#[test]
fn forced_continuation_agrees_with_the_direct_solve() {
    let opts = SteadyOptions {
        force_continuation: true,
        ..Default::default()
    };
    let mut m = Electrodiffusion::new(pnp_benchmark(801, 1e-3, 40.0)).unwrap();
    let cont = m.solve_steady(&opts, &mut ()).unwrap();
    assert!(cont.stats.continuation && cont.stats.continuation_steps >= 2);
    let mut m = Electrodiffusion::new(pnp_benchmark(801, 1e-3, 40.0)).unwrap();
    let direct = m.solve_steady(&SteadyOptions::default(), &mut ()).unwrap();
    let (a, b) = (
        cont.profiles.boundary_flux[0][1],
        direct.profiles.boundary_flux[0][1],
    );
    assert!((a - b).abs() < 1e-9 * b.abs(), "{a} vs {b}");
}
