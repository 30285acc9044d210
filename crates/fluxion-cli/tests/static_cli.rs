//! `fluxion check` and `fluxion run` on static-field scenarios: the output set, the summary
//! contract and the exit codes.

use std::path::{Path, PathBuf};
use std::process::Command;

fn bin() -> Command {
    Command::new(env!("CARGO_BIN_EXE_fluxion"))
}

fn temp_dir(name: &str) -> PathBuf {
    let d = std::env::temp_dir().join(format!("fluxion-static-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&d);
    d
}

fn example(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join(format!("../../examples/{name}.toml"))
}

/// Every static example runs and writes its set; the summary has the keys the docs promise.
#[test]
fn static_examples_run_and_write_their_outputs() {
    for (name, files, flux) in [
        (
            "dielectric_cylinder",
            &[
                "fields.vtr",
                "potential.npy",
                "field.npy",
                "line_x_axis.csv",
            ][..],
            "outward_flux_C",
        ),
        (
            "magnetized_sphere",
            &["fields.vtr", "potential.npy", "line_z_axis.csv"][..],
            "outward_flux_Wb",
        ),
        (
            "born_ion",
            &["fields.vtr", "line_radial.csv"][..],
            "outward_flux_C",
        ),
    ] {
        let out = temp_dir(name);
        let o = bin()
            .args(["run", example(name).to_str().unwrap(), "--out"])
            .arg(&out)
            .output()
            .unwrap();
        assert!(
            o.status.success(),
            "{name}: {}",
            String::from_utf8_lossy(&o.stderr)
        );
        let stdout = String::from_utf8_lossy(&o.stdout);
        assert!(stdout.contains("energy"), "{stdout}");
        for f in files.iter().chain(&["summary.json"]) {
            assert!(out.join(f).is_file(), "{name}: {f} missing");
        }
        let s: serde_json::Value =
            serde_json::from_str(&std::fs::read_to_string(out.join("summary.json")).unwrap())
                .unwrap();
        for key in [
            "model",
            "mesh",
            "solver",
            "energy_J",
            "patches",
            "capacitance_F",
            "warnings",
        ] {
            assert!(s.get(key).is_some(), "{name}: summary lacks {key}");
        }
        for (pname, p) in s["patches"].as_object().unwrap() {
            assert!(p[flux].is_number(), "{name}: patch {pname} lacks {flux}");
        }
        // A line cut has a header and as many columns in every row.
        let csv = std::fs::read_to_string(out.join(files.last().unwrap())).unwrap();
        let mut lines = csv.lines();
        let cols = lines.next().unwrap().split(',').count();
        assert!(cols >= 3 && lines.all(|l| l.split(',').count() == cols));
        let c = bin()
            .args(["check", example(name).to_str().unwrap()])
            .output()
            .unwrap();
        assert!(c.status.success());
        assert!(String::from_utf8_lossy(&c.stdout).contains(": ok ("));
        let _ = std::fs::remove_dir_all(&out);
    }
}

/// Bad input is exit 2 with the key and position; nothing is written.
#[test]
fn bad_static_scenarios_exit_with_2_and_point_at_the_key() {
    let dir = temp_dir("bad");
    std::fs::create_dir_all(&dir).unwrap();
    let text = std::fs::read_to_string(example("magnetized_sphere"))
        .unwrap()
        .replace(
            "magnetization = [0, \"1e6 A/m\"]",
            "current_density = \"1e6 A/m^2\"",
        );
    let path = dir.join("wire.toml");
    std::fs::write(&path, &text).unwrap();
    let out = dir.join("out");
    let o = bin()
        .args(["run", path.to_str().unwrap(), "--out"])
        .arg(&out)
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(2));
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(
        err.contains("region[0].current_density") && err.contains("J_free = 0"),
        "{err}"
    );
    assert!(err.contains("wire.toml:"), "{err}");
    assert!(!out.exists());
    let o = bin()
        .args(["check", path.to_str().unwrap()])
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(2));
    let _ = std::fs::remove_dir_all(&dir);
}
