//! Transient runs: Cottrell (planar and spherical) and conservation in a closed cell.

use fluxion::constants::FARADAY;
use fluxion::models::electrodiffusion::TransientSolution;
use fluxion::scenario::{self, Mode};

fn run(text: &str) -> TransientSolution {
    let s = scenario::parse(text).unwrap();
    let Mode::Transient(opts, init) = &s.mode else {
        panic!("transient example expected")
    };
    let mut m = s.model().unwrap();
    let x0 = m.state_from_concentrations(init);
    m.solve_transient(&x0, opts, &mut ()).unwrap()
}

/// Cottrell (1903); Bard & Faulkner, Electrochemical Methods, 2nd ed., eq. 5.2.11:
/// i(t) = n F c sqrt(D / (pi t)) for a planar electrode after a potential step to the
/// diffusion limit (here with the sign of a flux towards -x).
#[test]
fn planar_potential_step_follows_cottrell() {
    let sol = run(include_str!("../../examples/cottrell.toml"));
    let (d, c) = (1e-9, 1.0);
    let mut checked = 0;
    for (t, i) in sol.series.time.iter().zip(&sol.series.current_density[0]) {
        if *t >= 1e-3 {
            let exact = -FARADAY * c * (d / (std::f64::consts::PI * t)).sqrt();
            // The library law (`fluxion calc cottrell`).
            let law = fluxion::laws::electrode::cottrell_current(1.0, c, d, *t).unwrap();
            assert!((law + exact).abs() < 1e-12 * law);
            let e = (i - exact).abs() / exact.abs();
            assert!(e < 5e-3, "t = {t}: {i} vs {exact} ({e})");
            checked += 1;
        }
    }
    assert!(checked > 10);
    assert_eq!(sol.snapshots.len(), 4);
}

/// Spherical electrode of radius r0 (Bard & Faulkner eq. 5.2.20):
/// i(t) = n F D c (1/sqrt(pi D t) + 1/r0), tending to the steady n F D c / r0.
#[test]
fn spherical_potential_step_reaches_the_steady_limit() {
    let sol = run(include_str!("../../examples/cottrell_spherical.toml"));
    let (d, c, r0) = (1e-9, 1.0, 5e-6);
    for (t, i) in sol.series.time.iter().zip(&sol.series.current_density[0]) {
        if *t >= 1e-2 {
            let exact = -FARADAY * d * c * (1.0 / (std::f64::consts::PI * d * t).sqrt() + 1.0 / r0);
            let law = fluxion::laws::electrode::cottrell_spherical_current(1.0, c, d, *t, r0);
            assert!((law.unwrap() + exact).abs() < 1e-12 * exact.abs());
            let e = (i - exact).abs() / exact.abs();
            assert!(e < 5e-3, "t = {t}: {i} vs {exact} ({e})");
        }
    }
    let last = *sol.series.current_density[0].last().unwrap();
    let steady = -FARADAY * d * c / r0;
    assert!(
        (last - steady).abs() / steady.abs() < 0.015,
        "{last} vs {steady}"
    );
}

/// A closed cell conserves the amount of every species to round-off.
#[test]
fn closed_cell_conserves_mass_to_round_off() {
    let sol = run(include_str!("../../examples/closed_cell.toml"));
    for a in &sol.series.amount {
        let a0 = a[0];
        for v in a {
            assert!((v - a0).abs() <= 1e-12 * a0, "{v} vs {a0}");
        }
    }
    // It relaxed: the final profile is nearly uniform.
    let c = &sol.profiles.concentration[0];
    let mid = c[c.len() / 2];
    assert!((c[0] - mid).abs() < 0.05 * mid);
    assert!(sol.stats.steps > 5);
}
