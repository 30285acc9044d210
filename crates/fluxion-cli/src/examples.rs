//! Bundled example scenarios (the files in `examples/`, compiled into the binary).

use std::path::Path;

use crate::Failure;

/// `(name, description, text)` of every bundled example.
pub const EXAMPLES: &[(&str, &str, &str)] = &[
    (
        "vortex_flux_flow",
        "vortex lattice without pins: Bardeen-Stephen flux flow (seed 001)",
        include_str!("../../../examples/vortex_flux_flow.toml"),
    ),
    (
        "vortex_matching",
        "triangular pin array at the matching field: J_c = f_p / Phi0",
        include_str!("../../../examples/vortex_matching.toml"),
    ),
    (
        "vortex_random_pins",
        "annealed vortices in random pins: current sweep, J_c, approach to flux flow",
        include_str!("../../../examples/vortex_random_pins.toml"),
    ),
    (
        "ghk_membrane",
        "constant-field flux of K+ through a membrane (GHK, seed 002)",
        include_str!("../../../examples/ghk_membrane.toml"),
    ),
    (
        "gouy_chapman",
        "double layer at a charged wall, Poisson closure (Gouy-Chapman, Grahame)",
        include_str!("../../../examples/gouy_chapman.toml"),
    ),
    (
        "liquid_junction",
        "HCl 100 mM | 10 mM junction, electroneutral closure (Planck)",
        include_str!("../../../examples/liquid_junction.toml"),
    ),
    (
        "biionic_junction",
        "NaCl | KCl at equal concentration (Henderson = Planck)",
        include_str!("../../../examples/biionic_junction.toml"),
    ),
    (
        "iodide_anode",
        "iodide consumed at a positive anode: diffusion and migration both point at the anode (seed 001)",
        include_str!("../../../examples/iodide_anode.toml"),
    ),
    (
        "iodide_supported",
        "the same anode with excess supporting electrolyte: diffusion dominates",
        include_str!("../../../examples/iodide_supported.toml"),
    ),
    (
        "limiting_current",
        "limiting current of a reduced cation without supporting electrolyte (2x Fick)",
        include_str!("../../../examples/limiting_current.toml"),
    ),
    (
        "cottrell",
        "potential step at a planar electrode with excess support (Cottrell), transient",
        include_str!("../../../examples/cottrell.toml"),
    ),
    (
        "cottrell_spherical",
        "potential step at a spherical microelectrode, transient to the steady limit",
        include_str!("../../../examples/cottrell_spherical.toml"),
    ),
    (
        "pnp_thin_layer",
        "steady PNP cell, Debye length 1e-3 of the cell, 40 thermal voltages (robustness)",
        include_str!("../../../examples/pnp_thin_layer.toml"),
    ),
    (
        "closed_cell",
        "closed cell relaxing from a concentration step (Poisson, transient, conserves mass)",
        include_str!("../../../examples/closed_cell.toml"),
    ),
    (
        "dielectric_cylinder",
        "dielectric cylinder in a uniform field, 2D: E_in = 2 eps_o/(eps_i + eps_o) E0",
        include_str!("../../../examples/dielectric_cylinder.toml"),
    ),
    (
        "dielectric_sphere_rz",
        "dielectric sphere in a uniform field, (r, z): E_in = 3 eps_o/(eps_i + 2 eps_o) E0",
        include_str!("../../../examples/dielectric_sphere_rz.toml"),
    ),
    (
        "magnetized_sphere",
        "uniformly magnetized sphere, magnetic scalar potential: H_in = -M/3, B_in = 2/3 mu0 M",
        include_str!("../../../examples/magnetized_sphere.toml"),
    ),
    (
        "born_ion",
        "Born solvation energy of a 3 Angstrom ion in water, 1D spherical: -228.6 kJ/mol",
        include_str!("../../../examples/born_ion.toml"),
    ),
    (
        "charged_shell",
        "charged spherical shell, (r, z), charge on an interface patch: E = 0 inside, Q/(4 pi eps0 r^2) outside",
        include_str!("../../../examples/charged_shell.toml"),
    ),
    (
        "charged_shell_3d",
        "charged spherical shell in 3D (one octant): E = 0 inside, Q/(4 pi eps0 r^2) outside",
        include_str!("../../../examples/charged_shell_3d.toml"),
    ),
    (
        "floating_conductors_rz",
        "charged core inside an uncharged floating shell, (r, z): both potentials from their charges (capacitance coefficients)",
        include_str!("../../../examples/floating_conductors_rz.toml"),
    ),
    (
        "dielectric_cylinder_delaunay",
        "dielectric cylinder on a Delaunay mesh: inside field 2 eps_o/(eps_i + eps_o) E0 at second order",
        include_str!("../../../examples/dielectric_cylinder_delaunay.toml"),
    ),
    (
        "magnetized_cylinder",
        "cylinder magnetized across its axis (magnetostatics): H_in = -M/2, B_in = mu0 M/2",
        include_str!("../../../examples/magnetized_cylinder.toml"),
    ),
    (
        "permeable_sphere_rz",
        "sphere of permeability mu_r in a uniform field, (r, z): H_in = 3/(mu_r + 2) H0",
        include_str!("../../../examples/permeable_sphere_rz.toml"),
    ),
    (
        "nanochannel_surface_conduction",
        "PNP in (r, z): a charged nanochannel's conductance, bulk plus Bikerman surface conduction",
        include_str!("../../../examples/nanochannel_surface_conduction.toml"),
    ),
    (
        "cottrell_disk_rz",
        "transient PNP in (r, z): the Cottrell current after a potential step at a disk electrode",
        include_str!("../../../examples/cottrell_disk_rz.toml"),
    ),
    (
        "conical_nanopore",
        "PNP on a Delaunay (r, z) mesh: a 10 nm / 500 nm conical pore in 1 M KCl, cone + access conductance",
        include_str!("../../../examples/conical_nanopore.toml"),
    ),
    (
        "cottrell_sphere_rz",
        "transient PNP on a Delaunay (r, z) mesh: potential step at a spherical electrode (Bard & Faulkner 5.2.19)",
        include_str!("../../../examples/cottrell_sphere_rz.toml"),
    ),
    (
        "open_circuit_junction",
        "HCl | KCl junction at open circuit in 2D, electroneutral with no potential anywhere (Henderson)",
        include_str!("../../../examples/open_circuit_junction.toml"),
    ),
    (
        "uniform_field_drift",
        "K+ and Cl- in a given uniform field of 50 kV/m: the constant-field (Goldman) flux",
        include_str!("../../../examples/uniform_field_drift.toml"),
    ),
];

/// `fluxion examples [NAME [--write FILE [--force]]]`: list, print or write an example. An
/// existing FILE is refused (exit 2) unless `force`; the file is written under a temporary
/// name and renamed, so it is never half-written.
pub fn command(name: Option<&str>, write: Option<&Path>, force: bool) -> Result<(), Failure> {
    let Some(name) = name else {
        println!("Bundled example scenarios (fluxion examples NAME [--write FILE]):\n");
        for (n, d, _) in EXAMPLES {
            println!("  {n:<20} {d}");
        }
        return Ok(());
    };
    let name = name.trim_end_matches(".toml");
    let Some((_, _, text)) = EXAMPLES.iter().find(|e| e.0 == name) else {
        return Err(Failure::Input(format!(
            "error: no example named \"{name}\"; the examples are: {}",
            EXAMPLES.iter().map(|e| e.0).collect::<Vec<_>>().join(", ")
        )));
    };
    match write {
        None => print!("{text}"),
        Some(path) => {
            if !force && (path.exists() || path.is_symlink()) {
                return Err(Failure::Input(format!(
                    "error: {} already exists; `fluxion examples --write` does not overwrite files\n  fix: add --force to replace it, or write to another file",
                    path.display()
                )));
            }
            write_file(path, text.as_bytes()).map_err(|e| {
                Failure::Io(format!(
                    "cannot write {}: {e}\n  fix: check that its folder exists and is writable",
                    path.display()
                ))
            })?;
            println!(
                "wrote {} (run it with: fluxion run {})",
                path.display(),
                path.display()
            );
        }
    }
    Ok(())
}

/// Write `bytes` to `path` through a temporary file in the same folder and a rename.
fn write_file(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().to_string())
        .unwrap_or_else(|| "example".to_string());
    let tmp = path.with_file_name(format!(".{name}.tmp-{}", std::process::id()));
    let result = std::fs::write(&tmp, bytes).and_then(|()| std::fs::rename(&tmp, path));
    if result.is_err() {
        let _ = std::fs::remove_file(&tmp);
    }
    result
}
