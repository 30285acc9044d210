//! Block kernels of the block-tridiagonal LU: scales, pivoted inversion, products; dense
//! `b x b` blocks, and compressed off-diagonal blocks given by their entries `[r, c]`.

/// Row scales `1 / max |a_rc|` of block row `k` into `out`: over the dense diagonal block
/// `d` and the compressed off-diagonal blocks `l` and `u` (entries `ent`). `Err(row)`
/// (global, for block row `k`) at a zero or non-finite row.
#[inline(always)]
pub(super) fn row_scales(
    b: usize,
    k: usize,
    (l, d, u): (&[f64], &[f64], &[f64]),
    ent: &[[u8; 2]],
    out: &mut [f64],
) -> Result<(), usize> {
    for r in 0..b {
        let mut m = 0.0f64;
        for c in 0..b {
            m = m.max(d[r * b + c].abs());
        }
        out[r] = m;
    }
    for (e, &[r, _]) in ent.iter().enumerate() {
        let r = r as usize;
        out[r] = out[r].max(l[e].abs()).max(u[e].abs());
    }
    for (r, o) in out[..b].iter_mut().enumerate() {
        if *o == 0.0 || !o.is_finite() {
            return Err(k * b + r);
        }
        *o = 1.0 / *o;
    }
    Ok(())
}

/// `out[c] = max(out[c], |a_rc| rs[r])` over the compressed block `a` (entries `ent`).
#[inline(always)]
pub(super) fn column_maxima_sparse(a: &[f64], ent: &[[u8; 2]], rs: &[f64], out: &mut [f64]) {
    for (e, &[r, c]) in ent.iter().enumerate() {
        let (r, c) = (r as usize, c as usize);
        out[c] = out[c].max(a[e].abs() * rs[r]);
    }
}

/// `s -= l x` for the compressed block `l` (entries `ent`) and the dense `b x b` block `x`.
#[inline(always)]
pub(super) fn schur_update_sparse(b: usize, s: &mut [f64], l: &[f64], ent: &[[u8; 2]], x: &[f64]) {
    for (e, &[r, m]) in ent.iter().enumerate() {
        let (r, m, v) = (r as usize, m as usize, l[e]);
        for c in 0..b {
            s[r * b + c] -= v * x[m * b + c];
        }
    }
}

/// `out -= a v` for the compressed block `a` (entries `ent`).
#[inline(always)]
pub(super) fn sparse_vec_sub(a: &[f64], ent: &[[u8; 2]], v: &[f64], out: &mut [f64]) {
    for (e, &[r, c]) in ent.iter().enumerate() {
        out[r as usize] -= a[e] * v[c as usize];
    }
}

/// `out[c] = max(out[c], max_r |a_rc| rs[r])` over the row-major `b x b` block `a`.
#[inline(always)]
pub(super) fn column_maxima(b: usize, a: &[f64], rs: &[f64], out: &mut [f64]) {
    for r in 0..b {
        for c in 0..b {
            out[c] = out[c].max(a[r * b + c].abs() * rs[r]);
        }
    }
}

/// Invert the row-major `b x b` block `a` (destroyed) into `inv` by LU with partial
/// pivoting (`piv` scratch). `Err(col)` at a zero pivot.
#[inline(always)]
pub(super) fn invert_block(
    b: usize,
    a: &mut [f64],
    inv: &mut [f64],
    piv: &mut [f64],
) -> Result<(), usize> {
    for c in 0..b {
        let mut p = c;
        let mut m = a[c * b + c].abs();
        for r in c + 1..b {
            let v = a[r * b + c].abs();
            if v > m {
                (m, p) = (v, r);
            }
        }
        piv[c] = p as f64;
        if m == 0.0 || !m.is_finite() {
            return Err(c);
        }
        if p != c {
            for j in 0..b {
                a.swap(c * b + j, p * b + j);
            }
        }
        let inv_p = 1.0 / a[c * b + c];
        // Keep the reciprocal of the pivot on the diagonal (the back substitution multiplies).
        a[c * b + c] = inv_p;
        for r in c + 1..b {
            let l = a[r * b + c] * inv_p;
            a[r * b + c] = l;
            if l != 0.0 {
                for j in c + 1..b {
                    a[r * b + j] -= l * a[c * b + j];
                }
            }
        }
    }
    // inv = U^{-1} L^{-1} P: columns of the identity through the row exchanges.
    inv[..b * b].fill(0.0);
    for r in 0..b {
        inv[r * b + r] = 1.0;
    }
    for c in 0..b {
        let p = piv[c] as usize;
        if p != c {
            for j in 0..b {
                inv.swap(c * b + j, p * b + j);
            }
        }
    }
    for r in 1..b {
        for c in 0..r {
            let l = a[r * b + c];
            if l != 0.0 {
                for j in 0..b {
                    inv[r * b + j] -= l * inv[c * b + j];
                }
            }
        }
    }
    for r in (0..b).rev() {
        for c in r + 1..b {
            let u = a[r * b + c];
            if u != 0.0 {
                for j in 0..b {
                    inv[r * b + j] -= u * inv[c * b + j];
                }
            }
        }
        let d = a[r * b + r];
        for j in 0..b {
            inv[r * b + j] *= d;
        }
    }
    Ok(())
}

/// The dense row-major `b x b` block `out` of the compressed block `a` (entries `ent`).
/// Off the critical path of the recurrences (it depends on the matrix only), so that their
/// products run on dense blocks in registers.
#[inline(always)]
pub(super) fn expand(b: usize, a: &[f64], ent: &[[u8; 2]], out: &mut [f64]) {
    out[..b * b].fill(0.0);
    for (&v, &[r, c]) in a.iter().zip(ent) {
        out[r as usize * b + c as usize] = v;
    }
}

/// `s -= l x` for row-major `b x b` blocks.
#[inline(always)]
pub(super) fn schur_update(b: usize, s: &mut [f64], l: &[f64], x: &[f64]) {
    for r in 0..b {
        for m in 0..b {
            let lrm = l[r * b + m];
            if lrm != 0.0 {
                for c in 0..b {
                    s[r * b + c] -= lrm * x[m * b + c];
                }
            }
        }
    }
}

/// `out = d u` for row-major `b x b` blocks.
#[inline(always)]
pub(super) fn mat_mul(b: usize, d: &[f64], u: &[f64], out: &mut [f64]) {
    for r in 0..b {
        for c in 0..b {
            let mut v = 0.0;
            for m in 0..b {
                v += d[r * b + m] * u[m * b + c];
            }
            out[r * b + c] = v;
        }
    }
}

/// `out = a v` for a row-major `b x b` block.
#[inline(always)]
pub(super) fn mat_vec(b: usize, a: &[f64], v: &[f64], out: &mut [f64]) {
    for r in 0..b {
        let mut s = 0.0;
        for c in 0..b {
            s += a[r * b + c] * v[c];
        }
        out[r] = s;
    }
}

/// `out -= a v` for a row-major `b x b` block.
#[inline(always)]
pub(super) fn mat_vec_sub(b: usize, a: &[f64], v: &[f64], out: &mut [f64]) {
    for r in 0..b {
        let mut s = 0.0;
        for c in 0..b {
            s += a[r * b + c] * v[c];
        }
        out[r] -= s;
    }
}

/// Equilibrate the Schur complement `s` (destroyed) with the row scales `rs` and the
/// inverted column scales `cs`, invert it with pivoting and unscale into `out`:
/// `S^{-1} = C (R S C)^{-1} R`. `Err(col)` at a zero pivot.
#[inline(always)]
pub(super) fn equilibrated_inverse(
    b: usize,
    s: &mut [f64],
    inv: &mut [f64],
    piv: &mut [f64],
    (rs, cs): (&[f64], &[f64]),
    out: &mut [f64],
) -> Result<(), usize> {
    for r in 0..b {
        for c in 0..b {
            s[r * b + c] *= rs[r] * cs[c];
        }
    }
    invert_block(b, s, inv, piv)?;
    for r in 0..b {
        for c in 0..b {
            out[r * b + c] = cs[r] * inv[r * b + c] * rs[c];
        }
    }
    Ok(())
}
