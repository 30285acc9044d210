//! `[fixed_field]`: a given uniform field for the fixed-field closure of a PNP scenario.

use toml::Spanned;

use super::{Closure, MeshKind, PatchConditions, PotentialCondition, RawFixedField};
use crate::scenario::{show, Ctx};
use crate::units::dims;

/// Largest uniform field, V/m (dielectric breakdown of water is about 7e7 V/m).
pub const MAX_FIELD: f64 = 1e9;

/// The uniform field of `[fixed_field]`: `(E, unit direction)` in mesh coordinates, the
/// potential being `phi(x) = -E (d . x)` (0 at the origin). `direction` has one number per
/// mesh axis (default: the first axis; in `(r, z)` only `[0, 1]`, the axis, is uniform).
pub(super) fn uniform_field(
    f: &Spanned<RawFixedField>,
    closure: Option<Closure>,
    kind: MeshKind,
    patches: &[PatchConditions],
    patch_names: &[String],
    cx: &mut Ctx,
) -> Option<(f64, [f64; 3])> {
    let raw = f.get_ref();
    let mut ok = true;
    if closure.is_some_and(|c| c != Closure::FixedField) {
        cx.push(
            "fixed_field",
            "a [fixed_field] table sets the potential, so it needs closure = \"fixed_field\": add that closure, or remove the table",
            Some(f.span()),
        );
        ok = false;
    }
    for (i, c) in patches.iter().enumerate() {
        if matches!(
            c.potential,
            PotentialCondition::Potential(_) | PotentialCondition::SurfaceCharge(_)
        ) {
            cx.push(
                "fixed_field",
                format!("patch \"{}\" has a potential or surface charge, which the uniform field of [fixed_field] replaces everywhere: remove it from the patch, or remove [fixed_field] to use the Laplace field of the patch potentials", patch_names[i]),
                Some(f.span()),
            );
            ok = false;
        }
    }
    let e = match cx.quantity(&raw.field, "fixed_field.field", dims::FIELD) {
        Some(e) if e.is_finite() && e.abs() <= MAX_FIELD => Some(e),
        Some(e) => {
            cx.push(
                "fixed_field.field",
                format!("{} ({e:e} V/m) is beyond {MAX_FIELD:e} V/m in magnitude; check the unit, e.g. field = \"1 kV/m\"", show(&raw.field)),
                Some(raw.field.span()),
            );
            None
        }
        None => None,
    };
    let dim = match kind {
        MeshKind::Planar | MeshKind::Cylindrical | MeshKind::Spherical => 1,
        MeshKind::Cartesian2d | MeshKind::Axisymmetric => 2,
        MeshKind::Cartesian3d => 3,
    };
    let radial = matches!(kind, MeshKind::Cylindrical | MeshKind::Spherical);
    let mut d = [0.0; 3];
    match &raw.direction {
        None if kind == MeshKind::Axisymmetric => d[1] = 1.0,
        None => d[0] = 1.0,
        Some(list) => {
            let v = list.get_ref();
            if v.len() != dim {
                cx.push(
                    "fixed_field.direction",
                    format!("{} numbers for a mesh with {dim} axes: give one per axis, e.g. direction = [{}]", v.len(), ["1", "0", "0"][..dim].join(", ")),
                    Some(list.span()),
                );
                ok = false;
            } else {
                for (a, x) in v.iter().enumerate() {
                    match cx.number(
                        x,
                        &format!("fixed_field.direction[{a}]"),
                        "direction = [1, 0]",
                    ) {
                        Some(c) if c.is_finite() && c.abs() <= 1e6 => d[a] = c,
                        Some(c) => {
                            cx.push(format!("fixed_field.direction[{a}]"), format!("{c} is not a finite component of at most 1e6 in magnitude; give a direction such as [1, 0]"), Some(x.span()));
                            ok = false;
                        }
                        None => ok = false,
                    }
                }
                let norm = d.iter().map(|c| c * c).sum::<f64>().sqrt();
                if ok && norm == 0.0 {
                    cx.push(
                        "fixed_field.direction",
                        "the direction is the zero vector: give e.g. direction = [1, 0]",
                        Some(list.span()),
                    );
                    ok = false;
                } else if ok {
                    d.iter_mut().for_each(|c| *c /= norm);
                }
            }
        }
    }
    if ok && radial {
        cx.push(
            "fixed_field",
            "a uniform field along the radius of a 1D cylindrical or spherical mesh is not uniform in space (it would be a line or point source): use a planar mesh, or the Laplace field of the patch potentials (remove [fixed_field])",
            Some(f.span()),
        );
        ok = false;
    }
    if ok && kind == MeshKind::Axisymmetric && d[0] != 0.0 {
        cx.push(
            "fixed_field.direction",
            "in (r, z) a uniform field must point along the axis: direction = [0, 1] (or [0, -1])",
            raw.direction.as_ref().map(|l| l.span()),
        );
        ok = false;
    }
    match (ok, e) {
        (true, Some(e)) => Some((e, d)),
        _ => None,
    }
}
