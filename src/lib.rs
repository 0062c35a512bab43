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

pub mod checksum;
pub mod client;
pub mod config;
pub mod envelope;
pub mod error;
pub mod eventstream;
pub mod generated;
pub mod listing;
pub mod operation;
pub mod request;
pub mod retry;
pub mod secret;
pub mod shape;
pub mod signer;
pub mod timestamp;
pub mod transfer;
pub mod types;
pub mod value;
pub mod xml;

/// The README's examples, compiled as doc tests so they cannot go stale.
#[cfg(doctest)]
#[doc = include_str!("../README.md")]
pub struct ReadmeDoctests;

pub use client::{Client, ClientBuilder, DryRun, Request};
pub use envelope::Envelope;
pub use error::Error;
pub use generated::{find_operation, OPERATIONS};
pub use types::FromEnvelope;
pub use value::{Body, Value};
