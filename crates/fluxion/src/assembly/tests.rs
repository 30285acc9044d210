//! The assembler on problems with exact discrete answers, and its Jacobian against finite
//! differences.

use super::*;
use crate::mesh::{Geometry, Grid, Spacing};
use crate::solve::{make_solver, SolverChoice};

/// `J = T (u_K - u_L)` (the two-point flux of `-div grad u`), field 0.
struct Diffusion<'a> {
    t: &'a [f64],
}
impl FluxLaw for Diffusion<'_> {
    fn couplings(&self) -> Vec<(usize, usize)> {
        vec![(0, 0)]
    }
    fn flux(&self, f: usize, _n: [usize; 2], uk: &[f64], ul: &[f64], out: &mut FaceFlux) {
        out.add(0, self.t[f] * (uk[0] - ul[0]));
        out.add_dk(0, 0, self.t[f]);
        out.add_dl(0, 0, -self.t[f]);
    }
}
/// Source `-V (1 + alpha u^2)`.
struct Source<'a> {
    v: &'a [f64],
    alpha: f64,
}
impl VolumeTerm for Source<'_> {
    fn couplings(&self) -> Vec<(usize, usize)> {
        vec![(0, 0)]
    }
    fn eval(&self, node: usize, u: &[f64], out: &mut Local) {
        out.add(0, -self.v[node] * (1.0 + self.alpha * u[0] * u[0]));
        out.add_d(0, 0, -self.v[node] * 2.0 * self.alpha * u[0]);
    }
}
/// Robin outflow `beta u^3` through patch faces.
struct Robin<'a> {
    area: &'a [f64],
    beta: f64,
}
impl BoundaryTerm for Robin<'_> {
    fn couplings(&self) -> Vec<(usize, usize)> {
        vec![(0, 0)]
    }
    fn eval(&self, i: usize, u: &[f64], out: &mut Local) {
        out.add(0, self.area[i] * self.beta * u[0].powi(3));
        out.add_d(0, 0, self.area[i] * 3.0 * self.beta * u[0] * u[0]);
    }
}
/// `u = 0` on algebraic rows.
struct Zero;
impl NodeEquation for Zero {
    fn couplings(&self) -> Vec<(usize, usize)> {
        vec![(0, 0)]
    }
    fn eval(&self, _node: usize, _f: usize, u: &[f64], d: &mut [f64]) -> f64 {
        d[0] = 1.0;
        u[0]
    }
}

/// `-lap u = 1` on a disk (cylinder) or ball of radius R with u(R) = 0: the box scheme on
/// any grid gives `u = (R^2 - r^2)/(2 d)` at the nodes to round-off (the flux through a
/// face `A(r_f) (r_i + r_{i+1})/(2d) ...` balances the box volume exactly); the exactness
/// test of VoronoiFVM.jl for every coordinate system.
#[test]
fn minus_laplacian_one_is_exact_on_a_disk_and_a_ball() {
    for (geom, d) in [(Geometry::Cylindrical, 2.0), (Geometry::Spherical, 3.0)] {
        let r0 = 1.0;
        // Non-uniform grid from the centre.
        let x: Vec<f64> = (0..23).map(|i| r0 * (i as f64 / 22.0).powf(1.3)).collect();
        let grid = Grid::from_nodes(geom, 0.0, x).unwrap();
        let mesh = Arc::new(Mesh::from_grid(&grid));
        let n = mesh.nodes();
        let t: Vec<f64> = (0..mesh.faces())
            .map(|f| mesh.transmissibility(f, |_| Some(1.0)))
            .collect();
        let v: Vec<f64> = (0..n).map(|i| mesh.volume(i)).collect();
        let mut class = vec![0u16; n];
        class[n - 1] = 1;
        let rules = RowRules::new(
            vec![vec![RowRule::Balance], vec![RowRule::Algebraic]],
            class,
        );
        let (lap, src) = (Diffusion { t: &t }, Source { v: &v, alpha: 0.0 });
        let flux: [&dyn FluxLaw; 1] = [&lap];
        let vol: [&dyn VolumeTerm; 1] = [&src];
        let terms = Terms {
            flux: &flux,
            volume: &vol,
            boundary: &[],
            equation: Some(&Zero),
        };
        let mut asm = Assembler::new(
            mesh.clone(),
            DofMap::full(n, 1).unwrap(),
            rules,
            &terms,
            true,
        );
        let mut solver = make_solver(&asm.structure(), SolverChoice::Auto).unwrap();
        let x0 = vec![0.0; n];
        let mut r = vec![0.0; n];
        asm.assemble(&terms, &x0, &mut r, Some(solver.matrix()));
        solver.factor().unwrap();
        for v in r.iter_mut() {
            *v = -*v;
        }
        solver.solve(&mut r).unwrap();
        for i in 0..n {
            let ri = mesh.position(i)[0];
            let exact = (r0 * r0 - ri * ri) / (2.0 * d);
            assert!(
                (r[i] - exact).abs() < 1e-13,
                "{geom:?} node {i}: {} vs {exact}",
                r[i]
            );
        }
    }
}

/// The assembled Jacobian of a nonlinear problem with every kind of term equals central
/// finite differences of the residual.
#[test]
fn jacobian_of_every_term_kind_matches_finite_differences() {
    let grid = Grid::new(Geometry::Spherical, 0.5, 1.0, 9, Spacing::Uniform).unwrap();
    let mesh = Arc::new(Mesh::from_grid(&grid));
    let n = mesh.nodes();
    let t: Vec<f64> = (0..mesh.faces())
        .map(|f| mesh.transmissibility(f, |_| Some(1.3)))
        .collect();
    let v: Vec<f64> = (0..n).map(|i| mesh.volume(i)).collect();
    let area: Vec<f64> = mesh.patch_faces().iter().map(|p| p.area).collect();
    let mut class = vec![0u16; n];
    class[n - 1] = 1;
    let rules = RowRules::new(
        vec![vec![RowRule::Balance], vec![RowRule::Algebraic]],
        class,
    );
    let (lap, src, rob) = (
        Diffusion { t: &t },
        Source { v: &v, alpha: 0.7 },
        Robin {
            area: &area,
            beta: 2.0,
        },
    );
    let flux: [&dyn FluxLaw; 1] = [&lap];
    let vol: [&dyn VolumeTerm; 1] = [&src];
    let bnd: [&dyn BoundaryTerm; 1] = [&rob];
    let terms = Terms {
        flux: &flux,
        volume: &vol,
        boundary: &bnd,
        equation: Some(&Zero),
    };
    let mut asm = Assembler::new(mesh, DofMap::full(n, 1).unwrap(), rules, &terms, false);
    let pattern = asm.pattern().clone();
    let mut jac = crate::solve::CsrMatrix::zeros(pattern);
    let x: Vec<f64> = (0..n).map(|i| 0.3 + (i as f64).sin()).collect();
    let mut r = vec![0.0; n];
    asm.assemble(&terms, &x, &mut r, Some(&mut jac));
    let (mut rp, mut rm) = (vec![0.0; n], vec![0.0; n]);
    for j in 0..n {
        let mut xp = x.clone();
        xp[j] += 1e-6;
        asm.assemble(&terms, &xp, &mut rp, None);
        xp[j] -= 2e-6;
        asm.assemble(&terms, &xp, &mut rm, None);
        for i in 0..n {
            let fd = (rp[i] - rm[i]) / 2e-6;
            let an = jac.get(i, j);
            assert!(
                (fd - an).abs() < 1e-6 * (1.0 + fd.abs()),
                "({i},{j}) {an} vs {fd}"
            );
        }
    }
}

/// Two coupled fields: `J_0 = T (du_0 + du_1 / 10)`, `J_1 = T du_1 (1 + u_{K,0} / 2)`
/// with `du = u_K - u_L`.
struct Coupled<'a> {
    t: &'a [f64],
}
impl FluxLaw for Coupled<'_> {
    fn couplings(&self) -> Vec<(usize, usize)> {
        vec![(0, 0), (0, 1), (1, 0), (1, 1)]
    }
    fn flux(&self, f: usize, _n: [usize; 2], uk: &[f64], ul: &[f64], out: &mut FaceFlux) {
        let (t, d0, d1) = (self.t[f], uk[0] - ul[0], uk[1] - ul[1]);
        out.add(0, t * (d0 + 0.1 * d1));
        out.add_dk(0, 0, t);
        out.add_dl(0, 0, -t);
        out.add_dk(0, 1, 0.1 * t);
        out.add_dl(0, 1, -0.1 * t);
        let g = 1.0 + 0.5 * uk[0];
        out.add(1, t * d1 * g);
        out.add_dk(1, 1, t * g);
        out.add_dl(1, 1, -t * g);
        out.add_dk(1, 0, 0.5 * t * d1);
    }
}

/// A chain of at least `SPLIT_FACES` faces is assembled in two halves on two threads
/// (`Split`; each half in blocks of `CHAIN_BLOCK` faces, its node terms after each block),
/// residual and block-tridiagonal Jacobian alike: they equal the serial
/// assembly's bit for bit except in the rows of the two nodes at the split (where the
/// face between the halves is added last), and to rounding there. Every kind of term, an
/// algebraic row and a combination row take part.
#[test]
fn a_split_chain_assembly_equals_the_serial_one() {
    let nodes = SPLIT_FACES + 7;
    assert!(nodes / 2 > 4 * CHAIN_BLOCK, "several blocks per half");
    let grid = Grid::new(Geometry::Spherical, 0.5, 1.0, nodes, Spacing::Uniform).unwrap();
    let mesh = Arc::new(Mesh::from_grid(&grid));
    let n = mesh.nodes();
    let t: Vec<f64> = (0..mesh.faces())
        .map(|f| mesh.transmissibility(f, |_| Some(1.3)))
        .collect();
    let v: Vec<f64> = (0..n).map(|i| mesh.volume(i)).collect();
    let area: Vec<f64> = mesh.patch_faces().iter().map(|p| p.area).collect();
    let mut class = vec![0u16; n];
    (class[0], class[n - 1]) = (2, 1);
    let rules = RowRules::new(
        vec![
            vec![RowRule::Balance; 2],
            vec![RowRule::Algebraic, RowRule::Balance],
            vec![
                RowRule::Combination(vec![(0, 1.0), (1, -2.0)]),
                RowRule::Balance,
            ],
        ],
        class,
    );
    let (law, src, rob) = (
        Coupled { t: &t },
        Source { v: &v, alpha: 0.7 },
        Robin {
            area: &area,
            beta: 2.0,
        },
    );
    let flux: [&dyn FluxLaw; 1] = [&law];
    let vol: [&dyn VolumeTerm; 1] = [&src];
    let bnd: [&dyn BoundaryTerm; 1] = [&rob];
    let terms = Terms {
        flux: &flux,
        volume: &vol,
        boundary: &bnd,
        equation: Some(&Zero),
    };
    let mut split = Assembler::new(mesh, DofMap::full(n, 2).unwrap(), rules, &terms, true);
    let at = split.split.clone().expect("a long chain splits");
    assert_eq!((at.node, at.faces), (n / 2, [n / 2 - 1, n / 2]));
    let mut serial = split.clone();
    serial.split = None;
    let x: Vec<f64> = (0..2 * n).map(|i| 0.3 + (i as f64 * 1e-3).sin()).collect();
    let structure = split.structure();
    assert!(matches!(structure, Structure::BlockTridiagonal { .. }));
    let (mut js, mut jp) = (
        make_solver(&structure, SolverChoice::Auto).unwrap(),
        make_solver(&structure, SolverChoice::Auto).unwrap(),
    );
    let (mut rs, mut rp, mut rr) = (vec![0.0; 2 * n], vec![1.0; 2 * n], vec![1.0; 2 * n]);
    serial.assemble(&terms, &x, &mut rs, Some(js.matrix()));
    split.assemble(&terms, &x, &mut rp, Some(jp.matrix()));
    split.assemble(&terms, &x, &mut rr, None);
    let near_split = |row: usize| (2 * (at.node - 1)..2 * (at.node + 1)).contains(&row);
    let scale = rs.iter().fold(0.0f64, |m, v| m.max(v.abs()));
    for i in 0..2 * n {
        for (what, r) in [("residual", &rp), ("residual alone", &rr)] {
            let same = if near_split(i) {
                (rs[i] - r[i]).abs() <= 1e-13 * scale
            } else {
                rs[i].to_bits() == r[i].to_bits()
            };
            assert!(same, "{what} row {i}: {} vs {}", rs[i], r[i]);
        }
        for j in (i / 2).saturating_sub(1) * 2..((i / 2 + 2) * 2).min(2 * n) {
            let (a, b) = (js.matrix().get(i, j), jp.matrix().get(i, j));
            let same = if near_split(i) {
                (a - b).abs() <= 1e-13 * (1.0 + a.abs())
            } else {
                a.to_bits() == b.to_bits()
            };
            assert!(same, "Jacobian ({i}, {j}): {a} vs {b}");
        }
    }
    assert_eq!(rs[2 * (n - 1)], x[2 * (n - 1)], "the algebraic row");
}

/// A residual alone on a large mesh that does not split (faces not in chain order) runs
/// the faces on two threads, each into its own copy of `r`; it equals, to rounding, the
/// residual the (one-thread) Jacobian assembly returns.
#[test]
fn a_parallel_residual_equals_the_serial_one() {
    let grid = Grid::new(
        Geometry::Planar,
        0.0,
        1.0,
        PARALLEL_FACES + 2,
        Spacing::Uniform,
    )
    .unwrap();
    let mesh = Arc::new(Mesh::from_grid(&grid));
    let n = mesh.nodes();
    assert!(mesh.faces() >= PARALLEL_FACES);
    let t: Vec<f64> = (0..mesh.faces())
        .map(|f| mesh.transmissibility(f, |_| Some(1.0)))
        .collect();
    let v: Vec<f64> = (0..n).map(|i| mesh.volume(i)).collect();
    let rules = RowRules::new(vec![vec![RowRule::Balance]], vec![0u16; n]);
    let (lap, src) = (Diffusion { t: &t }, Source { v: &v, alpha: 0.5 });
    let flux: [&dyn FluxLaw; 1] = [&lap];
    let vol: [&dyn VolumeTerm; 1] = [&src];
    let terms = Terms {
        flux: &flux,
        volume: &vol,
        boundary: &[],
        equation: None,
    };
    // A general (not banded) mesh whose chain order is not used.
    let mut asm = Assembler::new(
        mesh.clone(),
        DofMap::full(n, 1).unwrap(),
        rules,
        &terms,
        false,
    );
    asm.split = None;
    let x: Vec<f64> = (0..n).map(|i| (i as f64 * 1e-3).sin()).collect();
    let mut jac = crate::solve::CsrMatrix::zeros(asm.pattern().clone());
    let (mut serial, mut parallel) = (vec![0.0; n], vec![0.0; n]);
    asm.assemble(&terms, &x, &mut serial, Some(&mut jac));
    asm.assemble(&terms, &x, &mut parallel, None);
    assert!(
        asm.threads < 2 || asm.r2.len() == n,
        "the residual ran on two threads"
    );
    let scale = serial.iter().fold(0.0f64, |m, v| m.max(v.abs()));
    for (i, (a, b)) in serial.iter().zip(&parallel).enumerate() {
        assert!((a - b).abs() <= 1e-12 * scale, "node {i}: {a} vs {b}");
    }
}
