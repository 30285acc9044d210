//! Grids for finite-volume (box) discretizations: the general [`Mesh`] every model
//! assembles on, and the one-dimensional [`Grid`] builders; tensor meshes in 2D, (r, z) and
//! 3D and the `A(x)` channel ([`TensorGrid`]), shapes ([`Shape`]), regions painted from
//! shapes, intervals or masks ([`Regions`], [`LabelMask`], [`grid_mesh`]) with a sub-cell
//! treatment of curved interfaces, and interface patches.
//!
//! A grid is a set of nodes `x_0 < x_1 < ... < x_{n-1}` on `[0, L]`. Every node owns the
//! control volume between the midpoints of its neighbouring intervals (the box method), so
//! boundary nodes own half cells and Dirichlet values sit exactly on the boundary.
//!
//! In curved geometries the coordinate is the radius `r = r_0 + x`, and the face "area" and
//! cell "volume" carry the metric factors
//!
//! ```text
//! planar:      A(r) = 1,          V = r_b - r_a
//! cylindrical: A(r) = 2 pi r,     V = pi (r_b^2 - r_a^2)          (per unit length)
//! spherical:   A(r) = 4 pi r^2,   V = 4/3 pi (r_b^3 - r_a^3)
//! ```
//!
//! so that fluxes stay densities (per m^2) and conservation is exact for any geometry.

use std::f64::consts::PI;

mod fv;
mod masks;
mod regions;
mod shapes;
mod structured;
mod voronoi;
pub use fv::{CoordinateSystem, Mesh, MeshError, MeshParts, Patch, PatchFace, PatchKind};
pub use masks::{LabelMask, MaskError, MaskPlane, PixelKey};
pub use regions::{grid_mesh, Interface, Regions};
pub use shapes::{
    Cover, Cuboid, Extruded, HalfSpace, Polygon, PolygonError, Revolved, Shape, Sphere,
};
pub use structured::{
    graded_nodes, uniform_nodes, FaceRule, RegionMap, StructuredError, SubCell, TensorGrid,
    MAX_MESH_BYTES,
};
pub use voronoi::{
    delaunay_mesh, delaunay_mesh_timed, BuildTimes, ConicalPore, Curve, DelaunayMesh, DelaunaySpec,
    MeshQuality, OuterBoundary, RegionRule, SizeNear, TriangleLocator, TriangleSpot, VoronoiError,
};

/// The symmetry of a 1D domain.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Geometry {
    /// Slab: `x` is a Cartesian coordinate.
    Planar,
    /// Cylinder shell: `x` is `r - r_0`, fluxes are radial.
    Cylindrical,
    /// Sphere shell: `x` is `r - r_0`, fluxes are radial.
    Spherical,
}

impl Geometry {
    /// Face area `A(r)` per unit reference (m^2 for planar per m^2, 2 pi r per metre of
    /// cylinder, 4 pi r^2 for a sphere).
    pub fn area(self, r: f64) -> f64 {
        match self {
            Geometry::Planar => 1.0,
            Geometry::Cylindrical => 2.0 * PI * r,
            Geometry::Spherical => 4.0 * PI * r * r,
        }
    }

    /// Volume between radii `a < b`, the integral of `A(r)` from `a` to `b`.
    pub fn volume(self, a: f64, b: f64) -> f64 {
        match self {
            Geometry::Planar => b - a,
            Geometry::Cylindrical => PI * (b * b - a * a),
            Geometry::Spherical => 4.0 / 3.0 * PI * (b * b * b - a * a * a),
        }
    }

    /// Name used in scenario files and outputs.
    pub fn name(self) -> &'static str {
        match self {
            Geometry::Planar => "planar",
            Geometry::Cylindrical => "cylindrical",
            Geometry::Spherical => "spherical",
        }
    }
}

/// How nodes are spaced.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Spacing {
    /// Equal intervals.
    Uniform,
    /// Intervals shrink towards the chosen boundaries with a `tanh` stretching so that the
    /// smallest interval is close to `min_spacing` (m).
    Refined {
        /// Refine towards the left boundary.
        left: bool,
        /// Refine towards the right boundary.
        right: bool,
        /// Target width of the smallest interval, m.
        min_spacing: f64,
    },
}

/// A 1D grid with its finite-volume metrics. All lengths in m.
#[derive(Clone, Debug)]
pub struct Grid {
    geometry: Geometry,
    inner_radius: f64,
    x: Vec<f64>,
    /// Face areas at the two boundaries.
    boundary_area: [f64; 2],
}

/// Error raised for an impossible grid.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum GridError {
    /// Fewer than three nodes.
    #[error("a grid needs at least 3 nodes, got {0}")]
    TooFewNodes(usize),
    /// Non-positive or non-finite length.
    #[error("the domain length must be positive and finite, got {0} m")]
    BadLength(f64),
    /// Negative inner radius.
    #[error("the inner radius must be zero or positive, got {0} m")]
    BadInnerRadius(f64),
    /// Nodes are not strictly increasing.
    #[error("grid nodes must be strictly increasing (node {0})")]
    NotIncreasing(usize),
    /// The requested minimum spacing cannot be met.
    #[error(
        "min_spacing {min_spacing} m must be positive and below the uniform spacing {uniform} m"
    )]
    BadMinSpacing {
        /// Requested minimum spacing.
        min_spacing: f64,
        /// The uniform spacing `L/(n-1)`.
        uniform: f64,
    },
}

impl Grid {
    /// Build a grid of `n` nodes on `[0, length]`.
    ///
    /// ```
    /// use fluxion::mesh::{Geometry, Grid, Spacing};
    /// let g = Grid::new(Geometry::Planar, 0.0, 1e-6, 11, Spacing::Uniform).unwrap();
    /// assert_eq!(g.len(), 11);
    /// assert!((g.total_volume() - 1e-6).abs() < 1e-20);
    /// ```
    pub fn new(
        geometry: Geometry,
        inner_radius: f64,
        length: f64,
        n: usize,
        spacing: Spacing,
    ) -> Result<Self, GridError> {
        if n < 3 {
            return Err(GridError::TooFewNodes(n));
        }
        if !(length > 0.0 && length.is_finite()) {
            return Err(GridError::BadLength(length));
        }
        let x = match spacing {
            Spacing::Uniform => (0..n).map(|i| length * i as f64 / (n - 1) as f64).collect(),
            Spacing::Refined {
                left,
                right,
                min_spacing,
            } => stretched(length, n, left, right, min_spacing)?,
        };
        Self::from_nodes(geometry, inner_radius, x)
    }

    /// Build a grid from explicit node positions (m, relative to the inner boundary).
    pub fn from_nodes(
        geometry: Geometry,
        inner_radius: f64,
        x: Vec<f64>,
    ) -> Result<Self, GridError> {
        let n = x.len();
        if n < 3 {
            return Err(GridError::TooFewNodes(n));
        }
        if !(inner_radius >= 0.0 && inner_radius.is_finite()) {
            return Err(GridError::BadInnerRadius(inner_radius));
        }
        for i in 1..n {
            if x[i] <= x[i - 1] || !x[i].is_finite() {
                return Err(GridError::NotIncreasing(i));
            }
        }
        let r = |xi: f64| inner_radius + xi;
        let boundary_area = [geometry.area(r(x[0])), geometry.area(r(x[n - 1]))];
        Ok(Grid {
            geometry,
            inner_radius,
            x,
            boundary_area,
        })
    }

    /// Number of nodes.
    pub fn len(&self) -> usize {
        self.x.len()
    }

    /// Always false: a grid has at least three nodes.
    pub fn is_empty(&self) -> bool {
        self.x.is_empty()
    }

    /// Node positions measured from the inner boundary, m.
    pub fn x(&self) -> &[f64] {
        &self.x
    }

    /// Radius (or Cartesian position) of node `i`, m.
    pub fn radius(&self, i: usize) -> f64 {
        self.inner_radius + self.x[i]
    }

    /// Interval widths `h_{i+1/2} = x_{i+1} - x_i`.
    pub fn spacing(&self, i: usize) -> f64 {
        self.x[i + 1] - self.x[i]
    }

    /// Face area `A(r_0 + (x_i + x_{i+1})/2)` at the midpoint of interval `i` (between nodes
    /// `i` and `i+1`), computed on demand (the closed forms cost less than storing them).
    pub fn face_area(&self, i: usize) -> f64 {
        let x = &self.x;
        self.geometry
            .area(self.inner_radius + 0.5 * (x[i] + x[i + 1]))
    }

    /// Face area at the left (`0`) or right (`1`) boundary.
    pub fn boundary_area(&self, side: usize) -> f64 {
        self.boundary_area[side]
    }

    /// Control volume of node `i`: the volume between the midpoints of its intervals (the
    /// grid ends for the two end nodes), computed on demand.
    pub fn volume(&self, i: usize) -> f64 {
        let (x, n) = (&self.x, self.x.len());
        let a = if i == 0 {
            x[0]
        } else {
            0.5 * (x[i - 1] + x[i])
        };
        let b = if i == n - 1 {
            x[n - 1]
        } else {
            0.5 * (x[i] + x[i + 1])
        };
        let r0 = self.inner_radius;
        self.geometry.volume(r0 + a, r0 + b)
    }

    /// Sum of all control volumes (equals the domain volume to round-off).
    pub fn total_volume(&self) -> f64 {
        (0..self.len()).map(|i| self.volume(i)).sum()
    }

    /// The geometry.
    pub fn geometry(&self) -> Geometry {
        self.geometry
    }

    /// Inner radius `r_0`, m (0 for planar grids unless given).
    pub fn inner_radius(&self) -> f64 {
        self.inner_radius
    }

    /// Domain length, m.
    pub fn length(&self) -> f64 {
        self.x[self.x.len() - 1] - self.x[0]
    }

    /// Smallest interval width, m.
    pub fn min_spacing(&self) -> f64 {
        (0..self.len() - 1)
            .map(|i| self.spacing(i))
            .fold(f64::INFINITY, f64::min)
    }
}

/// `tanh` stretching: nodes cluster towards the refined boundaries.
fn stretched(
    length: f64,
    n: usize,
    left: bool,
    right: bool,
    min_spacing: f64,
) -> Result<Vec<f64>, GridError> {
    let uniform = length / (n - 1) as f64;
    if !(min_spacing > 0.0 && min_spacing < uniform) || !(left || right) {
        return Err(GridError::BadMinSpacing {
            min_spacing,
            uniform,
        });
    }
    // Map s in [0,1] to x in [0,1]; `beta` controls the clustering.
    let map = |s: f64, beta: f64| -> f64 {
        match (left, right) {
            (true, true) => 0.5 * (1.0 + (beta * (2.0 * s - 1.0)).tanh() / beta.tanh()),
            (true, false) => 1.0 + (beta * (s - 1.0)).tanh() / beta.tanh(),
            _ => (beta * s).tanh() / beta.tanh(),
        }
    };
    let ds = 1.0 / (n - 1) as f64;
    let first = |beta: f64| -> f64 {
        if left {
            map(ds, beta) * length
        } else {
            (1.0 - map(1.0 - ds, beta)) * length
        }
    };
    // The first interval shrinks monotonically with beta: bisect on beta.
    let (mut lo, mut hi) = (1e-6, 50.0);
    if first(hi) > min_spacing {
        lo = hi;
    } else {
        for _ in 0..200 {
            let mid = 0.5 * (lo + hi);
            if first(mid) > min_spacing {
                lo = mid;
            } else {
                hi = mid;
            }
        }
    }
    let beta = lo;
    let mut x: Vec<f64> = (0..n).map(|i| map(i as f64 * ds, beta) * length).collect();
    x[0] = 0.0;
    x[n - 1] = length;
    Ok(x)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn volumes_sum_to_the_exact_domain_volume() {
        for geom in [Geometry::Planar, Geometry::Cylindrical, Geometry::Spherical] {
            let g = Grid::new(geom, 1e-6, 3e-6, 37, Spacing::Uniform).unwrap();
            let exact = geom.volume(1e-6, 4e-6);
            assert!((g.total_volume() - exact).abs() < 1e-12 * exact, "{geom:?}");
        }
    }

    #[test]
    fn refined_grid_hits_min_spacing_and_is_monotone() {
        for (l, r) in [(true, true), (true, false), (false, true)] {
            let s = Spacing::Refined {
                left: l,
                right: r,
                min_spacing: 1e-9,
            };
            let g = Grid::new(Geometry::Planar, 0.0, 1e-6, 201, s).unwrap();
            assert!((g.min_spacing() / 1e-9 - 1.0).abs() < 1e-3, "{l} {r}");
            assert!((g.length() - 1e-6).abs() < 1e-18);
            if l {
                assert!(g.spacing(0) < g.spacing(100));
            }
            if r {
                assert!(g.spacing(199) < g.spacing(100));
            }
        }
    }

    #[test]
    fn bad_grids_are_rejected() {
        assert!(Grid::new(Geometry::Planar, 0.0, 1.0, 2, Spacing::Uniform).is_err());
        assert!(Grid::new(Geometry::Planar, 0.0, -1.0, 10, Spacing::Uniform).is_err());
        let s = Spacing::Refined {
            left: true,
            right: false,
            min_spacing: 0.5,
        };
        assert!(Grid::new(Geometry::Planar, 0.0, 1.0, 10, s).is_err());
    }
}
