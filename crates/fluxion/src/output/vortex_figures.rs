//! Figures of a vortex run: the I-V curve and snapshots of the vortex positions.
//!
//! - `iv.png`: E against J on linear axes with the Bardeen-Stephen flux-flow line
//!   `E = rho_n (B / B_c2) J` (dashed black) and the line fitted to the high-drive points
//!   (solid green); E on a log axis with the electric-field criterion (dotted grey), so that
//!   the onset of motion is visible; the resistivity in units of the Bardeen-Stephen value;
//!   and the defect fraction of the lattice where it was measured. Up and down sweeps use
//!   distinct markers and colours (open circles, filled triangles). `J_c` is marked only in a
//!   pinned sample: without pins any drive moves the lattice.
//! - `snapshot_<stage>.png`: positions on axes with equal pixel scale in x and y; pins drawn
//!   first as translucent disks of their radius, vortices on top; legend outside the sample.

use crate::models::vortex::{PinSpec, SweepPoint};
use crate::output::plot::{palette, Figure, Guide, LegendPos, Panel, Series, Style};

/// What the I-V figure draws beyond the sweep points.
#[derive(Clone, Debug, PartialEq)]
pub struct IvExtras {
    /// Bardeen-Stephen flux-flow resistivity `rho_n B / B_c2`, Ohm m.
    pub rho_bs: f64,
    /// The flux-flow fit `E = rho_f J - b / J` of the high-drive points.
    pub fit: Option<crate::models::vortex::FluxFlowFit>,
    /// J_c from the electric-field criterion, A/m^2.
    pub jc_e: Option<f64>,
    /// The electric-field criterion, V/m.
    pub e_criterion: f64,
    /// Whether the sample has pins (no J_c line otherwise).
    pub pinned: bool,
}

/// The radius of the pinning wells (m), if there are pins.
pub fn pin_radius(pins: &PinSpec) -> Option<f64> {
    match pins {
        PinSpec::None => None,
        PinSpec::Random { well, .. }
        | PinSpec::Square { well, .. }
        | PinSpec::Triangular { well, .. }
        | PinSpec::Positions { well, .. } => Some(well.radius),
    }
}

fn sci(v: f64) -> String {
    let s = format!("{v:.3e}");
    let (m, e) = s.split_once('e').unwrap_or((&s, "0"));
    let m = m.trim_end_matches('0').trim_end_matches('.');
    format!("{m}e{e}")
}

/// The I-V figure (see the module docs).
pub fn iv_figure(title: &str, points: &[SweepPoint], x: &IvExtras) -> Figure {
    let mut fig = Figure::new(title, 2);
    let branch = |up: bool, f: &dyn Fn(&SweepPoint) -> f64| {
        points
            .iter()
            .filter(|p| p.up == up)
            .map(|p| (p.j, f(p)))
            .unzip::<f64, f64, Vec<f64>, Vec<f64>>()
    };
    let markers = |panel: &mut Panel, f: &dyn Fn(&SweepPoint) -> f64| {
        let (ju, vu) = branch(true, f);
        let (jd, vd) = branch(false, f);
        if !ju.is_empty() {
            panel.series.push(
                Series::points("up sweep", ju, vu)
                    .style(Style::OpenCircles)
                    .color(palette::UP)
                    .size(5.0),
            );
        }
        if !jd.is_empty() {
            panel.series.push(
                Series::points("down sweep", jd, vd)
                    .style(Style::Triangles)
                    .color(palette::DOWN)
                    .size(4.0),
            );
        }
    };
    let jmax = points.iter().map(|p| p.j).fold(0.0, f64::max);
    let jc_guide = match (x.pinned, x.jc_e) {
        (true, Some(jc)) => Some(Guide::new(
            jc,
            &format!("J_c (E criterion) = {} A/m²", sci(jc)),
        )),
        _ => None,
    };
    let fit_label = |rho: f64| format!("fit ρ_ff = {} Ω m ({:.2} × BS)", sci(rho), rho / x.rho_bs);

    // E(J), linear.
    let mut e_lin = Panel::new("Electric field", "J (A/m²)", "E (V/m)");
    e_lin.legend = LegendPos::Outside;
    e_lin.series.push(Series::reference(
        "Bardeen-Stephen ρ_n B/B_c2",
        vec![0.0, jmax],
        vec![0.0, x.rho_bs * jmax],
    ));
    if let Some(f) = x.fit {
        // The fitted curve over the currents it was fitted to.
        let j0 = f.j_min.clamp(0.0, jmax);
        let js: Vec<f64> = (0..=40)
            .map(|k| j0 + (jmax - j0) * k as f64 / 40.0)
            .filter(|j| *j > 0.0)
            .collect();
        let es = js.iter().map(|j| f.e(*j)).collect();
        e_lin
            .series
            .push(Series::line(&fit_label(f.rho), js, es).color(palette::FIT));
    }
    markers(&mut e_lin, &|p| p.e);
    e_lin.vlines.extend(jc_guide.clone());
    fig.push(e_lin);

    // E(J), log E: the criterion and the onset.
    let mut e_log = Panel::new("Electric field, log scale", "J (A/m²)", "E (V/m)").log_y();
    e_log.legend = LegendPos::Outside;
    markers(&mut e_log, &|p| p.e);
    e_log.series.push(Series::reference(
        "Bardeen-Stephen",
        (1..=50).map(|k| jmax * k as f64 / 50.0).collect(),
        (1..=50)
            .map(|k| x.rho_bs * jmax * k as f64 / 50.0)
            .collect(),
    ));
    e_log.hlines.push(Guide::new(
        x.e_criterion,
        &format!("E criterion {} V/m", sci(x.e_criterion)),
    ));
    e_log.vlines.extend(jc_guide);
    let hidden = points.iter().filter(|p| p.e.is_nan() || p.e <= 0.0).count();
    if hidden > 0 {
        e_log.note = format!("{hidden} points with E ≤ 0 are not shown on the log axis");
    }
    fig.push(e_log);

    // Resistivity in units of Bardeen-Stephen.
    let mut res = Panel::new("Resistivity", "J (A/m²)", "ρ / (ρ_n B/B_c2)");
    res.legend = LegendPos::Outside;
    res.series.push(Series::reference(
        "Bardeen-Stephen",
        vec![0.0, jmax],
        vec![1.0, 1.0],
    ));
    if let Some(f) = x.fit {
        res.series.push(
            Series::line(
                &fit_label(f.rho),
                vec![0.0, jmax],
                vec![f.rho / x.rho_bs; 2],
            )
            .color(palette::FIT),
        );
    }
    markers(&mut res, &|p| p.rho / x.rho_bs);
    fig.push(res);

    // Lattice order, where measured.
    if points.iter().any(|p| p.defects.is_some()) {
        let mut d = Panel::new(
            "Lattice defects",
            "J (A/m²)",
            "fraction not 6-fold coordinated",
        );
        d.legend = LegendPos::Outside;
        markers(&mut d, &|p| p.defects.unwrap_or(f64::NAN));
        let top = points
            .iter()
            .filter_map(|p| p.defects)
            .fold(0.0f64, f64::max);
        d.y_range = Some((0.0, (1.15 * top).clamp(0.05, 1.0)));
        fig.push(d);
    }
    fig.panel_width = 760;
    fig
}

/// The snapshot figure of one stage (see the module docs): the periodic sample of `size`,
/// `pins` with their `pin_radius` and the vortex positions `pos`, all in m.
pub fn snapshot_figure(
    title: &str,
    size: (f64, f64),
    pins: &[[f64; 2]],
    pin_radius: Option<f64>,
    stage: &str,
    pos: &[[f64; 2]],
) -> Figure {
    let um = 1e6;
    let (lx, ly) = (size.0 * um, size.1 * um);
    let mut fig = Figure::new(&format!("{title}: vortices ({stage})"), 1);
    let mut panel = Panel::new(
        &format!("{} vortices, {} pins", pos.len(), pins.len()),
        "x (µm)",
        "y (µm)",
    );
    panel.equal_aspect = true;
    panel.legend = LegendPos::Outside;
    panel.x_range = Some((0.0, lx));
    panel.y_range = Some((0.0, ly));
    panel.series.push(
        Series::line(
            "periodic cell",
            vec![0.0, lx, lx, 0.0, 0.0],
            vec![0.0, 0.0, ly, ly, 0.0],
        )
        .color(palette::GUIDE)
        .size(1.0),
    );
    if !pins.is_empty() {
        let (px, py): (Vec<f64>, Vec<f64>) = pins.iter().map(|p| (p[0] * um, p[1] * um)).unzip();
        let radius = pin_radius.unwrap_or(0.01 * lx.min(ly) / um) * um;
        panel.series.push(
            Series::points("pins (radius)", px, py)
                .style(Style::Disks)
                .color(palette::PINS)
                .size(radius),
        );
        panel.note = format!("pins drawn at their radius r_p = {:.3} nm", radius * 1e3)
            .replace(".000 nm", " nm");
    }
    let (vx, vy): (Vec<f64>, Vec<f64>) = pos.iter().map(|p| (p[0] * um, p[1] * um)).unzip();
    panel.series.push(
        Series::points("vortices", vx, vy)
            .color(palette::VORTICES)
            .size(2.5),
    );
    // Size the panel so that the sample fills it: plot area about 560 px on its long side.
    let long = 560.0;
    let (pw, ph) = if lx >= ly {
        (long, long * ly / lx)
    } else {
        (long * lx / ly, long)
    };
    fig.panel_width = (pw + 92.0 + 150.0).round() as u32;
    fig.panel_height = (ph + 62.0 + 60.0).round().max(260.0) as u32;
    fig.push(panel);
    fig
}

#[cfg(test)]
mod tests {
    use super::*;

    fn points() -> Vec<SweepPoint> {
        (0..8)
            .map(|k| {
                let j = k as f64 * 1e9;
                SweepPoint {
                    j,
                    up: true,
                    v_parallel: 0.0,
                    v_perp: 0.0,
                    e: 2.4e-9 * (j - 1e9).max(0.0),
                    rho: 2.4e-9,
                    defects: None,
                    halves: (0.0, 0.0),
                    extra_steps: 0,
                    steady: true,
                }
            })
            .chain((0..8).map(|k| {
                let j = (7 - k) as f64 * 1e9;
                SweepPoint {
                    j,
                    up: false,
                    v_parallel: 0.0,
                    v_perp: 0.0,
                    e: 2.4e-9 * (j - 0.5e9).max(0.0),
                    rho: 2.4e-9,
                    defects: Some(0.01),
                    halves: (0.0, 0.0),
                    extra_steps: 0,
                    steady: true,
                }
            }))
            .collect()
    }

    fn extras(pinned: bool) -> IvExtras {
        IvExtras {
            rho_bs: 2.43e-9,
            fit: Some(crate::models::vortex::FluxFlowFit {
                rho: 2.4e-9,
                b: 2.4e8,
                j_min: 2.0e9,
                count: 5,
                slope: 2.5e-9,
            }),
            jc_e: Some(1.0e9),
            e_criterion: 1e-4,
            pinned,
        }
    }

    #[test]
    fn snapshot_has_equal_aspect_and_pins_drawn_before_vortices() {
        let pins: Vec<[f64; 2]> = (0..20).map(|k| [k as f64 * 1e-7, 1e-6]).collect();
        let pos = vec![[1e-6, 1e-6], [2e-6, 2e-6]];
        let fig = snapshot_figure("t", (2.8e-6, 3.1e-6), &pins, Some(30e-9), "final", &pos);
        let panel = &fig.panels[0];
        let pins = panel
            .series
            .iter()
            .position(|s| s.label.starts_with("pins"))
            .unwrap();
        let vort = panel
            .series
            .iter()
            .position(|s| s.label == "vortices")
            .unwrap();
        assert!(pins < vort);
        // Pins are disks of their radius (in µm, the axis unit), in their own colour.
        assert_eq!(panel.series[pins].style, Style::Disks);
        assert!((panel.series[pins].size - 0.03).abs() < 1e-12);
        assert_ne!(panel.series[pins].color, panel.series[vort].color);
        let l = &fig.layout().unwrap()[0];
        let order: Vec<usize> = l.draw_order.clone();
        let at = |k: usize| order.iter().position(|v| *v == k).unwrap();
        assert!(at(pins) < at(vort), "drawing order {order:?}");
        let sx = (l.plot[2] - l.plot[0]) as f64 / (l.x_range.1 - l.x_range.0);
        let sy = (l.plot[3] - l.plot[1]) as f64 / (l.y_range.1 - l.y_range.0);
        assert!((sx / sy - 1.0).abs() < 0.01, "{sx} vs {sy} px/µm");
        let legend = l.legend.expect("legend");
        assert!(
            legend[0] >= l.plot[2],
            "legend {legend:?} inside the data {:?}",
            l.plot
        );
    }

    #[test]
    fn iv_shows_both_branches_fit_and_criterion() {
        let fig = iv_figure("t", &points(), &extras(true));
        let e = &fig.panels[0];
        let up = e.series.iter().find(|s| s.label == "up sweep").unwrap();
        let down = e.series.iter().find(|s| s.label == "down sweep").unwrap();
        assert_ne!(up.style, down.style);
        assert_ne!(up.color, down.color);
        let fit = e
            .series
            .iter()
            .find(|s| s.label.starts_with("fit"))
            .unwrap();
        assert_eq!(fit.color, Some(palette::FIT));
        // The fitted curve is E = rho J - b / J, drawn from the smallest fitted current.
        assert_eq!(fit.x[0], 2.0e9);
        for (j, v) in fit.x.iter().zip(&fit.y) {
            assert!((v - (2.4e-9 * j - 2.4e8 / j)).abs() < 1e-9);
        }
        let log = &fig.panels[1];
        assert!(log.log_y);
        assert_eq!(log.hlines[0].at, 1e-4);
        assert_eq!(e.vlines.len(), 1, "J_c marked in a pinned sample");
        for l in fig.layout().unwrap() {
            if let Some(b) = l.legend {
                assert!(b[0] >= l.plot[2], "legend inside the axes");
            }
        }
    }

    #[test]
    fn pin_free_sample_has_no_jc_line() {
        let fig = iv_figure("t", &points(), &extras(false));
        assert!(fig.panels.iter().all(|p| p.vlines.is_empty()));
    }
}
