use super::*;
use crate::discretize::Scheme;
use crate::mesh::Grid;
use crate::mesh::{Geometry, Spacing};
use crate::solve::{DaeSystem, MatrixSink, NonlinearSystem, Structure};

fn sp(name: &str, z: f64, d: f64) -> Species {
    Species {
        name: name.into(),
        charge: z,
        diffusivity: d,
    }
}

fn build(closure: Closure, geometry: Geometry, bnd: [Boundary; 2], v: f64) -> Electrodiffusion {
    Electrodiffusion::new(Problem {
        grid: Grid::new(geometry, 2e-8, 1e-7, 9, Spacing::Uniform).unwrap(),
        species: vec![
            sp("A+", 1.0, 1e-9),
            sp("B2-", -2.0, 0.7e-9),
            sp("C+", 1.0, 2e-9),
        ],
        temperature: 300.0,
        permittivity: 78.0,
        closure,
        boundaries: bnd,
        // A constant velocity is only divergence-free (and accepted) in planar geometry.
        velocity: if geometry == Geometry::Planar { v } else { 0.0 },
        scheme: Scheme::ScharfetterGummel,
    })
    .unwrap()
}

fn check_jacobian(mut m: Electrodiffusion, transient: bool) {
    let n = NonlinearSystem::dim(&m);
    assert!(matches!(
        NonlinearSystem::structure(&m),
        Structure::BlockTridiagonal { block_size: 4, .. }
    ));
    let pattern = m.asm.as_ref().unwrap().pattern().clone();
    // A smooth but nontrivial state.
    let x: Vec<f64> = (0..n)
        .map(|i| {
            let (node, a) = (i / 4, i % 4);
            if a < 3 {
                0.5 + 0.3 * ((node * 7 + a * 3) as f64).sin().abs()
            } else {
                1.5 * ((node as f64) * 0.7).cos()
            }
        })
        .collect();
    // The model's update norm is `weighted_norm` (the same value and worst index), and its
    // step limit clamps the falls of concentrations to 95 % except on fixed-value rows.
    let v: Vec<f64> = (0..n).map(|i| -0.9 * (0.37 * i as f64).cos()).collect();
    for rtol in [1e-10, 1e-3] {
        assert_eq!(
            NonlinearSystem::update_norm(&m, &x, &v, rtol),
            crate::solve::weighted_norm(&m, &x, &v, rtol),
            "update norm"
        );
    }
    let mut limited = v.clone();
    NonlinearSystem::limit_step(&m, &x, &mut limited);
    for i in 0..n {
        let (node, a) = (i / 4, i % 4);
        let free = a < 3 && m.row_kind(node, a) != Row::Dirichlet;
        let want = if free && x[i] > 0.0 {
            v[i].max(-0.95 * x[i])
        } else {
            v[i]
        };
        assert_eq!(limited[i], want, "limited step at unknown {i}");
    }
    let mut jac = crate::solve::CsrMatrix::zeros(pattern.clone());
    let mut r = vec![0.0; n];
    if transient {
        DaeSystem::rhs_jacobian(&mut m, 0.0, &x, &mut jac, &mut r);
    } else {
        m.jacobian(&x, &mut jac, &mut r);
    }
    let (mut rp, mut rm) = (vec![0.0; n], vec![0.0; n]);
    for j in 0..n {
        let h = 1e-6 * (1.0 + x[j].abs());
        let mut xp = x.clone();
        xp[j] += h;
        m.residual(&xp, &mut rp);
        xp[j] -= 2.0 * h;
        m.residual(&xp, &mut rm);
        for i in 0..n {
            let fd = (rp[i] - rm[i]) / (2.0 * h);
            let an = jac.get(i, j);
            assert!(
                (fd - an).abs() <= 1e-6 * (1.0 + fd.abs()),
                "d r[{i}] / d x[{j}]: analytic {an}, finite difference {fd}"
            );
            if pattern.position(i, j).is_none() {
                assert!(fd.abs() < 1e-9, "entry ({i},{j}) outside the pattern");
            }
            // Block tridiagonal: nodes couple only to their neighbours.
            if (i / 4).abs_diff(j / 4) > 1 {
                assert!(fd.abs() < 1e-12, "entry ({i},{j}) beyond the neighbours");
            }
        }
    }
}

#[test]
fn jacobian_matches_finite_differences_for_every_row_kind() {
    let c = SpeciesBc::Concentration;
    let f = SpeciesBc::Flux;
    // Poisson, surface charge, mixed species conditions, advection, spherical.
    let b = [
        Boundary {
            species: vec![f(0.0), c(2.0), f(1e-3)],
            potential: PotentialBc::SurfaceCharge(-0.01),
        },
        Boundary {
            species: vec![c(1.0), c(1.0), c(1.0)],
            potential: PotentialBc::Potential(0.02),
        },
    ];
    check_jacobian(build(Closure::Poisson, Geometry::Spherical, b, 1e-3), false);
    // Electroneutral with a current balance on the right.
    let b = [
        Boundary {
            species: vec![c(1.0), c(1.0), c(1.0)],
            potential: PotentialBc::Potential(0.0),
        },
        Boundary {
            species: vec![c(2.0), c(1.5), c(1.0)],
            potential: PotentialBc::Current(3.0),
        },
    ];
    check_jacobian(
        build(Closure::Electroneutral, Geometry::Planar, b, 0.0),
        false,
    );
    // Electroneutral with flux conditions on both sides (gauge row).
    let b = [
        Boundary {
            species: vec![f(1e-4), f(0.0), c(1.0)],
            potential: PotentialBc::Free,
        },
        Boundary {
            species: vec![f(1e-4), f(0.0), c(1.0)],
            potential: PotentialBc::Free,
        },
    ];
    check_jacobian(
        build(Closure::Electroneutral, Geometry::Planar, b, -2e-3),
        true,
    );
}

/// The general assembler derives the Jacobian pattern from the couplings of the terms:
/// on the 1D chain the structure is block tridiagonal (solved by the block LU), and the
/// pattern's band stays that of the hand-written assembly (lower bandwidth `m + 1`, or
/// `2m + 1` with a charge-balance row, upper at most `2m + 1`), so the banded LU, when
/// chosen, costs what it did.
#[test]
fn engine_keeps_the_1d_band() {
    let c = SpeciesBc::Concentration;
    let side = |p| Boundary {
        species: vec![c(1.0), c(1.0), c(1.0)],
        potential: p,
    };
    let cases = [
        (Closure::Poisson, PotentialBc::Potential(0.01), 4),
        (Closure::Electroneutral, PotentialBc::Current(1.0), 7),
    ];
    for (closure, right, lower_expected) in cases {
        let m = build(
            closure,
            Geometry::Planar,
            [side(PotentialBc::Potential(0.0)), side(right)],
            0.0,
        );
        assert!(matches!(
            NonlinearSystem::structure(&m),
            Structure::BlockTridiagonal {
                blocks: 9,
                block_size: 4,
                coupling: Some(_),
            }
        ));
        let (lower, upper) = m.asm.as_ref().unwrap().pattern().bandwidths();
        assert_eq!(lower, lower_expected, "{closure:?}");
        assert!(upper <= 7, "{closure:?}: upper {upper}");
    }
}

#[test]
fn ill_posed_problems_are_rejected_with_advice() {
    let c = SpeciesBc::Concentration;
    let b = |p| Boundary {
        species: vec![c(1.0), c(1.0), c(1.0)],
        potential: p,
    };
    let p = |closure, bnd: [Boundary; 2]| Problem {
        grid: Grid::new(Geometry::Planar, 0.0, 1e-7, 9, Spacing::Uniform).unwrap(),
        species: vec![
            sp("A+", 1.0, 1e-9),
            sp("B2-", -2.0, 0.7e-9),
            sp("C+", 1.0, 2e-9),
        ],
        temperature: 300.0,
        permittivity: 78.0,
        closure,
        boundaries: bnd,
        velocity: 0.0,
        scheme: Scheme::ScharfetterGummel,
    };
    let e = Electrodiffusion::new(p(
        Closure::Poisson,
        [b(PotentialBc::Free), b(PotentialBc::Free)],
    ))
    .unwrap_err();
    assert!(e.to_string().contains("fixed potential"), "{e}");
    let e = Electrodiffusion::new(p(
        Closure::FixedField,
        [b(PotentialBc::Potential(0.0)), b(PotentialBc::Free)],
    ))
    .unwrap_err();
    assert!(e.to_string().contains("right"), "{e}");
    // 1 + 1 - 2 = 0 is neutral; make the right side charged.
    let mut bad = p(
        Closure::Electroneutral,
        [b(PotentialBc::Potential(0.0)), b(PotentialBc::Free)],
    );
    bad.boundaries[1].species[0] = c(2.0);
    let e = Electrodiffusion::new(bad).unwrap_err();
    assert!(e.to_string().contains("not electroneutral"), "{e}");
    let mut bad = p(
        Closure::Poisson,
        [b(PotentialBc::Potential(0.0)), b(PotentialBc::Free)],
    );
    bad.species[1].diffusivity = -1e-9;
    let e = Electrodiffusion::new(bad).unwrap_err();
    assert!(e.to_string().contains("diffusivity of B2-"), "{e}");
}

/// Regression (issue #8): a constant velocity in curved geometry was solved, although
/// `div(v e_r) != 0` there, so the "advection" created and destroyed matter.
#[test]
fn constant_advection_in_curved_geometry_is_rejected() {
    for g in [Geometry::Cylindrical, Geometry::Spherical] {
        let e = Electrodiffusion::new(Problem {
            grid: Grid::new(g, 1e-6, 1e-6, 9, Spacing::Uniform).unwrap(),
            species: vec![sp("A", 0.0, 1e-9)],
            temperature: 300.0,
            permittivity: 78.0,
            closure: Closure::FixedField,
            boundaries: [
                Boundary {
                    species: vec![SpeciesBc::Concentration(1.0)],
                    potential: PotentialBc::Potential(0.0),
                },
                Boundary {
                    species: vec![SpeciesBc::Concentration(0.0)],
                    potential: PotentialBc::Potential(0.0),
                },
            ],
            velocity: 1e-6,
            scheme: Scheme::ScharfetterGummel,
        })
        .unwrap_err();
        assert!(e.to_string().contains("not divergence-free"), "{e}");
    }
}
