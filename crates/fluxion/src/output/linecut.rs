//! Line cuts: node fields sampled along a straight line, as CSV text.
//!
//! A [`Line`] from `start` to `end` with `points` equally spaced samples (both ends
//! included) is evaluated on a tensor-product mesh by multilinear interpolation between the
//! nodes of the box (cell of the node lattice) that holds each point: linear in 1D, bilinear
//! in 2D, trilinear in 3D. Any field that is linear in each coordinate is reproduced to
//! rounding. Every point must lie inside the mesh; the first one outside is reported with
//! its index and coordinates.
//!
//! On the triangles of a Delaunay mesh ([`line_cut_csv_on`]) the fields are interpolated
//! linearly in the triangle holding each point (exact for fields linear in `(x, y)`); the
//! domain need not be convex, so only the two end points must lie inside: samples in
//! between that fall outside (across a hole or a notch) get `NaN` in every field column.
//!
//! Columns: the arc length `s_m` from `start`, the coordinates (`x_m, y_m, z_m` up to the
//! mesh dimension; `r_m, z_m` in (r, z) meshes; `r_m` in 1D radial meshes), then each field
//! with its unit (`potential_V`); vector fields give one column per coordinate
//! (`field_x_V_m`, `field_y_V_m`). Numbers are written as in the other CSV tables.

use super::fields::{column_name, FieldOutputError, NodeField, PointSampler};
use super::num;
use crate::mesh::{CoordinateSystem, Mesh, TriangleLocator};

/// A named straight line through the mesh.
#[derive(Clone, Debug, PartialEq)]
pub struct Line {
    /// Name (for file names and error messages).
    pub name: String,
    /// First point, m (unused coordinates zero; in (r, z) meshes `[r, z, 0]`).
    pub start: [f64; 3],
    /// Last point, m.
    pub end: [f64; 3],
    /// Number of samples, at least 2.
    pub points: usize,
}

impl Line {
    /// A line of `points` samples from `start` to `end`.
    pub fn new(name: &str, start: [f64; 3], end: [f64; 3], points: usize) -> Self {
        Line {
            name: name.into(),
            start,
            end,
            points,
        }
    }

    /// The sample points and their arc length from `start`.
    fn samples(&self) -> Vec<(f64, [f64; 3])> {
        let d: [f64; 3] = std::array::from_fn(|c| self.end[c] - self.start[c]);
        let len = (d[0] * d[0] + d[1] * d[1] + d[2] * d[2]).sqrt();
        let last = self.points - 1;
        (0..self.points)
            .map(|k| {
                if k == last {
                    return (len, self.end);
                }
                let t = k as f64 / last as f64;
                (t * len, std::array::from_fn(|c| self.start[c] + t * d[c]))
            })
            .collect()
    }
}

/// Names of the coordinate columns of a mesh (as many as its dimension).
pub(crate) fn coordinate_names(mesh: &Mesh) -> Vec<&'static str> {
    let names: &[&str] = match mesh.coordinates() {
        CoordinateSystem::Axisymmetric => &["r", "z"],
        CoordinateSystem::Cylindrical | CoordinateSystem::Spherical => &["r"],
        _ => &["x", "y", "z"],
    };
    names[..mesh.dim().min(names.len())].to_vec()
}

/// The CSV table of `fields` sampled along `line` (see the module docs).
///
/// ```
/// use fluxion::mesh::{Geometry, Grid, Mesh, Spacing};
/// use fluxion::output::{line_cut_csv, Line, NodeField};
///
/// let grid = Grid::new(Geometry::Planar, 0.0, 1e-6, 5, Spacing::Uniform).unwrap();
/// let mesh = Mesh::from_grid(&grid);
/// let phi = [0.0, 0.25, 0.5, 0.75, 1.0];
/// let line = Line::new("middle", [0.1e-6, 0.0, 0.0], [0.9e-6, 0.0, 0.0], 3);
/// let csv = line_cut_csv(&mesh, &[NodeField::scalar("potential", "V", &phi)], &line).unwrap();
/// assert_eq!(csv.lines().next(), Some("s_m,x_m,potential_V"));
/// assert_eq!(csv.lines().nth(2), Some("4e-7,5e-7,5e-1"));
/// ```
pub fn line_cut_csv(
    mesh: &Mesh,
    fields: &[NodeField],
    line: &Line,
) -> Result<String, FieldOutputError> {
    line_cut_csv_on(mesh, None, fields, line)
}

/// [`line_cut_csv`] on a tensor mesh (`triangles = None`) or on the triangles of a
/// Delaunay mesh (see the module docs).
pub fn line_cut_csv_on(
    mesh: &Mesh,
    triangles: Option<&TriangleLocator>,
    fields: &[NodeField],
    line: &Line,
) -> Result<String, FieldOutputError> {
    if line.points < 2 {
        return Err(FieldOutputError::BadOption {
            what: "line points",
            value: line.points.to_string(),
            fix: "sample a line at 2 points or more",
        });
    }
    if line.start.iter().chain(&line.end).any(|v| !v.is_finite()) {
        return Err(FieldOutputError::BadOption {
            what: "line end point",
            value: format!("{:?} -> {:?}", line.start, line.end),
            fix: "give finite coordinates in metres",
        });
    }
    let sampler = PointSampler::new(mesh, triangles, "a line cut")?;
    for f in fields {
        f.check(mesh)?;
    }
    let samples = line.samples();
    let last = samples.len() - 1;
    let mut spots = Vec::with_capacity(samples.len());
    for (index, (_, p)) in samples.iter().enumerate() {
        match sampler.locate(*p) {
            Some(at) => spots.push(Some(at)),
            None if triangles.is_some() && index != 0 && index != last => spots.push(None),
            None => {
                return Err(FieldOutputError::PointOutside {
                    line: line.name.clone(),
                    index,
                    point: *p,
                    bounds: sampler.bounds(),
                })
            }
        }
    }
    let coords = coordinate_names(mesh);
    let mut header = vec!["s_m".to_string()];
    header.extend(coords.iter().map(|c| format!("{c}_m")));
    for f in fields {
        if f.components() == 1 {
            header.push(f.column_name());
        } else {
            for c in &coords {
                header.push(column_name(&format!("{}_{c}", f.name), f.unit));
            }
        }
    }
    let mut out = header.join(",");
    out.push('\n');
    for ((s, p), at) in samples.iter().zip(&spots) {
        num(&mut out, *s);
        for c in 0..coords.len() {
            out.push(',');
            num(&mut out, p[c]);
        }
        for f in fields {
            let nc = if f.components() == 1 { 1 } else { coords.len() };
            for c in 0..nc {
                out.push(',');
                let v = at.map_or(f64::NAN, |at| at.apply(|i| f.component(i, c)));
                num(&mut out, v);
            }
        }
        out.push('\n');
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::mesh::{Geometry, Grid, Spacing};
    use crate::output::fields::testing::{axis, tensor_mesh};

    fn parse(csv: &str) -> (Vec<String>, Vec<Vec<f64>>) {
        let mut lines = csv.lines();
        let head = lines.next().unwrap().split(',').map(String::from).collect();
        let rows = lines
            .map(|l| l.split(',').map(|v| v.parse().unwrap()).collect())
            .collect();
        (head, rows)
    }

    #[test]
    fn linear_fields_are_reproduced_exactly_in_2d_and_3d() {
        // Graded axes: the interpolation weights are not trivial.
        let (x, y) = (axis(0.0, 1e-6, 9, 1.3), axis(-2e-6, 2e-6, 7, 0.8));
        let m = tensor_mesh(CoordinateSystem::Cartesian, [&x, &y, &[0.0]], &["a"], |_| 0);
        let f = |p: [f64; 3]| 0.1 + 3e5 * p[0] - 2e5 * p[1];
        let phi: Vec<f64> = (0..m.nodes()).map(|i| f(m.position(i))).collect();
        let e: Vec<[f64; 3]> = (0..m.nodes()).map(|_| [-3e5, 2e5, 0.0]).collect();
        let line = Line::new("diag", [0.0, -2e-6, 0.0], [1e-6, 1.5e-6, 0.0], 23);
        let csv = line_cut_csv(
            &m,
            &[
                NodeField::scalar("potential", "V", &phi),
                NodeField::vector("field", "V/m", &e),
            ],
            &line,
        )
        .unwrap();
        let (head, rows) = parse(&csv);
        assert_eq!(
            head,
            [
                "s_m",
                "x_m",
                "y_m",
                "potential_V",
                "field_x_V_m",
                "field_y_V_m"
            ]
        );
        assert_eq!(rows.len(), 23);
        let len = (1e-12f64 + 3.5e-6 * 3.5e-6).sqrt();
        assert!((rows[22][0] - len).abs() < 1e-20);
        assert_eq!((rows[22][1], rows[22][2]), (1e-6, 1.5e-6));
        for r in &rows {
            let want = f([r[1], r[2], 0.0]);
            assert!((r[3] - want).abs() <= 1e-15, "{r:?}: {want}");
            assert!(
                (r[4] + 3e5).abs() < 1e-9 && (r[5] - 2e5).abs() < 1e-9,
                "{r:?}"
            );
        }
        // 3D: trilinear u = 1 + x + 2y + 3z + 4xyz (m = 1), reproduced to rounding.
        let z = axis(0.0, 1.0, 4, 1.0);
        let xs = axis(0.0, 1.0, 5, 1.2);
        let m3 = tensor_mesh(CoordinateSystem::Cartesian, [&xs, &xs, &z], &["a"], |_| 0);
        let g = |p: [f64; 3]| 1.0 + p[0] + 2.0 * p[1] + 3.0 * p[2] + 4.0 * p[0] * p[1] * p[2];
        let u: Vec<f64> = (0..m3.nodes()).map(|i| g(m3.position(i))).collect();
        let line = Line::new("body", [0.1, 0.9, 0.0], [0.95, 0.05, 1.0], 17);
        let (head, rows) =
            parse(&line_cut_csv(&m3, &[NodeField::scalar("u", "", &u)], &line).unwrap());
        assert_eq!(head, ["s_m", "x_m", "y_m", "z_m", "u"]);
        for r in &rows {
            assert!((r[4] - g([r[1], r[2], r[3]])).abs() < 1e-14, "{r:?}");
        }
    }

    #[test]
    fn one_dimensional_cuts_are_linear_and_radial_columns_are_named_r() {
        let g = Grid::new(Geometry::Spherical, 1e-6, 3e-6, 9, Spacing::Uniform).unwrap();
        let m = Mesh::from_grid(&g);
        let c: Vec<f64> = (0..9).map(|i| 2.0 - 5e5 * g.radius(i)).collect();
        let line = Line::new("radial", [1.2e-6, 0.0, 0.0], [3e-6, 0.0, 0.0], 5);
        let (head, rows) =
            parse(&line_cut_csv(&m, &[NodeField::scalar("c_K", "mol/m^3", &c)], &line).unwrap());
        assert_eq!(head, ["s_m", "r_m", "c_K_mol_m3"]);
        for r in &rows {
            assert!((r[2] - (2.0 - 5e5 * r[1])).abs() < 1e-14, "{r:?}");
        }
        // Axisymmetric meshes name their coordinates r and z.
        let x = axis(0.0, 1.0, 3, 1.0);
        let m = tensor_mesh(
            CoordinateSystem::Axisymmetric,
            [&x, &x, &[0.0]],
            &["a"],
            |_| 0,
        );
        let v = vec![0.0; 9];
        let csv = line_cut_csv(
            &m,
            &[NodeField::scalar("p", "V", &v)],
            &Line::new("axis", [0.0, 0.0, 0.0], [0.0, 1.0, 0.0], 2),
        )
        .unwrap();
        assert!(csv.starts_with("s_m,r_m,z_m,p_V\n"), "{csv}");
    }

    #[test]
    fn points_outside_the_mesh_are_refused_by_name() {
        let x = axis(0.0, 1e-6, 5, 1.0);
        let m = tensor_mesh(CoordinateSystem::Cartesian, [&x, &x, &[0.0]], &["a"], |_| 0);
        let v = vec![0.0; 25];
        let f = [NodeField::scalar("potential", "V", &v)];
        // x = 0, 0.375, 0.75, 1.125, 1.5 um: point 3 is the first outside.
        let line = Line::new("across", [0.0, 5e-7, 0.0], [1.5e-6, 5e-7, 0.0], 5);
        let e = line_cut_csv(&m, &f, &line).unwrap_err().to_string();
        assert!(
            e.contains("point 3 of line `across` at (1.125e-6, 5e-7, 0e0) m lies outside"),
            "{e}"
        );
        let e = line_cut_csv(&m, &f, &Line::new("a", [0.0; 3], [1e-7, 0.0, 0.0], 1))
            .unwrap_err()
            .to_string();
        assert!(e.contains("line points = 1"), "{e}");
        // Off the plane of a 2D mesh (z != 0) is outside too.
        let e = line_cut_csv(&m, &f, &Line::new("z", [0.0; 3], [0.0, 0.0, 1e-7], 2)).unwrap_err();
        assert!(
            matches!(e, FieldOutputError::PointOutside { index: 1, .. }),
            "{e}"
        );
    }
}
