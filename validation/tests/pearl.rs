//! The thin-film (Pearl) vortex interaction and its periodic Ewald sum: the isolated pair
//! against the closed form of Pearl (1964), the periodic force against a converged direct sum
//! over many images, a force-free uniform lattice, the stated error estimates, and the
//! automatic choice between London and Pearl from d / lambda.

use fluxion::models::vortex::pearl::default_cutoff;
use fluxion::models::vortex::{
    pearl_force, triangular_lattice, Interaction, PearlEwald, VortexSystem, PEARL_THRESHOLD,
};
use fluxion::scenario::{self, AnyScenario};

fn no_files(_: &str) -> Result<String, String> {
    Err("no files in this test".into())
}

/// A periodic system with the Ewald-split Pearl interaction (short-range table + reciprocal
/// sum), `kappa = d / (2 lambda)`, in lambda and f0.
fn pearl_system(
    pos: Vec<[f64; 2]>,
    lx: f64,
    ly: f64,
    kappa: f64,
    cutoff: f64,
    accuracy: f64,
) -> VortexSystem {
    let ew = PearlEwald::new(kappa, lx, ly, pos.len(), cutoff - 1.0, accuracy).unwrap();
    let pair = ew.short_range(cutoff, cutoff - 1.0, 0.02).unwrap();
    let mut s = VortexSystem::new(pos, lx, ly, Some(pair), None, 0.01, 1).unwrap();
    s.set_long_range(Some(ew)).unwrap();
    s
}

/// Forces in the caller's vortex order (the system sorts vortices by cell internally).
fn forces_in_order(s: &mut VortexSystem, pos: &[[f64; 2]]) -> Vec<[f64; 2]> {
    let inner = s.positions();
    let f = s.evaluate_forces([0.0, 0.0]).to_vec();
    let (lx, ly) = s.size();
    pos.iter()
        .map(|p| {
            let q = [p[0].rem_euclid(lx), p[1].rem_euclid(ly)];
            let k = inner
                .iter()
                .position(|r| (r[0] - q[0]).abs() < 1e-12 && (r[1] - q[1]).abs() < 1e-12)
                .expect("vortex not found");
            f[k]
        })
        .collect()
}

/// The Pearl force with its asymptotic series for `kappa r > 40` (Abramowitz & Stegun
/// 12.1.31 for H1 - Y1: `1/(kappa r^2) (1 - 3/x^2 + 45/x^4 - 1575/x^6)`, `x = kappa r`,
/// relative error below 2e-8 there), the quadrature otherwise.
fn pearl_force_fast(r: f64, kappa: f64) -> f64 {
    let x = kappa * r;
    if x > 40.0 {
        let x2 = 1.0 / (x * x);
        1.0 / (kappa * r * r) * (1.0 - 3.0 * x2 + 45.0 * x2 * x2 - 1575.0 * x2 * x2 * x2)
    } else {
        pearl_force(r, kappa)
    }
}

/// Direct sum over the periodic images `|n_x|, |n_y| <= m` of every vortex (the self images
/// cancel by symmetry and are included).
fn image_sum(pos: &[[f64; 2]], lx: f64, ly: f64, kappa: f64, m: i64) -> Vec<[f64; 2]> {
    pos.iter()
        .enumerate()
        .map(|(i, p)| {
            let mut f = [0.0, 0.0];
            for (j, q) in pos.iter().enumerate() {
                for nx in -m..=m {
                    for ny in -m..=m {
                        if i == j && nx == 0 && ny == 0 {
                            continue;
                        }
                        let dx = p[0] - q[0] - nx as f64 * lx;
                        let dy = p[1] - q[1] - ny as f64 * ly;
                        let r = (dx * dx + dy * dy).sqrt();
                        let g = pearl_force_fast(r, kappa) / r;
                        f[0] += g * dx;
                        f[1] += g * dy;
                    }
                }
            }
            f
        })
        .collect()
}

/// Isolated pair (Pearl 1964; Kogan, PRB 49, 15874 (1994)): two vortices in a periodic box
/// much larger than the Pearl length feel the closed-form force
/// `F = Phi0^2/(2 mu0 Lambda^2) [H1 - Y1 - 2/pi](r/Lambda)`, here per vortex length in f0,
/// `(1/r) int e^{-kappa r t} (1+t^2)^{-3/2} dt` (equal to the Struve form to 1e-10, unit
/// test), along the separation and opposite on the two vortices, plus the leading effect of
/// the periodic images at distances `R = L |n| >> Lambda`, where the force is
/// `1/(kappa R^2)`: their tidal field `-(S3 / (2 kappa L^3)) r` with the lattice sum
/// `S3 = sum' |n|^-3 = 4 zeta(3/2) beta(3/2) = 9.0336217` (Zucker, J. Phys. A 7, 1568 (1974)),
/// here 1.7e-4 f0 at r = 4 (box 60 lambda = 30 Lambda). Agreement to 2e-6 f0 at an Ewald
/// accuracy of 1e-9 (beyond r ~ L/10 higher multipoles of the images enter: 7e-6 at r = 7).
#[test]
fn isolated_pearl_pair_has_the_closed_form_force() {
    let (kappa, l) = (0.5, 60.0);
    let s3 = 9.033_621_683;
    for &r in &[0.3, 1.0, 2.0, 4.0] {
        let pos = vec![[20.0, 30.0], [20.0 + r, 30.0]];
        let mut s = pearl_system(pos.clone(), l, l, kappa, 5.0, 1e-9);
        let f = forces_in_order(&mut s, &pos);
        let exact = pearl_force(r, kappa);
        let images = s3 / (2.0 * kappa * l * l * l) * r;
        // Vortex 0 is pushed towards -x.
        let got = -f[0][0];
        println!("r = {r}: {got:.9} vs closed form {exact:.9} - images {images:.3e}");
        assert!(
            (got - (exact - images)).abs() < 2e-6,
            "r = {r}: {got} vs {exact} - {images}"
        );
        assert!((f[0][0] + f[1][0]).abs() < 1e-12 && f[0][1].abs() < 1e-9);
    }
}

/// The periodic force equals a direct sum over many images. The square image sum converges
/// as 1/m (the missing far region acts like a uniform background whose force falls as
/// Lambda / R), so two sums (m = 100 and 200, i.e. out to 2400 lambda = 480 Lambda) are
/// extrapolated (Richardson, 2 F(2m) - F(m)). Agreement to 1e-5 f0 at an Ewald accuracy of
/// 1e-7, with forces of order 1 f0; both parts of the split matter here (box 12 x 13 lambda,
/// Lambda = 5 lambda, cutoff 5 lambda).
#[test]
fn periodic_pearl_force_matches_direct_image_sum() {
    let (lx, ly, kappa) = (12.0, 13.0, 0.2);
    let pos = vec![[1.0, 2.0], [4.5, 9.0], [10.5, 6.0], [7.0, 12.5]];
    let mut s = pearl_system(pos.clone(), lx, ly, kappa, 5.0, 1e-7);
    let ewald = forces_in_order(&mut s, &pos);
    let (a, b) = (
        image_sum(&pos, lx, ly, kappa, 100),
        image_sum(&pos, lx, ly, kappa, 200),
    );
    for i in 0..pos.len() {
        for d in 0..2 {
            let direct = 2.0 * b[i][d] - a[i][d];
            println!(
                "vortex {i} axis {d}: Ewald {:.9} direct {:.9} (m = 200 alone: {:.9})",
                ewald[i][d], direct, b[i][d]
            );
            assert!(
                (ewald[i][d] - direct).abs() < 1e-5,
                "vortex {i} axis {d}: {} vs {direct}",
                ewald[i][d]
            );
        }
        assert!(ewald[i][0].abs() + ewald[i][1].abs() > 0.05);
        // Far from negligible: the nearest-image (London-like) sum misses the long range.
    }
}

/// A uniform triangular lattice is force-free (every vortex is a centre of symmetry of the
/// periodic arrangement), for the thin films of the bundled examples (d = 2 nm, lambda =
/// 200 nm: Lambda = 200 lambda, far larger than the box), and pair plus reciprocal forces
/// sum to zero over a random configuration (Newton's third law).
#[test]
fn uniform_pearl_lattice_is_force_free() {
    let kappa = 2e-9 / (2.0 * 200e-9);
    let (pos, lx, ly) = triangular_lattice(14, 16, 1.1);
    let mut s = pearl_system(pos.clone(), lx, ly, kappa, 5.0, 1e-4);
    let f = s.evaluate_forces([0.0, 0.0]).to_vec();
    for q in &f {
        assert!(q[0].abs() < 1e-10 && q[1].abs() < 1e-10, "{q:?}");
    }
    // Displace one vortex: it is pushed back (restoring force along -dx).
    let mut p2 = pos.clone();
    p2[37][0] += 0.1;
    let mut s = pearl_system(p2.clone(), lx, ly, kappa, 5.0, 1e-4);
    let f = forces_in_order(&mut s, &p2);
    assert!(f[37][0] < -0.1, "{:?}", f[37]);
    let total = f.iter().fold([0.0, 0.0], |a, q| [a[0] + q[0], a[1] + q[1]]);
    assert!(
        total[0].abs() < 1e-10 && total[1].abs() < 1e-10,
        "{total:?}"
    );
}

/// The error estimates of the split hold: on 300 vortices at quasi-random positions the RMS
/// deviation of the default-accuracy forces (1e-4 f0 per part) from a 1e-9 reference is
/// below the combined estimate sqrt(real^2 + reciprocal^2) and not smaller than a fifth of it
/// (the estimate assumes uncorrelated positions; the real-space part counts all pairs beyond
/// the taper start at full strength, an upper bound).
#[test]
fn ewald_error_estimate_bounds_the_actual_error() {
    use std::f64::consts::PI;
    let (lx, ly, kappa) = (18.0, 17.0, 0.005);
    // A deterministic quasi-random (Halton 2,3) set, free of close pairs that would dominate.
    let halton = |mut i: usize, b: usize| {
        let (mut f, mut r) = (1.0, 0.0);
        while i > 0 {
            f /= b as f64;
            r += f * (i % b) as f64;
            i /= b;
        }
        r
    };
    let pos: Vec<[f64; 2]> = (1..=300)
        .map(|i| {
            [
                (halton(i, 2) * lx + 0.37 * (i as f64 * PI).sin()).rem_euclid(lx),
                (halton(i, 3) * ly + 0.37 * (i as f64 * 1.7).cos()).rem_euclid(ly),
            ]
        })
        .collect();
    let mut s = pearl_system(pos.clone(), lx, ly, kappa, 5.0, 1e-4);
    let ew = s.long_range().unwrap();
    let estimate = (ew.real_space_error().powi(2) + ew.reciprocal_error().powi(2)).sqrt();
    println!(
        "alpha {:.4}, k_max {:.4}, {} k vectors; estimates: real {:.3e}, reciprocal {:.3e}",
        ew.alpha(),
        ew.k_max(),
        ew.k_vectors(),
        ew.real_space_error(),
        ew.reciprocal_error()
    );
    let f = forces_in_order(&mut s, &pos);
    let mut r = pearl_system(pos.clone(), lx, ly, kappa, 8.0, 1e-9);
    let reference = forces_in_order(&mut r, &pos);
    let rms = (f
        .iter()
        .zip(&reference)
        .map(|(a, b)| (a[0] - b[0]).powi(2) + (a[1] - b[1]).powi(2))
        .sum::<f64>()
        / pos.len() as f64)
        .sqrt();
    println!("actual RMS error {rms:.3e}, estimate {estimate:.3e}");
    assert!(rms < estimate, "{rms} vs {estimate}");
    assert!(rms > 0.2 * estimate, "{rms} vs {estimate}");
}

/// `auto` picks Pearl for the bundled 2 nm films (d / lambda = 0.01) and London for the
/// 1 um film of `vortex_flux_flow` (d / lambda = 10); the key `interaction.kind` overrides it
/// and a wrong value is refused with the key and the choices.
#[test]
fn auto_selects_pearl_for_thin_films_and_the_key_overrides_it() {
    assert_eq!(PEARL_THRESHOLD, 1.0);
    let parse = |text: &str| match scenario::parse_any(text, &no_files).unwrap() {
        AnyScenario::Vortex(s) => s,
        _ => panic!("vortex scenario expected"),
    };
    let kind = |s: &fluxion::scenario::VortexScenario| {
        let (u, sys, _) = s.problem.build().unwrap();
        s.problem.interaction_report(&sys, &u)
    };
    for (text, want) in [
        (
            include_str!("../../examples/vortex_random_pins.toml"),
            "pearl",
        ),
        (include_str!("../../examples/vortex_matching.toml"), "pearl"),
        (
            include_str!("../../examples/vortex_flux_flow.toml"),
            "london",
        ),
    ] {
        let s = parse(text);
        assert_eq!(s.problem.interaction, Interaction::Auto);
        let rep = kind(&s);
        assert_eq!(rep.kind, want, "{}", rep.reason);
        assert_eq!(rep.ewald.is_some(), want == "pearl");
    }
    let text = include_str!("../../examples/vortex_flux_flow.toml")
        .replace("[sweep]", "[interaction]\nkind = \"pearl\"\n\n[sweep]");
    let s = parse(&text);
    let rep = kind(&s);
    assert_eq!((rep.kind, rep.requested), ("pearl", "pearl"));
    // Against the d / lambda rule: legal, with a warning that says what auto would choose.
    assert_eq!(s.warnings.len(), 1, "{:?}", s.warnings);
    assert!(
        s.warnings[0].contains("\"auto\" would choose london"),
        "{:?}",
        s.warnings
    );
    // Pearl length 2 lambda^2 / d = 2 (100 nm)^2 / 1 um = 20 nm.
    assert!((rep.pearl_length - 20e-9).abs() < 1e-20);
    let text = include_str!("../../examples/vortex_matching.toml")
        .replace("[sweep]", "[interaction]\nkind = \"london\"\n\n[sweep]");
    let s = parse(&text);
    assert_eq!(kind(&s).kind, "london");
    assert!(s.warnings[0].contains("d >> lambda"), "{:?}", s.warnings);
    assert!(parse(include_str!("../../examples/vortex_matching.toml"))
        .warnings
        .is_empty());
    let text = include_str!("../../examples/vortex_matching.toml")
        .replace("[sweep]", "[interaction]\nkind = \"thin\"\n\n[sweep]");
    let e = scenario::parse_any(&text, &no_files)
        .unwrap_err()
        .to_string();
    assert!(
        e.contains("interaction.kind") && e.contains("\"pearl\""),
        "{e}"
    );
}

/// Time per step, Pearl against London, for about 1e3 and 1e4 vortices at spacing lambda
/// (a quick measurement, not a benchmark; it prints the numbers and checks that a larger
/// cutoff means fewer reciprocal vectors, the balance the cutoff sets). Run
/// with `cargo test --release -p fluxion-validation --test pearl -- --ignored --nocapture`.
#[test]
#[ignore = "timing measurement (about a minute in release)"]
fn pearl_step_timing() {
    use fluxion::models::vortex::{lattice_shape, PairForce};
    for n in [1_000, 10_000] {
        let (nx, ny) = lattice_shape(n);
        let (pos, lx, ly) = triangular_lattice(nx, ny, 1.0);
        let time = |mut s: VortexSystem, label: &str| -> usize {
            for _ in 0..5 {
                s.step([0.0, -0.1], 0.001);
            }
            let steps = if n > 5000 { 20 } else { 100 };
            let t = std::time::Instant::now();
            for _ in 0..steps {
                s.step([0.0, -0.1], 0.001);
            }
            let ms = t.elapsed().as_secs_f64() * 1e3 / steps as f64;
            let k = s.long_range().map_or(0, |e| e.k_vectors());
            println!(
                "N = {}: {label}: {ms:.3} ms per step ({} pair evaluations, {k} k vectors)",
                s.len(),
                s.pair_evaluations()
            );
            k
        };
        let london = PairForce::new(5.0, 4.0, 0.02).unwrap();
        time(
            VortexSystem::new(pos.clone(), lx, ly, Some(london), None, 0.01, 1).unwrap(),
            "London, cutoff 5",
        );
        let mut last = usize::MAX;
        for cutoff in [5.0, 8.0, 12.0] {
            if lx < 2.0 * (cutoff + 0.5) || ly < 2.0 * (cutoff + 0.5) {
                continue;
            }
            let s = pearl_system(pos.clone(), lx, ly, 0.005, cutoff, 1e-4);
            let k = time(s, &format!("Pearl, cutoff {cutoff}"));
            assert!(k < last, "cutoff {cutoff}: {k} k vectors, {last} before");
            last = k;
        }
        let c = default_cutoff(pos.len(), 1.0);
        let s = pearl_system(pos.clone(), lx, ly, 0.005, c, 1e-4);
        time(s, &format!("Pearl, default cutoff {c:.2}"));
    }
}

/// `summary.json` states the interaction a run used: a shortened `vortex_matching` run (a
/// 2 nm film) reports Pearl with its Ewald parameters and error estimates, and the same run
/// with `kind = "london"` reports London without them.
#[test]
fn summary_states_the_interaction_used() {
    let base = include_str!("../../examples/vortex_matching.toml")
        .replace(
            "currents = { from = \"0 A/m^2\", to = \"2.6e10 A/m^2\", steps = 14 }",
            "currents = [\"1e10 A/m^2\"]",
        )
        .replace("equilibrate = 400", "equilibrate = 50")
        .replace("average = 300", "average = 50");
    let run = |text: &str| {
        let AnyScenario::Vortex(s) = scenario::parse_any(text, &no_files).unwrap() else {
            panic!("vortex scenario expected")
        };
        scenario::run_vortex(&s, &mut ()).unwrap().summary
    };
    let s = run(&base);
    let i = &s["interaction"];
    assert_eq!(i["kind"], "pearl", "{i}");
    assert_eq!(i["requested"], "auto");
    assert!(
        i["reason"]
            .as_str()
            .unwrap()
            .contains("d / lambda = 0.0100"),
        "{i}"
    );
    // Lambda = 2 (200 nm)^2 / 2 nm = 40 um.
    assert!((i["pearl_length_m"].as_f64().unwrap() - 40e-6).abs() < 1e-15);
    let e = &i["ewald"];
    assert!(e["k_vectors"].as_u64().unwrap() > 10, "{e}");
    let f0 = s["units"]["f0_N_per_m"].as_f64().unwrap();
    for key in [
        "real_space_rms_error_N_per_m",
        "reciprocal_rms_error_N_per_m",
    ] {
        let err = e[key].as_f64().unwrap() / f0;
        assert!(err > 0.0 && err <= 1.0001e-4, "{key}: {err}");
    }
    let london = run(&base.replace("[sweep]", "[interaction]\nkind = \"london\"\n\n[sweep]"));
    assert_eq!(london["interaction"]["kind"], "london");
    assert!(london["interaction"]["ewald"].is_null());
}
