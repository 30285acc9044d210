//! Steady flux through a membrane with a constant field (seed 002, the GHK flux equation).
//!
//! Source: the closed form of seed 002 ("steady state through a membrane of thickness L
//! with field E and fixed boundary concentrations"), identical to the Goldman-Hodgkin-Katz
//! flux equation (Goldman 1943; Hodgkin & Katz 1949):
//! `J = (D/L) u (c_0 - c_L e^{-u}) / (1 - e^{-u})`, `u = z F (phi_0 - phi_L)/(RT)`.

use fluxion::constants::thermal_voltage;
use fluxion::mesh::{Geometry, Grid, Spacing};
use fluxion::models::electrodiffusion::{Closure, PotentialBc, SteadyOptions};
use fluxion_validation::*;

/// The closed form from the laws module (`fluxion calc constant-field`), so the engine and
/// the calculator are checked against each other.
fn ghk_flux(d: f64, l: f64, z: f64, dphi_left_minus_right: f64, c0: f64, cl: f64) -> f64 {
    fluxion::laws::electrochem::constant_field_flux(d, l, z, c0, cl, dphi_left_minus_right, 298.15)
        .unwrap()
}

/// The same closed form written out independently (textbook exponential form), to check
/// the library law itself.
#[test]
fn library_law_matches_the_textbook_form() {
    for &(z, v) in &[(1.0, 0.1), (-1.0, 0.03), (2.0, -0.07)] {
        let u: f64 = z * v / thermal_voltage(298.15);
        let text = (1e-9 / 1e-6) * u * (100.0 - 10.0 * (-u).exp()) / (1.0 - (-u).exp());
        assert!(rel(ghk_flux(1e-9, 1e-6, z, v, 100.0, 10.0), text) < 1e-12);
    }
}

#[test]
fn constant_field_flux_is_exact_to_round_off_on_any_grid() {
    let l = 5e-9;
    let d = 1.33e-9;
    for &z in &[1.0, -1.0, 2.0] {
        for &v in &[-0.2, -0.025, 0.0, 0.01, 0.15] {
            for (n, spacing) in [
                (3, Spacing::Uniform),
                (17, Spacing::Uniform),
                (
                    60,
                    Spacing::Refined {
                        left: true,
                        right: true,
                        min_spacing: 1e-11,
                    },
                ),
            ] {
                let grid = Grid::new(Geometry::Planar, 0.0, l, n, spacing).unwrap();
                let mut m = model(
                    grid,
                    vec![species("X", z, d)],
                    Closure::FixedField,
                    side(vec![conc(100.0)], PotentialBc::Potential(v)),
                    side(vec![conc(10.0)], PotentialBc::Potential(0.0)),
                );
                let sol = m.solve_steady(&SteadyOptions::default(), &mut ()).unwrap();
                let exact = ghk_flux(d, l, z, v, 100.0, 10.0);
                let p = &sol.profiles;
                for side in 0..2 {
                    let e = rel(p.boundary_flux[0][side], exact);
                    assert!(e < 1e-12, "z={z} v={v} n={n}: rel err {e}");
                }
                // The interval fluxes are all equal (steady, planar).
                for &j in &p.flux[0].total {
                    assert!(rel(j, exact) < 1e-12);
                }
            }
        }
    }
}

/// Steady convection-diffusion of a neutral solute with velocity v between fixed
/// concentrations (the Peclet problem; e.g. Patankar, Numerical Heat Transfer and Fluid
/// Flow, 1980, sec. 5.2): J = v (c_0 - c_L e^{-Pe}) / (1 - e^{-Pe}), Pe = v L / D.
/// Exponential fitting makes it exact on any grid.
#[test]
fn advection_diffusion_flux_is_exact() {
    use fluxion::models::electrodiffusion::{Electrodiffusion, Problem};
    let (l, d) = (1e-5, 1e-9);
    for &v in &[-1e-3, -2e-4, 1e-6, 3e-4] {
        let mut m = Electrodiffusion::new(Problem {
            velocity: v,
            ..model(
                uniform(l, 13),
                vec![species("urea", 0.0, d)],
                Closure::FixedField,
                side(vec![conc(5.0)], PotentialBc::Potential(0.0)),
                side(vec![conc(1.0)], PotentialBc::Potential(0.0)),
            )
            .problem()
            .clone()
        })
        .unwrap();
        let p = m
            .solve_steady(&SteadyOptions::default(), &mut ())
            .unwrap()
            .profiles;
        let pe = v * l / d;
        let exact = v * (5.0 - 1.0 * (-pe).exp()) / (-(-pe).exp_m1());
        assert!(rel(p.boundary_flux[0][1], exact) < 1e-12, "v = {v}");
        // The split: advective + diffusive = total, no migration for a neutral solute.
        let f = &p.flux[0];
        for i in 0..13 {
            assert_eq!(f.migrative[i], 0.0);
            assert!(rel(f.advective[i] + f.diffusive[i], f.total[i]) < 1e-10);
        }
    }
}
