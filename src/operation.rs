//! The runtime form of a spec operation: everything the request builder, the response reader, the CLI
//! and the reference pages need to know about one S3 operation, as `static` data that build.rs
//! generates from `spec/`. The runtime reads these tables; it never matches on an operation's name.

use crate::shape::Shape;

/// One S3 operation.
#[derive(Debug)]
pub struct Operation {
    /// The S3 API name: `PutObject`.
    pub name: &'static str,
    /// The CLI subcommand and reference page name: `put-object`.
    pub cli_name: &'static str,
    pub summary: &'static str,
    /// Reference index group: buckets, objects, multipart, configurations, directory-buckets.
    pub group: &'static str,
    pub method: &'static str,
    /// Path template: `/{Bucket}/{Key+}`.
    pub path: &'static str,
    /// Constant query parameters, in order (`("tagging", "")`, `("list-type", "2")`).
    pub query: &'static [(&'static str, &'static str)],
    pub members: &'static [Member],
    pub payload: Payload,
    pub output: Output,
    /// Response members S3 percent-encodes when the request asks for `encoding-type=url`
    /// (`Contents[].Key`); s3op decodes them.
    pub url_encoded: &'static [&'static str],
    /// How the listing continues, for operations that page.
    pub pagination: Option<&'static Pagination>,
    /// The answer is a listing (a `List…` operation): absent top-level lists come back as `[]`.
    pub listing: bool,
    /// S3 refuses the request without Content-MD5 or a flexible checksum header.
    pub checksum_required: bool,
    /// Host prefix template (`{RequestRoute}.`), if the operation has one.
    pub host_prefix: Option<&'static str>,
    /// Endpoint rule-set parameters the operation always sets (`UseS3ExpressControlEndpoint`,
    /// `DisableAccessPoints`, `DisableS3ExpressSessionAuth`, `UseObjectLambdaEndpoint`).
    pub endpoint_params: &'static [(&'static str, bool)],
    pub deprecated: bool,
    /// The operation's reference page (Markdown): `docs/reference/<cli_name>.md` and `--help`.
    pub help: &'static str,
}

/// Which response members feed which request members on the next page of a listing.
#[derive(Debug)]
pub struct Pagination {
    pub input_tokens: &'static [&'static str],
    pub output_tokens: &'static [&'static str],
    pub result_keys: &'static [&'static str],
    pub limit_key: Option<&'static str>,
    pub more_results: Option<&'static str>,
    /// Without an output token, continue after the `Key` of this list's last item.
    pub last_key_fallback: Option<&'static str>,
}

/// One input member.
#[derive(Debug)]
pub struct Member {
    /// The S3 API name: `VersionId`.
    pub name: &'static str,
    /// The CLI flag without dashes: `version-id`.
    pub flag: &'static str,
    pub summary: &'static str,
    pub shape: &'static Shape,
    pub location: Location,
    pub required: bool,
    pub encoding: Encoding,
    /// A blob that may be large: read from a file or stream rather than memory.
    pub streaming: bool,
    /// Also fills `{Name}` in the operation's host prefix.
    pub host_label: bool,
    /// The endpoint rule-set parameter its value feeds (`Bucket`, `Key`, `Prefix`, `CopySource`).
    pub context_param: Option<&'static str>,
    /// Allowed values, for help and docs only.
    pub values: &'static [&'static str],
}

/// Where a member goes in the request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Location {
    /// A `{Label}` in the path (`{Key+}` is greedy: its `/` stay unencoded).
    Uri {
        label: &'static str,
        greedy: bool,
    },
    Query(&'static str),
    Header(&'static str),
    /// One header per map entry, named prefix + key.
    HeaderMap(&'static str),
    /// The member is the whole body.
    Payload,
    /// One of the members that together make the XML body.
    Body,
}

/// A transformation the request builder applies to a member's value before sending it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Encoding {
    None,
    /// An SSE-C key given raw: sent base64-encoded, with its MD5 in the named header unless given.
    SseCustomerKey {
        md5_header: &'static str,
    },
    /// `bucket/key[?versionId=v]`: the key part is percent-encoded as botocore does.
    CopySource,
}

/// What the request body is.
#[derive(Debug, Clone, Copy)]
pub enum Payload {
    None,
    /// XML built from a structure member (`member: Some`) or from the `Body` members (`member: None`).
    Xml {
        member: Option<&'static str>,
        root: &'static str,
        namespace: &'static str,
        shape: &'static Shape,
    },
    /// Raw bytes from a blob member (a file, stdin, bytes).
    Blob {
        member: &'static str,
    },
    /// A string member sent verbatim (a bucket policy).
    Text {
        member: &'static str,
    },
}

/// What the response body is.
#[derive(Debug, Clone, Copy)]
pub enum Output {
    None,
    Xml(&'static Shape),
    /// The object's bytes: written to a file, a writer or a stream, never into the envelope.
    Blob,
    Text,
    EventStream(&'static Shape),
    /// Whatever comes back (`s3op request`): XML by the plain rules, JSON as JSON, other text as a
    /// string; a binary body only to a file or writer.
    Any,
}

/// The table entry behind `Client::request`: a request to any target, read by the plain rules.
pub static RAW_REQUEST: Operation = Operation {
    name: "Request",
    cli_name: "request",
    summary: "Send a signed request to any URL or path of the endpoint.",
    group: "common",
    method: "GET",
    path: "/",
    query: &[],
    members: &[],
    payload: Payload::None,
    output: Output::Any,
    url_encoded: &[],
    pagination: None,
    listing: false,
    checksum_required: false,
    host_prefix: None,
    endpoint_params: &[],
    deprecated: false,
    help: "",
};

impl Operation {
    /// A member by its S3 API name.
    pub fn member(&self, name: &str) -> Option<&'static Member> {
        self.members.iter().find(|m| m.name == name)
    }

    /// A member by its CLI flag name (without dashes).
    pub fn member_by_flag(&self, flag: &str) -> Option<&'static Member> {
        self.members.iter().find(|m| m.flag == flag)
    }

    /// The payload member, when the body is one member.
    pub fn payload_member(&self) -> Option<&'static Member> {
        self.members
            .iter()
            .find(|m| m.location == Location::Payload)
    }
}
