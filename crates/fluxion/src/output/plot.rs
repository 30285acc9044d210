//! In-memory figures: a grid of line/scatter panels rendered to SVG text or PNG bytes.
//!
//! Uses plotters with an embedded DejaVu Sans font (no fontconfig at build or run time) and
//! the `png` crate for encoding. Log axes are drawn by plotting `log10` of the data on a
//! linear axis with tick labels showing the original values. Long series are decimated
//! (min/max per bucket) so that SVGs of million-node runs stay small.

use std::sync::OnceLock;

use plotters::coord::Shift;
use plotters::prelude::*;

const FONT: &str = "sans-serif";
const MAX_POINTS: usize = 4000;
const PALETTE: [RGBColor; 8] = [
    RGBColor(31, 119, 180),
    RGBColor(214, 39, 40),
    RGBColor(44, 160, 44),
    RGBColor(255, 127, 14),
    RGBColor(148, 103, 189),
    RGBColor(140, 86, 75),
    RGBColor(227, 119, 194),
    RGBColor(23, 190, 207),
];

/// How a series is drawn.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Style {
    /// Solid line.
    Line,
    /// Dashed line (references, secondary quantities).
    Dashed,
    /// Small filled circles (scatter).
    Points,
}

/// One data series.
#[derive(Clone, Debug, PartialEq)]
pub struct Series {
    /// Legend label.
    pub label: String,
    /// Abscissae.
    pub x: Vec<f64>,
    /// Ordinates.
    pub y: Vec<f64>,
    /// Drawing style.
    pub style: Style,
}

impl Series {
    /// A solid line.
    pub fn line(label: &str, x: Vec<f64>, y: Vec<f64>) -> Self {
        Series {
            label: label.into(),
            x,
            y,
            style: Style::Line,
        }
    }

    /// A dashed line.
    pub fn dashed(label: &str, x: Vec<f64>, y: Vec<f64>) -> Self {
        Series {
            style: Style::Dashed,
            ..Series::line(label, x, y)
        }
    }

    /// A scatter series.
    pub fn points(label: &str, x: Vec<f64>, y: Vec<f64>) -> Self {
        Series {
            style: Style::Points,
            ..Series::line(label, x, y)
        }
    }
}

/// One set of axes.
#[derive(Clone, Debug, PartialEq, Default)]
pub struct Panel {
    /// Title above the axes.
    pub title: String,
    /// Label of the horizontal axis.
    pub x_label: String,
    /// Label of the vertical axis.
    pub y_label: String,
    /// The data.
    pub series: Vec<Series>,
    /// Logarithmic horizontal axis.
    pub log_x: bool,
    /// Logarithmic vertical axis.
    pub log_y: bool,
    /// Same data units per pixel on both axes (particle snapshots).
    pub equal_aspect: bool,
    /// Fixed horizontal range.
    pub x_range: Option<(f64, f64)>,
    /// Fixed vertical range.
    pub y_range: Option<(f64, f64)>,
}

impl Panel {
    /// Empty axes with a title and axis labels.
    pub fn new(title: &str, x_label: &str, y_label: &str) -> Self {
        Panel {
            title: title.into(),
            x_label: x_label.into(),
            y_label: y_label.into(),
            ..Default::default()
        }
    }

    /// Add a series (builder style).
    pub fn with(mut self, s: Series) -> Self {
        self.series.push(s);
        self
    }

    /// Use a logarithmic vertical axis (builder style).
    pub fn log_y(mut self) -> Self {
        self.log_y = true;
        self
    }
}

/// A figure: panels laid out in a grid, `columns` wide.
#[derive(Clone, Debug, PartialEq)]
pub struct Figure {
    /// Title (drawn above the panels).
    pub title: String,
    /// The panels, row by row.
    pub panels: Vec<Panel>,
    /// Panels per row.
    pub columns: usize,
    /// Width of one panel, px.
    pub panel_width: u32,
    /// Height of one panel, px.
    pub panel_height: u32,
}

/// A figure could not be drawn.
#[derive(Debug, thiserror::Error)]
pub enum PlotError {
    /// The drawing backend failed.
    #[error("drawing failed: {0}")]
    Draw(String),
    /// PNG encoding failed.
    #[error("PNG encoding failed: {0}")]
    Encode(String),
}

fn draw_err<E: std::fmt::Debug>(e: E) -> PlotError {
    PlotError::Draw(format!("{e:?}"))
}

fn register_font() {
    static ONCE: OnceLock<()> = OnceLock::new();
    ONCE.get_or_init(|| {
        let bytes: &'static [u8] = include_bytes!("../../assets/DejaVuSans.ttf");
        // Registration only fails for an invalid font file, which is a build error here.
        let _ = plotters::style::register_font(FONT, FontStyle::Normal, bytes);
    });
}

/// Compact tick label: `0.25`, `1000`, `1.5e-9`.
fn tick(v: f64) -> String {
    if v == 0.0 {
        return "0".into();
    }
    let a = v.abs();
    if (1e-3..1e5).contains(&a) {
        let s = format!("{v:.4}");
        let s = s.trim_end_matches('0').trim_end_matches('.');
        s.to_string()
    } else {
        let s = format!("{v:.2e}");
        let (m, e) = s.split_once('e').unwrap_or((&s, "0"));
        let m = m.trim_end_matches('0').trim_end_matches('.');
        format!("{m}e{e}")
    }
}

/// Finite points of a series after the log transforms, decimated for long series.
fn prepare(s: &Series, log_x: bool, log_y: bool) -> Vec<(f64, f64)> {
    let tf = |v: f64, log: bool| if log { v.log10() } else { v };
    let pts: Vec<(f64, f64)> =
        s.x.iter()
            .zip(&s.y)
            .filter(|(x, y)| (!log_x || **x > 0.0) && (!log_y || **y > 0.0))
            .map(|(x, y)| (tf(*x, log_x), tf(*y, log_y)))
            .filter(|(x, y)| x.is_finite() && y.is_finite())
            .collect();
    if pts.len() <= MAX_POINTS {
        return pts;
    }
    if s.style == Style::Points {
        let stride = pts.len().div_ceil(MAX_POINTS);
        return pts.into_iter().step_by(stride).collect();
    }
    // Keep the first, the min and the max of every bucket, in order.
    let buckets = MAX_POINTS / 2;
    let size = pts.len().div_ceil(buckets);
    let mut out = Vec::with_capacity(MAX_POINTS + 2);
    for chunk in pts.chunks(size) {
        let (mut lo, mut hi) = (0, 0);
        for (i, p) in chunk.iter().enumerate() {
            if p.1 < chunk[lo].1 {
                lo = i;
            }
            if p.1 > chunk[hi].1 {
                hi = i;
            }
        }
        let (a, b) = if lo <= hi { (lo, hi) } else { (hi, lo) };
        out.push(chunk[a]);
        if b != a {
            out.push(chunk[b]);
        }
    }
    out.push(*pts.last().expect("non-empty"));
    out
}

fn range(vals: impl Iterator<Item = f64>, fixed: Option<(f64, f64)>, log: bool) -> (f64, f64) {
    if let Some((a, b)) = fixed {
        let (a, b) = if log { (a.log10(), b.log10()) } else { (a, b) };
        if a.is_finite() && b.is_finite() && a < b {
            return (a, b);
        }
    }
    let (mut lo, mut hi) = (f64::INFINITY, f64::NEG_INFINITY);
    for v in vals {
        lo = lo.min(v);
        hi = hi.max(v);
    }
    if !lo.is_finite() || !hi.is_finite() {
        return (0.0, 1.0);
    }
    let span = hi - lo;
    if span <= 1e-12 * lo.abs().max(hi.abs()) || span == 0.0 {
        let pad = if lo == 0.0 { 1.0 } else { 0.1 * lo.abs() };
        return (lo - pad, hi + pad);
    }
    (lo - 0.04 * span, hi + 0.04 * span)
}

fn draw_panel<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    p: &Panel,
) -> Result<(), PlotError> {
    // A log axis with no positive data falls back to linear.
    let any_pos =
        |f: fn(&Series) -> &Vec<f64>| p.series.iter().any(|s| f(s).iter().any(|v| *v > 0.0));
    let log_x = p.log_x && any_pos(|s| &s.x);
    let log_y = p.log_y && any_pos(|s| &s.y);
    let data: Vec<Vec<(f64, f64)>> = p.series.iter().map(|s| prepare(s, log_x, log_y)).collect();
    let mut xr = range(data.iter().flatten().map(|p| p.0), p.x_range, log_x);
    let mut yr = range(data.iter().flatten().map(|p| p.1), p.y_range, log_y);
    if p.equal_aspect {
        let (w, h) = area.dim_in_pixel();
        let (sx, sy) = (
            (xr.1 - xr.0) / w.max(1) as f64,
            (yr.1 - yr.0) / h.max(1) as f64,
        );
        if sx > sy {
            let c = 0.5 * (yr.0 + yr.1);
            let half = 0.5 * sx * h as f64;
            yr = (c - half, c + half);
        } else {
            let c = 0.5 * (xr.0 + xr.1);
            let half = 0.5 * sy * w as f64;
            xr = (c - half, c + half);
        }
    }
    let mut chart = ChartBuilder::on(area)
        .caption(&p.title, (FONT, 17))
        .margin(10)
        .x_label_area_size(42)
        .y_label_area_size(72)
        .build_cartesian_2d(xr.0..xr.1, yr.0..yr.1)
        .map_err(draw_err)?;
    let fx = move |v: &f64| tick(if log_x { 10f64.powf(*v) } else { *v });
    let fy = move |v: &f64| tick(if log_y { 10f64.powf(*v) } else { *v });
    chart
        .configure_mesh()
        .x_desc(p.x_label.as_str())
        .y_desc(p.y_label.as_str())
        .x_labels(6)
        .y_labels(6)
        .x_label_formatter(&fx)
        .y_label_formatter(&fy)
        .label_style((FONT, 13))
        .axis_desc_style((FONT, 14))
        .light_line_style(WHITE.mix(0.0))
        .draw()
        .map_err(draw_err)?;
    if data.iter().all(|d| d.is_empty()) {
        let grey = BLACK.mix(0.6);
        let style = TextStyle::from((FONT, 16)).color(&grey);
        chart
            .draw_series(std::iter::once(Text::new(
                "no data",
                (0.5 * (xr.0 + xr.1), 0.5 * (yr.0 + yr.1)),
                style,
            )))
            .map_err(draw_err)?;
        return Ok(());
    }
    for (k, (s, pts)) in p.series.iter().zip(data).enumerate() {
        let color = PALETTE[k % PALETTE.len()];
        let legend = move |(x, y): (i32, i32)| {
            PathElement::new(vec![(x, y), (x + 18, y)], color.stroke_width(2))
        };
        let anno = match s.style {
            Style::Line => chart
                .draw_series(LineSeries::new(pts, color.stroke_width(2)))
                .map_err(draw_err)?,
            Style::Dashed => chart
                .draw_series(DashedLineSeries::new(pts, 6, 4, color.stroke_width(2)))
                .map_err(draw_err)?,
            Style::Points => chart
                .draw_series(pts.into_iter().map(|q| Circle::new(q, 2, color.filled())))
                .map_err(draw_err)?,
        };
        anno.label(s.label.as_str()).legend(legend);
    }
    if p.series.len() > 1 {
        chart
            .configure_series_labels()
            .label_font((FONT, 13))
            .background_style(WHITE.mix(0.85))
            .border_style(BLACK.mix(0.4))
            .position(SeriesLabelPosition::UpperRight)
            .draw()
            .map_err(draw_err)?;
    }
    Ok(())
}

impl Figure {
    /// An empty figure with `columns` panels per row (600 x 400 px panels).
    pub fn new(title: &str, columns: usize) -> Self {
        Figure {
            title: title.into(),
            panels: vec![],
            columns: columns.max(1),
            panel_width: 600,
            panel_height: 400,
        }
    }

    /// Append a panel.
    pub fn push(&mut self, panel: Panel) {
        self.panels.push(panel);
    }

    fn size(&self) -> (u32, u32, usize, usize) {
        let cols = self.columns.clamp(1, self.panels.len().max(1));
        let rows = self.panels.len().div_ceil(cols).max(1);
        (
            self.panel_width * cols as u32,
            self.panel_height * rows as u32 + 40,
            rows,
            cols,
        )
    }

    fn draw<DB: DrawingBackend>(&self, root: DrawingArea<DB, Shift>) -> Result<(), PlotError> {
        register_font();
        let (_, _, rows, cols) = self.size();
        root.fill(&WHITE).map_err(draw_err)?;
        let (top, body) = root.split_vertically(40);
        top.titled(&self.title, (FONT, 20)).map_err(draw_err)?;
        let areas = body.split_evenly((rows, cols));
        for (area, panel) in areas.iter().zip(&self.panels) {
            draw_panel(area, panel)?;
        }
        root.present().map_err(draw_err)?;
        Ok(())
    }

    /// Render to an SVG document.
    pub fn to_svg(&self) -> Result<String, PlotError> {
        let (w, h, _, _) = self.size();
        let mut s = String::new();
        {
            let root = SVGBackend::with_string(&mut s, (w, h)).into_drawing_area();
            self.draw(root)?;
        }
        Ok(s)
    }

    /// Render to PNG bytes (8-bit RGB).
    pub fn to_png(&self) -> Result<Vec<u8>, PlotError> {
        let (w, h, _, _) = self.size();
        let mut buf = vec![0u8; (w * h * 3) as usize];
        {
            let root = BitMapBackend::with_buffer(&mut buf, (w, h)).into_drawing_area();
            self.draw(root)?;
        }
        let mut out = Vec::new();
        {
            let mut enc = png::Encoder::new(&mut out, w, h);
            enc.set_color(png::ColorType::Rgb);
            enc.set_depth(png::BitDepth::Eight);
            let mut writer = enc
                .write_header()
                .map_err(|e| PlotError::Encode(e.to_string()))?;
            writer
                .write_image_data(&buf)
                .map_err(|e| PlotError::Encode(e.to_string()))?;
        }
        Ok(out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn figure() -> Figure {
        let x: Vec<f64> = (0..200).map(|i| i as f64 * 1e-9).collect();
        let mut f = Figure::new("Test φ µm Ω", 2);
        f.push(
            Panel::new("lines", "x (nm)", "c (mM)")
                .with(Series::line(
                    "a",
                    x.clone(),
                    x.iter().map(|v| v.sin()).collect(),
                ))
                .with(Series::dashed("b", x.clone(), vec![1e-18; 200])),
        );
        f.push(
            Panel::new("log", "t (s)", "i")
                .with(Series::line(
                    "i",
                    x.clone(),
                    x.iter().map(|v| 1.0 / (v + 1e-12)).collect(),
                ))
                .log_y(),
        );
        f.push(Panel::new("scatter", "x", "y").with(Series::points(
            "p",
            vec![1.0, f64::NAN, 3.0],
            vec![2.0, 1.0, f64::INFINITY],
        )));
        f.push(Panel::new("empty", "x", "y"));
        f
    }

    #[test]
    fn renders_png_and_svg() {
        let f = figure();
        let png = f.to_png().unwrap();
        assert_eq!(&png[..8], &[137, 80, 78, 71, 13, 10, 26, 10]);
        let dec = png::Decoder::new(std::io::Cursor::new(png));
        let reader = dec.read_info().unwrap();
        assert_eq!(reader.info().width, 1200);
        assert_eq!(reader.info().height, 840);
        let svg = f.to_svg().unwrap();
        assert!(svg.contains("scatter") && svg.contains("c (mM)") && svg.contains("no data"));
    }

    #[test]
    fn long_series_are_decimated_and_constant_data_is_fine() {
        let n = 1_000_000;
        let x: Vec<f64> = (0..n).map(|i| i as f64).collect();
        let y: Vec<f64> = x.iter().map(|v| (v * 1e-3).sin()).collect();
        let mut f = Figure::new("big", 1);
        f.push(Panel::new("big", "x", "y").with(Series::line("s", x, y)));
        f.push(Panel::new("flat", "x", "y").with(Series::line(
            "s",
            vec![0.0, 1.0],
            vec![5.0, 5.0],
        )));
        let svg = f.to_svg().unwrap();
        assert!(svg.len() < 2_000_000, "{}", svg.len());
        assert_eq!(tick(0.25), "0.25");
        assert_eq!(tick(1.5e-9), "1.5e-9");
        assert_eq!(tick(1000.0), "1000");
    }
}
