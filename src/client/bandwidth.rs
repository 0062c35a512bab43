//! A bandwidth limit for one client and its clones: a token bucket that every body chunk sent and
//! every chunk of a streamed answer passes through, so all the files and parts of a transfer share
//! one rate (`s3op --bwlimit 10MiB`). A chunk waits before it moves, until the bytes granted
//! before it and its own would have drained at the rate, less a short burst (a tenth of a second
//! of traffic) that an idle bucket may let through at once, never more. The clock is tokio's, so
//! tests can pause it.

use std::num::NonZeroU64;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::time::Instant;

/// How much an idle bucket can save up: this long at the full rate.
const BURST: Duration = Duration::from_millis(100);

/// A shared bandwidth limit: bytes per second across everything that holds a clone of it.
#[derive(Debug, Clone)]
pub struct Bandwidth {
    bytes_per_second: NonZeroU64,
    /// When everything granted so far will have drained at the rate (`None`: nothing yet).
    drained_at: Arc<Mutex<Option<Instant>>>,
}

impl Bandwidth {
    pub fn new(bytes_per_second: NonZeroU64) -> Self {
        Bandwidth {
            bytes_per_second,
            drained_at: Arc::default(),
        }
    }

    pub fn bytes_per_second(&self) -> u64 {
        self.bytes_per_second.get()
    }

    /// Wait until `bytes` may move.
    pub async fn take(&self, bytes: u64) {
        if bytes == 0 {
            return;
        }
        let cost = Duration::from_secs_f64(bytes as f64 / self.bytes_per_second.get() as f64);
        let now = Instant::now();
        let drained_at = {
            // A panic elsewhere while holding the lock leaves a time, which is still a time.
            let mut slot = self
                .drained_at
                .lock()
                .unwrap_or_else(|poisoned| poisoned.into_inner());
            let start = match *slot {
                Some(at) if at > now => at,
                _ => now,
            };
            let end = start + cost;
            *slot = Some(end);
            end
        };
        // Up to BURST of traffic may run ahead of the rate.
        if drained_at > now + BURST {
            tokio::time::sleep_until(drained_at - BURST).await;
        }
    }
}
