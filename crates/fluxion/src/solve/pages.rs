//! Large zeroed buffers on transparent huge pages.
//!
//! A solver's arrays at 1e6 unknowns are tens to hundreds of megabytes, allocated fresh
//! for every solve (the allocator maps them from the kernel and unmaps them when freed), so
//! their first touch costs one page fault per 4 KiB page: at 1e6 nodes of the 1D
//! benchmark about 60,000 faults and a seventh of the CPU time (`perf`, 2026-12-07). On
//! Linux, where transparent huge pages are enabled for regions that ask for them
//! (`/sys/kernel/mm/transparent_hugepage/enabled` = `madvise` or `always`), [`zeroed`]
//! asks for them with `madvise(MADV_HUGEPAGE)` before the buffer is touched: one fault per
//! 2 MiB. Elsewhere, or when the kernel refuses, it is a plain zeroed `Vec`.

/// Buffers from this many bytes are put on huge pages (below, the 2 MiB pages would not
/// fill).
const HUGE_MIN_BYTES: usize = 8 << 20;

/// `n` zeros, on transparent huge pages where the kernel offers them (module docs).
pub fn zeroed(n: usize) -> Vec<f64> {
    let v = vec![0.0f64; n];
    if n * 8 >= HUGE_MIN_BYTES {
        advise_huge(&v);
    }
    v
}

/// `f(0), .., f(n - 1)` in a buffer from [`zeroed`].
pub fn from_fn(n: usize, f: impl Fn(usize) -> f64) -> Vec<f64> {
    let mut v = zeroed(n);
    for (i, x) in v.iter_mut().enumerate() {
        *x = f(i);
    }
    v
}

#[cfg(target_os = "linux")]
fn advise_huge(v: &[f64]) {
    const HUGE: usize = 2 << 20;
    let start = v.as_ptr() as usize;
    let end = start + std::mem::size_of_val(v);
    // The 2 MiB-aligned part of the buffer (`madvise` needs a page-aligned start).
    let (a, b) = (start.next_multiple_of(HUGE), end / HUGE * HUGE);
    if b > a {
        // SAFETY: `[a, b)` lies inside the live allocation of `v`; MADV_HUGEPAGE changes
        // only how the kernel backs the pages (their contents stay zero), and a failure
        // (no THP support) leaves the memory as it was.
        unsafe {
            libc::madvise(a as *mut libc::c_void, b - a, libc::MADV_HUGEPAGE);
        }
    }
}

#[cfg(not(target_os = "linux"))]
fn advise_huge(_v: &[f64]) {}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn from_fn_fills_in_order() {
        for n in [0usize, 3, (8 << 20) / 8 + 1] {
            let v = from_fn(n, |i| i as f64);
            assert!(v.iter().enumerate().all(|(i, x)| *x == i as f64));
        }
    }

    #[test]
    fn zeroed_buffers_are_zero_and_writable() {
        for n in [0usize, 5, (8 << 20) / 8 + 3] {
            let mut v = zeroed(n);
            assert_eq!(v.len(), n);
            assert!(v.iter().all(|x| *x == 0.0));
            if n > 0 {
                v[n - 1] = 1.0;
                assert_eq!(v[n - 1], 1.0);
            }
        }
    }
}
