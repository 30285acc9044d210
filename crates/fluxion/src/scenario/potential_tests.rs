use super::*;
use crate::constants::VACUUM_PERMITTIVITY;

const PLATES: &str = r#"
model = "electrostatics"
[mesh]
kind = "cartesian2d"
x = { from = "0 um", to = "2 um", nodes = 21 }
y = { from = "0 um", to = "5 um", nodes = 11 }
[background]
name = "gap"
permittivity = 3
[[patch]]
name = "xmin"
potential = "1 V"
[[patch]]
name = "xmax"
potential = "0 V"
"#;

fn issues(text: &str) -> Vec<super::super::Issue> {
    parse_static(text).unwrap_err().issues
}

/// A parallel-plate capacitor (gap d = 2 um, width W = 5 um, eps_r = 3, insulating sides):
/// the field is uniform, so the two-point scheme is exact and the capacitance per metre of
/// depth is `eps0 eps_r W / d` to rounding; the plate charges are equal and opposite.
#[test]
fn parallel_plates_give_eps_w_over_d_per_metre() {
    let s = parse_static(PLATES).unwrap();
    assert_eq!(s.problem.mesh.nodes(), 231);
    let r = run_static(&s, &mut ()).unwrap();
    let exact = VACUUM_PERMITTIVITY * 3.0 * 5e-6 / 2e-6;
    let c = r.summary["capacitance_F"].as_f64().unwrap();
    assert!((c - exact).abs() < 1e-12 * exact, "{c} vs {exact}");
    let q0 = r.summary["patches"]["xmin"]["charge_C"].as_f64().unwrap();
    let q1 = r.summary["patches"]["xmax"]["charge_C"].as_f64().unwrap();
    assert!((q0 - exact).abs() < 1e-12 * exact && (q0 + q1).abs() < 1e-12 * exact);
    // Energy (1/2) C V^2.
    let w = r.summary["energy_J"].as_f64().unwrap();
    assert!((w - 0.5 * exact).abs() < 1e-12 * exact);
    let names: Vec<&str> = r.files.iter().map(|f| f.name.as_str()).collect();
    for f in ["fields.vtr", "potential.npy", "field.npy", "summary.json"] {
        assert!(names.contains(&f), "{names:?}");
    }
}

/// Seed 000: H = -grad Phi_M needs J_free = 0; a region with a current is refused and told why.
#[test]
fn magnetostatics_refuses_a_free_current_and_says_why() {
    let text = r#"
model = "magnetostatics"
[mesh]
kind = "axisymmetric"
r = { from = 0, to = "1 mm", nodes = 11 }
z = { from = 0, to = "1 mm", nodes = 11 }
[[region]]
name = "wire"
shape = { kind = "cylinder", base = [0, 0], top = [0, "1 mm"], radius = "0.2 mm" }
current_density = "1e6 A/m^2"
[[patch]]
name = "zmax"
potential = "0 A"
"#;
    let is = issues(text);
    assert_eq!(is.len(), 1, "{is:?}");
    assert_eq!(is[0].key, "region[0].current_density");
    assert!(
        is[0].message.contains("curl H = J_free = 0"),
        "{}",
        is[0].message
    );
    assert!(
        is[0].message.contains("vector potential"),
        "{}",
        is[0].message
    );
    assert_eq!(&text[is[0].span.clone().unwrap()], "\"1e6 A/m^2\"");
}

/// A mesh beyond the memory limit is refused from its node counts, before it is built.
#[test]
fn a_huge_mesh_is_refused_with_the_memory_it_needs_not_built() {
    let text = PLATES
        .replace("kind = \"cartesian2d\"", "kind = \"cartesian3d\"")
        .replace("nodes = 21 }", "nodes = 2000 }")
        .replace(
            "nodes = 11 }",
            "nodes = 2000 }\nz = { from = 0, to = \"1 um\", nodes = 2000 }",
        );
    let t = std::time::Instant::now();
    let is = issues(&text);
    assert!(t.elapsed().as_secs_f64() < 1.0);
    assert_eq!(is.len(), 1, "{is:?}");
    assert_eq!(is[0].key, "mesh");
    let m = &is[0].message;
    assert!(
        m.contains("would need about") && m.contains("memory_limit_gb"),
        "{m}"
    );
    // The estimate grows like n^(4/3) in 3D.
    let (a, b) = (
        static_memory_estimate(1 << 21, 3),
        static_memory_estimate(1 << 24, 3),
    );
    assert!(b / a > 8.0 * 1.9 && b / a < 8.0 * 2.1, "{}", b / a);
}

#[test]
fn bad_keys_and_names_are_reported_with_their_key() {
    let is = issues(&PLATES.replace("permittivity = 3", "permitivity = 3"));
    assert!(is[0].message.contains("unknown field"), "{is:?}");
    let is = issues(&PLATES.replace("name = \"xmax\"", "name = \"right\""));
    assert_eq!(is[0].key, "patch[1].name");
    assert!(is[0].message.contains("\"xmax\""), "{}", is[0].message);
    let is = issues(&PLATES.replace("kind = \"cartesian2d\"", "kind = \"axisymmetric\""));
    assert!(is.iter().any(|i| i.key == "mesh.x"), "{is:?}");
    let is = issues(&PLATES.replace("potential = \"1 V\"", "potential = \"1 m\""));
    assert_eq!(is[0].key, "patch[0].potential");
    let is = issues(
        &PLATES
            .replace("potential = \"0 V\"", "natural = true")
            .replace("potential = \"1 V\"", "natural = true"),
    );
    assert!(is[0].message.contains("fixed nowhere"), "{is:?}");
    let is = issues(&PLATES.replace(
        "[background]\nname = \"gap\"\npermittivity = 3",
        "[background]\npermeability = 3",
    ));
    assert_eq!(is[0].key, "background.permeability");
}

/// A conductor region and a potential patch: a coaxial line in (r, z) between r = a
/// (conductor at 1 V) and the outer wall r = b at 0 V has `C = 2 pi eps0 L / ln(b/a)`; the
/// conductor cuts the radial edges at r = a exactly (second order in h).
#[test]
fn coaxial_capacitance_from_a_conductor_region() {
    let text = r#"
model = "electrostatics"
[mesh]
kind = "axisymmetric"
r = { from = 0, to = "2 mm", nodes = 161 }
z = { from = 0, to = "1 mm", nodes = 3 }
[[region]]
name = "core"
shape = { kind = "cylinder", base = [0, "-1 mm"], top = [0, "2 mm"], radius = "0.5037 mm" }
conductor_potential = "1 V"
[[patch]]
name = "rmax"
potential = "0 V"
"#;
    let s = parse_static(text).unwrap();
    let r = run_static(&s, &mut ()).unwrap();
    let exact = 2.0 * std::f64::consts::PI * VACUUM_PERMITTIVITY * 1e-3 / (2.0f64 / 0.5037).ln();
    let c = r.summary["capacitance_F"].as_f64().unwrap();
    assert!((c / exact - 1.0).abs() < 2e-3, "{c} vs {exact}");
    let q = r.summary["conductors"]["core"]["charge_C"]
        .as_f64()
        .unwrap();
    assert!((q - c).abs() < 1e-12 * c);
}
