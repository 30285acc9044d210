//! VTK XML files of node fields, for ParaView and VisIt.
//!
//! - A tensor-product mesh becomes a `RectilinearGrid` (`.vtr`): the axis coordinates and
//!   the whole extent `0 nx-1 0 ny-1 0 nz-1` (1D and 2D meshes are degenerate extents such
//!   as `0 nx-1 0 0 0 0`); point `(i, j, k)` is node `i + nx (j + ny k)`, the node order of
//!   the mesh.
//! - Any other mesh becomes an `UnstructuredGrid` (`.vtu`): the node positions as points,
//!   with `VTK_LINE` cells (type 3) along the faces of a 1D mesh and one `VTK_VERTEX` cell
//!   (type 1) per node otherwise.
//! - A transient run is a `.pvd` collection listing one file per output time.
//!
//! Node fields are point data (`Float64`, vectors with `NumberOfComponents="3"`), named with
//! their unit (`potential_V`); the dominant region of each node (the region with the largest
//! part of its control volume, by index into [`Mesh::regions`]) is the `Int32` array `region`.
//! Coordinates are in metres; in (r, z) meshes x is r and y is z.
//!
//! Data are inline and `format="binary"`: per array, one base64 (RFC 4648) stream of a
//! `UInt64` byte count (`header_type="UInt64"`) followed by the little-endian values, as VTK's
//! reader expects (`vtkXMLDataParser::ReadBinaryData` reads the header and the data from one
//! stream). Format reference: "VTK File Formats", section "XML File Formats"
//! (<https://docs.vtk.org/en/latest/design_documents/VTKFileFormats.html>), and the
//! Kitware wiki page "VTK XML Formats" for the binary header.

use std::fmt::Write;

use super::fields::{FieldOutputError, NodeField, TensorAxes};
use crate::mesh::Mesh;

/// The kind of VTK dataset written for a mesh.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum VtkKind {
    /// `RectilinearGrid`, `.vtr` (tensor-product meshes).
    RectilinearGrid,
    /// `UnstructuredGrid`, `.vtu` (all other meshes).
    UnstructuredGrid,
}

impl VtkKind {
    /// File extension without the dot: `vtr` or `vtu`.
    pub fn extension(self) -> &'static str {
        match self {
            VtkKind::RectilinearGrid => "vtr",
            VtkKind::UnstructuredGrid => "vtu",
        }
    }
}

/// A VTK XML document and its kind (which gives the file extension).
#[derive(Clone, Debug, PartialEq)]
pub struct VtkDocument {
    /// Dataset kind.
    pub kind: VtkKind,
    /// The XML text.
    pub xml: String,
}

/// The VTK file of `fields` on `mesh`: a `RectilinearGrid` if the mesh has a tensor shape
/// whose node positions are a tensor product of axes, else an `UnstructuredGrid`.
///
/// ```
/// use fluxion::mesh::{Geometry, Grid, Mesh, Spacing};
/// use fluxion::output::{vtk_document, NodeField};
///
/// let grid = Grid::new(Geometry::Planar, 0.0, 1e-6, 5, Spacing::Uniform).unwrap();
/// let mesh = Mesh::from_grid(&grid);
/// let phi = [0.0, 0.01, 0.02, 0.03, 0.04];
/// let doc = vtk_document(&mesh, &[NodeField::scalar("potential", "V", &phi)]).unwrap();
/// assert_eq!(doc.kind.extension(), "vtr");
/// assert!(doc.xml.contains("WholeExtent=\"0 4 0 0 0 0\"") && doc.xml.contains("potential_V"));
/// ```
pub fn vtk_document(mesh: &Mesh, fields: &[NodeField]) -> Result<VtkDocument, FieldOutputError> {
    if mesh.shape().is_some() {
        if let Ok(axes) = TensorAxes::of(mesh, "a VTK rectilinear grid") {
            return Ok(VtkDocument {
                kind: VtkKind::RectilinearGrid,
                xml: rectilinear(mesh, &axes, fields)?,
            });
        }
    }
    Ok(VtkDocument {
        kind: VtkKind::UnstructuredGrid,
        xml: unstructured_grid(mesh, fields)?,
    })
}

/// A `RectilinearGrid` (`.vtr`) document; the mesh must be a tensor product.
pub fn rectilinear_grid(mesh: &Mesh, fields: &[NodeField]) -> Result<String, FieldOutputError> {
    let axes = TensorAxes::of(mesh, "a VTK rectilinear grid")?;
    rectilinear(mesh, &axes, fields)
}

fn rectilinear(
    mesh: &Mesh,
    axes: &TensorAxes,
    fields: &[NodeField],
) -> Result<String, FieldOutputError> {
    check_fields(mesh, fields)?;
    let [nx, ny, nz] = axes.shape;
    let extent = format!("0 {} 0 {} 0 {}", nx - 1, ny - 1, nz - 1);
    let mut out = header("RectilinearGrid");
    let _ = writeln!(out, "  <RectilinearGrid WholeExtent=\"{extent}\">");
    let _ = writeln!(out, "    <Piece Extent=\"{extent}\">");
    point_data(&mut out, mesh, fields);
    out.push_str("      <CellData>\n      </CellData>\n");
    out.push_str("      <Coordinates>\n");
    for (c, name) in ["x_m", "y_m", "z_m"].into_iter().enumerate() {
        float_array(&mut out, name, 1, &axes.axis[c], "        ");
    }
    out.push_str("      </Coordinates>\n    </Piece>\n  </RectilinearGrid>\n</VTKFile>\n");
    Ok(out)
}

/// An `UnstructuredGrid` (`.vtu`) document: `VTK_LINE` cells along the faces of a 1D mesh,
/// one `VTK_VERTEX` cell per node otherwise.
pub fn unstructured_grid(mesh: &Mesh, fields: &[NodeField]) -> Result<String, FieldOutputError> {
    check_fields(mesh, fields)?;
    let n = mesh.nodes();
    let (connectivity, offsets, types): (Vec<i64>, Vec<i64>, Vec<u8>) = if mesh.dim() == 1 {
        let nf = mesh.faces();
        let conn = (0..nf)
            .flat_map(|f| mesh.face_nodes(f).map(|v| v as i64))
            .collect();
        (
            conn,
            (1..=nf as i64).map(|k| 2 * k).collect(),
            vec![VTK_LINE; nf],
        )
    } else {
        (
            (0..n as i64).collect(),
            (1..=n as i64).collect(),
            vec![VTK_VERTEX; n],
        )
    };
    let mut out = header("UnstructuredGrid");
    out.push_str("  <UnstructuredGrid>\n");
    let _ = writeln!(
        out,
        "    <Piece NumberOfPoints=\"{n}\" NumberOfCells=\"{}\">",
        types.len()
    );
    point_data(&mut out, mesh, fields);
    out.push_str("      <CellData>\n      </CellData>\n");
    out.push_str("      <Points>\n");
    let pts: Vec<f64> = (0..n).flat_map(|i| mesh.position(i)).collect();
    float_array(&mut out, "position_m", 3, &pts, "        ");
    out.push_str("      </Points>\n      <Cells>\n");
    let bytes = |v: &[i64]| v.iter().flat_map(|x| x.to_le_bytes()).collect::<Vec<u8>>();
    data_array(
        &mut out,
        "Int64",
        "connectivity",
        1,
        &bytes(&connectivity),
        "        ",
    );
    data_array(
        &mut out,
        "Int64",
        "offsets",
        1,
        &bytes(&offsets),
        "        ",
    );
    data_array(&mut out, "UInt8", "types", 1, &types, "        ");
    out.push_str("      </Cells>\n    </Piece>\n  </UnstructuredGrid>\n</VTKFile>\n");
    Ok(out)
}

/// A `.pvd` collection: one `DataSet` per `(time in s, file name)`, in the given order
/// (ParaView shows them as a time series).
pub fn pvd_collection(entries: &[(f64, &str)]) -> Result<String, FieldOutputError> {
    let mut out = String::from(
        "<?xml version=\"1.0\"?>\n<VTKFile type=\"Collection\" version=\"0.1\" \
         byte_order=\"LittleEndian\">\n  <Collection>\n",
    );
    for (t, file) in entries {
        if !t.is_finite() {
            return Err(FieldOutputError::BadOption {
                what: "pvd time",
                value: t.to_string(),
                fix: "give finite output times",
            });
        }
        if file.is_empty() {
            return Err(FieldOutputError::BadOption {
                what: "pvd file name",
                value: "\"\"".into(),
                fix: "name the VTK file of every output time",
            });
        }
        let _ = writeln!(
            out,
            "    <DataSet timestep=\"{}\" group=\"\" part=\"0\" file=\"{}\"/>",
            fmt_f64(*t),
            escape(file)
        );
    }
    out.push_str("  </Collection>\n</VTKFile>\n");
    Ok(out)
}

/// VTK cell type of a vertex.
const VTK_VERTEX: u8 = 1;
/// VTK cell type of a line segment.
const VTK_LINE: u8 = 3;

fn check_fields(mesh: &Mesh, fields: &[NodeField]) -> Result<(), FieldOutputError> {
    for (k, f) in fields.iter().enumerate() {
        f.check(mesh)?;
        if f.column_name() == "region"
            || fields[..k]
                .iter()
                .any(|g| g.column_name() == f.column_name())
        {
            return Err(FieldOutputError::BadOption {
                what: "VTK array name",
                value: f.column_name(),
                fix: "give every field a distinct name (`region` is taken by the region ids)",
            });
        }
    }
    Ok(())
}

fn header(kind: &str) -> String {
    format!(
        "<?xml version=\"1.0\"?>\n<VTKFile type=\"{kind}\" version=\"1.0\" \
         byte_order=\"LittleEndian\" header_type=\"UInt64\">\n"
    )
}

fn point_data(out: &mut String, mesh: &Mesh, fields: &[NodeField]) {
    out.push_str("      <PointData");
    if let Some(f) = fields.iter().find(|f| f.components() == 1) {
        let _ = write!(out, " Scalars=\"{}\"", escape(&f.column_name()));
    }
    if let Some(f) = fields.iter().find(|f| f.components() == 3) {
        let _ = write!(out, " Vectors=\"{}\"", escape(&f.column_name()));
    }
    out.push_str(">\n");
    for f in fields {
        let nc = f.components();
        let v: Vec<f64> = (0..mesh.nodes())
            .flat_map(|i| (0..nc).map(move |c| (i, c)))
            .map(|(i, c)| f.component(i, c))
            .collect();
        float_array(out, &f.column_name(), nc, &v, "        ");
    }
    let region: Vec<u8> = (0..mesh.nodes())
        .flat_map(|i| (dominant_region(mesh, i) as i32).to_le_bytes())
        .collect();
    data_array(out, "Int32", "region", 1, &region, "        ");
    out.push_str("      </PointData>\n");
}

/// The region with the largest part of the control volume of node `i` (the first on ties).
pub(crate) fn dominant_region(mesh: &Mesh, i: usize) -> u16 {
    let mut best = (0u16, f64::NEG_INFINITY);
    for (r, v) in mesh.volume_parts(i) {
        if v > best.1 {
            best = (r, v);
        }
    }
    best.0
}

fn float_array(out: &mut String, name: &str, components: usize, v: &[f64], indent: &str) {
    let bytes: Vec<u8> = v.iter().flat_map(|x| x.to_le_bytes()).collect();
    data_array(out, "Float64", name, components, &bytes, indent);
}

/// One `DataArray` element with `bytes` (little-endian values) encoded as VTK inline binary.
fn data_array(
    out: &mut String,
    ty: &str,
    name: &str,
    components: usize,
    bytes: &[u8],
    indent: &str,
) {
    let _ = write!(
        out,
        "{indent}<DataArray type=\"{ty}\" Name=\"{}\"",
        escape(name)
    );
    if components != 1 {
        let _ = write!(out, " NumberOfComponents=\"{components}\"");
    }
    out.push_str(" format=\"binary\">");
    let mut block = Vec::with_capacity(8 + bytes.len());
    block.extend_from_slice(&(bytes.len() as u64).to_le_bytes());
    block.extend_from_slice(bytes);
    base64_into(&block, out);
    out.push_str("</DataArray>\n");
}

/// Shortest round-trip decimal of `v` (`0`, `1.5e-3`).
fn fmt_f64(v: f64) -> String {
    if v == 0.0 {
        "0".into()
    } else {
        format!("{v:e}")
    }
}

/// `s` with the XML special characters escaped, for attribute values.
pub(crate) fn escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            c => out.push(c),
        }
    }
    out
}

const B64: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

/// Append the base64 encoding of `bytes` (RFC 4648, section 4: standard alphabet, `=`
/// padding) to `out`.
pub(crate) fn base64_into(bytes: &[u8], out: &mut String) {
    out.reserve(bytes.len().div_ceil(3) * 4);
    for chunk in bytes.chunks(3) {
        let b = [
            chunk[0],
            chunk.get(1).copied().unwrap_or(0),
            chunk.get(2).copied().unwrap_or(0),
        ];
        let n = (b[0] as u32) << 16 | (b[1] as u32) << 8 | b[2] as u32;
        for k in 0..4 {
            if k <= chunk.len() {
                out.push(B64[(n >> (18 - 6 * k) & 63) as usize] as char);
            } else {
                out.push('=');
            }
        }
    }
}

/// The base64 encoding of `bytes` (RFC 4648, section 4: standard alphabet, `=` padding).
pub fn base64(bytes: &[u8]) -> String {
    let mut s = String::new();
    base64_into(bytes, &mut s);
    s
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use crate::mesh::{CoordinateSystem, MeshParts};
    use crate::mesh::{Geometry, Grid, Spacing};
    use crate::output::fields::testing::{axis, tensor_mesh};

    /// Decode base64 (RFC 4648), independently of the encoder: a test oracle.
    pub fn decode64(s: &str) -> Vec<u8> {
        let val = |c: u8| B64.iter().position(|&b| b == c).expect("base64 character") as u32;
        let s: Vec<u8> = s.bytes().filter(|c| !c.is_ascii_whitespace()).collect();
        assert_eq!(s.len() % 4, 0, "base64 length");
        let mut out = vec![];
        for q in s.chunks(4) {
            let pad = q.iter().filter(|&&c| c == b'=').count();
            let n = q
                .iter()
                .map(|&c| if c == b'=' { 0 } else { val(c) })
                .fold(0u32, |a, v| a << 6 | v);
            let b = [(n >> 16) as u8, (n >> 8) as u8, n as u8];
            out.extend_from_slice(&b[..3 - pad]);
        }
        out
    }

    /// The payload of a VTK inline binary array, checking its UInt64 byte-count header.
    fn payload(text: &str) -> Vec<u8> {
        let raw = decode64(text);
        let n = u64::from_le_bytes(raw[..8].try_into().unwrap()) as usize;
        assert_eq!(n, raw.len() - 8, "header byte count");
        raw[8..].to_vec()
    }

    fn f64s(text: &str) -> Vec<f64> {
        payload(text)
            .chunks(8)
            .map(|c| f64::from_le_bytes(c.try_into().unwrap()))
            .collect()
    }

    fn i64s(text: &str) -> Vec<i64> {
        payload(text)
            .chunks(8)
            .map(|c| i64::from_le_bytes(c.try_into().unwrap()))
            .collect()
    }

    fn array<'a>(doc: &'a roxmltree::Document, name: &str) -> roxmltree::Node<'a, 'a> {
        doc.descendants()
            .find(|n| n.has_tag_name("DataArray") && n.attribute("Name") == Some(name))
            .unwrap_or_else(|| panic!("no DataArray {name}"))
    }

    #[test]
    fn base64_matches_the_rfc_4648_test_vectors() {
        // RFC 4648, section 10.
        for (plain, enc) in [
            ("", ""),
            ("f", "Zg=="),
            ("fo", "Zm8="),
            ("foo", "Zm9v"),
            ("foob", "Zm9vYg=="),
            ("fooba", "Zm9vYmE="),
            ("foobar", "Zm9vYmFy"),
        ] {
            assert_eq!(base64(plain.as_bytes()), enc);
            assert_eq!(decode64(enc), plain.as_bytes());
        }
        let all: Vec<u8> = (0..=255).collect();
        assert_eq!(decode64(&base64(&all)), all);
    }

    #[test]
    fn rectilinear_grid_decodes_to_the_mesh_and_fields() {
        let x = axis(0.0, 2e-6, 7, 1.2);
        let y = axis(-1e-6, 1e-6, 4, 1.0);
        let m = tensor_mesh(
            CoordinateSystem::Axisymmetric,
            [&x, &y, &[0.0]],
            &["a", "b"],
            |p| (p[0] > 1e-6) as u16,
        );
        let phi: Vec<f64> = (0..m.nodes()).map(|i| (i as f64).sin() * 1e-3).collect();
        let e: Vec<[f64; 3]> = (0..m.nodes())
            .map(|i| [i as f64, -(i as f64), 0.5])
            .collect();
        let fields = [
            NodeField::scalar("potential", "V", &phi),
            NodeField::vector("field", "V/m", &e),
        ];
        let doc = vtk_document(&m, &fields).unwrap();
        assert_eq!(doc.kind, VtkKind::RectilinearGrid);
        assert_eq!(doc.kind.extension(), "vtr");
        let xml = roxmltree::Document::parse(&doc.xml).expect("well-formed XML");
        let root = xml.root_element();
        assert_eq!(root.tag_name().name(), "VTKFile");
        assert_eq!(root.attribute("type"), Some("RectilinearGrid"));
        assert_eq!(root.attribute("header_type"), Some("UInt64"));
        assert_eq!(root.attribute("byte_order"), Some("LittleEndian"));
        let grid = root.first_element_child().unwrap();
        assert_eq!(grid.attribute("WholeExtent"), Some("0 6 0 3 0 0"));
        let piece = grid.first_element_child().unwrap();
        assert_eq!(piece.attribute("Extent"), Some("0 6 0 3 0 0"));
        // Extent and point data agree: (6+1)(3+1)(0+1) points.
        let p = f64s(array(&xml, "potential_V").text().unwrap());
        assert_eq!(p, phi, "bit-identical values");
        let ev = array(&xml, "field_V_m");
        assert_eq!(ev.attribute("NumberOfComponents"), Some("3"));
        let ev = f64s(ev.text().unwrap());
        assert_eq!(ev.len(), 3 * m.nodes());
        assert_eq!(&ev[3 * 5..3 * 6], &e[5]);
        assert_eq!(f64s(array(&xml, "x_m").text().unwrap()), x);
        assert_eq!(f64s(array(&xml, "y_m").text().unwrap()), y);
        assert_eq!(f64s(array(&xml, "z_m").text().unwrap()), vec![0.0]);
        let region = payload(array(&xml, "region").text().unwrap());
        let region: Vec<i32> = region
            .chunks(4)
            .map(|c| i32::from_le_bytes(c.try_into().unwrap()))
            .collect();
        assert_eq!(region.len(), m.nodes());
        assert_eq!((region[0], region[6]), (0, 1));
        let pd = piece
            .children()
            .find(|n| n.has_tag_name("PointData"))
            .unwrap();
        assert_eq!(pd.attribute("Scalars"), Some("potential_V"));
        assert_eq!(pd.attribute("Vectors"), Some("field_V_m"));
    }

    #[test]
    fn one_dimensional_grids_are_degenerate_extents() {
        let g = Grid::new(Geometry::Planar, 0.0, 1e-3, 11, Spacing::Uniform).unwrap();
        let m = Mesh::from_grid(&g);
        let c: Vec<f64> = (0..11).map(|i| i as f64).collect();
        let doc = vtk_document(&m, &[NodeField::scalar("c_K", "mol/m^3", &c)]).unwrap();
        let xml = roxmltree::Document::parse(&doc.xml).unwrap();
        let grid = xml.root_element().first_element_child().unwrap();
        assert_eq!(grid.attribute("WholeExtent"), Some("0 10 0 0 0 0"));
        assert_eq!(f64s(array(&xml, "c_K_mol_m3").text().unwrap()), c);
        assert_eq!(f64s(array(&xml, "x_m").text().unwrap()), g.x());
    }

    #[test]
    fn meshes_without_shape_are_unstructured_grids() {
        // 1D without a shape: line cells along the faces.
        let g = Grid::new(Geometry::Spherical, 1e-6, 2e-6, 5, Spacing::Uniform).unwrap();
        let mut parts = Mesh::from_grid(&g).parts().into_owned();
        parts.shape = None;
        let m = Mesh::new(CoordinateSystem::Spherical, parts).unwrap();
        let v = vec![1.0, 2.0, 3.0, 4.0, 5.0];
        let doc = vtk_document(&m, &[NodeField::scalar("potential", "V", &v)]).unwrap();
        assert_eq!(doc.kind.extension(), "vtu");
        let xml = roxmltree::Document::parse(&doc.xml).unwrap();
        let piece = xml.descendants().find(|n| n.has_tag_name("Piece")).unwrap();
        assert_eq!(piece.attribute("NumberOfPoints"), Some("5"));
        assert_eq!(piece.attribute("NumberOfCells"), Some("4"));
        assert_eq!(
            i64s(array(&xml, "connectivity").text().unwrap()),
            vec![0, 1, 1, 2, 2, 3, 3, 4]
        );
        assert_eq!(
            i64s(array(&xml, "offsets").text().unwrap()),
            vec![2, 4, 6, 8]
        );
        assert_eq!(payload(array(&xml, "types").text().unwrap()), vec![3; 4]);
        let pts = f64s(array(&xml, "position_m").text().unwrap());
        assert_eq!(pts.len(), 15);
        assert_eq!(pts[3], g.radius(1));
        // 2D scattered nodes: one vertex per node.
        let parts = MeshParts {
            dim: 2,
            node: vec![[0.0, 0.0, 0.0], [1.0, 0.0, 0.0], [0.3, 0.8, 0.0]],
            regions: vec!["a".into()],
            node_part_ptr: vec![0, 1, 2, 3],
            node_part: vec![(0, 0.1); 3],
            face_nodes: vec![[0, 1], [1, 2], [2, 0]],
            face_distance: vec![1.0, 0.9, 0.85],
            face_segment_ptr: vec![0, 1, 2, 3],
            segment_area: vec![0.5; 3],
            segment_part_ptr: vec![0, 1, 2, 3],
            segment_part: vec![(0, 1.0); 3],
            ..Default::default()
        };
        let m = Mesh::new(CoordinateSystem::Cartesian, parts).unwrap();
        let doc = vtk_document(&m, &[NodeField::scalar("u", "", &[1.0, 2.0, 3.0])]).unwrap();
        let xml = roxmltree::Document::parse(&doc.xml).unwrap();
        assert_eq!(payload(array(&xml, "types").text().unwrap()), vec![1; 3]);
        assert_eq!(i64s(array(&xml, "offsets").text().unwrap()), vec![1, 2, 3]);
        assert_eq!(f64s(array(&xml, "u").text().unwrap()), vec![1.0, 2.0, 3.0]);
    }

    #[test]
    fn pvd_lists_times_and_files() {
        let pvd = pvd_collection(&[(0.0, "run_0000.vtr"), (1.5e-3, "a&b_0001.vtr")]).unwrap();
        let xml = roxmltree::Document::parse(&pvd).unwrap();
        assert_eq!(xml.root_element().attribute("type"), Some("Collection"));
        let sets: Vec<(f64, String)> = xml
            .descendants()
            .filter(|n| n.has_tag_name("DataSet"))
            .map(|n| {
                (
                    n.attribute("timestep").unwrap().parse().unwrap(),
                    n.attribute("file").unwrap().to_string(),
                )
            })
            .collect();
        assert_eq!(
            sets,
            vec![
                (0.0, "run_0000.vtr".into()),
                (1.5e-3, "a&b_0001.vtr".into())
            ]
        );
        let e = pvd_collection(&[(f64::NAN, "x.vtr")])
            .unwrap_err()
            .to_string();
        assert!(e.contains("pvd time = NaN"), "{e}");
    }

    #[test]
    fn wrong_field_lengths_and_duplicate_names_are_refused() {
        let x = axis(0.0, 1.0, 3, 1.0);
        let m = tensor_mesh(
            CoordinateSystem::Cartesian,
            [&x, &[0.0], &[0.0]],
            &["a"],
            |_| 0,
        );
        let e = vtk_document(&m, &[NodeField::scalar("potential", "V", &[1.0, 2.0])])
            .unwrap_err()
            .to_string();
        assert!(
            e.contains("`potential` has 2 values but the mesh has 3 nodes"),
            "{e}"
        );
        let v = [1.0, 2.0, 3.0];
        let e = vtk_document(
            &m,
            &[
                NodeField::scalar("u", "V", &v),
                NodeField::scalar("u", "V", &v),
            ],
        )
        .unwrap_err()
        .to_string();
        assert!(e.contains("u_V"), "{e}");
    }
}
