//! Allocation counts of the 1D electrodiffusion model's Newton iterations, with a counting
//! global allocator over all threads (the solver's pool threads included; the file holds
//! one test, so that no other test allocates meanwhile): once the workspace exists, a whole steady Newton solve (assembly of residual
//! and Jacobian through the general assembler, block-tridiagonal factorization, solves,
//! line search) allocates nothing.

use fluxion::models::electrodiffusion::{pnp_benchmark, Electrodiffusion};
use fluxion::solve::{newton, NewtonOptions, NewtonWorkspace, NonlinearSystem};
use std::alloc::{GlobalAlloc, Layout, System};
use std::sync::atomic::{AtomicUsize, Ordering};

struct Counting;

static COUNT: AtomicUsize = AtomicUsize::new(0);

unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        COUNT.fetch_add(1, Ordering::SeqCst);
        unsafe { System.alloc(layout) }
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        unsafe { System.dealloc(ptr, layout) }
    }
    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        COUNT.fetch_add(1, Ordering::SeqCst);
        unsafe { System.realloc(ptr, layout, new_size) }
    }
}

#[global_allocator]
static GLOBAL: Counting = Counting;

/// Allocations made while `f` runs, on any thread.
fn counted<R>(f: impl FnOnce() -> R) -> (R, usize) {
    let c0 = COUNT.load(Ordering::SeqCst);
    let r = f();
    (r, COUNT.load(Ordering::SeqCst) - c0)
}

/// The benchmark cell (2 species, Poisson, Debye length 1% of the cell, 2 V_T) on 400
/// nodes: the second Newton solve from the linear guess, with the workspace of the first,
/// makes no allocation in any of its iterations; and so do a residual and a Jacobian
/// evaluation on their own.
#[test]
fn newton_on_the_1d_model_allocates_nothing_once_warm() {
    // The test thread joins the pool: a `rayon::join` from a thread outside the pool (the
    // CLI's main thread) injects its job into the pool's shared queue, which allocates one
    // block per 63 jobs (rayon's, not the solver's: about one per Newton solve at 1e6
    // nodes); from a worker, a join pushes to the thread's own deque and allocates nothing.
    // (Making the CLI's main thread a worker was tried: the other worker then often slept
    // through a join's second half, and `bench --nodes 1e6` took 0.84 s instead of 0.56 s.)
    rayon::ThreadPoolBuilder::new()
        .num_threads(2)
        .use_current_thread()
        .build_global()
        .unwrap();
    let mut model = Electrodiffusion::new(pnp_benchmark(400, 0.01, 2.0)).unwrap();
    let mut ws = NewtonWorkspace::for_system(&model);
    let opts = NewtonOptions::default();
    let mut x = model.initial_guess();
    let first = newton(&mut model, &mut x, &mut ws, &opts).unwrap();
    let mut y = model.initial_guess();
    let (second, allocations) = counted(|| newton(&mut model, &mut y, &mut ws, &opts));
    let second = second.unwrap();
    assert!(second.iterations >= 3, "{second:?}");
    assert_eq!(second, first, "the same iterations from the same guess");
    assert_eq!(x, y);
    assert_eq!(
        allocations, 0,
        "{allocations} allocations in {} Newton iterations",
        second.iterations
    );
    let mut r = vec![0.0; model.dim()];
    let ((), allocations) = counted(|| model.residual(&y, &mut r));
    assert_eq!(allocations, 0, "residual: {allocations} allocations");
    let ((), allocations) = counted(|| {
        let m = ws.solver.matrix();
        m.clear();
        model.jacobian(&y, m, &mut r)
    });
    assert_eq!(allocations, 0, "Jacobian: {allocations} allocations");
    threaded_newton_with_kept_factors_allocates_nothing_once_warm();
}

/// The same on 1e5 nodes, where the assembly runs in two halves, the factorization and the
/// solves in two chains on two threads (`rayon::join`), and Newton keeps its factors while
/// they contract (the steady default): nothing is allocated on any thread.
fn threaded_newton_with_kept_factors_allocates_nothing_once_warm() {
    let mut model = Electrodiffusion::new(pnp_benchmark(100_000, 0.01, 2.0)).unwrap();
    let mut ws = NewtonWorkspace::for_system(&model);
    let opts = NewtonOptions {
        jacobian_reuse: 0.25,
        ..NewtonOptions::default()
    };
    let mut x = model.initial_guess();
    let first = newton(&mut model, &mut x, &mut ws, &opts).unwrap();
    assert!(first.factorizations < first.iterations, "{first:?}");
    ws.forget_factors();
    let mut y = model.initial_guess();
    let (second, allocations) = counted(|| newton(&mut model, &mut y, &mut ws, &opts));
    assert_eq!(second.unwrap(), first);
    assert_eq!(x, y);
    assert_eq!(allocations, 0, "{allocations} allocations");
}
