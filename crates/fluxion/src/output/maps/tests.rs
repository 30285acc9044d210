//! Tests of the maps: layout, colours, lines and outlines.

use super::colors::{lab, moreland, msh};
use super::*;
use crate::output::fields::testing::{axis, tensor_mesh};

fn mesh(coords: CoordinateSystem, x: &[f64], y: &[f64]) -> Mesh {
    tensor_mesh(coords, [x, y, &[0.0]], &["a", "b"], |_| 0)
}

#[test]
fn one_metre_is_the_same_number_of_pixels_on_both_axes() {
    for (w, h, unit) in [
        (2e-6, 1e-6, "µm"),
        (0.3e-6, 0.9e-6, "nm"),
        (5e-3, 2e-4, "mm"),
    ] {
        let (x, y) = (axis(0.0, w, 11, 1.1), axis(-h / 2.0, h / 2.0, 9, 1.0));
        let m = mesh(CoordinateSystem::Cartesian, &x, &y);
        let v: Vec<f64> = (0..m.nodes()).map(|i| m.position(i)[0]).collect();
        let map = FieldMap::new(
            &m,
            &NodeField::scalar("u", "V", &v),
            None,
            &MapOptions::default(),
        )
        .unwrap();
        let l = map.layout();
        let (pw, ph) = (
            (l.plot[2] - l.plot[0]) as f64,
            (l.plot[3] - l.plot[1]) as f64,
        );
        let (sx, sy) = (
            pw / (l.x_range.1 - l.x_range.0),
            ph / (l.y_range.1 - l.y_range.0),
        );
        // Rounding the map to whole pixels costs at most half a pixel per side.
        assert!(
            (sx / sy - 1.0).abs() <= 0.5 / pw.min(ph) + 1e-12,
            "{w}x{h}: {sx} vs {sy}"
        );
        assert!(l.size.0 <= 800 && l.size.1 <= 800, "{:?}", l.size);
        assert_eq!(l.length_unit, unit);
        assert_eq!((l.x_range, l.y_range), ((0.0, w), (-h / 2.0, h / 2.0)));
    }
}

#[test]
fn colour_bar_spans_the_data_and_pixels_follow_the_colour_map() {
    let (x, y) = (axis(0.0, 1e-6, 6, 1.0), axis(0.0, 1e-6, 6, 1.0));
    let m = mesh(CoordinateSystem::Cartesian, &x, &y);
    // c = 2 + 3 x/um: bilinear is exact, so the pixel colour is the colour map at the
    // pixel centre's value.
    let c: Vec<f64> = (0..m.nodes())
        .map(|i| 2.0 + 3e6 * m.position(i)[0])
        .collect();
    let map = FieldMap::new(
        &m,
        &NodeField::scalar("c_K", "mol/m^3", &c),
        None,
        &MapOptions::default(),
    )
    .unwrap();
    let l = map.layout().clone();
    assert_eq!(l.color_range, (2.0, 5.0));
    assert_eq!(l.colormap, Colormap::Viridis);
    assert_eq!(l.colorbar_label, "c_K (mol/m^3)");
    assert!(l.colorbar_ticks.iter().all(|t| (2.0..=5.0).contains(t)));
    let pw = l.plot[2] - l.plot[0];
    for col in [0, pw / 3, pw - 1] {
        let xc = (col as f64 + 0.5) / pw as f64 * 1e-6;
        let want = viridis_lut()[((3e6 * xc / 3.0) * 255.0).round() as usize];
        assert_eq!(map.map_pixel(l.plot[0] + col, l.plot[1] + 5), Some(want));
    }
    // PNG: the right size, and the map pixels drawn where the layout says.
    let png = map.to_png().unwrap();
    let mut dec = png::Decoder::new(std::io::Cursor::new(png))
        .read_info()
        .unwrap();
    let mut buf = vec![0; dec.output_buffer_size()];
    let info = dec.next_frame(&mut buf).unwrap();
    assert_eq!((info.width, info.height), l.size);
    let (px, py) = (l.plot[0] + pw / 3, l.plot[1] + 5);
    let k = ((py as u32 * info.width + px as u32) * 3) as usize;
    assert_eq!(
        Some([buf[k], buf[k + 1], buf[k + 2]]),
        map.map_pixel(px, py)
    );
    // SVG: well-formed, with the two embedded images and the labels.
    let svg = map.to_svg().unwrap();
    let doc = roxmltree::Document::parse(&svg).expect("well-formed SVG");
    let images: Vec<_> = doc
        .descendants()
        .filter(|n| n.has_tag_name("image"))
        .collect();
    assert_eq!(images.len(), 2);
    assert_eq!(images[0].attribute("width"), Some(pw.to_string().as_str()));
    let text: String = doc.descendants().filter_map(|n| n.text()).collect();
    assert!(
        text.contains("c_K (mol/m^3)") && text.contains("x (µm)"),
        "{text}"
    );
}

#[test]
fn potentials_of_both_signs_get_a_centred_diverging_map() {
    let (x, y) = (axis(-1.0, 1.0, 5, 1.0), axis(0.0, 1.0, 3, 1.0));
    let m = mesh(CoordinateSystem::Cartesian, &x, &y);
    let v: Vec<f64> = (0..m.nodes())
        .map(|i| 0.1 * m.position(i)[0] - 0.05)
        .collect();
    let map = FieldMap::new(
        &m,
        &NodeField::scalar("potential", "V", &v),
        None,
        &MapOptions::default(),
    )
    .unwrap();
    let l = map.layout();
    assert_eq!(l.colormap, Colormap::Diverging);
    assert!((l.color_range.0 + 0.15).abs() < 1e-15 && (l.color_range.1 - 0.15).abs() < 1e-15);
    // Zero maps to the white centre.
    assert_eq!(
        color_of(diverging_lut(), normalize(0.0, l.color_range, l.scale)),
        diverging_lut()[128]
    );
}

#[test]
fn log_scale_spans_the_positive_decades() {
    let (x, y) = (axis(0.0, 1e-6, 7, 1.0), axis(0.0, 1e-6, 3, 1.0));
    let m = mesh(CoordinateSystem::Cartesian, &x, &y);
    let c: Vec<f64> = (0..m.nodes())
        .map(|i| 10f64.powf(-6.0 + 6e6 * m.position(i)[0]))
        .collect();
    let opts = MapOptions {
        scale: ColorScale::Log,
        ..Default::default()
    };
    let map = FieldMap::new(&m, &NodeField::scalar("c", "mol/m^3", &c), None, &opts).unwrap();
    let l = map.layout();
    let (a, b) = l.color_range;
    assert!(
        (a / 1e-6 - 1.0).abs() < 1e-12 && (b - 1.0).abs() < 1e-12,
        "{a} {b}"
    );
    assert_eq!(l.colorbar_ticks.len(), 7);
    assert!((normalize(1e-3, l.color_range, l.scale).unwrap() - 0.5).abs() < 1e-12);
    map.to_png().unwrap();
    let bad = MapOptions {
        colormap: Colormap::Diverging,
        ..opts
    };
    assert!(FieldMap::new(&m, &NodeField::scalar("c", "", &c), None, &bad).is_err());
}

#[test]
fn field_lines_of_a_uniform_field_are_straight() {
    // phi = -(E0x x + E0y y): E is uniform, every line is straight along (E0x, E0y).
    let (x, y) = (axis(0.0, 1e-6, 13, 1.2), axis(0.0, 1e-6, 11, 0.9));
    let m = mesh(CoordinateSystem::Cartesian, &x, &y);
    let (ex, ey) = (2e5, 1e5);
    let phi: Vec<f64> = (0..m.nodes())
        .map(|i| -(ex * m.position(i)[0] + ey * m.position(i)[1]))
        .collect();
    let lines = FlowLines::seeded_along(
        Flow::NegativeGradient(&phi),
        [0.5e-6, 0.0],
        [0.5e-6, 1e-6],
        4,
    );
    let map = FieldMap::new(
        &m,
        &NodeField::scalar("potential", "V", &phi),
        Some(&lines),
        &MapOptions::default(),
    )
    .unwrap();
    let l = map.layout();
    assert_eq!(l.lines.len(), 4);
    let norm = ex.hypot(ey);
    for (line, seed) in l.lines.iter().zip(&lines.seeds) {
        assert!(line.len() > 10);
        let mut reach: f64 = 0.0;
        for p in line {
            let d = [p[0] - seed[0], p[1] - seed[1]];
            // Distance from the straight line through the seed along E.
            let off = (d[0] * ey - d[1] * ex) / norm;
            assert!(off.abs() < 1e-18, "{off:e} m off the line");
            reach = reach.max(d[0].hypot(d[1]));
        }
        let (a, b) = (line[0], line[line.len() - 1]);
        assert!(
            (b[0] - a[0]) * ex + (b[1] - a[1]) * ey > 0.0,
            "traced along +E"
        );
        assert!(reach > 0.2e-6, "{reach}");
    }
    // One arrow head per line, its tip ahead of its base along +E (pixel y points down).
    let to_px = |q: [f64; 2]| {
        let p = l.plot;
        (
            p[0] + ((q[0] - l.x_range.0) / (l.x_range.1 - l.x_range.0) * (p[2] - p[0]) as f64)
                .round() as i32,
            p[3] - ((q[1] - l.y_range.0) / (l.y_range.1 - l.y_range.0) * (p[3] - p[1]) as f64)
                .round() as i32,
        )
    };
    for line in &l.lines {
        let [tip, b1, b2] = arrow_head(line, &to_px).unwrap();
        let base = ((b1.0 + b2.0) as f64 / 2.0, (b1.1 + b2.1) as f64 / 2.0);
        let along = (tip.0 as f64 - base.0) * ex - (tip.1 as f64 - base.1) * ey;
        assert!(along > 0.0, "{tip:?} {base:?}");
    }
    let svg = map.to_svg().unwrap();
    assert_eq!(svg.matches("<polygon").count(), l.lines.len());
    // A seed outside the mesh is refused.
    let out = FlowLines {
        seeds: vec![[2e-6, 0.0]],
        ..lines.clone()
    };
    let e = FieldMap::new(
        &m,
        &NodeField::scalar("p", "V", &phi),
        Some(&out),
        &MapOptions::default(),
    )
    .unwrap_err()
    .to_string();
    assert!(e.contains("flow-line seed = (2e-6, 0e0) m"), "{e}");
}

#[test]
fn axisymmetric_maps_mirror_and_outline_regions() {
    let (r, z) = (axis(0.0, 1e-6, 9, 1.0), axis(-1e-6, 1e-6, 9, 1.0));
    // Region 1 for r > 0.55 um: an interface between nodes 4 (0.5 um) and 5 (0.625 um).
    let m = tensor_mesh(
        CoordinateSystem::Axisymmetric,
        [&r, &z, &[0.0]],
        &["in", "out"],
        |p| (p[0] > 0.55e-6) as u16,
    );
    let v: Vec<f64> = (0..m.nodes())
        .map(|i| 1.0 + m.position(i)[0] * 1e6)
        .collect();
    let opts = MapOptions {
        mirror: true,
        ..MapOptions::titled("mirrored")
    };
    let map = FieldMap::new(&m, &NodeField::scalar("u", "", &v), None, &opts).unwrap();
    let l = map.layout();
    assert_eq!(l.x_range, (-1e-6, 1e-6));
    // One vertical box face per row, on each side.
    assert_eq!(l.outlines.len(), 2 * 9);
    assert!(l
        .outlines
        .iter()
        .all(|s| (s[0][0].abs() - 0.5625e-6).abs() < 1e-18));
    let pw = l.plot[2] - l.plot[0];
    for c in 0..pw {
        assert_eq!(
            map.map_pixel(l.plot[0] + c, l.plot[1] + 3),
            map.map_pixel(l.plot[2] - 1 - c, l.plot[1] + 3),
            "column {c}"
        );
    }
    assert!(map.to_svg().unwrap().contains("r (µm)"));
    // Axis ends survive the unit conversion (-50e-9 / 1e-9 is not -50 in floating point).
    assert_eq!(ticks_in(-50e-9 / 1e-9, 50e-9 / 1e-9, 3), [-50.0, 0.0, 50.0]);
    // Mirroring a Cartesian map or mapping a 1D mesh is refused.
    let mc = mesh(CoordinateSystem::Cartesian, &r, &z);
    let e = FieldMap::new(&mc, &NodeField::scalar("u", "", &v), None, &opts).unwrap_err();
    assert!(e.to_string().contains("map mirror"), "{e}");
    let m1 = tensor_mesh(
        CoordinateSystem::Cartesian,
        [&r, &[0.0], &[0.0]],
        &["a"],
        |_| 0,
    );
    let e = FieldMap::new(
        &m1,
        &NodeField::scalar("u", "", &v[..9]),
        None,
        &MapOptions::default(),
    )
    .unwrap_err();
    assert!(e.to_string().contains("needs a 2D mesh"), "{e}");
}

#[test]
fn colour_maps_are_perceptually_ordered() {
    let vir = viridis_lut();
    assert_eq!(vir[0], [68, 1, 84]);
    assert_eq!(vir[255], [253, 231, 37]);
    assert_eq!(vir[128], [33, 145, 140]);
    // Viridis: CIELAB lightness rises monotonically.
    for k in 1..256 {
        assert!(lab(vir[k])[0] > lab(vir[k - 1])[0] - 0.05, "entry {k}");
    }
    assert!(lab(vir[255])[0] - lab(vir[0])[0] > 70.0);
    // Cool-warm (Moreland 2009, table of the paper): blue end, grey-white centre
    // (221, 221, 221), red end; lightness rises to the centre and falls after it.
    let div = diverging_lut();
    let close = |a: [u8; 3], b: [u8; 3]| (0..3).all(|c| (a[c] as i32 - b[c] as i32).abs() <= 1);
    assert!(close(div[0], [59, 76, 192]), "{:?}", div[0]);
    assert!(close(div[255], [180, 4, 38]), "{:?}", div[255]);
    let mid = moreland(msh([59, 76, 192]), msh([180, 4, 38]), 0.5);
    assert!(close(mid, [221, 221, 221]), "{mid:?}");
    // (Within 0.3 in L*: near the centre L* is flat and 8-bit rounding shows.)
    for k in 1..128 {
        assert!(lab(div[k])[0] >= lab(div[k - 1])[0] - 0.3, "entry {k}");
    }
    for k in 129..256 {
        assert!(lab(div[k])[0] <= lab(div[k - 1])[0] + 0.3, "entry {k}");
    }
    assert!(lab(div[128])[0] - lab(div[0])[0] > 45.0);
}

/// An L-shaped Delaunay mesh of side 2 um (the square [1, 2]^2 um cut away) with a disk.
fn l_shape(coords: CoordinateSystem) -> crate::mesh::DelaunayMesh {
    use crate::mesh::RegionRule;
    use crate::mesh::{delaunay_mesh, Curve, DelaunaySpec, Extruded, OuterBoundary, Polygon};
    let u = 1e-6;
    let outer = OuterBoundary {
        points: [
            [0.0, 0.0],
            [2.0, 0.0],
            [2.0, 1.0],
            [1.0, 1.0],
            [1.0, 2.0],
            [0.0, 2.0],
        ]
        .map(|p| [p[0] * u, p[1] * u])
        .to_vec(),
        patches: vec!["wall".into(); 6],
    };
    let mut spec = DelaunaySpec::new(coords, outer, 0.1 * u);
    let c = Curve::circle([0.5 * u, 0.5 * u], 0.25 * u, 32);
    spec.regions.push(RegionRule {
        name: "disk".into(),
        shape: std::sync::Arc::new(
            Extruded::new(Polygon::new(c.points.clone()).unwrap(), -1.0, 1.0).unwrap(),
        ),
    });
    spec.curves.push(c);
    delaunay_mesh(&spec).unwrap()
}

/// On triangles: a linear field gives each pixel the colour of its exact value, pixels in
/// the cut-away square are white, the field lines of a uniform field are straight, and the
/// outlines are the boundary and the disk.
#[test]
fn delaunay_maps_interpolate_linearly_leave_the_outside_white_and_trace_lines() {
    let dm = l_shape(CoordinateSystem::Cartesian);
    let loc = TriangleLocator::of(&dm);
    let m = &dm.mesh;
    let (ex, ey) = (3e5, 1e5);
    let phi: Vec<f64> = (0..m.nodes())
        .map(|i| {
            let p = m.position(i);
            -(ex * p[0] + ey * p[1])
        })
        .collect();
    let lines = FlowLines::seeded_along(
        Flow::NegativeGradient(&phi),
        [0.1e-6, 0.2e-6],
        [0.2e-6, 1.8e-6],
        5,
    );
    let map = FieldMap::new_on(
        m,
        Some(&loc),
        &NodeField::scalar("phi", "V", &phi),
        Some(&lines),
        &MapOptions::default(),
    )
    .unwrap();
    let l = map.layout().clone();
    let (pw, ph) = (l.plot[2] - l.plot[0], l.plot[3] - l.plot[1]);
    let lut = match l.colormap {
        Colormap::Diverging => diverging_lut(),
        _ => viridis_lut(),
    };
    let mut checked = 0;
    for r in (0..ph).step_by(7) {
        for c in (0..pw).step_by(7) {
            let x = l.x_range.0 + (c as f64 + 0.5) / pw as f64 * (l.x_range.1 - l.x_range.0);
            let y = l.y_range.1 - (r as f64 + 0.5) / ph as f64 * (l.y_range.1 - l.y_range.0);
            let px = map.map_pixel(l.plot[0] + c, l.plot[1] + r).unwrap();
            if x > 1.0e-6 + 1e-9 && y > 1.0e-6 + 1e-9 {
                assert_eq!(px, OUTSIDE_COLOR, "({x}, {y})");
            } else if x < 1.0e-6 - 1e-9 || y < 1.0e-6 - 1e-9 {
                let t = normalize(-(ex * x + ey * y), l.color_range, l.scale);
                let want = color_of(lut, t);
                let d: i32 = (0..3)
                    .map(|k| (px[k] as i32 - want[k] as i32).abs())
                    .max()
                    .unwrap();
                assert!(d <= 3, "({x}, {y}): {px:?} vs {want:?}");
                checked += 1;
            }
        }
    }
    assert!(checked > 100, "{checked}");
    // Straight lines along (ex, ey).
    assert!(!l.lines.is_empty());
    let dir = [ex / ex.hypot(ey), ey / ex.hypot(ey)];
    for line in &l.lines {
        assert!(line.len() > 5);
        for q in line {
            let d = [q[0] - line[0][0], q[1] - line[0][1]];
            let off = (d[0] * dir[1] - d[1] * dir[0]).abs();
            assert!(off < 1e-12, "off the line by {off} m");
        }
    }
    // Outlines: the 6 sides (perimeter 8 um) and the 32-gon of radius 0.25 um.
    let len: f64 = l
        .outlines
        .iter()
        .map(|s| (s[0][0] - s[1][0]).hypot(s[0][1] - s[1][1]))
        .sum();
    let ring = 32.0 * 2.0 * 0.25e-6 * (std::f64::consts::PI / 32.0).sin();
    assert!((len - (8e-6 + ring)).abs() < 1e-15, "{len}");
    assert!(map.to_png().unwrap().starts_with(b"\x89PNG"));
    assert!(map.to_svg().unwrap().contains("data:image/png;base64"));
}

/// An (r, z) Delaunay map mirrored about the axis is exactly symmetric, and its log colour
/// bar covers the decades of the data.
#[test]
fn delaunay_rz_maps_mirror_exactly_with_a_log_scale() {
    let dm = l_shape(CoordinateSystem::Axisymmetric);
    let loc = TriangleLocator::of(&dm);
    let m = &dm.mesh;
    // Three decades, like a double layer.
    let c: Vec<f64> = (0..m.nodes())
        .map(|i| 10f64.powf(1.0 + 1.5e6 * m.position(i)[1]))
        .collect();
    let o = MapOptions {
        mirror: true,
        scale: ColorScale::Log,
        ..Default::default()
    };
    let map = FieldMap::new_on(
        m,
        Some(&loc),
        &NodeField::scalar("c", "mol/m^3", &c),
        None,
        &o,
    )
    .unwrap();
    let l = map.layout();
    assert_eq!(l.x_range, (-2e-6, 2e-6));
    assert!((l.color_range.0 - 10.0).abs() < 1e-9 && (l.color_range.1 - 1e4).abs() < 1e-6);
    assert!(l.colorbar_ticks.contains(&100.0) && l.colorbar_ticks.contains(&1000.0));
    let (pw, ph) = (l.plot[2] - l.plot[0], l.plot[3] - l.plot[1]);
    for r in 0..ph {
        for c in 0..pw / 2 {
            assert_eq!(
                map.map_pixel(l.plot[0] + c, l.plot[1] + r),
                map.map_pixel(l.plot[2] - 1 - c, l.plot[1] + r),
            );
        }
    }
}
