//! Electroneutral closure: liquid junctions, the iodide anode of seed 001, and limiting
//! currents with and without supporting electrolyte. Each case is a bundled example.

use fluxion::constants::thermal_voltage;
use fluxion::laws::electrochem as laws;
use fluxion::models::electrodiffusion::{Profiles, SpeciesBc};
use fluxion::scenario::{self, Mode, Scenario};
use fluxion_validation::rel;

fn load(text: &str) -> Scenario {
    scenario::parse(text).unwrap()
}

fn solve(s: &Scenario) -> Profiles {
    let Mode::Steady(opts) = &s.mode else {
        panic!("steady example expected")
    };
    let mut m = s.model().unwrap();
    m.solve_steady(opts, &mut ()).unwrap().profiles
}

fn drop(p: &Profiles) -> f64 {
    p.potential[p.potential.len() - 1] - p.potential[0]
}

/// Planck (1890) for one 1:1 salt between c_l and c_r (see e.g. Bard & Faulkner,
/// Electrochemical Methods, 2nd ed., eq. 2.3.39 with t+ - t- = (D+ - D-)/(D+ + D-)):
/// phi_r - phi_l = -((D+ - D-)/(D+ + D-)) (RT/F) ln(c_r / c_l).
#[test]
fn single_salt_junction_matches_planck() {
    let s = load(include_str!("../../examples/liquid_junction.toml"));
    let p = solve(&s);
    let (dp, dm) = (9.311e-9, 2.032e-9);
    let exact = -((dp - dm) / (dp + dm)) * thermal_voltage(298.15) * (10.0f64 / 100.0).ln();
    // The library law (`fluxion calc planck`) gives the same number.
    let law = laws::planck_single_salt(1.0, -1.0, dp, dm, 100.0, 10.0, 298.15).unwrap();
    assert!(rel(law, exact) < 1e-13);
    // 201 nodes: O(h^2) discretization error of about 2e-5.
    assert!(rel(drop(&p), exact) < 1e-4, "{} vs {exact}", drop(&p));
    assert!((exact - 0.03798).abs() < 1e-4);
    // Zero current, and the salt flux is the ambipolar Fick flux 2 D+ D- / (D+ + D-) dc/L.
    let j = p.boundary_flux[0][1];
    assert!((p.current_density[1] / (96485.0 * j)).abs() < 1e-9);
    let ds = 2.0 * dp * dm / (dp + dm);
    assert!(rel(j, ds * 90.0 / 1e-3) < 1e-4, "{j}");
}

/// Henderson (1907) and Planck agree for bi-ionic junctions of equal total concentration
/// (Lewis & Sargent 1909; MacInnes, The Principles of Electrochemistry, ch. 13):
/// phi_r - phi_l = -(RT/F) ln((D_K + D_Cl) / (D_Na + D_Cl)) for NaCl | KCl.
#[test]
fn biionic_junction_matches_henderson() {
    let s = load(include_str!("../../examples/biionic_junction.toml"));
    let p = solve(&s);
    let (dna, dk, dcl) = (1.334e-9, 1.957e-9, 2.032e-9);
    // Henderson's formula written out for the three ions.
    let (ca, cb) = ([100.0, 0.0, 100.0], [0.0, 100.0, 100.0]);
    let (z, d) = ([1.0, 1.0, -1.0], [dna, dk, dcl]);
    let num: f64 = (0..3).map(|i| z[i] * d[i] * (cb[i] - ca[i])).sum();
    let den: f64 = (0..3).map(|i| z[i] * z[i] * d[i] * (cb[i] - ca[i])).sum();
    let sa: f64 = (0..3).map(|i| z[i] * z[i] * d[i] * ca[i]).sum();
    let sb: f64 = (0..3).map(|i| z[i] * z[i] * d[i] * cb[i]).sum();
    let henderson = -thermal_voltage(298.15) * num / den * (sb / sa).ln();
    // The library law (`fluxion calc henderson`) for the same junction.
    let ions: Vec<_> = (0..3)
        .map(|i| laws::JunctionIon {
            z: z[i],
            d: d[i],
            c_left: ca[i],
            c_right: cb[i],
        })
        .collect();
    let law = laws::henderson_potential(&ions, 298.15).unwrap();
    assert!(rel(law, henderson) < 1e-12);
    let lewis_sargent = -thermal_voltage(298.15) * ((dk + dcl) / (dna + dcl)).ln();
    assert!(rel(henderson, lewis_sargent) < 1e-12);
    assert!(
        rel(drop(&p), henderson) < 1e-6,
        "{} vs {henderson}",
        drop(&p)
    );
}

/// Seed 001: iodide near a positive anode. Without support the counter-ion K+ is blocked
/// and Boltzmann-distributed, so c' = -c phi'/V_T and diffusion equals migration exactly:
/// J(I-) = -2 D (c_b - c_s)/L.
#[test]
fn iodide_diffusion_and_migration_point_at_the_anode() {
    let s = load(include_str!("../../examples/iodide_anode.toml"));
    let p = solve(&s);
    let (diff, mig) = (&p.flux[1].diffusive, &p.flux[1].migrative);
    for i in 0..p.x.len() {
        assert!(
            diff[i] < 0.0 && mig[i] < 0.0,
            "node {i}: {} {}",
            diff[i],
            mig[i]
        );
        // Equal up to the O(h^2) discretization error, largest at the anode wall, where the
        // split uses the second-order one-sided field: relative error
        // (2/3) (h (c_b - c_s) / (L c_s))^2 = 1.35e-3 for h = 0.5 um in each part, in
        // opposite directions (their sum, the half-cell flux, is exact): 2.7e-3 apart.
        let tol = if i == 0 || i == p.x.len() - 1 {
            3e-3
        } else {
            1e-3
        };
        assert!(
            rel(diff[i], mig[i]) < tol,
            "node {i}: {} {}",
            diff[i],
            mig[i]
        );
    }
    let exact = -2.0 * 2.045e-9 * (10.0 - 1.0) / 1e-4;
    assert!(
        rel(p.boundary_flux[1][0], exact) < 1e-4,
        "{}",
        p.boundary_flux[1][0]
    );
    // The anode side is positive.
    assert!(p.potential[0] > 0.0);
    assert!(rel(p.potential[0], thermal_voltage(298.15) * 10f64.ln()) < 1e-9);
}

/// Seed 002: with excess supporting electrolyte migration becomes negligible and the
/// minor ion obeys Fick's law.
#[test]
fn supported_iodide_is_diffusion_dominated() {
    let s = load(include_str!("../../examples/iodide_supported.toml"));
    let p = solve(&s);
    let i = p.x.len() / 2;
    let (diff, mig) = (p.flux[2].diffusive[i], p.flux[2].migrative[i]);
    assert!(diff < 0.0 && mig.abs() < 0.01 * diff.abs(), "{diff} {mig}");
    let fick = -2.045e-9 * (1.0 - 0.1) / 1e-4;
    assert!(rel(p.boundary_flux[2][0], fick) < 0.01);
}

/// Newman (Electrochemical Systems, 3rd ed., sec. 19.4; Newman 1966): for A+ X- with inert
/// B+ X-, electroneutrality and Boltzmann-distributed inert ions give
/// J_A = -2 D_A (c_X,bulk - c_X,s)/L with c_X,s - c_B c_X,bulk / c_X,s = c_A,s; at the
/// limiting current c_X,s = sqrt(c_B c_X,bulk), so the ratio to pure diffusion,
/// 2 (c_X - sqrt(c_B c_X)) / c_A, is 2 without support and falls to 1 with excess support.
#[test]
fn supporting_electrolyte_sweep_follows_newman() {
    let base = load(include_str!("../../examples/limiting_current.toml"));
    let (da, l, ca, cas) = (1.648e-9, 1e-4, 10.0, 1e-2);
    let mut last_ratio = f64::INFINITY;
    for &cb in &[0.0, 1.0, 10.0, 100.0, 1000.0] {
        let mut s = base.clone();
        // Add the inert cation B+ and raise X- to keep the bulk neutral.
        s.problem
            .species
            .push(fluxion::models::electrodiffusion::Species {
                name: "B+".into(),
                charge: 1.0,
                diffusivity: 1.957e-9,
            });
        let cx = ca + cb;
        s.problem.boundaries[0].species.push(SpeciesBc::Flux(0.0));
        s.problem.boundaries[1].species = vec![
            SpeciesBc::Concentration(ca),
            SpeciesBc::Concentration(cx),
            SpeciesBc::Concentration(cb),
        ];
        let p = solve(&s);
        let cxs = 0.5 * (cas + (cas * cas + 4.0 * cb * cx).sqrt());
        let exact = -2.0 * da * (cx - cxs) / l;
        let e = rel(p.boundary_flux[0][0], exact);
        assert!(
            e < 2e-4,
            "cb = {cb}: {} vs {exact} ({e})",
            p.boundary_flux[0][0]
        );
        let ratio = p.boundary_flux[0][0] / (-da * ca / l);
        let limit = 2.0 * (cx - (cb * cx).sqrt()) / ca;
        // The library law (`fluxion calc limiting-current ... c_B=`) gives the same limit.
        let (_, law) = fluxion::laws::electrode::limiting_current_supported(ca, cb, da, l).unwrap();
        assert!((law - limit).abs() < 1e-12);
        // The surface concentration is 1e-3 of the bulk, not zero: within 2e-3 of the limit.
        assert!(
            (ratio - limit).abs() < 3e-3,
            "cb = {cb}: {ratio} vs {limit}"
        );
        assert!(ratio < last_ratio);
        last_ratio = ratio;
        if cb == 0.0 {
            assert!((ratio - 2.0).abs() < 3e-3);
        }
    }
    assert!((last_ratio - 1.0).abs() < 0.01, "{last_ratio}");
}

/// Cross-diffusion (seed 002, uphill diffusion): for small differences across a layer the
/// steady electroneutral Nernst-Planck fluxes of H+ and Na+ in HCl + NaCl are
/// J_i = -sum_j D_ij dc_j/dx with the Nernst-Planck ternary matrix of the laws module
/// (Vinograd & McBain 1941; Cussler, Diffusion, sec. 7.4), evaluated at the mean composition.
/// With Na+ uniform, the HCl gradient alone drives Na+ towards the acid.
#[test]
fn engine_cross_diffusion_matches_the_ternary_matrix() {
    use fluxion::laws::diffusion::ternary_diffusion_matrix;
    use fluxion::models::electrodiffusion::{Closure, PotentialBc, SteadyOptions};
    use fluxion_validation::{conc, model, side, species, uniform};
    let (dh, dna, dcl, l) = (9.311e-9, 1.334e-9, 2.032e-9, 1e-4);
    for &(d1, d2) in &[(0.2, 0.0), (0.1, -0.3), (-0.05, 0.2)] {
        let (c1, c2) = (50.0, 100.0);
        let (l1, l2, r1, r2) = (c1 + d1 / 2.0, c2 + d2 / 2.0, c1 - d1 / 2.0, c2 - d2 / 2.0);
        let mut m = model(
            uniform(l, 101),
            vec![
                species("H+", 1.0, dh),
                species("Na+", 1.0, dna),
                species("Cl-", -1.0, dcl),
            ],
            Closure::Electroneutral,
            side(
                vec![conc(l1), conc(l2), conc(l1 + l2)],
                PotentialBc::Potential(0.0),
            ),
            side(
                vec![conc(r1), conc(r2), conc(r1 + r2)],
                PotentialBc::Current(0.0),
            ),
        );
        let p = m
            .solve_steady(&SteadyOptions::default(), &mut ())
            .unwrap()
            .profiles;
        let mat = ternary_diffusion_matrix([1.0, 1.0, -1.0], [dh, dna, dcl], c1, c2).unwrap();
        // dc/dx = (right - left) / L = -d / L.
        let (g1, g2) = (-d1 / l, -d2 / l);
        let j_h = -(mat[0][0] * g1 + mat[0][1] * g2);
        let j_na = -(mat[1][0] * g1 + mat[1][1] * g2);
        // Linearization error O((d/c)^2) plus O(h^2).
        let scale = j_h.abs().max(j_na.abs());
        assert!(
            (p.boundary_flux[0][1] - j_h).abs() < 2e-4 * scale,
            "{} vs {j_h}",
            p.boundary_flux[0][1]
        );
        assert!(
            (p.boundary_flux[1][1] - j_na).abs() < 2e-4 * scale,
            "{} vs {j_na}",
            p.boundary_flux[1][1]
        );
        if d2 == 0.0 {
            // Uniform Na+, yet it flows towards the acid (left): uphill transport.
            assert!(p.boundary_flux[1][1] < 0.0 && j_na < 0.0);
        }
    }
}
