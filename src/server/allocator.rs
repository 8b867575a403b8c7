//! Settings of glibc's allocator that stop the server's memory climbing in
//! 19 MiB steps under load. Measured with `malloc_stats` under `make soak`
//! (README, Soak): the memory in use stayed about 20 MB while the memory
//! held grew.

/// Applies both settings; call once at start-up, before serving.
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
