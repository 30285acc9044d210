//! Point location and piecewise linear interpolation on a triangulation.
//!
//! A [`TriangleLocator`] keeps the node positions and triangles of a [`DelaunayMesh`] and a
//! uniform bucket grid over their bounding box (about two cells per triangle; each triangle
//! is listed in every cell its bounding box overlaps). A point is located by testing the
//! triangles of its cell, so a query costs `O(triangles per cell)`, independent of the mesh
//! size for a mesh of graded but bounded density contrast.
//!
//! In triangle `(p_0, p_1, p_2)` the point `p = l_0 p_0 + l_1 p_1 + l_2 p_2` has the
//! barycentric weights
//!
//! ```text
//! l_1 = cross(p - p_0, p_2 - p_0) / D,   l_2 = cross(p_1 - p_0, p - p_0) / D,
//! l_0 = 1 - l_1 - l_2,                   D = cross(p_1 - p_0, p_2 - p_0),
//! ```
//!
//! and the linear interpolant of node values is `u(p) = sum_k l_k u_k`: exact for any field
//! linear in `(x, y)`, continuous across triangles. A point counts as inside a triangle if
//! every weight is `>= -1e-10` (points on an edge or a vertex belong to one of the triangles
//! sharing it).

use super::{cross, sub, DelaunayMesh};
use crate::mesh::Mesh;

/// Tolerance on the barycentric weights of a point on an edge.
const EDGE_TOLERANCE: f64 = 1e-10;

/// Where a point lies: its triangle, the three nodes and their barycentric weights.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct TriangleSpot {
    /// Triangle index.
    pub triangle: usize,
    /// Its nodes.
    pub nodes: [usize; 3],
    /// Barycentric weights (sum 1, each in `[0, 1]` up to the edge tolerance).
    pub weights: [f64; 3],
}

impl TriangleSpot {
    /// `sum_k l_k f(node_k)`: the linear interpolant of the node values `f` at the point.
    #[inline]
    pub fn interpolate(&self, f: impl Fn(usize) -> f64) -> f64 {
        self.weights[0] * f(self.nodes[0])
            + self.weights[1] * f(self.nodes[1])
            + self.weights[2] * f(self.nodes[2])
    }
}

/// Point location on a triangulation with a uniform bucket grid (see the module docs).
#[derive(Clone, Debug)]
pub struct TriangleLocator {
    points: Vec<[f64; 2]>,
    triangles: Vec<[u32; 3]>,
    regions: Vec<u16>,
    lo: [f64; 2],
    hi: [f64; 2],
    cell: [f64; 2],
    n: [usize; 2],
    start: Vec<u32>,
    items: Vec<u32>,
}

impl TriangleLocator {
    /// The locator of a Delaunay-Voronoi mesh.
    pub fn of(dm: &DelaunayMesh) -> Self {
        Self::new(&dm.mesh, dm.triangles.clone(), dm.triangle_region.clone())
    }

    /// The locator of `triangles` (node indices of `mesh`, either orientation) with their
    /// regions (`regions.len() == triangles.len()`, or empty for one region).
    pub fn new(mesh: &Mesh, triangles: Vec<[u32; 3]>, regions: Vec<u16>) -> Self {
        let points: Vec<[f64; 2]> = (0..mesh.nodes())
            .map(|i| {
                let p = mesh.position(i);
                [p[0], p[1]]
            })
            .collect();
        let regions = if regions.len() == triangles.len() {
            regions
        } else {
            vec![0; triangles.len()]
        };
        let (mut lo, mut hi) = ([f64::INFINITY; 2], [f64::NEG_INFINITY; 2]);
        for t in &triangles {
            for &v in t {
                let p = points[v as usize];
                for c in 0..2 {
                    lo[c] = lo[c].min(p[c]);
                    hi[c] = hi[c].max(p[c]);
                }
            }
        }
        if triangles.is_empty() {
            (lo, hi) = ([0.0; 2], [0.0; 2]);
        }
        // About two cells per triangle, square cells.
        let ext = [(hi[0] - lo[0]).max(1e-300), (hi[1] - lo[1]).max(1e-300)];
        let target = (2 * triangles.len()).max(1) as f64;
        let side = (ext[0] * ext[1] / target).sqrt();
        let n = [
            ((ext[0] / side).ceil() as usize).clamp(1, 1 << 14),
            ((ext[1] / side).ceil() as usize).clamp(1, 1 << 14),
        ];
        let cell = [ext[0] / n[0] as f64, ext[1] / n[1] as f64];
        let mut loc = TriangleLocator {
            points,
            triangles,
            regions,
            lo,
            hi,
            cell,
            n,
            start: vec![],
            items: vec![],
        };
        // Counting pass, then fill (compressed rows: cell -> triangles).
        let mut count = vec![0u32; n[0] * n[1] + 1];
        for t in 0..loc.triangles.len() {
            let [i0, i1, j0, j1] = loc.cell_box(t);
            for j in j0..=j1 {
                for i in i0..=i1 {
                    count[j * n[0] + i + 1] += 1;
                }
            }
        }
        for k in 1..count.len() {
            count[k] += count[k - 1];
        }
        let mut items = vec![0u32; count[count.len() - 1] as usize];
        let mut next = count.clone();
        for t in 0..loc.triangles.len() {
            let [i0, i1, j0, j1] = loc.cell_box(t);
            for j in j0..=j1 {
                for i in i0..=i1 {
                    let c = j * n[0] + i;
                    items[next[c] as usize] = t as u32;
                    next[c] += 1;
                }
            }
        }
        loc.start = count;
        loc.items = items;
        loc
    }

    /// Cells `[i0, i1, j0, j1]` (inclusive) overlapped by the bounding box of triangle `t`.
    fn cell_box(&self, t: usize) -> [usize; 4] {
        let p = self.tri_points(t);
        let (mut a, mut b) = ([f64::INFINITY; 2], [f64::NEG_INFINITY; 2]);
        for q in p {
            for c in 0..2 {
                a[c] = a[c].min(q[c]);
                b[c] = b[c].max(q[c]);
            }
        }
        let [i0, j0] = self.cell_of(a);
        let [i1, j1] = self.cell_of(b);
        [i0, i1, j0, j1]
    }

    /// The cell holding `p` (clamped to the grid).
    fn cell_of(&self, p: [f64; 2]) -> [usize; 2] {
        std::array::from_fn(|c| {
            let f = ((p[c] - self.lo[c]) / self.cell[c]).floor();
            (f.max(0.0) as usize).min(self.n[c] - 1)
        })
    }

    fn tri_points(&self, t: usize) -> [[f64; 2]; 3] {
        self.triangles[t].map(|v| self.points[v as usize])
    }

    /// Number of triangles.
    pub fn triangle_count(&self) -> usize {
        self.triangles.len()
    }

    /// Node indices of triangle `t`.
    pub fn triangle(&self, t: usize) -> [usize; 3] {
        self.triangles[t].map(|v| v as usize)
    }

    /// Region of triangle `t`.
    pub fn region(&self, t: usize) -> u16 {
        self.regions[t]
    }

    /// Position of node `i`.
    pub fn point(&self, i: usize) -> [f64; 2] {
        self.points[i]
    }

    /// Number of nodes.
    pub fn nodes(&self) -> usize {
        self.points.len()
    }

    /// `[(xmin, xmax), (ymin, ymax)]` of the triangulated domain.
    pub fn bounds(&self) -> [(f64, f64); 2] {
        [(self.lo[0], self.hi[0]), (self.lo[1], self.hi[1])]
    }

    /// A length scale of triangle `t`: `sqrt(2 |area|)` (the legs of a right isosceles
    /// triangle of that area).
    pub fn size(&self, t: usize) -> f64 {
        let [a, b, c] = self.tri_points(t);
        cross(sub(b, a), sub(c, a)).abs().sqrt()
    }

    /// Barycentric weights of `p` in triangle `t`.
    fn weights(&self, t: usize, p: [f64; 2]) -> [f64; 3] {
        let [a, b, c] = self.tri_points(t);
        let d = cross(sub(b, a), sub(c, a));
        let ap = sub(p, a);
        let l1 = cross(ap, sub(c, a)) / d;
        let l2 = cross(sub(b, a), ap) / d;
        [1.0 - l1 - l2, l1, l2]
    }

    /// The triangle holding `p` and its weights, or `None` outside the triangulation.
    pub fn locate(&self, p: [f64; 2]) -> Option<TriangleSpot> {
        if !(p[0].is_finite() && p[1].is_finite()) || self.triangles.is_empty() {
            return None;
        }
        let tol = [
            1e-12 * (self.hi[0] - self.lo[0]).max(self.lo[0].abs()),
            1e-12 * (self.hi[1] - self.lo[1]).max(self.lo[1].abs()),
        ];
        if p[0] < self.lo[0] - tol[0]
            || p[0] > self.hi[0] + tol[0]
            || p[1] < self.lo[1] - tol[1]
            || p[1] > self.hi[1] + tol[1]
        {
            return None;
        }
        let [i, j] = self.cell_of(p);
        let c = j * self.n[0] + i;
        let mut best: Option<(f64, usize, [f64; 3])> = None;
        for &t in &self.items[self.start[c] as usize..self.start[c + 1] as usize] {
            let t = t as usize;
            let w = self.weights(t, p);
            let m = w[0].min(w[1]).min(w[2]);
            if m >= 0.0 {
                best = Some((m, t, w));
                break;
            }
            if m >= -EDGE_TOLERANCE && best.map_or(true, |b| m > b.0) {
                best = Some((m, t, w));
            }
        }
        best.map(|(_, t, w)| {
            let w = w.map(|x| x.clamp(0.0, 1.0));
            let s = w[0] + w[1] + w[2];
            TriangleSpot {
                triangle: t,
                nodes: self.triangle(t),
                weights: w.map(|x| x / s),
            }
        })
    }

    /// The linear interpolant of node values `u` at `p`; NaN outside the triangulation.
    pub fn value(&self, p: [f64; 2], u: &[f64]) -> f64 {
        self.locate(p).map_or(f64::NAN, |s| s.interpolate(|i| u[i]))
    }

    /// Gradient of the linear interpolant of `u` on triangle `t`.
    pub fn gradient(&self, t: usize, u: &[f64]) -> [f64; 2] {
        let [a, b, c] = self.tri_points(t);
        let [i, j, k] = self.triangle(t);
        let (e1, e2) = (sub(b, a), sub(c, a));
        let det = cross(e1, e2);
        let (d1, d2) = (u[j] - u[i], u[k] - u[i]);
        [
            (d1 * e2[1] - d2 * e1[1]) / det,
            (e1[0] * d2 - e2[0] * d1) / det,
        ]
    }

    /// Node gradients of `u`: the area-weighted mean of the gradients of the triangles
    /// around each node (triangles with a non-finite value skipped; nodes without any
    /// triangle left get NaN). Exact for a linear `u`.
    pub fn node_gradient(&self, u: &[f64]) -> Vec<[f64; 2]> {
        let mut sum = vec![[0.0; 3]; self.points.len()];
        for t in 0..self.triangles.len() {
            let nodes = self.triangle(t);
            if nodes.iter().any(|&v| !u[v].is_finite()) {
                continue;
            }
            let g = self.gradient(t, u);
            let [a, b, c] = self.tri_points(t);
            let w = 0.5 * cross(sub(b, a), sub(c, a)).abs();
            for v in nodes {
                sum[v][0] += w * g[0];
                sum[v][1] += w * g[1];
                sum[v][2] += w;
            }
        }
        sum.iter()
            .map(|s| {
                if s[2] > 0.0 {
                    [s[0] / s[2], s[1] / s[2]]
                } else {
                    [f64::NAN; 2]
                }
            })
            .collect()
    }

    /// Edges `[a, b]` (node indices) on the boundary of the triangulation (one triangle)
    /// or between triangles of different regions.
    pub fn outline_edges(&self) -> Vec<[usize; 2]> {
        let mut edges: Vec<([usize; 2], u16)> = Vec::with_capacity(3 * self.triangles.len());
        for t in 0..self.triangles.len() {
            let v = self.triangle(t);
            for k in 0..3 {
                let (a, b) = (v[k], v[(k + 1) % 3]);
                edges.push(([a.min(b), a.max(b)], self.regions[t]));
            }
        }
        edges.sort_unstable();
        let mut out = vec![];
        let mut k = 0;
        while k < edges.len() {
            let mut m = k + 1;
            while m < edges.len() && edges[m].0 == edges[k].0 {
                m += 1;
            }
            // One triangle: boundary; two of different regions: interface.
            if m - k == 1 || edges[k..m].iter().any(|e| e.1 != edges[k].1) {
                out.push(edges[k].0);
            }
            k = m;
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::super::{delaunay_mesh, Curve, DelaunaySpec, OuterBoundary, RegionRule};
    use super::*;
    use crate::mesh::{CoordinateSystem, Extruded, Polygon};
    use std::sync::Arc;

    fn mesh() -> DelaunayMesh {
        // An L-shaped domain with a disk inside: a non-convex boundary and an interface.
        let outer = OuterBoundary {
            points: vec![
                [0.0, 0.0],
                [2.0, 0.0],
                [2.0, 1.0],
                [1.0, 1.0],
                [1.0, 2.0],
                [0.0, 2.0],
            ],
            patches: vec!["wall".into(); 6],
        };
        let mut spec = DelaunaySpec::new(CoordinateSystem::Cartesian, outer, 0.08);
        let c = Curve::circle([0.5, 0.5], 0.25, 40);
        spec.regions.push(RegionRule {
            name: "disk".into(),
            shape: Arc::new(
                Extruded::new(Polygon::new(c.points.clone()).unwrap(), -1.0, 1.0).unwrap(),
            ),
        });
        spec.curves.push(c);
        delaunay_mesh(&spec).unwrap()
    }

    /// Linear fields are reproduced to rounding anywhere inside (vertices, edges,
    /// interiors), and points outside the non-convex domain are not located.
    #[test]
    fn interpolation_is_exact_for_linear_fields_and_outside_is_none() {
        let dm = mesh();
        let loc = TriangleLocator::of(&dm);
        let f = |p: [f64; 2]| 3.0 - 2.0 * p[0] + 0.5 * p[1];
        let u: Vec<f64> = (0..dm.mesh.nodes()).map(|i| f(loc.point(i))).collect();
        let mut worst: f64 = 0.0;
        let mut inside = 0;
        for a in 0..=200 {
            for b in 0..=200 {
                let p = [a as f64 / 100.0, b as f64 / 100.0];
                let in_l = p[0] <= 1.0 || p[1] <= 1.0;
                match loc.locate(p) {
                    Some(s) => {
                        assert!(in_l, "{p:?} located outside the domain");
                        worst = worst.max((s.interpolate(|i| u[i]) - f(p)).abs());
                        inside += 1;
                    }
                    None => assert!(!in_l, "{p:?} inside the domain not located"),
                }
            }
        }
        assert_eq!(inside, 201 * 201 - 100 * 100);
        assert!(worst < 1e-12, "{worst}");
        // Every node is found at its own position with weight 1.
        for i in 0..dm.mesh.nodes() {
            let s = loc.locate(loc.point(i)).unwrap();
            assert!((s.interpolate(|k| u[k]) - u[i]).abs() < 1e-12);
        }
        assert!(loc.value([1.5, 1.5], &u).is_nan());
        assert!(loc.locate([f64::NAN, 0.5]).is_none());
        // Gradients: exact per triangle and at the nodes.
        for g in loc.node_gradient(&u) {
            assert!(
                (g[0] + 2.0).abs() < 1e-9 && (g[1] - 0.5).abs() < 1e-9,
                "{g:?}"
            );
        }
        for t in 0..loc.triangle_count() {
            let g = dm.triangle_gradient(t, &u);
            assert!((g[0] + 2.0).abs() < 1e-9 && (g[1] - 0.5).abs() < 1e-9);
        }
    }

    /// Outline edges: the boundary polygon (perimeter 8) and the interface polygon around
    /// the disk (perimeter of a 40-gon of radius 0.25).
    #[test]
    fn outlines_are_the_boundary_and_the_interface() {
        let dm = mesh();
        let loc = TriangleLocator::of(&dm);
        let len: f64 = loc
            .outline_edges()
            .iter()
            .map(|&[a, b]| {
                let (p, q) = (loc.point(a), loc.point(b));
                (p[0] - q[0]).hypot(p[1] - q[1])
            })
            .sum();
        let ring = 40.0 * 2.0 * 0.25 * (std::f64::consts::PI / 40.0).sin();
        assert!((len - (8.0 + ring)).abs() < 1e-9, "{len}");
    }
}
