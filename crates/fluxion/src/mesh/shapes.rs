//! Solid shapes for painting regions and placing interfaces: box, sphere, cylinder, cone
//! and truncated cone (any axis), half-space, 2D polygon (an infinite prism along `z`), its
//! extrusion over a `z` range, and a general solid of revolution of a polygon profile.
//!
//! Every shape lives in 3D (the meshes embed their points, see
//! [`super::TensorGrid::embed`]) and answers three questions:
//!
//! - [`Shape::inside`]: whether a point is in the closed solid;
//! - [`Shape::crossings`]: the parameters `t` in `(0, 1)` where the segment
//!   `p0 + t (p1 - p0)` crosses the surface, computed in closed form (a linear or quadratic
//!   equation per surface piece, the quadratic solved in the cancellation-free form and
//!   polished by one Newton step, so `t` is exact to a few ulps). Candidates that lie on the
//!   extension of a surface piece may be included: the mesh builder labels each piece between
//!   crossings by [`Shape::inside`] at its midpoint, so extra points never change a result;
//! - [`Shape::signed_distance`]: a signed distance (negative inside) or a bound on it that is
//!   never larger in magnitude than the true distance; [`Shape::classify`] uses it to tell
//!   boxes that are certainly inside or outside from boxes that need the exact treatment.
//!
//! Solids of revolution (cylinder, cone, [`Revolved`]) are described by their profile in the
//! meridian half-plane `(rho, s)` (distance from the axis, position along it): the 3D
//! distance to such a solid equals the 2D distance of `(rho, s)` to the profile, and each
//! profile edge sweeps a cone, cylinder or annulus whose crossing with a segment is a
//! quadratic in `t`.

use std::fmt;

/// How a box lies with respect to a shape.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Cover {
    /// Entirely inside.
    Inside,
    /// Entirely outside.
    Outside,
    /// Possibly both (resolve with exact crossings).
    Mixed,
}

/// A closed solid in 3D (see the module docs).
pub trait Shape: Send + Sync + fmt::Debug {
    /// Whether `p` lies in the closed solid.
    fn inside(&self, p: [f64; 3]) -> bool;
    /// Push the parameters `t` in `(0, 1)` where `p0 + t (p1 - p0)` crosses the surface.
    fn crossings(&self, p0: [f64; 3], p1: [f64; 3], out: &mut Vec<f64>);
    /// Signed distance (negative inside) or a bound no larger in magnitude.
    fn signed_distance(&self, p: [f64; 3]) -> f64;
    /// Classify the box `[lo, hi]` (degenerate boxes allowed) by the signed distance of its
    /// centre against its half-diagonal.
    fn classify(&self, lo: [f64; 3], hi: [f64; 3]) -> Cover {
        let mut c = [0.0; 3];
        let mut r2 = 0.0;
        for a in 0..3 {
            c[a] = 0.5 * (lo[a] + hi[a]);
            r2 += (0.5 * (hi[a] - lo[a])).powi(2);
        }
        let d = self.signed_distance(c);
        let r = r2.sqrt() * (1.0 + 1e-12) + 1e-300;
        if d > r {
            Cover::Outside
        } else if d < -r {
            Cover::Inside
        } else {
            Cover::Mixed
        }
    }
}

#[inline]
fn sub(a: [f64; 3], b: [f64; 3]) -> [f64; 3] {
    [a[0] - b[0], a[1] - b[1], a[2] - b[2]]
}

#[inline]
fn dot(a: [f64; 3], b: [f64; 3]) -> f64 {
    a[0] * b[0] + a[1] * b[1] + a[2] * b[2]
}

#[inline]
fn push_t(out: &mut Vec<f64>, t: f64) {
    if t > 0.0 && t < 1.0 {
        out.push(t);
    }
}

/// Real roots in `(0, 1)` of `a t^2 + b t + c = 0` in the cancellation-free form, each
/// refined by one Newton step on the same quadratic.
fn quadratic_roots(a: f64, b: f64, c: f64, out: &mut Vec<f64>) {
    let scale = a.abs().max(b.abs()).max(c.abs());
    if scale == 0.0 {
        return;
    }
    let polish = |t: f64| {
        let f = (a * t + b) * t + c;
        let df = 2.0 * a * t + b;
        if df != 0.0 {
            t - f / df
        } else {
            t
        }
    };
    if a.abs() <= 1e-14 * scale {
        if b != 0.0 {
            push_t(out, polish(-c / b));
        }
        return;
    }
    let disc = b * b - 4.0 * a * c;
    if disc < 0.0 {
        return;
    }
    let q = -0.5 * (b + b.signum() * disc.sqrt());
    if q != 0.0 {
        push_t(out, polish(q / a));
        push_t(out, polish(c / q));
    }
}

/// An axis-aligned box `[lo, hi]` (bounds may be infinite: a slab or a half-space).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Cuboid {
    lo: [f64; 3],
    hi: [f64; 3],
}

impl Cuboid {
    /// The box `[lo, hi]`; `None` unless `lo < hi` in every axis (infinite bounds allowed).
    pub fn new(lo: [f64; 3], hi: [f64; 3]) -> Option<Self> {
        (0..3)
            .all(|a| lo[a] < hi[a] && !lo[a].is_nan() && !hi[a].is_nan())
            .then_some(Cuboid { lo, hi })
    }

    /// A rectangle `[x0, x1] x [y0, y1]` in the plane, infinite along `z`.
    pub fn rect(x0: f64, x1: f64, y0: f64, y1: f64) -> Option<Self> {
        Self::new([x0, y0, f64::NEG_INFINITY], [x1, y1, f64::INFINITY])
    }

    /// The slab `a <= x <= b` (a 1D interval).
    pub fn slab(a: f64, b: f64) -> Option<Self> {
        Self::new(
            [a, f64::NEG_INFINITY, f64::NEG_INFINITY],
            [b, f64::INFINITY, f64::INFINITY],
        )
    }
}

impl Shape for Cuboid {
    fn inside(&self, p: [f64; 3]) -> bool {
        (0..3).all(|a| p[a] >= self.lo[a] && p[a] <= self.hi[a])
    }
    fn crossings(&self, p0: [f64; 3], p1: [f64; 3], out: &mut Vec<f64>) {
        for a in 0..3 {
            let d = p1[a] - p0[a];
            if d != 0.0 {
                for c in [self.lo[a], self.hi[a]] {
                    if c.is_finite() {
                        push_t(out, (c - p0[a]) / d);
                    }
                }
            }
        }
    }
    fn signed_distance(&self, p: [f64; 3]) -> f64 {
        let mut outside = 0.0;
        let mut inner = f64::NEG_INFINITY;
        for a in 0..3 {
            let d = (self.lo[a] - p[a]).max(p[a] - self.hi[a]);
            outside += d.max(0.0).powi(2);
            inner = inner.max(d);
        }
        if outside > 0.0 {
            outside.sqrt()
        } else {
            inner
        }
    }
}

/// A ball of radius `radius` about `centre`.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Sphere {
    centre: [f64; 3],
    radius: f64,
}

impl Sphere {
    /// `None` unless the radius is positive and finite.
    pub fn new(centre: [f64; 3], radius: f64) -> Option<Self> {
        (radius > 0.0 && radius.is_finite()).then_some(Sphere { centre, radius })
    }
}

impl Shape for Sphere {
    fn inside(&self, p: [f64; 3]) -> bool {
        let d = sub(p, self.centre);
        dot(d, d) <= self.radius * self.radius
    }
    fn crossings(&self, p0: [f64; 3], p1: [f64; 3], out: &mut Vec<f64>) {
        let w = sub(p0, self.centre);
        let v = sub(p1, p0);
        quadratic_roots(
            dot(v, v),
            2.0 * dot(w, v),
            dot(w, w) - self.radius * self.radius,
            out,
        );
    }
    fn signed_distance(&self, p: [f64; 3]) -> f64 {
        let d = sub(p, self.centre);
        dot(d, d).sqrt() - self.radius
    }
}

/// The half-space `n . p <= offset` (`n` normalized on construction).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct HalfSpace {
    normal: [f64; 3],
    offset: f64,
}

impl HalfSpace {
    /// Points with `normal . p <= offset`; `None` for a zero or non-finite normal.
    pub fn new(normal: [f64; 3], offset: f64) -> Option<Self> {
        let len = dot(normal, normal).sqrt();
        (len > 0.0 && len.is_finite() && offset.is_finite()).then(|| HalfSpace {
            normal: normal.map(|c| c / len),
            offset: offset / len,
        })
    }
}

impl Shape for HalfSpace {
    fn inside(&self, p: [f64; 3]) -> bool {
        dot(self.normal, p) <= self.offset
    }
    fn crossings(&self, p0: [f64; 3], p1: [f64; 3], out: &mut Vec<f64>) {
        let (f0, f1) = (dot(self.normal, p0), dot(self.normal, p1));
        if f1 != f0 {
            push_t(out, (self.offset - f0) / (f1 - f0));
        }
    }
    fn signed_distance(&self, p: [f64; 3]) -> f64 {
        dot(self.normal, p) - self.offset
    }
}

/// A simple polygon in the `(x, y)` plane (or in a meridian half-plane for [`Revolved`]).
#[derive(Clone, Debug, PartialEq)]
pub struct Polygon {
    v: Vec<[f64; 2]>,
}

/// Why a polygon was refused.
#[derive(Clone, Debug, PartialEq, thiserror::Error)]
pub enum PolygonError {
    /// Fewer than three vertices.
    #[error("a polygon needs at least 3 vertices, got {0}")]
    TooFew(usize),
    /// A non-finite vertex.
    #[error("polygon vertex {index} = ({x}, {y}) is not finite")]
    NotFinite {
        /// Vertex index.
        index: usize,
        /// x (or rho).
        x: f64,
        /// y (or s).
        y: f64,
    },
    /// Zero area.
    #[error("the polygon has zero area; give at least three non-collinear vertices")]
    Degenerate,
    /// A profile of revolution that crosses the axis.
    #[error(
        "profile vertex {index} has rho = {rho} < 0; a profile of revolution must lie in rho >= 0"
    )]
    NegativeRho {
        /// Vertex index.
        index: usize,
        /// Its distance from the axis.
        rho: f64,
    },
}

impl Polygon {
    /// A polygon from its vertices in order (either orientation; the last edge closes it).
    pub fn new(vertices: Vec<[f64; 2]>) -> Result<Self, PolygonError> {
        if vertices.len() < 3 {
            return Err(PolygonError::TooFew(vertices.len()));
        }
        for (i, v) in vertices.iter().enumerate() {
            if !(v[0].is_finite() && v[1].is_finite()) {
                return Err(PolygonError::NotFinite {
                    index: i,
                    x: v[0],
                    y: v[1],
                });
            }
        }
        let p = Polygon { v: vertices };
        if p.area() == 0.0 {
            return Err(PolygonError::Degenerate);
        }
        Ok(p)
    }

    /// Area (absolute value of the shoelace sum).
    pub fn area(&self) -> f64 {
        let n = self.v.len();
        0.5 * (0..n)
            .map(|i| {
                let (a, b) = (self.v[i], self.v[(i + 1) % n]);
                a[0] * b[1] - a[1] * b[0]
            })
            .sum::<f64>()
            .abs()
    }

    /// Whether `(x, y)` is inside or on the boundary (even-odd rule).
    pub fn contains(&self, x: f64, y: f64) -> bool {
        let n = self.v.len();
        let mut inside = false;
        for i in 0..n {
            let (a, b) = (self.v[i], self.v[(i + 1) % n]);
            // On the edge counts as inside.
            let (ex, ey) = (b[0] - a[0], b[1] - a[1]);
            let cross = ex * (y - a[1]) - ey * (x - a[0]);
            let along = ex * (x - a[0]) + ey * (y - a[1]);
            let len2 = ex * ex + ey * ey;
            if cross.abs() <= 1e-14 * len2 && along >= 0.0 && along <= len2 {
                return true;
            }
            if (a[1] > y) != (b[1] > y) {
                let xc = a[0] + (y - a[1]) * ex / ey;
                if x < xc {
                    inside = !inside;
                }
            }
        }
        inside
    }

    /// Signed distance of `(x, y)` to the polygon (negative inside).
    pub fn signed_distance(&self, x: f64, y: f64) -> f64 {
        let n = self.v.len();
        let mut d2 = f64::INFINITY;
        for i in 0..n {
            let (a, b) = (self.v[i], self.v[(i + 1) % n]);
            let (ex, ey) = (b[0] - a[0], b[1] - a[1]);
            let (wx, wy) = (x - a[0], y - a[1]);
            let s = ((wx * ex + wy * ey) / (ex * ex + ey * ey)).clamp(0.0, 1.0);
            let (dx, dy) = (wx - s * ex, wy - s * ey);
            d2 = d2.min(dx * dx + dy * dy);
        }
        let d = d2.sqrt();
        if self.contains(x, y) {
            -d
        } else {
            d
        }
    }

    /// Parameters where the plane segment `(x0, y0) -> (x1, y1)` crosses an edge.
    fn crossings_2d(&self, p0: [f64; 2], p1: [f64; 2], out: &mut Vec<f64>) {
        let n = self.v.len();
        let (dx, dy) = (p1[0] - p0[0], p1[1] - p0[1]);
        for i in 0..n {
            let (a, b) = (self.v[i], self.v[(i + 1) % n]);
            let (ex, ey) = (b[0] - a[0], b[1] - a[1]);
            let den = dx * ey - dy * ex;
            if den == 0.0 {
                continue;
            }
            let (wx, wy) = (a[0] - p0[0], a[1] - p0[1]);
            let t = (wx * ey - wy * ex) / den;
            let s = (wx * dy - wy * dx) / den;
            if (-1e-12..=1.0 + 1e-12).contains(&s) {
                push_t(out, t);
            }
        }
    }
}

impl Shape for Polygon {
    /// The infinite prism over the polygon along `z` (in a 2D mesh: the polygon itself).
    fn inside(&self, p: [f64; 3]) -> bool {
        self.contains(p[0], p[1])
    }
    fn crossings(&self, p0: [f64; 3], p1: [f64; 3], out: &mut Vec<f64>) {
        self.crossings_2d([p0[0], p0[1]], [p1[0], p1[1]], out);
    }
    fn signed_distance(&self, p: [f64; 3]) -> f64 {
        Polygon::signed_distance(self, p[0], p[1])
    }
}

/// A polygon extruded along `z` over `[z0, z1]`.
#[derive(Clone, Debug, PartialEq)]
pub struct Extruded {
    polygon: Polygon,
    z: [f64; 2],
}

impl Extruded {
    /// `None` unless `z0 < z1`.
    pub fn new(polygon: Polygon, z0: f64, z1: f64) -> Option<Self> {
        (z0 < z1).then_some(Extruded {
            polygon,
            z: [z0, z1],
        })
    }
}

impl Shape for Extruded {
    fn inside(&self, p: [f64; 3]) -> bool {
        p[2] >= self.z[0] && p[2] <= self.z[1] && self.polygon.contains(p[0], p[1])
    }
    fn crossings(&self, p0: [f64; 3], p1: [f64; 3], out: &mut Vec<f64>) {
        self.polygon
            .crossings_2d([p0[0], p0[1]], [p1[0], p1[1]], out);
        let d = p1[2] - p0[2];
        if d != 0.0 {
            for c in self.z {
                push_t(out, (c - p0[2]) / d);
            }
        }
    }
    fn signed_distance(&self, p: [f64; 3]) -> f64 {
        // max of the two signed distances: exact inside, a lower bound outside.
        let dz = (self.z[0] - p[2]).max(p[2] - self.z[1]);
        self.polygon.signed_distance(p[0], p[1]).max(dz)
    }
}

/// A solid of revolution: the polygon `profile` in the meridian half-plane `(rho, s)`
/// (`rho >= 0` the distance from the axis, `s` the position along it from `origin`) swept
/// about the axis through `origin` along `direction`.
#[derive(Clone, Debug, PartialEq)]
pub struct Revolved {
    origin: [f64; 3],
    axis: [f64; 3],
    profile: Polygon,
}

impl Revolved {
    /// The solid of revolution of `profile` (vertices `(rho, s)`, `rho >= 0`).
    pub fn new(
        origin: [f64; 3],
        direction: [f64; 3],
        profile: Polygon,
    ) -> Result<Self, PolygonError> {
        if let Some((i, v)) = profile.v.iter().enumerate().find(|(_, v)| v[0] < 0.0) {
            return Err(PolygonError::NegativeRho {
                index: i,
                rho: v[0],
            });
        }
        let len = dot(direction, direction).sqrt();
        if !(len > 0.0 && len.is_finite()) {
            return Err(PolygonError::Degenerate);
        }
        Ok(Revolved {
            origin,
            axis: direction.map(|c| c / len),
            profile,
        })
    }

    /// A cylinder of `radius` whose axis runs from `base` to `top`.
    pub fn cylinder(base: [f64; 3], top: [f64; 3], radius: f64) -> Option<Self> {
        Self::cone(base, top, radius, radius)
    }

    /// A truncated cone (frustum) with radius `r_base` at `base` and `r_top` at `top`; one
    /// of them may be zero (a cone). The shape of a conical nanopore.
    pub fn cone(base: [f64; 3], top: [f64; 3], r_base: f64, r_top: f64) -> Option<Self> {
        let d = sub(top, base);
        let len = dot(d, d).sqrt();
        let ok = len > 0.0
            && len.is_finite()
            && r_base >= 0.0
            && r_top >= 0.0
            && r_base.max(r_top) > 0.0
            && r_base.is_finite()
            && r_top.is_finite();
        if !ok {
            return None;
        }
        let mut v = vec![[0.0, 0.0]];
        if r_base > 0.0 {
            v.push([r_base, 0.0]);
        }
        if r_top > 0.0 {
            v.push([r_top, len]);
        }
        v.push([0.0, len]);
        Polygon::new(v)
            .ok()
            .and_then(|p| Self::new(base, d, p).ok())
    }

    /// `(rho, s)` of a point.
    #[inline]
    fn meridian(&self, p: [f64; 3]) -> (f64, f64) {
        let w = sub(p, self.origin);
        let s = dot(w, self.axis);
        let rho2 = (dot(w, w) - s * s).max(0.0);
        (rho2.sqrt(), s)
    }
}

impl Shape for Revolved {
    fn inside(&self, p: [f64; 3]) -> bool {
        let (rho, s) = self.meridian(p);
        self.profile.contains(rho, s)
    }
    fn crossings(&self, p0: [f64; 3], p1: [f64; 3], out: &mut Vec<f64>) {
        // Along the segment: s(t) = s0 + t ds, perpendicular part w(t) = w0 + t w1.
        let w = sub(p0, self.origin);
        let v = sub(p1, p0);
        let (s0, ds) = (dot(w, self.axis), dot(v, self.axis));
        let w0 = sub(w, self.axis.map(|c| c * s0));
        let w1 = sub(v, self.axis.map(|c| c * ds));
        let n = self.profile.v.len();
        for i in 0..n {
            let (a, b) = (self.profile.v[i], self.profile.v[(i + 1) % n]);
            if a[0] == 0.0 && b[0] == 0.0 {
                // The axis itself is not a surface.
                continue;
            }
            if a[1] == b[1] {
                // An annulus (plane s = const).
                if ds != 0.0 {
                    push_t(out, (a[1] - s0) / ds);
                }
                continue;
            }
            // rho = a_rho + k (s - a_s): |w(t)|^2 = (c0 + c1 t)^2.
            let k = (b[0] - a[0]) / (b[1] - a[1]);
            let c0 = a[0] + k * (s0 - a[1]);
            let c1 = k * ds;
            let start = out.len();
            quadratic_roots(
                dot(w1, w1) - c1 * c1,
                2.0 * (dot(w0, w1) - c0 * c1),
                dot(w0, w0) - c0 * c0,
                out,
            );
            // Keep the roots on the edge (not on the extension or the mirror cone).
            let (lo, hi) = (a[1].min(b[1]), a[1].max(b[1]));
            let tol = 1e-12 * (hi - lo);
            let mut j = start;
            while j < out.len() {
                let t = out[j];
                let s = s0 + t * ds;
                if s < lo - tol || s > hi + tol || c0 + c1 * t < -tol {
                    out.swap_remove(j);
                } else {
                    j += 1;
                }
            }
        }
    }
    fn signed_distance(&self, p: [f64; 3]) -> f64 {
        let (rho, s) = self.meridian(p);
        self.profile.signed_distance(rho, s)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Check each crossing lies on the surface: the inside flag flips across it, and the
    /// pieces between crossings are uniformly inside or outside (sampled).
    fn check_crossings(shape: &dyn Shape, p0: [f64; 3], p1: [f64; 3], expected: usize) {
        let mut t = Vec::new();
        shape.crossings(p0, p1, &mut t);
        t.sort_by(f64::total_cmp);
        let at = |s: f64| [0, 1, 2].map(|a| p0[a] + s * (p1[a] - p0[a]));
        let real: Vec<f64> = t
            .iter()
            .copied()
            .filter(|&s| shape.inside(at(s - 1e-9)) != shape.inside(at(s + 1e-9)))
            .collect();
        assert_eq!(real.len(), expected, "{shape:?}: {t:?}");
        let mut knots = vec![0.0];
        knots.extend(&t);
        knots.push(1.0);
        for w in knots.windows(2) {
            let first = shape.inside(at(w[0] + 1e-7 * (w[1] - w[0])));
            for k in 1..50 {
                let s = w[0] + (w[1] - w[0]) * k as f64 / 50.0;
                assert_eq!(shape.inside(at(s)), first, "{shape:?} piece {w:?} at {s}");
            }
        }
    }

    #[test]
    fn sphere_crossings_are_exact() {
        let s = Sphere::new([0.1, -0.2, 0.3], 0.7).unwrap();
        let mut t = Vec::new();
        s.crossings([-1.0, -0.2, 0.3], [1.0, -0.2, 0.3], &mut t);
        t.sort_by(f64::total_cmp);
        // x = -0.6 and 0.8 on [-1, 1].
        assert!(
            (t[0] - 0.2).abs() < 1e-15 && (t[1] - 0.9).abs() < 1e-15,
            "{t:?}"
        );
        check_crossings(&s, [-1.0, 0.0, 0.0], [1.0, 0.3, 0.5], 2);
        check_crossings(&s, [0.1, -0.2, 0.3], [2.0, 1.0, 0.0], 1);
        check_crossings(&s, [2.0, 2.0, 2.0], [3.0, 2.0, 2.0], 0);
        // A near-tangent chord: the crossing still satisfies |p - c| = R to round-off.
        let mut t = Vec::new();
        let (p0, p1) = ([-1.0, 0.5 - 1e-9, 0.3], [1.0, 0.5 - 1e-9, 0.3]);
        s.crossings(p0, p1, &mut t);
        for &u in &t {
            let p = [p0[0] + u * 2.0, p0[1], p0[2]];
            let d = sub(p, [0.1, -0.2, 0.3]);
            assert!((dot(d, d).sqrt() - 0.7).abs() < 1e-12, "{u}");
        }
        assert_eq!(s.classify([0.0; 3], [0.1; 3]), Cover::Inside);
        assert_eq!(s.classify([2.0; 3], [3.0; 3]), Cover::Outside);
        assert_eq!(s.classify([0.5, 0.0, 0.0], [1.0, 0.1, 0.1]), Cover::Mixed);
    }

    #[test]
    fn box_half_space_and_polygon() {
        let b = Cuboid::new([0.0, 0.0, 0.0], [1.0, 2.0, 3.0]).unwrap();
        check_crossings(&b, [-1.0, 0.5, 0.5], [2.0, 0.7, 0.6], 2);
        assert_eq!(b.signed_distance([0.5, 1.0, 1.5]), -0.5);
        assert_eq!(b.signed_distance([2.0, 1.0, 1.5]), 1.0);
        let slab = Cuboid::slab(0.2, 0.4).unwrap();
        assert!(slab.inside([0.3, 1e30, -1e30]));
        assert_eq!(
            slab.classify([0.25, 0.0, 0.0], [0.35, 0.0, 0.0]),
            Cover::Inside
        );
        assert!(Cuboid::new([0.0; 3], [1.0, 0.0, 1.0]).is_none());
        let h = HalfSpace::new([1.0, 1.0, 0.0], 1.0).unwrap();
        let mut t = Vec::new();
        h.crossings([0.0, 0.0, 0.0], [1.0, 1.0, 0.0], &mut t);
        assert!((t[0] - 0.5).abs() < 1e-15);
        assert!((h.signed_distance([0.0; 3]) + 0.5f64.sqrt()).abs() < 1e-15);
        // An L-shaped (non-convex) polygon.
        let l = Polygon::new(vec![
            [0.0, 0.0],
            [2.0, 0.0],
            [2.0, 1.0],
            [1.0, 1.0],
            [1.0, 2.0],
            [0.0, 2.0],
        ])
        .unwrap();
        assert_eq!(l.area(), 3.0);
        assert!(l.inside([0.5, 1.5, 7.0]) && !l.inside([1.5, 1.5, 0.0]));
        check_crossings(&l, [0.3, 2.5, 0.0], [2.5, 0.3, 0.0], 4);
        assert!((l.signed_distance(1.5, 1.5) - 0.5).abs() < 1e-15);
        let e = Extruded::new(l.clone(), 0.0, 1.0).unwrap();
        check_crossings(&e, [0.5, 0.5, -1.0], [0.5, 0.5, 2.0], 2);
        assert!(Polygon::new(vec![[0.0, 0.0], [1.0, 1.0], [2.0, 2.0]]).is_err());
    }

    #[test]
    fn cylinder_and_cones_on_any_axis() {
        // Cylinder of radius 0.5 along (1, 1, 0) from the origin, length sqrt(2) * 2.
        let c = Revolved::cylinder([0.0; 3], [2.0, 2.0, 0.0], 0.5).unwrap();
        assert!(c.inside([1.0, 1.0, 0.49]) && !c.inside([1.0, 1.0, 0.51]));
        assert!(!c.inside([-0.1, -0.1, 0.0]));
        let mut t = Vec::new();
        c.crossings([1.0, 1.0, -1.0], [1.0, 1.0, 1.0], &mut t);
        t.sort_by(f64::total_cmp);
        assert!(
            (t[0] - 0.25).abs() < 1e-15 && (t[1] - 0.75).abs() < 1e-15,
            "{t:?}"
        );
        check_crossings(&c, [-1.0, -1.0, 0.1], [3.0, 3.0, 0.2], 2);
        // Truncated cone along z: radius 1 at z = 0, 0.25 at z = 3 (a nanopore).
        let k = Revolved::cone([0.0; 3], [0.0, 0.0, 3.0], 1.0, 0.25).unwrap();
        let mut t = Vec::new();
        // Horizontal line at z = 1.5: radius 0.625, from x = -1 to 1.
        k.crossings([-1.0, 0.0, 1.5], [1.0, 0.0, 1.5], &mut t);
        t.sort_by(f64::total_cmp);
        assert_eq!(t.len(), 2, "{t:?}");
        assert!((t[0] - (1.0 - 0.625) / 2.0).abs() < 1e-15, "{t:?}");
        assert!((t[1] - (1.0 + 0.625) / 2.0).abs() < 1e-15);
        check_crossings(&k, [0.9, 0.1, -0.5], [-0.2, 0.0, 3.5], 2);
        check_crossings(&k, [0.0, 0.0, -1.0], [0.0, 0.0, 5.0], 2);
        check_crossings(&k, [0.5, 0.3, 1.0], [2.0, 0.3, 1.0], 1);
        // A sharp cone (tip radius zero) excludes the mirror nappe.
        let tip = Revolved::cone([0.0; 3], [0.0, 0.0, 1.0], 1.0, 0.0).unwrap();
        check_crossings(&tip, [-2.0, 0.0, 1.5], [2.0, 0.0, 1.5], 0);
        check_crossings(&tip, [-2.0, 0.0, 0.5], [2.0, 0.0, 0.5], 2);
        assert!((tip.signed_distance([0.0, 0.0, 2.0]) - 1.0).abs() < 1e-15);
        assert!(Revolved::new(
            [0.0; 3],
            [0.0, 0.0, 1.0],
            Polygon::new(vec![[-1.0, 0.0], [1.0, 0.0], [1.0, 1.0]]).unwrap()
        )
        .is_err());
    }
}
