//! The (r, z) outline of a conical pore through a membrane between two cylindrical
//! reservoirs, as a [`DelaunaySpec`] with refinement along the pore wall and at the tip.

use super::{DelaunaySpec, OuterBoundary, SizeNear};
use crate::mesh::fv::CoordinateSystem;
use crate::mesh::shapes::{Polygon, Sphere};
use std::sync::Arc;

/// A conical pore of tip radius `tip` (at `z = 0`) and base radius `base` (at
/// `z = length`) through a membrane of thickness `length`, with a reservoir of radius and
/// depth `reservoir` on each side. Patches: `tip_reservoir` (the far end and the side below
/// the membrane), `membrane` (both faces), `pore_wall`, `base_reservoir`, `axis` (`r = 0`).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct ConicalPore {
    /// Tip radius, m.
    pub tip: f64,
    /// Base radius, m.
    pub base: f64,
    /// Pore length (membrane thickness), m.
    pub length: f64,
    /// Reservoir radius and depth, m.
    pub reservoir: f64,
}

impl ConicalPore {
    /// The Delaunay spec: background size `reservoir / 4`, edges of `h_wall` along the
    /// membrane solid (the polygon between the wall and `r = reservoir`) and of `h_tip` at
    /// the tip corner, both growing by `growth` times the distance; at most `max_vertices`.
    /// `None` if the outline is degenerate (`tip`, `base` not below `reservoir`, ...).
    pub fn spec(
        &self,
        h_tip: f64,
        h_wall: f64,
        growth: f64,
        max_vertices: usize,
    ) -> Option<DelaunaySpec> {
        let ConicalPore {
            tip,
            base,
            length,
            reservoir: res,
        } = *self;
        let ok = |v: f64| v.is_finite() && v > 0.0;
        if !(ok(tip) && ok(base) && ok(length) && ok(res) && tip < res && base < res) {
            return None;
        }
        let points = vec![
            [0.0, -res],
            [res, -res],
            [res, 0.0],
            [tip, 0.0],
            [base, length],
            [res, length],
            [res, length + res],
            [0.0, length + res],
        ];
        let names = [
            "tip_reservoir",
            "tip_reservoir",
            "membrane",
            "pore_wall",
            "membrane",
            "base_reservoir",
            "base_reservoir",
            "axis",
        ];
        let boundary = OuterBoundary {
            points,
            patches: names.iter().map(|s| s.to_string()).collect(),
        };
        let mut spec = DelaunaySpec::new(CoordinateSystem::Axisymmetric, boundary, res / 4.0);
        let solid =
            Polygon::new(vec![[tip, 0.0], [res, 0.0], [res, length], [base, length]]).ok()?;
        spec.near.push(SizeNear {
            shape: Arc::new(solid),
            h: h_wall,
            growth,
        });
        spec.near.push(SizeNear {
            shape: Arc::new(Sphere::new([tip, 0.0, 0.0], 1e-3 * tip)?),
            h: h_tip,
            growth,
        });
        spec.max_vertices = max_vertices;
        Some(spec)
    }
}
