//! Order of accuracy under grid refinement.
//!
//! The box method with Scharfetter-Gummel fluxes is second order in the node values. The
//! reference is the exact Gouy-Chapman profile (see double_layer.rs for the sources) and
//! Planck's exact liquid-junction potential (see electroneutral.rs).

use fluxion::constants::thermal_voltage;
use fluxion::models::electrodiffusion::{Closure, PotentialBc, SteadyOptions};
use fluxion_validation::*;

fn gouy_chapman_error(n: usize) -> f64 {
    let (c, phi0) = (100.0, 0.1);
    let ld = 0.961e-9;
    let mut m = model(
        uniform(20.0 * ld, n),
        vec![species("Na+", 1.0, 1.33e-9), species("Cl-", -1.0, 2.03e-9)],
        Closure::Poisson,
        side(vec![blocking(), blocking()], PotentialBc::Potential(phi0)),
        side(vec![conc(c), conc(c)], PotentialBc::Potential(0.0)),
    );
    let ld = m.debye_length(&[c, c]);
    let p = m
        .solve_steady(&SteadyOptions::default(), &mut ())
        .unwrap()
        .profiles;
    let vt = thermal_voltage(298.15);
    let g = (phi0 / (4.0 * vt)).tanh();
    p.x.iter()
        .zip(&p.potential)
        .map(|(x, phi)| {
            let e = g * (-x / ld).exp();
            let exact = 2.0 * vt * ((1.0 + e) / (1.0 - e)).ln();
            (phi - exact).abs()
        })
        .fold(0.0, f64::max)
}

#[test]
fn double_layer_potential_converges_at_second_order() {
    // From h = lD/8 down (coarser grids are pre-asymptotic).
    let errs: Vec<f64> = [161, 321, 641]
        .iter()
        .map(|&n| gouy_chapman_error(n))
        .collect();
    for w in errs.windows(2) {
        let order = (w[0] / w[1]).log2();
        assert!(
            (1.8..2.3).contains(&order),
            "errors {errs:?}, order {order}"
        );
    }
}

fn junction_error(n: usize) -> f64 {
    let (dp, dm) = (9.311e-9, 2.032e-9);
    let mut m = model(
        uniform(1e-3, n),
        vec![species("H+", 1.0, dp), species("Cl-", -1.0, dm)],
        Closure::Electroneutral,
        side(vec![conc(100.0), conc(100.0)], PotentialBc::Potential(0.0)),
        side(vec![conc(10.0), conc(10.0)], PotentialBc::Free),
    );
    let p = m
        .solve_steady(&SteadyOptions::default(), &mut ())
        .unwrap()
        .profiles;
    let exact = -((dp - dm) / (dp + dm)) * thermal_voltage(298.15) * 0.1f64.ln();
    (p.potential[n - 1] - exact).abs()
}

#[test]
fn junction_potential_converges_at_second_order() {
    let errs: Vec<f64> = [21, 41, 81, 161]
        .iter()
        .map(|&n| junction_error(n))
        .collect();
    for w in errs.windows(2) {
        let order = (w[0] / w[1]).log2();
        assert!(
            (1.8..2.3).contains(&order),
            "errors {errs:?}, order {order}"
        );
    }
}
