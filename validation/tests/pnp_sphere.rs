//! Potential step at a spherical electrode on a Delaunay (r, z) mesh (general-mesh PNP,
//! transient): the current follows Bard & Faulkner (Electrochemical Methods, 2nd ed.)
//! eq. 5.2.19, `I(t) = n F A D c (1/sqrt(pi D t) + 1/r0)`, with an error that is second
//! order in the edge length on the sphere.

use fluxion::laws::electrode::cottrell_spherical_current;
use fluxion::scenario::{self, AnyScenario};

const EXAMPLE: &str = include_str!("../../examples/cottrell_sphere_rz.toml");

/// `(time, computed / law - 1)` for every step at `t >= 1 ms` of the example with edges of
/// `h_surface` (um) on the sphere.
fn relative_errors(h_surface: f64) -> Vec<(f64, f64)> {
    assert!(
        EXAMPLE.contains("h_surface = \"0.4 um\""),
        "the example's h_surface changed"
    );
    let text = EXAMPLE.replace(
        "h_surface = \"0.4 um\"",
        &format!("h_surface = \"{h_surface} um\""),
    );
    let s = scenario::parse_any(&text, &|_| Err("no files".into())).unwrap();
    let AnyScenario::Pnp(p) = &s else {
        panic!("not a PNP scenario")
    };
    let r = scenario::run_any(&s, &mut ()).unwrap();
    let csv = r.files.iter().find(|f| f.name == "currents.csv").unwrap();
    let csv = String::from_utf8(csv.bytes.clone()).unwrap();
    let head: Vec<&str> = csv.lines().next().unwrap().split(',').collect();
    let col = head
        .iter()
        .position(|h| *h == "conduction_electrode_surface_A")
        .unwrap();
    let (r0, area) = (5e-6, 4.0 * std::f64::consts::PI * 25e-12);
    assert_eq!(p.problem.species[0].diffusivity, 1e-9);
    csv.lines()
        .skip(1)
        .map(|l| {
            l.split(',')
                .map(|x| x.parse::<f64>().unwrap())
                .collect::<Vec<_>>()
        })
        .filter(|row| row[0] >= 1e-3)
        .map(|row| {
            let law = area * cottrell_spherical_current(1.0, 1.0, 1e-9, row[0], r0).unwrap();
            (row[0], row[col] / law - 1.0)
        })
        .collect()
}

/// From 1 ms to 0.1 s (the Cottrell term from 2.8x to 0.28x the steady term) the current
/// is within 0.7 % of eq. 5.2.19 with 0.4 um edges and within 0.35 % with 0.28 um, and the
/// error at 0.1 s falls as h^2 (measured 0.604 % and 0.294 %, order 2.02; the largest error after 1 ms is the one at 0.1 s).
#[test]
fn spherical_potential_step_on_a_delaunay_rz_mesh_is_second_order() {
    let coarse = relative_errors(0.4);
    let fine = relative_errors(0.28);
    for (errs, tol) in [(&coarse, 7e-3), (&fine, 3.5e-3)] {
        assert!(errs.len() > 20, "{} steps after 1 ms", errs.len());
        for &(t, e) in errs.iter() {
            assert!(e.abs() < tol, "t = {t:e} s: relative error {e:e}");
        }
    }
    let (ec, ef) = (coarse.last().unwrap().1, fine.last().unwrap().1);
    let order = (ec / ef).ln() / (0.4f64 / 0.28).ln();
    assert!(order > 1.7 && order < 2.5, "order {order} ({ec:e}, {ef:e})");
}
