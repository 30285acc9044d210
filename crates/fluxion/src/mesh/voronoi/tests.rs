//! Tests of the Delaunay-Voronoi meshes: exact measures and second-order solutions.

use super::*;
use crate::constants::VACUUM_PERMITTIVITY;
use crate::mesh::{Extruded, Polygon, Sphere};
use crate::models::potential::{
    node_gradient, solve_potential, FieldKind, PatchCondition, PotentialProblem, RegionMaterial,
};
use crate::solve::SolverChoice;

fn disk(r: f64, segments: usize, patch: &str) -> OuterBoundary {
    let c = Curve::circle([0.0, 0.0], r, segments);
    OuterBoundary {
        patches: vec![patch.into(); c.points.len()],
        points: c.points,
    }
}

/// Half disk `r >= 0` of radius `big` in (r, z), its axis through the vertices
/// `(0, +-a)` and `(0, 0)`: patches `outer` (the arc) and `axis`.
fn half_disk(big: f64, a: f64, segments: usize) -> OuterBoundary {
    let mut points = Curve::arc([0.0, 0.0], big, -PI / 2.0, PI / 2.0, segments, false).points;
    points[0][0] = 0.0;
    points[segments][0] = 0.0;
    let mut patches = vec!["outer".to_string(); segments];
    points.extend([[0.0, a], [0.0, 0.0], [0.0, -a]]);
    patches.extend([
        "axis".to_string(),
        "axis".into(),
        "axis".into(),
        "axis".into(),
    ]);
    OuterBoundary { points, patches }
}

fn order(e: &[f64]) -> Vec<f64> {
    e.windows(2).map(|w| (w[0] / w[1]).log2()).collect()
}

/// `div(k (grad u - m)) = 0` (`-grad u = H`, `B/mu0 = k H + m` for a magnetic scalar
/// potential with magnetization `m`; `D/eps0 = eps_r E` with `m = 0`) with per-region
/// `k`, `m`, Dirichlet data `g(x)` on the nodes of `patch` and natural conditions on
/// the other patches, by [`solve_potential`] with a [`PatchCondition::NodePotential`].
fn solve_dirichlet(
    dm: &DelaunayMesh,
    k: &[f64],
    m: &[[f64; 2]],
    patch: &str,
    g: impl Fn([f64; 3]) -> f64,
) -> Vec<f64> {
    let mesh = Arc::new(dm.mesh.clone());
    let pid = mesh.patch_index(patch).unwrap();
    let node_potential = (0..mesh.nodes()).map(|i| g(mesh.position(i))).collect();
    let patches = (0..mesh.patches().len())
        .map(|q| {
            if q == pid as usize {
                PatchCondition::NodePotential
            } else {
                PatchCondition::Natural
            }
        })
        .collect();
    let materials = k
        .iter()
        .zip(m)
        .map(|(&relative, m)| RegionMaterial::Medium {
            relative,
            charge_density: 0.0,
            polarization: [m[0], m[1], 0.0],
        })
        .collect();
    solve_potential(&PotentialProblem {
        kind: FieldKind::Magnetic,
        mesh,
        materials,
        patches,
        node_potential,
        solver: SolverChoice::SparseLu,
    })
    .unwrap()
    .potential
}

/// Region-weighted mean of `-grad u` over the triangles of `region` (weight `2 pi r`
/// in (r, z)).
fn mean_field(dm: &DelaunayMesh, u: &[f64], region: u16) -> [f64; 2] {
    let axi = dm.mesh.coordinates() == CoordinateSystem::Axisymmetric;
    let (mut e, mut v) = ([0.0; 2], 0.0);
    for t in 0..dm.triangles.len() {
        if dm.triangle_region[t] != region {
            continue;
        }
        let mut w = dm.triangle_area(t);
        if axi {
            let r: f64 = dm.triangles[t]
                .iter()
                .map(|&i| dm.mesh.position(i as usize)[0])
                .sum::<f64>()
                / 3.0;
            w *= r;
        }
        let g = dm.triangle_gradient(t, u);
        e[0] -= w * g[0];
        e[1] -= w * g[1];
        v += w;
    }
    [e[0] / v, e[1] / v]
}

fn node_at(dm: &DelaunayMesh, x: [f64; 2]) -> usize {
    (0..dm.mesh.nodes())
        .find(|&i| {
            let p = dm.mesh.position(i);
            (p[0] - x[0]).abs() + (p[1] - x[1]).abs() < 1e-12
        })
        .unwrap()
}

fn polygon_region(name: &str, points: Vec<[f64; 2]>) -> RegionRule {
    RegionRule {
        name: name.into(),
        shape: Arc::new(Extruded::new(Polygon::new(points).unwrap(), -1.0, 1.0).unwrap()),
    }
}

/// Exact measures: the control volumes add up to the polygon's area (Cartesian) and to
/// `2 pi int r dA` (axisymmetric), the boundary patch faces to its perimeter and to the
/// area of the surface of revolution, to round-off; every face segment is non-negative.
#[test]
fn volumes_and_patch_areas_are_exact() {
    let b = disk(1.0, 40, "rim");
    let mut spec = DelaunaySpec::new(CoordinateSystem::Cartesian, b, 0.15);
    spec.curves
        .push(Curve::circle([0.2, 0.0], 0.4, 24).with_patch("shell"));
    let dm = delaunay_mesh(&spec).unwrap();
    let area = 20.0 * (2.0 * PI / 40.0).sin();
    let m = &dm.mesh;
    assert!(
        (m.total_volume() - area).abs() < 1e-13 * area,
        "{}",
        m.total_volume()
    );
    assert!(dm.quality.min_face_ratio >= 0.0 && dm.quality.min_angle_deg > 20.0);
    let perimeter = 80.0 * (PI / 40.0).sin();
    let rim: f64 = m
        .patch_faces()
        .iter()
        .filter(|p| p.patch == 0)
        .map(|p| p.area)
        .sum();
    assert!((rim - perimeter).abs() < 1e-13, "{rim}");
    let shell: f64 = m
        .patch_faces()
        .iter()
        .filter(|p| p.patch == 1)
        .map(|p| p.area)
        .sum();
    assert!(
        (shell - 0.8 * 24.0 * (PI / 24.0).sin()).abs() < 1e-13,
        "{shell}"
    );
    // Outward normals on the rim.
    for pf in m.patch_faces().iter().filter(|p| p.patch == 0) {
        let x = m.position(pf.node as usize);
        assert!(pf.normal[0] * x[0] + pf.normal[1] * x[1] > 0.9);
    }
    // (r, z): half disk of radius 1 revolved, int r dA by the polygon formula.
    let b = half_disk(1.0, 0.5, 20);
    let dm = delaunay_mesh(&DelaunaySpec::new(
        CoordinateSystem::Axisymmetric,
        b.clone(),
        0.1,
    ))
    .unwrap();
    let n = b.points.len();
    let mut ir = 0.0;
    for k in 0..n {
        let (p, q) = (b.points[k], b.points[(k + 1) % n]);
        ir += (p[0] + q[0]) * cross(p, q) / 6.0;
    }
    let v = 2.0 * PI * ir.abs();
    assert!(
        (dm.mesh.total_volume() - v).abs() < 1e-13 * v,
        "{} {v}",
        dm.mesh.total_volume()
    );
    // Surface of revolution of the polygonal arc: sum of cone frusta 2 pi r_mid L.
    let mut s = 0.0;
    for k in 0..20 {
        let (p, q) = (b.points[k], b.points[k + 1]);
        s += PI * (p[0] + q[0]) * norm(sub(q, p));
    }
    let outer = dm.mesh.patch_index("outer").unwrap();
    let got: f64 = dm
        .mesh
        .patch_faces()
        .iter()
        .filter(|p| p.patch == outer)
        .map(|p| p.area)
        .sum();
    assert!((got - s).abs() < 1e-13 * s, "{got} {s}");
}

/// `-lap u = 1` on the disk of radius 1 with `u = 0` on the rim:
/// `u = (1 - r^2)/4` (VoronoiFVM.jl's test case). The polygonal disk makes the error
/// `O(h^2)`; measured (max nodal error, debug build):
///
/// | h     | max error | order |
/// |-------|-----------|-------|
/// | 0.2   | 2.402e-3  |       |
/// | 0.1   | 6.212e-4  | 1.95  |
/// | 0.05  | 1.554e-4  | 2.00  |
/// | 0.025 | 3.885e-5  | 2.00  |
#[test]
fn poisson_on_a_disk_is_second_order() {
    let mut errs = vec![];
    for h in [0.2, 0.1, 0.05, 0.025] {
        let segments = (2.0 * PI / h).ceil() as usize;
        let dm = delaunay_mesh(&DelaunaySpec::new(
            CoordinateSystem::Cartesian,
            disk(1.0, segments, "rim"),
            h,
        ))
        .unwrap();
        let mesh = Arc::new(dm.mesh.clone());
        let s = solve_potential(&PotentialProblem {
            kind: FieldKind::Electric,
            mesh: mesh.clone(),
            materials: vec![RegionMaterial::Medium {
                relative: 1.0,
                charge_density: VACUUM_PERMITTIVITY,
                polarization: [0.0; 3],
            }],
            patches: vec![PatchCondition::Potential(0.0)],
            node_potential: vec![],
            solver: SolverChoice::Auto,
        })
        .unwrap();
        let e = (0..mesh.nodes())
            .map(|i| {
                let x = mesh.position(i);
                (s.potential[i] - 0.25 * (1.0 - x[0] * x[0] - x[1] * x[1])).abs()
            })
            .fold(0.0, f64::max);
        eprintln!("disk h {h} nodes {} error {e:.3e}", mesh.nodes());
        errs.push(e);
    }
    let o = order(&errs);
    eprintln!("orders {o:?}");
    assert!(o.iter().all(|&x| x > 1.7), "{errs:?} {o:?}");
}

/// Dielectric cylinder (radius 1, eps_i = 4) in a uniform field `E0 = 1` along x in
/// eps_o = 1: inside `E = 2 eps_o/(eps_i + eps_o) E0 = 0.4` (Jackson, Classical
/// Electrodynamics, 3rd ed., problem 4.10); outside
/// `phi = -E0 x (1 - (eps_i - eps_o)/(eps_i + eps_o) a^2/r^2)`, imposed on the circle of
/// radius 10. The interface is made of triangle edges, so the field converges at second
/// order (relative errors of the mean interior field and the field at the centre node):
///
/// | h at the interface | mean field | order | centre | order |
/// |--------------------|------------|-------|--------|-------|
/// | 0.2   | 1.038e-2 |      | 1.029e-2 |      |
/// | 0.1   | 3.030e-3 | 1.78 | 3.020e-3 | 1.77 |
/// | 0.05  | 7.950e-4 | 1.93 | 7.937e-4 | 1.93 |
/// | 0.025 | 2.008e-4 | 1.98 | 2.007e-4 | 1.98 |
///
/// (442 to 21962 nodes; the size field and the outer edge length scale together.)
#[test]
fn dielectric_cylinder_in_a_uniform_field_is_second_order() {
    let (a, big, ei) = (1.0, 10.0, 4.0);
    let beta = (ei - 1.0) / (ei + 1.0);
    let exact = 2.0 / (ei + 1.0);
    let (mut em, mut ec) = (vec![], vec![]);
    for sc in [1.0, 0.5, 0.25, 0.125] {
        let ha = 0.2 * sc;
        let inner = Curve::circle([0.0, 0.0], a, (2.0 * PI * a / ha).ceil() as usize);
        let outer_n = (2.0 * PI * big / (2.5 * sc)).ceil() as usize;
        let mut spec = DelaunaySpec::new(
            CoordinateSystem::Cartesian,
            disk(big, outer_n, "outer"),
            2.5 * sc,
        );
        spec.regions
            .push(polygon_region("cylinder", inner.points.clone()));
        spec.curves.push(inner);
        spec.points.push([0.0, 0.0]);
        spec.near.push(SizeNear {
            shape: Arc::new(Sphere::new([0.0; 3], a).unwrap()),
            h: ha,
            growth: 0.5 * sc,
        });
        let dm = delaunay_mesh(&spec).unwrap();
        let g = |x: [f64; 3]| {
            let r2 = x[0] * x[0] + x[1] * x[1];
            -x[0] * (1.0 - beta * a * a / r2)
        };
        let u = solve_dirichlet(&dm, &[1.0, ei], &[[0.0; 2]; 2], "outer", g);
        let mean = mean_field(&dm, &u, 1);
        let c = node_at(&dm, [0.0, 0.0]);
        let centre = -node_gradient(&dm.mesh, &u)[c][0];
        em.push((mean[0] - exact).abs() / exact);
        ec.push((centre - exact).abs() / exact);
        eprintln!(
            "cylinder h {ha} nodes {} min angle {:.1} mean {:.3e} centre {:.3e}",
            dm.mesh.nodes(),
            dm.quality.min_angle_deg,
            em.last().unwrap(),
            ec.last().unwrap()
        );
    }
    let (om, oc) = (order(&em), order(&ec));
    eprintln!("orders mean {om:?} centre {oc:?}");
    // The coarsest pair is pre-asymptotic (1.78); the finer pairs are asserted.
    assert!(
        om[1..].iter().chain(&oc[1..]).all(|&x| x > 1.8),
        "{em:?} {ec:?} {om:?} {oc:?}"
    );
}

/// The sphere of radius `a` in (r, z) on the half disk of radius `big`, fine near the
/// sphere, the arc an interface curve, region 1 = `sphere`.
fn sphere_mesh(a: f64, big: f64, sc: f64) -> DelaunayMesh {
    let ha = 0.2 * sc;
    let ns = (PI * a / ha).ceil() as usize;
    let mut arc = Curve::arc([0.0, 0.0], a, -PI / 2.0, PI / 2.0, ns, false);
    arc.points[0][0] = 0.0;
    arc.points[ns][0] = 0.0;
    let outer_n = (PI * big / (2.5 * sc)).ceil() as usize;
    let mut spec = DelaunaySpec::new(
        CoordinateSystem::Axisymmetric,
        half_disk(big, a, outer_n),
        2.5 * sc,
    );
    spec.regions
        .push(polygon_region("sphere", arc.points.clone()));
    spec.curves.push(arc);
    spec.near.push(SizeNear {
        shape: Arc::new(Sphere::new([0.0; 3], a).unwrap()),
        h: ha,
        growth: 0.5 * sc,
    });
    delaunay_mesh(&spec).unwrap_or_else(|e| panic!("sphere mesh at scale {sc}: {e}"))
}

/// Run a sphere problem on four meshes; `field(dm, u)` gives the (mean, centre) `z`
/// field, compared with `exact`.
fn sphere_orders(
    label: &str,
    exact: f64,
    solve: impl Fn(&DelaunayMesh) -> Vec<f64>,
) -> (Vec<f64>, Vec<f64>) {
    let (mut em, mut ec) = (vec![], vec![]);
    for sc in [1.0, 0.5, 0.25, 0.125] {
        let dm = sphere_mesh(1.0, 10.0, sc);
        let u = solve(&dm);
        let mean = mean_field(&dm, &u, 1)[1];
        let c = node_at(&dm, [0.0, 0.0]);
        let centre = -node_gradient(&dm.mesh, &u)[c][1];
        em.push(((mean - exact) / exact).abs());
        ec.push(((centre - exact) / exact).abs());
        eprintln!(
            "{label} h {} nodes {} mean {:.3e} centre {:.3e}",
            0.2 * sc,
            dm.mesh.nodes(),
            em.last().unwrap(),
            ec.last().unwrap()
        );
    }
    let (om, oc) = (order(&em), order(&ec));
    eprintln!("{label} orders mean {om:?} centre {oc:?}");
    (om, oc)
}

/// Dielectric sphere (radius 1, eps_i = 4) in a uniform field `E0 = 1` along z in
/// eps_o = 1, in (r, z): inside `E = 3 eps_o/(eps_i + 2 eps_o) E0 = 0.5` (Jackson,
/// Classical Electrodynamics, 3rd ed., sec. 4.4); outside
/// `phi = -E0 z (1 - (eps_i - eps_o)/(eps_i + 2 eps_o) a^3/rho^3)` on the half circle
/// of radius 10, the axis a natural (symmetry) patch.
///
/// | h at the interface | mean field | order | centre | order |
/// |--------------------|------------|-------|--------|-------|
/// | 0.2   | 1.781e-2 |      | 1.769e-2 |      |
/// | 0.1   | 5.021e-3 | 1.83 | 5.005e-3 | 1.82 |
/// | 0.05  | 1.278e-3 | 1.97 | 1.275e-3 | 1.97 |
/// | 0.025 | 3.281e-4 | 1.96 | 3.280e-4 | 1.96 |
#[test]
fn dielectric_sphere_in_rz_is_second_order() {
    let ei = 4.0;
    let beta = (ei - 1.0) / (ei + 2.0);
    let (om, oc) = sphere_orders("dielectric sphere", 3.0 / (ei + 2.0), |dm| {
        solve_dirichlet(dm, &[1.0, ei], &[[0.0; 2]; 2], "outer", |x| {
            let rho3 = (x[0] * x[0] + x[1] * x[1]).powf(1.5);
            -x[1] * (1.0 - beta / rho3)
        })
    });
    assert!(
        om[1..].iter().chain(&oc[1..]).all(|&x| x > 1.8),
        "{om:?} {oc:?}"
    );
}

/// Uniformly magnetized sphere (radius `a = 1`, `M = 1` A/m along z, `mu_r = 1`) in
/// (r, z) by [`solve_potential`] with [`FieldKind::Magnetic`]: inside `H = -M/3`
/// (Jackson, Classical Electrodynamics, 3rd ed., sec. 5.10), outside the dipole
/// `Phi_M = M a^3 z / (3 rho^3)`. The outer half circle `rho = R = 10` is held at
/// `Phi_M = 0`, which adds the uniform potential `-M a^3 z / (3 R^3)` everywhere (it is
/// harmonic and keeps the interface conditions), so the exact interior field is
/// `H = -(M/3)(1 - a^3/R^3)`.
///
/// | h at the interface | mean field | order | centre | order |
/// |--------------------|------------|-------|--------|-------|
/// | 0.2   | 3.476e-2 |      | 3.451e-2 |      |
/// | 0.1   | 9.975e-3 | 1.80 | 9.937e-3 | 1.80 |
/// | 0.05  | 2.550e-3 | 1.97 | 2.545e-3 | 1.97 |
/// | 0.025 | 6.561e-4 | 1.96 | 6.556e-4 | 1.96 |
///
/// (254 to 11274 nodes.)
#[test]
fn magnetized_sphere_in_rz_is_second_order() {
    let (m, big) = (1.0, 10.0);
    let exact = -(m / 3.0) * (1.0 - 1.0 / (big * big * big));
    let (om, oc) = sphere_orders("magnetized sphere", exact, |dm| {
        let mesh = Arc::new(dm.mesh.clone());
        let patches = mesh
            .patches()
            .iter()
            .map(|p| match p.name.as_str() {
                "outer" => PatchCondition::Potential(0.0),
                _ => PatchCondition::Natural,
            })
            .collect();
        let mut materials = vec![RegionMaterial::VACUUM; 2];
        materials[mesh.region_index("sphere").unwrap() as usize] = RegionMaterial::Medium {
            relative: 1.0,
            charge_density: 0.0,
            polarization: [0.0, m, 0.0],
        };
        solve_potential(&PotentialProblem {
            kind: FieldKind::Magnetic,
            mesh,
            materials,
            patches,
            node_potential: vec![],
            solver: SolverChoice::Auto,
        })
        .unwrap()
        .potential
    });
    assert!(
        om[1..].iter().chain(&oc[1..]).all(|&x| x > 1.8),
        "{om:?} {oc:?}"
    );
}

/// Inputs that cannot make a mesh are refused with errors naming the value.
#[test]
fn bad_inputs_are_refused() {
    let spec = DelaunaySpec::new(CoordinateSystem::Cartesian, disk(1.0, 12, "rim"), -1.0);
    assert!(delaunay_mesh(&spec).unwrap_err().to_string().contains("-1"));
    let spec = DelaunaySpec::new(CoordinateSystem::Axisymmetric, disk(1.0, 12, "rim"), 0.5);
    assert!(delaunay_mesh(&spec)
        .unwrap_err()
        .to_string()
        .contains("r < 0"));
    let mut spec = DelaunaySpec::new(CoordinateSystem::Cartesian, disk(1.0, 12, "rim"), 0.5);
    spec.curves.push(Curve::circle([0.9, 0.0], 0.5, 12));
    assert!(delaunay_mesh(&spec)
        .unwrap_err()
        .to_string()
        .contains("crosses"));
    let mut spec = DelaunaySpec::new(CoordinateSystem::Cartesian, disk(1.0, 12, "rim"), 0.5);
    spec.boundary.patches.pop();
    assert!(delaunay_mesh(&spec).is_err());
}

/// The conical-nanopore mesh of `fluxion bench --pnp` at scale 2 (`h = 1.25 nm`, growth
/// 0.2) is pinned: faster builds must give the same cells, nodes in the same order, and the
/// same volumes and areas to round-off. Values from the build of 2026-12-02 (commit
/// f5df936, before the mesh-speed work of issue #9); the sums weighted by node or face
/// number from 2026-12-04, when the nodes were renumbered along a Hilbert curve
/// (`order.rs`; the unweighted sums did not change).
#[test]
fn nanopore_mesh_is_pinned() {
    let pore = ConicalPore {
        tip: 10e-9,
        base: 100e-9,
        length: 1e-6,
        reservoir: 0.3e-6,
    };
    let spec = pore.spec(1.25e-9, 1.25e-9, 0.2, 2_000_000).unwrap();
    let dm = delaunay_mesh(&spec).unwrap();
    let m = &dm.mesh;
    assert_eq!(
        (m.nodes(), m.faces(), dm.triangles.len()),
        (14266, 40475, 26210)
    );
    let close = |got: f64, want: f64, what: &str| {
        assert!(
            (got - want).abs() <= 1e-12 * want.abs(),
            "{what}: {got:e}, pinned {want:e}"
        )
    };
    let vol: f64 = (0..m.nodes()).map(|i| m.volume(i)).sum();
    let ivol: f64 = (0..m.nodes()).map(|i| i as f64 * m.volume(i)).sum();
    let area: f64 = (0..m.faces()).map(|f| m.face_area(f)).sum();
    let farea: f64 = (0..m.faces()).map(|f| f as f64 * m.face_area(f)).sum();
    let dist: f64 = (0..m.faces()).map(|f| m.face_distance(f)).sum();
    close(vol, 1.812698961121305e-19, "sum of volumes");
    close(ivol, 1.4247944857645403e-15, "sum of i * volume_i");
    close(area, 3.9453942588971664e-11, "sum of face areas");
    close(farea, 8.980678577124285e-7, "sum of f * area_f");
    close(dist, 0.00011172145611186282, "sum of face distances");
    let patch_area = |name: &str| {
        let p = m.patch_index(name).unwrap();
        let faces = m.patch_faces().iter().filter(|q| q.patch == p);
        let a: f64 = faces.clone().map(|q| q.area).sum();
        let na: f64 = faces.map(|q| q.node as f64 * q.area).sum();
        (a, na)
    };
    let (a, na) = patch_area("pore_wall");
    close(a, 3.469719486940291e-13, "pore_wall area");
    close(na, 2.9650474638139723e-9, "pore_wall node * area");
    let (a, na) = patch_area("membrane");
    close(a, 5.337565918449054e-13, "membrane area");
    close(na, 4.16848230316007e-9, "membrane node * area");
    let (a, na) = patch_area("tip_reservoir");
    close(a, 8.482300164692444e-13, "tip_reservoir area");
    close(na, 2.8058560463130253e-9, "tip_reservoir node * area");
    close(dm.quality.min_angle_deg, 25.00101095995433, "min angle");
}
