//! Cost of building the conical-nanopore Delaunay-Voronoi (r, z) mesh of `fluxion bench --pnp`.
//!
//! `cargo run --release -p fluxion --example mesh_bench [-- SCALE ...]` (default scales
//! 2, 4, 9); prints per scale the cells, the process CPU time and the wall time of the
//! whole build and the wall time of each phase of [`fluxion::mesh::delaunay_mesh_timed`];
//! with `MESH_CHECKSUM` set also checksums of the mesh (to compare two builds).

use std::time::Instant;

use fluxion::mesh::{delaunay_mesh_timed, ConicalPore, DelaunayMesh};

/// Order-sensitive checksums of a mesh (to compare builds): cells, faces, triangles, then
/// sums of volumes, `i * volume_i`, face areas, `f * area_f`, face distances, node
/// coordinates, the triangle nodes, and per patch its area and `node * area`.
fn checksum(dm: &DelaunayMesh) -> String {
    let m = &dm.mesh;
    let mut s = format!("{} {} {}", m.nodes(), m.faces(), dm.triangles.len());
    let (mut v, mut iv, mut x) = (0.0, 0.0, 0.0);
    for i in 0..m.nodes() {
        v += m.volume(i);
        iv += i as f64 * m.volume(i);
        let p = m.position(i);
        x += p[0] * (1.0 + i as f64) + p[1];
    }
    let (mut a, mut fa, mut d, mut fv) = (0.0, 0.0, 0.0, 0.0);
    for f in 0..m.faces() {
        a += m.face_area(f);
        fa += f as f64 * m.face_area(f);
        d += m.face_distance(f);
        let [p, q] = m.face_nodes(f);
        fv += (p as f64) * (f as f64) + q as f64;
    }
    let t: f64 = dm
        .triangles
        .iter()
        .enumerate()
        .map(|(k, t)| k as f64 * (t[0] as f64 + 2.0 * t[1] as f64 + 3.0 * t[2] as f64))
        .sum();
    s += &format!("\n vol {v:.17e} ivol {iv:.17e} x {x:.17e}\n area {a:.17e} farea {fa:.17e} dist {d:.17e} fnodes {fv:.17e} tri {t:.17e}");
    for (k, p) in m.patches().iter().enumerate() {
        let (mut pa, mut na, mut nn) = (0.0, 0.0, 0.0);
        for (j, pf) in m
            .patch_faces()
            .iter()
            .enumerate()
            .filter(|(_, q)| q.patch as usize == k)
        {
            pa += pf.area;
            na += pf.node as f64 * pf.area;
            nn += (j as f64) * (pf.node as f64 + pf.normal[0] + 2.0 * pf.normal[1]);
        }
        s += &format!("\n patch {} {pa:.17e} {na:.17e} {nn:.17e}", p.name);
    }
    s += &format!("\n quality {:?}", dm.quality);
    s
}

/// User + system CPU time of the process, s.
fn cpu() -> f64 {
    let s = std::fs::read_to_string("/proc/self/stat").unwrap_or_default();
    let f: Vec<&str> = s
        .rsplit(')')
        .next()
        .unwrap_or("")
        .split_whitespace()
        .collect();
    let v = |k: usize| f.get(k).and_then(|x| x.parse::<f64>().ok()).unwrap_or(0.0);
    (v(11) + v(12)) / 100.0
}

fn main() {
    let scales: Vec<f64> = std::env::args()
        .skip(1)
        .map(|a| a.parse().expect("a scale is a number"))
        .collect();
    let scales = if scales.is_empty() {
        vec![2.0, 4.0, 9.0]
    } else {
        scales
    };
    let pore = ConicalPore {
        tip: 10e-9,
        base: 100e-9,
        length: 1e-6,
        reservoir: 0.3e-6,
    };
    for s in scales {
        let (t0, c0) = (Instant::now(), cpu());
        let (h, growth) = (2.5e-9 / s, 0.4 / s);
        let spec = pore.spec(h, h, growth, 2_000_000).expect("pore outline");
        let t_spec = t0.elapsed().as_secs_f64();
        let (dm, t) = delaunay_mesh_timed(&spec).expect("mesh");
        println!(
            "scale {s}: {} cells, {} faces, wall {:.3} s, cpu {:.2} s",
            dm.mesh.nodes(),
            dm.mesh.faces(),
            t0.elapsed().as_secs_f64(),
            cpu() - c0
        );
        println!(
            "  wall s: spec {t_spec:.4} triangulation {:.4} size field {:.4} ({} passes) triangles {:.4} voronoi {:.4} patches {:.4} mesh {:.4}",
            t.triangulation, t.size_field, t.size_passes, t.triangles, t.voronoi, t.patches, t.mesh
        );
        if std::env::var_os("MESH_CHECKSUM").is_some() {
            println!(" {}", checksum(&dm));
        }
    }
}
