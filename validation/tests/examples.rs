//! Every bundled example, run as `fluxion run` runs it (parse, validate, solve, summarize),
//! against one cited reference value read from its `summary.json`. A new example needs a row
//! here (the last test fails otherwise), so no example can drift from what it claims.

use fluxion::constants::{thermal_voltage, FARADAY};
use fluxion::laws::{electrochem, electrode};
use fluxion::scenario::{self, AnyScenario};
use serde_json::Value;

/// One example and the number that validates it.
struct Row {
    /// File stem in `examples/`.
    name: &'static str,
    /// JSON pointer into `summary.json`.
    pointer: &'static str,
    /// The reference value, computed from the cited law.
    reference: fn() -> f64,
    /// Relative tolerance.
    tol: f64,
    /// Where the reference comes from.
    source: &'static str,
}

const T: f64 = 298.15;

fn table() -> Vec<Row> {
    vec![
        Row {
            name: "ghk_membrane",
            pointer: "/boundaries/left/species/K+/flux_mol_m2_s",
            // Constant-field flux, D = 1e-12 m^2/s, L = 5 nm, 140 | 5 mM, V = phi(0) - phi(L) = -60 mV.
            reference: || {
                electrochem::constant_field_flux(1e-12, 5e-9, 1.0, 140.0, 5.0, -0.06, T).unwrap()
            },
            tol: 1e-9,
            source: "Goldman (1943), Hodgkin & Katz (1949): constant-field flux",
        },
        Row {
            name: "gouy_chapman",
            pointer: "/boundaries/left/surface_charge_C_m2",
            reference: || electrochem::grahame_charge(0.05, 100.0, 1.0, 78.5, T).unwrap(),
            tol: 1e-4,
            source: "Grahame, Chem. Rev. 41, 441 (1947)",
        },
        Row {
            name: "gouy_chapman",
            pointer: "/boundaries/left/differential_capacitance_F_m2",
            reference: || {
                let ld = electrochem::debye_length(&[1.0, -1.0], &[100.0, 100.0], 78.5, T).unwrap();
                78.5 * fluxion::constants::VACUUM_PERMITTIVITY / ld
                    * (0.05 / (2.0 * thermal_voltage(T))).cosh()
            },
            tol: 1e-4,
            source: "Gouy-Chapman capacitance, Bard & Faulkner 2nd ed. eq. 13.3.24",
        },
        Row {
            name: "liquid_junction",
            pointer: "/potential_drop",
            reference: || {
                electrochem::planck_single_salt(1.0, -1.0, 9.311e-9, 2.032e-9, 100.0, 10.0, T)
                    .unwrap()
            },
            // Second-order grid error at 201 nodes: 2.1e-5.
            tol: 3e-5,
            source: "Planck (1890) single-salt junction, +37.96 mV",
        },
        Row {
            name: "biionic_junction",
            pointer: "/potential_drop",
            reference: || {
                -thermal_voltage(T) * ((1.957e-9 + 2.032e-9) / (1.334e-9 + 2.032e-9_f64)).ln()
            },
            tol: 1e-6,
            source: "Lewis & Sargent (1909): Henderson = Planck at equal totals, -4.36 mV",
        },
        Row {
            name: "iodide_anode",
            pointer: "/boundaries/left/species/I-/flux_mol_m2_s",
            reference: || -2.0 * 2.045e-9 * (10.0 - 1.0) / 1e-4,
            tol: 1e-4,
            source: "seed 001 / Newman binary salt: J = -2 D (c_b - c_s) / L",
        },
        Row {
            name: "iodide_supported",
            pointer: "/boundaries/left/species/I-/flux_mol_m2_s",
            reference: || -2.045e-9 * (1.0 - 0.1) / 1e-4,
            tol: 1e-2,
            source: "Fick's law with 100x support (migration below 1%), seed 002",
        },
        Row {
            name: "limiting_current",
            pointer: "/current_density_left",
            reference: || {
                -electrode::limiting_current_binary(1.0, 1.0, -1.0, 10.0 - 0.01, 1.648e-9, 1e-4)
                    .unwrap()
            },
            tol: 2e-4,
            source: "Newman, Electrochemical Systems 3rd ed. sec. 19.4: i = 2 F D c / L",
        },
        Row {
            name: "cottrell",
            pointer: "/current_density_left",
            reference: || -electrode::cottrell_current(1.0, 1.0, 1e-9, 1.0).unwrap(),
            tol: 5e-3,
            source: "Cottrell (1903), Bard & Faulkner eq. 5.2.11, at t = 1 s",
        },
        Row {
            name: "cottrell_spherical",
            pointer: "/current_density_left",
            reference: || {
                -electrode::cottrell_spherical_current(1.0, 1.0, 1e-9, 100.0, 5e-6).unwrap()
            },
            tol: 5e-3,
            source: "spherical electrode, Bard & Faulkner eq. 5.2.20, at t = 100 s",
        },
        Row {
            name: "pnp_thin_layer",
            pointer: "/boundaries/left/species/n/concentration_mol_m3",
            reference: || 5.0 * (1.02772 / thermal_voltage(T)).exp(),
            tol: 1e-6,
            source: "Boltzmann distribution at a blocking wall in equilibrium, 5 mM e^40",
        },
        Row {
            name: "closed_cell",
            pointer: "/species/Na+/amount_final",
            // The initial amount: the step profile integrated on the grid (summary value).
            reference: || f64::NAN,
            tol: 1e-12,
            source: "conservation: a closed cell keeps its initial amount",
        },
        Row {
            name: "vortex_flux_flow",
            pointer: "/flux_flow_ratio",
            reference: || 1.0,
            tol: 1e-6,
            source: "Bardeen & Stephen, Phys. Rev. 140, A1197 (1965): rho_ff = rho_n B / B_c2",
        },
        Row {
            name: "vortex_matching",
            pointer: "/jc_electric_field_A_per_m2",
            // Every vortex on a pin: the lattice depins rigidly at J = f_p / Phi0 (0.5 f0).
            reference: || {
                0.5 * fluxion::laws::superconductor::vortex_force_unit(200e-9).unwrap()
                    / fluxion::constants::FLUX_QUANTUM
            },
            // The sweep (steps of 2e9 A/m^2) puts the criterion crossing within 3% of it.
            tol: 3e-2,
            source: "matching field: J_c = f_p / Phi0 (Harada et al., Science 274, 1167 (1996))",
        },
        Row {
            name: "vortex_random_pins",
            pointer: "/flux_flow_ratio",
            reference: || 1.0,
            tol: 2e-2,
            source:
                "high-drive limit of E = rho_f J - b/J is Bardeen-Stephen (Schmid & Hauger 1973)",
        },
        Row {
            name: "dielectric_cylinder",
            pointer: "/probes/centre/field_V_m/0",
            // E0 = 1e5 V/m, eps_i = 4, eps_o = 1: 0.4 E0. Measured 4.0e-3 above it at
            // h_min = a/40: two-point fluxes at a curved interface are first order.
            reference: || 2.0 * 1.0 / (4.0 + 1.0) * 1e5,
            tol: 5e-3,
            source: "Jackson 3rd ed. problem 4.10, Landau & Lifshitz ECM sec. 3: 2 eps_o/(eps_i + eps_o) E0",
        },
        Row {
            name: "dielectric_sphere_rz",
            pointer: "/probes/centre/field_V_m/1",
            // 0.5 E0; measured 6.0e-3 above it at h_min = a/40 (first order at the interface).
            reference: || 3.0 * 1.0 / (4.0 + 2.0 * 1.0) * 1e5,
            tol: 7e-3,
            source: "Jackson 3rd ed. sec. 4.4: 3 eps_o/(eps_i + 2 eps_o) E0",
        },
        Row {
            name: "magnetized_sphere",
            pointer: "/probes/centre/B_T/1",
            // M = 1e6 A/m; measured 2.4e-3 above (2/3) mu0 M at h_min = a/40.
            reference: || 2.0 / 3.0 * fluxion::constants::VACUUM_PERMEABILITY * 1e6,
            tol: 3e-3,
            source: "Jackson 3rd ed. sec. 5.10: B_in = (2/3) mu0 M",
        },
        Row {
            name: "magnetized_sphere",
            pointer: "/probes/centre/field_A_m/1",
            // Measured 4.9e-3 below M/3 in magnitude at h_min = a/40.
            reference: || -1e6 / 3.0,
            tol: 6e-3,
            source: "Jackson 3rd ed. sec. 5.10: H_in = -M/3",
        },
        Row {
            name: "born_ion",
            pointer: "/vacuum_reference/energy_difference_kJ_per_mol",
            // -228.6 kJ/mol; measured 2.8e-4 from it (a/R = 3e-5 of it lies beyond R).
            reference: || {
                let (e, a) = (fluxion::constants::ELEMENTARY_CHARGE, 3e-10);
                -(e * e * fluxion::constants::AVOGADRO
                    / (8.0 * std::f64::consts::PI * fluxion::constants::VACUUM_PERMITTIVITY * a))
                    * (1.0 - 1.0 / 78.5)
                    / 1e3
            },
            tol: 5e-4,
            source: "Born, Z. Phys. 1, 45 (1920): -(e^2 N_A/(8 pi eps0 a))(1 - 1/eps)",
        },
        Row {
            name: "charged_shell",
            pointer: "/probes/centre/potential_V",
            // sigma R / eps0 = 11.294 V; measured 1.7e-3 below it at h = R/30.
            reference: || 1e-4 * 1e-6 / fluxion::constants::VACUUM_PERMITTIVITY,
            tol: 2.5e-3,
            source: "Gauss, Jackson 3rd ed. sec. 1.3: constant potential Q/(4 pi eps0 R) inside a shell",
        },
        Row {
            name: "charged_shell",
            pointer: "/probes/outside/field_V_m/1",
            // Q/(4 pi eps0 r^2) at r = 2R; measured 6.0e-4 below it at h = R/30.
            reference: || 1e-4 * 1e-12 / (fluxion::constants::VACUUM_PERMITTIVITY * 4e-12),
            tol: 1e-3,
            source: "Gauss, Jackson 3rd ed. sec. 1.3: E = Q/(4 pi eps0 r^2) outside a charged shell",
        },
        Row {
            name: "nanochannel_surface_conduction",
            pointer: "/patches/zmin/outward_current_A",
            // Bulk plus Gouy-Chapman excess conductance at 10 mV; measured 3.6e-4 above it
            // (the concave wall holds slightly more counter-ions than a flat one).
            reference: || nanochannel_conductance() * 0.01,
            tol: 1e-3,
            source: "Bikerman, Kolloid-Z. 72, 100 (1935): surface conductance of the diffuse layer",
        },
        Row {
            name: "nanochannel_surface_conduction",
            pointer: "/probes/wall/concentration_mol_m3/K+",
            // Boltzmann counter-ion at the Grahame wall potential; measured 4.4e-3 above.
            reference: || 100.0 * nanochannel_wall_potential().exp(),
            tol: 8e-3,
            source: "Grahame, Chem. Rev. 41, 441 (1947): sigma = sqrt(8 eps RT c) sinh(psi_0/2)",
        },
        Row {
            name: "nanochannel_surface_conduction",
            pointer: "/sweep/rectification/0/ratio",
            // An ohmic channel: |I(+10 mV)| / |I(-10 mV)| = 1 to second order in V.
            reference: || 1.0,
            tol: 1e-4,
            source: "linear response (Onsager): a symmetric channel does not rectify",
        },
        Row {
            name: "cottrell_disk_rz",
            pointer: "/patches/zmin/conduction_current_A",
            // n F A c sqrt(D / (pi t)) at t = 1 s, A = pi (50 um)^2, c = 1 mM, D = 1e-9 m^2/s.
            reference: || {
                let pi = std::f64::consts::PI;
                FARADAY * pi * 50e-6 * 50e-6 * 1.0 * (1e-9 / pi).sqrt()
            },
            tol: 2e-3,
            source: "Cottrell (1903); Bard & Faulkner 2nd ed. eq. 5.2.11",
        },
        Row {
            name: "dielectric_cylinder_delaunay",
            pointer: "/probes/centre/field_V_m/0",
            // 0.4 E0 on a boundary-conforming Delaunay mesh: second order at the interface.
            reference: || 2.0 * 1.0 / (4.0 + 1.0) * 1e5,
            // Measured 2.5e-4 above at h_surface = a/32 (tensor grid: 4.0e-3 at a/40).
            tol: 4e-4,
            source: "Jackson 3rd ed. problem 4.10: 2 eps_o/(eps_i + eps_o) E0",
        },
        Row {
            name: "magnetized_cylinder",
            pointer: "/probes/centre/field_A_m/0",
            reference: || -1e6 / 2.0,
            // Measured 4.0e-4 at h_surface = a/32.
            tol: 6e-4,
            source: "Jackson 3rd ed. sec. 5.10: H_in = -M/2 across a cylinder (demagnetizing factor 1/2)",
        },
        Row {
            name: "magnetized_cylinder",
            pointer: "/probes/centre/B_T/0",
            reference: || fluxion::constants::VACUUM_PERMEABILITY * 1e6 / 2.0,
            // Measured 4.0e-4 at h_surface = a/32.
            tol: 6e-4,
            source: "Jackson 3rd ed. sec. 5.10: B_in = mu0 M/2 across a cylinder",
        },
        Row {
            name: "permeable_sphere_rz",
            pointer: "/probes/centre/field_A_m/1",
            reference: || 3.0 / (10.0 + 2.0) * 1e3,
            // Measured 7.3e-4 at h_surface = a/32.
            tol: 1e-3,
            source: "Jackson 3rd ed. sec. 5.12 eq. 5.115: H_in = 3/(mu_r + 2) H0",
        },
        Row {
            name: "floating_conductors_rz",
            pointer: "/conductors/core/potential_V",
            // Q/(4 pi eps0) (1/a - 1/b1 + 1/b2 - 1/c); measured 5.1e-4 below (h_surface = a/20).
            reference: || 1e-15 / (4.0 * std::f64::consts::PI * fluxion::constants::VACUUM_PERMITTIVITY) * 1e6 * (1.0 - 0.5 + 0.4 - 1.0 / 3.5),
            tol: 1e-3,
            source: "Gauss, Jackson 3rd ed. sec. 1.13: potentials of conductors with given charges",
        },
        Row {
            name: "floating_conductors_rz",
            pointer: "/conductors/shell/potential_V",
            // Q/(4 pi eps0) (1/b2 - 1/c) of the uncharged floating shell; measured 7.8e-4 below.
            reference: || 1e-15 / (4.0 * std::f64::consts::PI * fluxion::constants::VACUUM_PERMITTIVITY) * 1e6 * (0.4 - 1.0 / 3.5),
            tol: 1.5e-3,
            source: "Gauss, Jackson 3rd ed. sec. 1.13: an uncharged shell floats at the potential of its outer face",
        },
        Row {
            name: "charged_shell_3d",
            pointer: "/probes/centre/potential_V",
            reference: || 1e-4 * 1e-6 / fluxion::constants::VACUUM_PERMITTIVITY,
            // Measured 6.1e-3 below at h = R/10 (cut cells, first order).
            tol: 8e-3,
            source: "Gauss, Jackson 3rd ed. sec. 1.3: constant potential Q/(4 pi eps0 R) inside a shell",
        },
        Row {
            name: "charged_shell_3d",
            pointer: "/probes/outside/field_V_m/2",
            reference: || 1e-4 * 1e-12 / (fluxion::constants::VACUUM_PERMITTIVITY * 4e-12),
            // Measured 1.0e-4 at h = R/10.
            tol: 2e-4,
            source: "Gauss, Jackson 3rd ed. sec. 1.3: E = Q/(4 pi eps0 r^2) outside a charged shell",
        },
        Row {
            name: "conical_nanopore",
            pointer: "/patches/base_reservoir/outward_current_A",
            // Ohmic cone + Hall access resistances at 100 mV; the estimate is 0.2% above the
            // converged conductance (validation/tests/nanopore.rs), measured 1.4e-3 below.
            reference: || conical_nanopore_conductance() * 0.1,
            tol: 4e-3,
            source: "Hall, J. Gen. Physiol. 66, 531 (1975): access resistance 1/(4 kappa a); cone L/(kappa pi r_t r_b)",
        },
        Row {
            name: "conical_nanopore",
            pointer: "/sweep/rectification/0/ratio",
            // Uncharged: linear, so |I(+V)| = |I(-V)|.
            reference: || 1.0,
            tol: 1e-6,
            source: "linear response: an uncharged pore does not rectify",
        },
        Row {
            name: "cottrell_sphere_rz",
            pointer: "/patches/electrode_surface/conduction_current_A",
            // n F A D c (1/sqrt(pi D t) + 1/r0) at t = 0.1 s, r0 = 5 um, A = 4 pi r0^2;
            // measured 6.0e-3 above (second order in the edge length: pnp_sphere.rs).
            reference: || {
                let a = 4.0 * std::f64::consts::PI * 25e-12;
                a * electrode::cottrell_spherical_current(1.0, 1.0, 1e-9, 0.1, 5e-6).unwrap()
            },
            tol: 7e-3,
            source: "Bard & Faulkner 2nd ed. eq. 5.2.19 (spherical electrode after a potential step)",
        },
        Row {
            name: "open_circuit_junction",
            pointer: "/probes/kcl/potential_V",
            // The gauge puts phi = 0 at the HCl reservoir.
            reference: || {
                let ion = |z, d, c_left, c_right| electrochem::JunctionIon { z, d, c_left, c_right };
                electrochem::henderson_potential(
                    &[
                        ion(1.0, 9.311e-9, 100.0, 0.0),
                        ion(1.0, 1.957e-9, 0.0, 100.0),
                        ion(-1.0, 2.032e-9, 100.0, 100.0),
                    ],
                    T,
                )
                .unwrap()
            },
            tol: 1e-9,
            source: "Henderson (1907) = Planck at equal totals (Lewis & Sargent 1909), +26.85 mV",
        },
        Row {
            name: "uniform_field_drift",
            pointer: "/patches/xmax/outward_flow_mol_s/K+",
            // J through 0.2 um of patch per metre of depth; phi(0) - phi(L) = E L = 50 mV.
            reference: || {
                0.2e-6
                    * electrochem::constant_field_flux(1.957e-9, 1e-6, 1.0, 10.0, 1.0, 0.05, T)
                        .unwrap()
            },
            tol: 1e-9,
            source: "Goldman (1943): constant-field Nernst-Planck flux",
        },
    ]
}

/// Conductance of the conical-nanopore example: cone plus access resistances, S.
fn conical_nanopore_conductance() -> f64 {
    let (rt, rb, len, c, d) = (10e-9, 500e-9, 12e-6, 1000.0, 1.4899e-9);
    let kappa = 2.0 * FARADAY * FARADAY * d * c / (fluxion::constants::GAS_CONSTANT * T);
    let r = len / (kappa * std::f64::consts::PI * rt * rb)
        + 1.0 / (4.0 * kappa * rt)
        + 1.0 / (4.0 * kappa * rb);
    1.0 / r
}

/// `|psi_0|` in thermal voltages of the nanochannel wall (Grahame equation).
fn nanochannel_wall_potential() -> f64 {
    let eps = 78.5 * fluxion::constants::VACUUM_PERMITTIVITY;
    let rt = fluxion::constants::GAS_CONSTANT * T;
    2.0 * (0.05 / (8.0 * eps * rt * 100.0).sqrt()).asinh()
}

/// `G = (pi R^2 kappa + 2 pi R K_s) / L` of the nanochannel example, S.
fn nanochannel_conductance() -> f64 {
    let (r, l, c, d) = (50e-9, 1e-6, 100.0, 2e-9);
    let rt = fluxion::constants::GAS_CONSTANT * T;
    let eps = 78.5 * fluxion::constants::VACUUM_PERMITTIVITY;
    let kappa = 2.0 * FARADAY * FARADAY * d * c / rt;
    let lambda = (eps * rt / (2.0 * FARADAY * FARADAY * c)).sqrt();
    let ks = FARADAY * FARADAY * d / rt
        * 8.0
        * c
        * lambda
        * (nanochannel_wall_potential() / 4.0).sinh().powi(2);
    std::f64::consts::PI * (r * r * kappa + 2.0 * r * ks) / l
}

fn summary(name: &str) -> Value {
    let path = format!("{}/../examples/{name}.toml", env!("CARGO_MANIFEST_DIR"));
    let text = std::fs::read_to_string(&path).unwrap();
    let s = scenario::parse_any(&text, &|f| Err(f.to_string())).unwrap();
    assert!(matches!(
        s,
        AnyScenario::Electrodiffusion(_)
            | AnyScenario::Vortex(_)
            | AnyScenario::Static(_)
            | AnyScenario::Pnp(_)
    ));
    scenario::run_any(&s, &mut ()).unwrap().summary
}

#[test]
fn every_bundled_example_matches_its_cited_reference() {
    let mut failures = vec![];
    let mut cache: Vec<(&str, Value)> = vec![];
    for row in table() {
        let v = match cache.iter().find(|(n, _)| *n == row.name) {
            Some((_, v)) => v.clone(),
            None => {
                let v = summary(row.name);
                cache.push((row.name, v.clone()));
                v
            }
        };
        let got = v
            .pointer(row.pointer)
            .and_then(Value::as_f64)
            .unwrap_or_else(|| panic!("{}: no number at {}", row.name, row.pointer));
        let mut reference = (row.reference)();
        if reference.is_nan() {
            // closed_cell: the reference is the initial amount of the same run.
            reference = v
                .pointer(&row.pointer.replace("amount_final", "amount_initial"))
                .and_then(Value::as_f64)
                .unwrap();
        }
        let e = (got - reference).abs() / reference.abs();
        if e.is_nan() || e > row.tol {
            failures.push(format!(
                "{} {}: {got:e} vs {reference:e} ({e:.2e} > {:.0e}; {})",
                row.name, row.pointer, row.tol, row.source
            ));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
    // Sanity: the Faraday constant the references use is the engine's.
    assert!((FARADAY - 96485.33212).abs() < 1e-5);
}

/// Every example in `examples/` has a row above.
#[test]
fn every_bundled_example_has_a_reference_row() {
    let rows: Vec<&str> = table().iter().map(|r| r.name).collect();
    let dir = format!("{}/../examples", env!("CARGO_MANIFEST_DIR"));
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.extension().is_some_and(|e| e == "toml") {
            let stem = path.file_stem().unwrap().to_str().unwrap().to_string();
            assert!(
                rows.contains(&stem.as_str()),
                "examples/{stem}.toml has no reference row in validation/tests/examples.rs"
            );
        }
    }
}
