//! Settings of glibc's allocator that stop the server's memory climbing in
//! 19 MiB steps under load. Measured with `malloc_stats` under `make soak`
//! (README, Soak): the memory in use stayed about 20 MB while the memory
//! held grew. The Rust heap is mimalloc's now (`main.rs`); glibc's malloc
//! still serves the C code, SQLite above all, on its connection threads.

/// mimalloc's `mi_option_purge_delay`: the 16th entry of `mi_option_e` in
/// mimalloc.h (v3, as bundled by libmimalloc-sys 0.1.49); the Rust
/// bindings name no constant for it. A test checks its default (1000 ms,
/// `src/options.c`).
const MI_OPTION_PURGE_DELAY: libmimalloc_sys::mi_option_t = 15;

/// Applies the settings; call once at start-up, before serving.
///
/// - mimalloc gives freed memory back to the system at once rather than
///   after a second (its v3 default): under `make soak` the server's
///   memory peaked at 130 MB with the delay (each sign-in's 19 MiB argon2
///   block lingered) and at 74 MB without it, at the same throughput.
///
/// - A fixed mmap threshold of 1 MiB: each password hash's 19 MiB argon2
///   block gets pages of its own and gives them back when the hash is done.
///   glibc otherwise raises its threshold to the size of the first large
///   block freed, after which every argon2 block comes from the arena of
///   whichever thread hashed, and each arena keeps its freed 19 MiB: the
///   memory climbed in 19 MiB steps as sign-ins reached new arenas.
/// - At most one arena per CPU (glibc allows eight per CPU): the tokio
///   workers, the blocking pool and SQLite's connection threads otherwise
///   spread their short-lived allocations over many arenas, each of which
///   keeps its own free memory.
pub fn configure() {
    // SAFETY: sets one integer option of mimalloc; it takes any value.
    unsafe { libmimalloc_sys::mi_option_set(MI_OPTION_PURGE_DELAY, 0) };
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    {
        let cpus = std::thread::available_parallelism().map_or(1, std::num::NonZeroUsize::get);
        let arenas = libc::c_int::try_from(cpus).unwrap_or(libc::c_int::MAX);
        for (setting, value, name) in [
            (
                libc::M_MMAP_THRESHOLD,
                1024 * 1024,
                "a fixed mmap threshold",
            ),
            (libc::M_ARENA_MAX, arenas, "an arena limit"),
        ] {
            // SAFETY: mallopt only reads its two integer arguments and changes
            // an allocator setting; it returns 0 when it refuses the value.
            if unsafe { libc::mallopt(setting, value) } == 0 {
                tracing::warn!("the allocator refused {name}");
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_purge_delay_option_is_the_one_mimalloc_documents() {
        // SAFETY: reads one integer option.
        let value = unsafe { libmimalloc_sys::mi_option_get(MI_OPTION_PURGE_DELAY) };
        assert!(
            value == 1000 || value == 0,
            "option {MI_OPTION_PURGE_DELAY} is {value}: not the purge delay (1000 ms by default)"
        );
    }
}
