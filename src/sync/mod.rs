//! `sync` as a library call: make a destination (a local directory or an S3 prefix) hold what a
//! source holds. Both sides are listed (each filtered by the same [`Filters`], so what is excluded
//! is neither copied nor deleted); an entry is copied when the destination lacks it or, unless
//! `no_overwrite`, when it differs by the chosen [`Compare`]; with `delete`, what the destination
//! has and the source does not is deleted afterwards (only when the source was read completely).
//! The copies run through the transfer runner ([`crate::transfer::jobs`]), and everything that
//! happens is an [`Event`], the same events `s3op sync --json` prints.
//!
//! ```no_run
//! # async fn demo(client: s3op::Client) -> Result<(), s3op::Error> {
//! use futures_util::StreamExt;
//! use s3op::sync::{Location, SyncOptions};
//! let options = SyncOptions { delete: true, ..SyncOptions::default() };
//! let events = client.sync(Location::local("site"), Location::s3("www", "public/"), options)?;
//! futures_util::pin_mut!(events);
//! while let Some(event) = events.next().await {
//!     if let Some(line) = event.to_json() {
//!         println!("{line}");
//!     }
//! }
//! # Ok(()) }
//! ```

mod compare;
mod plan;

use std::path::PathBuf;

use futures_util::Stream;
use tokio::sync::mpsc;

pub use compare::{compare_content, local_etag_matches, By, Comparison, Copy};
#[doc(hidden)]
pub use plan::{differs, merge_sorted, Entry};

use crate::client::Client;
use crate::error::Error;
use crate::filter::Filters;
use crate::transfer::jobs::{events_of, Event, JobSettings};
use crate::tree::{as_dir_prefix, S3Url};

/// One side of a sync.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Location {
    Local(PathBuf),
    /// A bucket and a prefix that is empty or ends in `/`.
    S3(S3Url),
}

impl Location {
    pub fn local(path: impl Into<PathBuf>) -> Self {
        Location::Local(path.into())
    }

    /// `s3://bucket/prefix/`: a prefix without its trailing `/` gets one (a sync is between
    /// "directories").
    pub fn s3(bucket: impl Into<String>, prefix: &str) -> Self {
        Location::S3(S3Url::new(bucket, as_dir_prefix(prefix)))
    }
}

/// When a file both sides have is copied again.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum Compare {
    /// When the sizes differ or the source is newer (whole seconds), as `aws s3 sync` does.
    #[default]
    SizeAndTime,
    /// Only when the sizes differ (`--size-only`).
    SizeOnly,
    /// Downloads: when the sizes differ or the times are not exactly equal (`--exact-timestamps`);
    /// uploads and S3-to-S3 copies compare as [`Compare::SizeAndTime`], since an object's time is
    /// when it was written, never the source's.
    ExactTimestamps,
    /// When the content differs (`--checksum`): see [`compare_content`].
    Checksum,
}

/// What a sync does beyond copying what is missing.
#[derive(Debug, Clone, Default)]
pub struct SyncOptions {
    /// Delete what the destination has and the source does not (`--delete`).
    pub delete: bool,
    pub compare: Compare,
    /// Never replace anything the destination has (`--no-overwrite`): entries it has are skipped,
    /// and every write is conditional, so a file that appears meanwhile is not replaced either
    /// (`If-None-Match: *` on S3; a local file is linked into place only if the name is free).
    pub no_overwrite: bool,
    /// Which relative paths take part, on both sides.
    pub filters: Filters,
    /// How the copies run (and `dry_run`: report, change nothing).
    pub jobs: JobSettings,
}

impl Client {
    /// Sync `source` to `destination`, streaming what happens. The locations are checked first
    /// (a local source must be a directory, a local destination must not be a file, one side must
    /// be S3): an error here has sent nothing. The work runs on a task of its own.
    pub fn sync(
        &self,
        source: Location,
        destination: Location,
        options: SyncOptions,
    ) -> Result<impl Stream<Item = Event> + Send + 'static, Error> {
        plan::check_locations(&source, &destination)?;
        let (sender, receiver) = mpsc::unbounded_channel();
        let client = self.clone();
        tokio::spawn(async move {
            let tell = move |event: Event| {
                let _ = sender.send(event);
            };
            plan::run(&client, &source, &destination, &options, &tell).await;
        });
        Ok(events_of(receiver))
    }

    /// As [`Client::sync`], on the caller's task, telling `tell` of every event as it happens.
    pub async fn sync_with(
        &self,
        source: &Location,
        destination: &Location,
        options: &SyncOptions,
        tell: &(dyn Fn(Event) + Send + Sync),
    ) -> Result<(), Error> {
        plan::check_locations(source, destination)?;
        plan::run(self, source, destination, options, tell).await;
        Ok(())
    }
}
