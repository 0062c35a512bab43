//! The scenarios, each written once against [`Ctx`] and run on every server. A scenario creates
//! its own bucket, does what a user would, and checks the results (bytes, lists, round trips),
//! returning a [`crate::harness::Problem`] that says what went wrong in the server's words.
//! `objects`: buckets, keys, uploads, downloads, copies, listings, deletes, presigned URLs,
//! signatures and conditional writes. `config`: the bucket and object configurations. `features`
//! and `object_features`: every other operation, by feature (website, inventory, S3 Metadata,
//! annotations, directory buckets...). `cli`: the high-level commands through the `s3op` binary;
//! `commands`: those issue 15 added (`mv`, filters, sync's modes, attributes, tags, SSE, versions, `du`, `cat`).

use crate::harness::Scenario;

/// `pub fn NAME(ctx: &Ctx) -> BoxFuture<'_>` from an async block.
macro_rules! scenario {
    ($name:ident, |$ctx:ident| $body:block) => {
        pub fn $name($ctx: &crate::harness::Ctx) -> crate::harness::BoxFuture<'_> {
            Box::pin(async move $body)
        }
    };
}

mod cli;
mod commands;
mod config;
mod features;
mod object_features;
mod objects;

/// Deterministic bytes that differ from one offset to the next (so a misplaced range shows).
pub fn data(len: usize, seed: u8) -> Vec<u8> {
    (0..len)
        .map(|i| (((i as u64 * 2_654_435_761) >> 13) as u8).wrapping_add(seed))
        .collect()
}

/// The keys of a listing's `Contents`.
pub fn keys(response: &serde_json::Value) -> Vec<String> {
    strings(response, "Contents", "Key")
}

/// `response[list][*][field]` as strings.
pub fn strings(response: &serde_json::Value, list: &str, field: &str) -> Vec<String> {
    response[list]
        .as_array()
        .map(|items| {
            items
                .iter()
                .filter_map(|item| item[field].as_str().map(str::to_string))
                .collect()
        })
        .unwrap_or_default()
}

/// Every scenario, in the README's row order.
pub const ALL: &[Scenario] = &[
    Scenario {
        name: "buckets",
        feature: "buckets: create, head, list, location, delete",
        copes: "plain operations",
        operations: &[
            "create-bucket",
            "head-bucket",
            "list-buckets",
            "get-bucket-location",
            "delete-bucket",
        ],
        run: objects::buckets,
    },
    Scenario {
        name: "awkward_keys",
        feature: "keys with space, `+`, `%`, unicode, `a//b`, leading `/`, `..`",
        copes: "the signer encodes the path once and never normalises it",
        operations: &[
            "create-bucket",
            "put-object",
            "get-object",
            "head-object",
            "list-objects-v2",
        ],
        run: objects::awkward_keys,
    },
    Scenario {
        name: "single_put",
        feature: "PutObject with type and metadata; ETag is the MD5",
        copes: "plain operations",
        operations: &["create-bucket", "put-object", "get-object", "head-object"],
        run: objects::single_put,
    },
    Scenario {
        name: "multipart",
        feature: "multipart upload (by hand and `upload_file`), ListParts, `-N` ETag",
        copes: "parts of 5 MiB or more, aborted on failure",
        operations: &[
            "create-bucket",
            "create-multipart-upload",
            "upload-part",
            "list-parts",
            "complete-multipart-upload",
            "get-object",
        ],
        run: objects::multipart,
    },
    Scenario {
        name: "multipart_listing",
        feature: "ListMultipartUploads and AbortMultipartUpload",
        copes: "`UploadTracker` aborts what it started without listing",
        operations: &[
            "create-bucket",
            "create-multipart-upload",
            "list-multipart-uploads",
            "abort-multipart-upload",
        ],
        run: objects::multipart_listing,
    },
    Scenario {
        name: "ranged_download",
        feature: "ranged GET (206, Content-Range) and parallel `download_file`",
        copes: "an empty object's 416 is fetched whole",
        operations: &["create-bucket", "put-object", "get-object"],
        run: objects::ranged_download,
    },
    Scenario {
        name: "copy_object",
        feature: "CopyObject, metadata carried over",
        copes: "plain operations",
        operations: &[
            "create-bucket",
            "put-object",
            "copy-object",
            "get-object",
            "head-object",
        ],
        run: objects::copy_object,
    },
    Scenario {
        name: "upload_part_copy",
        feature: "UploadPartCopy with source ranges",
        copes: "`copy_object_managed` uses it above the threshold only",
        operations: &[
            "create-bucket",
            "put-object",
            "create-multipart-upload",
            "upload-part-copy",
            "complete-multipart-upload",
            "get-object",
        ],
        run: objects::upload_part_copy,
    },
    Scenario {
        name: "list_pagination",
        feature: "ListObjectsV2 / ListObjects pages (continuation token, marker)",
        copes: "`pages()` follows the spec's paginator; a page that does not advance is an error",
        operations: &[
            "create-bucket",
            "put-object",
            "list-objects-v2",
            "list-objects",
        ],
        run: objects::list_pagination,
    },
    Scenario {
        name: "list_delimiter",
        feature: "listing with prefix and delimiter (CommonPrefixes)",
        copes: "plain operations",
        operations: &["create-bucket", "put-object", "list-objects-v2"],
        run: objects::list_delimiter,
    },
    Scenario {
        name: "list_encoding_url",
        feature: "listing with `encoding-type=url`",
        copes: "keys are decoded only when asked for and the answer says url",
        operations: &["create-bucket", "put-object", "list-objects-v2"],
        run: objects::list_encoding_url,
    },
    Scenario {
        name: "delete_objects",
        feature: "DeleteObjects batch (with a missing key)",
        copes: "plain operations; `rm` reports per-key errors",
        operations: &[
            "create-bucket",
            "put-object",
            "delete-objects",
            "list-objects-v2",
        ],
        run: objects::delete_objects,
    },
    Scenario {
        name: "presigned",
        feature: "presigned GET and PUT fetched by a plain HTTP client",
        copes: "query-signed URLs, up to 7 days",
        operations: &["create-bucket", "put-object", "get-object"],
        run: objects::presigned,
    },
    Scenario {
        name: "wrong_secret",
        feature: "a request signed with the wrong secret is refused",
        copes: "nothing to do: the server decides",
        operations: &["create-bucket", "head-object"],
        run: objects::wrong_secret,
    },
    Scenario {
        name: "conditional_writes",
        feature: "conditional writes: `If-None-Match: *`, `If-Match`",
        copes: "headers passed through; 412 is an error envelope",
        operations: &["create-bucket", "put-object", "get-object"],
        run: objects::conditional_writes,
    },
    Scenario {
        name: "object_tagging",
        feature: "object tagging",
        copes: "plain operations",
        operations: &[
            "create-bucket",
            "put-object",
            "put-object-tagging",
            "get-object-tagging",
            "delete-object-tagging",
        ],
        run: config::object_tagging,
    },
    Scenario {
        name: "bucket_tagging",
        feature: "bucket tagging",
        copes: "plain operations",
        operations: &[
            "create-bucket",
            "put-bucket-tagging",
            "get-bucket-tagging",
            "delete-bucket-tagging",
        ],
        run: config::bucket_tagging,
    },
    Scenario {
        name: "versioning",
        feature: "versioning, versioned GET, ListObjectVersions, delete markers",
        copes: "plain operations",
        operations: &[
            "create-bucket",
            "put-bucket-versioning",
            "get-bucket-versioning",
            "put-object",
            "get-object",
            "list-object-versions",
            "delete-object",
        ],
        run: config::versioning,
    },
    Scenario {
        name: "lifecycle",
        feature: "bucket lifecycle",
        copes: "configurations round-trip as JSON",
        operations: &[
            "create-bucket",
            "put-bucket-lifecycle-configuration",
            "get-bucket-lifecycle-configuration",
            "delete-bucket-lifecycle",
        ],
        run: config::lifecycle,
    },
    Scenario {
        name: "cors",
        feature: "bucket CORS",
        copes: "configurations round-trip as JSON",
        operations: &[
            "create-bucket",
            "put-bucket-cors",
            "get-bucket-cors",
            "delete-bucket-cors",
        ],
        run: config::cors,
    },
    Scenario {
        name: "bucket_policy",
        feature: "bucket policy",
        copes: "a policy is parsed JSON; a text answer (`True`) is kept as a string",
        operations: &[
            "create-bucket",
            "put-bucket-policy",
            "get-bucket-policy",
            "delete-bucket-policy",
        ],
        run: config::bucket_policy,
    },
    Scenario {
        name: "encryption",
        feature: "bucket default encryption and SSE-S3 objects",
        copes: "plain operations",
        operations: &[
            "create-bucket",
            "put-bucket-encryption",
            "get-bucket-encryption",
            "delete-bucket-encryption",
            "put-object",
            "head-object",
        ],
        run: config::encryption,
    },
    Scenario {
        name: "object_lock",
        feature: "object lock configuration",
        copes: "plain operations",
        operations: &[
            "create-bucket",
            "put-object-lock-configuration",
            "get-object-lock-configuration",
        ],
        run: config::object_lock,
    },
    Scenario {
        name: "retention",
        feature: "object retention",
        copes: "plain operations",
        operations: &[
            "create-bucket",
            "put-object",
            "put-object-retention",
            "get-object-retention",
        ],
        run: config::retention,
    },
    Scenario {
        name: "legal_hold",
        feature: "object legal hold",
        copes: "plain operations",
        operations: &[
            "create-bucket",
            "put-object",
            "put-object-legal-hold",
            "get-object-legal-hold",
        ],
        run: config::legal_hold,
    },
    Scenario {
        name: "acl",
        feature: "bucket and object ACLs",
        copes: "plain operations",
        operations: &[
            "create-bucket",
            "put-object",
            "put-bucket-acl",
            "get-bucket-acl",
            "put-object-acl",
            "get-object-acl",
        ],
        run: config::acl,
    },
    Scenario {
        name: "notifications",
        feature: "bucket notifications",
        copes: "configurations round-trip as JSON",
        operations: &[
            "create-bucket",
            "put-bucket-notification-configuration",
            "get-bucket-notification-configuration",
        ],
        run: config::notifications,
    },
    Scenario {
        name: "request_payment",
        feature: "requester pays",
        copes: "plain operations",
        operations: &[
            "create-bucket",
            "put-bucket-request-payment",
            "get-bucket-request-payment",
        ],
        run: config::request_payment,
    },
    Scenario {
        name: "torrent",
        feature: "GetObjectTorrent",
        copes: "plain operation (AWS S3 itself no longer serves torrents)",
        operations: &["create-bucket", "put-object", "get-object-torrent"],
        run: config::torrent,
    },
    Scenario {
        name: "select",
        feature: "S3 Select (SelectObjectContent)",
        copes: "event stream decoded, CRCs checked",
        operations: &["create-bucket", "put-object", "select-object-content"],
        run: config::select,
    },
    Scenario {
        name: "website",
        feature: "static website configuration",
        copes: "configurations round-trip as JSON",
        operations: &[
            "create-bucket",
            "put-object",
            "put-bucket-website",
            "get-bucket-website",
            "delete-bucket-website",
        ],
        run: features::website,
    },
    Scenario {
        name: "public_access_block",
        feature: "public access block and policy status",
        copes: "configurations round-trip as JSON",
        operations: &[
            "create-bucket",
            "put-object",
            "put-public-access-block",
            "get-public-access-block",
            "delete-public-access-block",
            "put-bucket-policy",
            "get-bucket-policy-status",
        ],
        run: features::public_access_block,
    },
    Scenario {
        name: "ownership_controls",
        feature: "object ownership controls",
        copes: "configurations round-trip as JSON",
        operations: &[
            "create-bucket",
            "put-object",
            "put-bucket-ownership-controls",
            "get-bucket-ownership-controls",
            "delete-bucket-ownership-controls",
        ],
        run: features::ownership_controls,
    },
    Scenario {
        name: "logging",
        feature: "server access logging (target allowed by a bucket policy)",
        copes: "configurations round-trip as JSON",
        operations: &[
            "create-bucket",
            "put-object",
            "put-bucket-policy",
            "put-bucket-logging",
            "get-bucket-logging",
        ],
        run: features::logging,
    },
    Scenario {
        name: "replication",
        feature: "bucket replication (versioned buckets)",
        copes: "configurations round-trip as JSON",
        operations: &[
            "create-bucket",
            "put-object",
            "put-bucket-versioning",
            "put-bucket-replication",
            "get-bucket-replication",
            "delete-bucket-replication",
        ],
        run: features::replication,
    },
    Scenario {
        name: "accelerate",
        feature: "transfer acceleration setting",
        copes: "plain operations",
        operations: &[
            "create-bucket",
            "put-object",
            "put-bucket-accelerate-configuration",
            "get-bucket-accelerate-configuration",
        ],
        run: features::accelerate,
    },
    Scenario {
        name: "inventory",
        feature: "inventory configurations",
        copes: "configurations round-trip as JSON",
        operations: &[
            "create-bucket",
            "put-object",
            "put-bucket-inventory-configuration",
            "get-bucket-inventory-configuration",
            "list-bucket-inventory-configurations",
            "delete-bucket-inventory-configuration",
        ],
        run: features::inventory,
    },
    Scenario {
        name: "analytics",
        feature: "storage class analytics configurations",
        copes: "configurations round-trip as JSON",
        operations: &[
            "create-bucket",
            "put-object",
            "put-bucket-analytics-configuration",
            "get-bucket-analytics-configuration",
            "list-bucket-analytics-configurations",
            "delete-bucket-analytics-configuration",
        ],
        run: features::analytics,
    },
    Scenario {
        name: "metrics",
        feature: "request metrics configurations",
        copes: "configurations round-trip as JSON",
        operations: &[
            "create-bucket",
            "put-object",
            "put-bucket-metrics-configuration",
            "get-bucket-metrics-configuration",
            "list-bucket-metrics-configurations",
            "delete-bucket-metrics-configuration",
        ],
        run: features::metrics,
    },
    Scenario {
        name: "intelligent_tiering",
        feature: "intelligent tiering configurations",
        copes: "configurations round-trip as JSON",
        operations: &[
            "create-bucket",
            "put-object",
            "put-bucket-intelligent-tiering-configuration",
            "get-bucket-intelligent-tiering-configuration",
            "list-bucket-intelligent-tiering-configurations",
            "delete-bucket-intelligent-tiering-configuration",
        ],
        run: features::intelligent_tiering,
    },
    Scenario {
        name: "legacy_lifecycle",
        feature: "legacy PutBucketLifecycle / GetBucketLifecycle (rule-level Prefix)",
        copes: "the deprecated shapes are in the spec too",
        operations: &[
            "create-bucket",
            "put-object",
            "put-bucket-lifecycle",
            "get-bucket-lifecycle",
            "delete-bucket-lifecycle",
        ],
        run: features::legacy_lifecycle,
    },
    Scenario {
        name: "legacy_notification",
        feature: "legacy PutBucketNotification / GetBucketNotification",
        copes: "the deprecated shapes are in the spec too",
        operations: &[
            "create-bucket",
            "put-object",
            "put-bucket-notification",
            "get-bucket-notification",
        ],
        run: features::legacy_notification,
    },
    Scenario {
        name: "abac",
        feature: "attribute-based access control setting (ABAC)",
        copes: "plain operations",
        operations: &[
            "create-bucket",
            "put-object",
            "put-bucket-abac",
            "get-bucket-abac",
        ],
        run: features::abac,
    },
    Scenario {
        name: "metadata_configuration",
        feature: "S3 Metadata configuration and its journal, inventory and annotation tables",
        copes: "configurations round-trip as JSON",
        operations: &[
            "create-bucket",
            "put-object",
            "create-bucket-metadata-configuration",
            "get-bucket-metadata-configuration",
            "update-bucket-metadata-journal-table-configuration",
            "update-bucket-metadata-inventory-table-configuration",
            "update-bucket-metadata-annotation-table-configuration",
            "delete-bucket-metadata-configuration",
        ],
        run: features::metadata_configuration,
    },
    Scenario {
        name: "metadata_table",
        feature: "S3 Metadata table configuration (first version)",
        copes: "configurations round-trip as JSON",
        operations: &[
            "create-bucket",
            "put-object",
            "create-bucket-metadata-table-configuration",
            "get-bucket-metadata-table-configuration",
            "delete-bucket-metadata-table-configuration",
        ],
        run: features::metadata_table,
    },
    Scenario {
        name: "object_attributes",
        feature: "GetObjectAttributes: ETag, size, parts of a multipart object",
        copes: "plain operations",
        operations: &[
            "create-bucket",
            "put-object",
            "get-object-attributes",
            "create-multipart-upload",
            "upload-part",
            "complete-multipart-upload",
        ],
        run: object_features::object_attributes,
    },
    Scenario {
        name: "restore",
        feature: "RestoreObject of a GLACIER object, `x-amz-restore` on HeadObject",
        copes: "plain operations",
        operations: &[
            "create-bucket",
            "put-object",
            "head-object",
            "restore-object",
        ],
        run: object_features::restore,
    },
    Scenario {
        name: "annotations",
        feature: "object annotations",
        copes: "payloads are bytes, listings JSON",
        operations: &[
            "create-bucket",
            "put-object",
            "put-object-annotation",
            "get-object-annotation",
            "list-object-annotations",
            "delete-object-annotation",
        ],
        run: object_features::annotations,
    },
    Scenario {
        name: "directory_buckets",
        feature: "directory bucket calls: CreateSession, ListDirectoryBuckets, RenameObject",
        copes: "plain operations",
        operations: &[
            "create-bucket",
            "put-object",
            "create-session",
            "list-directory-buckets",
            "rename-object",
            "get-object",
            "head-object",
        ],
        run: object_features::directory_buckets,
    },
    Scenario {
        name: "update_object_encryption",
        feature: "UpdateObjectEncryption to SSE-KMS",
        copes: "plain operation",
        operations: &[
            "create-bucket",
            "put-object",
            "update-object-encryption",
            "head-object",
        ],
        run: object_features::update_object_encryption,
    },
    Scenario {
        name: "write_get_object_response",
        feature: "WriteGetObjectResponse (Object Lambda)",
        copes: "sent to `{RequestRoute}.` + the endpoint's host, as AWS routes it",
        operations: &["write-get-object-response"],
        run: object_features::write_get_object_response,
    },
    Scenario {
        name: "managed_copy",
        feature: "`copy_object_managed` above its threshold: parts copied, type and metadata kept",
        copes: "HeadObject's type and metadata go on CreateMultipartUpload",
        operations: &[
            "create-bucket",
            "put-object",
            "head-object",
            "create-multipart-upload",
            "upload-part-copy",
            "complete-multipart-upload",
            "get-object",
        ],
        run: object_features::managed_copy,
    },
    Scenario {
        name: "cli_mb_rb",
        feature: "`s3op mb` / `rb` / `rb --force`",
        copes: "high-level commands over the same client",
        operations: &[],
        run: cli::mb_rb,
    },
    Scenario {
        name: "cli_cp",
        feature: "`s3op cp` up, down, S3 to S3, recursive",
        copes: "high-level commands over the same client",
        operations: &[],
        run: cli::cp,
    },
    Scenario {
        name: "cli_sync",
        feature: "`s3op sync` up and down, `--delete`",
        copes: "HeadObject supplies ETags a listing lacks",
        operations: &[],
        run: cli::sync,
    },
    Scenario {
        name: "cli_ls",
        feature: "`s3op ls` buckets, prefixes, `--recursive`",
        copes: "high-level commands over the same client",
        operations: &[],
        run: cli::ls,
    },
    Scenario {
        name: "cli_rm",
        feature: "`s3op rm` one key and `--recursive`",
        copes: "DeleteObjects batches; per-key errors reported",
        operations: &[],
        run: cli::rm,
    },
    Scenario {
        name: "cli_mv",
        feature: "`s3op mv` up, down, S3 to S3, `--recursive`",
        copes: "each source deleted once its copy is complete and checked",
        operations: &["list-objects-v2"],
        run: commands::mv,
    },
    Scenario {
        name: "cli_filters",
        feature: "`--exclude`/`--include` on `cp`, `ls`, `du`, `rm`; `sync --delete` spares excluded keys",
        copes: "filters applied by s3op to both sides' listings",
        operations: &["list-objects-v2"],
        run: commands::filters,
    },
    Scenario {
        name: "cli_sync_no_overwrite",
        feature: "`s3op sync --no-overwrite` up and down",
        copes: "every upload carries `If-None-Match: *`",
        operations: &["list-objects-v2", "get-object"],
        run: commands::sync_no_overwrite,
    },
    Scenario {
        name: "cli_sync_modes",
        feature: "`s3op sync --size-only`, `--exact-timestamps`",
        copes: "sizes and whole-second times compared from the listings",
        operations: &["get-object"],
        run: commands::sync_modes,
    },
    Scenario {
        name: "cli_attributes",
        feature: "`cp --metadata --cache-control --content-type --storage-class`; S3 to S3 with `--metadata-directive REPLACE`",
        copes: "the same attributes on PutObject, CreateMultipartUpload and CopyObject",
        operations: &["head-object"],
        run: commands::attributes,
    },
    Scenario {
        name: "cli_tagging",
        feature: "`cp --tagging`; S3 to S3 keeps tags, `--copy-props none` drops them, `--tagging` replaces them",
        copes: "tags in the header; PutObjectTagging after a copy in parts",
        operations: &["get-object-tagging"],
        run: commands::tagging,
    },
    Scenario {
        name: "cli_sse_s3",
        feature: "`cp --sse AES256` (SSE-S3)",
        copes: "the header on every upload and copy",
        operations: &["head-object"],
        run: commands::sse_s3,
    },
    Scenario {
        name: "cli_sse_c",
        feature: "`cp --sse-c-key` up and down in parts; refused without the key",
        copes: "the key on every part, range and HEAD",
        operations: &[],
        run: commands::sse_c,
    },
    Scenario {
        name: "cli_versions",
        feature: "`ls`/`rm`/`du --all-versions`, `cp`/`cat --version-id`, `rb --force` on a versioned bucket",
        copes: "ListObjectVersions; DeleteObjects with version ids",
        operations: &["put-bucket-versioning", "list-object-versions", "head-bucket"],
        run: commands::versions,
    },
    Scenario {
        name: "cli_du",
        feature: "`s3op du` counts and bytes, `--human-readable`, `--by-storage-class`",
        copes: "listing pages folded as they arrive",
        operations: &[],
        run: commands::du,
    },
    Scenario {
        name: "cli_cat",
        feature: "`s3op cat`, one GET and parallel 5 MiB ranges",
        copes: "ranges pinned with `If-Match`, written in order",
        operations: &[],
        run: commands::cat,
    },
];
