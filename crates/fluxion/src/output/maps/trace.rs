//! Region outlines and field or flux lines of a map.

use super::{Flow, FlowLines};
use crate::mesh::{Mesh, TriangleLocator};
use crate::output::fields::{FieldOutputError, PointSampler, TensorAxes};
use crate::output::vtk::dominant_region;

/// Box faces between neighbouring nodes of different dominant regions, m.
pub(super) fn region_outlines(mesh: &Mesh, ax: &TensorAxes, mirror: bool) -> Vec<[[f64; 2]; 2]> {
    let [nx, ny, _] = ax.shape;
    let (x, y) = (&ax.axis[0], &ax.axis[1]);
    let reg: Vec<u16> = (0..mesh.nodes())
        .map(|i| dominant_region(mesh, i))
        .collect();
    // Box edges along an axis: midpoints between nodes, the end nodes at the ends.
    let edge = |a: &[f64], i: usize| -> (f64, f64) {
        let lo = if i == 0 {
            a[0]
        } else {
            0.5 * (a[i - 1] + a[i])
        };
        let hi = if i + 1 == a.len() {
            a[i]
        } else {
            0.5 * (a[i] + a[i + 1])
        };
        (lo, hi)
    };
    let mut out = vec![];
    for j in 0..ny {
        for i in 0..nx {
            let here = reg[ax.node(i, j, 0)];
            if i + 1 < nx && reg[ax.node(i + 1, j, 0)] != here {
                let xm = 0.5 * (x[i] + x[i + 1]);
                let (a, b) = edge(y, j);
                out.push([[xm, a], [xm, b]]);
            }
            if j + 1 < ny && reg[ax.node(i, j + 1, 0)] != here {
                let ym = 0.5 * (y[j] + y[j + 1]);
                let (a, b) = edge(x, i);
                out.push([[a, ym], [b, ym]]);
            }
        }
    }
    if mirror {
        let m: Vec<_> = out
            .iter()
            .map(|s| [[-s[0][0], s[0][1]], [-s[1][0], s[1][1]]])
            .collect();
        out.extend(m);
    }
    out
}

/// Boundary edges and edges between regions of a triangulation, m.
pub(super) fn triangle_outlines(t: &TriangleLocator, mirror: bool) -> Vec<[[f64; 2]; 2]> {
    let mut out: Vec<[[f64; 2]; 2]> = t
        .outline_edges()
        .iter()
        .map(|&[a, b]| [t.point(a), t.point(b)])
        .collect();
    if mirror {
        let m: Vec<_> = out
            .iter()
            .map(|s| [[-s[0][0], s[0][1]], [-s[1][0], s[1][1]]])
            .collect();
        out.extend(m);
    }
    out
}

/// The node vectors of a flow (in the plane).
fn node_vectors(sampler: &PointSampler, flow: &Flow) -> Result<Vec<[f64; 2]>, FieldOutputError> {
    let ax = match sampler {
        PointSampler::Tensor(ax) => ax,
        PointSampler::Triangles(t) => {
            let n = t.nodes();
            let (len, v) = match flow {
                Flow::Vector(v) => (v.len(), None),
                Flow::NegativeGradient(phi) => (phi.len(), Some(phi)),
            };
            if len != n {
                return Err(FieldOutputError::FieldLength {
                    field: "flow lines".into(),
                    len,
                    nodes: n,
                });
            }
            return Ok(match (flow, v) {
                (Flow::Vector(v), _) => v.iter().map(|e| [e[0], e[1]]).collect(),
                (_, Some(phi)) => t
                    .node_gradient(phi)
                    .into_iter()
                    .map(|g| [-g[0], -g[1]])
                    .collect(),
                _ => unreachable!("a flow is a vector or a potential"),
            });
        }
    };
    let n = ax.shape[0] * ax.shape[1];
    let bad_len = |len: usize| FieldOutputError::FieldLength {
        field: "flow lines".into(),
        len,
        nodes: n,
    };
    match flow {
        Flow::Vector(v) => {
            if v.len() != n {
                return Err(bad_len(v.len()));
            }
            Ok(v.iter().map(|e| [e[0], e[1]]).collect())
        }
        Flow::NegativeGradient(phi) => {
            if phi.len() != n {
                return Err(bad_len(phi.len()));
            }
            let [nx, ny, _] = ax.shape;
            // Central differences inside, one-sided at the ends (second order on uniform
            // axes, first order at the boundary).
            let d = |a: &[f64], f: &dyn Fn(usize) -> f64, i: usize, len: usize| -> f64 {
                if len == 1 {
                    return 0.0;
                }
                let (lo, hi) = (i.saturating_sub(1), (i + 1).min(len - 1));
                (f(hi) - f(lo)) / (a[hi] - a[lo])
            };
            let mut out = Vec::with_capacity(n);
            for j in 0..ny {
                for i in 0..nx {
                    let gx = d(&ax.axis[0], &|k| phi[ax.node(k, j, 0)], i, nx);
                    let gy = d(&ax.axis[1], &|k| phi[ax.node(i, k, 0)], j, ny);
                    out.push([-gx, -gy]);
                }
            }
            Ok(out)
        }
    }
}

/// Trace the flow lines from every seed (RK4 on the unit direction field, step a quarter of
/// the local node spacing).
pub(super) fn trace_lines(
    sampler: &PointSampler,
    lines: &FlowLines,
    mirror: bool,
) -> Result<Vec<Vec<[f64; 2]>>, FieldOutputError> {
    let v = node_vectors(sampler, &lines.flow)?;
    let vmax = v
        .iter()
        .map(|e| e[0].hypot(e[1]))
        .filter(|m| m.is_finite())
        .fold(0.0, f64::max);
    let mut out = vec![];
    if vmax == 0.0 {
        return Ok(out);
    }
    let z = sampler.bounds()[2].0;
    let locate = |p: [f64; 2]| sampler.locate([p[0], p[1], z]);
    let sample = |p: [f64; 2]| -> Option<([f64; 2], f64)> {
        let at = locate(p)?;
        let e = [at.apply(|i| v[i][0]), at.apply(|i| v[i][1])];
        let m = e[0].hypot(e[1]);
        if !(m.is_finite() && m > 1e-9 * vmax) {
            return None;
        }
        Some(([e[0] / m, e[1] / m], 0.25 * at.spacing))
    };
    let b = sampler.bounds();
    let diag = (b[0].1 - b[0].0).hypot(b[1].1 - b[1].0);
    for seed in &lines.seeds {
        if sample(*seed).is_none() && locate(*seed).is_none() {
            return Err(FieldOutputError::BadOption {
                what: "flow-line seed",
                value: format!("({:e}, {:e}) m", seed[0], seed[1]),
                fix: "place the seeds inside the mesh",
            });
        }
        let dirs: &[f64] = if lines.both_directions {
            &[-1.0, 1.0]
        } else {
            &[1.0]
        };
        let mut line: Vec<[f64; 2]> = vec![];
        for &sign in dirs {
            let mut pts = vec![*seed];
            let mut p = *seed;
            let mut length = 0.0;
            while pts.len() < 20_000 && length < 20.0 * diag {
                let Some((k1, h)) = sample(p) else { break };
                let at = |q: [f64; 2], k: [f64; 2], f: f64| {
                    [q[0] + sign * f * h * k[0], q[1] + sign * f * h * k[1]]
                };
                let Some((k2, _)) = sample(at(p, k1, 0.5)) else {
                    break;
                };
                let Some((k3, _)) = sample(at(p, k2, 0.5)) else {
                    break;
                };
                let Some((k4, _)) = sample(at(p, k3, 1.0)) else {
                    break;
                };
                let dir = [
                    (k1[0] + 2.0 * k2[0] + 2.0 * k3[0] + k4[0]) / 6.0,
                    (k1[1] + 2.0 * k2[1] + 2.0 * k3[1] + k4[1]) / 6.0,
                ];
                let q = at(p, dir, 1.0);
                if locate(q).is_none() {
                    break;
                }
                length += h;
                pts.push(q);
                p = q;
            }
            if sign < 0.0 {
                pts.reverse();
                pts.pop(); // the seed comes again with the forward part
            }
            line.extend(pts);
        }
        if line.len() >= 2 {
            if mirror {
                out.push(line.iter().map(|q| [-q[0], q[1]]).collect());
            }
            out.push(line);
        }
    }
    Ok(out)
}
