//! Gouy-Chapman double layer at a charged wall (Poisson closure, symmetric 1:1 electrolyte).
//!
//! Sources: Gouy (1910), Chapman (1913); Grahame (1947), Chem. Rev. 41, 441. Potential
//! `phi(x) = (2RT/F) ln[(1 + g e^{-x/lD}) / (1 - g e^{-x/lD})]`, `g = tanh(F phi0 / 4RT)`;
//! surface charge `sigma = sqrt(8 eps RT c) sinh(F phi0 / 2RT)`. Debye length
//! `lD = sqrt(eps RT / (2 F^2 c))`: 0.961 nm at 0.1 M and 9.61 nm at 1 mM in water at
//! 25 degC (Israelachvili, Intermolecular and Surface Forces, 3rd ed., eq. 14.36:
//! 0.304 nm / sqrt(c / M) for 1:1 salts).

use fluxion::constants::{thermal_voltage, VACUUM_PERMITTIVITY};
use fluxion::laws::electrochem as laws;
use fluxion::mesh::{Geometry, Grid, Spacing};
use fluxion::models::electrodiffusion::{Closure, PotentialBc, SteadyOptions};
use fluxion_validation::*;

const EPS_R: f64 = 78.5;

/// The textbook log form, written out here independently of the library.
fn gouy_chapman(x: f64, phi0: f64, ld: f64) -> f64 {
    let vt = thermal_voltage(298.15);
    let g = (phi0 / (4.0 * vt)).tanh();
    let e = g * (-x / ld).exp();
    2.0 * vt * ((1.0 + e) / (1.0 - e)).ln()
}

/// Grahame from the laws module (`fluxion calc grahame`).
fn grahame(phi0: f64, c: f64) -> f64 {
    laws::grahame_charge(phi0, c, 1.0, EPS_R, 298.15).unwrap()
}

/// The engine's profile also matches the library's Gouy-Chapman law (artanh form) and
/// Debye length, and the library's Grahame inverse recovers the wall potential.
#[test]
fn engine_matches_the_library_laws() {
    let phi0 = -0.12;
    let (p, ld) = solve(10.0, PotentialBc::Potential(phi0), 600);
    let ld_law = laws::debye_length(&[1.0, -1.0], &[10.0, 10.0], EPS_R, 298.15).unwrap();
    assert!(rel(ld, ld_law) < 1e-12);
    for (x, phi) in p.x.iter().zip(&p.potential) {
        let law = laws::gouy_chapman_potential(*x, phi0, 10.0, 1.0, EPS_R, 298.15).unwrap();
        assert!((law - gouy_chapman(*x, phi0, ld)).abs() < 1e-13);
        assert!(
            (phi - law).abs() < 1e-3 * phi0.abs(),
            "x = {x}: {phi} vs {law}"
        );
    }
    let sigma = EPS_R * VACUUM_PERMITTIVITY * p.boundary_field[0];
    let back = laws::grahame_potential(sigma, 10.0, 1.0, EPS_R, 298.15).unwrap();
    assert!(rel(back, phi0) < 1e-3, "{back}");
}

/// The grid of the Gouy-Chapman cases: 30 estimated Debye lengths, refined at the wall to
/// lambda_D / 200.
fn gc_grid(c: f64, n: usize) -> Grid {
    let ld_est = 0.304e-9 / (c / 1000.0).sqrt();
    Grid::new(
        Geometry::Planar,
        0.0,
        30.0 * ld_est,
        n,
        Spacing::Refined {
            left: true,
            right: false,
            min_spacing: ld_est / 200.0,
        },
    )
    .unwrap()
}

/// A NaCl layer at a blocking wall against a reservoir at 0 V.
fn gc_model(
    c: f64,
    wall: PotentialBc,
    n: usize,
) -> fluxion::models::electrodiffusion::Electrodiffusion {
    model(
        gc_grid(c, n),
        vec![species("Na+", 1.0, 1.33e-9), species("Cl-", -1.0, 2.03e-9)],
        Closure::Poisson,
        side(vec![blocking(), blocking()], wall),
        side(vec![conc(c), conc(c)], PotentialBc::Potential(0.0)),
    )
}

/// Solve a Gouy-Chapman layer and return the solution (with the capacitance).
fn solve_full(
    c: f64,
    wall: PotentialBc,
    n: usize,
) -> fluxion::models::electrodiffusion::SteadySolution {
    gc_model(c, wall, n)
        .solve_steady(&SteadyOptions::default(), &mut ())
        .unwrap()
}

/// The profiles and the engine's Debye length.
fn solve(
    c: f64,
    wall: PotentialBc,
    n: usize,
) -> (fluxion::models::electrodiffusion::Profiles, f64) {
    let ld = gc_model(c, wall, 3).debye_length(&[c, c]);
    (solve_full(c, wall, n).profiles, ld)
}

#[test]
fn debye_lengths_match_the_textbook() {
    for (c, expected) in [(100.0, 0.961e-9), (1.0, 9.61e-9)] {
        let (_, ld) = solve(c, PotentialBc::Potential(0.01), 50);
        assert!(rel(ld, expected) < 2e-3, "c = {c}: {ld}");
    }
}

#[test]
fn potential_profile_and_grahame_charge_at_a_fixed_wall_potential() {
    let eps = EPS_R * VACUUM_PERMITTIVITY;
    for &phi0 in &[0.025, 0.1, -0.15] {
        let (p, ld) = solve(100.0, PotentialBc::Potential(phi0), 600);
        let mut worst: f64 = 0.0;
        for (x, phi) in p.x.iter().zip(&p.potential) {
            let exact = gouy_chapman(*x, phi0, ld);
            worst = worst.max((phi - exact).abs() / phi0.abs());
        }
        assert!(worst < 1e-3, "phi0 = {phi0}: worst potential error {worst}");
        // Surface charge from Gauss's law at the wall vs Grahame.
        let sigma = eps * p.boundary_field[0];
        let e = rel(sigma, grahame(phi0, 100.0));
        assert!(e < 1e-3, "phi0 = {phi0}: Grahame error {e}");
        // No net flux through a blocking wall: the diffusion and migration balance.
        for k in 0..2 {
            assert!(p.boundary_flux[k][0].abs() < 1e-25);
        }
    }
}

#[test]
fn surface_charge_condition_reproduces_the_grahame_potential() {
    let phi0 = 0.08;
    let sigma = grahame(phi0, 10.0);
    let (p, _) = solve(10.0, PotentialBc::SurfaceCharge(sigma), 600);
    let e = rel(p.potential[0], phi0);
    assert!(e < 1e-3, "wall potential {} vs {phi0}", p.potential[0]);
}

/// Regression (issue #8): the wall value of `field_V_m` was a one-sided difference, so near
/// the point of zero charge in 10 mM (4001 refined nodes) the capacitance it implied was
/// 8e-4 below the one of the total diffuse charge. The wall field now comes from Gauss's law
/// on the boundary half cell: `eps E(0)` equals the total diffuse charge to round-off, and
/// the node value in the profile is that value.
#[test]
fn wall_field_is_the_gauss_law_value_of_the_diffuse_charge() {
    let eps = EPS_R * VACUUM_PERMITTIVITY;
    let sol = solve_full(10.0, PotentialBc::Potential(1e-3), 4001);
    let p = &sol.profiles;
    let grid = gc_grid(10.0, 4001);
    let diffuse: f64 = (0..p.x.len())
        .map(|i| p.charge_density[i] * grid.volume(i))
        .sum();
    let sigma = p.surface_charge.unwrap()[0];
    assert!(
        (sigma + diffuse).abs() < 1e-9 * sigma.abs(),
        "{sigma} vs {diffuse}"
    );
    assert_eq!(p.field[0], p.boundary_field[0]);
    assert_eq!(sigma, eps * p.field[0]);
    // Near the point of zero charge: C = eps / lambda_D (Debye-Hueckel), here via
    // sigma / psi, to the O(psi^2) of the linearization (cosh(psi / 2 V_T) - 1 ~ 5e-5).
    let ld = laws::debye_length(&[1.0, -1.0], &[10.0, 10.0], EPS_R, 298.15).unwrap();
    let e = rel(sigma / 1e-3, eps / ld);
    assert!(
        e < 1e-4,
        "sigma/psi = {} vs eps/lambda_D = {} ({e:.2e})",
        sigma / 1e-3,
        eps / ld
    );
}

/// The differential capacitance of the diffuse layer, `C_d = (eps / lambda_D) cosh(psi /
/// 2 V_T)` (Gouy-Chapman; Bard & Faulkner, Electrochemical Methods, 2nd ed., eq. 13.3.24),
/// reported in `summary.json` for double-layer runs; also with a surface-charge wall.
#[test]
fn differential_capacitance_follows_gouy_chapman() {
    let eps = EPS_R * VACUUM_PERMITTIVITY;
    let vt = thermal_voltage(298.15);
    let ld = laws::debye_length(&[1.0, -1.0], &[10.0, 10.0], EPS_R, 298.15).unwrap();
    for psi in [0.0, 0.05, -0.1] {
        let sol = solve_full(10.0, PotentialBc::Potential(psi), 2400);
        let c = sol.differential_capacitance[0].expect("a double-layer wall");
        let exact = eps / ld * (psi / (2.0 * vt)).cosh();
        assert!(rel(c, exact) < 2e-4, "psi = {psi}: {c} vs {exact}");
        assert!(
            sol.differential_capacitance[1].is_none(),
            "the reservoir is no wall"
        );
    }
    let sigma = grahame(0.05, 10.0);
    let sol = solve_full(10.0, PotentialBc::SurfaceCharge(sigma), 1200);
    let c = sol.differential_capacitance[0].unwrap();
    let exact = eps / ld * (0.05 / (2.0 * vt)).cosh();
    assert!(rel(c, exact) < 2e-4, "surface charge wall: {c} vs {exact}");
}
