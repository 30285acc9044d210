//! The physical keys of the static-field regions (permittivity, permeability, fixed
//! charge, polarization or magnetization, conductors) and patches (potential, surface
//! charge, total charge, natural).

use toml::{Spanned, Value};

use super::{
    RawPatch, RawRegion, MAX_CHARGE_DENSITY, MAX_MAGNETIC_POTENTIAL, MAX_MAGNETIZATION,
    MAX_PATCH_CHARGE, MAX_PERMEABILITY, MAX_POLARIZATION, PER_METRE_CURRENT,
};
use crate::models::potential::{FieldKind, PatchCondition, RegionMaterial};
use crate::scenario::geometry::{MeshKind, ScenarioGeometry};
use crate::scenario::{show, Ctx};
use crate::units::{dims, Dim};

/// The material of one region table (`key` is `background` or `region[i]`).
pub(super) fn material(
    r: &RawRegion,
    key: &str,
    kind: FieldKind,
    cx: &mut Ctx,
) -> Option<RegionMaterial> {
    let wrong = |cx: &mut Ctx, k: &str, v: std::ops::Range<usize>, why: &str| {
        cx.push(format!("{key}.{k}"), why.to_string(), Some(v));
    };
    if let Some(j) = &r.current_density {
        let why = match kind {
            FieldKind::Magnetic => "a region carrying a free current density cannot be modelled by the magnetic scalar potential: H = -grad Phi_M requires curl H = J_free = 0 everywhere in the domain (seed 000's condition). A current needs the vector potential (div(grad A / mu) = -J), which fluxion does not solve yet. Remove current_density, or leave the current-carrying conductor outside the domain (its field enters through the boundary potential)",
            FieldKind::Electric => "electrostatics has no currents (static charges only); remove current_density",
        };
        wrong(cx, "current_density", j.span(), why);
        return None;
    }
    let (elec, mag) = (
        [
            ("permittivity", r.permittivity.as_ref().map(|v| v.span())),
            (
                "charge_density",
                r.charge_density.as_ref().map(|v| v.span()),
            ),
            ("polarization", r.polarization.as_ref().map(|v| v.span())),
        ],
        [
            ("permeability", r.permeability.as_ref().map(|v| v.span())),
            ("magnetization", r.magnetization.as_ref().map(|v| v.span())),
        ],
    );
    let mut bad = false;
    match kind {
        FieldKind::Electric => {
            for (k, s) in mag.iter().cloned() {
                if let Some(s) = s {
                    wrong(cx, k, s, &format!("`{k}` belongs to model = \"magnetostatics\"; an electrostatics region takes permittivity, charge_density, polarization or conductor_potential"));
                    bad = true;
                }
            }
        }
        FieldKind::Magnetic => {
            for (k, s) in elec.iter().cloned() {
                if let Some(s) = s {
                    wrong(cx, k, s, &format!("`{k}` belongs to model = \"electrostatics\"; a magnetostatics region takes permeability, magnetization or conductor_potential (an ideal soft-magnetic pole at a magnetic scalar potential, A)"));
                    bad = true;
                }
            }
        }
    }
    if bad {
        return None;
    }
    if let (Some(_), Some(q)) = (&r.conductor_potential, &r.conductor_charge) {
        wrong(cx, "conductor_charge", q.span(), "a conductor is held at a potential (conductor_potential) or carries a given charge (conductor_charge, at the potential this charge requires), not both; remove one");
        return None;
    }
    if let Some(q) = &r.conductor_charge {
        if kind == FieldKind::Magnetic {
            wrong(cx, "conductor_charge", q.span(), "a conductor with a given charge belongs to model = \"electrostatics\"; in magnetostatics hold the pole at a magnetic potential with conductor_potential");
            return None;
        }
        let others = elec
            .iter()
            .find_map(|(k, s)| s.as_ref().map(|s| (k, s.clone())));
        if let Some((k, s)) = others {
            wrong(cx, k, s, &format!("a conductor (conductor_charge) has no `{k}`: its potential is uniform and the field inside it vanishes; remove one of the two"));
            return None;
        }
        let charge = cx.bounded(
            q,
            &format!("{key}.conductor_charge"),
            dims::CHARGE,
            MAX_PATCH_CHARGE,
            "a coulomb on an isolated body is far beyond the breakdown of air",
        )?;
        return Some(RegionMaterial::ChargedConductor { charge });
    }
    if let Some(v) = &r.conductor_potential {
        let others = elec
            .iter()
            .chain(mag.iter())
            .find_map(|(k, s)| s.as_ref().map(|s| (k, s.clone())));
        if let Some((k, s)) = others {
            wrong(cx, k, s, &format!("a conductor (conductor_potential) has no `{k}`: its potential is uniform and the field inside it vanishes; remove one of the two"));
            return None;
        }
        let potential = match kind {
            FieldKind::Electric => cx.bounded(
                v,
                &format!("{key}.conductor_potential"),
                dims::VOLTAGE,
                crate::scenario::MAX_POTENTIAL,
                "beyond the breakdown of any insulator",
            )?,
            FieldKind::Magnetic => cx.bounded(
                v,
                &format!("{key}.conductor_potential"),
                dims::CURRENT,
                MAX_MAGNETIC_POTENTIAL,
                "a magnetic scalar potential in ampere-turns",
            )?,
        };
        return Some(RegionMaterial::Conductor { potential });
    }
    let relative = match (kind, &r.permittivity, &r.permeability) {
        (FieldKind::Electric, Some(v), _) => {
            let k = format!("{key}.permittivity");
            let e = cx.quantity(v, &k, dims::DIMENSIONLESS)?;
            if !(1.0..=crate::scenario::MAX_PERMITTIVITY).contains(&e) {
                cx.push(
                    k,
                    format!("the relative permittivity must lie between 1 (vacuum: no medium polarizes less) and {:e}, got {}", crate::scenario::MAX_PERMITTIVITY, show(v)),
                    Some(v.span()),
                );
                return None;
            }
            e
        }
        (FieldKind::Magnetic, _, Some(v)) => {
            let k = format!("{key}.permeability");
            let e = cx.quantity(v, &k, dims::DIMENSIONLESS)?;
            if !(e > 0.0 && e <= MAX_PERMEABILITY) {
                cx.push(
                    k,
                    format!("the relative permeability must be positive (diamagnets lie just below 1) and at most {MAX_PERMEABILITY:e} (mu-metal about 1e5), got {}", show(v)),
                    Some(v.span()),
                );
                return None;
            }
            e
        }
        _ => 1.0,
    };
    let charge_density = match &r.charge_density {
        None => 0.0,
        Some(v) => cx.bounded(
            v,
            &format!("{key}.charge_density"),
            dims::CHARGE_DENSITY,
            MAX_CHARGE_DENSITY,
            "the conduction-electron charge of a metal is 1.6e10 C/m^3",
        )?,
    };
    let vector = |cx: &mut Ctx,
                  v: &Spanned<Vec<Spanned<Value>>>,
                  k: &str,
                  dim: Dim,
                  max: f64,
                  why: &str|
     -> Option<[f64; 3]> {
        let list = v.get_ref();
        if list.is_empty() || list.len() > 3 {
            cx.push(
                format!("{key}.{k}"),
                format!("`{k}` is a vector of 1 to 3 components in mesh coordinates (x, y, z; (r, z) in axisymmetric meshes), e.g. {k} = [0, \"{}\"]", if dim == dims::SURFACE_CHARGE { "0.1 C/m^2" } else { "1e6 A/m" }),
                Some(v.span()),
            );
            return None;
        }
        let mut out = [0.0; 3];
        for (c, x) in list.iter().enumerate() {
            out[c] = cx.bounded(x, &format!("{key}.{k}[{c}]"), dim, max, why)?;
        }
        Some(out)
    };
    let polarization = match kind {
        FieldKind::Electric => match &r.polarization {
            None => [0.0; 3],
            Some(v) => vector(
                cx,
                v,
                "polarization",
                dims::SURFACE_CHARGE,
                MAX_POLARIZATION,
                "ferroelectrics reach about 1 C/m^2",
            )?,
        },
        FieldKind::Magnetic => match &r.magnetization {
            None => [0.0; 3],
            Some(v) => vector(
                cx,
                v,
                "magnetization",
                PER_METRE_CURRENT,
                MAX_MAGNETIZATION,
                "iron saturates at 1.7e6 A/m",
            )?,
        },
    };
    Some(RegionMaterial::Medium {
        relative,
        charge_density,
        polarization,
    })
}

/// The condition of one `[[patch]]` on mesh patch `idx`.
pub(super) fn patch_condition(
    p: &RawPatch,
    key: &str,
    kind: FieldKind,
    geometry: &ScenarioGeometry,
    idx: usize,
    cx: &mut Ctx,
) -> Option<PatchCondition> {
    let given: Vec<(&str, std::ops::Range<usize>)> = [
        ("potential", p.potential.as_ref().map(|v| v.span())),
        (
            "surface_charge",
            p.surface_charge.as_ref().map(|v| v.span()),
        ),
        ("charge", p.charge.as_ref().map(|v| v.span())),
        ("natural", p.natural.as_ref().map(|v| v.span())),
    ]
    .into_iter()
    .filter_map(|(k, s)| s.map(|s| (k, s)))
    .collect();
    for (k, s) in [
        ("field", p.field.as_ref().map(|v| v.span())),
        ("inclusion", p.inclusion.as_ref().map(|v| v.span())),
    ] {
        if let Some(s) = s {
            cx.push(
                format!("{key}.{k}"),
                format!("`{k}` belongs to potential = \"uniform_field\"; remove it or set that potential"),
                Some(s),
            );
            return None;
        }
    }
    if given.len() != 1 {
        cx.push(
            key,
            format!(
                "give exactly one of potential, surface_charge, charge or natural = true for patch \"{}\"{}",
                p.name.get_ref(),
                if given.is_empty() { String::new() } else { format!(" (found {})", given.iter().map(|g| g.0).collect::<Vec<_>>().join(", ")) }
            ),
            Some(p.name.span()),
        );
        return None;
    }
    if kind == FieldKind::Magnetic && (p.surface_charge.is_some() || p.charge.is_some()) {
        cx.push(
            format!("{key}.{}", given[0].0),
            "magnetostatics has no free magnetic charge (div B = 0): a patch takes potential (the magnetic scalar potential, A) or natural = true",
            Some(given[0].1.clone()),
        );
        return None;
    }
    if let Some(v) = &p.potential {
        let x = match kind {
            FieldKind::Electric => cx.bounded(
                v,
                &format!("{key}.potential"),
                dims::VOLTAGE,
                crate::scenario::MAX_POTENTIAL,
                "beyond the breakdown of any insulator",
            )?,
            FieldKind::Magnetic => cx.bounded(
                v,
                &format!("{key}.potential"),
                dims::CURRENT,
                MAX_MAGNETIC_POTENTIAL,
                "a magnetic scalar potential in ampere-turns",
            )?,
        };
        return Some(PatchCondition::Potential(x));
    }
    if let Some(v) = &p.surface_charge {
        let s = cx.bounded(
            v,
            &format!("{key}.surface_charge"),
            dims::SURFACE_CHARGE,
            crate::scenario::MAX_SURFACE_CHARGE,
            "one charge per 0.08 nm^2, denser than any ion monolayer",
        )?;
        return Some(PatchCondition::SurfaceCharge(s));
    }
    if let Some(v) = &p.charge {
        let q = cx.bounded(
            v,
            &format!("{key}.charge"),
            dims::CHARGE,
            MAX_PATCH_CHARGE,
            "a coulomb on an isolated body is far above any breakdown",
        )?;
        let area = geometry.patch_area(idx);
        if area.is_nan() || area <= 0.0 {
            cx.push(
                format!("{key}.charge"),
                format!(
                    "patch \"{}\" has zero area (the axis?): it cannot carry a charge",
                    p.name.get_ref()
                ),
                Some(v.span()),
            );
            return None;
        }
        let sigma = q / area;
        if sigma.abs() > crate::scenario::MAX_SURFACE_CHARGE {
            cx.push(format!("{key}.charge"), format!("{} spread over the {area:e} m^2 of patch \"{}\" is {sigma:e} C/m^2, above {} C/m^2 (denser than any ion monolayer); check the unit", show(v), p.name.get_ref(), crate::scenario::MAX_SURFACE_CHARGE), Some(v.span()));
            return None;
        }
        return Some(PatchCondition::SurfaceCharge(sigma));
    }
    Some(PatchCondition::Natural)
}

/// `potential = "uniform_field"` on a patch: the value `"uniform_field"` if given.
pub(super) fn uniform_field(p: &RawPatch) -> Option<&Spanned<Value>> {
    p.potential
        .as_ref()
        .filter(|v| matches!(v.get_ref(), Value::String(s) if s == "uniform_field"))
}

/// A patch held at the exact potential of a uniform applied field `E0` (`H0`) along `x`
/// (2D Cartesian) or `z` (axisymmetric and 3D), perturbed by one round `inclusion` (a circle
/// in 2D, a sphere otherwise) of relative coefficient `k_i` and fixed polarization `P`
/// (magnetization `M`) along the field, in a background `k_o`: outside the inclusion
///
/// ```text
/// 2D (cylinder): u = -E0 x + D x / rho^2,  D = a^2 (E0 - E_in),  E_in = (2 k_o E0 - P') / (k_i + k_o)
/// 3D (sphere):   u = -E0 z + D z / R^3,    D = a^3 (E0 - E_in),  E_in = (3 k_o E0 - P') / (k_i + 2 k_o)
/// ```
///
/// with `x`, `z` measured from the centre, `P' = P / eps0` (electrostatics) or `M`
/// (magnetostatics), and `E_in` the uniform field inside (Jackson, Classical
/// Electrodynamics, 3rd ed., sec. 4.4 and problem 4.10; sec. 5.10-5.12 for `H`). Without
/// `inclusion`, `u = -E0 x` (or `-E0 z`). On a finite outer boundary this makes the
/// truncated problem exact, so the error is the discretization error alone.
pub(super) struct UniformField<'a> {
    /// The patch table.
    pub raw: &'a RawPatch,
    /// Its `potential` value (`"uniform_field"`).
    pub potential: &'a Spanned<Value>,
    /// `patch[i]`.
    pub key: &'a str,
    /// Electric or magnetic.
    pub kind: FieldKind,
    /// The region materials.
    pub materials: &'a [RegionMaterial],
}

impl UniformField<'_> {
    /// The condition, with the node values written into `node_potential` (sized to the
    /// mesh, NaN elsewhere).
    pub(super) fn apply(
        &self,
        g: &ScenarioGeometry,
        idx: usize,
        node_potential: &mut Vec<f64>,
        cx: &mut Ctx,
    ) -> Option<PatchCondition> {
        let (p, key) = (self.raw, self.key);
        let span = Some(self.potential.span());
        for (k, s) in [
            (
                "surface_charge",
                p.surface_charge.as_ref().map(|v| v.span()),
            ),
            ("charge", p.charge.as_ref().map(|v| v.span())),
            ("natural", p.natural.as_ref().map(|v| v.span())),
        ] {
            if let Some(s) = s {
                cx.push(
                    format!("{key}.{k}"),
                    format!("potential = \"uniform_field\" fixes the potential; remove `{k}`"),
                    Some(s),
                );
                return None;
            }
        }
        let (dim, unit) = match self.kind {
            FieldKind::Electric => (dims::FIELD, "1e5 V/m"),
            FieldKind::Magnetic => (PER_METRE_CURRENT, "1e3 A/m"),
        };
        let Some(fv) = &p.field else {
            cx.push(
                key,
                format!("potential = \"uniform_field\" needs the applied field, e.g. field = \"{unit}\" (along x in 2D, along z in (r, z) and 3D), and optionally inclusion = \"<region>\""),
                span,
            );
            return None;
        };
        let e0 = cx.bounded(
            fv,
            &format!("{key}.field"),
            dim,
            1e12,
            "far beyond any dielectric breakdown or magnet",
        )?;
        let (axis, three_d) = match g.kind {
            MeshKind::Cartesian2d => (0, false),
            MeshKind::Axisymmetric => (1, true),
            MeshKind::Cartesian3d => (2, true),
            other => {
                cx.push(
                    key,
                    format!(
                        "potential = \"uniform_field\" needs a 2D, axisymmetric or 3D mesh, not {}",
                        other.name()
                    ),
                    span,
                );
                return None;
            }
        };
        let medium = |m: RegionMaterial| match m {
            RegionMaterial::Medium {
                relative,
                polarization,
                ..
            } => Some((relative, polarization)),
            _ => None,
        };
        let Some((k_o, p_o)) = medium(self.materials[g.background as usize]) else {
            cx.push(
                key,
                "potential = \"uniform_field\" needs a background medium, not a conductor",
                span,
            );
            return None;
        };
        if p_o != [0.0; 3] {
            cx.push(key, "potential = \"uniform_field\" needs a background without fixed polarization or magnetization", span);
            return None;
        }
        let scale = match self.kind {
            FieldKind::Electric => crate::constants::VACUUM_PERMITTIVITY,
            FieldKind::Magnetic => 1.0,
        };
        // (centre, radius, dipole D); D = 0 without an inclusion.
        let mut dipole = ([0.0; 3], 0.0, 0.0);
        if let Some(inc) = &p.inclusion {
            let name = inc.get_ref();
            let found = g
                .mesh
                .regions()
                .iter()
                .position(|n| n == name)
                .and_then(|r| {
                    g.shapes
                        .iter()
                        .find(|(k, _)| *k as usize == r)
                        .map(|(_, s)| (r, s))
                });
            let Some((r, shape)) = found else {
                cx.push(
                    format!("{key}.inclusion"),
                    format!(
                        "no painted region is named \"{name}\"; the regions are {}",
                        g.mesh.regions()[1..].join(", ")
                    ),
                    Some(inc.span()),
                );
                return None;
            };
            let Some((centre, a)) = shape.round else {
                cx.push(format!("{key}.inclusion"), format!("region \"{name}\" is a {}: the exact field is known for a circle (2D) or a sphere", shape.kind), Some(inc.span()));
                return None;
            };
            let Some((k_i, p_i)) = medium(self.materials[r]) else {
                cx.push(format!("{key}.inclusion"), format!("region \"{name}\" is a conductor: give it a permittivity (permeability) instead"), Some(inc.span()));
                return None;
            };
            if (0..3).any(|c| c != axis && p_i[c] != 0.0) {
                cx.push(format!("{key}.inclusion"), format!("the polarization (magnetization) of \"{name}\" must lie along the applied field (x in 2D, z in (r, z) and 3D)"), Some(inc.span()));
                return None;
            }
            let pp = p_i[axis] / scale;
            let d = if three_d {
                a.powi(3) * (e0 - (3.0 * k_o * e0 - pp) / (k_i + 2.0 * k_o))
            } else {
                a * a * (e0 - (2.0 * k_o * e0 - pp) / (k_i + k_o))
            };
            dipole = (centre, a, d);
        }
        let n = g.mesh.nodes();
        if node_potential.is_empty() {
            *node_potential = vec![f64::NAN; n];
        }
        let (c, a, d) = dipole;
        for pf in g
            .mesh
            .patch_faces()
            .iter()
            .filter(|f| f.patch as usize == idx)
        {
            let i = pf.node as usize;
            let e = g.kind.embed(g.mesh.position(i));
            let x = [e[0] - c[0], e[1] - c[1], e[2] - c[2]];
            let (along, rr) = if three_d {
                (x[2], (x[0] * x[0] + x[1] * x[1] + x[2] * x[2]).sqrt())
            } else {
                (x[0], x[0].hypot(x[1]))
            };
            if d != 0.0 && rr <= a {
                cx.push(key, format!("the patch crosses the inclusion (a node at {rr:e} m from its centre, radius {a:e} m): the exterior solution holds outside it only"), span);
                return None;
            }
            let dip = if d == 0.0 {
                0.0
            } else if three_d {
                d * along / rr.powi(3)
            } else {
                d * along / (rr * rr)
            };
            node_potential[i] = -e0 * along + dip;
        }
        Some(PatchCondition::NodePotential)
    }
}
