//! How many files the commands that walk trees keep in flight by default: the library's
//! [`DEFAULT_JOBS`](s3op::transfer::jobs::DEFAULT_JOBS), within the process's open-file limit. Each
//! file in flight holds a connection and, for a local file, its descriptor; the soft limit is
//! first raised to the hard one (as Go programs such as s5cmd and rclone do when they start), and
//! a limit still too low for the default (`ulimit -n 256`) lowers it, instead of failing halfway
//! with "too many open files". An explicit `--jobs` is taken as given.

use s3op::transfer::jobs::DEFAULT_JOBS;

/// Descriptors kept for everything else: standard streams, the runtime, DNS, listings.
const RESERVED: u64 = 64;

/// The default `--jobs`: [`DEFAULT_JOBS`], or fewer when the open-file limit is low (two
/// descriptors a job, [`RESERVED`] kept), at least 1.
pub(super) fn default_jobs() -> usize {
    match open_file_limit() {
        Some(limit) => jobs_within(limit),
        None => DEFAULT_JOBS,
    }
}

fn jobs_within(limit: u64) -> usize {
    let fit = limit.saturating_sub(RESERVED) / 2;
    (fit.max(1)).min(DEFAULT_JOBS as u64) as usize
}

/// The soft open-file limit, raised to the hard limit first when it is lower.
#[cfg(unix)]
fn open_file_limit() -> Option<u64> {
    let mut limit = libc::rlimit {
        rlim_cur: 0,
        rlim_max: 0,
    };
    // SAFETY: getrlimit only writes the struct it is given, which lives for the call.
    if unsafe { libc::getrlimit(libc::RLIMIT_NOFILE, &mut limit) } != 0 {
        return None;
    }
    if limit.rlim_cur < limit.rlim_max {
        let raised = libc::rlimit {
            rlim_cur: limit.rlim_max,
            rlim_max: limit.rlim_max,
        };
        // SAFETY: setrlimit only reads the struct it is given. It fails (and nothing changes)
        // where the hard limit is beyond what the kernel allows, e.g. unlimited on macOS.
        if unsafe { libc::setrlimit(libc::RLIMIT_NOFILE, &raised) } == 0 {
            limit.rlim_cur = limit.rlim_max;
        }
    }
    // rlim_t is u64 on Linux and macOS, not on every unix.
    #[allow(clippy::unnecessary_cast)]
    Some(limit.rlim_cur as u64)
}

#[cfg(not(unix))]
fn open_file_limit() -> Option<u64> {
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_default_fits_the_open_file_limit() {
        assert_eq!(jobs_within(1_048_576), DEFAULT_JOBS);
        assert_eq!(jobs_within(1024), DEFAULT_JOBS);
        assert_eq!(jobs_within(256), 96);
        assert_eq!(jobs_within(64), 1);
        assert_eq!(jobs_within(0), 1);
    }
}
