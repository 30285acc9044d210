//! The colour maps: viridis and Moreland's cool-warm, as 256-entry tables.

use std::sync::OnceLock;

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

pub(super) fn msh(rgb: [u8; 3]) -> [f64; 3] {
    let [l, a, b] = lab(rgb);
    let m = (l * l + a * a + b * b).sqrt();
    [m, (l / m).acos(), b.atan2(a)]
}

/// Moreland's interpolation between two saturated colours through an unsaturated white.
pub(super) fn moreland(a: [f64; 3], b: [f64; 3], t: f64) -> [u8; 3] {
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
