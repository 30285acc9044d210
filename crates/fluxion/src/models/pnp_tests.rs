//! Tests of the general Poisson-Nernst-Planck model.

use super::*;
use crate::constants::GAS_CONSTANT;
use crate::discretize::Scheme;
use crate::mesh::{uniform_nodes, Grid, TensorGrid};
use crate::models::electrodiffusion::{pnp_benchmark, Electrodiffusion, SteadyOptions};
use crate::solve::SolverChoice;

fn salt(d: f64) -> Vec<Species> {
    vec![
        Species {
            name: "K+".into(),
            charge: 1.0,
            diffusivity: d,
        },
        Species {
            name: "Cl-".into(),
            charge: -1.0,
            diffusivity: d,
        },
    ]
}

fn water(m: usize) -> Medium {
    Medium {
        permittivity: 78.5,
        fixed_charge: 0.0,
        diffusivity_factor: vec![Some(1.0); m],
    }
}

fn reservoir(c: f64, v: f64) -> PatchConditions {
    PatchConditions {
        species: vec![SpeciesCondition::Concentration(c); 2],
        potential: PotentialCondition::Potential(v),
    }
}

/// The general model on the 1D mesh of a grid gives the 1D model's answer for the benchmark
/// cell (10 mM | 5 mM, 4 V_T across a cell of 10 Debye lengths): same equations, same
/// discretization, so the potentials and the current agree to solver tolerance.
#[test]
fn general_model_reproduces_the_1d_model() {
    let p1 = pnp_benchmark(201, 0.1, 4.0);
    let mut ed = Electrodiffusion::new(p1.clone()).unwrap();
    let s1 = ed.solve_steady(&SteadyOptions::default(), &mut ()).unwrap();
    let pc = |b: &crate::models::electrodiffusion::Boundary| {
        let c = match b.species[0] {
            crate::models::electrodiffusion::SpeciesBc::Concentration(c) => c,
            _ => unreachable!(),
        };
        let v = match b.potential {
            crate::models::electrodiffusion::PotentialBc::Potential(v) => v,
            _ => unreachable!(),
        };
        reservoir(c, v)
    };
    let prob = PnpProblem {
        mesh: Arc::new(Mesh::from_grid(&p1.grid)),
        species: p1.species.clone(),
        temperature: p1.temperature,
        media: vec![Medium {
            permittivity: p1.permittivity,
            ..water(2)
        }],
        patches: vec![pc(&p1.boundaries[0]), pc(&p1.boundaries[1])],
        scheme: Scheme::ScharfetterGummel,
        solver: SolverChoice::Auto,
        fixed_potential: None,
    };
    let s2 = Pnp::new(prob).unwrap().solve_steady(&mut ()).unwrap();
    for (a, b) in s1.profiles.potential.iter().zip(&s2.potential) {
        assert!((a - b).abs() < 1e-9, "{a} vs {b}");
    }
    // Current along +x in 1D = outward current through the right patch (area 1).
    let i1 = s1.profiles.current_density[1];
    let i2 = s2.patches[1].current;
    assert!((i1 - i2).abs() < 1e-6 * i1.abs(), "{i1} vs {i2}");
    assert!((s2.patches[0].current + s2.patches[1].current).abs() < 1e-9 * i1.abs());
}

/// Ohmic conductance of an electrolyte cylinder in (r, z): with equal reservoirs the
/// solution is uniform and the current `I = kappa pi R^2 V / L`, `kappa = F^2/(RT) sum z^2 D c`
/// (Bard & Faulkner, Electrochemical Methods, eq. 2.3.5 and 4.3.x), exact for the discrete
/// scheme; current continuity between the two ends.
#[test]
fn ohmic_conductance_of_an_axisymmetric_channel() {
    let (rad, len, c, v, d) = (10e-9, 100e-9, 100.0, 0.01, 2e-9);
    let grid = TensorGrid::axisymmetric(&uniform_nodes(0.0, rad, 6), &uniform_nodes(0.0, len, 21))
        .unwrap();
    let mesh = Arc::new(grid.mesh().unwrap());
    let patches = mesh
        .patches()
        .iter()
        .map(|p| match p.name.as_str() {
            "zmin" => reservoir(c, 0.0),
            "zmax" => reservoir(c, v),
            _ => PatchConditions::wall(2),
        })
        .collect();
    let prob = PnpProblem {
        mesh,
        species: salt(d),
        temperature: 298.15,
        media: vec![water(2)],
        patches,
        scheme: Scheme::ScharfetterGummel,
        solver: SolverChoice::Auto,
        fixed_potential: None,
    };
    let s = Pnp::new(prob).unwrap().solve_steady(&mut ()).unwrap();
    let kappa = FARADAY * FARADAY / (GAS_CONSTANT * 298.15) * 2.0 * d * c;
    let exact = kappa * std::f64::consts::PI * rad * rad * v / len;
    let find = |n: &str| s.patches.iter().find(|p| p.name == n).unwrap().current;
    // Positive current flows from high to low potential: out of the domain at zmin.
    let (i_in, i_out) = (find("zmax"), find("zmin"));
    assert!((i_out - exact).abs() < 1e-8 * exact, "{i_out} vs {exact}");
    assert!((i_in + i_out).abs() < 1e-10 * exact);
    let _ = Grid::new;
}

/// Teorell-Meyer-Sievers: the membrane potential of a charged membrane (fixed charge X,
/// mol/m^3 of unit charges) between two 1:1 solutions at open circuit is the sum of the two
/// Donnan potentials and the diffusion potential inside the membrane (Teorell, Proc. Soc.
/// Exp. Biol. Med. 33, 282 (1935); Meyer & Sievers, Helv. Chim. Acta 19, 649 (1936);
/// Lakshminarayanaiah, Transport Phenomena in Membranes (1969), ch. 5):
///
/// ```text
/// E = phi_R - phi_L = D_L + V_T dpsi - D_R,   D = -V_T ln(c+_m / c),
/// c+_m = (-X + sqrt(X^2 + 4 c^2))/2,   dpsi = -u ln((s_R - u X)/(s_L - u X)),
/// s = sqrt(X^2 + 4 c^2),   u = (D+ - D-)/(D+ + D-)
/// ```
///
/// (derived for a uniform, electroneutral membrane interior with zero current). Here the
/// whole domain is the membrane, the reservoirs are its Dirichlet ends, Poisson resolves
/// the Donnan layers, and the open-circuit potential is found by a secant iteration on the
/// right potential until the current vanishes.
#[test]
fn teorell_meyer_sievers_membrane_potential() {
    let (cl, cr, x_fix, t) = (100.0, 10.0, -50.0, 298.15);
    let (dp, dm) = (1.33e-9, 2.03e-9);
    // TMS assumes Donnan equilibrium at both faces; the salt flux through the thin co-ion
    // layer at the dilute face breaks it in proportion to 1/width (measured: 1.4% low at
    // 1 um), so the membrane is 100 um thick (below 1e-4 here).
    let width = 100e-6;
    let grid = Grid::new(
        crate::mesh::Geometry::Planar,
        0.0,
        width,
        601,
        crate::mesh::Spacing::Refined {
            left: true,
            right: true,
            min_spacing: 0.05e-9,
        },
    )
    .unwrap();
    let mesh = Arc::new(Mesh::from_grid(&grid));
    let species = vec![
        Species {
            name: "Na+".into(),
            charge: 1.0,
            diffusivity: dp,
        },
        Species {
            name: "Cl-".into(),
            charge: -1.0,
            diffusivity: dm,
        },
    ];
    let current = |v: f64| {
        let prob = PnpProblem {
            mesh: mesh.clone(),
            species: species.clone(),
            temperature: t,
            media: vec![Medium {
                permittivity: 78.5,
                fixed_charge: x_fix,
                diffusivity_factor: vec![Some(1.0); 2],
            }],
            patches: vec![reservoir(cl, 0.0), reservoir(cr, v)],
            scheme: Scheme::ScharfetterGummel,
            solver: SolverChoice::Auto,
            fixed_potential: None,
        };
        Pnp::new(prob)
            .unwrap()
            .solve_steady(&mut ())
            .unwrap()
            .patches[1]
            .current
    };
    let (mut v0, mut v1) = (0.0, 0.01);
    let (mut i0, mut i1) = (current(v0), current(v1));
    for _ in 0..20 {
        let v2 = v1 - i1 * (v1 - v0) / (i1 - i0);
        (v0, i0, v1) = (v1, i1, v2);
        i1 = current(v1);
        if (v1 - v0).abs() < 1e-9 {
            break;
        }
    }
    let vt = crate::constants::thermal_voltage(t);
    let s = |c: f64| (x_fix * x_fix + 4.0 * c * c).sqrt();
    let donnan = |c: f64| -vt * ((-x_fix + s(c)) / 2.0 / c).ln();
    let u = (dp - dm) / (dp + dm);
    let dpsi = -u * ((s(cr) - u * x_fix) / (s(cl) - u * x_fix)).ln();
    let exact = donnan(cl) + vt * dpsi - donnan(cr);
    assert!(
        exact.abs() > 0.02,
        "a nontrivial membrane potential: {exact}"
    );
    assert!(
        (v1 - exact).abs() < 1e-4 * exact.abs() + 2e-6,
        "{v1} vs TMS {exact}"
    );
}

/// Debye-Smoluchowski: steady diffusion to an absorbing sphere of radius a through a
/// Coulomb potential `U/kT = r_c / r` (`r_c = z1 z2 l_B`), with `c(R) = c_R` at an outer
/// radius R: the flow into the sphere is `I = 4 pi D r_c c_R e^{r_c/R} / (e^{r_c/a} - e^{r_c/R})`,
/// which tends to `k = 4 pi D r_c / (e^{r_c/a} - 1)` per unit bulk concentration as R grows
/// (Debye, Trans. Electrochem. Soc. 82, 265 (1942)); repulsive and attractive ions,
/// second-order convergence of the Scharfetter-Gummel flux in a non-uniform field.
#[test]
fn debye_smoluchowski_rate_to_an_absorbing_sphere() {
    let (a, r_out, d, c_r, t) = (1e-9, 20e-9, 1e-9, 1.0, 298.15);
    for r_c in [2.1e-9, -1.4e-9] {
        let mut errs = vec![];
        for n in [81, 161, 321] {
            let grid = Grid::new(
                crate::mesh::Geometry::Spherical,
                a,
                r_out - a,
                n,
                crate::mesh::Spacing::Uniform,
            )
            .unwrap();
            let vt = crate::constants::thermal_voltage(t);
            let phi: Vec<f64> = (0..n).map(|i| vt * r_c / grid.radius(i)).collect();
            let prob = PnpProblem {
                mesh: Arc::new(Mesh::from_grid(&grid)),
                species: vec![Species {
                    name: "A+".into(),
                    charge: 1.0,
                    diffusivity: d,
                }],
                temperature: t,
                media: vec![water(1)],
                patches: vec![
                    PatchConditions {
                        species: vec![SpeciesCondition::Concentration(0.0)],
                        potential: PotentialCondition::Natural,
                    },
                    PatchConditions {
                        species: vec![SpeciesCondition::Concentration(c_r)],
                        potential: PotentialCondition::Natural,
                    },
                ],
                scheme: Scheme::ScharfetterGummel,
                solver: SolverChoice::Auto,
                fixed_potential: Some(phi),
            };
            let s = Pnp::new(prob).unwrap().solve_steady(&mut ()).unwrap();
            let inflow = s.patches[0].species[0];
            let exact = 4.0 * std::f64::consts::PI * d * r_c * c_r * (r_c / r_out).exp()
                / ((r_c / a).exp() - (r_c / r_out).exp());
            errs.push(((inflow - exact) / exact).abs());
            // Conservation: what enters at R leaves into the sphere.
            assert!(
                (s.patches[0].species[0] + s.patches[1].species[0]).abs() < 1e-10 * exact.abs()
            );
        }
        assert!(errs[2] < 1e-3, "r_c = {r_c}: {errs:?}");
        let order = (errs[1] / errs[2]).log2();
        assert!(order > 1.8, "r_c = {r_c}: order {order}, {errs:?}");
    }
}

/// A dense matrix sink for the finite-difference checks.
struct Dense {
    n: usize,
    a: Vec<f64>,
}

impl MatrixSink for Dense {
    fn dim(&self) -> usize {
        self.n
    }
    fn clear(&mut self) {
        self.a.fill(0.0);
    }
    fn add(&mut self, i: usize, j: usize, v: f64) {
        self.a[i * self.n + j] += v;
    }
    fn zero_row(&mut self, i: usize) {
        self.a[i * self.n..(i + 1) * self.n].fill(0.0);
    }
    fn get(&self, i: usize, j: usize) -> f64 {
        self.a[i * self.n + j]
    }
}

/// The assembled Jacobian of `pnp` at a non-trivial state equals central differences of
/// its residual, entry by entry, at every continuation parameter the solver uses.
fn check_jacobian(mut pnp: Pnp, label: &str) {
    let n = pnp.dim();
    let dofs = pnp.asm().dofs().clone();
    // A state with concentrations 0.2..1.7 (scaled) and a potential of a few V_T.
    let x: Vec<f64> = (0..n)
        .map(|d| {
            let (i, a) = dofs.locate(d);
            let s = (1.7 * i as f64 + 0.9 * a as f64).sin();
            if a < pnp.m {
                0.95 + 0.75 * s
            } else {
                2.0 * s
            }
        })
        .collect();
    // The model's update norm is `weighted_norm` (same value, same worst index).
    let v: Vec<f64> = (0..n).map(|i| 1e-3 * (0.37 * i as f64).cos()).collect();
    for rtol in [1e-10, 1e-3] {
        assert_eq!(
            pnp.update_norm(&x, &v, rtol),
            crate::solve::weighted_norm(&pnp, &x, &v, rtol),
            "{label}: update norm"
        );
    }
    for lambda in [0.4, 1.0] {
        pnp.set_lambda(lambda);
        let mut jac = Dense {
            n,
            a: vec![0.0; n * n],
        };
        let mut r = vec![0.0; n];
        pnp.jacobian(&x, &mut jac, &mut r);
        let mut r0 = vec![0.0; n];
        pnp.residual(&x, &mut r0);
        for i in 0..n {
            assert!(
                (r[i] - r0[i]).abs() <= 1e-12 * (1.0 + r0[i].abs()),
                "{label}: residual {i}"
            );
        }
        let (mut rp, mut rm) = (vec![0.0; n], vec![0.0; n]);
        let mut worst: f64 = 0.0;
        for j in 0..n {
            let h = 1e-6 * (1.0 + x[j].abs());
            let mut xp = x.clone();
            xp[j] += h;
            pnp.residual(&xp, &mut rp);
            xp[j] -= 2.0 * h;
            pnp.residual(&xp, &mut rm);
            for i in 0..n {
                let fd = (rp[i] - rm[i]) / (2.0 * h);
                let an = jac.get(i, j);
                let scale: f64 = (0..n).map(|k| jac.get(i, k).abs()).fold(0.0, f64::max);
                let e = (fd - an).abs() / (1e-300 + scale);
                worst = worst.max(e);
                assert!(
                    e < 1e-6,
                    "{label} lambda {lambda}: d r[{i}] / d x[{j}] = {an}, finite differences {fd} (row scale {scale})"
                );
            }
        }
        assert!(worst.is_finite());
        eprintln!("{label} lambda {lambda}: {n} unknowns, worst relative error {worst:.2e}");
    }
}

/// Two species on an axisymmetric (r, z) mesh with a charged cation-exchange disk (fixed
/// charge, the anion excluded), fixed-concentration / fixed-potential reservoir, an outward
/// flux patch, and a charged wall: every row kind and coupling of the general model.
#[test]
fn jacobian_matches_finite_differences_in_rz_and_3d() {
    use crate::mesh::{Cuboid, Regions};
    let build = |grid: TensorGrid, label: &str, cond: &dyn Fn(&str) -> PatchConditions| {
        let (lo, hi) = if grid.dim() == 2 {
            ([0.0, 0.3e-8, -1.0], [0.55e-8, 0.7e-8, 1.0])
        } else {
            ([0.3e-8, 0.0, 0.2e-8], [0.7e-8, 0.65e-8, 0.8e-8])
        };
        let regions = Regions::new("water").paint("membrane", Cuboid::new(lo, hi).unwrap());
        let mesh = Arc::new(grid.mesh_with(&regions).unwrap());
        assert_eq!(mesh.regions().len(), 2, "{label}");
        let patches = mesh.patches().iter().map(|p| cond(&p.name)).collect();
        let prob = PnpProblem {
            mesh,
            species: salt(1.5e-9),
            temperature: 298.15,
            media: vec![
                water(2),
                Medium {
                    permittivity: 20.0,
                    fixed_charge: -80.0,
                    diffusivity_factor: vec![Some(0.3), None],
                },
            ],
            patches,
            scheme: Scheme::ScharfetterGummel,
            solver: SolverChoice::Auto,
            fixed_potential: None,
        };
        check_jacobian(Pnp::new(prob).unwrap(), label);
    };
    let cond = |name: &str| match name {
        "zmin" => reservoir(100.0, 0.0),
        "zmax" => PatchConditions {
            species: vec![
                SpeciesCondition::Flux(2e-4),
                SpeciesCondition::Concentration(30.0),
            ],
            potential: PotentialCondition::Potential(0.05),
        },
        "rmax" | "xmax" => PatchConditions {
            species: vec![SpeciesCondition::Flux(-1e-4), SpeciesCondition::Flux(0.0)],
            potential: PotentialCondition::SurfaceCharge(-0.02),
        },
        _ => PatchConditions::wall(2),
    };
    let u = |n| uniform_nodes(0.0, 1e-8, n);
    build(
        TensorGrid::axisymmetric(&u(5), &u(6)).unwrap(),
        "(r, z)",
        &cond,
    );
    build(
        TensorGrid::cartesian_3d(&u(4), &u(3), &u(4)).unwrap(),
        "3D",
        &cond,
    );
}

/// The benchmark cell of the 1D model extruded into a 3D bar (a tensor mesh 201 x 2 x 3,
/// insulating side walls): the solution does not depend on y and z, so the potential along
/// every line of nodes and the current equal the 1D model's, and the current is continuous
/// (what enters at xmin leaves at xmax, nothing through the walls).
#[test]
fn three_dimensional_bar_reproduces_the_1d_model_with_current_continuity() {
    let p1 = pnp_benchmark(201, 0.1, 4.0);
    let mut ed = Electrodiffusion::new(p1.clone()).unwrap();
    let s1 = ed.solve_steady(&SteadyOptions::default(), &mut ()).unwrap();
    let x = p1.grid.x().to_vec();
    let w = 0.3 * (x[x.len() - 1] - x[0]);
    let grid =
        TensorGrid::cartesian_3d(&x, &uniform_nodes(0.0, w, 2), &uniform_nodes(0.0, w, 3)).unwrap();
    let mesh = Arc::new(grid.mesh().unwrap());
    let side = |b: &crate::models::electrodiffusion::Boundary| {
        let c = match b.species[0] {
            crate::models::electrodiffusion::SpeciesBc::Concentration(c) => c,
            _ => unreachable!(),
        };
        let v = match b.potential {
            crate::models::electrodiffusion::PotentialBc::Potential(v) => v,
            _ => unreachable!(),
        };
        reservoir(c, v)
    };
    let patches = mesh
        .patches()
        .iter()
        .map(|p| match p.name.as_str() {
            "xmin" => side(&p1.boundaries[0]),
            "xmax" => side(&p1.boundaries[1]),
            _ => PatchConditions::wall(2),
        })
        .collect();
    let prob = PnpProblem {
        mesh: mesh.clone(),
        species: p1.species.clone(),
        temperature: p1.temperature,
        media: vec![Medium {
            permittivity: p1.permittivity,
            ..water(2)
        }],
        patches,
        scheme: Scheme::ScharfetterGummel,
        solver: SolverChoice::Auto,
        fixed_potential: None,
    };
    let s3 = Pnp::new(prob).unwrap().solve_steady(&mut ()).unwrap();
    let nx = x.len();
    for i in 0..mesh.nodes() {
        let a = s1.profiles.potential[i % nx];
        assert!(
            (a - s3.potential[i]).abs() < 1e-9,
            "node {i}: {a} vs {}",
            s3.potential[i]
        );
    }
    let find = |n: &str| s3.patches.iter().find(|p| p.name == n).unwrap().current;
    let i1 = s1.profiles.current_density[1] * w * w;
    assert!(
        (find("xmax") - i1).abs() < 1e-6 * i1.abs(),
        "{} vs {i1}",
        find("xmax")
    );
    assert!((find("xmin") + find("xmax")).abs() < 1e-9 * i1.abs());
    for n in ["ymin", "ymax", "zmin", "zmax"] {
        assert!(find(n).abs() < 1e-12 * i1.abs(), "{n}: {}", find(n));
    }
}

/// The finite-difference check of [`check_jacobian`] for every flux scheme (Scharfetter-
/// Gummel, upwind, central) x every closure (Poisson, electroneutral, fixed field) on a 1D
/// mesh, an axisymmetric (r, z) mesh and a 3D mesh, each with every boundary kind its
/// closure admits: fixed concentration, given flux, blocking wall, fixed potential, surface
/// charge (Poisson), zero normal field, and under electroneutrality the charge-balance row
/// of a patch whose concentrations are fixed but whose potential is not. The (r, z) and 3D
/// meshes carry a charged membrane region that excludes the anion.
#[test]
fn jacobian_matches_finite_differences_for_every_scheme_closure_and_dimension() {
    use crate::mesh::{Cuboid, Geometry, Regions, Spacing};
    let flux2 = |a: f64, b: f64| vec![SpeciesCondition::Flux(a), SpeciesCondition::Flux(b)];
    let cond = |closure: Closure, name: &str| -> PatchConditions {
        let en = closure == Closure::Electroneutral;
        match name {
            "left" | "zmin" => reservoir(100.0, 0.0),
            "right" | "zmax" if en => PatchConditions {
                species: vec![SpeciesCondition::Concentration(30.0); 2],
                potential: PotentialCondition::Natural,
            },
            "right" | "zmax" => PatchConditions {
                species: vec![
                    SpeciesCondition::Flux(2e-4),
                    SpeciesCondition::Concentration(30.0),
                ],
                potential: PotentialCondition::Potential(0.05),
            },
            "rmax" | "xmax" if en => PatchConditions {
                species: flux2(-1e-4, 0.0),
                potential: PotentialCondition::Natural,
            },
            "rmax" | "xmax" => PatchConditions {
                species: flux2(-1e-4, 0.0),
                potential: PotentialCondition::SurfaceCharge(-0.02),
            },
            _ => PatchConditions::wall(2),
        }
    };
    let u = |n| uniform_nodes(0.0, 1e-8, n);
    let line = Arc::new(Mesh::from_grid(
        &Grid::new(Geometry::Planar, 0.0, 1e-8, 6, Spacing::Uniform).unwrap(),
    ));
    let membrane = |grid: TensorGrid| {
        let (lo, hi) = if grid.dim() == 2 {
            ([0.0, 0.3e-8, -1.0], [0.55e-8, 0.7e-8, 1.0])
        } else {
            ([0.3e-8, 0.0, 0.2e-8], [0.7e-8, 0.65e-8, 0.8e-8])
        };
        let regions = Regions::new("water").paint("membrane", Cuboid::new(lo, hi).unwrap());
        Arc::new(grid.mesh_with(&regions).unwrap())
    };
    let meshes = [
        ("1D", line),
        (
            "(r, z)",
            membrane(TensorGrid::axisymmetric(&u(4), &u(5)).unwrap()),
        ),
        (
            "3D",
            membrane(TensorGrid::cartesian_3d(&u(3), &u(3), &u(4)).unwrap()),
        ),
    ];
    for (dim, mesh) in meshes {
        for closure in [
            Closure::Poisson,
            Closure::Electroneutral,
            Closure::FixedField,
        ] {
            for scheme in [Scheme::ScharfetterGummel, Scheme::Upwind, Scheme::Central] {
                let mut media = vec![water(2)];
                if mesh.regions().len() == 2 {
                    media.push(Medium {
                        permittivity: 20.0,
                        fixed_charge: -80.0,
                        diffusivity_factor: vec![Some(0.3), None],
                    });
                }
                let prob = PnpProblem {
                    mesh: mesh.clone(),
                    species: salt(1.5e-9),
                    temperature: 298.15,
                    media,
                    patches: mesh
                        .patches()
                        .iter()
                        .map(|p| cond(closure, &p.name))
                        .collect(),
                    scheme,
                    solver: SolverChoice::Auto,
                    fixed_potential: None,
                };
                let label = format!("{dim} {} {scheme:?}", closure.name());
                let pnp = Pnp::with_closure(prob, closure).unwrap();
                if closure == Closure::Electroneutral {
                    // Both the neutrality rows and the charge-balance rows are present.
                    let rows = pnp.asm().rows();
                    let n = mesh.nodes();
                    assert!((0..n).any(|i| *rows.rule(i, 2) == RowRule::Algebraic
                        && pnp.dirichlet[i * 3 + 2].is_none()));
                    assert!((0..n).any(|i| matches!(rows.rule(i, 2), RowRule::Combination(_))));
                }
                check_jacobian(pnp, &label);
            }
        }
    }
}

/// The Poisson-Boltzmann guess of a cold solve (`pnp_equilibrium`): a charged wall (-0.02
/// C/m^2) facing a 10 mM KCl reservoir across 200 nm (66 Debye lengths) at no bias. The
/// guess's wall potential is Grahame's, `psi0 = (2 V_T) arsinh(sigma / sqrt(8 eps RT c))`
/// = -2.60 V_T (Grahame, Chem. Rev. 41, 441 (1947)), to the mesh's accuracy; it is the steady
/// state of PNP (Scharfetter-Gummel fluxes vanish between Boltzmann-distributed nodes), so
/// Newton from it converges at once to the same potential; and an uncharged wall
/// gets no guess (the flat one is its equilibrium).
#[test]
fn poisson_boltzmann_guess_is_the_equilibrium_at_a_charged_wall() {
    let (c, sigma, t) = (10.0, -0.02, 298.15);
    let grid = Grid::new(
        crate::mesh::Geometry::Planar,
        0.0,
        200e-9,
        401,
        crate::mesh::Spacing::Refined {
            left: false,
            right: true,
            min_spacing: 0.02e-9,
        },
    )
    .unwrap();
    let mesh = Arc::new(Mesh::from_grid(&grid));
    let problem = |sigma: f64| PnpProblem {
        mesh: mesh.clone(),
        species: salt(2e-9),
        temperature: t,
        media: vec![water(2)],
        patches: vec![
            reservoir(c, 0.0),
            PatchConditions {
                potential: PotentialCondition::SurfaceCharge(sigma),
                ..PatchConditions::wall(2)
            },
        ],
        scheme: Scheme::ScharfetterGummel,
        solver: SolverChoice::Auto,
        fixed_potential: None,
    };
    let mut pnp = Pnp::new(problem(sigma)).unwrap();
    let g = pnp.equilibrium(None).expect("a guess at a charged wall");
    let n = mesh.nodes();
    let vt = crate::constants::thermal_voltage(t);
    let grahame = crate::laws::electrochem::grahame_potential(sigma, c, 1.0, 78.5, t).unwrap();
    let wall = g.psi[n - 1] * vt;
    assert!(
        (wall - grahame).abs() < 2e-3 * grahame.abs(),
        "wall potential {wall} V against Grahame {grahame} V"
    );
    let guess = pnp.equilibrium_state(&g, true);
    let (sol, stats) = pnp.solve_steady_timed(&mut ()).unwrap();
    // The guess is solved to 1e-7 V_T, PNP to 1e-10 of each unknown: one iteration takes
    // the step, the second confirms it.
    assert!(
        stats.newton_iterations <= 2 && stats.continuation_steps == 0,
        "{stats:?}"
    );
    let dofs = pnp.asm().dofs().clone();
    for i in 0..n {
        let phi = guess[dofs.dof(i, 2).unwrap()] * vt;
        assert!(
            (sol.potential[i] - phi).abs() < 1e-6 * vt,
            "node {i}: {} V after Newton, {phi} V in the guess",
            sol.potential[i]
        );
    }
    assert!(Pnp::new(problem(0.0)).unwrap().equilibrium(None).is_none());
}

/// The ohmic part of the guess (`Pnp::ohmic_conductance`, `div(kappa grad eta) = 0`): across
/// a charged membrane (fixed charge -50 mM, 10 mM KCl on both sides, 0.1 V applied) `eta`
/// takes the applied potentials minus their mean at the two reservoirs, carries the same
/// current `kappa_f (eta_K - eta_L)` through every face of the chain (to round-off), and
/// the steady solve from it needs no continuation.
#[test]
fn ohmic_bias_of_the_guess_conserves_current_across_a_charged_membrane() {
    let t = 298.15;
    let grid = Grid::new(
        crate::mesh::Geometry::Planar,
        0.0,
        1e-6,
        301,
        crate::mesh::Spacing::Refined {
            left: true,
            right: true,
            min_spacing: 0.1e-9,
        },
    )
    .unwrap();
    let mesh = Arc::new(Mesh::from_grid(&grid));
    let prob = PnpProblem {
        mesh: mesh.clone(),
        species: salt(2e-9),
        temperature: t,
        media: vec![Medium {
            permittivity: 78.5,
            fixed_charge: -50.0,
            diffusivity_factor: vec![Some(1.0); 2],
        }],
        patches: vec![reservoir(10.0, 0.0), reservoir(10.0, 0.1)],
        scheme: Scheme::ScharfetterGummel,
        solver: SolverChoice::Auto,
        fixed_potential: None,
    };
    let mut pnp = Pnp::new(prob).unwrap();
    let g = pnp
        .equilibrium(None)
        .expect("a guess in a charged membrane");
    let eta = g.eta.as_ref().expect("a bias");
    let vt = crate::constants::thermal_voltage(t);
    let n = mesh.nodes();
    assert!((eta[0] + 0.05 / vt).abs() < 1e-12 && (eta[n - 1] - 0.05 / vt).abs() < 1e-12);
    let kappa = pnp.ohmic_conductance(&g.psi, &g.mean);
    let i: Vec<f64> = (0..mesh.faces())
        .map(|f| {
            let [a, b] = mesh.face_nodes(f);
            kappa[f] * (eta[a] - eta[b])
        })
        .collect();
    for (f, v) in i.iter().enumerate() {
        assert!(
            (v - i[0]).abs() <= 1e-9 * i[0].abs(),
            "face {f}: {v} against {}",
            i[0]
        );
    }
    assert!(i[0] < 0.0, "current from the high to the low potential");
    let (_, stats) = pnp.solve_steady_timed(&mut ()).unwrap();
    assert_eq!(stats.continuation_steps, 0, "{stats:?}");
}
