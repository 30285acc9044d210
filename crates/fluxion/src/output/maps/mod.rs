//! Heat maps of a node field on a 2D mesh, as PNG bytes or SVG text.
//!
//! A [`FieldMap`] draws one field (a vector field by its magnitude) over a tensor mesh
//! ([`FieldMap::new`]) or the triangles of a Delaunay mesh ([`FieldMap::new_on`]), in
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
//! - optional **region outlines**: on a tensor mesh the box faces between neighbouring nodes
//!   whose dominant regions differ; on triangles the edges between triangles of different
//!   regions and the boundary of the domain;
//! - optional **field or flux lines** on top: streamlines `dx/ds = v / |v|` of a vector field
//!   given at the nodes, or of `E = -grad phi` from a potential by central differences
//!   (one-sided at the boundary; on triangles the area-weighted mean of the triangle
//!   gradients around each node), interpolated like the map and traced by classical RK4 from
//!   seed points, forwards and optionally backwards, until they leave the mesh or reach a
//!   point where the field vanishes;
//! - axes in nm, µm, mm or m, whichever gives numbers between 1 and 1000 for the extent;
//! - for (r, z) meshes, optionally the mirror image at `-r`, so a pore or a sphere is shown
//!   whole.
//!
//! The heat map is a raster at screen resolution, interpolated bilinearly between nodes (on
//! triangles linearly in the triangle holding each pixel centre, located through a bucket
//! grid: [`TriangleLocator`]); pixels outside a non-convex domain stay white, pixels whose
//! value is NaN (a species excluded from a region) are grey. In SVG the raster is embedded
//! as a PNG image under vector axes, lines and text.

mod colors;
#[cfg(test)]
mod tests;
mod trace;

use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};
use plotters::style::FontTransform;

use super::fields::{FieldData, FieldOutputError, NodeField, PointSampler, TensorAxes};
use super::plot::{linear_ticks, register_font, tick, PlotError, FONT};
use super::vtk::base64;
use crate::mesh::{CoordinateSystem, Mesh, TriangleLocator};
pub(crate) use colors::{diverging_lut, viridis_lut};
use trace::{region_outlines, trace_lines, triangle_outlines};

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
/// Colour of pixels outside the domain (a non-convex Delaunay mesh).
const OUTSIDE_COLOR: [u8; 3] = [255, 255, 255];

impl FieldMap {
    /// Prepare the map of `field` on the 2D tensor mesh `mesh`, with optional field lines.
    pub fn new(
        mesh: &Mesh,
        field: &NodeField,
        lines: Option<&FlowLines>,
        options: &MapOptions,
    ) -> Result<Self, FieldOutputError> {
        Self::new_on(mesh, None, field, lines, options)
    }

    /// [`FieldMap::new`] on a tensor mesh (`triangles = None`) or on the triangles of a 2D
    /// Delaunay mesh (`triangles` indexing the nodes of `mesh`).
    pub fn new_on(
        mesh: &Mesh,
        triangles: Option<&TriangleLocator>,
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
        let sampler = PointSampler::new(mesh, triangles, "a map")?;
        field.check(mesh)?;
        let axisym = mesh.coordinates() == CoordinateSystem::Axisymmetric;
        let b = sampler.bounds();
        if options.mirror && !(axisym && b[0].0 >= 0.0) {
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
        let mut xs: Vec<f64> = (0..pw)
            .map(|c| {
                let x = x_range.0 + (c as f64 + 0.5) / pw as f64 * dx;
                if options.mirror {
                    x.abs()
                } else {
                    x
                }
            })
            .collect();
        if options.mirror {
            // The left half is the image of the right half, exactly.
            let n = xs.len();
            for c in 0..n / 2 {
                xs[c] = xs[n - 1 - c];
            }
        }
        let ys: Vec<f64> = (0..ph)
            .map(|r| y_range.1 - (r as f64 + 0.5) / ph as f64 * dy)
            .collect();
        let mut raster = Vec::with_capacity((pw * ph * 3) as usize);
        match &sampler {
            PointSampler::Tensor(ax) => {
                let cols: Vec<_> = xs.iter().map(|&x| locate_clamped(ax, 0, x)).collect();
                for &y in &ys {
                    let r = locate_clamped(ax, 1, y);
                    for c in &cols {
                        let v = ax.interpolate(&[*c, r, (0, 0.0)], |i| values[i]);
                        raster.extend_from_slice(&color_of(lut, norm(v)));
                    }
                }
            }
            PointSampler::Triangles(t) => {
                for &y in &ys {
                    for &x in &xs {
                        let c = match t.locate([x, y]) {
                            Some(at) => color_of(lut, norm(at.interpolate(|i| values[i]))),
                            None => OUTSIDE_COLOR,
                        };
                        raster.extend_from_slice(&c);
                    }
                }
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
        let outlines = match (&sampler, options.outlines) {
            (_, false) => vec![],
            (PointSampler::Tensor(ax), true) => region_outlines(mesh, ax, options.mirror),
            (PointSampler::Triangles(t), true) => triangle_outlines(t, options.mirror),
        };
        let lines = match lines {
            Some(l) => trace_lines(&sampler, l, options.mirror)?,
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
        // A range within rounding of the values is a constant field.
        None if hi - lo > 1e-9 * lo.abs().max(hi.abs()) => (lo, hi),
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
