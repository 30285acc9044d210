//! Tests of the PNP scenario parser and run.

use super::*;
use crate::scenario::{run_any, AnyScenario};

const SALT: &str = r#"
model = "pnp"
[[species]]
name = "K+"
charge = 1
diffusivity = "2e-9 m^2/s"
[[species]]
name = "Cl-"
charge = -1
diffusivity = "2e-9 m^2/s"
"#;

/// An electrolyte bar in (r, z) between two reservoirs: the ohmic current
/// `I = kappa pi R^2 V / L`, `kappa = F^2/(RT) sum z^2 D c` (exact for the scheme: the salt
/// stays uniform), equal through both reservoirs; a sweep gives the linear I-V curve with
/// rectification ratio 1.
#[test]
fn ohmic_channel_scenario_runs_with_a_sweep() {
    let text = format!(
        r#"{SALT}
[mesh]
kind = "axisymmetric"
r = {{ from = "0 nm", to = "10 nm", nodes = 6 }}
z = {{ from = "0 nm", to = "100 nm", nodes = 21 }}
[[patch]]
name = "zmin"
concentration = {{ "K+" = "100 mM", "Cl-" = "100 mM" }}
potential = "0 V"
[[patch]]
name = "zmax"
concentration = {{ "K+" = "100 mM", "Cl-" = "100 mM" }}
potential = "10 mV"
[sweep]
patch = "zmax"
potentials = ["-20 mV", "20 mV"]
[output]
probe = [{{ name = "mid", at = ["0 nm", "50 nm"] }}]
"#
    );
    let s = crate::scenario::parse_any(&text, &|_| Err("no files".into())).unwrap();
    let AnyScenario::Pnp(p) = &s else {
        panic!("not a pnp scenario")
    };
    assert_eq!(p.problem.mesh.nodes(), 6 * 21);
    let r = run_any(&s, &mut ()).unwrap();
    let kappa = crate::constants::FARADAY.powi(2) / (crate::constants::GAS_CONSTANT * 298.15)
        * 2.0
        * 2e-9
        * 100.0;
    let exact = kappa * std::f64::consts::PI * 1e-16 * 0.01 / 100e-9;
    let i_in = r.summary["patches"]["zmax"]["outward_current_A"]
        .as_f64()
        .unwrap();
    let i_out = r.summary["patches"]["zmin"]["outward_current_A"]
        .as_f64()
        .unwrap();
    assert!((i_out - exact).abs() < 1e-8 * exact, "{i_out} vs {exact}");
    assert!((i_in + i_out).abs() < 1e-10 * exact);
    assert!(r.summary["current_balance"]["relative"].as_f64().unwrap() < 1e-9);
    let ratio = r.summary["sweep"]["rectification"][0]["ratio"]
        .as_f64()
        .unwrap();
    assert!((ratio - 1.0).abs() < 1e-9, "{ratio}");
    let mid = &r.summary["probes"]["mid"];
    assert!((mid["potential_V"].as_f64().unwrap() - 0.005).abs() < 1e-9);
    assert!((mid["concentration_mol_m3"]["K+"].as_f64().unwrap() - 100.0).abs() < 1e-8);
    let names: Vec<&str> = r.files.iter().map(|f| f.name.as_str()).collect();
    for f in [
        "fields.vtr",
        "potential.npy",
        "c_K+.npy",
        "c_Cl-.npy",
        "iv.csv",
        "summary.json",
    ] {
        assert!(names.contains(&f), "{f} missing from {names:?}");
    }
    let iv = r.files.iter().find(|f| f.name == "iv.csv").unwrap();
    let text = String::from_utf8(iv.bytes.clone()).unwrap();
    assert_eq!(text.lines().count(), 3, "{text}");
    assert!(text.starts_with("potential_V,current_axis_A,"), "{text}");
}

/// The `key: message` of every issue of a scenario that must be refused.
pub(super) fn issues(text: &str) -> Vec<String> {
    match parse_pnp(text) {
        Ok(_) => panic!("accepted:\n{text}"),
        Err(e) => e
            .issues
            .iter()
            .map(|i| format!("{}: {}", i.key, i.message))
            .collect(),
    }
}

/// Bad input is refused with the key, the value and what to write instead.
#[test]
fn bad_pnp_scenarios_are_refused_with_the_key_and_the_fix() {
    let mesh = r#"
[mesh]
kind = "cartesian2d"
x = { from = "0 nm", to = "100 nm", nodes = 11 }
y = { from = "0 nm", to = "20 nm", nodes = 5 }
"#;
    let ok_patches = r#"
[[patch]]
name = "xmin"
concentration = { "K+" = "10 mM", "Cl-" = "10 mM" }
potential = "0 V"
"#;
    let cases: Vec<(String, &str)> = vec![
        // No potential anywhere.
        (
            format!("{SALT}{mesh}\n[[patch]]\nname = \"xmin\"\nconcentration = {{ \"K+\" = \"10 mM\", \"Cl-\" = \"10 mM\" }}\n"),
            "potential is fixed on no patch",
        ),
        // A species never fixed.
        (
            format!("{SALT}{mesh}\n[[patch]]\nname = \"xmin\"\nconcentration = {{ \"K+\" = \"10 mM\" }}\npotential = \"0 V\"\n"),
            "\"Cl-\" has a fixed concentration on no patch",
        ),
        // Unknown patch name.
        (format!("{SALT}{mesh}{ok_patches}\n[[patch]]\nname = \"left\"\npotential = \"1 V\"\n"), "no patch \"left\""),
        // Unknown species in a region's excluded list.
        (
            format!("{SALT}{mesh}{ok_patches}\n[[region]]\nname = \"m\"\nshape = {{ kind = \"box\", lo = [\"0 nm\", \"0 nm\"], hi = [\"50 nm\", \"10 nm\"] }}\nexcluded = [\"Na+\"]\n"),
            "unknown species \"Na+\"",
        ),
        // Fixed charge in the wrong unit.
        (
            format!("{SALT}{mesh}{ok_patches}\n[background]\nfixed_charge = \"-1 V\"\n"),
            "background.fixed_charge",
        ),
        // Permittivity below vacuum.
        (
            format!("{SALT}{mesh}{ok_patches}\n[background]\npermittivity = 0.5\n"),
            "between 1",
        ),
        // Sweep on a patch without a potential.
        (
            format!("{SALT}{mesh}{ok_patches}\n[sweep]\npatch = \"xmax\"\npotentials = [\"1 V\"]\n"),
            "no potential to sweep",
        ),
        // Initial profiles are for transients.
        (
            format!("{SALT}{mesh}{ok_patches}").replacen("charge = 1", "charge = 1\ninitial = \"1 mM\"", 1),
            "steady state",
        ),
        // Transient keys: a [transient] table without the mode, the mode without the table
        // or without initial values, an initial value for an unknown region, a bad closure,
        // a non-neutral initial composition under electroneutrality, a sweep of a transient.
        (
            format!("{SALT}{mesh}{ok_patches}\n[transient]\nend_time = \"1 s\"\n"),
            "needs mode = \"transient\"",
        ),
        (
            format!("mode = \"transient\"\n{SALT}{mesh}{ok_patches}").replace("charge = 1", "charge = 1\ninitial = \"1 mM\"").replace("charge = -1", "charge = -1\ninitial = \"1 mM\""),
            "needs a [transient] table",
        ),
        (
            format!("mode = \"transient\"\n{SALT}{mesh}{ok_patches}\n[transient]\nend_time = \"1 s\"\n"),
            "needs the initial concentration of \"K+\"",
        ),
        (
            format!("mode = \"transient\"\n{SALT}{mesh}{ok_patches}\n[transient]\nend_time = \"1 s\"\n").replace("charge = 1", "charge = 1\ninitial = { gel = \"1 mM\" }").replace("charge = -1", "charge = -1\ninitial = \"1 mM\""),
            "no region \"gel\"",
        ),
        (
            format!("closure = \"neutral\"\n{SALT}{mesh}{ok_patches}"),
            "unknown value \"neutral\"",
        ),
        (
            format!("mode = \"transient\"\nclosure = \"electroneutral\"\n{SALT}{mesh}{ok_patches}\n[transient]\nend_time = \"1 s\"\n").replace("charge = 1", "charge = 1\ninitial = \"2 mM\"").replace("charge = -1", "charge = -1\ninitial = \"1 mM\""),
            "must be neutral",
        ),
        (
            format!("mode = \"transient\"\n{SALT}{mesh}{ok_patches}\n[transient]\nend_time = \"1 s\"\n[sweep]\npatch = \"xmin\"\npotentials = [\"1 V\"]\n").replace("charge = 1", "charge = 1\ninitial = \"1 mM\"").replace("charge = -1", "charge = -1\ninitial = \"1 mM\""),
            "needs mode = \"steady\"",
        ),
        // Two potential conditions on one patch.
        (
            format!("{SALT}{mesh}{ok_patches}\n[[patch]]\nname = \"xmax\"\npotential = \"0 V\"\nsurface_charge = \"-0.01 C/m^2\"\n"),
            "at most one of potential",
        ),
        // Concentration beyond pure water.
        (
            format!("{SALT}{mesh}{ok_patches}\n[[patch]]\nname = \"xmax\"\nconcentration = {{ \"K+\" = \"60 M\", \"Cl-\" = \"1 M\" }}\n"),
            "patch[1].concentration",
        ),
    ];
    // Delaunay polygons: one patch per edge, the axis named, refinement towards known patches.
    let poly = |vertices: &str, patches: &str, near: &str| {
        format!(
            "{SALT}\n[mesh]\nkind = \"delaunay\"\ncoordinates = \"axisymmetric\"\nouter = {{ kind = \"polygon\", vertices = {vertices}, patches = {patches} }}\nh = \"10 nm\"\n{near}\n[[patch]]\nname = \"bottom\"\nconcentration = {{ \"K+\" = \"10 mM\", \"Cl-\" = \"10 mM\" }}\npotential = \"0 V\"\n"
        )
    };
    let square = r#"[["0 nm", "0 nm"], ["50 nm", "0 nm"], ["50 nm", "50 nm"], ["0 nm", "50 nm"]]"#;
    let mut cases = cases;
    cases.extend([
        (
            poly(square, r#"["bottom", "wall", "top"]"#, ""),
            "one patch name per edge",
        ),
        (
            poly(square, r#"["bottom", "wall", "top", "left"]"#, ""),
            "name it \"axis\"",
        ),
        (
            poly(square, r#"["bottom", "axis", "top", "axis"]"#, ""),
            "is not on it",
        ),
        (
            poly(
                square,
                r#"["bottom", "wall", "top", "axis"]"#,
                r#"near = [{ patch = "pore", h = "1 nm" }]"#,
            ),
            "no polygon patch \"pore\"",
        ),
        (
            poly(
                square,
                r#"["bottom", "wall", "top", "axis"]"#,
                r#"near = [{ at = ["0 nm", "0 nm"], h = "1 nm", growth = 20 }]"#,
            ),
            "must lie in [0, 10]",
        ),
        (
            poly(
                r#"[["0 nm", "0 nm"], ["-5 nm", "0 nm"], ["0 nm", "50 nm"]]"#,
                r#"["bottom", "wall", "axis"]"#,
                "",
            ),
            "is negative",
        ),
    ]);
    for (text, want) in cases {
        let got = issues(&text);
        assert!(
            got.iter().any(|g| g.contains(want)),
            "expected an issue containing {want:?}, got {got:?}"
        );
    }
}

/// A region with a fixed charge and an excluded co-ion (an ideal cation exchanger) between
/// two equal reservoirs: at zero voltage the Donnan potential inside is
/// `V_T asinh(X / 2c)` for the 1:1 salt with both ions, and with the anion excluded only
/// counter-ions enter: `c+ = -X` (electroneutral interior), `phi = -V_T ln(-X / c)`
/// (Donnan, Z. Elektrochem. 17, 572 (1911); Helfferich, Ion Exchange (1962), ch. 5).
#[test]
fn donnan_potential_of_an_ion_exchanger_region() {
    let text = format!(
        r#"{SALT}
[mesh]
kind = "cartesian2d"
x = {{ from = "0 um", to = "2 um", nodes = 401, refine = ["0.8 um", "1.2 um"], h_min = "0.5 nm" }}
y = {{ from = "0 um", to = "0.1 um", nodes = 3 }}
[[region]]
name = "exchanger"
shape = {{ kind = "box", lo = ["0.8 um", "-1 um"], hi = ["1.2 um", "1 um"] }}
fixed_charge = "-100 mM"
excluded = ["Cl-"]
[[patch]]
name = "xmin"
concentration = {{ "K+" = "10 mM", "Cl-" = "10 mM" }}
potential = "0 V"
[[patch]]
name = "xmax"
concentration = {{ "K+" = "10 mM", "Cl-" = "10 mM" }}
potential = "0 V"
[output]
probe = [{{ name = "inside", at = ["1 um", "0.05 um"] }}]
"#
    );
    let s = parse_pnp(&text).unwrap();
    let r = run_pnp(&s, &mut ()).unwrap();
    let vt = crate::constants::thermal_voltage(298.15);
    let inside = &r.summary["probes"]["inside"];
    let phi = inside["potential_V"].as_f64().unwrap();
    let exact = -vt * (100.0_f64 / 10.0).ln();
    assert!((phi - exact).abs() < 1e-4 * exact.abs(), "{phi} vs {exact}");
    let ck = inside["concentration_mol_m3"]["K+"].as_f64().unwrap();
    assert!((ck - 100.0).abs() < 1e-3, "{ck}");
    assert!(inside["concentration_mol_m3"]["Cl-"].is_null());
}

/// A polygon (r, z) Delaunay domain: a cylinder of salt between two reservoirs is ohmic,
/// `I = kappa pi R^2 V / L` (exact: the salt is uniform and the potential linear in z, which
/// the two-point flux on Voronoi boxes reproduces exactly), and a point refinement adds nodes.
#[test]
fn ohmic_cylinder_on_a_polygon_delaunay_mesh() {
    let text = format!(
        r#"{SALT}
[mesh]
kind = "delaunay"
coordinates = "axisymmetric"
outer = {{ kind = "polygon", vertices = [["0 nm", "0 nm"], ["10 nm", "0 nm"], ["10 nm", "100 nm"], ["0 nm", "100 nm"]], patches = ["bottom", "wall", "top", "axis"] }}
h = "4 nm"
near = [{{ at = ["10 nm", "50 nm"], h = "0.5 nm", growth = 0.3 }}]
[[patch]]
name = "bottom"
concentration = {{ "K+" = "100 mM", "Cl-" = "100 mM" }}
potential = "0 V"
[[patch]]
name = "top"
concentration = {{ "K+" = "100 mM", "Cl-" = "100 mM" }}
potential = "10 mV"
[output]
probe = [{{ name = "mid", at = ["0 nm", "50 nm"] }}]
"#
    );
    let s = parse_pnp(&text).unwrap();
    assert!(s.delaunay);
    // The current density at every node is the ohmic J = -kappa grad phi = kappa E, along
    // -z (the potential rises from 0 to 10 mV over 100 nm), exact for the linear potential.
    let sol = crate::models::pnp::Pnp::new(s.problem.clone())
        .unwrap()
        .solve_steady(&mut ())
        .unwrap();
    let kappa_e = crate::constants::FARADAY.powi(2) / (crate::constants::GAS_CONSTANT * 298.15)
        * 2.0
        * 2e-9
        * 100.0
        * (0.01 / 100e-9);
    for j in super::outputs::current_density(&s, &sol.potential, &sol.concentration) {
        assert!(
            j[0].abs() < 1e-6 * kappa_e && (j[1] + kappa_e).abs() < 1e-6 * kappa_e,
            "{j:?} vs (0, {})",
            -kappa_e
        );
    }
    // Maps with current lines: every map written, named in the summary.
    let mapped = text.replace(
        "[output]\n",
        "[output]\nformats = [\"map\"]\nline = [{ name = \"wall\", from = [\"10 nm\", \"0 nm\"], to = [\"10 nm\", \"100 nm\"], points = 11 }]\n",
    ) + "[output.map]\nlines = \"current\"\nconcentration_scale = \"log\"\n";
    let r = run_pnp(&parse_pnp(&mapped).unwrap(), &mut ()).unwrap();
    let names: Vec<&str> = r.files.iter().map(|f| f.name.as_str()).collect();
    for f in ["map_potential", "map_c_K+", "map_c_Cl-", "map_field"] {
        for ext in ["png", "svg"] {
            assert!(
                names.contains(&format!("{f}.{ext}").as_str()),
                "{f}.{ext}: {names:?}"
            );
        }
    }
    assert_eq!(r.summary["maps"].as_array().unwrap().len(), 8);
    // The line cut along the wall: the potential is linear in z, exact on the triangles.
    let csv = r.files.iter().find(|f| f.name == "line_wall.csv").unwrap();
    let csv = String::from_utf8(csv.bytes.clone()).unwrap();
    for row in csv.lines().skip(1) {
        let v: Vec<f64> = row.split(',').map(|x| x.parse().unwrap()).collect();
        assert!((v[3] - 0.01 * v[2] / 100e-9).abs() < 1e-9, "{row}");
    }
    let coarse = parse_pnp(&text.replace("near = [", "# near = [")).unwrap();
    assert!(s.problem.mesh.nodes() > coarse.problem.mesh.nodes() + 20);
    let r = run_pnp(&s, &mut ()).unwrap();
    let kappa = crate::constants::FARADAY.powi(2) / (crate::constants::GAS_CONSTANT * 298.15)
        * 2.0
        * 2e-9
        * 100.0;
    let exact = kappa * std::f64::consts::PI * 1e-16 * 0.01 / 100e-9;
    let i = r.summary["patches"]["bottom"]["outward_current_A"]
        .as_f64()
        .unwrap();
    assert!((i - exact).abs() < 1e-8 * exact, "{i} vs {exact}");
    assert_eq!(r.summary["mesh"]["kind"], "delaunay");
    // The probe is interpolated in its triangle: the potential is linear in z, 5 mV at mid
    // height (exact for the linear interpolant).
    let phi = r.summary["probes"]["mid"]["potential_V"].as_f64().unwrap();
    assert!((phi - 5e-3).abs() < 1e-9, "{phi}");
}

/// Probes and line ends outside a non-convex Delaunay domain (inside its bounding box),
/// map keys without the map format, and keys that do not apply are refused by name.
#[test]
fn delaunay_outputs_outside_the_domain_and_bad_map_keys_are_refused() {
    let text = format!(
        r#"{SALT}
[mesh]
kind = "delaunay"
coordinates = "axisymmetric"
outer = {{ kind = "polygon", vertices = [["0 nm", "0 nm"], ["20 nm", "0 nm"], ["20 nm", "10 nm"], ["5 nm", "10 nm"], ["5 nm", "20 nm"], ["0 nm", "20 nm"]], patches = ["bottom", "wall", "wall", "wall", "top", "axis"] }}
h = "2 nm"
[[patch]]
name = "bottom"
concentration = {{ "K+" = "100 mM", "Cl-" = "100 mM" }}
potential = "0 V"
[[patch]]
name = "top"
concentration = {{ "K+" = "100 mM", "Cl-" = "100 mM" }}
potential = "10 mV"
[output]
"#
    );
    assert!(parse_pnp(&format!(
        "{text}probe = [{{ name = \"in\", at = [\"2 nm\", \"15 nm\"] }}]\n"
    ))
    .is_ok());
    let bad = parse_pnp(&format!(
        "{text}probe = [{{ name = \"p\", at = [\"15 nm\", \"15 nm\"] }}]\n"
    ))
    .unwrap_err();
    let i = &bad.issues[0];
    assert_eq!(i.key, "output.probe[0].at");
    assert!(i.message.contains("outside") && i.span.is_some(), "{i:?}");
    let bad = parse_pnp(&format!(
        "{text}line = [{{ name = \"l\", from = [\"1 nm\", \"1 nm\"], to = [\"15 nm\", \"15 nm\"] }}]\n"
    ))
    .unwrap_err();
    assert_eq!(bad.issues[0].key, "output.line[0].to");
    for (extra, key) in [
        ("[output.map]\nlines = \"current\"\n", "output.map"),
        (
            "formats = [\"map\"]\n[output.map]\nlines = \"flux\"\n",
            "output.map.lines",
        ),
        (
            "formats = [\"map\"]\n[output.map]\nconcentration_scale = \"ln\"\n",
            "output.map.concentration_scale",
        ),
        (
            "formats = [\"map\"]\n[output.map]\nline_count = 0\n",
            "output.map.line_count",
        ),
    ] {
        let e = parse_pnp(&format!("{text}{extra}")).unwrap_err();
        assert_eq!(e.issues[0].key, key, "{extra}: {e:?}");
    }
}

/// A transient scenario in (r, z) under each closure: it parses with initial values by
/// region, runs, writes one field file per output time, the `.pvd` collection and
/// `currents.csv`, and its summary shows the charge conserved and, under Poisson and
/// electroneutrality, the total current continuous (exact for the scheme; see
/// `models::pnp_transient`).
#[test]
fn transient_scenarios_write_snapshots_a_collection_and_currents() {
    for closure in ["poisson", "electroneutral", "fixed_field"] {
        let text = format!(
            r#"mode = "transient"
closure = "{closure}"
{SALT}
[mesh]
kind = "axisymmetric"
r = {{ from = "0 nm", to = "10 nm", nodes = 3 }}
z = {{ from = "0 nm", to = "100 nm", nodes = 11 }}
[[region]]
name = "upper"
shape = {{ kind = "box", lo = ["0 nm", "50 nm"], hi = ["10 nm", "100 nm"] }}
[[patch]]
name = "zmin"
concentration = {{ "K+" = "100 mM", "Cl-" = "100 mM" }}
potential = "0 V"
[[patch]]
name = "zmax"
concentration = {{ "K+" = "10 mM", "Cl-" = "10 mM" }}
potential = "10 mV"
[transient]
end_time = "1 us"
output_times = ["0 s", "0.1 us", "1 us"]
"#
        )
        .replace(
            "charge = 1",
            "charge = 1\ninitial = { background = \"100 mM\", upper = \"10 mM\" }",
        )
        .replace(
            "charge = -1",
            "charge = -1\ninitial = { background = \"100 mM\", upper = \"10 mM\" }",
        );
        let s = crate::scenario::parse_any(&text, &|_| Err("no files".into())).unwrap();
        let AnyScenario::Pnp(p) = &s else {
            panic!("not a pnp scenario")
        };
        let tr = p.transient.as_ref().unwrap();
        assert_eq!(tr.initial[0][0], 100.0);
        assert_eq!(*tr.initial[0].last().unwrap(), 10.0);
        let r = run_any(&s, &mut ()).unwrap();
        let names: Vec<&str> = r.files.iter().map(|f| f.name.as_str()).collect();
        for f in [
            "fields_0000.vtr",
            "fields_0002.vtr",
            "fields.pvd",
            "currents.csv",
            "summary.json",
        ] {
            assert!(names.contains(&f), "{closure}: {f} missing from {names:?}");
        }
        let pvd = r.files.iter().find(|f| f.name == "fields.pvd").unwrap();
        let pvd = String::from_utf8_lossy(&pvd.bytes);
        assert!(
            pvd.contains("timestep=\"1e-7\"") || pvd.contains("1e-7") || pvd.contains("0.0000001"),
            "{pvd}"
        );
        let b = &r.summary["current_balance"];
        let rel = b["relative"].as_f64().unwrap();
        let largest = b["largest_current_A"].as_f64().unwrap();
        assert!(largest > 0.0, "{closure}");
        // A fixed field is not self-consistent: the domain's charge changes, so only the
        // charge balance holds; the other closures keep the total current continuous.
        if closure != "fixed_field" {
            assert!(rel < 1e-6, "{closure}: {rel}");
        }
        let q = b["worst_conduction_plus_charge_rate_A"].as_f64().unwrap();
        assert!(q < 1e-6 * largest, "{closure}: {q} vs {largest}");
        assert_eq!(r.summary["closure"], closure);
    }
}
