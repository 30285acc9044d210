//! The finite-volume mesh every model assembles on, whatever the dimension.
//!
//! A [`Mesh`] is the data a two-point (box / Voronoi) finite-volume scheme needs, in flat
//! arrays, precomputed once:
//!
//! - **nodes** (control volumes): position, volume with the coordinate weight
//!   (`A(x) dx` in 1D, `2 pi r dr dz` in (r, z)), and the volume of each region inside the
//!   control volume (a node on a material interface owns parts of both);
//! - **faces** between two nodes: area (with the coordinate weight), distance between the
//!   nodes, and the *segments* of the face: pieces of the face area, each with the regions
//!   the edge between the two nodes passes through and the fraction of the edge length in
//!   each. A coefficient `k` (permittivity, diffusivity) gives the transmissibility
//!
//!   ```text
//!   T = sum_s  a_s / (d sum_r theta_{s,r} / k_r)
//!   ```
//!
//!   (harmonic along the edge, arithmetic across it): exact for a layered medium, and the
//!   way a curved interface that cuts an edge at a known point avoids a staircase;
//! - **patch faces**: pieces of named surfaces, each attached to one node, with an area and
//!   the outward unit normal: the domain boundary (`left`, `electrode`, `wall`) and internal
//!   interfaces (a charged shell) on which models place boundary conditions and surface
//!   sources.
//!
//! Nodes are numbered so that, with the unknowns of a node interleaved, 1D meshes give a
//! block-tridiagonal Jacobian and tensor meshes a lexicographic (x fastest) one.
//!
//! A 1D grid of one material ([`Mesh::from_grid`]) is stored compactly: face `f` joins nodes
//! `f` and `f + 1`, every node lies wholly in the one region and every face is one segment
//! in it, so only the positions, volumes, face areas and distances are kept (40 bytes per
//! node instead of 136; [`Mesh::parts`] expands them on demand).

use super::{Geometry, Grid};
use crate::solve::pages::from_fn;

/// The coordinate system of a mesh (it fixes the meaning of `x`, `y`, `z` of a node).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum CoordinateSystem {
    /// Cartesian `(x)`, `(x, y)` or `(x, y, z)`; 2D quantities are per metre of depth.
    Cartesian,
    /// 1D radial cylinder: `x` is the radius, quantities per metre of length.
    Cylindrical,
    /// 1D radial sphere: `x` is the radius.
    Spherical,
    /// 1D channel of cross-section `A(x)` (the areas carry the profile).
    AreaProfile,
    /// Axisymmetric `(r, z)` stored as `(x, y) = (r, z)`; volumes and areas include `2 pi r`.
    Axisymmetric,
}

/// Whether a patch is part of the domain boundary or an interface inside it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PatchKind {
    /// Part of the outer boundary: the node's control volume ends there.
    Boundary,
    /// A surface inside the domain (both sides are in the mesh).
    Interface,
}

/// A named surface.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Patch {
    /// Name used in scenario files and outputs.
    pub name: String,
    /// Boundary or interface.
    pub kind: PatchKind,
}

/// Everything a [`Mesh`] is built from (checked by [`Mesh::new`]).
#[derive(Clone, Debug, Default, PartialEq)]
pub struct MeshParts {
    /// Spatial dimension (1, 2 or 3).
    pub dim: usize,
    /// Node positions (unused coordinates zero).
    pub node: Vec<[f64; 3]>,
    /// Region names (at least one).
    pub regions: Vec<String>,
    /// Per node, the `(region, volume)` parts of its control volume (CSR: `node_part_ptr`
    /// has `nodes + 1` entries).
    pub node_part_ptr: Vec<u32>,
    /// `(region, volume)` parts.
    pub node_part: Vec<(u16, f64)>,
    /// The two nodes of every face (`a < b` is not required).
    pub face_nodes: Vec<[u32; 2]>,
    /// Distance between the two nodes of each face.
    pub face_distance: Vec<f64>,
    /// Per face, its segments (CSR over `segment_area`).
    pub face_segment_ptr: Vec<u32>,
    /// Area of each segment.
    pub segment_area: Vec<f64>,
    /// Per segment, the `(region, edge fraction)` parts (CSR over `segment_part`).
    pub segment_part_ptr: Vec<u32>,
    /// `(region, fraction of the edge length)` parts; fractions of a segment sum to one.
    pub segment_part: Vec<(u16, f64)>,
    /// Patches.
    pub patches: Vec<Patch>,
    /// Patch faces: node, patch, area, outward unit normal (for interfaces: the normal of the
    /// surface's orientation, e.g. radially outward for a shell).
    pub patch_faces: Vec<PatchFace>,
    /// Tensor shape `[nx, ny, nz]` of the nodes if they form a lexicographic grid.
    pub shape: Option<[usize; 3]>,
}

/// A piece of a patch attached to one node.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct PatchFace {
    /// The node.
    pub node: u32,
    /// Index into [`Mesh::patches`].
    pub patch: u16,
    /// Area of the piece (with the coordinate weight).
    pub area: f64,
    /// Unit normal (outward for boundaries).
    pub normal: [f64; 3],
}

/// An inconsistent mesh (a bug of the builder or an impossible input).
#[derive(Clone, Debug, PartialEq, thiserror::Error)]
pub enum MeshError {
    /// Arrays of different lengths or out-of-range indices.
    #[error("inconsistent mesh: {0}")]
    Inconsistent(String),
    /// A non-positive or non-finite measure.
    #[error("mesh {what} {index} has a bad measure {value}")]
    BadMeasure {
        /// `"node volume"`, `"face distance"`, ...
        what: &'static str,
        /// Its index.
        index: usize,
        /// The value.
        value: f64,
    },
}

/// A finite-volume mesh (see the module docs).
#[derive(Clone, Debug, PartialEq)]
pub struct Mesh {
    coordinates: CoordinateSystem,
    parts: MeshParts,
    volume: Vec<f64>,
    face_area: Vec<f64>,
    /// Faces of each node (CSR), for patterns and post-processing (empty for a chain).
    node_face_ptr: Vec<u32>,
    node_face: Vec<u32>,
    /// A compact single-material chain (see the module docs): the CSR parts of `parts`, its
    /// `face_nodes`, its `node` positions and the node-face lists are empty and implied.
    chain: bool,
    /// The first coordinate of every node of a compact chain (empty otherwise).
    chain_x: Vec<f64>,
}

/// The one `(region, fraction)` part of a segment of a compact chain.
const WHOLE: &[(u16, f64)] = &[(0, 1.0)];

/// Check the measures and indices of `parts` (all but the patch faces and the shape) and
/// sum the control volumes and face areas into `volume` (`nodes` entries) and `face_area`
/// (`faces` entries).
fn measure(parts: &MeshParts, volume: &mut [f64], face_area: &mut [f64]) -> Result<(), MeshError> {
    let bad = |s: String| Err(MeshError::Inconsistent(s));
    let (n, nf) = (parts.node.len(), parts.face_nodes.len());
    let nr = parts.regions.len() as u16;
    volume.fill(0.0);
    face_area.fill(0.0);
    for i in 0..n {
        let (a, b) = (parts.node_part_ptr[i], parts.node_part_ptr[i + 1]);
        if a > b {
            return bad("node_part_ptr not increasing".into());
        }
        for &(r, v) in &parts.node_part[a as usize..b as usize] {
            if r >= nr {
                return bad(format!("node {i}: region {r}"));
            }
            if !(v >= 0.0 && v.is_finite()) {
                return Err(MeshError::BadMeasure {
                    what: "node volume",
                    index: i,
                    value: v,
                });
            }
            volume[i] += v;
        }
    }
    if parts.face_distance.len() != nf
        || parts.face_segment_ptr.len() != nf + 1
        || parts.face_segment_ptr[nf] as usize != parts.segment_area.len()
        || parts.segment_part_ptr.len() != parts.segment_area.len() + 1
        || *parts.segment_part_ptr.last().unwrap() as usize != parts.segment_part.len()
    {
        return bad("face arrays".into());
    }
    for f in 0..nf {
        let [a, b] = parts.face_nodes[f];
        if a as usize >= n || b as usize >= n || a == b {
            return bad(format!("face {f}: nodes {a}, {b}"));
        }
        let d = parts.face_distance[f];
        if !(d > 0.0 && d.is_finite()) {
            return Err(MeshError::BadMeasure {
                what: "face distance",
                index: f,
                value: d,
            });
        }
        for s in parts.face_segment_ptr[f]..parts.face_segment_ptr[f + 1] {
            let s = s as usize;
            let area = parts.segment_area[s];
            if !(area >= 0.0 && area.is_finite()) {
                return Err(MeshError::BadMeasure {
                    what: "face segment area",
                    index: f,
                    value: area,
                });
            }
            face_area[f] += area;
            let (p0, p1) = (parts.segment_part_ptr[s], parts.segment_part_ptr[s + 1]);
            let mut sum = 0.0;
            for &(r, t) in &parts.segment_part[p0 as usize..p1 as usize] {
                if r >= nr || t.is_nan() || t < 0.0 {
                    return bad(format!("face {f}: segment part ({r}, {t})"));
                }
                sum += t;
            }
            if (sum - 1.0).abs() > 1e-9 {
                return bad(format!("face {f}: edge fractions sum to {sum}"));
            }
        }
    }
    Ok(())
}

impl Mesh {
    /// Check the parts and build the mesh.
    pub fn new(coordinates: CoordinateSystem, parts: MeshParts) -> Result<Self, MeshError> {
        let bad = |s: String| Err(MeshError::Inconsistent(s));
        let n = parts.node.len();
        if !(1..=3).contains(&parts.dim) {
            return bad(format!("dimension {}", parts.dim));
        }
        if n == 0 || n > u32::MAX as usize / 2 {
            return bad(format!("{n} nodes"));
        }
        if parts.regions.is_empty() || parts.regions.len() > u16::MAX as usize {
            return bad("no regions".into());
        }
        if parts.node_part_ptr.len() != n + 1
            || parts.node_part_ptr[n] as usize != parts.node_part.len()
        {
            return bad("node_part_ptr".into());
        }
        let nf = parts.face_nodes.len();
        let (mut volume, mut face_area) = (vec![0.0; n], vec![0.0; nf]);
        measure(&parts, &mut volume, &mut face_area)?;
        for (k, pf) in parts.patch_faces.iter().enumerate() {
            if pf.node as usize >= n || pf.patch as usize >= parts.patches.len() {
                return bad(format!("patch face {k}"));
            }
            if !(pf.area >= 0.0 && pf.area.is_finite()) {
                return Err(MeshError::BadMeasure {
                    what: "patch face area",
                    index: k,
                    value: pf.area,
                });
            }
        }
        if let Some(s) = parts.shape {
            if s.iter().product::<usize>() != n {
                return bad(format!("shape {s:?} for {n} nodes"));
            }
        }
        // Node -> faces.
        let mut count = vec![0u32; n + 1];
        for [a, b] in &parts.face_nodes {
            count[*a as usize + 1] += 1;
            count[*b as usize + 1] += 1;
        }
        for i in 0..n {
            count[i + 1] += count[i];
        }
        let mut fill = count.clone();
        let mut node_face = vec![0u32; 2 * nf];
        for (f, [a, b]) in parts.face_nodes.iter().enumerate() {
            for v in [*a, *b] {
                node_face[fill[v as usize] as usize] = f as u32;
                fill[v as usize] += 1;
            }
        }
        Ok(Mesh {
            coordinates,
            parts,
            volume,
            face_area,
            node_face_ptr: count,
            node_face,
            chain: false,
            chain_x: Vec::new(),
        })
    }

    /// The 1D box mesh of a [`Grid`]: nodes are the grid nodes, faces the interval
    /// midpoints, and the patches `left` and `right` sit on the two end nodes. One region,
    /// `domain`.
    pub fn from_grid(grid: &Grid) -> Self {
        let n = grid.len();
        let x = grid.x();
        let coordinates = match grid.geometry() {
            Geometry::Planar => CoordinateSystem::Cartesian,
            Geometry::Cylindrical => CoordinateSystem::Cylindrical,
            Geometry::Spherical => CoordinateSystem::Spherical,
        };
        let parts = MeshParts {
            dim: 1,
            regions: vec!["domain".into()],
            face_distance: from_fn(n - 1, |i| x[i + 1] - x[i]),
            patches: vec![
                Patch {
                    name: "left".into(),
                    kind: PatchKind::Boundary,
                },
                Patch {
                    name: "right".into(),
                    kind: PatchKind::Boundary,
                },
            ],
            patch_faces: vec![
                PatchFace {
                    node: 0,
                    patch: 0,
                    area: grid.boundary_area(0),
                    normal: [-1.0, 0.0, 0.0],
                },
                PatchFace {
                    node: n as u32 - 1,
                    patch: 1,
                    area: grid.boundary_area(1),
                    normal: [1.0, 0.0, 0.0],
                },
            ],
            shape: Some([n, 1, 1]),
            ..MeshParts::default()
        };
        let mesh = Mesh {
            coordinates,
            parts,
            volume: from_fn(n, |i| grid.volume(i)),
            face_area: from_fn(n - 1, |i| grid.face_area(i)),
            node_face_ptr: Vec::new(),
            node_face: Vec::new(),
            chain: true,
            chain_x: from_fn(n, |i| grid.radius(i)),
        };
        debug_assert!(mesh.chain_is_valid());
        mesh
    }

    /// The measures of a compact chain are positive and finite (a [`Grid`] guarantees it).
    fn chain_is_valid(&self) -> bool {
        let ok = |v: &f64| *v > 0.0 && v.is_finite();
        self.volume.iter().all(ok)
            && self.face_area.iter().all(|a| *a >= 0.0 && a.is_finite())
            && self.parts.face_distance.iter().all(ok)
            && self.parts.face_distance.len() == self.face_area.len()
            && self.face_area.len() + 1 == self.volume.len()
            && self.chain_x.len() == self.volume.len()
            && self.chain_x.iter().all(|x| x.is_finite())
    }

    /// Spatial dimension.
    pub fn dim(&self) -> usize {
        self.parts.dim
    }

    /// Coordinate system.
    pub fn coordinates(&self) -> CoordinateSystem {
        self.coordinates
    }

    /// Number of nodes (control volumes).
    pub fn nodes(&self) -> usize {
        self.volume.len()
    }

    /// Number of interior faces.
    pub fn faces(&self) -> usize {
        self.face_area.len()
    }

    /// Position of node `i`.
    pub fn position(&self, i: usize) -> [f64; 3] {
        if self.chain {
            return [self.chain_x[i], 0.0, 0.0];
        }
        self.parts.node[i]
    }

    /// Control volume of node `i`.
    pub fn volume(&self, i: usize) -> f64 {
        self.volume[i]
    }

    /// The control volumes of all nodes.
    pub fn volumes(&self) -> &[f64] {
        &self.volume
    }

    /// `(region, volume)` parts of the control volume of node `i`.
    pub fn volume_parts(&self, i: usize) -> impl Iterator<Item = (u16, f64)> + '_ {
        let p = &self.parts;
        let (listed, whole): (&[(u16, f64)], _) = if self.chain {
            (&[], Some((0, self.volume[i])))
        } else {
            let r = p.node_part_ptr[i] as usize..p.node_part_ptr[i + 1] as usize;
            (&p.node_part[r], None)
        };
        listed.iter().copied().chain(whole)
    }

    /// The segments of face `f`: their areas and their `(region, fraction of the edge)`
    /// parts.
    pub fn face_segments(&self, f: usize) -> impl Iterator<Item = (f64, &[(u16, f64)])> + '_ {
        let p = &self.parts;
        let segments = if self.chain {
            0..0
        } else {
            p.face_segment_ptr[f] as usize..p.face_segment_ptr[f + 1] as usize
        };
        let whole = self.chain.then(|| (self.face_area[f], WHOLE));
        segments
            .map(move |s| {
                let r = p.segment_part_ptr[s] as usize..p.segment_part_ptr[s + 1] as usize;
                (p.segment_area[s], &p.segment_part[r])
            })
            .chain(whole)
    }

    /// The region holding the largest part of node `i`'s volume (the node's region for
    /// outputs and per-node material data).
    pub fn dominant_region(&self, i: usize) -> u16 {
        self.volume_parts(i)
            .fold((0u16, -1.0), |a, (r, v)| if v > a.1 { (r, v) } else { a })
            .0
    }

    /// The node nearest to `p` (mesh coordinates; unused coordinates ignored). Linear in
    /// the node count: meant for a few probes, not for search loops.
    pub fn nearest_node(&self, p: [f64; 3]) -> usize {
        let dim = self.dim();
        let d2 = |i: usize| {
            let x = self.position(i);
            (0..dim).map(|c| (x[c] - p[c]).powi(2)).sum::<f64>()
        };
        (0..self.nodes())
            .min_by(|&a, &b| d2(a).total_cmp(&d2(b)))
            .unwrap_or(0)
    }

    /// `sum_r V_r k(r)` over the region parts of node `i`; regions where `k` is `None`
    /// contribute nothing.
    pub fn volume_integral(&self, i: usize, k: impl Fn(u16) -> Option<f64>) -> f64 {
        self.volume_parts(i)
            .filter_map(|(r, v)| k(r).map(|kr| kr * v))
            .sum()
    }

    /// Whether this is a compact chain ([`Self::from_grid`]): face `f` joins nodes `f` and
    /// `f + 1`.
    #[inline]
    pub fn is_chain(&self) -> bool {
        self.chain
    }

    /// The two nodes of face `f`.
    #[inline]
    pub fn face_nodes(&self, f: usize) -> [usize; 2] {
        if self.chain {
            return [f, f + 1];
        }
        let [a, b] = self.parts.face_nodes[f];
        [a as usize, b as usize]
    }

    /// Total area of face `f`.
    pub fn face_area(&self, f: usize) -> f64 {
        self.face_area[f]
    }

    /// Distance between the nodes of face `f`.
    #[inline]
    pub fn face_distance(&self, f: usize) -> f64 {
        self.parts.face_distance[f]
    }

    /// Unit vector from the first to the second node of face `f`.
    pub fn face_direction(&self, f: usize) -> [f64; 3] {
        let [a, b] = self.face_nodes(f);
        let (pa, pb) = (self.position(a), self.position(b));
        let d = [pb[0] - pa[0], pb[1] - pa[1], pb[2] - pa[2]];
        let len = (d[0] * d[0] + d[1] * d[1] + d[2] * d[2]).sqrt();
        [d[0] / len, d[1] / len, d[2] / len]
    }

    /// Transmissibility `sum_s a_s / (d sum_r theta_{s,r} / k_r)` of face `f` for the
    /// coefficient `k(region)` (harmonic along the edge, arithmetic across). A segment whose
    /// edge passes through a region where `k` is `None` (a species that may not enter)
    /// carries nothing.
    pub fn transmissibility(&self, f: usize, k: impl Fn(u16) -> Option<f64>) -> f64 {
        let d = self.parts.face_distance[f];
        let mut t = 0.0;
        for (area, parts) in self.face_segments(f) {
            let mut resistance = 0.0;
            let mut blocked = false;
            for &(r, theta) in parts {
                if theta == 0.0 {
                    continue;
                }
                match k(r) {
                    Some(kr) if kr > 0.0 => resistance += theta / kr,
                    _ => blocked = true,
                }
            }
            if !blocked && resistance > 0.0 {
                t += area / (d * resistance);
            }
        }
        t
    }

    /// Faces touching node `i`.
    pub fn node_faces(&self, i: usize) -> impl Iterator<Item = usize> + '_ {
        let (listed, implied): (&[u32], _) = if self.chain {
            (&[], i.saturating_sub(1)..(i + 1).min(self.faces()))
        } else {
            let r = self.node_face_ptr[i] as usize..self.node_face_ptr[i + 1] as usize;
            (&self.node_face[r], 0..0)
        };
        listed.iter().map(|&f| f as usize).chain(implied)
    }

    /// Region names.
    pub fn regions(&self) -> &[String] {
        &self.parts.regions
    }

    /// Index of the region called `name`.
    pub fn region_index(&self, name: &str) -> Option<u16> {
        self.parts
            .regions
            .iter()
            .position(|r| r == name)
            .map(|i| i as u16)
    }

    /// Patches.
    pub fn patches(&self) -> &[Patch] {
        &self.parts.patches
    }

    /// Index of the patch called `name`.
    pub fn patch_index(&self, name: &str) -> Option<u16> {
        self.parts
            .patches
            .iter()
            .position(|p| p.name == name)
            .map(|i| i as u16)
    }

    /// All patch faces.
    pub fn patch_faces(&self) -> &[PatchFace] {
        &self.parts.patch_faces
    }

    /// Tensor shape of the nodes, if structured.
    pub fn shape(&self) -> Option<[usize; 3]> {
        self.parts.shape
    }

    /// Sum of all control volumes.
    pub fn total_volume(&self) -> f64 {
        self.volume.iter().sum()
    }

    /// The parts the mesh was built from (expanded for a compact chain).
    pub fn parts(&self) -> std::borrow::Cow<'_, MeshParts> {
        if !self.chain {
            return std::borrow::Cow::Borrowed(&self.parts);
        }
        let (n, nf) = (self.nodes(), self.faces());
        let mut p = self.parts.clone();
        p.node = self.chain_x.iter().map(|&x| [x, 0.0, 0.0]).collect();
        p.node_part_ptr = (0..=n as u32).collect();
        p.node_part = self.volume.iter().map(|&v| (0, v)).collect();
        p.face_nodes = (0..nf as u32).map(|f| [f, f + 1]).collect();
        p.face_segment_ptr = (0..=nf as u32).collect();
        p.segment_area = self.face_area.clone();
        p.segment_part_ptr = (0..=nf as u32).collect();
        p.segment_part = vec![(0, 1.0); nf];
        std::borrow::Cow::Owned(p)
    }

    /// The same mesh with lengths divided by `length` and areas and volumes divided by
    /// `area` and `area * length` (the scaling of a dimensionless model whose reference
    /// area is `area`), scaled in place.
    pub fn scaled(mut self, length: f64, area: f64) -> Mesh {
        let p = &mut self.parts;
        for x in self.chain_x.iter_mut() {
            *x /= length;
        }
        for x in p.node.iter_mut() {
            for c in x.iter_mut() {
                *c /= length;
            }
        }
        for (_, v) in p.node_part.iter_mut() {
            *v /= area * length;
        }
        for d in p.face_distance.iter_mut() {
            *d /= length;
        }
        for a in p.segment_area.iter_mut() {
            *a /= area;
        }
        for pf in p.patch_faces.iter_mut() {
            pf.area /= area;
            assert!(pf.area.is_finite(), "scaling keeps a mesh valid");
        }
        if self.chain {
            for v in self.volume.iter_mut() {
                *v /= area * length;
            }
            for a in self.face_area.iter_mut() {
                *a /= area;
            }
            assert!(self.chain_is_valid(), "scaling keeps a mesh valid");
        } else {
            measure(&self.parts, &mut self.volume, &mut self.face_area)
                .expect("scaling keeps a mesh valid");
        }
        self
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::mesh::Spacing;

    #[test]
    fn grid_mesh_has_the_grid_metrics() {
        let g = Grid::new(Geometry::Spherical, 1e-6, 2e-6, 7, Spacing::Uniform).unwrap();
        let m = Mesh::from_grid(&g);
        assert_eq!((m.nodes(), m.faces()), (7, 6));
        for i in 0..7 {
            assert_eq!(m.volume(i), g.volume(i));
        }
        for f in 0..6 {
            assert_eq!(m.face_area(f), g.face_area(f));
            assert_eq!(
                m.transmissibility(f, |_| Some(2.0)),
                2.0 * g.face_area(f) / g.spacing(f)
            );
        }
        assert_eq!(m.patch_faces()[1].area, g.boundary_area(1));
        assert_eq!(m.node_faces(3).collect::<Vec<_>>(), [2, 3]);
        assert_eq!(m.node_faces(0).collect::<Vec<_>>(), [0]);
        assert_eq!(m.node_faces(6).collect::<Vec<_>>(), [5]);
        // The compact chain and the same mesh from its expanded parts agree.
        let full = Mesh::new(m.coordinates(), m.parts().into_owned()).unwrap();
        for i in 0..7 {
            assert_eq!(
                m.volume_parts(i).collect::<Vec<_>>(),
                full.volume_parts(i).collect::<Vec<_>>()
            );
            assert_eq!(
                m.node_faces(i).collect::<Vec<_>>(),
                full.node_faces(i).collect::<Vec<_>>()
            );
        }
        for f in 0..6 {
            assert_eq!(m.face_nodes(f), full.face_nodes(f));
            assert_eq!(m.face_area(f), full.face_area(f));
            let k = |_| Some(2.0);
            assert_eq!(m.transmissibility(f, k), full.transmissibility(f, k));
        }
        let s = m.scaled(2e-6, 10.0);
        assert!((s.face_distance(0) - 1.0 / 6.0).abs() < 1e-15);
    }

    #[test]
    fn layered_transmissibility_is_harmonic_along_and_arithmetic_across() {
        // One face, two segments: the first crosses regions 0 and 1 half and half.
        let parts = MeshParts {
            dim: 2,
            node: vec![[0.0; 3], [1.0, 0.0, 0.0]],
            regions: vec!["a".into(), "b".into()],
            node_part_ptr: vec![0, 1, 2],
            node_part: vec![(0, 0.5), (1, 0.5)],
            face_nodes: vec![[0, 1]],
            face_distance: vec![1.0],
            face_segment_ptr: vec![0, 2],
            segment_area: vec![0.5, 0.5],
            segment_part_ptr: vec![0, 2, 3],
            segment_part: vec![(0, 0.5), (1, 0.5), (1, 1.0)],
            patches: vec![],
            patch_faces: vec![],
            shape: None,
        };
        let m = Mesh::new(CoordinateSystem::Cartesian, parts).unwrap();
        let k = |r: u16| Some(if r == 0 { 1.0 } else { 3.0 });
        // 0.5 / (0.5/1 + 0.5/3) + 0.5 * 3 = 0.75 + 1.5.
        assert!((m.transmissibility(0, k) - 2.25).abs() < 1e-14);
        // Region 1 forbidden: both segments pass through it.
        assert_eq!(m.transmissibility(0, |r| (r == 0).then_some(1.0)), 0.0);
    }
}
