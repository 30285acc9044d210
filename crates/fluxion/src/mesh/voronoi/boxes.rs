//! The Voronoi boxes of a triangulation (step 3 of the module docs): the region parts of
//! every node's control volume and the segments of every face, in one pass over the
//! triangles and a bucket sort of their edges by node (no map, no allocation per node or
//! face).

use super::{cross, dot, norm, sub, VoronoiError};
use std::f64::consts::PI;

/// Node volume parts and face segments, as the CSR arrays of
/// [`MeshParts`](crate::mesh::MeshParts), with the smallest relative face segment.
pub(super) struct Boxes {
    pub node_part_ptr: Vec<u32>,
    pub node_part: Vec<(u16, f64)>,
    pub face_nodes: Vec<[u32; 2]>,
    pub face_distance: Vec<f64>,
    pub face_segment_ptr: Vec<u32>,
    pub segment_area: Vec<f64>,
    pub segment_part_ptr: Vec<u32>,
    pub segment_part: Vec<(u16, f64)>,
    pub min_face_ratio: f64,
}

/// Add `x` to region `r`'s entry of `v` (appended if absent).
#[inline]
fn add_part(v: &mut Vec<(u16, f64)>, r: u16, x: f64) {
    match v.iter_mut().find(|q| q.0 == r) {
        Some(q) => q.1 += x,
        None => v.push((r, x)),
    }
}

/// The Voronoi boxes of the counter-clockwise `triangles` on `node` (regions
/// `triangle_region`; axisymmetric weights `2 pi r` if `axi`). Faces are the triangle
/// edges `(a, b)`, `a < b`, in increasing `(a, b)`; a node's region parts come in the order
/// the triangles (in order) first bring them, each summed in triangle order. Refused
/// ([`VoronoiError::NotAdmissible`]) if a node part or a face segment is negative beyond
/// `1e-9` relative to `2 pi r_max max_edge^2` (`max_edge`).
pub(super) fn voronoi_boxes(
    node: &[[f64; 3]],
    triangles: &[[u32; 3]],
    triangle_region: &[u16],
    axi: bool,
    max_edge: f64,
) -> Result<Boxes, VoronoiError> {
    let n = node.len();
    let w = |r: f64| if axi { 2.0 * PI * r } else { 1.0 };
    // Per node: the parts of its first region (region u16::MAX: none yet), and an index
    // into `extra` for the nodes that touch more regions (nodes on interfaces).
    let mut first = vec![(u16::MAX, 0.0f64); n];
    let mut extra_of = vec![u32::MAX; n];
    let mut extra: Vec<Vec<(u16, f64)>> = Vec::new();
    // Per triangle edge `3 t + k` (opposite vertex `k`): its segment area; edges bucketed
    // by their lower node.
    let mut edge_area = vec![0.0f64; 3 * triangles.len()];
    let mut bucket_ptr = vec![0u32; n + 1];
    for (t, tri) in triangles.iter().enumerate() {
        let r = triangle_region[t];
        let p = tri.map(|v| [node[v as usize][0], node[v as usize][1]]);
        let c = circumcentre(p);
        for k in 0..3 {
            let (i, j) = ((k + 1) % 3, (k + 2) % 3);
            let (u, v) = (sub(p[i], p[k]), sub(p[j], p[k]));
            let len = norm(sub(p[j], p[i]));
            let s = 0.5 * len * dot(u, v) / cross(u, v);
            let m = [0.5 * (p[i][0] + p[j][0]), 0.5 * (p[i][1] + p[j][1])];
            edge_area[3 * t + k] = s * w(0.5 * (m[0] + c[0]));
            bucket_ptr[tri[i].min(tri[j]) as usize + 1] += 1;
            for &a in &[i, j] {
                let vol = 0.25 * len * s * w((p[a][0] + m[0] + c[0]) / 3.0);
                let v = tri[a] as usize;
                let f = &mut first[v];
                if f.0 == r {
                    f.1 += vol;
                } else if f.0 == u16::MAX {
                    *f = (r, vol);
                } else if extra_of[v] == u32::MAX {
                    extra_of[v] = extra.len() as u32;
                    extra.push(vec![(r, vol)]);
                } else {
                    add_part(&mut extra[extra_of[v] as usize], r, vol);
                }
            }
        }
    }
    let rscale = if axi {
        2.0 * PI * node.iter().fold(0.0f64, |m, x| m.max(x[0]))
    } else {
        1.0
    };
    let tol = 1e-9;
    let mut node_part_ptr = Vec::with_capacity(n + 1);
    node_part_ptr.push(0u32);
    let mut node_part = Vec::with_capacity(n + extra.len());
    for i in 0..n {
        let more = match extra_of[i] {
            u32::MAX => &[][..],
            e => &extra[e as usize][..],
        };
        for &(r, x) in std::iter::once(&first[i]).chain(more) {
            if r == u16::MAX {
                continue;
            }
            let rel = x / (rscale * max_edge * max_edge);
            if rel < -tol {
                return Err(VoronoiError::NotAdmissible {
                    what: "node volume part",
                    x: node[i][0],
                    y: node[i][1],
                    value: rel,
                });
            }
            node_part.push((r, x.max(0.0)));
        }
        node_part_ptr.push(node_part.len() as u32);
    }
    drop((first, extra_of, extra));
    // Bucket the triangle edges by lower node (in triangle order), then sort each bucket
    // by the upper node (stable, buckets are small).
    for i in 0..n {
        bucket_ptr[i + 1] += bucket_ptr[i];
    }
    let mut fill = bucket_ptr.clone();
    let mut bucket = vec![(0u32, 0u32); 3 * triangles.len()];
    for (t, tri) in triangles.iter().enumerate() {
        for k in 0..3 {
            let (a, b) = (tri[(k + 1) % 3], tri[(k + 2) % 3]);
            let (lo, hi) = (a.min(b) as usize, a.max(b));
            bucket[fill[lo] as usize] = (hi, (3 * t + k) as u32);
            fill[lo] += 1;
        }
    }
    drop(fill);
    let faces = triangles.len() + n;
    let mut face_nodes = Vec::with_capacity(faces);
    let mut face_distance = Vec::with_capacity(faces);
    let mut face_segment_ptr = Vec::with_capacity(faces + 1);
    face_segment_ptr.push(0u32);
    let mut segment_area = Vec::with_capacity(faces);
    let mut segment_part_ptr = Vec::with_capacity(faces + 1);
    segment_part_ptr.push(0u32);
    let mut segment_part = Vec::with_capacity(faces);
    let mut min_ratio = f64::INFINITY;
    let mut segs: Vec<(u16, f64)> = Vec::new();
    for lo in 0..n {
        let b = &mut bucket[bucket_ptr[lo] as usize..bucket_ptr[lo + 1] as usize];
        for i in 1..b.len() {
            let mut j = i;
            while j > 0 && b[j - 1].0 > b[j].0 {
                b.swap(j - 1, j);
                j -= 1;
            }
        }
        let mut start = 0;
        while start < b.len() {
            let hi = b[start].0;
            let mut end = start;
            segs.clear();
            while end < b.len() && b[end].0 == hi {
                let tk = b[end].1 as usize;
                add_part(&mut segs, triangle_region[tk / 3], edge_area[tk]);
                end += 1;
            }
            start = end;
            let (pa, pb) = (node[lo], node[hi as usize]);
            let len = norm(sub([pb[0], pb[1]], [pa[0], pa[1]]));
            for &(r, area) in &segs {
                let rel = area / (len * rscale);
                min_ratio = min_ratio.min(rel);
                if rel < -tol {
                    return Err(VoronoiError::NotAdmissible {
                        what: "face segment",
                        x: 0.5 * (pa[0] + pb[0]),
                        y: 0.5 * (pa[1] + pb[1]),
                        value: rel,
                    });
                }
                segment_area.push(area.max(0.0));
                segment_part.push((r, 1.0));
                segment_part_ptr.push(segment_part.len() as u32);
            }
            face_nodes.push([lo as u32, hi]);
            face_distance.push(len);
            face_segment_ptr.push(segment_area.len() as u32);
        }
    }
    Ok(Boxes {
        node_part_ptr,
        node_part,
        face_nodes,
        face_distance,
        face_segment_ptr,
        segment_area,
        segment_part_ptr,
        segment_part,
        min_face_ratio: min_ratio,
    })
}

/// Circumcentre of a triangle.
fn circumcentre(p: [[f64; 2]; 3]) -> [f64; 2] {
    let (b, c) = (sub(p[1], p[0]), sub(p[2], p[0]));
    let d = 2.0 * cross(b, c);
    let (b2, c2) = (dot(b, b), dot(c, c));
    [
        p[0][0] + (c[1] * b2 - b[1] * c2) / d,
        p[0][1] + (b[0] * c2 - c[0] * b2) / d,
    ]
}
