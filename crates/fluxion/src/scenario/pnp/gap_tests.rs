//! Tests of the PNP scenario features of issue #9's PNP gaps: sweeps under every closure,
//! the electroneutral gauge, the uniform fixed field and the outputs of transient runs.

use super::*;
use crate::constants::FARADAY;
use crate::laws::electrochem::{
    constant_field_concentration, constant_field_flux, henderson_potential, planck_single_salt,
    JunctionIon,
};
use crate::models::pnp::Pnp;
use crate::output::{node_field_npy, NodeField};
use serde_json::Value as Json;

const T: f64 = 298.15;

fn species(list: &[(&str, f64, f64)]) -> String {
    list.iter()
        .map(|(n, z, d)| {
            format!("[[species]]\nname = \"{n}\"\ncharge = {z}\ndiffusivity = \"{d:e} m^2/s\"\n")
        })
        .collect()
}

fn f64_at(v: &Json, path: &[&str]) -> f64 {
    let mut x = v;
    for p in path {
        x = &x[*p];
    }
    x.as_f64()
        .unwrap_or_else(|| panic!("{path:?} is not a number: {x}"))
}

/// A KCl bar, 100 mM (0 V) | 5 mM, swept at the 5 mM end: under every closure each point
/// of the sweep has the currents of an independent cold solve at that potential (one warm
/// `SteadySolver` for poisson and electroneutral; under fixed_field the Laplace field is
/// solved again at each point, so the current changes with the potential).
#[test]
fn sweeps_under_every_closure_match_cold_solves() {
    let volts = [0.05, -0.05, 0.0, 0.1];
    for closure in ["poisson", "electroneutral", "fixed_field"] {
        let text = format!(
            r#"model = "pnp"
closure = "{closure}"
{}
[mesh]
kind = "cartesian2d"
x = {{ from = "0 um", to = "1 um", nodes = 41, refine = ["0 um", "1 um"], h_min = "2 nm", growth = 1.2 }}
y = {{ from = "0 um", to = "0.1 um", nodes = 2 }}
[[patch]]
name = "xmin"
concentration = {{ "K+" = "100 mM", "Cl-" = "100 mM" }}
potential = "0 V"
[[patch]]
name = "xmax"
concentration = {{ "K+" = "5 mM", "Cl-" = "5 mM" }}
potential = "20 mV"
[sweep]
patch = "xmax"
potentials = ["50 mV", "-50 mV", "0 V", "100 mV"]
"#,
            species(&[("K+", 1.0, 1.957e-9), ("Cl-", -1.0, 2.032e-9)])
        );
        let s = parse_pnp(&text).unwrap_or_else(|e| panic!("{closure}: {e:?}"));
        let r = run_pnp(&s, &mut ()).unwrap();
        let sw = s.sweep.as_ref().unwrap();
        assert_eq!(sw.potentials, volts);
        let mut currents = vec![];
        for (j, &v) in volts.iter().enumerate() {
            let mut q = s.problem.clone();
            q.patches[sw.patch].potential = PotentialCondition::Potential(v);
            let cold = Pnp::with_closure(q, s.closure)
                .unwrap()
                .solve_steady(&mut ())
                .unwrap();
            for (i, name) in s.patch_names.iter().enumerate() {
                let got = r.summary["sweep"]["outward_current_A"][name][j]
                    .as_f64()
                    .unwrap();
                let want = cold.patches[i].current;
                assert!(
                    (got - want).abs() <= 1e-7 * want.abs().max(1e-9),
                    "{closure}, {v} V, {name}: sweep {got:e}, cold {want:e}"
                );
            }
            currents.push(cold.patches[sw.patch].current);
        }
        // The points differ (a stale field would repeat the first current).
        assert!(
            (currents[0] - currents[1]).abs() > 0.1 * currents[0].abs(),
            "{closure}: {currents:?}"
        );
        assert_eq!(r.summary["closure"], closure);
    }
}

/// The open-circuit liquid junction under the electroneutral closure with no potential on
/// any patch (the gauge fixes phi = 0 at one node of a reservoir): the potential difference
/// between the reservoirs is Planck's for HCl 100 mM | 10 mM (Planck 1890; Bard & Faulkner
/// 2nd ed. eq. 2.3.39) and Henderson's for NaCl | KCl at 100 mM (Henderson 1907; equal to
/// Planck's at equal totals, Lewis & Sargent 1909), and no current flows.
#[test]
fn open_circuit_junctions_without_a_potential_match_planck_and_henderson() {
    type Case = (
        &'static [(&'static str, f64, f64)],
        [f64; 3],
        [f64; 3],
        f64,
        f64,
    );
    let hcl: &[(&str, f64, f64)] = &[("H+", 1.0, 9.311e-9), ("Cl-", -1.0, 2.032e-9)];
    let bi: &[(&str, f64, f64)] = &[
        ("Na+", 1.0, 1.334e-9),
        ("K+", 1.0, 1.957e-9),
        ("Cl-", -1.0, 2.032e-9),
    ];
    let planck = planck_single_salt(1.0, -1.0, 9.311e-9, 2.032e-9, 100.0, 10.0, T).unwrap();
    let henderson = henderson_potential(
        &[
            JunctionIon {
                z: 1.0,
                d: 1.334e-9,
                c_left: 100.0,
                c_right: 0.0,
            },
            JunctionIon {
                z: 1.0,
                d: 1.957e-9,
                c_left: 0.0,
                c_right: 100.0,
            },
            JunctionIon {
                z: -1.0,
                d: 2.032e-9,
                c_left: 100.0,
                c_right: 100.0,
            },
        ],
        T,
    )
    .unwrap();
    let cases: [Case; 2] = [
        // Planck: the second-order grid error of the 1D scheme at 201 nodes, 2.1e-5
        // (examples/liquid_junction.toml). Henderson: the concentrations are linear in the
        // bi-ionic junction at equal totals, so the scheme is exact (measured 1e-13).
        (hcl, [100.0, 100.0, 0.0], [10.0, 10.0, 0.0], planck, 3e-5),
        (
            bi,
            [100.0, 0.0, 100.0],
            [0.0, 100.0, 100.0],
            henderson,
            1e-9,
        ),
    ];
    for (sp, left, right, want, tol) in cases {
        let conc = |c: [f64; 3]| {
            sp.iter()
                .zip(c)
                .map(|((n, _, _), v)| format!("\"{n}\" = \"{v} mM\""))
                .collect::<Vec<_>>()
                .join(", ")
        };
        let text = format!(
            r#"model = "pnp"
closure = "electroneutral"
{}
[mesh]
kind = "cartesian2d"
x = {{ from = "0 um", to = "100 um", nodes = 201 }}
y = {{ from = "0 um", to = "10 um", nodes = 2 }}
[[patch]]
name = "xmin"
concentration = {{ {} }}
[[patch]]
name = "xmax"
concentration = {{ {} }}
[output]
probe = [{{ name = "left", at = ["0 um", "5 um"] }}, {{ name = "right", at = ["100 um", "5 um"] }}]
"#,
            species(sp),
            conc(left),
            conc(right)
        );
        let s = parse_pnp(&text).unwrap_or_else(|e| panic!("{e:?}"));
        let r = run_pnp(&s, &mut ()).unwrap();
        let pr = &r.summary["probes"];
        let got = f64_at(pr, &["right", "potential_V"]) - f64_at(pr, &["left", "potential_V"]);
        assert!(
            (got - want).abs() < tol * want.abs(),
            "junction potential {got:e} V, law {want:e} V"
        );
        // The gauge node is on a reservoir: phi = 0 there.
        assert!(s.problem.mesh.position(0)[0] == 0.0);
        assert!(f64_at(pr, &["left", "potential_V"]).abs() < 1e-12);
        // Open circuit: every current is round-off, which the balance measures against
        // the ionic currents (no warning).
        assert!(
            r.summary["warnings"].as_array().unwrap().is_empty(),
            "{}",
            r.summary["warnings"]
        );
        assert!(r.summary["current_balance"]["relative"].as_f64().unwrap() < 1e-6);
        // Open circuit: the reservoirs carry no current.
        let scale = FARADAY * 2e-9 * 100.0 / 100e-6 * 10e-6;
        for p in ["xmin", "xmax"] {
            let i = f64_at(&r.summary["patches"][p], &["outward_current_A"]);
            assert!(i.abs() < 1e-9 * scale, "{p}: {i:e} A");
        }
    }
}

/// A closed cell (blocking walls only, no potential anywhere) under the electroneutral
/// closure relaxes from HCl 100 mM | 10 mM to the uniform mean, conserving both amounts;
/// the run writes per output time the NPY arrays, line cuts and maps, and one probe value
/// per output time, equal to the states of the time integration itself.
#[test]
fn closed_electroneutral_cell_relaxes_and_writes_every_output_per_time() {
    let text = format!(
        r#"model = "pnp"
mode = "transient"
closure = "electroneutral"
{}
[mesh]
kind = "cartesian2d"
x = {{ from = "0 um", to = "10 um", nodes = 11 }}
y = {{ from = "0 um", to = "2 um", nodes = 3 }}
[[region]]
name = "right"
shape = {{ kind = "box", lo = ["5.5 um", "0 um"], hi = ["10 um", "2 um"] }}
[transient]
end_time = "1 s"
output_times = ["1 ms", "1 s"]
[output]
formats = ["vtk", "npy", "map"]
probe = [{{ name = "origin", at = ["0 um", "0 um"] }}, {{ name = "mid", at = ["3 um", "1 um"] }}]
line = [{{ name = "axis", from = ["0 um", "1 um"], to = ["10 um", "1 um"], points = 11 }}]
"#,
        species(&[("H+", 1.0, 9.311e-9), ("Cl-", -1.0, 2.032e-9)])
    )
    .replace(
        "diffusivity = \"9.311e-9 m^2/s\"",
        "diffusivity = \"9.311e-9 m^2/s\"\ninitial = { background = \"100 mM\", right = \"10 mM\" }",
    )
    .replace(
        "diffusivity = \"2.032e-9 m^2/s\"",
        "diffusivity = \"2.032e-9 m^2/s\"\ninitial = { background = \"100 mM\", right = \"10 mM\" }",
    );
    let s = parse_pnp(&text).unwrap_or_else(|e| panic!("{e:?}"));
    let r = run_pnp(&s, &mut ()).unwrap();
    let names: Vec<&str> = r.files.iter().map(|f| f.name.as_str()).collect();
    for f in [
        "fields_0001.vtr",
        "potential_0000.npy",
        "potential_0001.npy",
        "c_H+_0001.npy",
        "c_Cl-_0000.npy",
        "line_axis_0000.csv",
        "line_axis_0001.csv",
        "map_potential_0001.png",
        "map_c_H+_0000.svg",
        "map_field_0001.png",
    ] {
        assert!(names.contains(&f), "{f} missing from {names:?}");
    }
    assert!(!names.contains(&"potential.npy"));
    // The same integration, directly: the files hold its states at the output times.
    let tr = s.transient.as_ref().unwrap();
    let sol = Pnp::with_closure(s.problem.clone(), s.closure)
        .unwrap()
        .solve_transient(&tr.initial, &tr.options, &mut ())
        .unwrap();
    let mesh = &*s.problem.mesh;
    let file = |n: &str| &r.files.iter().find(|f| f.name == n).unwrap().bytes;
    for (j, snap) in sol.snapshots.iter().enumerate() {
        let want = node_field_npy(
            mesh,
            &NodeField::scalar("c_H+", "mol/m^3", &snap.concentration[0]),
        )
        .unwrap();
        assert_eq!(file(&format!("c_H+_{j:04}.npy")), &want, "time {j}");
        let want =
            node_field_npy(mesh, &NodeField::scalar("potential", "V", &snap.potential)).unwrap();
        assert_eq!(file(&format!("potential_{j:04}.npy")), &want, "time {j}");
        // The probe at node 0 (the gauge) and the first line sample at node (0, 1 um).
        let at0 = &r.summary["probes"]["origin"];
        assert_eq!(at0["potential_V"][j].as_f64().unwrap(), 0.0);
        assert_eq!(snap.potential[0], 0.0);
        let c = at0["concentration_mol_m3"]["Cl-"][j].as_f64().unwrap();
        assert!(
            (c - snap.concentration[1][0]).abs() <= 1e-12 * c,
            "{c} vs {}",
            snap.concentration[1][0]
        );
        let node = (0..mesh.nodes())
            .find(|&i| {
                let x = mesh.position(i);
                x[0] == 0.0 && (x[1] - 1e-6).abs() < 1e-12
            })
            .unwrap();
        let csv = String::from_utf8(file(&format!("line_axis_{j:04}.csv")).clone()).unwrap();
        assert_eq!(csv.lines().count(), 12, "{csv}");
        let head: Vec<&str> = csv.lines().next().unwrap().split(',').collect();
        let row: Vec<f64> = csv
            .lines()
            .nth(1)
            .unwrap()
            .split(',')
            .map(|x| x.parse().unwrap())
            .collect();
        let col = head.iter().position(|h| h.starts_with("c_H+")).unwrap();
        let want = snap.concentration[0][node];
        assert!(
            (row[col] - want).abs() <= 1e-12 * want,
            "{} vs {want}",
            row[col]
        );
    }
    assert_eq!(
        r.summary["probes"]["mid"]["potential_V"]
            .as_array()
            .unwrap()
            .len(),
        2
    );
    // Relaxed to the mean and neutral, with the amounts kept.
    let last = sol.snapshots.last().unwrap();
    let a = &r.summary["amount"];
    for (k, sp) in ["H+", "Cl-"].iter().enumerate() {
        let (a0, a1) = (
            f64_at(a, &[sp, "initial_mol"]),
            f64_at(a, &[sp, "final_mol"]),
        );
        assert!((a1 - a0).abs() < 1e-9 * a0, "{sp}: {a0:e} -> {a1:e}");
        let mean = a0 / (10e-6 * 2e-6);
        for c in &last.concentration[k] {
            assert!((c - mean).abs() < 1e-4 * mean, "{sp}: {c} vs {mean}");
        }
    }
}

/// `[fixed_field] field` along +x on a bar with fixed concentrations at both ends: the
/// constant-field Nernst-Planck flux and profile (Goldman 1943; `constant_field_flux`,
/// `constant_field_concentration`), which the Scharfetter-Gummel scheme reproduces exactly
/// on any grid; reversing `direction` reverses the drift.
#[test]
fn uniform_fixed_field_gives_the_constant_field_flux() {
    let (len, h, e) = (1e-6, 0.2e-6, 5e4);
    for (dir, sign) in [("[1, 0]", 1.0), ("[-2, 0]", -1.0)] {
        let text = format!(
            r#"model = "pnp"
closure = "fixed_field"
{}
[mesh]
kind = "cartesian2d"
x = {{ from = "0 um", to = "1 um", nodes = 21 }}
y = {{ from = "0 um", to = "0.2 um", nodes = 3 }}
[fixed_field]
field = "50 kV/m"
direction = {dir}
[[patch]]
name = "xmin"
concentration = {{ "K+" = "10 mM", "Cl-" = "10 mM" }}
[[patch]]
name = "xmax"
concentration = {{ "K+" = "1 mM", "Cl-" = "1 mM" }}
[output]
probe = [{{ name = "mid", at = ["0.5 um", "0.1 um"] }}]
"#,
            species(&[("K+", 1.0, 1.957e-9), ("Cl-", -1.0, 2.032e-9)])
        );
        let s = parse_pnp(&text).unwrap_or_else(|e| panic!("{e:?}"));
        assert_eq!(s.uniform_field.unwrap().1[0], sign);
        let r = run_pnp(&s, &mut ()).unwrap();
        let v = sign * e * len;
        for (k, (sp, z, d)) in [("K+", 1.0, 1.957e-9), ("Cl-", -1.0, 2.032e-9)]
            .iter()
            .enumerate()
        {
            let want = constant_field_flux(*d, len, *z, 10.0, 1.0, v, T).unwrap();
            let got = f64_at(&r.summary["patches"]["xmax"], &["outward_flow_mol_s", sp]) / h;
            assert!(
                (got - want).abs() < 1e-9 * want.abs(),
                "{sp} {dir}: {got:e} vs {want:e}"
            );
            let want = constant_field_concentration(0.5e-6, len, *z, 10.0, 1.0, v, T).unwrap();
            let got = f64_at(&r.summary["probes"]["mid"], &["concentration_mol_m3", sp]);
            // The probe is a node.
            assert!(
                (got - want).abs() < 1e-9 * want,
                "{sp} {dir}: c {got} vs {want} (k {k})"
            );
        }
        assert_eq!(r.summary["fixed_field"]["field_V_m"], 5e4);
        let phi = f64_at(&r.summary["probes"]["mid"], &["potential_V"]);
        assert!((phi + sign * e * 0.5e-6).abs() < 1e-12, "{phi}");
    }
}

use super::tests::issues;

/// What the new keys refuse, with the key and the fix.
#[test]
fn sweep_in_transients_and_bad_fixed_fields_are_refused() {
    let base = format!(
        r#"model = "pnp"
{}
[mesh]
kind = "cartesian2d"
x = {{ from = "0 um", to = "1 um", nodes = 5 }}
y = {{ from = "0 um", to = "0.2 um", nodes = 2 }}
[[patch]]
name = "xmin"
concentration = {{ "K+" = "10 mM", "Cl-" = "10 mM" }}
"#,
        species(&[("K+", 1.0, 2e-9), ("Cl-", -1.0, 2e-9)])
    );
    let pot = "potential = \"0 V\"\n";
    let cases: Vec<(String, &str, &str)> = vec![
        (
            format!("mode = \"transient\"\n{base}{pot}[transient]\nend_time = \"1 s\"\n[sweep]\npatch = \"xmin\"\npotentials = [\"0 V\"]\n")
                .replace("charge = 1", "charge = 1\ninitial = \"1 mM\"")
                .replace("charge = -1", "charge = -1\ninitial = \"1 mM\""),
            "sweep",
            "needs mode = \"steady\"",
        ),
        (
            format!("{base}[fixed_field]\nfield = \"1 kV/m\"\n"),
            "fixed_field",
            "needs closure = \"fixed_field\"",
        ),
        (
            format!("closure = \"fixed_field\"\n{base}{pot}[fixed_field]\nfield = \"1 kV/m\"\n"),
            "fixed_field",
            "has a potential or surface charge",
        ),
        (
            format!("closure = \"fixed_field\"\n{base}[fixed_field]\nfield = \"1 kV/m\"\ndirection = [1, 0, 0]\n"),
            "fixed_field.direction",
            "3 numbers for a mesh with 2 axes",
        ),
        (
            format!("closure = \"fixed_field\"\n{base}[fixed_field]\nfield = \"1 kV/m\"\ndirection = [0, 0]\n"),
            "fixed_field.direction",
            "zero vector",
        ),
        (
            format!("closure = \"fixed_field\"\n{base}[fixed_field]\nfield = \"1 kV\"\n"),
            "fixed_field.field",
            "",
        ),
        (
            format!("closure = \"fixed_field\"\n{base}[fixed_field]\nfield = \"1e12 V/m\"\n"),
            "fixed_field.field",
            "beyond",
        ),
    ];
    for (text, key, msg) in cases {
        let found = issues(&text);
        assert!(
            found.iter().any(|i| i.starts_with(key) && i.contains(msg)),
            "expected {key}: ..{msg}.. in {found:?}\n{text}"
        );
    }
    // Steady electroneutral without a patch potential and without a patch that fixes every
    // charged species: the steady problem is singular (the gauge has no redundant
    // charge-balance row to replace), so it is refused with the fix; a transient is not.
    let split = format!(
        "closure = \"electroneutral\"\n{}[[patch]]\nname = \"xmax\"\nconcentration = {{ \"Cl-\" = \"10 mM\" }}\n",
        base.replace("\"K+\" = \"10 mM\", \"Cl-\" = \"10 mM\"", "\"K+\" = \"10 mM\"")
    );
    let msg = "needs one patch that fixes the concentrations of all charged species";
    let found = issues(&split);
    assert!(
        found
            .iter()
            .any(|i| i.starts_with("patch") && i.contains(msg) && i.contains("\"K+\", \"Cl-\"")),
        "{found:?}\n{split}"
    );
    let transient = format!("mode = \"transient\"\n{split}[transient]\nend_time = \"1 s\"\n")
        .replace("charge = 1", "charge = 1\ninitial = \"1 mM\"")
        .replace("charge = -1", "charge = -1\ninitial = \"1 mM\"");
    assert!(parse_pnp(&transient).is_ok(), "{transient}");
    // Without a potential, the poisson closure is still refused.
    let found = issues(&base);
    assert!(
        found
            .iter()
            .any(|i| i.contains("potential is fixed on no patch")),
        "{found:?}"
    );
}
