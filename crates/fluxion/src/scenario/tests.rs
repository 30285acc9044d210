use super::*;

const GOOD: &str = r#"
title = "test"
closure = "poisson"
temperature = "25 degC"
[domain]
length = "10 nm"
nodes = 21
[[species]]
name = "Na+"
charge = 1
diffusivity = "1.33e-9 m^2/s"
[[species]]
name = "Cl-"
charge = -1
mobility = "7.91e-8 m^2/(V s)"
[left]
potential = "25 mV"
[right]
potential = 0
concentration = { "Na+" = "100 mM", "Cl-" = "0.1 M" }
"#;

#[test]
fn a_good_scenario_parses_with_units_and_einstein_relation() {
    let s = parse(GOOD).unwrap();
    assert!((s.problem.temperature - 298.15).abs() < 1e-12);
    assert_eq!(s.problem.closure, Closure::Poisson);
    assert!((s.problem.grid.length() - 1e-8).abs() < 1e-20);
    // Einstein: D = u kT / e = 7.91e-8 * 0.025693 = 2.032e-9 m^2/s.
    assert!((s.problem.species[1].diffusivity - 2.0323e-9).abs() < 1e-12);
    assert_eq!(
        s.problem.boundaries[1].species[0],
        SpeciesBc::Concentration(100.0)
    );
    // Unlisted species are blocked.
    assert_eq!(s.problem.boundaries[0].species[1], SpeciesBc::Flux(0.0));
    assert_eq!(
        s.problem.boundaries[0].potential,
        PotentialBc::Potential(0.025)
    );
    assert!(matches!(s.mode, Mode::Steady(_)));
}

fn issues(text: &str) -> Vec<Issue> {
    parse(text).unwrap_err().issues
}

#[test]
fn unknown_keys_are_rejected_with_their_position() {
    let bad = GOOD.replace("nodes = 21", "nodes = 21\nnode_count = 3");
    let is = issues(&bad);
    assert_eq!(is.len(), 1);
    assert!(is[0].message.contains("node_count"), "{:?}", is[0]);
    let span = is[0].span.clone().unwrap();
    assert!(bad[span].contains("node_count"));
}

#[test]
fn non_physical_values_name_the_key_value_and_fix() {
    let bad = GOOD.replace("\"1.33e-9 m^2/s\"", "\"-1.33e-9 m^2/s\"");
    let is = issues(&bad);
    assert_eq!(is[0].key, "species[0].diffusivity");
    assert!(is[0].message.contains("positive"), "{}", is[0].message);
    assert!(is[0].message.contains("-1.33e-9"), "{}", is[0].message);
    let rendered = parse(&bad).unwrap_err().render(&bad, "cell.toml");
    assert!(rendered.contains("cell.toml:11:15"), "{rendered}");
}

#[test]
fn wrong_units_and_unknown_species_are_reported_together() {
    let bad = GOOD
        .replace("\"25 mV\"", "\"25 mM\"")
        .replace("\"Cl-\" = \"0.1 M\"", "\"Cl\" = \"0.1 M\"");
    let is = issues(&bad);
    assert_eq!(is.len(), 2, "{is:?}");
    assert!(is.iter().any(|i| i.key == "left.potential"));
    assert!(is
        .iter()
        .any(|i| i.message.contains("unknown species \"Cl\"")));
}

#[test]
fn missing_keys_and_closure_problems_say_what_to_add() {
    let bad = GOOD.replace("closure = \"poisson\"\n", "");
    assert!(issues(&bad)[0].message.contains("closure = \"poisson\""));
    let bad = GOOD
        .replace("potential = 0\n", "")
        .replace("potential = \"25 mV\"", "");
    let is = issues(&bad);
    assert_eq!(is[0].key, "closure");
    assert!(is[0].message.contains("fixed potential"), "{is:?}");
    // Electroneutral with non-neutral boundary values.
    let bad = GOOD
        .replace("closure = \"poisson\"", "closure = \"electroneutral\"")
        .replace("potential = \"25 mV\"", "")
        .replace("\"0.1 M\"", "\"0.2 M\"");
    let is = issues(&bad);
    assert_eq!(is[0].key, "right", "{is:?}");
    assert!(is[0].message.contains("not electroneutral"));
}

#[test]
fn transient_needs_end_time_and_initial_values() {
    let bad = GOOD.replace("title = \"test\"", "title = \"t\"\nmode = \"transient\"");
    assert!(issues(&bad)[0].message.contains("[transient]"));
    let bad = format!("{}\n[transient]\nend_time = \"1 ms\"\n", bad);
    let is = issues(&bad);
    assert!(is.iter().all(|i| i.key.ends_with(".initial")), "{is:?}");
    let good = bad
        .replace("charge = 1\n", "charge = 1\ninitial = \"100 mM\"\n")
        .replace(
            "charge = -1\n",
            "charge = -1\ninitial = { left = \"50 mM\", right = \"100 mM\" }\n",
        );
    let s = parse(&good).unwrap();
    let Mode::Transient(opts, init) = s.mode else {
        panic!()
    };
    assert_eq!(opts.end_time, 1e-3);
    assert_eq!(init[1][0], 50.0);
    assert_eq!(init[1][20], 100.0);
}
