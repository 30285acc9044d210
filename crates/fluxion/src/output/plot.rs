//! In-memory figures: a grid of line/scatter panels rendered to SVG text or PNG bytes.
//!
//! Uses plotters with an embedded DejaVu Sans font (no fontconfig at build or run time) and
//! the `png` crate for encoding. Log axes are drawn by plotting `log10` of the data on a
//! linear axis with ticks at whole decades (minor ticks at 2..9) and labels showing the
//! original values. Long series are decimated (min/max per bucket) so that SVGs of
//! million-node runs stay small.
//!
//! Conventions a reader can rely on in every figure of a run:
//! - colours carry one meaning each ([`palette`]): species `k` is always
//!   [`palette::species`]`(k)`, reference (analytic) curves are dashed black, guides
//!   (Debye length, criteria, limits) are dotted grey;
//! - lines are clipped to the axes; points outside a fixed axis range are not drawn and do
//!   not take part in the automatic range of the other axis (so a start-up transient outside
//!   the chosen time range cannot set the current scale);
//! - long titles wrap (and shrink) instead of being clipped;
//! - legends are placed in the corner with the least data under them, or outside the axes
//!   on the right ([`LegendPos::Outside`]).

use std::sync::OnceLock;

use plotters::coord::Shift;
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};

pub(crate) const FONT: &str = "sans-serif";
const MAX_POINTS: usize = 4000;
/// Margin around the axes of a panel, px.
const MARGIN: u32 = 10;
/// Right margin of the axes, px (room for the last x tick label).
const RIGHT_MARGIN: u32 = 26;
/// Height of the x tick-label and axis-label area, px.
const X_LABEL_AREA: u32 = 42;
/// Width of the y tick-label and axis-label area, px.
const Y_LABEL_AREA: u32 = 72;

/// One colour per meaning, shared by every figure.
pub mod palette {
    use plotters::style::RGBColor;

    /// Species colours, by species index (tab10 without purple and grey, which have other
    /// meanings).
    pub const SPECIES: [RGBColor; 8] = [
        RGBColor(31, 119, 180),
        RGBColor(214, 39, 40),
        RGBColor(44, 160, 44),
        RGBColor(255, 127, 14),
        RGBColor(23, 190, 207),
        RGBColor(227, 119, 194),
        RGBColor(188, 189, 34),
        RGBColor(140, 86, 75),
    ];
    /// Analytic and published references (drawn dashed).
    pub const REFERENCE: RGBColor = RGBColor(0, 0, 0);
    /// Guides: Debye length, criteria, limits (drawn dotted).
    pub const GUIDE: RGBColor = RGBColor(110, 110, 110);
    /// The electric potential, and migration (the flux it drives).
    pub const POTENTIAL: RGBColor = RGBColor(148, 103, 189);
    /// The migrative part of a flux.
    pub const MIGRATION: RGBColor = POTENTIAL;
    /// The diffusive part of a flux.
    pub const DIFFUSION: RGBColor = RGBColor(90, 90, 90);
    /// The advective part of a flux.
    pub const ADVECTION: RGBColor = RGBColor(0, 128, 128);
    /// Quantities at the left boundary (currents).
    pub const LEFT: RGBColor = RGBColor(23, 63, 140);
    /// Quantities at the right boundary (currents).
    pub const RIGHT: RGBColor = RGBColor(190, 30, 45);
    /// Up sweep of an I-V curve.
    pub const UP: RGBColor = RGBColor(23, 63, 140);
    /// Down sweep of an I-V curve.
    pub const DOWN: RGBColor = RGBColor(230, 120, 0);
    /// Fitted lines.
    pub const FIT: RGBColor = RGBColor(44, 140, 44);
    /// Vortices.
    pub const VORTICES: RGBColor = RGBColor(200, 20, 20);
    /// Pinning sites.
    pub const PINS: RGBColor = RGBColor(110, 160, 225);

    /// The colour of species `k` (cycling after eight species).
    pub fn species(k: usize) -> RGBColor {
        SPECIES[k % SPECIES.len()]
    }

    /// `c` lightened towards white: `f = 1` is `c` itself, `f = 0` is 75% white (early
    /// snapshots are light, late ones saturated).
    pub fn shade(c: RGBColor, f: f64) -> RGBColor {
        let w = 0.75 * (1.0 - f.clamp(0.0, 1.0));
        let mix = |v: u8| (v as f64 + (255.0 - v as f64) * w).round() as u8;
        RGBColor(mix(c.0), mix(c.1), mix(c.2))
    }
}

/// How a series is drawn.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum Style {
    /// Solid line.
    Line,
    /// Dashed line (references).
    Dashed,
    /// Dotted line (secondary quantities).
    Dotted,
    /// Filled circles of `radius` px (scatter).
    Points,
    /// Open circles of `radius` px.
    OpenCircles,
    /// Filled triangles of `radius` px.
    Triangles,
    /// Translucent disks whose radius is `radius` in x-axis data units (e.g. the range of a
    /// pinning site); linear axes only.
    Disks,
}

/// One data series.
#[derive(Clone, Debug, PartialEq)]
pub struct Series {
    /// Legend label (empty: not in the legend).
    pub label: String,
    /// Abscissae.
    pub x: Vec<f64>,
    /// Ordinates.
    pub y: Vec<f64>,
    /// Drawing style.
    pub style: Style,
    /// Colour; `None`: [`palette::species`] of the series index.
    pub color: Option<RGBColor>,
    /// Marker radius (px, or data units for [`Style::Disks`]) or line width (px).
    pub size: f64,
}

impl Series {
    /// A solid line.
    pub fn line(label: &str, x: Vec<f64>, y: Vec<f64>) -> Self {
        Series {
            label: label.into(),
            x,
            y,
            style: Style::Line,
            color: None,
            size: 2.0,
        }
    }

    /// A dashed line.
    pub fn dashed(label: &str, x: Vec<f64>, y: Vec<f64>) -> Self {
        Series {
            style: Style::Dashed,
            ..Series::line(label, x, y)
        }
    }

    /// A dashed black reference line ([`palette::REFERENCE`]).
    pub fn reference(label: &str, x: Vec<f64>, y: Vec<f64>) -> Self {
        Series::dashed(label, x, y).color(palette::REFERENCE)
    }

    /// A dotted line.
    pub fn dotted(label: &str, x: Vec<f64>, y: Vec<f64>) -> Self {
        Series {
            style: Style::Dotted,
            ..Series::line(label, x, y)
        }
    }

    /// A scatter series (filled circles, radius 2 px).
    pub fn points(label: &str, x: Vec<f64>, y: Vec<f64>) -> Self {
        Series {
            style: Style::Points,
            ..Series::line(label, x, y)
        }
    }

    /// Set the drawing style (builder style).
    pub fn style(mut self, style: Style) -> Self {
        self.style = style;
        self
    }

    /// Set the colour (builder style).
    pub fn color(mut self, c: RGBColor) -> Self {
        self.color = Some(c);
        self
    }

    /// Set the marker radius or line width (builder style).
    pub fn size(mut self, s: f64) -> Self {
        self.size = s;
        self
    }
}

/// A vertical or horizontal line across the axes at a data value (Debye length, a
/// criterion, a limit), drawn dotted and listed in the legend.
#[derive(Clone, Debug, PartialEq)]
pub struct Guide {
    /// Position (data units, not log-transformed).
    pub at: f64,
    /// Legend label.
    pub label: String,
    /// Colour.
    pub color: RGBColor,
}

impl Guide {
    /// A grey guide ([`palette::GUIDE`]).
    pub fn new(at: f64, label: &str) -> Self {
        Guide {
            at,
            label: label.into(),
            color: palette::GUIDE,
        }
    }
}

/// Where the legend goes.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
#[non_exhaustive]
pub enum LegendPos {
    /// Inside the axes, in the corner with the fewest data points under the box.
    #[default]
    Auto,
    /// Outside the axes, in a strip on the right of the panel.
    Outside,
    /// No legend.
    Hidden,
}

/// One set of axes.
#[derive(Clone, Debug, PartialEq, Default)]
pub struct Panel {
    /// Title above the axes (wraps when long).
    pub title: String,
    /// A second, smaller line under the title (what is not shown, how a reference was
    /// computed); wraps when long.
    pub note: String,
    /// Label of the horizontal axis.
    pub x_label: String,
    /// Label of the vertical axis.
    pub y_label: String,
    /// The data, drawn in this order (later series on top).
    pub series: Vec<Series>,
    /// Vertical guides.
    pub vlines: Vec<Guide>,
    /// Horizontal guides.
    pub hlines: Vec<Guide>,
    /// Logarithmic horizontal axis.
    pub log_x: bool,
    /// Logarithmic vertical axis.
    pub log_y: bool,
    /// Same data units per pixel on both axes (particle snapshots).
    pub equal_aspect: bool,
    /// Fixed horizontal range (data units).
    pub x_range: Option<(f64, f64)>,
    /// Fixed vertical range (data units).
    pub y_range: Option<(f64, f64)>,
    /// Legend placement.
    pub legend: LegendPos,
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

    /// Use a logarithmic horizontal axis (builder style).
    pub fn log_x(mut self) -> Self {
        self.log_x = true;
        self
    }

    /// Set the note under the title (builder style).
    pub fn note(mut self, note: &str) -> Self {
        self.note = note.into();
        self
    }
}

/// A figure: panels laid out in a grid, `columns` wide.
#[derive(Clone, Debug, PartialEq)]
pub struct Figure {
    /// Title (drawn above the panels; wraps when long).
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

/// Where a panel was drawn, in pixels of the whole figure, and with which axis ranges
/// (log10 of the data on log axes). Returned by [`Figure::layout`] so that tests can check
/// what a reader sees.
#[derive(Clone, Debug, PartialEq)]
pub struct PanelLayout {
    /// The axes (plotting area): `[x0, y0, x1, y1]`, px.
    pub plot: [i32; 4],
    /// Horizontal axis range (log10 units on a log axis).
    pub x_range: (f64, f64),
    /// Vertical axis range (log10 units on a log axis).
    pub y_range: (f64, f64),
    /// Whether the horizontal axis is logarithmic (false if it fell back to linear).
    pub log_x: bool,
    /// Whether the vertical axis is logarithmic.
    pub log_y: bool,
    /// The legend box `[x0, y0, x1, y1]`, px, if drawn.
    pub legend: Option<[i32; 4]>,
    /// The title lines as drawn, with their width in px, and the panel's width in px.
    pub title_lines: Vec<(String, u32)>,
    /// Width of the panel, px.
    pub panel_width: u32,
    /// Tick positions on the horizontal axis (axis units).
    pub x_ticks: Vec<f64>,
    /// Tick positions on the vertical axis (axis units).
    pub y_ticks: Vec<f64>,
    /// Indices of the series in drawing order.
    pub draw_order: Vec<usize>,
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

pub(crate) fn register_font() {
    static ONCE: OnceLock<()> = OnceLock::new();
    ONCE.get_or_init(|| {
        let bytes: &'static [u8] = include_bytes!("../../assets/DejaVuSans.ttf");
        // Registration only fails for an invalid font file, which is a build error here.
        let _ = plotters::style::register_font(FONT, FontStyle::Normal, bytes);
    });
}

/// Compact tick label: `0.25`, `1000`, `1.5e-9`.
pub(crate) fn tick(v: f64) -> String {
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

/// A "nice" step (1, 2, 2.5 or 5 times a power of ten) giving about `n` intervals.
fn nice_step(span: f64, n: usize) -> f64 {
    let raw = span / n.max(1) as f64;
    let p = 10f64.powf(raw.log10().floor());
    let m = raw / p;
    let f = if m <= 1.0 {
        1.0
    } else if m <= 2.0 {
        2.0
    } else if m <= 2.5 {
        2.5
    } else if m <= 5.0 {
        5.0
    } else {
        10.0
    };
    f * p
}

pub(crate) fn linear_ticks(lo: f64, hi: f64, n: usize) -> Vec<f64> {
    if hi.partial_cmp(&lo) != Some(std::cmp::Ordering::Greater) {
        return vec![lo];
    }
    let step = nice_step(hi - lo, n);
    let mut out = vec![];
    let mut k = (lo / step).ceil();
    while k * step <= hi + 1e-9 * step && out.len() < 50 {
        let v = k * step;
        out.push(if v.abs() < 1e-12 * step { 0.0 } else { v });
        k += 1.0;
    }
    out
}

/// Ticks of a log axis spanning `lo..hi` (log10 units): major ticks at whole decades (every
/// `d`-th decade when there are many), minor ticks at 2..9 times a decade when every decade
/// is labelled; for less than a decade, nice linear values.
fn log_ticks(lo: f64, hi: f64) -> (Vec<f64>, Vec<f64>) {
    let span = hi - lo;
    if span.partial_cmp(&0.0) != Some(std::cmp::Ordering::Greater) {
        return (vec![lo], vec![]);
    }
    if span < 1.0 {
        let vals = linear_ticks(10f64.powf(lo), 10f64.powf(hi), 5);
        return (vals.into_iter().map(f64::log10).collect(), vec![]);
    }
    if span < 2.5 {
        // Few decades: label 1, 2 and 5 times each decade, minor ticks at the others.
        let (mut major, mut minor) = (vec![], vec![]);
        for e in (lo.floor() as i64)..=(hi.floor() as i64) {
            for m in 1..10 {
                let v = e as f64 + (m as f64).log10();
                if v >= lo && v <= hi {
                    if matches!(m, 1 | 2 | 5) {
                        major.push(v);
                    } else {
                        minor.push(v);
                    }
                }
            }
        }
        return (major, minor);
    }
    let d = [1.0, 2.0, 5.0, 10.0, 20.0, 50.0, 100.0]
        .into_iter()
        .find(|d| span / d <= 10.0)
        .unwrap_or(100.0);
    let (a, b) = (lo.ceil() as i64, hi.floor() as i64);
    let major: Vec<f64> = (a..=b)
        .filter(|e| (*e as f64 / d).fract() == 0.0)
        .map(|e| e as f64)
        .collect();
    let mut minor = vec![];
    if d == 1.0 {
        for e in (lo.floor() as i64)..=(hi.floor() as i64) {
            for m in 2..10 {
                let v = e as f64 + (m as f64).log10();
                if v >= lo && v <= hi {
                    minor.push(v);
                }
            }
        }
    }
    (major, minor)
}

/// A linear axis with explicit major (labelled) and minor ticks.
struct Axis {
    lo: f64,
    hi: f64,
    major: Vec<f64>,
    minor: Vec<f64>,
}

impl Ranged for Axis {
    type FormatOption = plotters::coord::ranged1d::DefaultFormatting;
    type ValueType = f64;

    fn map(&self, v: &f64, limit: (i32, i32)) -> i32 {
        if self.hi == self.lo {
            return (limit.1 - limit.0) / 2;
        }
        let f = (v - self.lo) / (self.hi - self.lo);
        let len = (limit.1 - limit.0) as f64;
        let px = limit.0 as f64 + (len * f + 1e-3).floor();
        px.clamp(-1e6, 1e6) as i32
    }

    fn key_points<H: plotters::coord::ranged1d::KeyPointHint>(&self, hint: H) -> Vec<f64> {
        if hint.weight().allow_light_points() {
            self.minor.clone()
        } else {
            self.major.clone()
        }
    }

    fn range(&self) -> std::ops::Range<f64> {
        self.lo..self.hi
    }
}

/// Greedy word wrap of `text` into lines whose measured width is at most `max`.
fn wrap(text: &str, max: u32, measure: &dyn Fn(&str) -> u32) -> Vec<String> {
    let mut lines: Vec<String> = vec![];
    let mut cur = String::new();
    for word in text.split_whitespace() {
        let cand = if cur.is_empty() {
            word.to_string()
        } else {
            format!("{cur} {word}")
        };
        if measure(&cand) <= max || cur.is_empty() {
            cur = cand;
        } else {
            lines.push(std::mem::take(&mut cur));
            cur = word.to_string();
        }
    }
    if !cur.is_empty() {
        lines.push(cur);
    }
    lines
}

/// Wrap a title to `max` px: at `size` px if it fits in `max_lines` lines, else at smaller
/// sizes down to 11 px (then as many lines as needed). Returns the size and the lines.
fn fit_text(
    text: &str,
    max: u32,
    size: u32,
    max_lines: usize,
    measure: &dyn Fn(&str, u32) -> u32,
) -> (u32, Vec<String>) {
    let mut s = size;
    loop {
        let lines = wrap(text, max, &|t| measure(t, s));
        let fits = lines.iter().all(|l| measure(l, s) <= max);
        if (lines.len() <= max_lines && fits) || s <= 11 {
            return (s, lines);
        }
        s -= 1;
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
    if !matches!(s.style, Style::Line | Style::Dashed | Style::Dotted) {
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

fn fixed_range(fixed: Option<(f64, f64)>, log: bool) -> Option<(f64, f64)> {
    let (a, b) = fixed?;
    let (a, b) = if log { (a.log10(), b.log10()) } else { (a, b) };
    // On a log axis, 1% of the span on each side keeps the decade ticks at the ends
    // labelled (plotters drops labels that fall exactly on the axis ends).
    let pad = if log { 0.01 * (b - a) } else { 0.0 };
    (a.is_finite() && b.is_finite() && a < b).then_some((a - pad, b + pad))
}

fn auto_range(vals: impl Iterator<Item = f64>) -> (f64, f64) {
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

/// Clip the segment `a`-`b` to the rectangle (Liang-Barsky); `None` if it misses.
fn clip_segment(
    a: (f64, f64),
    b: (f64, f64),
    xr: (f64, f64),
    yr: (f64, f64),
) -> Option<((f64, f64), (f64, f64))> {
    let (dx, dy) = (b.0 - a.0, b.1 - a.1);
    let (mut t0, mut t1) = (0.0f64, 1.0f64);
    for (p, q) in [
        (-dx, a.0 - xr.0),
        (dx, xr.1 - a.0),
        (-dy, a.1 - yr.0),
        (dy, yr.1 - a.1),
    ] {
        if p == 0.0 {
            if q < 0.0 {
                return None;
            }
        } else {
            let r = q / p;
            if p < 0.0 {
                t0 = t0.max(r);
            } else {
                t1 = t1.min(r);
            }
        }
    }
    (t0 <= t1).then_some((
        (a.0 + t0 * dx, a.1 + t0 * dy),
        (a.0 + t1 * dx, a.1 + t1 * dy),
    ))
}

/// A polyline clipped to the axes, as pieces that stay inside.
fn clip_polyline(pts: &[(f64, f64)], xr: (f64, f64), yr: (f64, f64)) -> Vec<Vec<(f64, f64)>> {
    let mut out: Vec<Vec<(f64, f64)>> = vec![];
    let mut cur: Vec<(f64, f64)> = vec![];
    for w in pts.windows(2) {
        match clip_segment(w[0], w[1], xr, yr) {
            Some((p, q)) => {
                if cur.last() != Some(&p) {
                    if !cur.is_empty() {
                        out.push(std::mem::take(&mut cur));
                    }
                    cur.push(p);
                }
                cur.push(q);
            }
            None => {
                if !cur.is_empty() {
                    out.push(std::mem::take(&mut cur));
                }
            }
        }
    }
    if !cur.is_empty() {
        out.push(cur);
    }
    out
}

/// Pixel points along a polyline, at most 4 px apart (for the legend's overlap count).
fn densify(px: &[(i32, i32)]) -> Vec<(i32, i32)> {
    let mut out: Vec<(i32, i32)> = px.first().copied().into_iter().collect();
    for w in px.windows(2) {
        let (dx, dy) = ((w[1].0 - w[0].0) as f64, (w[1].1 - w[0].1) as f64);
        let steps = ((dx.abs().max(dy.abs()) / 4.0).ceil() as usize).clamp(1, 2000);
        for k in 1..=steps {
            let f = k as f64 / steps as f64;
            out.push((
                w[0].0 + (f * dx).round() as i32,
                w[0].1 + (f * dy).round() as i32,
            ));
        }
    }
    out
}

fn inside(p: (f64, f64), xr: (f64, f64), yr: (f64, f64)) -> bool {
    p.0 >= xr.0 && p.0 <= xr.1 && p.1 >= yr.0 && p.1 <= yr.1
}

/// A legend entry: label, colour, and how its sample is drawn.
struct Entry {
    label: String,
    color: RGBColor,
    style: Style,
}

fn series_color(s: &Series, k: usize) -> RGBColor {
    s.color.unwrap_or_else(|| palette::species(k))
}

fn draw_sample<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    e: &Entry,
    x: i32,
    y: i32,
) -> Result<(), PlotError> {
    let c = e.color;
    match e.style {
        Style::Line => area
            .draw(&PathElement::new(
                vec![(x, y), (x + 24, y)],
                c.stroke_width(2),
            ))
            .map_err(draw_err),
        Style::Dashed => {
            for (a, b) in [(0, 7), (11, 18), (22, 24)] {
                area.draw(&PathElement::new(
                    vec![(x + a, y), (x + b, y)],
                    c.stroke_width(2),
                ))
                .map_err(draw_err)?;
            }
            Ok(())
        }
        Style::Dotted => {
            for a in (0..24).step_by(5) {
                area.draw(&PathElement::new(
                    vec![(x + a, y), (x + a + 2, y)],
                    c.stroke_width(2),
                ))
                .map_err(draw_err)?;
            }
            Ok(())
        }
        Style::Points => area
            .draw(&Circle::new((x + 12, y), 3, c.filled()))
            .map_err(draw_err),
        Style::OpenCircles => area
            .draw(&Circle::new((x + 12, y), 4, c.stroke_width(2)))
            .map_err(draw_err),
        Style::Triangles => area
            .draw(&TriangleMarker::new((x + 12, y), 4, c.filled()))
            .map_err(draw_err),
        Style::Disks => {
            area.draw(&Circle::new((x + 12, y), 6, c.mix(0.45).filled()))
                .map_err(draw_err)?;
            area.draw(&Circle::new((x + 12, y), 6, c.stroke_width(1)))
                .map_err(draw_err)
        }
    }
}

const LEGEND_FONT: u32 = 13;
const LEGEND_ROW: i32 = 18;

fn legend_size<DB: DrawingBackend>(area: &DrawingArea<DB, Shift>, entries: &[Entry]) -> (i32, i32) {
    let style = TextStyle::from((FONT, LEGEND_FONT));
    let w = entries
        .iter()
        .map(|e| {
            area.estimate_text_size(&e.label, &style)
                .map_or(100, |s| s.0)
        })
        .max()
        .unwrap_or(0) as i32;
    (w + 44, entries.len() as i32 * LEGEND_ROW + 8)
}

fn draw_legend<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    entries: &[Entry],
    at: (i32, i32),
    size: (i32, i32),
) -> Result<(), PlotError> {
    let (x, y) = at;
    area.draw(&Rectangle::new(
        [(x, y), (x + size.0, y + size.1)],
        WHITE.mix(0.9).filled(),
    ))
    .map_err(draw_err)?;
    area.draw(&Rectangle::new(
        [(x, y), (x + size.0, y + size.1)],
        BLACK.mix(0.4).stroke_width(1),
    ))
    .map_err(draw_err)?;
    let style = TextStyle::from((FONT, LEGEND_FONT)).pos(Pos::new(HPos::Left, VPos::Center));
    for (i, e) in entries.iter().enumerate() {
        let yy = y + 4 + LEGEND_ROW / 2 + i as i32 * LEGEND_ROW;
        draw_sample(area, e, x + 8, yy)?;
        area.draw(&Text::new(e.label.clone(), (x + 38, yy), style.clone()))
            .map_err(draw_err)?;
    }
    Ok(())
}

fn draw_panel<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    p: &Panel,
) -> Result<PanelLayout, PlotError> {
    let (w, h) = area.dim_in_pixel();
    let measure = |t: &str, s: u32| {
        area.estimate_text_size(t, &TextStyle::from((FONT, s)))
            .map_or(t.len() as u32 * s / 2, |v| v.0)
    };
    // Title and note, wrapped to the panel width.
    let max_w = w.saturating_sub(2 * MARGIN);
    let (tsize, tlines) = fit_text(&p.title, max_w, 16, 2, &measure);
    let (nsize, nlines) = if p.note.is_empty() {
        (12, vec![])
    } else {
        fit_text(&p.note, max_w, 12, 3, &measure)
    };
    let mut y = 6i32;
    let mut title_lines = vec![];
    for l in &tlines {
        let style = TextStyle::from((FONT, tsize)).pos(Pos::new(HPos::Center, VPos::Top));
        area.draw(&Text::new(l.clone(), (w as i32 / 2, y), style))
            .map_err(draw_err)?;
        title_lines.push((l.clone(), measure(l, tsize)));
        y += tsize as i32 + 4;
    }
    let grey = BLACK.mix(0.65);
    for l in &nlines {
        let style = TextStyle::from((FONT, nsize))
            .color(&grey)
            .pos(Pos::new(HPos::Center, VPos::Top));
        area.draw(&Text::new(l.clone(), (w as i32 / 2, y), style))
            .map_err(draw_err)?;
        y += nsize as i32 + 3;
    }
    let top = (y + 2).max(10) as u32;

    // Legend entries.
    let mut entries: Vec<Entry> = vec![];
    for (k, s) in p.series.iter().enumerate() {
        if !s.label.is_empty() {
            entries.push(Entry {
                label: s.label.clone(),
                color: series_color(s, k),
                style: s.style,
            });
        }
    }
    for g in p.vlines.iter().chain(&p.hlines) {
        if !g.label.is_empty() {
            entries.push(Entry {
                label: g.label.clone(),
                color: g.color,
                style: Style::Dotted,
            });
        }
    }
    // A single unlabelled-by-context series needs no legend; the axis label names it.
    let show_legend = p.legend != LegendPos::Hidden && entries.len() > 1;
    let lsize = legend_size(area, &entries);

    // Axis types and ranges.
    let any_pos =
        |f: fn(&Series) -> &Vec<f64>| p.series.iter().any(|s| f(s).iter().any(|v| *v > 0.0));
    let log_x = p.log_x && any_pos(|s| &s.x);
    let log_y = p.log_y && any_pos(|s| &s.y);
    let tf = |v: f64, log: bool| if log { v.log10() } else { v };
    let data: Vec<Vec<(f64, f64)>> = p.series.iter().map(|s| prepare(s, log_x, log_y)).collect();
    let fx = fixed_range(p.x_range, log_x);
    let fy = fixed_range(p.y_range, log_y);
    let in_fx = |v: f64| fx.map_or(true, |r| v >= r.0 && v <= r.1);
    let in_fy = |v: f64| fy.map_or(true, |r| v >= r.0 && v <= r.1);
    let gx = p
        .vlines
        .iter()
        .map(|g| tf(g.at, log_x))
        .filter(|v| v.is_finite());
    let gy = p
        .hlines
        .iter()
        .map(|g| tf(g.at, log_y))
        .filter(|v| v.is_finite());
    let xr0 = fx.unwrap_or_else(|| {
        auto_range(
            data.iter()
                .flatten()
                .filter(|q| in_fy(q.1))
                .map(|q| q.0)
                .chain(gx),
        )
    });
    let yr0 = fy.unwrap_or_else(|| {
        auto_range(
            data.iter()
                .flatten()
                .filter(|q| in_fx(q.0))
                .map(|q| q.1)
                .chain(gy),
        )
    });
    // Axis ranges and the axes' pixel rectangle (panel coordinates) for a legend strip of
    // `strip` px on the right.
    let plan = |strip: u32| {
        let (mut xr, mut yr) = (xr0, yr0);
        let chart_w = w.saturating_sub(strip);
        let chart_h = h.saturating_sub(top);
        let plot_w = chart_w
            .saturating_sub(MARGIN + RIGHT_MARGIN + Y_LABEL_AREA)
            .max(1) as f64;
        let plot_h = chart_h.saturating_sub(2 * MARGIN + X_LABEL_AREA).max(1) as f64;
        if p.equal_aspect {
            let (sx, sy) = ((xr.1 - xr.0) / plot_w, (yr.1 - yr.0) / plot_h);
            if sx > sy {
                let c = 0.5 * (yr.0 + yr.1);
                let half = 0.5 * sx * plot_h;
                yr = (c - half, c + half);
            } else {
                let c = 0.5 * (xr.0 + xr.1);
                let half = 0.5 * sy * plot_w;
                xr = (c - half, c + half);
            }
        }
        let rect = [
            (MARGIN + Y_LABEL_AREA) as i32,
            (top + MARGIN) as i32,
            chart_w as i32 - RIGHT_MARGIN as i32,
            (top + chart_h) as i32 - (MARGIN + X_LABEL_AREA) as i32,
        ];
        (xr, yr, rect)
    };
    // Pixels (panel coordinates) covered by data and guides, for placing the legend.
    let covered = |xr: (f64, f64), yr: (f64, f64), rect: [i32; 4]| {
        let to_px = |q: &(f64, f64)| {
            (
                rect[0] + ((q.0 - xr.0) / (xr.1 - xr.0) * (rect[2] - rect[0]) as f64) as i32,
                rect[3] - ((q.1 - yr.0) / (yr.1 - yr.0) * (rect[3] - rect[1]) as f64) as i32,
            )
        };
        let mut pix: Vec<(i32, i32)> = vec![];
        for (s, pts) in p.series.iter().zip(&data) {
            if matches!(s.style, Style::Line | Style::Dashed | Style::Dotted) {
                for piece in clip_polyline(pts, xr, yr) {
                    let px: Vec<(i32, i32)> = piece.iter().map(to_px).collect();
                    pix.extend(densify(&px));
                }
            } else {
                pix.extend(pts.iter().filter(|q| inside(**q, xr, yr)).map(to_px));
            }
        }
        for g in &p.vlines {
            let v = tf(g.at, log_x);
            if v.is_finite() && v >= xr.0 && v <= xr.1 {
                pix.extend(densify(&[to_px(&(v, yr.0)), to_px(&(v, yr.1))]));
            }
        }
        for g in &p.hlines {
            let v = tf(g.at, log_y);
            if v.is_finite() && v >= yr.0 && v <= yr.1 {
                pix.extend(densify(&[to_px(&(xr.0, v)), to_px(&(xr.1, v))]));
            }
        }
        pix
    };
    // The inside position with the fewest covered pixels under the box: the four corners,
    // then the middles of the edges.
    let best_inside = |rect: [i32; 4], pix: &[(i32, i32)]| {
        let pad = 6;
        let (l, r) = (rect[0] + pad, rect[2] - lsize.0 - pad);
        let (t, b) = (rect[1] + pad, rect[3] - lsize.1 - pad);
        let (cx, cy) = ((l + r) / 2, (t + b) / 2);
        let mut candidates = vec![
            (r, t),
            (l, t),
            (r, b),
            (l, b),
            (cx, t),
            (cx, b),
            (r, cy),
            (l, cy),
        ];
        // Then a grid over the axes (free space between curves).
        for fy in [0.25, 0.5, 0.75] {
            for fx in [1.0, 0.0, 0.75, 0.25, 0.5] {
                let c = (
                    l + (fx * (r - l) as f64) as i32,
                    t + (fy * (b - t) as f64) as i32,
                );
                if !candidates.contains(&c) {
                    candidates.push(c);
                }
            }
        }
        let count = |c: &(i32, i32)| {
            pix.iter()
                .filter(|q| {
                    q.0 >= c.0 - 4
                        && q.0 <= c.0 + lsize.0 + 4
                        && q.1 >= c.1 - 4
                        && q.1 <= c.1 + lsize.1 + 4
                })
                .count()
        };
        candidates
            .iter()
            .map(|c| (*c, count(c)))
            .min_by_key(|x| x.1)
            .unwrap_or(((r, t), 0))
    };
    let outside_strip = (lsize.0 as u32 + 2 * MARGIN).min(w / 2);
    let (mut strip, mut inside_at) = (0, None);
    if show_legend {
        match p.legend {
            LegendPos::Outside => strip = outside_strip,
            _ => {
                let (xr, yr, rect) = plan(0);
                let (at, n) = best_inside(rect, &covered(xr, yr, rect));
                // Inside only where the box covers nothing; otherwise outside.
                if n == 0 || lsize.0 as u32 + 2 * MARGIN > w / 3 {
                    inside_at = Some(at);
                } else {
                    strip = outside_strip;
                }
            }
        }
    }
    let (xr, yr, _) = plan(strip);
    let chart_w = w.saturating_sub(strip);
    let (x_major, x_minor) = if log_x {
        log_ticks(xr.0, xr.1)
    } else {
        (linear_ticks(xr.0, xr.1, 6), vec![])
    };
    let (y_major, y_minor) = if log_y {
        log_ticks(yr.0, yr.1)
    } else {
        (linear_ticks(yr.0, yr.1, 6), vec![])
    };

    let (_, body) = area.split_vertically(top);
    let (chart_area, legend_area) = body.split_horizontally(chart_w);
    let mut chart = ChartBuilder::on(&chart_area)
        .margin(MARGIN)
        .margin_right(RIGHT_MARGIN)
        .x_label_area_size(X_LABEL_AREA)
        .y_label_area_size(Y_LABEL_AREA)
        .build_cartesian_2d(
            Axis {
                lo: xr.0,
                hi: xr.1,
                major: x_major.clone(),
                minor: x_minor,
            },
            Axis {
                lo: yr.0,
                hi: yr.1,
                major: y_major.clone(),
                minor: y_minor,
            },
        )
        .map_err(draw_err)?;
    let fmt_x = move |v: &f64| tick(if log_x { 10f64.powf(*v) } else { *v });
    let fmt_y = move |v: &f64| tick(if log_y { 10f64.powf(*v) } else { *v });
    chart
        .configure_mesh()
        .x_desc(p.x_label.as_str())
        .y_desc(p.y_label.as_str())
        .x_label_formatter(&fmt_x)
        .y_label_formatter(&fmt_y)
        .label_style((FONT, 13))
        .axis_desc_style((FONT, 14))
        .bold_line_style(BLACK.mix(0.12))
        .light_line_style(BLACK.mix(0.04))
        .draw()
        .map_err(draw_err)?;
    let (px, py) = chart.plotting_area().get_pixel_range();
    let base = area.get_base_pixel();
    let plot = [px.start, py.start, px.end, py.end];
    let mut layout = PanelLayout {
        plot,
        x_range: xr,
        y_range: yr,
        log_x,
        log_y,
        legend: None,
        title_lines,
        panel_width: w,
        x_ticks: x_major,
        y_ticks: y_major,
        draw_order: vec![],
    };
    if data.iter().all(|d| d.is_empty()) {
        let grey = BLACK.mix(0.6);
        let style = TextStyle::from((FONT, 16))
            .color(&grey)
            .pos(Pos::new(HPos::Center, VPos::Center));
        chart
            .draw_series(std::iter::once(Text::new(
                "no data",
                (0.5 * (xr.0 + xr.1), 0.5 * (yr.0 + yr.1)),
                style,
            )))
            .map_err(draw_err)?;
        return Ok(layout);
    }
    let x_scale = (px.end - px.start) as f64 / (xr.1 - xr.0);
    for (k, (s, pts)) in p.series.iter().zip(&data).enumerate() {
        let color = series_color(s, k);
        let width = s.size.round().max(1.0) as u32;
        let marker = s.size.round().max(1.0) as i32;
        let visible = pts.iter().copied().filter(|q| inside(*q, xr, yr));
        match s.style {
            Style::Line | Style::Dashed | Style::Dotted => {
                for piece in clip_polyline(pts, xr, yr) {
                    let st = color.stroke_width(width);
                    match s.style {
                        Style::Line => chart.draw_series(LineSeries::new(piece, st)),
                        Style::Dashed => chart.draw_series(DashedLineSeries::new(piece, 7, 4, st)),
                        _ => chart.draw_series(DashedLineSeries::new(piece, 2, 4, st)),
                    }
                    .map_err(draw_err)?;
                }
            }
            Style::Points => {
                chart
                    .draw_series(visible.map(|q| Circle::new(q, marker, color.filled())))
                    .map_err(draw_err)?;
            }
            Style::OpenCircles => {
                chart
                    .draw_series(visible.map(|q| Circle::new(q, marker, color.stroke_width(2))))
                    .map_err(draw_err)?;
            }
            Style::Triangles => {
                chart
                    .draw_series(visible.map(|q| TriangleMarker::new(q, marker, color.filled())))
                    .map_err(draw_err)?;
            }
            Style::Disks => {
                let r = (s.size * x_scale).round().max(2.0) as i32;
                let v: Vec<(f64, f64)> = visible.collect();
                chart
                    .draw_series(
                        v.iter()
                            .map(|q| Circle::new(*q, r, color.mix(0.45).filled())),
                    )
                    .map_err(draw_err)?;
                chart
                    .draw_series(v.iter().map(|q| Circle::new(*q, r, color.stroke_width(1))))
                    .map_err(draw_err)?;
            }
        }
        layout.draw_order.push(k);
    }
    for g in &p.vlines {
        let v = tf(g.at, log_x);
        if v.is_finite() && v >= xr.0 && v <= xr.1 {
            chart
                .draw_series(DashedLineSeries::new(
                    vec![(v, yr.0), (v, yr.1)],
                    2,
                    4,
                    g.color.stroke_width(2),
                ))
                .map_err(draw_err)?;
        }
    }
    for g in &p.hlines {
        let v = tf(g.at, log_y);
        if v.is_finite() && v >= yr.0 && v <= yr.1 {
            chart
                .draw_series(DashedLineSeries::new(
                    vec![(xr.0, v), (xr.1, v)],
                    2,
                    4,
                    g.color.stroke_width(2),
                ))
                .map_err(draw_err)?;
        }
    }
    if show_legend {
        let at = match inside_at {
            Some(at) => at,
            None => {
                let (lx, _) = legend_area.get_base_pixel();
                (lx - base.0 + MARGIN as i32, py.start - base.1)
            }
        };
        draw_legend(area, &entries, at, lsize)?;
        layout.legend = Some([
            at.0 + base.0,
            at.1 + base.1,
            at.0 + base.0 + lsize.0,
            at.1 + base.1 + lsize.1,
        ]);
    }
    Ok(layout)
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

    fn grid(&self) -> (usize, usize) {
        let cols = self.columns.clamp(1, self.panels.len().max(1));
        let rows = self.panels.len().div_ceil(cols).max(1);
        (rows, cols)
    }

    /// The figure title wrapped to the figure width: font size and lines.
    fn title_lines(&self) -> (u32, Vec<String>) {
        let (_, cols) = self.grid();
        let w = self.panel_width * cols as u32;
        // Measuring needs a backend; a 1x1 bitmap is enough (text extents come from the font).
        let mut buf = vec![0u8; 3];
        let area = BitMapBackend::with_buffer(&mut buf, (1, 1)).into_drawing_area();
        register_font();
        let measure = |t: &str, s: u32| {
            area.estimate_text_size(t, &TextStyle::from((FONT, s)))
                .map_or(t.len() as u32 * s / 2, |v| v.0)
        };
        fit_text(&self.title, w.saturating_sub(20), 20, 2, &measure)
    }

    fn size(&self) -> (u32, u32, u32) {
        let (rows, cols) = self.grid();
        let (s, lines) = self.title_lines();
        let top = 14 + lines.len() as u32 * (s + 6);
        (
            self.panel_width * cols as u32,
            self.panel_height * rows as u32 + top,
            top,
        )
    }

    fn draw<DB: DrawingBackend>(
        &self,
        root: DrawingArea<DB, Shift>,
    ) -> Result<Vec<PanelLayout>, PlotError> {
        register_font();
        let (rows, cols) = self.grid();
        let (w, _, top_h) = self.size();
        root.fill(&WHITE).map_err(draw_err)?;
        let (top, body) = root.split_vertically(top_h);
        let (s, lines) = self.title_lines();
        for (i, l) in lines.iter().enumerate() {
            let style = TextStyle::from((FONT, s)).pos(Pos::new(HPos::Center, VPos::Top));
            top.draw(&Text::new(
                l.clone(),
                (w as i32 / 2, 8 + i as i32 * (s as i32 + 6)),
                style,
            ))
            .map_err(draw_err)?;
        }
        let areas = body.split_evenly((rows, cols));
        let mut out = vec![];
        for (area, panel) in areas.iter().zip(&self.panels) {
            out.push(draw_panel(area, panel)?);
        }
        root.present().map_err(draw_err)?;
        Ok(out)
    }

    /// Draw the figure into a bitmap and return where each panel went (axes, legend, title
    /// lines, ticks, drawing order), for tests of what a reader sees.
    pub fn layout(&self) -> Result<Vec<PanelLayout>, PlotError> {
        let (w, h, _) = self.size();
        let mut buf = vec![0u8; (w * h * 3) as usize];
        let root = BitMapBackend::with_buffer(&mut buf, (w, h)).into_drawing_area();
        self.draw(root)
    }

    /// Render to an SVG document.
    pub fn to_svg(&self) -> Result<String, PlotError> {
        let (w, h, _) = self.size();
        let mut s = String::new();
        {
            let root = SVGBackend::with_string(&mut s, (w, h)).into_drawing_area();
            self.draw(root)?;
        }
        Ok(s)
    }

    /// Render to PNG bytes (8-bit RGB).
    pub fn to_png(&self) -> Result<Vec<u8>, PlotError> {
        let (w, h, _) = self.size();
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
        assert_eq!(reader.info().height, 800 + f.size().2);
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

    #[test]
    fn long_titles_wrap_instead_of_clipping() {
        let long = "Spherical microelectrode of 5 um radius, 1 mM redox species in 1 M KCl, \
                    potential step at t = 0, current density at the electrode against time";
        let mut f = Figure::new(long, 1);
        f.push(Panel::new(long, "x", "y").with(Series::line("a", vec![0.0, 1.0], vec![0.0, 1.0])));
        let l = &f.layout().unwrap()[0];
        assert!(l.title_lines.len() >= 2, "{:?}", l.title_lines);
        for (line, width) in &l.title_lines {
            assert!(*width <= l.panel_width - 2 * MARGIN, "{line}: {width} px");
        }
        let words: Vec<&str> = l
            .title_lines
            .iter()
            .flat_map(|(s, _)| s.split(' '))
            .collect();
        assert_eq!(
            words.join(" "),
            long.split_whitespace().collect::<Vec<_>>().join(" ")
        );
        let (_, lines) = f.title_lines();
        assert!(lines.len() >= 2);
        assert!(
            f.size().2 > 40,
            "the figure title area grows with its lines"
        );
    }

    #[test]
    fn equal_aspect_gives_the_same_pixel_scale_on_both_axes() {
        for (w, h) in [(600, 400), (400, 700), (900, 300)] {
            let mut f = Figure::new("aspect", 1);
            f.panel_width = w;
            f.panel_height = h;
            let mut p = Panel::new("snapshot", "x", "y").with(Series::points(
                "v",
                vec![0.0, 2.8],
                vec![0.0, 3.1],
            ));
            p.equal_aspect = true;
            p.legend = LegendPos::Outside;
            f.push(p);
            let l = &f.layout().unwrap()[0];
            let sx = (l.plot[2] - l.plot[0]) as f64 / (l.x_range.1 - l.x_range.0);
            let sy = (l.plot[3] - l.plot[1]) as f64 / (l.y_range.1 - l.y_range.0);
            assert!(
                (sx / sy - 1.0).abs() < 0.01,
                "{w}x{h}: {sx} vs {sy} px per unit"
            );
            assert!(l.x_range.0 <= 0.0 && l.x_range.1 >= 2.8);
            assert!(l.y_range.0 <= 0.0 && l.y_range.1 >= 3.1);
        }
    }

    #[test]
    fn outside_legend_does_not_overlap_the_axes() {
        let mut p = Panel::new("legend", "x", "y").with(Series::points(
            "a long legend label",
            vec![0.0, 1.0],
            vec![0.0, 1.0],
        ));
        p.series
            .push(Series::line("b", vec![0.0, 1.0], vec![1.0, 0.0]));
        p.legend = LegendPos::Outside;
        let mut f = Figure::new("legend", 1);
        f.push(p);
        let l = &f.layout().unwrap()[0];
        let b = l.legend.expect("legend drawn");
        assert!(
            b[0] >= l.plot[2],
            "legend {b:?} starts inside the axes {:?}",
            l.plot
        );
    }

    #[test]
    fn auto_legend_avoids_the_data() {
        // Data filling the upper right: the legend goes to another corner.
        let x: Vec<f64> = (0..100).map(|i| i as f64 / 99.0).collect();
        let y: Vec<f64> = x.iter().map(|v| v * v).collect();
        let p = Panel::new("auto", "x", "y")
            .with(Series::line("rising", x.clone(), y))
            .with(Series::line("flat", x, vec![1.0; 100]));
        let mut f = Figure::new("legend", 1);
        f.push(p);
        let l = &f.layout().unwrap()[0];
        let b = l.legend.expect("legend drawn");
        let cy = 0.5 * (l.plot[1] + l.plot[3]) as f64;
        assert!(
            (b[1] as f64) > cy,
            "legend {b:?} should be in the lower half of {:?}",
            l.plot
        );
    }

    #[test]
    fn auto_legend_moves_outside_when_every_corner_has_data() {
        // A fast oscillation fills the axes: no inside position is free.
        let x: Vec<f64> = (0..2000).map(|i| i as f64 / 1999.0).collect();
        let y: Vec<f64> = x.iter().map(|v| (v * 300.0).sin()).collect();
        let p = Panel::new("full", "x", "y")
            .with(Series::line("sine", x.clone(), y))
            .with(Series::reference("zero", x, vec![0.0; 2000]));
        let mut f = Figure::new("legend", 1);
        f.push(p);
        let l = &f.layout().unwrap()[0];
        let b = l.legend.expect("legend drawn");
        assert!(
            b[0] >= l.plot[2],
            "legend {b:?} covers the data in {:?}",
            l.plot
        );
    }

    #[test]
    fn log_axes_have_decade_ticks() {
        let (major, minor) = log_ticks(-9.3, 0.2);
        assert_eq!(major, (-9..=0).map(|e| e as f64).collect::<Vec<_>>());
        assert!(minor.contains(&(2f64.log10() - 9.0)));
        let (major, minor) = log_ticks(-30.0, 5.0);
        assert!(major.len() <= 8 && major.contains(&0.0) && minor.is_empty());
        // 14 to 700 mM (a double layer): labels at 20, 50, 100, 200, 500.
        let (major, _) = log_ticks(14f64.log10(), 700f64.log10());
        let labels: Vec<String> = major.iter().map(|v| tick(10f64.powf(*v))).collect();
        assert_eq!(labels, ["20", "50", "100", "200", "500"]);
        let lin = linear_ticks(0.0, 1.0, 5);
        assert_eq!(lin.len(), 6);
        for (a, b) in lin.iter().zip([0.0, 0.2, 0.4, 0.6, 0.8, 1.0]) {
            assert!((a - b).abs() < 1e-12, "{lin:?}");
        }
    }

    #[test]
    fn points_outside_a_fixed_range_do_not_set_the_other_axis() {
        // A spike at early x, outside the fixed x range, must not set the y range.
        let x = vec![1e-9, 2e-9, 1e-6, 1e-3, 1.0];
        let y = vec![1e6, 1e5, 10.0, 1.0, 0.1];
        let mut p = Panel::new("clip", "t", "i")
            .log_x()
            .log_y()
            .with(Series::line("i", x, y));
        p.x_range = Some((1e-7, 1.0));
        let mut f = Figure::new("clip", 1);
        f.push(p);
        let l = &f.layout().unwrap()[0];
        assert!(
            l.y_range.1 < 2.0,
            "y range {:?} includes the spike",
            l.y_range
        );
        assert!(l.y_range.0 < -0.9);
    }

    #[test]
    fn lines_are_clipped_to_the_axes() {
        let pieces = clip_polyline(
            &[(-1.0, 0.5), (0.5, 0.5), (2.0, 2.0)],
            (0.0, 1.0),
            (0.0, 1.0),
        );
        assert_eq!(pieces.len(), 1);
        let p = &pieces[0];
        assert_eq!(p[0], (0.0, 0.5));
        assert_eq!(p[1], (0.5, 0.5));
        assert!((p[2].0 - 1.0).abs() < 1e-12 && (p[2].1 - 1.0).abs() < 1e-12);
        assert!(clip_polyline(&[(2.0, 2.0), (3.0, 3.0)], (0.0, 1.0), (0.0, 1.0)).is_empty());
    }

    #[test]
    fn shades_keep_the_hue_and_lighten() {
        let c = palette::species(0);
        assert_eq!(palette::shade(c, 1.0), c);
        let l = palette::shade(c, 0.0);
        assert!(l.0 > c.0 && l.1 > c.1 && l.2 > c.2);
        assert_eq!(palette::species(8), palette::species(0));
    }
}
