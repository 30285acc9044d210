//! Regions from label masks: a 2D or 3D array of region labels laid over a box, decoded
//! from PNG bytes (colour or grey level -> region through a table) or from NPY bytes
//! (integer or float labels -> region through a table). Library functions take bytes,
//! never paths.
//!
//! Layout: pixel (voxel) `(i, j, k)` covers
//! `[lo + i w_x, lo + (i+1) w_x] x [.. j w_y ..] x [.. k w_z ..]` with `w = (hi - lo) / n`.
//! - PNG: image column `i` is `x`; image row 0 is the *top* of the picture, `y = hi_y`
//!   (images are drawn top-down), so row `r` is `j = ny - 1 - r`.
//! - NPY: a C-order array of shape `(ny, nx)` or `(nz, ny, nx)` (the last index fastest, along
//!   `x`), element `[0, 0]` at `lo` (no flip). Supported: format versions 1 and 2 (and 3),
//!   dtypes `<i4`, `<u1` (`|u1`) and `<f8` (whose values must be integers).
//!
//! Points outside the mask box take the label of the nearest pixel. A mask in the plane
//! [`MaskPlane::Rz`] reads `(r, z)` for axisymmetric meshes. As a [`RegionMap`], a mask
//! reports every pixel boundary a segment crosses, so cut sub-boxes and edges are split at
//! pixel boundaries exactly: the mask's staircase, resolved below the mesh spacing.

use super::structured::{RegionMap, SubCell};

/// Why a mask was refused.
#[derive(Clone, Debug, PartialEq, thiserror::Error)]
#[non_exhaustive]
pub enum MaskError {
    /// The PNG decoder failed.
    #[error("mask PNG: {0}")]
    Png(String),
    /// The NPY bytes are malformed or of an unsupported kind.
    #[error("mask NPY: {0}")]
    Npy(String),
    /// A pixel colour without a table entry.
    #[error("mask pixel (column {column}, row {row}) has colour {colour:?}, which is not in the table; add it")]
    UnknownColour {
        /// Image column.
        column: usize,
        /// Image row (0 at the top).
        row: usize,
        /// `[r, g, b]`.
        colour: [u8; 3],
    },
    /// An array value without a table entry.
    #[error("mask value {value} at flat index {index} is not in the table; add it")]
    UnknownValue {
        /// Flat (C-order) index.
        index: usize,
        /// The value.
        value: f64,
    },
    /// Bad box or table.
    #[error("mask: {0}")]
    Bad(String),
}

/// A pixel key of a PNG table.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PixelKey {
    /// A grey level (matches grey pixels and RGB pixels with `r = g = b`).
    Grey(u8),
    /// An RGB colour (alpha ignored).
    Rgb([u8; 3]),
}

impl PixelKey {
    fn rgb(self) -> [u8; 3] {
        match self {
            PixelKey::Grey(v) => [v; 3],
            PixelKey::Rgb(c) => c,
        }
    }
}

/// Which coordinates a 2D mask reads.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum MaskPlane {
    /// `(x, y)` of the embedded point (2D and 3D Cartesian meshes; a 2D mask is a prism in `z`).
    #[default]
    Xy,
    /// `(r, z)` with `r = sqrt(x^2 + y^2)`: axisymmetric meshes (points `(r, 0, z)`).
    Rz,
}

/// A label mask (see the module docs).
#[derive(Clone, Debug, PartialEq)]
pub struct LabelMask {
    n: [usize; 3],
    labels: Vec<u16>,
    lo: [f64; 3],
    hi: [f64; 3],
    names: Vec<String>,
    plane: MaskPlane,
    sub_cell: SubCell,
}

/// Largest mask accepted (pixels or voxels).
const MAX_PIXELS: usize = 1 << 28;

fn region_names<K: PartialEq + Copy>(table: &[(K, &str)]) -> (Vec<String>, Vec<(K, u16)>) {
    let mut names: Vec<String> = Vec::new();
    let mut map = Vec::new();
    for &(k, name) in table {
        let id = match names.iter().position(|n| n == name) {
            Some(i) => i,
            None => {
                names.push(name.to_string());
                names.len() - 1
            }
        };
        map.push((k, id as u16));
    }
    (names, map)
}

impl LabelMask {
    fn checked(
        n: [usize; 3],
        labels: Vec<u16>,
        lo: [f64; 3],
        hi: [f64; 3],
        names: Vec<String>,
    ) -> Result<Self, MaskError> {
        let dims = if n[2] > 1 { 3 } else { 2 };
        for a in 0..dims {
            if !(lo[a].is_finite() && hi[a].is_finite() && hi[a] > lo[a]) {
                return Err(MaskError::Bad(format!(
                    "axis {a}: the box [{}, {}] must be finite with hi > lo",
                    lo[a], hi[a]
                )));
            }
        }
        if names.is_empty() || names.len() >= u16::MAX as usize {
            return Err(MaskError::Bad(format!(
                "{} region names in the table",
                names.len()
            )));
        }
        Ok(LabelMask {
            n,
            labels,
            lo,
            hi,
            names,
            plane: MaskPlane::Xy,
            sub_cell: SubCell::default(),
        })
    }

    /// A 2D mask from PNG bytes over `[lo, hi]` (m); `table` maps pixel colours to region
    /// names (several colours may name one region; regions are numbered in table order).
    pub fn from_png(
        bytes: &[u8],
        table: &[(PixelKey, &str)],
        lo: [f64; 2],
        hi: [f64; 2],
    ) -> Result<Self, MaskError> {
        let png_err = |e: png::DecodingError| MaskError::Png(e.to_string());
        let mut dec = png::Decoder::new(std::io::Cursor::new(bytes));
        dec.set_transformations(png::Transformations::EXPAND | png::Transformations::STRIP_16);
        let mut reader = dec.read_info().map_err(png_err)?;
        let (w, h) = {
            let info = reader.info();
            (info.width as usize, info.height as usize)
        };
        if w * h > MAX_PIXELS || w == 0 || h == 0 {
            return Err(MaskError::Png(format!(
                "{w} x {h} pixels; at most {MAX_PIXELS}"
            )));
        }
        let mut buf = vec![0; reader.output_buffer_size()];
        let info = reader.next_frame(&mut buf).map_err(png_err)?;
        let channels = match info.color_type {
            png::ColorType::Grayscale => 1,
            png::ColorType::GrayscaleAlpha => 2,
            png::ColorType::Rgb => 3,
            png::ColorType::Rgba => 4,
            png::ColorType::Indexed => {
                return Err(MaskError::Png("indexed colour was not expanded".into()))
            }
        };
        let (names, keys) = region_names(table);
        let mut labels = vec![0u16; w * h];
        for row in 0..h {
            let line = &buf[row * info.line_size..];
            for col in 0..w {
                let px = &line[col * channels..];
                let rgb = if channels < 3 {
                    [px[0]; 3]
                } else {
                    [px[0], px[1], px[2]]
                };
                let id = keys
                    .iter()
                    .find(|(k, _)| k.rgb() == rgb)
                    .map(|(_, id)| *id)
                    .ok_or(MaskError::UnknownColour {
                        column: col,
                        row,
                        colour: rgb,
                    })?;
                labels[col + w * (h - 1 - row)] = id;
            }
        }
        Self::checked(
            [w, h, 1],
            labels,
            [lo[0], lo[1], 0.0],
            [hi[0], hi[1], 0.0],
            names,
        )
    }

    /// A 2D or 3D mask from NPY bytes over `[lo, hi]` (m; `lo[2]`, `hi[2]` unused for 2D
    /// arrays); `table` maps array values to region names.
    pub fn from_npy(
        bytes: &[u8],
        table: &[(i64, &str)],
        lo: [f64; 3],
        hi: [f64; 3],
    ) -> Result<Self, MaskError> {
        let (shape, values) = parse_npy(bytes)?;
        let n = match shape[..] {
            [ny, nx] => [nx, ny, 1],
            [nz, ny, nx] => [nx, ny, nz],
            _ => {
                return Err(MaskError::Npy(format!(
                    "shape {shape:?}; a mask is 2D (ny, nx) or 3D (nz, ny, nx)"
                )))
            }
        };
        let (names, keys) = region_names(table);
        let labels = values
            .iter()
            .enumerate()
            .map(|(i, &v)| {
                keys.iter()
                    .find(|(k, _)| *k as f64 == v)
                    .map(|(_, id)| *id)
                    .ok_or(MaskError::UnknownValue { index: i, value: v })
            })
            .collect::<Result<Vec<u16>, _>>()?;
        let (lo, hi) = if n[2] == 1 {
            ([lo[0], lo[1], 0.0], [hi[0], hi[1], 0.0])
        } else {
            (lo, hi)
        };
        Self::checked(n, labels, lo, hi, names)
    }

    /// Read a 2D mask as `(r, z)` (axisymmetric meshes).
    pub fn with_plane(mut self, plane: MaskPlane) -> Self {
        self.plane = plane;
        self
    }

    /// Use these sub-cell settings.
    pub fn with_sub_cell(mut self, sub_cell: SubCell) -> Self {
        self.sub_cell = sub_cell;
        self
    }

    /// Pixels per axis `[nx, ny, nz]` (`nz = 1` for 2D).
    pub fn shape(&self) -> [usize; 3] {
        self.n
    }

    /// Region of pixel `(i, j, k)` (`j = 0` at `lo_y`).
    pub fn pixel(&self, i: usize, j: usize, k: usize) -> u16 {
        self.labels[i + self.n[0] * (j + self.n[1] * k)]
    }

    #[inline]
    fn coords(&self, p: [f64; 3]) -> [f64; 3] {
        match self.plane {
            MaskPlane::Xy => p,
            MaskPlane::Rz => [p[0].hypot(p[1]), p[2], 0.0],
        }
    }

    #[inline]
    fn cell(&self, a: usize, c: f64) -> usize {
        if self.n[a] == 1 {
            return 0;
        }
        let s = (c - self.lo[a]) / (self.hi[a] - self.lo[a]) * self.n[a] as f64;
        if s <= 0.0 {
            0
        } else {
            (s as usize).min(self.n[a] - 1)
        }
    }
}

impl RegionMap for LabelMask {
    fn names(&self) -> &[String] {
        &self.names
    }
    fn label(&self, p: [f64; 3]) -> u16 {
        let c = self.coords(p);
        self.pixel(self.cell(0, c[0]), self.cell(1, c[1]), self.cell(2, c[2]))
    }
    fn breaks(&self, p0: [f64; 3], p1: [f64; 3], out: &mut Vec<f64>) {
        // Linear in t for Xy, and for Rz on segments in a meridian plane (r >= 0).
        let (c0, c1) = (self.coords(p0), self.coords(p1));
        for a in 0..3 {
            let d = c1[a] - c0[a];
            if self.n[a] == 1 || d == 0.0 {
                continue;
            }
            let w = (self.hi[a] - self.lo[a]) / self.n[a] as f64;
            let (s0, s1) = ((c0[a] - self.lo[a]) / w, (c1[a] - self.lo[a]) / w);
            let (from, to) = (s0.min(s1).ceil().max(1.0), s0.max(s1).floor());
            let to = to.min(self.n[a] as f64 - 1.0);
            let mut m = from;
            while m <= to {
                out.push((self.lo[a] + m * w - c0[a]) / d);
                m += 1.0;
            }
        }
    }
    fn uniform_label(&self, lo: [f64; 3], hi: [f64; 3]) -> Option<u16> {
        let (a, b) = (self.coords(lo), self.coords(hi));
        let (a, b) = (
            [0, 1, 2].map(|k| a[k].min(b[k])),
            [0, 1, 2].map(|k| a[k].max(b[k])),
        );
        let r: [(usize, usize); 3] = [0, 1, 2].map(|k| (self.cell(k, a[k]), self.cell(k, b[k])));
        let first = self.pixel(r[0].0, r[1].0, r[2].0);
        for k in r[2].0..=r[2].1 {
            for j in r[1].0..=r[1].1 {
                for i in r[0].0..=r[0].1 {
                    if self.pixel(i, j, k) != first {
                        return None;
                    }
                }
            }
        }
        Some(first)
    }
    fn sub_cell(&self) -> SubCell {
        self.sub_cell
    }
}

/// Parse NPY bytes: the shape and the values as `f64` (C order).
fn parse_npy(bytes: &[u8]) -> Result<(Vec<usize>, Vec<f64>), MaskError> {
    let bad = |s: String| Err(MaskError::Npy(s));
    if bytes.len() < 10 || &bytes[..6] != b"\x93NUMPY" {
        return bad("not an NPY file (magic \\x93NUMPY missing)".into());
    }
    let (len, start) = match bytes[6] {
        1 => (u16::from_le_bytes([bytes[8], bytes[9]]) as usize, 10),
        2 | 3 if bytes.len() >= 12 => (
            u32::from_le_bytes([bytes[8], bytes[9], bytes[10], bytes[11]]) as usize,
            12,
        ),
        v => return bad(format!("format version {v}; supported are 1, 2 and 3")),
    };
    if bytes.len() < start + len {
        return bad("truncated header".into());
    }
    let header = std::str::from_utf8(&bytes[start..start + len])
        .map_err(|_| MaskError::Npy("header is not text".into()))?;
    let field = |key: &str| -> Option<&str> {
        let at = header.find(&format!("'{key}'"))? + key.len() + 2;
        let rest = header[at..].trim_start().strip_prefix(':')?.trim_start();
        Some(rest)
    };
    let descr = field("descr")
        .and_then(|r| r.strip_prefix('\''))
        .and_then(|r| r.split('\'').next())
        .ok_or(MaskError::Npy("no 'descr' in the header".into()))?;
    let fortran = field("fortran_order").ok_or(MaskError::Npy("no 'fortran_order'".into()))?;
    if fortran.starts_with("True") {
        return bad(
            "fortran_order is True; save the array in C order (np.ascontiguousarray)".into(),
        );
    }
    let shape_text = field("shape")
        .and_then(|r| r.strip_prefix('('))
        .and_then(|r| r.split(')').next())
        .ok_or(MaskError::Npy("no 'shape' in the header".into()))?;
    let shape = shape_text
        .split(',')
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(|s| s.parse::<usize>())
        .collect::<Result<Vec<usize>, _>>()
        .map_err(|_| MaskError::Npy(format!("bad shape ({shape_text})")))?;
    let count = shape.iter().try_fold(1usize, |a, &b| a.checked_mul(b));
    let count = match count {
        Some(c) if c > 0 && c <= MAX_PIXELS => c,
        _ => {
            return bad(format!(
                "shape {shape:?}: between 1 and {MAX_PIXELS} elements"
            ))
        }
    };
    let data = &bytes[start + len..];
    let size = match descr {
        "<i4" => 4,
        "<u1" | "|u1" => 1,
        "<f8" => 8,
        d => {
            return bad(format!(
                "dtype '{d}'; use int32 ('<i4'), uint8 ('<u1') or float64 ('<f8')"
            ))
        }
    };
    if data.len() < count * size {
        return bad(format!(
            "{} data bytes for {count} elements of {size} bytes",
            data.len()
        ));
    }
    let values: Vec<f64> = (0..count)
        .map(|i| {
            let b = &data[i * size..(i + 1) * size];
            match size {
                4 => i32::from_le_bytes([b[0], b[1], b[2], b[3]]) as f64,
                1 => b[0] as f64,
                _ => f64::from_le_bytes([b[0], b[1], b[2], b[3], b[4], b[5], b[6], b[7]]),
            }
        })
        .collect();
    Ok((shape, values))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::mesh::{uniform_nodes, Mesh, TensorGrid};

    fn npy(version: u8, descr: &str, shape: &str, data: &[u8]) -> Vec<u8> {
        let mut h = format!("{{'descr': '{descr}', 'fortran_order': False, 'shape': {shape}, }}");
        let pre = if version == 1 { 10 } else { 12 };
        while (pre + h.len() + 1) % 64 != 0 {
            h.push(' ');
        }
        h.push('\n');
        let mut out = b"\x93NUMPY".to_vec();
        out.extend([version, 0]);
        if version == 1 {
            out.extend((h.len() as u16).to_le_bytes());
        } else {
            out.extend((h.len() as u32).to_le_bytes());
        }
        out.extend(h.as_bytes());
        out.extend(data);
        out
    }

    fn region_volume(m: &Mesh, r: u16) -> f64 {
        (0..m.nodes())
            .map(|i| m.volume_integral(i, |k| (k == r).then_some(1.0)))
            .sum()
    }

    #[test]
    fn npy_masks_of_every_dtype_and_version() {
        // 2 x 3 array (ny = 2, nx = 3): the right column and top-left pixel are region 7.
        let vals: [i32; 6] = [0, 0, 7, 7, 0, 7];
        let i4: Vec<u8> = vals.iter().flat_map(|v| v.to_le_bytes()).collect();
        let u1: Vec<u8> = vals.iter().map(|&v| v as u8).collect();
        let f8: Vec<u8> = vals
            .iter()
            .flat_map(|&v| (v as f64).to_le_bytes())
            .collect();
        let table = [(0, "gel"), (7, "solid")];
        for bytes in [
            npy(1, "<i4", "(2, 3)", &i4),
            npy(2, "<u1", "(2, 3)", &u1),
            npy(1, "<f8", "(2, 3)", &f8),
        ] {
            let m = LabelMask::from_npy(&bytes, &table, [0.0, 0.0, 0.0], [3.0, 2.0, 0.0]).unwrap();
            assert_eq!(m.shape(), [3, 2, 1]);
            assert_eq!(
                (m.pixel(2, 0, 0), m.pixel(0, 1, 0), m.pixel(1, 1, 0)),
                (1, 1, 0)
            );
            assert_eq!(m.label([2.5, 0.5, 0.0]), 1);
            // Mesh whose nodes do not sit on pixel boundaries: volumes exact.
            let x = uniform_nodes(0.0, 3.0, 8);
            let y = uniform_nodes(0.0, 2.0, 6);
            let mesh = TensorGrid::cartesian_2d(&x, &y)
                .unwrap()
                .mesh_with(&m)
                .unwrap();
            assert!((region_volume(&mesh, 1) - 3.0).abs() < 1e-13);
        }
        let e = LabelMask::from_npy(
            &npy(1, "<i4", "(2, 3)", &i4),
            &[(0, "gel")],
            [0.0; 3],
            [1.0; 3],
        )
        .unwrap_err();
        assert_eq!(
            e,
            MaskError::UnknownValue {
                index: 2,
                value: 7.0
            }
        );
        let e = LabelMask::from_npy(&npy(1, "<i8", "(2, 3)", &i4), &table, [0.0; 3], [1.0; 3]);
        assert!(e.unwrap_err().to_string().contains("'<i8'"));
        let mut fortran = npy(1, "<u1", "(2, 3)", &u1);
        let s = String::from_utf8_lossy(&fortran).replace("False", "True ");
        fortran = s.into_bytes();
        assert!(LabelMask::from_npy(&fortran, &table, [0.0; 3], [1.0; 3]).is_err());
        assert!(LabelMask::from_npy(
            &npy(1, "<u1", "(2, 3)", &u1[..4]),
            &table,
            [0.0; 3],
            [1.0; 3]
        )
        .is_err());
        assert!(LabelMask::from_npy(b"garbage", &table, [0.0; 3], [1.0; 3]).is_err());
        // 3D (nz, ny, nx) = (2, 1, 2).
        let m = LabelMask::from_npy(
            &npy(1, "<u1", "(2, 1, 2)", &[0, 0, 0, 7]),
            &table,
            [0.0; 3],
            [1.0; 3],
        )
        .unwrap();
        assert_eq!(
            (m.shape(), m.pixel(1, 0, 1), m.label([0.9, 0.5, 0.9])),
            ([2, 1, 2], 1, 1)
        );
    }

    #[test]
    fn png_masks_map_colours_and_flip_rows() {
        // 2 x 2 RGB: top row red, blue; bottom row white, white.
        let mut bytes = Vec::new();
        {
            let mut enc = png::Encoder::new(&mut bytes, 2, 2);
            enc.set_color(png::ColorType::Rgb);
            enc.set_depth(png::BitDepth::Eight);
            let mut w = enc.write_header().unwrap();
            w.write_image_data(&[255, 0, 0, 0, 0, 255, 255, 255, 255, 255, 255, 255])
                .unwrap();
        }
        let table = [
            (PixelKey::Grey(255), "water"),
            (PixelKey::Rgb([255, 0, 0]), "oxide"),
            (PixelKey::Rgb([0, 0, 255]), "oxide"),
        ];
        let m = LabelMask::from_png(&bytes, &table, [0.0, 0.0], [2.0, 1.0]).unwrap();
        assert_eq!(m.names(), &["water".to_string(), "oxide".to_string()]);
        assert_eq!(
            (m.pixel(0, 1, 0), m.pixel(1, 1, 0), m.pixel(0, 0, 0)),
            (1, 1, 0)
        );
        let e = LabelMask::from_png(&bytes, &table[..2], [0.0, 0.0], [2.0, 1.0]).unwrap_err();
        assert_eq!(
            e,
            MaskError::UnknownColour {
                column: 1,
                row: 0,
                colour: [0, 0, 255]
            }
        );
        // As (r, z) on an axisymmetric mesh: the oxide is the cylinder r < 2, z > 0.5.
        let m = m.with_plane(MaskPlane::Rz);
        let mesh =
            TensorGrid::axisymmetric(&uniform_nodes(0.0, 2.0, 6), &uniform_nodes(0.0, 1.0, 4))
                .unwrap()
                .mesh_with(&m)
                .unwrap();
        let v = region_volume(&mesh, 1);
        assert!((v - std::f64::consts::PI * 4.0 * 0.5).abs() < 1e-12, "{v}");
        assert!(LabelMask::from_png(b"not a png", &table, [0.0; 2], [1.0; 2]).is_err());
    }
}
