//! s3op: an S3 client whose every operation — library method, CLI subcommand and reference page — is
//! generated from one operation spec (`spec/`), on two handwritten cores: a SigV4 signer (`signer`)
//! and an XML↔JSON converter (`xml`). Every call returns the same [`Envelope`]:
//! `{"status": 200, "response": {...}, "headers": {...}}`.
//!
//! ```no_run
//! # async fn demo() -> Result<(), s3op::Error> {
//! let client = s3op::Client::builder().endpoint_url("http://127.0.0.1:9000").path_style(true).build()?;
//! client.put_object().bucket("my-bucket").key("hello.txt").body("hello").send().await?;
//! let listing = client.list_objects_v2().bucket("my-bucket").send().await?;
//! println!("{}", listing.to_json_pretty());
//! # Ok(()) }
//! ```

// The public face: the client and its requests, the envelope and errors, transfers, and the
// operation tables the CLI and tools walk.
pub mod client;
pub mod compat;
pub mod config;
pub mod credentials;
pub mod endpoint;
pub mod envelope;
pub mod error;
pub mod filter;
pub mod generated;
pub mod operation;
pub mod retry;
pub mod scan;
pub mod sync;
pub mod transfer;
pub mod tree;
pub mod types;
pub mod value;

// The runtime's internals. Public only so that the CLI, the fuzz targets and the tests can reach
// them; not part of the library's API.
#[doc(hidden)]
pub mod checksum;
#[doc(hidden)]
pub mod eventstream;
#[doc(hidden)]
pub mod listing;
#[doc(hidden)]
pub mod secret;
#[doc(hidden)]
pub mod shape;
#[doc(hidden)]
pub mod signer;
#[doc(hidden)]
pub mod timestamp;
#[doc(hidden)]
pub mod xml;

/// The README's examples, compiled as doc tests so they cannot go stale.
#[cfg(doctest)]
#[doc = include_str!("../README.md")]
pub struct ReadmeDoctests;

pub use client::{Client, ClientBuilder, DryRun, RawRequest, Request};
pub use envelope::Envelope;
pub use error::Error;
pub use generated::{find_operation, OPERATIONS};
pub use transfer::{TransferConfig, UploadTracker};
pub use types::FromEnvelope;
pub use value::{Body, Value};
