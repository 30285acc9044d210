//! Lattice order: the fraction of vortices without six Delaunay neighbours.

use spade::{DelaunayTriangulation, HasPosition, Point2, Triangulation};

#[derive(Clone, Copy)]
struct Site {
    x: f64,
    y: f64,
    original: bool,
}

impl HasPosition for Site {
    type Scalar = f64;
    fn position(&self) -> Point2<f64> {
        Point2::new(self.x, self.y)
    }
}

/// Fraction of vortices whose Delaunay coordination number differs from six (the density of
/// topological defects: 0 for a perfect triangular lattice, about 0.3 or more in a liquid).
///
/// The periodic box is handled by triangulating the vortices together with their periodic
/// images within a margin of three mean spacings of the edges, and counting neighbours of
/// the original vortices only. Returns `None` for fewer than three vortices.
pub fn defect_fraction(positions: &[[f64; 2]], lx: f64, ly: f64) -> Option<f64> {
    let n = positions.len();
    if n < 3 {
        return None;
    }
    let spacing = (lx * ly / n as f64).sqrt();
    let margin = (3.0 * spacing).min(0.5 * lx.min(ly));
    let mut sites = Vec::with_capacity(2 * n);
    for &[x, y] in positions {
        let (x, y) = (x.rem_euclid(lx), y.rem_euclid(ly));
        for ox in [-1.0, 0.0, 1.0] {
            for oy in [-1.0, 0.0, 1.0] {
                let (sx, sy) = (x + ox * lx, y + oy * ly);
                let original = ox == 0.0 && oy == 0.0;
                if original
                    || (sx > -margin && sx < lx + margin && sy > -margin && sy < ly + margin)
                {
                    sites.push(Site {
                        x: sx,
                        y: sy,
                        original,
                    });
                }
            }
        }
    }
    let tri: DelaunayTriangulation<Site> = DelaunayTriangulation::bulk_load(sites).ok()?;
    let (mut counted, mut defects) = (0usize, 0usize);
    for v in tri.vertices() {
        if v.data().original {
            counted += 1;
            if v.out_edges().count() != 6 {
                defects += 1;
            }
        }
    }
    (counted > 0).then(|| defects as f64 / counted as f64)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::models::vortex::system::triangular_lattice;

    #[test]
    fn triangular_lattice_has_no_defects_and_random_points_do() {
        let (pos, lx, ly) = triangular_lattice(12, 14, 1.0);
        assert_eq!(defect_fraction(&pos, lx, ly), Some(0.0));
        // Slightly perturbed: still six neighbours each.
        let jitter: Vec<[f64; 2]> = pos
            .iter()
            .enumerate()
            .map(|(i, p)| {
                [
                    p[0] + 0.02 * ((i * 37 % 11) as f64 / 11.0 - 0.5),
                    p[1] + 0.02 * ((i * 53 % 7) as f64 / 7.0 - 0.5),
                ]
            })
            .collect();
        assert_eq!(defect_fraction(&jitter, lx, ly), Some(0.0));
        // A Poisson point set has many non-sixfold sites (about 70%).
        let mut x = 0.1234f64;
        let random: Vec<[f64; 2]> = (0..400)
            .map(|_| {
                x = (x * 9301.0 + 0.49297).fract();
                let a = x;
                x = (x * 9301.0 + 0.49297).fract();
                [a * 20.0, x * 20.0]
            })
            .collect();
        let f = defect_fraction(&random, 20.0, 20.0).unwrap();
        assert!(f > 0.4, "{f}");
    }
}
