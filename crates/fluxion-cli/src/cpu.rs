//! CPU time of the process, for the benchmarks.

/// CPU time of this process, s: user and system time of all its threads, those that have
/// exited included (`clock_gettime(CLOCK_PROCESS_CPUTIME_ID)`, nanosecond resolution). On a
/// loaded machine the wall time measures the machine, this the program. NaN where the clock
/// is missing.
pub fn process_cpu_s() -> f64 {
    #[cfg(unix)]
    {
        let mut ts = libc::timespec {
            tv_sec: 0,
            tv_nsec: 0,
        };
        // SAFETY: `ts` is a valid timespec that the call writes and nothing else holds.
        let rc = unsafe { libc::clock_gettime(libc::CLOCK_PROCESS_CPUTIME_ID, &mut ts) };
        if rc == 0 {
            return ts.tv_sec as f64 + ts.tv_nsec as f64 * 1e-9;
        }
    }
    f64::NAN
}

#[cfg(test)]
mod tests {
    /// The clock runs with the work of this thread and of threads that have exited.
    #[cfg(unix)]
    #[test]
    fn counts_this_thread_and_exited_threads() {
        let spin = || {
            let t = std::time::Instant::now();
            let mut x = 0u64;
            while t.elapsed().as_secs_f64() < 0.05 {
                x = std::hint::black_box(x.wrapping_add(1));
            }
        };
        let c0 = super::process_cpu_s();
        spin();
        std::thread::spawn(spin).join().unwrap();
        let used = super::process_cpu_s() - c0;
        assert!(used >= 0.09, "{used} s of CPU for 0.1 s of spinning");
    }
}
