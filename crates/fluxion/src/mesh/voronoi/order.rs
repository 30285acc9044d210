//! Node and triangle order of a Delaunay mesh: along a Hilbert curve.
//!
//! Spade stores vertices and triangles in insertion order, and refinement inserts them all
//! over the domain, so neighbouring nodes end up far apart in memory. Every face loop of
//! the assembler gathers the unknowns of both nodes of a face and scatters into their matrix
//! rows; with nodes numbered along a space-filling curve the two nodes of most faces lie
//! close in memory and the loops run from the caches.

/// Bits per axis of the curve.
pub(super) const ORDER: u32 = 16;

/// The Hilbert index of `(x, y)`, both in `0..2^ORDER`, on the curve of order `ORDER`:
/// the iterative form that reads one bit of each coordinate per level, from the top, and
/// rotates or reflects the remaining bits into the quadrant's frame (Warren, "Hacker's
/// Delight", 2nd ed., ch. 16).
pub(super) fn hilbert_index(mut x: u32, mut y: u32) -> u64 {
    let n = 1u32 << ORDER;
    let mut d = 0u64;
    let mut s = n >> 1;
    while s > 0 {
        let rx = u32::from(x & s > 0);
        let ry = u32::from(y & s > 0);
        d += u64::from(s) * u64::from(s) * u64::from((3 * rx) ^ ry);
        // Rotate the quadrant so that the curve inside it starts and ends where it should.
        if ry == 0 {
            if rx == 1 {
                x = n - 1 - x;
                y = n - 1 - y;
            }
            std::mem::swap(&mut x, &mut y);
        }
        s >>= 1;
    }
    d
}

/// New numbers of the nodes at `position` (old index -> new index) so that the nodes follow
/// a Hilbert curve over their bounding box; ties keep the old order. A permutation of
/// `0..position.len()`.
pub(super) fn hilbert_numbering(position: &[[f64; 3]]) -> Vec<u32> {
    let (mut lo, mut hi) = ([f64::INFINITY; 2], [f64::NEG_INFINITY; 2]);
    for p in position {
        for k in 0..2 {
            lo[k] = lo[k].min(p[k]);
            hi[k] = hi[k].max(p[k]);
        }
    }
    // One scale for both axes keeps the curve's cells square.
    let span = (hi[0] - lo[0]).max(hi[1] - lo[1]);
    let cells = f64::from((1u32 << ORDER) - 1);
    let scale = if span > 0.0 { cells / span } else { 0.0 };
    let q = |v: f64, k: usize| (((v - lo[k]) * scale).round().clamp(0.0, cells)) as u32;
    let mut keyed: Vec<(u64, u32)> = position
        .iter()
        .enumerate()
        .map(|(i, p)| (hilbert_index(q(p[0], 0), q(p[1], 1)), i as u32))
        .collect();
    keyed.sort_unstable();
    let mut new_of = vec![0u32; position.len()];
    for (new, &(_, old)) in keyed.iter().enumerate() {
        new_of[old as usize] = new as u32;
    }
    new_of
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The curve of order 1 visits (0,0), (0,1), (1,1), (1,0); every index of the order-16
    /// curve on a 64 x 64 corner is taken once, and consecutive indices are grid neighbours
    /// (the defining property of the Hilbert curve).
    #[test]
    fn hilbert_curve_is_a_continuous_bijection() {
        // The quadrant (the top two bits of the index) of a point in each quadrant.
        let order1: Vec<u64> = [(0, 0), (0, 1), (1, 1), (1, 0)]
            .iter()
            .map(|&(x, y)| hilbert_index(x << (ORDER - 1), y << (ORDER - 1)) >> (2 * ORDER - 2))
            .collect();
        assert_eq!(order1, vec![0, 1, 2, 3]);
        // The first 4^6 indices fill the 64 x 64 corner at the origin.
        let side = 64u32;
        let mut at = vec![None; (side * side) as usize];
        for x in 0..side {
            for y in 0..side {
                let d = hilbert_index(x, y) as usize;
                assert!(d < at.len(), "({x}, {y}) -> {d}");
                assert!(at[d].is_none(), "index {d} twice");
                at[d] = Some((x, y));
            }
        }
        for w in at.windows(2) {
            let ((x0, y0), (x1, y1)) = (w[0].unwrap(), w[1].unwrap());
            assert_eq!(x0.abs_diff(x1) + y0.abs_diff(y1), 1, "{:?}", w);
        }
    }

    #[test]
    fn numbering_is_a_permutation_in_curve_order() {
        let pos: Vec<[f64; 3]> = (0..100)
            .map(|i| {
                let t = f64::from(i) * 0.731;
                [t.sin(), (1.7 * t).cos() * 2.0, 0.0]
            })
            .collect();
        let new_of = hilbert_numbering(&pos);
        let mut seen = new_of.clone();
        seen.sort_unstable();
        assert_eq!(seen, (0..100).collect::<Vec<u32>>());
        // Nodes at one place get one key; a lone node keeps number 0.
        assert_eq!(hilbert_numbering(&[[1.0, 2.0, 0.0]]), vec![0]);
    }
}
