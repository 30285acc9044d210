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
        let text = std::fs::read_to_string(&path).unwrap();
        if text.contains("model = \"electrostatics\"")
            || text.contains("model = \"magnetostatics\"")
        {
            // Static-field outputs are checked in tests/static_cli.rs.
            let _ = std::fs::remove_dir_all(&out);
            continue;
        }
        if text.contains("model = \"pnp\"") && text.contains("mode = \"transient\"") {
            // A transient: one field file per output time, the .pvd collection, currents.
            for f in ["summary.json", "fields.pvd", "currents.csv"] {
                assert!(out.join(f).is_file(), "{stem}: {f} missing");
            }
            assert!(
                out.join("fields_0000.vtr").is_file() || out.join("fields_0000.vtu").is_file(),
                "{stem}: no VTK file"
            );
            let pvd = std::fs::read_to_string(out.join("fields.pvd")).unwrap();
            assert!(pvd.contains("fields_0000."), "{stem}: {pvd}");
        } else if text.contains("model = \"pnp\"") {
            for f in ["summary.json", "potential.npy"] {
                assert!(out.join(f).is_file(), "{stem}: {f} missing");
            }
            assert!(
                out.join("fields.vtr").is_file() || out.join("fields.vtu").is_file(),
                "{stem}: no VTK file"
            );
        }
        if text.contains("model = \"pnp\"") {
            let summary: serde_json::Value =
                serde_json::from_str(&std::fs::read_to_string(out.join("summary.json")).unwrap())
                    .unwrap();
            for k in [
                "patches",
                "current_balance",
                "solver",
                "warnings",
                "wall_time_s",
            ] {
                assert!(summary.get(k).is_some(), "{stem}: summary lacks {k}");
            }
            // Maps requested by the example: every one named in the summary is written.
            if text.contains("\"map\"") {
                let maps = summary["maps"].as_array().expect("maps in the summary");
                assert!(maps.len() >= 8, "{stem}: {maps:?}");
                for m in maps {
                    let f = out.join(m.as_str().unwrap());
                    assert!(f.is_file(), "{stem}: {f:?} missing");
                }
            }
            let check = bin()
                .args(["check", path.to_str().unwrap()])
                .output()
                .unwrap();
            assert!(check.status.success(), "{stem}: check failed");
            assert!(String::from_utf8_lossy(&check.stdout).contains("ok (pnp"));
            let _ = std::fs::remove_dir_all(&out);
            continue;
        }
        let vortex = text.contains("model = \"vortex\"");
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

fn example(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join(format!("../../examples/{name}.toml"))
}

/// A scenario that fails in the solver (exit 1): the thin-layer PNP cell with one Newton
/// iteration allowed.
fn failing_scenario(dir: &Path) -> PathBuf {
    let text = std::fs::read_to_string(example("pnp_thin_layer")).unwrap()
        + "\n[solver]\nmax_iterations = 1\n";
    let path = dir.join("hard.toml");
    std::fs::write(&path, text).unwrap();
    path
}

fn run_into(scenario: &Path, out: &Path, kill_at: Option<&str>) -> std::process::Output {
    let mut c = bin();
    c.args(["run", scenario.to_str().unwrap(), "--quiet", "--out"])
        .arg(out);
    if let Some(p) = kill_at {
        c.env("FLUXION_TEST_KILL_AT", p);
    }
    c.output().unwrap()
}

/// Every file of a directory with its bytes, sorted by name.
fn contents(dir: &Path) -> Vec<(String, Vec<u8>)> {
    let mut v: Vec<(String, Vec<u8>)> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap())
        .filter(|e| e.file_type().unwrap().is_file())
        .map(|e| {
            (
                e.file_name().into_string().unwrap(),
                std::fs::read(e.path()).unwrap(),
            )
        })
        .collect();
    v.sort();
    v
}

/// The output set is consistent: no staging or commit directory, the manifest lists
/// exactly the files of the set (each with its size), and `others` are the only other files.
fn assert_consistent_set(dir: &Path, expected: &[&str], others: &[&str]) {
    let manifest = std::fs::read_to_string(dir.join(".fluxion-manifest")).unwrap();
    let mut listed: Vec<(String, usize)> = manifest
        .lines()
        .filter(|l| !l.starts_with('#'))
        .map(|l| {
            let (n, b) = l.split_once('\t').unwrap();
            (n.to_string(), b.parse().unwrap())
        })
        .collect();
    listed.sort();
    let mut names: Vec<&str> = listed.iter().map(|(n, _)| n.as_str()).collect();
    let mut want = expected.to_vec();
    want.sort();
    names.sort();
    assert_eq!(names, want, "manifest of {}", dir.display());
    for (n, b) in &listed {
        assert_eq!(
            std::fs::metadata(dir.join(n)).unwrap().len() as usize,
            *b,
            "{n}"
        );
    }
    let mut present: Vec<String> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .collect();
    present.sort();
    let mut all: Vec<String> = expected
        .iter()
        .chain(others)
        .map(|s| s.to_string())
        .chain([".fluxion-manifest".to_string()])
        .collect();
    all.sort();
    assert_eq!(present, all, "files in {}", dir.display());
}

const STEADY_SET: &[&str] = &[
    "profiles.csv",
    "summary.json",
    "profiles.png",
    "profiles.svg",
];
const TRANSIENT_ONLY: &[&str] = &[
    "timeseries.csv",
    "snapshots.csv",
    "current.png",
    "current.svg",
];

/// Issue #8: the output directory was checked only after the solve. A path that is a file,
/// or cannot be created, is refused with exit 3 before solving: the failing scenario would
/// exit 1 if it were solved first.
#[test]
fn output_dir_is_checked_before_the_solve_exit_3() {
    let dir = temp_dir("outcheck");
    let hard = failing_scenario(&dir);
    let file = dir.join("a-file");
    std::fs::write(&file, "mine").unwrap();
    for out in [file.clone(), file.join("sub")] {
        let o = run_into(&hard, &out, None);
        let err = String::from_utf8_lossy(&o.stderr);
        assert_eq!(o.status.code(), Some(3), "{}: {err}", out.display());
        assert!(err.contains(&out.display().to_string()), "{err}");
        assert!(err.contains("fix:"), "{err}");
        assert!(!err.contains("Newton"), "solved before checking: {err}");
    }
    assert_eq!(std::fs::read_to_string(&file).unwrap(), "mine");
    let _ = std::fs::remove_dir_all(&dir);
}

/// Issue #8: a failed run must leave the previous set byte-identical, with no temporaries,
/// and a run whose output directory did not exist leaves none behind.
#[test]
fn failed_run_leaves_the_previous_set_byte_identical() {
    let dir = temp_dir("keep");
    let out = dir.join("out");
    assert!(run_into(&example("ghk_membrane"), &out, None)
        .status
        .success());
    std::fs::write(out.join("notes.txt"), "my notes").unwrap();
    let before = contents(&out);
    let o = run_into(&failing_scenario(&dir), &out, None);
    assert_eq!(o.status.code(), Some(1));
    assert_eq!(contents(&out), before);
    assert_consistent_set(&out, STEADY_SET, &["notes.txt"]);
    // The failing run into a new directory creates nothing.
    let fresh = dir.join("fresh");
    assert_eq!(
        run_into(&failing_scenario(&dir), &fresh, None)
            .status
            .code(),
        Some(1)
    );
    assert!(!fresh.exists());
    let _ = std::fs::remove_dir_all(&dir);
}

/// Issue #8: a killed run must leave the previous set or the new one, never a mix, and the
/// next run cleans up. The old set is a transient run plus a user's file; the new run is
/// steady and is aborted at each point of the protocol (test hook FLUXION_TEST_KILL_AT).
/// Before the commit point the old set is byte-identical; after it the next run (even one
/// that then fails) completes the new set, and the transient-only files of the old set are
/// gone (they are listed in its manifest). The user's file is never touched.
#[test]
fn killed_run_leaves_a_complete_set_and_the_next_run_cleans_up() {
    let dir = temp_dir("kill");
    let hard = failing_scenario(&dir);
    let mut transient_set: Vec<&str> = STEADY_SET.to_vec();
    transient_set.extend(TRANSIENT_ONLY);
    for point in ["staged", "committed", "moved-one", "moved-all"] {
        let out = dir.join(point);
        assert!(run_into(&example("closed_cell"), &out, None)
            .status
            .success());
        std::fs::write(out.join("notes.txt"), "my notes").unwrap();
        assert_consistent_set(&out, &transient_set, &["notes.txt"]);
        let before = contents(&out);
        let o = run_into(&example("ghk_membrane"), &out, Some(point));
        assert_eq!(
            o.status.code(),
            Some(137),
            "{point}: the hook did not stop the run"
        );
        let leftovers: Vec<String> = std::fs::read_dir(&out)
            .unwrap()
            .map(|e| e.unwrap().file_name().into_string().unwrap())
            .filter(|n| n.starts_with(".fluxion-staging-") || n.starts_with(".fluxion-commit-"))
            .collect();
        assert_eq!(leftovers.len(), 1, "{point}: {leftovers:?}");
        if point == "staged" {
            // Before the commit point: the old set, byte for byte.
            assert_eq!(contents(&out), before, "{point}");
        }
        // The next run (here one that fails in the solver) finishes or discards what the
        // killed run left, and then leaves the set alone.
        let o = run_into(&hard, &out, None);
        assert_eq!(o.status.code(), Some(1), "{point}");
        let err = String::from_utf8_lossy(&o.stderr);
        assert!(err.contains("note: "), "{point}: {err}");
        if point == "staged" {
            assert_eq!(contents(&out), before, "{point}");
            assert_consistent_set(&out, &transient_set, &["notes.txt"]);
        } else {
            assert_consistent_set(&out, STEADY_SET, &["notes.txt"]);
        }
        assert_eq!(
            std::fs::read_to_string(out.join("notes.txt")).unwrap(),
            "my notes"
        );
        // A successful run from either state gives the steady set.
        assert!(run_into(&example("ghk_membrane"), &out, None)
            .status
            .success());
        assert_consistent_set(&out, STEADY_SET, &["notes.txt"]);
    }
    let _ = std::fs::remove_dir_all(&dir);
}

/// Issue #8: stale temporaries of killed runs were never cleaned up. A staging directory
/// planted under the name a dead process would have used is removed by the next run.
#[test]
fn stale_staging_dir_of_a_dead_run_is_removed() {
    let dir = temp_dir("stale");
    let out = dir.join("out");
    std::fs::create_dir_all(out.join(".fluxion-staging-4000000000")).unwrap();
    std::fs::write(out.join(".fluxion-staging-4000000000/profiles.csv"), "half").unwrap();
    let o = run_into(&example("ghk_membrane"), &out, None);
    assert!(o.status.success());
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(
        err.contains("removed the temporary files of an interrupted run"),
        "{err}"
    );
    assert_consistent_set(&out, STEADY_SET, &[]);
    let _ = std::fs::remove_dir_all(&dir);
}

/// Issue #8: `fluxion examples NAME --write FILE` overwrote an existing file. It refuses
/// (exit 2, naming the file and --force) and leaves the file as it was; --force replaces it.
#[test]
fn examples_write_refuses_to_overwrite_without_force() {
    let dir = temp_dir("overwrite");
    let path = dir.join("mine.toml");
    std::fs::write(&path, "my own scenario").unwrap();
    let o = bin()
        .args(["examples", "gouy_chapman", "--write"])
        .arg(&path)
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(2));
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(
        err.contains("mine.toml") && err.contains("--force"),
        "{err}"
    );
    assert_eq!(std::fs::read_to_string(&path).unwrap(), "my own scenario");
    let o = bin()
        .args(["examples", "gouy_chapman", "--force", "--write"])
        .arg(&path)
        .output()
        .unwrap();
    assert!(o.status.success());
    assert!(std::fs::read_to_string(&path)
        .unwrap()
        .contains("Gouy-Chapman"));
    let names: Vec<String> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .collect();
    assert_eq!(names, ["mine.toml"], "no temporaries");
    // Writing into a folder that does not exist is an I/O failure (exit 3).
    let o = bin()
        .args(["examples", "gouy_chapman", "--write"])
        .arg(dir.join("no/such/folder/x.toml"))
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(3));
    let _ = std::fs::remove_dir_all(&dir);
}

/// Issue #8: `fluxion calc` printed inf or NaN with exit 0 when a result overflowed or an
/// argument was outside a law's validity. Each case is exit 2, names the reason, prints
/// nothing on stdout.
#[test]
fn calc_overflow_or_invalid_argument_is_exit_2_not_inf() {
    for (args, needle) in [
        // A0 T^2 exp(-W/kT) overflows.
        (
            vec!["richardson", "W=4.54eV", "T=1e300K"],
            "the result `J` would be inf",
        ),
        // Grahame: sigma = sqrt(8 eps RT c) sinh(F psi0 / 2RT) overflows at 100 V.
        (
            vec!["grahame", "psi0=100V", "c=1mM"],
            "the result `sigma` would be inf",
        ),
        // Cottrell at t -> 0.
        (
            vec!["cottrell", "c=1mM", "D=1e-9", "t=1e-320"],
            "the result `i` would be inf",
        ),
        // ln(c_out/c_in) overflows.
        (
            vec!["nernst", "z=1", "c_out=1e300", "c_in=1e-300"],
            "the result `E` would be inf",
        ),
        // 1e999 parses to infinity.
        (vec!["debye-length", "c=1e999"], "`c`"),
        // Flux flow above B_c2 is outside the law (the sample is normal).
        (
            vec!["flux-flow", "J=1e9", "B=12T", "rho_n=1e-7", "Bc2=10T"],
            "B_c2",
        ),
    ] {
        let o = bin().arg("calc").args(&args).output().unwrap();
        let err = String::from_utf8_lossy(&o.stderr);
        assert_eq!(o.status.code(), Some(2), "{args:?}: {err}");
        assert!(err.contains(needle), "{args:?}: {err}");
        assert!(o.stdout.is_empty(), "{args:?}");
        let o = bin()
            .arg("calc")
            .args(&args)
            .arg("--json")
            .output()
            .unwrap();
        assert_eq!(o.status.code(), Some(2), "{args:?} --json");
    }
    // An output that the law leaves undefined is said so, not printed as NaN.
    let o = bin()
        .args([
            "calc",
            "ghk-potential",
            "z=1,1,-1",
            "P=1,0.04,0.45",
            "c_in=400,50,52mM",
            "c_out=20,440,0mM",
        ])
        .output()
        .unwrap();
    assert!(o.status.success());
    let text = String::from_utf8(o.stdout).unwrap();
    assert!(text.contains("E[3] = undefined"), "{text}");
    assert!(!text.contains("NaN") && !text.contains("inf"), "{text}");
}

/// Issue #8: exit codes as documented: `--help` lists 0, 1, 2 and 3, and output I/O
/// failures (previously exit 1, like a solver failure) are exit 3.
#[test]
fn exit_codes_are_documented_in_help() {
    let o = bin().arg("--help").output().unwrap();
    let help = String::from_utf8(o.stdout).unwrap();
    for needle in [
        "Exit codes",
        "0  success",
        "1  the computation failed",
        "2  bad input",
        "3  I/O failure",
    ] {
        assert!(
            help.contains(needle),
            "{needle} missing from --help:\n{help}"
        );
    }
    let readme =
        std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("../../README.md"))
            .unwrap();
    assert!(
        readme.contains("## Exit codes"),
        "README lacks the exit codes"
    );
    for code in ["| 0 |", "| 1 |", "| 2 |", "| 3 |"] {
        assert!(readme.contains(code), "README exit codes lack {code}");
    }
}

/// Issue #8: solver failures showed Rust Debug names (`MaxIterations`, `Singular(12)`)
/// instead of words.
#[test]
fn solver_failure_is_in_words_not_debug_output() {
    let dir = temp_dir("words");
    let o = run_into(&failing_scenario(&dir), &dir.join("out"), None);
    let err = String::from_utf8_lossy(&o.stderr);
    assert_eq!(o.status.code(), Some(1), "{err}");
    for debug in [
        "MaxIterations",
        "LineSearch",
        "NonFinite",
        "Singular(",
        "Some(",
        " { ",
    ] {
        assert!(!err.contains(debug), "Debug output {debug:?} in:\n{err}");
    }
    assert!(err.contains("the iteration limit was reached"), "{err}");
    // The transient stepper's message too (Cottrell with one Newton iteration per step).
    let text =
        std::fs::read_to_string(example("cottrell")).unwrap() + "\n[solver]\nmax_iterations = 1\n";
    let path = dir.join("ct.toml");
    std::fs::write(&path, text).unwrap();
    let o = run_into(&path, &dir.join("out"), None);
    let err = String::from_utf8_lossy(&o.stderr);
    assert_eq!(o.status.code(), Some(1), "{err}");
    assert!(err.contains("time stepper failed"), "{err}");
    for debug in [
        "MaxIterations",
        "LineSearch",
        "NonFinite",
        "Singular(",
        "Some(",
    ] {
        assert!(!err.contains(debug), "Debug output {debug:?} in:\n{err}");
    }
    let _ = std::fs::remove_dir_all(&dir);
}

/// Issue #8 (set replaced as a whole): two runs writing into one directory would mix their
/// sets. A staging directory that belongs to a live fluxion process (here a long `bench`
/// started by the test) makes a second run refuse with exit 3 before solving, and leaves
/// the other run's staging directory alone.
#[test]
fn run_into_a_directory_another_live_run_writes_is_refused_exit_3() {
    let dir = temp_dir("busy");
    let out = dir.join("out");
    let mut other = bin()
        .args(["bench", "--nodes", "1e4", "--repeat", "100000"])
        .stdout(std::process::Stdio::null())
        .spawn()
        .unwrap();
    let staging = out.join(format!(".fluxion-staging-{}", other.id()));
    std::fs::create_dir_all(&staging).unwrap();
    let o = run_into(&failing_scenario(&dir), &out, None);
    let _ = other.kill();
    let _ = other.wait();
    let err = String::from_utf8_lossy(&o.stderr);
    assert_eq!(o.status.code(), Some(3), "{err}");
    assert!(
        err.contains("another fluxion run") && err.contains("--out"),
        "{err}"
    );
    assert!(
        staging.is_dir(),
        "the live run's staging directory was removed"
    );
    let _ = std::fs::remove_dir_all(&dir);
}

/// Issue #8: the README referred to files that a clone does not have (`../shared/peers`).
/// Every relative link and every backticked repository path in it must exist, and nothing
/// may point outside the repository.
#[test]
fn readme_references_only_files_in_the_repository() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
    let readme = std::fs::read_to_string(root.join("README.md")).unwrap();
    let mut paths = vec![];
    // Markdown links: ](target)
    for part in readme.split("](").skip(1) {
        let target = part.split(')').next().unwrap();
        if !target.starts_with("http") && !target.starts_with('#') {
            paths.push(target.split('#').next().unwrap().to_string());
        }
    }
    // Backticked paths and paths in code blocks that start at a top-level folder.
    let top = [
        "bench/",
        "scripts/",
        "docs/",
        "examples/",
        "crates/",
        "validation/",
        ".ci/",
    ];
    for word in readme.split(|c: char| c.is_whitespace() || c == '`' || c == '(' || c == ')') {
        let word = word
            .split('#')
            .next()
            .unwrap()
            .trim_end_matches([',', '.', ':', ';']);
        if top.iter().any(|t| word.starts_with(t)) && !word.contains('<') && !word.contains('*') {
            paths.push(word.to_string());
        }
    }
    // Inline code spans (odd pieces between backticks) that leave the repository.
    for span in readme.split('`').skip(1).step_by(2) {
        assert!(
            !span.contains("../"),
            "README points outside the repository: `{span}`"
        );
    }
    assert!(paths.len() > 10, "{paths:?}");
    for p in &paths {
        assert!(
            !p.contains("../"),
            "README points outside the repository: {p}"
        );
        assert!(
            root.join(p).exists(),
            "README refers to {p}, which a clone does not have"
        );
    }
}

/// Issue #8: a tour command ran without `--out`, writing into an implicit `out/`. Every
/// `run` command in the README names its output directory.
#[test]
fn readme_every_run_command_names_out() {
    let readme =
        std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("../../README.md"))
            .unwrap();
    let runs: Vec<&str> = readme
        .lines()
        .filter(|l| l.contains("fluxion run ") || l.contains("-- run "))
        .collect();
    assert!(runs.len() >= 3, "{runs:?}");
    for l in runs {
        let command = l.split('#').next().unwrap();
        if command.contains(".toml") {
            assert!(
                command.contains("--out"),
                "README run command without --out: {l}"
            );
        }
    }
}

/// Issue #8 (documented behaviour): in a directory without a manifest fluxion cannot know
/// which files it wrote, so it deletes nothing: a `timeseries.csv` left by an older version
/// stays, files of the new set are replaced, and the manifest lists the new set only.
#[test]
fn directory_without_manifest_loses_no_file() {
    let dir = temp_dir("nomanifest");
    let out = dir.join("out");
    std::fs::create_dir_all(&out).unwrap();
    std::fs::write(out.join("timeseries.csv"), "old").unwrap();
    std::fs::write(out.join("summary.json"), "old").unwrap();
    assert!(run_into(&example("ghk_membrane"), &out, None)
        .status
        .success());
    assert_eq!(
        std::fs::read_to_string(out.join("timeseries.csv")).unwrap(),
        "old"
    );
    assert_ne!(
        std::fs::read_to_string(out.join("summary.json")).unwrap(),
        "old"
    );
    assert_consistent_set(&out, STEADY_SET, &["timeseries.csv"]);
    let _ = std::fs::remove_dir_all(&dir);
}

/// Issue #8: a real SIGKILL at an arbitrary moment (during the solve or the writing of a
/// transient run's eight files) leaves, once the next run has recovered, either the previous
/// set byte for byte or the complete new set; never a mix, never temporaries.
#[test]
fn sigkill_at_any_moment_leaves_the_old_or_the_new_set() {
    let dir = temp_dir("sigkill");
    let hard = failing_scenario(&dir);
    let mut transient_set: Vec<&str> = STEADY_SET.to_vec();
    transient_set.extend(TRANSIENT_ONLY);
    for delay_ms in [20, 150, 400, 800, 1500] {
        let out = dir.join(format!("d{delay_ms}"));
        assert!(run_into(&example("ghk_membrane"), &out, None)
            .status
            .success());
        let before = contents(&out);
        let mut child = bin()
            .args([
                "run",
                example("cottrell").to_str().unwrap(),
                "--quiet",
                "--out",
            ])
            .arg(&out)
            .spawn()
            .unwrap();
        std::thread::sleep(std::time::Duration::from_millis(delay_ms));
        let _ = child.kill();
        let _ = child.wait();
        assert_eq!(run_into(&hard, &out, None).status.code(), Some(1));
        if contents(&out) == before {
            assert_consistent_set(&out, STEADY_SET, &[]);
        } else {
            assert_consistent_set(&out, &transient_set, &[]);
        }
    }
    let _ = std::fs::remove_dir_all(&dir);
}

/// Regression (issue #8): `pins.file = "/dev/zero"` hung, reading without end; input files
/// are read up to a size limit and must be regular files (exit 2, quickly).
#[test]
fn pins_file_dev_zero_is_refused_not_read_forever() {
    let dir = temp_dir("dev-zero");
    let ex = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../examples/vortex_flux_flow.toml");
    let text = std::fs::read_to_string(ex).unwrap().replace(
        "[sweep]",
        "[pins]\nkind = \"file\"\nfile = \"/dev/zero\"\nstrength_f0 = 0.5\nradius = \"20 nm\"\n\n[sweep]",
    );
    let path = dir.join("zero.toml");
    std::fs::write(&path, text).unwrap();
    let t0 = std::time::Instant::now();
    let o = bin()
        .args(["check", path.to_str().unwrap()])
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&o.stderr);
    assert_eq!(o.status.code(), Some(2), "{err}");
    assert!(err.contains("not a regular file"), "{err}");
    assert!(t0.elapsed().as_secs() < 10);
    let _ = std::fs::remove_dir_all(&dir);
}
