//! End-to-end tests of the `fluxion` binary: every bundled example runs, bad input exits
//! with code 2 and a positioned message, solver failures exit with 1 and write nothing.

use std::path::{Path, PathBuf};
use std::process::Command;

fn bin() -> Command {
    Command::new(env!("CARGO_BIN_EXE_fluxion"))
}

fn temp_dir(name: &str) -> PathBuf {
    let d = std::env::temp_dir().join(format!("fluxion-cli-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&d);
    std::fs::create_dir_all(&d).unwrap();
    d
}

fn examples() -> Vec<PathBuf> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../examples");
    let mut v: Vec<PathBuf> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "toml"))
        .collect();
    v.sort();
    v
}

#[test]
fn every_bundled_example_runs_and_writes_its_outputs() {
    let list = bin().arg("examples").output().unwrap();
    let listing = String::from_utf8(list.stdout).unwrap();
    for path in examples() {
        let stem = path.file_stem().unwrap().to_str().unwrap().to_string();
        assert!(
            listing.contains(&stem),
            "{stem} missing from `fluxion examples`"
        );
        let out = temp_dir(&stem);
        let o = bin()
            .args(["run", path.to_str().unwrap(), "--quiet", "--out"])
            .arg(&out)
            .output()
            .unwrap();
        assert!(
            o.status.success(),
            "{stem}: {}",
            String::from_utf8_lossy(&o.stderr)
        );
        let vortex = std::fs::read_to_string(&path)
            .unwrap()
            .contains("model = \"vortex\"");
        let files: &[&str] = if vortex {
            &[
                "iv.csv",
                "iv.png",
                "iv.svg",
                "pins.csv",
                "vortices_final.csv",
                "snapshot_final.png",
                "summary.json",
            ]
        } else {
            &[
                "profiles.csv",
                "summary.json",
                "profiles.png",
                "profiles.svg",
            ]
        };
        for f in files {
            assert!(out.join(f).is_file(), "{stem}: {f} missing");
        }
        let summary: serde_json::Value =
            serde_json::from_str(&std::fs::read_to_string(out.join("summary.json")).unwrap())
                .unwrap();
        let keys: &[&str] = if vortex {
            &[
                "jc_electric_field_A_per_m2",
                "flux_flow_resistivity_bardeen_stephen_Ohm_m",
                "defect_fraction_final",
                "wall_time_s",
            ]
        } else {
            &[
                "species",
                "boundaries",
                "current_density_left",
                "current_density_right",
                "potential_drop",
                "warnings",
                "wall_time_s",
            ]
        };
        for key in keys {
            assert!(summary.get(*key).is_some(), "{stem}: summary lacks {key}");
        }
        if summary["mode"] == "transient" {
            for f in [
                "timeseries.csv",
                "snapshots.csv",
                "current.png",
                "current.svg",
            ] {
                assert!(out.join(f).is_file(), "{stem}: {f} missing");
            }
        } else if !vortex {
            assert!(summary["newton_iterations"].as_u64().unwrap() >= 1);
            assert!(summary["residual"].is_number());
        }
        // CSV header and rows have the same number of columns.
        let table = if vortex { "iv.csv" } else { "profiles.csv" };
        let csv = std::fs::read_to_string(out.join(table)).unwrap();
        let mut lines = csv.lines();
        let cols = lines.next().unwrap().split(',').count();
        assert!(lines.all(|l| l.split(',').count() == cols));
        // No temporaries left behind.
        for e in std::fs::read_dir(&out).unwrap() {
            let name = e.unwrap().file_name().into_string().unwrap();
            assert!(!name.contains(".tmp"), "{stem}: leftover {name}");
        }
        let _ = std::fs::remove_dir_all(&out);
    }
}

#[test]
fn summary_fluxes_follow_the_contract() {
    // GHK example: flux positive towards +x, current = F z J, drop = right - left.
    let out = temp_dir("contract");
    let ex = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../examples/ghk_membrane.toml");
    let o = bin()
        .args(["run", ex.to_str().unwrap(), "--quiet", "--out"])
        .arg(&out)
        .output()
        .unwrap();
    assert!(o.status.success());
    let s: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(out.join("summary.json")).unwrap()).unwrap();
    let k = &s["species"]["K+"];
    let j = k["flux_right"].as_f64().unwrap();
    assert!(j > 0.0, "K+ leaves the cell at -60 mV with 140 mM inside");
    for side in ["left", "right"] {
        let b = &s["boundaries"][side];
        let w = &b["species"]["K+"];
        // Steady planar membrane: the flux is the same at both walls.
        assert!((w["flux_mol_m2_s"].as_f64().unwrap() - j).abs() < 1e-9 * j.abs());
        let split = w["diffusive_flux_mol_m2_s"].as_f64().unwrap()
            + w["migrative_flux_mol_m2_s"].as_f64().unwrap()
            + w["advective_flux_mol_m2_s"].as_f64().unwrap();
        assert!((split - j).abs() < 1e-9 * j.abs());
    }
    assert!(
        s.get("current_density").is_none(),
        "no side-ambiguous current"
    );
    let i = s["current_density_right"].as_f64().unwrap();
    assert_eq!(
        i,
        s["boundaries"]["right"]["current_density_A_m2"]
            .as_f64()
            .unwrap()
    );
    assert!((i - 96485.33212 * j).abs() < 1e-6 * i.abs());
    assert!((s["potential_drop"].as_f64().unwrap() - 0.06).abs() < 1e-12);
    let _ = std::fs::remove_dir_all(&out);
}

#[test]
fn bad_scenarios_exit_with_2_and_point_at_the_problem() {
    let dir = temp_dir("bad");
    let good = std::fs::read_to_string(
        Path::new(env!("CARGO_MANIFEST_DIR")).join("../../examples/gouy_chapman.toml"),
    )
    .unwrap();
    let cases = [
        (
            good.replace("nodes = 600", "nodes = 600\nnodez = 3"),
            "nodez",
        ),
        (
            good.replace("\"1.334e-9 m^2/s\"", "\"-1.334e-9 m^2/s\""),
            "species[0].diffusivity",
        ),
        (good.replace("\"50 mV\"", "\"50 mM\""), "left.potential"),
        (good.replace("\"30 nm\"", "\"30 nmm\""), "domain.length"),
        (
            good.replace("closure = \"poisson\"", "closure = \"poison\""),
            "\"poisson\"",
        ),
        (
            good.replace("[left]", "[left]\ncurrent = \"1 A/m^2\""),
            "at most one",
        ),
        (
            good.replace("potential = \"0 V\"", "")
                .replace("potential = \"50 mV\"", ""),
            "fixed potential",
        ),
        (good.replace("= 78.5", "= [1, 2]"), "permittivity"),
        ("closure = \n".to_string(), "cell.toml:1"),
    ];
    for (i, (text, needle)) in cases.iter().enumerate() {
        let path = dir.join("cell.toml");
        std::fs::write(&path, text).unwrap();
        let out = dir.join(format!("out{i}"));
        let o = bin()
            .args(["run", path.to_str().unwrap(), "--out"])
            .arg(&out)
            .output()
            .unwrap();
        let err = String::from_utf8_lossy(&o.stderr);
        assert_eq!(o.status.code(), Some(2), "case {i}: {err}");
        assert!(
            err.contains(needle),
            "case {i}: expected {needle:?} in:\n{err}"
        );
        assert!(
            err.contains("cell.toml"),
            "case {i}: no position in:\n{err}"
        );
        assert!(!out.exists(), "case {i}: output written for bad input");
        let c = bin()
            .args(["check", path.to_str().unwrap()])
            .output()
            .unwrap();
        assert_eq!(c.status.code(), Some(2));
    }
    let o = bin().args(["run", "does/not/exist.toml"]).output().unwrap();
    assert_eq!(o.status.code(), Some(2));
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn solver_failure_exits_with_1_says_where_and_writes_nothing() {
    let dir = temp_dir("fail");
    let text = std::fs::read_to_string(
        Path::new(env!("CARGO_MANIFEST_DIR")).join("../../examples/pnp_thin_layer.toml"),
    )
    .unwrap()
        + "\n[solver]\nmax_iterations = 1\n";
    let path = dir.join("hard.toml");
    std::fs::write(&path, text).unwrap();
    let out = dir.join("out");
    let o = bin()
        .args(["run", path.to_str().unwrap(), "--out"])
        .arg(&out)
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&o.stderr);
    assert_eq!(o.status.code(), Some(1), "{err}");
    assert!(err.contains("Newton stalled at"), "{err}");
    assert!(err.contains("Try:"), "{err}");
    assert!(!out.exists());
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn examples_can_be_written_out_and_checked() {
    let dir = temp_dir("examples");
    let path = dir.join("gc.toml");
    let o = bin()
        .args(["examples", "gouy_chapman", "--write"])
        .arg(&path)
        .output()
        .unwrap();
    assert!(o.status.success());
    let c = bin()
        .args(["check", path.to_str().unwrap()])
        .output()
        .unwrap();
    assert!(c.status.success());
    assert!(String::from_utf8_lossy(&c.stdout).contains("ok"));
    let o = bin().args(["examples", "nope"]).output().unwrap();
    assert_eq!(o.status.code(), Some(2));
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn calc_evaluates_laws_with_units_and_json() {
    // Nernst potential of K+ at 37 degC (140 mM in, 5 mM out): -89.06 mV.
    let o = bin()
        .args([
            "calc",
            "nernst",
            "z=1",
            "c_out=5mM",
            "c_in=140 mM",
            "T=37degC",
        ])
        .output()
        .unwrap();
    assert!(o.status.success());
    let text = String::from_utf8(o.stdout).unwrap();
    assert!(text.contains("E = -89.0587 mV"), "{text}");
    // JSON for scripts: SI values with unit names.
    let o = bin()
        .args([
            "calc",
            "ghk-potential",
            "z=1,1,-1",
            "P=1,0.04,0.45",
            "c_in=400,50,52mM",
            "c_out=20,440,560mM",
            "T=20degC",
            "--json",
        ])
        .output()
        .unwrap();
    assert!(o.status.success());
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    let volts = v["outputs"]["V"]["value"].as_f64().unwrap();
    assert!((volts + 0.0599).abs() < 1e-4, "{volts}");
    assert_eq!(v["outputs"]["V"]["unit"], "V");
    assert_eq!(v["inputs"]["T"]["value"].as_f64().unwrap(), 293.15);
}

#[test]
fn calc_lists_and_describes_laws() {
    let o = bin().args(["calc", "--list"]).output().unwrap();
    let text = String::from_utf8(o.stdout).unwrap();
    for law in [
        "nernst",
        "ghk-potential",
        "debye-length",
        "henderson",
        "cottrell",
        "flux-flow",
    ] {
        assert!(text.contains(law), "{law} missing from --list");
    }
    let o = bin().args(["calc", "grahame", "--help"]).output().unwrap();
    assert!(o.status.success());
    let text = String::from_utf8(o.stdout).unwrap();
    assert!(
        text.contains("sinh")
            && text.contains("salt concentration (mol/m^3)")
            && text.contains("Grahame (1947)"),
        "{text}"
    );
}

#[test]
fn calc_bad_input_exits_with_2_and_names_the_parameter() {
    for (args, needle) in [
        (
            vec!["nernst", "z=1", "c_out=5mM", "c_in=0mM"],
            "`c_in` = 0 mol/m^3",
        ),
        (
            vec!["nernst", "z=1", "c_out=5mV", "c_in=1mM"],
            "parameter `c_out`",
        ),
        (vec!["nernst", "z=1", "c_out=5mM"], "needs parameter `c_in`"),
        (
            vec!["nernst", "z=1", "c_out=5mM", "c_in=1mM", "T=-300degC"],
            "`T` = -26.85 K",
        ),
        (vec!["nerst"], "did you mean `nernst`"),
        (vec!["nernst", "z"], "name=value"),
    ] {
        let o = bin().arg("calc").args(&args).output().unwrap();
        assert_eq!(o.status.code(), Some(2), "{args:?}");
        let err = String::from_utf8(o.stderr).unwrap();
        assert!(err.contains(needle), "{args:?}: {err}");
        assert!(o.stdout.is_empty());
    }
}

#[test]
fn laws_reference_lists_every_law() {
    let doc =
        std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("../../docs/laws.md"))
            .unwrap();
    let o = bin().args(["calc", "--list"]).output().unwrap();
    let list = String::from_utf8(o.stdout).unwrap();
    for law in list
        .lines()
        .filter(|l| l.starts_with("  "))
        .filter_map(|l| l.split_whitespace().next())
    {
        assert!(
            doc.contains(&format!("## {law}\n")),
            "docs/laws.md lacks {law}: run scripts/gen-laws-doc.sh"
        );
    }
}

#[test]
fn vortex_runs_are_reproducible_and_pins_can_come_from_a_file() {
    let dir = temp_dir("vortex-file");
    std::fs::write(
        dir.join("pins.csv"),
        "# pin positions\nx_nm,y_nm\n100,200\n1500,900\n2500,2500\n",
    )
    .unwrap();
    // Thermal noise on (a thin film at 20 K) and enough vortices for the parallel code paths.
    let scen = include_str!("../../../examples/vortex_flux_flow.toml")
        .replace(
            "[sweep]",
            "[pins]\nkind = \"file\"\nfile = \"pins.csv\"\nstrength_f0 = 0.5\nradius = \"20 nm\"\n\n[sweep]",
        )
        .replace("temperature = \"0 K\"", "temperature = \"20 K\"")
        .replace("thickness = \"1 um\"", "thickness = \"2 nm\"")
        .replace("vortices = 200", "vortices = 1200");
    std::fs::write(dir.join("v.toml"), &scen).unwrap();
    let mut outs = vec![];
    for (k, threads) in ["1", "2", "2"].iter().enumerate() {
        let out = dir.join(format!("out{k}"));
        let o = bin()
            .args(["run", "v.toml", "--quiet", "--out"])
            .arg(&out)
            .current_dir(&dir)
            .env("RAYON_NUM_THREADS", threads)
            .output()
            .unwrap();
        assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
        outs.push(std::fs::read_to_string(out.join("iv.csv")).unwrap());
        let pins = std::fs::read_to_string(out.join("pins.csv")).unwrap();
        assert_eq!(pins.lines().count(), 4, "{pins}");
    }
    // Same seed: the same numbers, bit for bit, on one thread or two.
    assert_eq!(outs[0], outs[1]);
    assert_eq!(outs[1], outs[2]);
    // The noise is really on: the transverse velocity is not zero.
    let row = outs[0].lines().nth(1).unwrap();
    let v_perp: f64 = row.split(',').nth(5).unwrap().parse().unwrap();
    assert!(v_perp != 0.0, "{row}");
    // A bad pins file is a positioned input error (exit 2).
    std::fs::write(dir.join("pins.csv"), "x,y\n1,2\n").unwrap();
    let o = bin()
        .args(["check", "v.toml"])
        .current_dir(&dir)
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(2));
    let err = String::from_utf8(o.stderr).unwrap();
    assert!(
        err.contains("pins.file") && err.contains("x_nm,y_nm"),
        "{err}"
    );
}

#[test]
fn vortex_bad_input_names_the_key() {
    let dir = temp_dir("vortex-bad");
    let base = include_str!("../../../examples/vortex_flux_flow.toml");
    for (from, to, needle) in [
        ("xi = \"10 nm\"", "xi = \"-10 nm\"", "material.xi"),
        ("field = \"0.1 T\"", "field = \"5 T\"", "below B_c2"),
        ("vortices = 200", "vortices = 20", "interaction reach"),
        ("equilibrate = 100", "equilibrate = -3", "sweep.equilibrate"),
    ] {
        std::fs::write(dir.join("v.toml"), base.replace(from, to)).unwrap();
        let o = bin()
            .args(["check", "v.toml"])
            .current_dir(&dir)
            .output()
            .unwrap();
        assert_eq!(o.status.code(), Some(2), "{to}");
        let err = String::from_utf8(o.stderr).unwrap();
        assert!(err.contains(needle), "{to}: {err}");
    }
}
