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

/// Regression (issue #8): the first steps of the bundled Cottrell step gave a current of the
/// wrong sign (+8.1e3 A/m^2 at 1.15 ns), from an initial state inconsistent with the fixed
/// boundary concentration and a displacement current that the electroneutral closure does
/// not have. The reduction current must be negative and decay monotonically from the first
/// step on (Cottrell's `t^-1/2`), and, with electroneutrality, equal at both walls.
#[test]
fn cottrell_first_steps_have_the_sign_of_the_reduction_current() {
    let sol = run(include_str!("../../examples/cottrell.toml"));
    let s = &sol.series;
    let mut last = f64::INFINITY;
    for (idx, t) in s.time.iter().enumerate().skip(1) {
        let (l, r) = (s.current_density[0][idx], s.current_density[1][idx]);
        assert!(l < 0.0, "t = {t:e}: i = {l:e} A/m^2 has the wrong sign");
        assert!(
            l.abs() <= last * (1.0 + 1e-9),
            "t = {t:e}: |i| grew to {l:e}"
        );
        last = l.abs();
        // The electroneutral potential is an index-2 variable solved to 1e-6 V_T.
        assert!(
            (l - r).abs() <= 1e-5 * l.abs(),
            "t = {t:e}: left {l:e}, right {r:e}"
        );
    }
}

/// Regression (issue #8): under the electroneutral closure a displacement current
/// `eps dE/dt` was added to both boundary currents, 0.2-0.3% wrong at 1 ms in an unsupported
/// binary-salt step, and the left and right currents disagreed.
///
/// Reference: deposition of Ag+ from 10 mM AgNO3 (no supporting electrolyte), the wall
/// concentration stepped to 1 mM. The salt diffuses with `D_s = 2 D+ D- / (D+ + D-)` and the
/// current is `i = -F (c_b - c_w) sqrt(D_s / (pi t)) / (1 - t+)`, `t+ = D+ / (D+ + D-)`
/// (Newman & Thomas-Alyea, Electrochemical Systems, 3rd ed., sec. 11.3, with the Cottrell
/// solution for the salt concentration).
#[test]
fn electroneutral_binary_salt_step_has_no_displacement_current() {
    let text = r#"
mode = "transient"
closure = "electroneutral"
temperature = 298.15
[domain]
length = "0.5 mm"
nodes = 400
grid = "refined"
refine = "left"
min_spacing = "1 nm"
[[species]]
name = "Ag+"
charge = 1
diffusivity = "1.648e-9 m^2/s"
initial = "10 mM"
[[species]]
name = "NO3-"
charge = -1
diffusivity = "1.902e-9 m^2/s"
initial = "10 mM"
[left]
concentration = { "Ag+" = "1 mM" }
[right]
potential = "0 V"
concentration = { "Ag+" = "10 mM", "NO3-" = "10 mM" }
[transient]
end_time = "20 ms"
initial_step = "1 ns"
rtol = 1e-6
"#;
    let sol = run(text);
    let (dp, dm, c) = (1.648e-9, 1.902e-9, 10.0 - 1.0);
    let ds = 2.0 * dp * dm / (dp + dm);
    let tp = dp / (dp + dm);
    let s = &sol.series;
    let mut checked = 0;
    for (idx, t) in s.time.iter().enumerate().skip(1) {
        let (l, r) = (s.current_density[0][idx], s.current_density[1][idx]);
        assert!(
            (l - r).abs() <= 1e-6 * l.abs(),
            "t = {t:e}: left {l:e}, right {r:e}"
        );
        if *t >= 1e-3 {
            let exact = -FARADAY * c * (ds / (std::f64::consts::PI * t)).sqrt() / (1.0 - tp);
            let e = (l - exact).abs() / exact.abs();
            assert!(e < 1e-3, "t = {t:e}: {l:e} vs {exact:e} ({e:.2e})");
            checked += 1;
        }
    }
    assert!(checked > 5, "{checked}");
}

/// Under the Poisson closure the total current (conduction plus displacement `eps dE/dt`)
/// is divergence-free, so in a planar cell it is the same at both walls at every step, and
/// its time integral at an ideally polarizable (blocking) electrode is the charge that the
/// double layer acquired (Gauss's law at the wall).
#[test]
fn poisson_transient_total_current_is_continuous_and_charges_the_double_layer() {
    use fluxion::constants::VACUUM_PERMITTIVITY;
    let text = r#"
mode = "transient"
closure = "poisson"
temperature = 298.15
[domain]
length = "200 nm"
nodes = 401
grid = "refined"
refine = "both"
min_spacing = "0.02 nm"
[[species]]
name = "p"
charge = 1
diffusivity = "1e-9 m^2/s"
initial = "10 mM"
[[species]]
name = "n"
charge = -1
diffusivity = "1e-9 m^2/s"
initial = "10 mM"
[left]
potential = "25 mV"
[right]
potential = "0 V"
[transient]
end_time = "2 us"
output_times = ["0 s", "2 us"]
initial_step = "1 ps"
rtol = 1e-6
"#;
    let sol = run(text);
    let s = &sol.series;
    let mut charge = 0.0;
    for idx in 1..s.time.len() {
        let (l, r) = (s.current_density[0][idx], s.current_density[1][idx]);
        let scale = l.abs().max(r.abs());
        assert!(
            (l - r).abs() <= 1e-6 * scale,
            "t = {:e}: left {l:e}, right {r:e}",
            s.time[idx]
        );
        // Trapezoidal rule on the total current through the left wall.
        let dt = s.time[idx] - s.time[idx - 1];
        charge += 0.5 * dt * (s.current_density[0][idx] + s.current_density[0][idx - 1]);
    }
    // Wall charge sigma = eps E(0) (field pointing into the electrolyte), which the current
    // through the left wall (along +x) has brought: int i dt = sigma.
    // The initial state already carries the vacuum-capacitor charge eps V / L.
    let eps = 78.5 * VACUUM_PERMITTIVITY;
    let sigma0 = eps * sol.snapshots[0].1.boundary_field[0];
    assert!(
        (sigma0 - eps * 0.025 / 200e-9).abs() < 1e-9 * sigma0,
        "{sigma0}"
    );
    let sigma = eps * sol.profiles.boundary_field[0] - sigma0;
    assert!(sigma > 0.0);
    let e = (charge - sigma).abs() / sigma;
    assert!(
        e < 2e-3,
        "int i dt = {charge:e} C/m^2, sigma = {sigma:e} C/m^2 ({e:.2e})"
    );
}
