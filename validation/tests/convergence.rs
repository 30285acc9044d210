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

/// The standard PNP cell of the peer comparison (`pnp_benchmark`: lambda = 0.01, 2 V_T):
/// the dimensionless cation flux `J+ = J L / (D c0)` is -0.9425517450 at 1e4 nodes and
/// -0.9425517464 at 1e5 with DEVSIM 2.11.2 on the same grids (README, `bench/peers`), so the
/// engine must give -0.94255174 to 1e-8 at 1e4 nodes, and refinement must move it by less
/// than that.
#[test]
fn p1_flux_matches_the_devsim_reference_to_1e_8() {
    use fluxion::models::electrodiffusion::{pnp_benchmark, Electrodiffusion};
    let jplus = |n: usize| {
        let p = pnp_benchmark(n, 0.01, 2.0);
        let l = p.grid.length();
        let d = p.species[0].diffusivity;
        let mut m = Electrodiffusion::new(p).unwrap();
        let sol = m.solve_steady(&SteadyOptions::default(), &mut ()).unwrap();
        // c0 = 10 mM = 10 mol/m^3.
        sol.profiles.boundary_flux[0][1] * l / (d * 10.0)
    };
    let j4 = jplus(10_000);
    assert!((j4 + 0.942_551_74).abs() < 1e-8, "J+ = {j4:.12}");
    let j5 = jplus(100_000);
    assert!(
        (j5 - j4).abs() < 1e-8,
        "J+ = {j4:.12} at 1e4, {j5:.12} at 1e5"
    );
}

/// Steady advection-diffusion of a neutral species, `v c' = D c''`, `c(0) = 1`, `c(L) = 0`:
/// `c(x) = (e^Pe - e^(Pe x/L)) / (e^Pe - 1)` (e.g. Patankar, Numerical Heat Transfer and
/// Fluid Flow, 1980, sec. 5.2). Scharfetter-Gummel (Patankar's exponential scheme) is exact
/// on any grid, upwind is first order and central differences second order.
fn advection_error(scheme: fluxion::discretize::Scheme, n: usize) -> f64 {
    use fluxion::models::electrodiffusion::{Electrodiffusion, Problem};
    let (l, d, pe) = (1e-6, 1e-9, 5.0);
    let v = pe * d / l;
    let mut m = Electrodiffusion::new(Problem {
        grid: uniform(l, n),
        species: vec![species("A", 0.0, d)],
        temperature: 298.15,
        permittivity: 78.5,
        closure: Closure::FixedField,
        boundaries: [
            side(vec![conc(1.0)], PotentialBc::Potential(0.0)),
            side(vec![conc(0.0)], PotentialBc::Potential(0.0)),
        ],
        velocity: v,
        scheme,
    })
    .unwrap();
    let p = m
        .solve_steady(&SteadyOptions::default(), &mut ())
        .unwrap()
        .profiles;
    p.x.iter()
        .zip(&p.concentration[0])
        .map(|(x, c)| {
            let exact = (pe.exp() - (pe * x / l).exp()) / (pe.exp() - 1.0);
            (c - exact).abs()
        })
        .fold(0.0, f64::max)
}

#[test]
fn upwind_is_first_order_central_second_order_and_sg_exact() {
    use fluxion::discretize::Scheme;
    let sizes = [41, 81, 161, 321];
    for (scheme, lo, hi) in [(Scheme::Upwind, 0.9, 1.15), (Scheme::Central, 1.9, 2.1)] {
        let errs: Vec<f64> = sizes.iter().map(|&n| advection_error(scheme, n)).collect();
        for w in errs.windows(2) {
            let order = (w[0] / w[1]).log2();
            assert!(
                (lo..hi).contains(&order),
                "{scheme:?}: errors {errs:?}, order {order}"
            );
        }
    }
    for n in sizes {
        let e = advection_error(Scheme::ScharfetterGummel, n);
        assert!(e < 1e-12, "SG at {n} nodes: {e}");
    }
}

/// Steady radial diffusion between two walls held at c1 and c2 (Crank, The Mathematics of
/// Diffusion, 2nd ed., eqs. 5.4 and 6.5): cylindrical `r J = D (c1 - c2) / ln(r2/r1)`,
/// spherical `r^2 J = D (c1 - c2) / (1/r1 - 1/r2)`, the same at both walls (conservation);
/// the box method converges at second order to them.
fn radial_error(geometry: fluxion::mesh::Geometry, n: usize) -> (f64, f64) {
    use fluxion::mesh::{Geometry, Grid, Spacing};
    use fluxion::models::electrodiffusion::{Electrodiffusion, Problem};
    let (r1, r2, d, c1, c2) = (1e-6, 5e-6, 1e-9, 2.0, 0.5);
    let mut m = Electrodiffusion::new(Problem {
        grid: Grid::new(geometry, r1, r2 - r1, n, Spacing::Uniform).unwrap(),
        species: vec![species("A", 0.0, d)],
        temperature: 298.15,
        permittivity: 78.5,
        closure: Closure::FixedField,
        boundaries: [
            side(vec![conc(c1)], PotentialBc::Potential(0.0)),
            side(vec![conc(c2)], PotentialBc::Potential(0.0)),
        ],
        velocity: 0.0,
        scheme: fluxion::discretize::Scheme::ScharfetterGummel,
    })
    .unwrap();
    let p = m
        .solve_steady(&SteadyOptions::default(), &mut ())
        .unwrap()
        .profiles;
    let (exact, pow) = match geometry {
        Geometry::Cylindrical => (d * (c1 - c2) / (r2 / r1).ln(), 1),
        Geometry::Spherical => (d * (c1 - c2) / (1.0 / r1 - 1.0 / r2), 2),
        Geometry::Planar => unreachable!(),
    };
    let left = p.boundary_flux[0][0] * r1.powi(pow);
    let right = p.boundary_flux[0][1] * r2.powi(pow);
    // Conservation: the same total flow through both walls (to round-off).
    let cons = (left - right).abs() / exact;
    (rel(left, exact), cons)
}

#[test]
fn steady_radial_diffusion_matches_the_log_and_inverse_laws() {
    use fluxion::mesh::Geometry;
    for g in [Geometry::Cylindrical, Geometry::Spherical] {
        let errs: Vec<f64> = [21, 41, 81, 161]
            .iter()
            .map(|&n| {
                let (e, cons) = radial_error(g, n);
                assert!(cons < 1e-10, "{g:?} at {n} nodes: walls differ by {cons}");
                e
            })
            .collect();
        assert!(errs[3] < 1e-3, "{g:?}: {errs:?}");
        for w in errs.windows(2) {
            let order = (w[0] / w[1]).log2();
            assert!(
                (1.8..2.3).contains(&order),
                "{g:?}: errors {errs:?}, order {order}"
            );
        }
    }
}
