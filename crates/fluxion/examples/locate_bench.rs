//! Cost of point location on a Delaunay mesh: a map of 1000 x 1000 pixels on a mesh of
//! about 1e5 nodes (a disk with a graded refinement towards an inner circle).
//!
//! `cargo run --release -p fluxion --example locate_bench`; prints the mesh size, the time
//! to build the bucket grid, and the wall and CPU time of 1e6 interpolations and of a
//! 1000 x 1000 `FieldMap` on the triangles.

use std::sync::Arc;
use std::time::Instant;

use fluxion::mesh::{
    delaunay_mesh, CoordinateSystem, Curve, DelaunaySpec, Extruded, OuterBoundary, Polygon,
    RegionRule, SizeNear, TriangleLocator,
};
use fluxion::output::{FieldMap, MapOptions, NodeField};

/// User + system CPU time of the process, s.
fn cpu() -> f64 {
    let s = std::fs::read_to_string("/proc/self/stat").unwrap_or_default();
    let f: Vec<&str> = s
        .rsplit(')')
        .next()
        .unwrap_or("")
        .split_whitespace()
        .collect();
    let tick = 100.0;
    let v = |k: usize| f.get(k).and_then(|x| x.parse::<f64>().ok()).unwrap_or(0.0);
    (v(11) + v(12)) / tick
}

fn main() {
    let c = Curve::circle([0.0, 0.0], 1.0, 400);
    let outer = OuterBoundary {
        patches: vec!["rim".into(); c.points.len()],
        points: c.points,
    };
    let mut spec = DelaunaySpec::new(CoordinateSystem::Cartesian, outer, 0.0085);
    let inner = Curve::circle([0.0, 0.0], 0.3, 200);
    let disk = Extruded::new(Polygon::new(inner.points.clone()).unwrap(), -1.0, 1.0).unwrap();
    spec.regions.push(RegionRule {
        name: "disk".into(),
        shape: Arc::new(disk.clone()),
    });
    spec.near.push(SizeNear {
        shape: Arc::new(disk),
        h: 0.004,
        growth: 0.2,
    });
    spec.curves.push(inner);
    let dm = delaunay_mesh(&spec).expect("mesh");
    let n = dm.mesh.nodes();
    let (t0, c0) = (Instant::now(), cpu());
    let loc = TriangleLocator::of(&dm);
    let (build_w, build_c) = (t0.elapsed().as_secs_f64(), cpu() - c0);
    let u: Vec<f64> = (0..n)
        .map(|i| {
            let p = dm.mesh.position(i);
            p[0] * p[0] - p[1]
        })
        .collect();
    let (t0, c0) = (Instant::now(), cpu());
    let mut sum = 0.0;
    let mut outside = 0usize;
    for r in 0..1000 {
        for k in 0..1000 {
            let p = [
                -1.0 + (k as f64 + 0.5) / 500.0,
                -1.0 + (r as f64 + 0.5) / 500.0,
            ];
            let v = loc.value(p, &u);
            if v.is_nan() {
                outside += 1;
            } else {
                sum += v;
            }
        }
    }
    let (q_w, q_c) = (t0.elapsed().as_secs_f64(), cpu() - c0);
    let mut o = MapOptions::titled("locate bench");
    o.width = 1000 + 78 + 132;
    o.max_height = 1000 + 40 + 50;
    let (t0, c0) = (Instant::now(), cpu());
    let map = FieldMap::new_on(
        &dm.mesh,
        Some(&loc),
        &NodeField::scalar("u", "V", &u),
        None,
        &o,
    )
    .expect("map");
    let (m_w, m_c) = (t0.elapsed().as_secs_f64(), cpu() - c0);
    let l = map.layout();
    println!(
        "nodes {n}, triangles {}; bucket grid {build_w:.3} s wall / {build_c:.2} s CPU",
        loc.triangle_count()
    );
    println!(
        "1e6 point interpolations: {q_w:.3} s wall / {q_c:.2} s CPU ({outside} outside, checksum {sum:.6e})"
    );
    println!(
        "FieldMap {}x{} px raster: {m_w:.3} s wall / {m_c:.2} s CPU",
        l.plot[2] - l.plot[0],
        l.plot[3] - l.plot[1]
    );
}
