//! NumPy `.npy` arrays of node fields (and `.npz` archives of several).
//!
//! Format version 1.0 (NEP 1, "A simple file format for NumPy arrays", and the
//! `numpy.lib.format` documentation): the magic string `\x93NUMPY`, the version bytes
//! `1, 0`, a little-endian `u16` header length, then the header, an ASCII Python dict
//!
//! ```text
//! {'descr': '<f8', 'fortran_order': False, 'shape': (ny, nx), }
//! ```
//!
//! padded with spaces and terminated by `\n` so that magic, version, length and header
//! together are a multiple of 64 bytes (the alignment `numpy.lib.format` writes), then the
//! values as little-endian `f64` in C order.
//!
//! On a tensor mesh of shape `[nx, ny, nz]` a scalar field is the array `(nx,)`, `(ny, nx)`
//! or `(nz, ny, nx)` for a 1D, 2D or 3D mesh, so that `np.load(f)[j, i]` is node `(i, j)`
//! (the node order of the mesh, x fastest, is C order of these shapes); a vector field adds
//! a last axis of length 3. On other meshes the arrays are `(nodes,)` and `(nodes, 3)`.
//!
//! An `.npz` archive is a ZIP file of `.npy` members (`numpy.savez`); it is written without
//! compression (method 0, "stored", PKWARE APPNOTE 6.3.3 sections 4.3.7 to 4.3.16) with
//! CRC-32 checksums, which `np.load` reads.

use super::fields::{FieldOutputError, NodeField, TensorAxes};
use crate::mesh::Mesh;

/// `.npy` v1.0 bytes of a little-endian `f64` array of `shape` (C order).
pub fn npy_f64(shape: &[usize], data: &[f64]) -> Result<Vec<u8>, FieldOutputError> {
    let count: usize = shape.iter().product();
    if count != data.len() {
        return Err(FieldOutputError::BadOption {
            what: "npy shape",
            value: format!("{shape:?} ({count} values for {} given)", data.len()),
            fix: "give as many values as the shape holds",
        });
    }
    let dims: Vec<String> = shape.iter().map(|d| d.to_string()).collect();
    let shape_text = match dims.len() {
        0 => "()".to_string(),
        1 => format!("({},)", dims[0]),
        _ => format!("({})", dims.join(", ")),
    };
    let mut header = format!("{{'descr': '<f8', 'fortran_order': False, 'shape': {shape_text}, }}");
    // magic (6) + version (2) + length (2) + header + '\n' to a multiple of 64.
    let unpadded = 10 + header.len() + 1;
    header.push_str(&" ".repeat(unpadded.next_multiple_of(64) - unpadded));
    header.push('\n');
    let len = u16::try_from(header.len()).map_err(|_| FieldOutputError::BadOption {
        what: "npy shape",
        value: shape_text.clone(),
        fix: "use fewer dimensions (the v1.0 header is at most 65535 bytes)",
    })?;
    let mut out = Vec::with_capacity(10 + header.len() + 8 * data.len());
    out.extend_from_slice(b"\x93NUMPY\x01\x00");
    out.extend_from_slice(&len.to_le_bytes());
    out.extend_from_slice(header.as_bytes());
    for v in data {
        out.extend_from_slice(&v.to_le_bytes());
    }
    Ok(out)
}

/// The array shape of a node field on `mesh` (see the module docs).
pub fn field_shape(mesh: &Mesh, field: &NodeField) -> Vec<usize> {
    let mut shape = match TensorAxes::of(mesh, "an npy array") {
        Ok(ax) => ax.shape[..ax.dim].iter().rev().copied().collect(),
        Err(_) => vec![mesh.nodes()],
    };
    if field.components() == 3 {
        shape.push(3);
    }
    shape
}

/// `.npy` bytes of a node field (shape from [`field_shape`]).
pub fn node_field_npy(mesh: &Mesh, field: &NodeField) -> Result<Vec<u8>, FieldOutputError> {
    field.check(mesh)?;
    let nc = field.components();
    let data: Vec<f64> = (0..mesh.nodes())
        .flat_map(|i| (0..nc).map(move |c| (i, c)))
        .map(|(i, c)| field.component(i, c))
        .collect();
    npy_f64(&field_shape(mesh, field), &data)
}

/// `.npy` bytes of the node coordinates along axis `c` (0, 1, 2) of a tensor mesh, m: the
/// `x`, `y` (or `r`, `z`) vectors that go with the field arrays
/// (`plt.pcolormesh(x, y, np.load("potential_V.npy"))`).
pub fn axis_npy(mesh: &Mesh, c: usize) -> Result<Vec<u8>, FieldOutputError> {
    let ax = TensorAxes::of(mesh, "npy axis coordinates")?;
    if c >= ax.dim {
        return Err(FieldOutputError::BadOption {
            what: "npy axis",
            value: c.to_string(),
            fix: "ask for an axis below the mesh dimension",
        });
    }
    npy_f64(&[ax.axis[c].len()], &ax.axis[c])
}

/// CRC-32 (IEEE 802.3, reflected polynomial `0xEDB88320`), as ZIP stores it.
fn crc32(bytes: &[u8]) -> u32 {
    let mut crc = !0u32;
    for &b in bytes {
        crc ^= b as u32;
        for _ in 0..8 {
            crc = if crc & 1 != 0 {
                (crc >> 1) ^ 0xEDB8_8320
            } else {
                crc >> 1
            };
        }
    }
    !crc
}

/// An `.npz` archive: a stored (uncompressed) ZIP of `name.npy` members, one per
/// `(name, npy bytes)`; `np.load(f)[name]` gives each array back.
pub fn npz(members: &[(&str, &[u8])]) -> Result<Vec<u8>, FieldOutputError> {
    let too_big = |what: &str| FieldOutputError::BadOption {
        what: "npz archive",
        value: what.to_string(),
        fix: "write the arrays as separate .npy files (no ZIP64 support: at most 4 GiB)",
    };
    if members.len() > u16::MAX as usize {
        return Err(too_big("more than 65535 members"));
    }
    // DOS date 1980-01-01, time 00:00.
    const DATE: u16 = (1 << 5) | 1;
    let mut out = vec![];
    let mut central = vec![];
    for (name, data) in members {
        let file = format!("{name}.npy");
        if name.is_empty() || file.len() > u16::MAX as usize {
            return Err(FieldOutputError::BadOption {
                what: "npz member name",
                value: format!("{name:?}"),
                fix: "give every array a short, non-empty name",
            });
        }
        let size = u32::try_from(data.len()).map_err(|_| too_big(name))?;
        let offset = u32::try_from(out.len()).map_err(|_| too_big(name))?;
        let crc = crc32(data);
        let common = |v: &mut Vec<u8>| {
            v.extend_from_slice(&20u16.to_le_bytes()); // version needed: 2.0
            v.extend_from_slice(&0u16.to_le_bytes()); // flags
            v.extend_from_slice(&0u16.to_le_bytes()); // method: stored
            v.extend_from_slice(&0u16.to_le_bytes()); // time
            v.extend_from_slice(&DATE.to_le_bytes());
            v.extend_from_slice(&crc.to_le_bytes());
            v.extend_from_slice(&size.to_le_bytes()); // compressed
            v.extend_from_slice(&size.to_le_bytes()); // uncompressed
            v.extend_from_slice(&(file.len() as u16).to_le_bytes());
            v.extend_from_slice(&0u16.to_le_bytes()); // extra field length
        };
        out.extend_from_slice(&0x0403_4b50u32.to_le_bytes());
        common(&mut out);
        out.extend_from_slice(file.as_bytes());
        out.extend_from_slice(data);
        central.extend_from_slice(&0x0201_4b50u32.to_le_bytes());
        central.extend_from_slice(&20u16.to_le_bytes()); // version made by
        common(&mut central);
        central.extend_from_slice(&0u16.to_le_bytes()); // comment length
        central.extend_from_slice(&0u16.to_le_bytes()); // disk number
        central.extend_from_slice(&0u16.to_le_bytes()); // internal attributes
        central.extend_from_slice(&0u32.to_le_bytes()); // external attributes
        central.extend_from_slice(&offset.to_le_bytes());
        central.extend_from_slice(file.as_bytes());
    }
    let cd_offset = u32::try_from(out.len()).map_err(|_| too_big("archive"))?;
    let cd_size = central.len() as u32;
    out.extend_from_slice(&central);
    out.extend_from_slice(&0x0605_4b50u32.to_le_bytes());
    out.extend_from_slice(&0u16.to_le_bytes());
    out.extend_from_slice(&0u16.to_le_bytes());
    out.extend_from_slice(&(members.len() as u16).to_le_bytes());
    out.extend_from_slice(&(members.len() as u16).to_le_bytes());
    out.extend_from_slice(&cd_size.to_le_bytes());
    out.extend_from_slice(&cd_offset.to_le_bytes());
    out.extend_from_slice(&0u16.to_le_bytes()); // comment length
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::mesh::CoordinateSystem;
    use crate::output::fields::testing::{axis, tensor_mesh};

    /// Parse `.npy` v1.0 bytes per the spec: (header text, values).
    fn parse(b: &[u8]) -> (String, Vec<f64>) {
        assert_eq!(&b[..6], b"\x93NUMPY");
        assert_eq!((b[6], b[7]), (1, 0));
        let hl = u16::from_le_bytes([b[8], b[9]]) as usize;
        assert_eq!((10 + hl) % 64, 0, "header alignment");
        let header = std::str::from_utf8(&b[10..10 + hl]).unwrap();
        assert!(header.is_ascii() && header.ends_with('\n'));
        let data = b[10 + hl..]
            .chunks(8)
            .map(|c| f64::from_le_bytes(c.try_into().unwrap()))
            .collect();
        (header.trim_end().to_string(), data)
    }

    #[test]
    fn npy_bytes_follow_the_v1_format() {
        let b = npy_f64(&[2, 3], &[1.0, 2.0, 3.0, 4.0, 5.0, 6.0]).unwrap();
        let (h, d) = parse(&b);
        assert_eq!(
            h,
            "{'descr': '<f8', 'fortran_order': False, 'shape': (2, 3), }"
        );
        assert_eq!(d, [1.0, 2.0, 3.0, 4.0, 5.0, 6.0]);
        assert_eq!(b.len(), 128 + 48);
        // The exact header numpy 1.x/2.x writes for np.save(f, np.zeros(5)): 118 bytes of
        // dict and padding, then '\n'.
        let b = npy_f64(&[5], &[0.0; 5]).unwrap();
        let mut want = b"\x93NUMPY\x01\x00\x76\x00".to_vec();
        let dict = "{'descr': '<f8', 'fortran_order': False, 'shape': (5,), }";
        want.extend_from_slice(dict.as_bytes());
        want.extend_from_slice(" ".repeat(117 - dict.len()).as_bytes());
        want.push(b'\n');
        want.extend_from_slice(&[0; 40]);
        assert_eq!(b, want);
        assert!(npy_f64(&[2, 2], &[1.0]).is_err());
        assert_eq!(
            parse(&npy_f64(&[], &[7.0]).unwrap())
                .0
                .matches("()")
                .count(),
            1
        );
    }

    #[test]
    fn tensor_fields_index_as_j_i() {
        let (x, y) = (axis(0.0, 1.0, 4, 1.0), axis(0.0, 2.0, 3, 1.5));
        let m = tensor_mesh(CoordinateSystem::Cartesian, [&x, &y, &[0.0]], &["a"], |_| 0);
        let u: Vec<f64> = (0..12).map(|n| n as f64 * 0.5).collect();
        let (h, d) = parse(&node_field_npy(&m, &NodeField::scalar("u", "V", &u)).unwrap());
        assert!(h.contains("'shape': (3, 4)"), "{h}");
        // a[j, i] sits at j * nx + i in C order and must be node (i, j).
        for j in 0..3 {
            for i in 0..4 {
                assert_eq!(d[j * 4 + i], u[i + 4 * j]);
            }
        }
        let e: Vec<[f64; 3]> = (0..12).map(|n| [n as f64, 0.0, -1.0]).collect();
        let (h, d) = parse(&node_field_npy(&m, &NodeField::vector("E", "V/m", &e)).unwrap());
        assert!(h.contains("'shape': (3, 4, 3)"), "{h}");
        assert_eq!(&d[3 * 7..3 * 8], &e[7]);
        let (h, d) = parse(&axis_npy(&m, 1).unwrap());
        assert!(h.contains("'shape': (3,)"));
        assert_eq!(d, y);
        let z = axis(0.0, 1.0, 2, 1.0);
        let m3 = tensor_mesh(CoordinateSystem::Cartesian, [&x, &y, &z], &["a"], |_| 0);
        let w = vec![0.0; 24];
        let h = parse(&node_field_npy(&m3, &NodeField::scalar("w", "", &w)).unwrap()).0;
        assert!(h.contains("'shape': (2, 3, 4)"), "{h}");
        let bad = node_field_npy(&m, &NodeField::scalar("u", "V", &u[..5])).unwrap_err();
        assert!(bad.to_string().contains("5 values"));
    }

    #[test]
    fn npz_is_a_stored_zip_with_checksums() {
        // The CRC-32 check value of "123456789" (ISO-HDLC / IEEE 802.3).
        assert_eq!(crc32(b"123456789"), 0xCBF4_3926);
        let a = npy_f64(&[2], &[1.0, 2.0]).unwrap();
        let b = npy_f64(&[1], &[3.0]).unwrap();
        let z = npz(&[("x", &a), ("potential_V", &b)]).unwrap();
        // Walk the archive from the end-of-central-directory record.
        let eocd = z.len() - 22;
        let u16_at = |o: usize| u16::from_le_bytes([z[o], z[o + 1]]) as usize;
        let u32_at = |o: usize| u32::from_le_bytes(z[o..o + 4].try_into().unwrap()) as usize;
        assert_eq!(u32_at(eocd), 0x0605_4b50);
        assert_eq!(u16_at(eocd + 10), 2);
        let mut cd = u32_at(eocd + 16);
        let mut got = vec![];
        for _ in 0..2 {
            assert_eq!(u32_at(cd), 0x0201_4b50);
            let (crc, size, nl) = (u32_at(cd + 16), u32_at(cd + 24), u16_at(cd + 28));
            let name = String::from_utf8(z[cd + 46..cd + 46 + nl].to_vec()).unwrap();
            let lh = u32_at(cd + 42);
            assert_eq!(u32_at(lh), 0x0403_4b50);
            assert_eq!(u16_at(lh + 8), 0, "stored");
            let start = lh + 30 + u16_at(lh + 26) + u16_at(lh + 28);
            let data = &z[start..start + size];
            assert_eq!(crc32(data) as usize, crc);
            got.push((name, data.to_vec()));
            cd += 46 + nl;
        }
        assert_eq!(
            got,
            vec![("x.npy".into(), a), ("potential_V.npy".into(), b)]
        );
    }
}
