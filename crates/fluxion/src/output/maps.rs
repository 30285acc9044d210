//! Heat maps of a node field on a 2D tensor mesh, as PNG bytes or SVG text.
//!
//! A [`FieldMap`] draws one field (a vector field by its magnitude) over the mesh, in
//! Cartesian `(x, y)` or axisymmetric `(r, z)` coordinates, with
//!
//! - **equal aspect ratio**: one metre is the same number of pixels along both axes (to the
//!   rounding of the plot size to whole pixels), so shapes are not distorted;
//! - a **perceptually uniform colour map**: viridis (van der Walt and Smith, the matplotlib
//!   default since 2.0; lightness rises monotonically) for one-signed data, and Moreland's
//!   cool-warm diverging map (K. Moreland, "Diverging Color Maps for Scientific
//!   Visualization", ISVC 2009: interpolation in the Msh space derived from CIELAB, white
//!   point at the centre) centred on zero for data of both signs, such as potentials;
//! - a **colour bar** labelled with the quantity and unit, linear or logarithmic (for
//!   concentrations over decades); its range is the data range (symmetric about zero for
//!   the diverging map) unless one is given;
//! - optional **region outlines**: the box faces between neighbouring nodes whose dominant
//!   regions differ;
//! - optional **field or flux lines** on top: streamlines `dx/ds = v / |v|` of a vector field
//!   given at the nodes, or of `E = -grad phi` from a potential by central differences
//!   (one-sided at the boundary), interpolated bilinearly and traced by classical RK4 from
//!   seed points, forwards and optionally backwards, until they leave the mesh or reach a
//!   point where the field vanishes;
//! - axes in nm, µm, mm or m, whichever gives numbers between 1 and 1000 for the extent;
//! - for (r, z) meshes, optionally the mirror image at `-r`, so a pore or a sphere is shown
//!   whole.
//!
//! The heat map is a raster at screen resolution, interpolated bilinearly between nodes; in
//! SVG it is embedded as a PNG image under vector axes, lines and text.

use std::sync::OnceLock;

use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};
use plotters::style::FontTransform;

use super::fields::{FieldData, FieldOutputError, NodeField, TensorAxes};
use super::plot::{linear_ticks, register_font, tick, PlotError, FONT};
use super::vtk::{base64, dominant_region};
use crate::mesh::{CoordinateSystem, Mesh};

/// How values map to colours.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
#[non_exhaustive]
pub enum ColorScale {
    /// Linear in the value.
    #[default]
    Linear,
    /// Linear in `log10` of the value (positive values only; others get the lowest colour).
    Log,
}

/// Which colour map.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
#[non_exhaustive]
pub enum Colormap {
    /// Diverging if the (linear) data have both signs, viridis otherwise.
    #[default]
    Auto,
    /// Viridis (sequential).
    Viridis,
    /// Moreland's cool-warm (diverging), centred on zero.
    Diverging,
}

/// The vector field whose lines are drawn.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Flow<'a> {
    /// `-grad phi` of node values `phi` (field lines of a potential).
    NegativeGradient(&'a [f64]),
    /// A vector per node (`[x, y, _]` or `[r, z, _]`), e.g. a flux density.
    Vector(&'a [[f64; 3]]),
}

/// Field or flux lines to draw over the map.
#[derive(Clone, Debug, PartialEq)]
pub struct FlowLines<'a> {
    /// The vector field.
    pub flow: Flow<'a>,
    /// Seed points `[x, y]` (or `[r, z]`), m, inside the mesh.
    pub seeds: Vec<[f64; 2]>,
    /// Trace backwards from each seed too (whole field lines through the seeds).
    pub both_directions: bool,
}

impl<'a> FlowLines<'a> {
    /// Lines of `flow` from `n` seeds equally spaced from `a` to `b` (ends excluded: the
    /// seeds sit at the midpoints of `n` equal pieces).
    pub fn seeded_along(flow: Flow<'a>, a: [f64; 2], b: [f64; 2], n: usize) -> Self {
        let seeds = (0..n)
            .map(|k| {
                let t = (k as f64 + 0.5) / n as f64;
                [a[0] + t * (b[0] - a[0]), a[1] + t * (b[1] - a[1])]
            })
            .collect();
        FlowLines {
            flow,
            seeds,
            both_directions: true,
        }
    }
}

/// Options of a [`FieldMap`].
#[derive(Clone, Debug, PartialEq)]
#[non_exhaustive]
pub struct MapOptions {
    /// Title above the map.
    pub title: String,
    /// Linear or logarithmic colours.
    pub scale: ColorScale,
    /// Colour map.
    pub colormap: Colormap,
    /// Fixed colour range (data units); `None`: the data range.
    pub range: Option<(f64, f64)>,
    /// Mirror an (r, z) map to `-r`.
    pub mirror: bool,
    /// Draw region outlines.
    pub outlines: bool,
    /// Largest figure width, px (the figure is narrower if the domain is tall).
    pub width: u32,
    /// Largest figure height, px.
    pub max_height: u32,
}

impl Default for MapOptions {
    fn default() -> Self {
        MapOptions {
            title: String::new(),
            scale: ColorScale::Linear,
            colormap: Colormap::Auto,
            range: None,
            mirror: false,
            outlines: true,
            width: 800,
            max_height: 800,
        }
    }
}

impl MapOptions {
    /// Default options with a title.
    pub fn titled(title: &str) -> Self {
        MapOptions {
            title: title.into(),
            ..Default::default()
        }
    }
}

/// Where things went in a drawn map (for tests of what a reader sees).
#[derive(Clone, Debug, PartialEq)]
pub struct MapLayout {
    /// Figure size, px.
    pub size: (u32, u32),
    /// The map area `[x0, y0, x1, y1]`, px (x1, y1 exclusive).
    pub plot: [i32; 4],
    /// Horizontal extent of the map area, m.
    pub x_range: (f64, f64),
    /// Vertical extent of the map area, m.
    pub y_range: (f64, f64),
    /// The colour bar `[x0, y0, x1, y1]`, px.
    pub colorbar: [i32; 4],
    /// Values at the bottom and top of the colour bar (data units).
    pub color_range: (f64, f64),
    /// The colour scale.
    pub scale: ColorScale,
    /// The colour map used (never `Auto`).
    pub colormap: Colormap,
    /// Length unit of the axes (`"nm"`, `"µm"`, `"mm"`, `"m"`).
    pub length_unit: &'static str,
    /// The colour-bar label.
    pub colorbar_label: String,
    /// Colour-bar tick values (data units).
    pub colorbar_ticks: Vec<f64>,
    /// Traced lines, as points in m (mirrored copies included).
    pub lines: Vec<Vec<[f64; 2]>>,
    /// Region outline segments, m.
    pub outlines: Vec<[[f64; 2]; 2]>,
}

/// A heat map ready to render (see the module docs).
#[derive(Clone, Debug)]
pub struct FieldMap {
    layout: MapLayout,
    title: String,
    x_label: String,
    y_label: String,
    /// RGB pixels of the map area, row by row from the top.
    raster: Vec<u8>,
    /// RGB pixels of the colour bar.
    bar: Vec<u8>,
    line_color: RGBColor,
}

const LEFT: u32 = 78;
const RIGHT: u32 = 132;
const BOTTOM: u32 = 50;
const BAR_GAP: i32 = 22;
const BAR_WIDTH: i32 = 18;
const MIN_BAR: u32 = 160;
/// Colour of pixels whose value is not a number.
const NAN_COLOR: [u8; 3] = [150, 150, 150];

impl FieldMap {
    /// Prepare the map of `field` on the 2D tensor mesh `mesh`, with optional field lines.
    pub fn new(
        mesh: &Mesh,
        field: &NodeField,
        lines: Option<&FlowLines>,
        options: &MapOptions,
    ) -> Result<Self, FieldOutputError> {
        if mesh.dim() != 2 {
            return Err(FieldOutputError::Dimension {
                what: "a map",
                dim: mesh.dim(),
                needed: 2,
            });
        }
        let ax = TensorAxes::of(mesh, "a map")?;
        field.check(mesh)?;
        let axisym = mesh.coordinates() == CoordinateSystem::Axisymmetric;
        if options.mirror && !(axisym && ax.axis[0][0] >= 0.0) {
            return Err(FieldOutputError::BadOption {
                what: "map mirror",
                value: "true".into(),
                fix: "mirror only axisymmetric (r, z) meshes with r >= 0",
            });
        }
        if options.width < LEFT + RIGHT + 50 || options.max_height < BOTTOM + 120 {
            return Err(FieldOutputError::BadOption {
                what: "map size",
                value: format!("{} x {} px", options.width, options.max_height),
                fix: "give at least 278 x 170 px",
            });
        }
        let values: Vec<f64> = match field.data {
            FieldData::Scalar(v) => v.to_vec(),
            FieldData::Vector(v) => v
                .iter()
                .map(|e| (e[0] * e[0] + e[1] * e[1] + e[2] * e[2]).sqrt())
                .collect(),
        };
        let label = match field.data {
            FieldData::Scalar(_) => field.label(),
            FieldData::Vector(_) => {
                let mut f = *field;
                let name = format!("|{}|", field.name);
                f.name = &name;
                f.label()
            }
        };
        let (scale, colormap, color_range) = color_setup(field.name, &values, options)?;

        // Extent and equal-aspect layout.
        let b = ax.bounds();
        let x_range = if options.mirror {
            (-b[0].1, b[0].1)
        } else {
            b[0]
        };
        let y_range = b[1];
        let (dx, dy) = (x_range.1 - x_range.0, y_range.1 - y_range.0);
        register_font();
        let title_h = if options.title.is_empty() { 16 } else { 40 };
        let max_w = (options.width - LEFT - RIGHT) as f64;
        let max_h = (options.max_height - title_h - BOTTOM) as f64;
        let s = (max_w / dx).min(max_h / dy);
        let pw = ((s * dx).round() as u32).max(1);
        let ph = ((s * dy).round() as u32).max(1);
        let plot = [
            LEFT as i32,
            title_h as i32,
            (LEFT + pw) as i32,
            (title_h + ph) as i32,
        ];
        let bar_h = ph.max(MIN_BAR) as i32;
        let colorbar = [
            plot[2] + BAR_GAP,
            plot[1],
            plot[2] + BAR_GAP + BAR_WIDTH,
            plot[1] + bar_h,
        ];
        let size = (LEFT + pw + RIGHT, title_h + ph.max(MIN_BAR) + BOTTOM);
        let extent = dx.max(dy);
        let (length_unit, _) = length_unit(extent);

        // Raster of the map: bilinear between the nodes at each pixel centre.
        let lut = match colormap {
            Colormap::Diverging => diverging_lut(),
            _ => viridis_lut(),
        };
        let norm = |v: f64| normalize(v, color_range, scale);
        let mut cols: Vec<_> = (0..pw)
            .map(|c| {
                let x = x_range.0 + (c as f64 + 0.5) / pw as f64 * dx;
                let x = if options.mirror { x.abs() } else { x };
                locate_clamped(&ax, 0, x)
            })
            .collect();
        if options.mirror {
            // The left half is the image of the right half, exactly.
            let n = cols.len();
            for c in 0..n / 2 {
                cols[c] = cols[n - 1 - c];
            }
        }
        let rows: Vec<_> = (0..ph)
            .map(|r| locate_clamped(&ax, 1, y_range.1 - (r as f64 + 0.5) / ph as f64 * dy))
            .collect();
        let mut raster = Vec::with_capacity((pw * ph * 3) as usize);
        for r in &rows {
            for c in &cols {
                let v = ax.interpolate(&[*c, *r, (0, 0.0)], |i| values[i]);
                raster.extend_from_slice(&color_of(lut, norm(v)));
            }
        }
        let mut bar = Vec::with_capacity((BAR_WIDTH * bar_h * 3) as usize);
        for r in 0..bar_h {
            let t = 1.0 - (r as f64 + 0.5) / bar_h as f64;
            let c = color_of(lut, Some(t));
            for _ in 0..BAR_WIDTH {
                bar.extend_from_slice(&c);
            }
        }

        let colorbar_ticks = colorbar_ticks(color_range, scale);
        let outlines = if options.outlines {
            region_outlines(mesh, &ax, options.mirror)
        } else {
            vec![]
        };
        let lines = match lines {
            Some(l) => trace_lines(&ax, l, options.mirror)?,
            None => vec![],
        };
        let (xn, yn) = if axisym { ("r", "z") } else { ("x", "y") };
        Ok(FieldMap {
            layout: MapLayout {
                size,
                plot,
                x_range,
                y_range,
                colorbar,
                color_range,
                scale,
                colormap,
                length_unit,
                colorbar_label: label,
                colorbar_ticks,
                lines,
                outlines,
            },
            title: options.title.clone(),
            x_label: format!("{xn} ({length_unit})"),
            y_label: format!("{yn} ({length_unit})"),
            raster,
            bar,
            line_color: if colormap == Colormap::Diverging {
                RGBColor(20, 20, 20)
            } else {
                RGBColor(255, 255, 255)
            },
        })
    }

    /// Where everything is drawn.
    pub fn layout(&self) -> &MapLayout {
        &self.layout
    }

    /// The RGB colour of the map at pixel `(px, py)` of the figure, if inside the map area.
    pub fn map_pixel(&self, px: i32, py: i32) -> Option<[u8; 3]> {
        let p = self.layout.plot;
        if px < p[0] || px >= p[2] || py < p[1] || py >= p[3] {
            return None;
        }
        let k = (((py - p[1]) * (p[2] - p[0]) + (px - p[0])) * 3) as usize;
        Some([self.raster[k], self.raster[k + 1], self.raster[k + 2]])
    }

    /// Render to PNG bytes (8-bit RGB).
    pub fn to_png(&self) -> Result<Vec<u8>, FieldOutputError> {
        let (w, h) = self.layout.size;
        let mut buf = vec![255u8; (w * h * 3) as usize];
        blit(&mut buf, w, self.layout.plot, &self.raster);
        blit(&mut buf, w, self.layout.colorbar, &self.bar);
        {
            let root = BitMapBackend::with_buffer(&mut buf, (w, h)).into_drawing_area();
            self.draw(&root)?;
            root.present().map_err(draw_err)?;
        }
        Ok(encode_png(&buf, w, h)?)
    }

    /// Render to an SVG document (the heat map and colour bar as embedded PNG images).
    pub fn to_svg(&self) -> Result<String, FieldOutputError> {
        let (w, h) = self.layout.size;
        let mut s = String::new();
        {
            let root = SVGBackend::with_string(&mut s, (w, h)).into_drawing_area();
            self.draw(&root)?;
            root.present().map_err(draw_err)?;
        }
        let mut under =
            format!("<rect x=\"0\" y=\"0\" width=\"{w}\" height=\"{h}\" fill=\"#FFFFFF\"/>\n");
        for (rect, px) in [
            (self.layout.plot, &self.raster),
            (self.layout.colorbar, &self.bar),
        ] {
            let (iw, ih) = ((rect[2] - rect[0]) as u32, (rect[3] - rect[1]) as u32);
            let data = base64(&encode_png(px, iw, ih)?);
            under.push_str(&format!(
                "<image x=\"{}\" y=\"{}\" width=\"{iw}\" height=\"{ih}\" \
                 preserveAspectRatio=\"none\" href=\"data:image/png;base64,{data}\" \
                 xlink:href=\"data:image/png;base64,{data}\"/>\n",
                rect[0], rect[1]
            ));
        }
        let open = s
            .find(">\n")
            .ok_or_else(|| PlotError::Draw("SVG without a root element".into()))?;
        s.insert_str(open + 2, &under);
        let s = s.replacen(
            "<svg ",
            "<svg xmlns:xlink=\"http://www.w3.org/1999/xlink\" ",
            1,
        );
        Ok(s)
    }

    fn draw<DB: DrawingBackend>(
        &self,
        root: &DrawingArea<DB, plotters::coord::Shift>,
    ) -> Result<(), PlotError> {
        let l = &self.layout;
        let p = l.plot;
        let (pw, ph) = ((p[2] - p[0]) as f64, (p[3] - p[1]) as f64);
        let to_px = |q: [f64; 2]| {
            (
                p[0] + ((q[0] - l.x_range.0) / (l.x_range.1 - l.x_range.0) * pw).round() as i32,
                p[3] - ((q[1] - l.y_range.0) / (l.y_range.1 - l.y_range.0) * ph).round() as i32,
            )
        };
        let black = BLACK.stroke_width(1);
        // Region outlines and field lines.
        for seg in &l.outlines {
            root.draw(&PathElement::new(
                vec![to_px(seg[0]), to_px(seg[1])],
                BLACK.mix(0.75).stroke_width(2),
            ))
            .map_err(draw_err)?;
        }
        for line in &l.lines {
            let px: Vec<(i32, i32)> = line.iter().map(|q| to_px(*q)).collect();
            root.draw(&PathElement::new(
                px.clone(),
                self.line_color.mix(0.9).stroke_width(1),
            ))
            .map_err(draw_err)?;
            if let Some(head) = arrow_head(line, &to_px) {
                root.draw(&Polygon::new(head.to_vec(), self.line_color.filled()))
                    .map_err(draw_err)?;
            }
        }
        // Frame, ticks, labels.
        root.draw(&Rectangle::new([(p[0], p[1]), (p[2], p[3])], black))
            .map_err(draw_err)?;
        let (_, u) = length_unit((l.x_range.1 - l.x_range.0).max(l.y_range.1 - l.y_range.0));
        let small = TextStyle::from((FONT, 13));
        let nx = ((pw / 90.0) as usize).clamp(2, 8);
        for t in ticks_in(l.x_range.0 / u, l.x_range.1 / u, nx) {
            let x = to_px([t * u, 0.0]).0;
            root.draw(&PathElement::new(vec![(x, p[3]), (x, p[3] + 5)], black))
                .map_err(draw_err)?;
            root.draw(&Text::new(
                tick(t),
                (x, p[3] + 8),
                small.pos(Pos::new(HPos::Center, VPos::Top)),
            ))
            .map_err(draw_err)?;
        }
        let ny = ((ph / 60.0) as usize).clamp(2, 8);
        for t in ticks_in(l.y_range.0 / u, l.y_range.1 / u, ny) {
            let y = to_px([0.0, t * u]).1;
            root.draw(&PathElement::new(vec![(p[0] - 5, y), (p[0], y)], black))
                .map_err(draw_err)?;
            root.draw(&Text::new(
                tick(t),
                (p[0] - 8, y),
                small.pos(Pos::new(HPos::Right, VPos::Center)),
            ))
            .map_err(draw_err)?;
        }
        let label = TextStyle::from((FONT, 15));
        root.draw(&Text::new(
            self.x_label.clone(),
            ((p[0] + p[2]) / 2, p[3] + 28),
            label.pos(Pos::new(HPos::Center, VPos::Top)),
        ))
        .map_err(draw_err)?;
        root.draw(&Text::new(
            self.y_label.clone(),
            (14, (p[1] + p[3]) / 2),
            label
                .transform(FontTransform::Rotate270)
                .pos(Pos::new(HPos::Center, VPos::Top)),
        ))
        .map_err(draw_err)?;
        if !self.title.is_empty() {
            root.draw(&Text::new(
                self.title.clone(),
                (l.size.0 as i32 / 2, 10),
                TextStyle::from((FONT, 17)).pos(Pos::new(HPos::Center, VPos::Top)),
            ))
            .map_err(draw_err)?;
        }
        // Colour bar.
        let c = l.colorbar;
        root.draw(&Rectangle::new([(c[0], c[1]), (c[2], c[3])], black))
            .map_err(draw_err)?;
        let (lo, hi) = match l.scale {
            ColorScale::Linear => l.color_range,
            ColorScale::Log => (l.color_range.0.log10(), l.color_range.1.log10()),
        };
        for &t in &l.colorbar_ticks {
            let v = if l.scale == ColorScale::Log {
                t.log10()
            } else {
                t
            };
            let y = c[3] - ((v - lo) / (hi - lo) * (c[3] - c[1]) as f64).round() as i32;
            root.draw(&PathElement::new(vec![(c[2], y), (c[2] + 5, y)], black))
                .map_err(draw_err)?;
            root.draw(&Text::new(
                tick(t),
                (c[2] + 8, y),
                small.pos(Pos::new(HPos::Left, VPos::Center)),
            ))
            .map_err(draw_err)?;
        }
        root.draw(&Text::new(
            l.colorbar_label.clone(),
            (l.size.0 as i32 - 20, (c[1] + c[3]) / 2),
            label
                .transform(FontTransform::Rotate270)
                .pos(Pos::new(HPos::Center, VPos::Top)),
        ))
        .map_err(draw_err)?;
        Ok(())
    }
}

/// An arrow head (tip and two base corners, px) at half the arc length of a traced line,
/// pointing along the line (the direction of the flow).
fn arrow_head(
    line: &[[f64; 2]],
    to_px: &dyn Fn([f64; 2]) -> (i32, i32),
) -> Option<[(i32, i32); 3]> {
    if line.len() < 3 {
        return None;
    }
    let seg = |k: usize| (line[k + 1][0] - line[k][0]).hypot(line[k + 1][1] - line[k][1]);
    let total: f64 = (0..line.len() - 1).map(seg).sum();
    let (mut acc, mut k) = (0.0, 0);
    while k + 2 < line.len() && acc + seg(k) < 0.5 * total {
        acc += seg(k);
        k += 1;
    }
    let (a, b) = (to_px(line[k]), to_px(line[k + 1]));
    let (dx, dy) = ((b.0 - a.0) as f64, (b.1 - a.1) as f64);
    let n = dx.hypot(dy);
    if n == 0.0 {
        return None;
    }
    let (ux, uy) = (dx / n, dy / n);
    let c = (0.5 * (a.0 + b.0) as f64, 0.5 * (a.1 + b.1) as f64);
    let pt = |along: f64, across: f64| {
        (
            (c.0 + along * ux - across * uy).round() as i32,
            (c.1 + along * uy + across * ux).round() as i32,
        )
    };
    Some([pt(5.0, 0.0), pt(-4.0, 4.0), pt(-4.0, -4.0)])
}

fn draw_err<E: std::fmt::Debug>(e: E) -> PlotError {
    PlotError::Draw(format!("{e:?}"))
}

fn encode_png(rgb: &[u8], w: u32, h: u32) -> Result<Vec<u8>, PlotError> {
    let mut out = Vec::new();
    {
        let mut enc = png::Encoder::new(&mut out, w, h);
        enc.set_color(png::ColorType::Rgb);
        enc.set_depth(png::BitDepth::Eight);
        let mut writer = enc
            .write_header()
            .map_err(|e| PlotError::Encode(e.to_string()))?;
        writer
            .write_image_data(rgb)
            .map_err(|e| PlotError::Encode(e.to_string()))?;
    }
    Ok(out)
}

/// Copy an RGB image into the figure buffer at `rect`.
fn blit(buf: &mut [u8], w: u32, rect: [i32; 4], px: &[u8]) {
    let iw = (rect[2] - rect[0]) as usize;
    for (r, row) in px.chunks(iw * 3).enumerate() {
        let start = (((rect[1] as usize + r) * w as usize) + rect[0] as usize) * 3;
        buf[start..start + iw * 3].copy_from_slice(row);
    }
}

/// The axis unit for an extent: the largest of nm, µm, mm, m in which it is at least 1.
fn length_unit(extent: f64) -> (&'static str, f64) {
    for (name, u) in [("m", 1.0), ("mm", 1e-3), ("µm", 1e-6)] {
        if extent >= u {
            return (name, u);
        }
    }
    ("nm", 1e-9)
}

fn locate_clamped(ax: &TensorAxes, c: usize, v: f64) -> (usize, f64) {
    let b = ax.bounds()[c];
    ax.locate_axis(c, v.clamp(b.0, b.1)).unwrap_or((0, 0.0))
}

/// Scale, resolved colour map and colour range of a map.
fn color_setup(
    name: &str,
    values: &[f64],
    options: &MapOptions,
) -> Result<(ColorScale, Colormap, (f64, f64)), FieldOutputError> {
    let scale = options.scale;
    let log = scale == ColorScale::Log;
    if log && options.colormap == Colormap::Diverging {
        return Err(FieldOutputError::BadOption {
            what: "map colormap",
            value: "diverging with a log scale".into(),
            fix: "use viridis for log scales (a diverging map is centred on zero)",
        });
    }
    let (mut lo, mut hi) = (f64::INFINITY, f64::NEG_INFINITY);
    for &v in values {
        if v.is_finite() && (!log || v > 0.0) {
            lo = lo.min(v);
            hi = hi.max(v);
        }
    }
    if !lo.is_finite() && options.range.is_none() {
        return Err(FieldOutputError::NoFiniteValues {
            field: name.into(),
            which: if log { "positive " } else { "" },
        });
    }
    let colormap = match options.colormap {
        Colormap::Auto if !log && lo < 0.0 && hi > 0.0 => Colormap::Diverging,
        Colormap::Auto => Colormap::Viridis,
        c => c,
    };
    let range = match options.range {
        Some((a, b)) => {
            if !(a.is_finite() && b.is_finite() && a < b && (!log || a > 0.0)) {
                return Err(FieldOutputError::BadOption {
                    what: "map range",
                    value: format!("({a}, {b})"),
                    fix: "give finite low < high (both positive on a log scale)",
                });
            }
            (a, b)
        }
        None if colormap == Colormap::Diverging => {
            let m = lo.abs().max(hi.abs());
            if m > 0.0 {
                (-m, m)
            } else {
                (-1.0, 1.0)
            }
        }
        None if lo < hi => (lo, hi),
        None if log => (lo / 10f64.sqrt(), lo * 10f64.sqrt()),
        None => {
            // A constant field: a small range around it.
            let d = if lo == 0.0 { 1.0 } else { 0.05 * lo.abs() };
            (lo - d, lo + d)
        }
    };
    Ok((scale, colormap, range))
}

/// Position of `v` on the colour bar (0 bottom, 1 top), or `None` for NaN.
fn normalize(v: f64, range: (f64, f64), scale: ColorScale) -> Option<f64> {
    if v.is_nan() {
        return None;
    }
    let t = match scale {
        ColorScale::Linear => (v - range.0) / (range.1 - range.0),
        ColorScale::Log if v > 0.0 => {
            (v.log10() - range.0.log10()) / (range.1.log10() - range.0.log10())
        }
        ColorScale::Log => 0.0,
    };
    Some(t.clamp(0.0, 1.0))
}

fn color_of(lut: &[[u8; 3]; 256], t: Option<f64>) -> [u8; 3] {
    match t {
        Some(t) => lut[(t * 255.0).round() as usize],
        None => NAN_COLOR,
    }
}

/// Nice ticks from `lo` to `hi`, keeping the ends when unit conversion rounded them
/// inwards (`-50e-9 / 1e-9 = -49.99999999999999`).
fn ticks_in(lo: f64, hi: f64, n: usize) -> Vec<f64> {
    let eps = 1e-9 * (hi - lo);
    linear_ticks(lo - eps, hi + eps, n)
}

/// Tick values of the colour bar: nice linear values, or decades (1, 2, 5 per decade when
/// the range spans less than two).
fn colorbar_ticks(range: (f64, f64), scale: ColorScale) -> Vec<f64> {
    match scale {
        ColorScale::Linear => ticks_in(range.0, range.1, 5),
        ColorScale::Log => {
            let (a, b) = (range.0.log10(), range.1.log10());
            let eps = 1e-9 * (b - a);
            let mults: &[f64] = if b - a < 2.0 {
                &[1.0, 2.0, 5.0]
            } else {
                &[1.0]
            };
            let step = ((b - a) / 8.0).ceil().max(1.0) as i64;
            let mut out = vec![];
            for e in (a.floor() as i64)..=(b.ceil() as i64) {
                if mults.len() == 1 && e.rem_euclid(step) != 0 {
                    continue;
                }
                for m in mults {
                    let v = m * 10f64.powi(e as i32);
                    let lv = v.log10();
                    if lv >= a - eps && lv <= b + eps {
                        out.push(v);
                    }
                }
            }
            out
        }
    }
}

/// Box faces between neighbouring nodes of different dominant regions, m.
fn region_outlines(mesh: &Mesh, ax: &TensorAxes, mirror: bool) -> Vec<[[f64; 2]; 2]> {
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

/// The node vectors of a flow (in the plane).
fn node_vectors(ax: &TensorAxes, flow: &Flow) -> Result<Vec<[f64; 2]>, FieldOutputError> {
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
fn trace_lines(
    ax: &TensorAxes,
    lines: &FlowLines,
    mirror: bool,
) -> Result<Vec<Vec<[f64; 2]>>, FieldOutputError> {
    let v = node_vectors(ax, &lines.flow)?;
    let vmax = v
        .iter()
        .map(|e| e[0].hypot(e[1]))
        .filter(|m| m.is_finite())
        .fold(0.0, f64::max);
    let mut out = vec![];
    if vmax == 0.0 {
        return Ok(out);
    }
    let sample = |p: [f64; 2]| -> Option<([f64; 2], f64)> {
        let at = ax.locate([p[0], p[1], ax.axis[2][0]])?;
        let e = [
            ax.interpolate(&at, |i| v[i][0]),
            ax.interpolate(&at, |i| v[i][1]),
        ];
        let m = e[0].hypot(e[1]);
        if !(m.is_finite() && m > 1e-9 * vmax) {
            return None;
        }
        let (i, j) = (at[0].0, at[1].0);
        let h = |a: &[f64], k: usize| {
            if a.len() > 1 {
                a[k + 1] - a[k]
            } else {
                f64::INFINITY
            }
        };
        let step = 0.25 * h(&ax.axis[0], i).min(h(&ax.axis[1], j));
        Some(([e[0] / m, e[1] / m], step))
    };
    let b = ax.bounds();
    let diag = (b[0].1 - b[0].0).hypot(b[1].1 - b[1].0);
    for seed in &lines.seeds {
        if sample(*seed).is_none() && ax.locate([seed[0], seed[1], ax.axis[2][0]]).is_none() {
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
                if ax.locate([q[0], q[1], ax.axis[2][0]]).is_none() {
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

/// Viridis at 33 of the 256 entries of the matplotlib table (indices 0, 8, ..., 248, 255;
/// van der Walt and Smith, CC0), sRGB in [0, 1].
const VIRIDIS: [[f64; 3]; 33] = [
    [0.267004, 0.004874, 0.329415],
    [0.277018, 0.050344, 0.375715],
    [0.282327, 0.094955, 0.417331],
    [0.282884, 0.135920, 0.453427],
    [0.278826, 0.175490, 0.483397],
    [0.270595, 0.214069, 0.507052],
    [0.258965, 0.251537, 0.524736],
    [0.244972, 0.287675, 0.537260],
    [0.229739, 0.322361, 0.545706],
    [0.214298, 0.355619, 0.551184],
    [0.199430, 0.387607, 0.554642],
    [0.185556, 0.418570, 0.556753],
    [0.172719, 0.448791, 0.557885],
    [0.160665, 0.478540, 0.558115],
    [0.149039, 0.508051, 0.557250],
    [0.137770, 0.537492, 0.554906],
    [0.127568, 0.566949, 0.550556],
    [0.120565, 0.596422, 0.543611],
    [0.120638, 0.625828, 0.533488],
    [0.134692, 0.658636, 0.517649],
    [0.157851, 0.683765, 0.501686],
    [0.196571, 0.711827, 0.479221],
    [0.246070, 0.738910, 0.452024],
    [0.304148, 0.764704, 0.419943],
    [0.369214, 0.788888, 0.382914],
    [0.440137, 0.811138, 0.340967],
    [0.515992, 0.831158, 0.294279],
    [0.595839, 0.848717, 0.243329],
    [0.678489, 0.863742, 0.189503],
    [0.762373, 0.876424, 0.137064],
    [0.845561, 0.887322, 0.099702],
    [0.926106, 0.897330, 0.104071],
    [0.993248, 0.906157, 0.143936],
];

/// The 256-entry viridis table (linear in sRGB between the stored entries).
pub(crate) fn viridis_lut() -> &'static [[u8; 3]; 256] {
    static LUT: OnceLock<[[u8; 3]; 256]> = OnceLock::new();
    LUT.get_or_init(|| {
        std::array::from_fn(|k| {
            let seg = (k / 8).min(31);
            let (a, b) = (8 * seg, if seg == 31 { 255 } else { 8 * seg + 8 });
            let t = (k - a) as f64 / (b - a) as f64;
            std::array::from_fn(|c| {
                let v = (1.0 - t) * VIRIDIS[seg][c] + t * VIRIDIS[seg + 1][c];
                (255.0 * v).round() as u8
            })
        })
    })
}

/// The 256-entry cool-warm table (Moreland 2009, endpoints (59, 76, 192) and (180, 4, 38)).
pub(crate) fn diverging_lut() -> &'static [[u8; 3]; 256] {
    static LUT: OnceLock<[[u8; 3]; 256]> = OnceLock::new();
    LUT.get_or_init(|| {
        let (a, b) = (msh([59, 76, 192]), msh([180, 4, 38]));
        std::array::from_fn(|k| moreland(a, b, k as f64 / 255.0))
    })
}

// Colour spaces: sRGB (IEC 61966-2-1) -> linear -> CIE XYZ (D65) -> CIELAB -> Msh.
const WHITE: [f64; 3] = [0.95047, 1.0, 1.08883];

fn srgb_to_linear(c: f64) -> f64 {
    if c <= 0.04045 {
        c / 12.92
    } else {
        ((c + 0.055) / 1.055).powf(2.4)
    }
}

fn linear_to_srgb(c: f64) -> f64 {
    if c <= 0.0031308 {
        12.92 * c
    } else {
        1.055 * c.powf(1.0 / 2.4) - 0.055
    }
}

/// CIELAB `[L*, a*, b*]` of an sRGB colour.
pub(crate) fn lab(rgb: [u8; 3]) -> [f64; 3] {
    let l = rgb.map(|c| srgb_to_linear(c as f64 / 255.0));
    let xyz = [
        0.4124 * l[0] + 0.3576 * l[1] + 0.1805 * l[2],
        0.2126 * l[0] + 0.7152 * l[1] + 0.0722 * l[2],
        0.0193 * l[0] + 0.1192 * l[1] + 0.9505 * l[2],
    ];
    let f = |t: f64| {
        if t > 0.008856 {
            t.cbrt()
        } else {
            7.787 * t + 16.0 / 116.0
        }
    };
    let [fx, fy, fz] = [0, 1, 2].map(|c| f(xyz[c] / WHITE[c]));
    [116.0 * fy - 16.0, 500.0 * (fx - fy), 200.0 * (fy - fz)]
}

fn lab_to_rgb(lab: [f64; 3]) -> [u8; 3] {
    let fy = (lab[0] + 16.0) / 116.0;
    let (fx, fz) = (fy + lab[1] / 500.0, fy - lab[2] / 200.0);
    let inv = |t: f64| {
        if t * t * t > 0.008856 {
            t * t * t
        } else {
            (t - 16.0 / 116.0) / 7.787
        }
    };
    let [x, y, z] = [fx, fy, fz].map(inv);
    let [x, y, z] = [x * WHITE[0], y * WHITE[1], z * WHITE[2]];
    let lin = [
        3.2406 * x - 1.5372 * y - 0.4986 * z,
        -0.9689 * x + 1.8758 * y + 0.0415 * z,
        0.0557 * x - 0.2040 * y + 1.0570 * z,
    ];
    lin.map(|c| (255.0 * linear_to_srgb(c.clamp(0.0, 1.0))).round() as u8)
}

fn msh(rgb: [u8; 3]) -> [f64; 3] {
    let [l, a, b] = lab(rgb);
    let m = (l * l + a * a + b * b).sqrt();
    [m, (l / m).acos(), b.atan2(a)]
}

/// Moreland's interpolation between two saturated colours through an unsaturated white.
fn moreland(a: [f64; 3], b: [f64; 3], t: f64) -> [u8; 3] {
    use std::f64::consts::PI;
    let (mut p, mut q, mut t) = (a, b, t);
    let hue_gap = {
        let d = (p[2] - q[2]).abs();
        d.min(2.0 * PI - d)
    };
    if p[1] > 0.05 && q[1] > 0.05 && hue_gap > PI / 3.0 {
        let mid = [p[0].max(q[0]).max(88.0), 0.0, 0.0];
        if t < 0.5 {
            q = mid;
            t *= 2.0;
        } else {
            p = mid;
            t = 2.0 * t - 1.0;
        }
    }
    // The unsaturated end takes a hue spun from the saturated one.
    let adjust = |sat: [f64; 3], m_unsat: f64| {
        if sat[0] >= m_unsat {
            return sat[2];
        }
        let spin = sat[1] * (m_unsat * m_unsat - sat[0] * sat[0]).sqrt() / (sat[0] * sat[1].sin());
        if sat[2] > -PI / 3.0 {
            sat[2] + spin
        } else {
            sat[2] - spin
        }
    };
    if p[1] < 0.05 && q[1] > 0.05 {
        p[2] = adjust(q, p[0]);
    } else if q[1] < 0.05 && p[1] > 0.05 {
        q[2] = adjust(p, q[0]);
    }
    let m = [0, 1, 2].map(|c| (1.0 - t) * p[c] + t * q[c]);
    let l = m[0] * m[1].cos();
    lab_to_rgb([
        l,
        m[0] * m[1].sin() * m[2].cos(),
        m[0] * m[1].sin() * m[2].sin(),
    ])
}

#[cfg(test)]
mod tests {
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
}
