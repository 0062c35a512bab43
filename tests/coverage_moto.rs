//! Every S3 operation, accounted for. Driven by `s3op::OPERATIONS`: each operation is either
//! exercised through the CLI by a test in this file (against moto), or by a test in another live test
//! file (`COVERED_ELSEWHERE`), or listed in `NOT_IMPLEMENTED_BY_ANY_LOCAL_SERVER` with the reason.
//! `every_operation_is_exercised_or_listed` fails when an operation is in none of them, or when a
//! list is stale: an operation listed as exercised whose CLI name no longer appears, quoted, in a
//! test (or helper) of the file named, ignored tests not counting; or an operation listed as not
//! implemented that a running test does exercise.
//!
//! The operations no local server implements are checked by the request oracle instead
//! (`tests/oracle.rs`: the exact request botocore builds, for all of them). Which operations any of
//! the servers runs (Garage and Ceph RGW included) is the compatibility suite's business
//! (`tests/compat/`, README.md's "Operations none of the servers runs").

mod clirun;
mod support;

use std::collections::{BTreeMap, BTreeSet};

use clirun::Run;
use serde_json::{json, Value};

/// Operations exercised by a test in this file.
const EXERCISED_HERE: &[&str] = &[
    "HeadBucket",
    "ListBuckets",
    "GetBucketLocation",
    "DeleteBucketCors",
    "DeleteBucketLifecycle",
    "DeleteBucketWebsite",
    "DeleteBucketReplication",
    "DeleteBucketPolicy",
    "GetBucketPolicyStatus",
    "DeletePublicAccessBlock",
    "DeleteBucketOwnershipControls",
    "ListBucketInventoryConfigurations",
    "PutBucketNotification",
    "GetBucketNotification",
    "PutObjectAcl",
    "GetObjectAcl",
    "PutObjectRetention",
    "GetObjectAttributes",
    "RestoreObject",
    "SelectObjectContent",
    "UploadPart",
    "UploadPartCopy",
    "ListParts",
    "CompleteMultipartUpload",
];

/// Operations exercised by a (not ignored) test in another live test file.
const COVERED_ELSEWHERE: &[(&str, &str)] = &[
    ("CreateBucket", "live_moto.rs"),
    ("DeleteBucket", "live_moto.rs"),
    ("PutObject", "live_moto.rs"),
    ("GetObject", "live_moto.rs"),
    ("HeadObject", "live_moto.rs"),
    ("CopyObject", "live_moto.rs"),
    ("DeleteObject", "live_moto.rs"),
    ("DeleteObjects", "live_moto.rs"),
    ("ListObjects", "live_moto.rs"),
    ("ListObjectsV2", "live_moto.rs"),
    ("ListObjectVersions", "live_moto.rs"),
    ("CreateMultipartUpload", "live_moto.rs"),
    ("AbortMultipartUpload", "live_moto.rs"),
    ("ListMultipartUploads", "live_moto.rs"),
    ("PutBucketTagging", "live_moto.rs"),
    ("GetBucketTagging", "live_moto.rs"),
    ("DeleteBucketTagging", "live_moto.rs"),
    ("PutBucketEncryption", "live_moto.rs"),
    ("GetBucketEncryption", "live_moto.rs"),
    ("DeleteBucketEncryption", "live_moto.rs"),
    ("PutBucketVersioning", "live_moto.rs"),
    ("GetBucketVersioning", "live_moto.rs"),
    ("PutObjectTagging", "live_moto.rs"),
    ("GetObjectTagging", "live_moto.rs"),
    ("DeleteObjectTagging", "live_moto.rs"),
    ("PutBucketCors", "roundtrip_moto.rs"),
    ("GetBucketCors", "roundtrip_moto.rs"),
    ("PutBucketLifecycleConfiguration", "roundtrip_moto.rs"),
    ("GetBucketLifecycleConfiguration", "roundtrip_moto.rs"),
    ("PutBucketLifecycle", "roundtrip_moto.rs"),
    ("GetBucketLifecycle", "roundtrip_moto.rs"),
    ("PutBucketWebsite", "roundtrip_moto.rs"),
    ("GetBucketWebsite", "roundtrip_moto.rs"),
    ("PutBucketReplication", "roundtrip_moto.rs"),
    ("GetBucketReplication", "roundtrip_moto.rs"),
    ("PutBucketNotificationConfiguration", "roundtrip_moto.rs"),
    ("GetBucketNotificationConfiguration", "roundtrip_moto.rs"),
    ("PutBucketInventoryConfiguration", "roundtrip_moto.rs"),
    ("GetBucketInventoryConfiguration", "roundtrip_moto.rs"),
    ("PutObjectLockConfiguration", "roundtrip_moto.rs"),
    ("GetObjectLockConfiguration", "roundtrip_moto.rs"),
    ("PutObjectLegalHold", "roundtrip_moto.rs"),
    ("GetObjectLegalHold", "roundtrip_moto.rs"),
    ("PutBucketAcl", "roundtrip_moto.rs"),
    ("GetBucketAcl", "roundtrip_moto.rs"),
    ("PutPublicAccessBlock", "roundtrip_moto.rs"),
    ("GetPublicAccessBlock", "roundtrip_moto.rs"),
    ("PutBucketOwnershipControls", "roundtrip_moto.rs"),
    ("GetBucketOwnershipControls", "roundtrip_moto.rs"),
    ("PutBucketLogging", "roundtrip_moto.rs"),
    ("GetBucketLogging", "roundtrip_moto.rs"),
    ("PutBucketAccelerateConfiguration", "roundtrip_moto.rs"),
    ("GetBucketAccelerateConfiguration", "roundtrip_moto.rs"),
    ("PutBucketPolicy", "roundtrip_moto.rs"),
    ("GetBucketPolicy", "roundtrip_moto.rs"),
];

/// Operations neither moto (5.x) nor s3s-fs implements, and why. "moto answers X" means moto does not
/// recognise the request and handles it as another operation, so a status 200 proves nothing.
const NOT_IMPLEMENTED_BY_ANY_LOCAL_SERVER: &[(&str, &str)] = &[
    (
        "PutBucketAnalyticsConfiguration",
        "moto takes PUT ?analytics for CreateBucket",
    ),
    (
        "GetBucketAnalyticsConfiguration",
        "moto answers GET ?analytics with ListObjects",
    ),
    (
        "ListBucketAnalyticsConfigurations",
        "moto answers GET ?analytics with ListObjects",
    ),
    (
        "DeleteBucketAnalyticsConfiguration",
        "moto takes DELETE ?analytics for DeleteBucket",
    ),
    (
        "PutBucketMetricsConfiguration",
        "moto takes PUT ?metrics for CreateBucket",
    ),
    (
        "GetBucketMetricsConfiguration",
        "moto answers GET ?metrics with ListObjects",
    ),
    (
        "ListBucketMetricsConfigurations",
        "moto answers GET ?metrics with ListObjects",
    ),
    (
        "DeleteBucketMetricsConfiguration",
        "moto takes DELETE ?metrics for DeleteBucket",
    ),
    (
        "PutBucketIntelligentTieringConfiguration",
        "moto takes PUT ?intelligent-tiering for CreateBucket",
    ),
    (
        "GetBucketIntelligentTieringConfiguration",
        "moto answers GET ?intelligent-tiering with ListObjects",
    ),
    (
        "ListBucketIntelligentTieringConfigurations",
        "moto answers GET ?intelligent-tiering with ListObjects",
    ),
    (
        "DeleteBucketIntelligentTieringConfiguration",
        "moto takes DELETE ?intelligent-tiering for DeleteBucket",
    ),
    (
        "DeleteBucketInventoryConfiguration",
        "moto takes DELETE ?inventory for DeleteBucket (it deletes an empty bucket)",
    ),
    (
        "PutBucketRequestPayment",
        "moto takes PUT ?requestPayment for CreateBucket",
    ),
    (
        "GetBucketRequestPayment",
        "moto answers GET ?requestPayment with ListObjects",
    ),
    (
        "GetObjectRetention",
        "moto answers GET ?retention with GetObject (the object's bytes)",
    ),
    (
        "GetObjectTorrent",
        "moto answers GET ?torrent with GetObject; S3 itself no longer serves torrents",
    ),
    ("PutBucketAbac", "moto takes PUT ?abac for CreateBucket"),
    ("GetBucketAbac", "moto answers GET ?abac with ListObjects"),
    (
        "CreateBucketMetadataTableConfiguration",
        "S3 Metadata: moto fails POST ?metadataTable with 500",
    ),
    (
        "GetBucketMetadataTableConfiguration",
        "S3 Metadata: moto answers GET ?metadataTable with ListObjects",
    ),
    (
        "DeleteBucketMetadataTableConfiguration",
        "S3 Metadata: moto takes DELETE ?metadataTable for DeleteBucket",
    ),
    (
        "CreateBucketMetadataConfiguration",
        "S3 Metadata: moto fails POST ?metadataConfiguration with 500",
    ),
    (
        "GetBucketMetadataConfiguration",
        "S3 Metadata: moto answers GET ?metadataConfiguration with ListObjects",
    ),
    (
        "DeleteBucketMetadataConfiguration",
        "S3 Metadata: moto takes DELETE ?metadataConfiguration for DeleteBucket",
    ),
    (
        "UpdateBucketMetadataAnnotationTableConfiguration",
        "S3 Metadata: moto takes PUT ?metadataAnnotationTable for CreateBucket",
    ),
    (
        "UpdateBucketMetadataInventoryTableConfiguration",
        "S3 Metadata: moto takes PUT ?metadataInventoryTable for CreateBucket",
    ),
    (
        "UpdateBucketMetadataJournalTableConfiguration",
        "S3 Metadata: moto takes PUT ?metadataJournalTable for CreateBucket",
    ),
    (
        "PutObjectAnnotation",
        "object annotations: moto takes PUT ?annotation for PutObject (it overwrites the object)",
    ),
    (
        "GetObjectAnnotation",
        "object annotations: moto answers GET ?annotation with GetObject",
    ),
    (
        "ListObjectAnnotations",
        "object annotations: moto answers GET ?annotation with GetObject",
    ),
    (
        "DeleteObjectAnnotation",
        "object annotations: moto takes DELETE ?annotation for DeleteObject",
    ),
    (
        "RenameObject",
        "directory buckets only: moto takes PUT ?renameObject for PutObject (an empty object)",
    ),
    (
        "UpdateObjectEncryption",
        "moto takes PUT ?encryption on a key for PutObject (an empty object)",
    ),
    (
        "CreateSession",
        "directory buckets only: moto answers GET ?session with ListObjects",
    ),
    (
        "ListDirectoryBuckets",
        "directory buckets only: moto answers with ListBuckets (general purpose buckets)",
    ),
    (
        "WriteGetObjectResponse",
        "S3 Object Lambda: sent to {RequestRoute}.<endpoint host>, no local server",
    ),
];

/// The test files whose tests count, with their text.
const SOURCES: &[(&str, &str)] = &[
    ("coverage_moto.rs", include_str!("coverage_moto.rs")),
    ("roundtrip_moto.rs", include_str!("roundtrip_moto.rs")),
    ("live_moto.rs", include_str!("live_moto.rs")),
    ("live_s3s_fs.rs", include_str!("live_s3s_fs.rs")),
];

/// The text of a test file's running code: its functions (tests and helpers), without ignored tests
/// and without `const` / `static` items (such as the tables above). Items are told apart by the
/// lines that start at column 0, as rustfmt writes them.
fn running_code(source: &str) -> String {
    let mut kept = String::new();
    let mut attributes: Vec<&str> = Vec::new();
    let mut keep = false;
    for line in source.lines() {
        let top_level = !line.starts_with([' ', '\t', '}', ')', ']']) && !line.is_empty();
        if top_level {
            if line.starts_with("#[") {
                attributes.push(line);
                continue;
            }
            let is_fn = ["fn ", "async fn ", "pub fn ", "pub async fn ", "impl"]
                .iter()
                .any(|start| line.starts_with(start));
            let ignored = attributes.iter().any(|a| a.starts_with("#[ignore"));
            keep = is_fn && !ignored;
            attributes.clear();
        }
        if keep {
            kept.push_str(line);
            kept.push('\n');
        }
    }
    kept
}

/// The CLI names a file's running code quotes, among `cli_names`.
fn exercised_in(source: &str, cli_names: &[&str]) -> BTreeSet<String> {
    let code = running_code(source);
    cli_names
        .iter()
        .filter(|name| code.contains(&format!("\"{name}\"")))
        .map(|name| name.to_string())
        .collect()
}

#[test]
fn every_operation_is_exercised_or_listed() {
    let cli_name: BTreeMap<&str, &str> = s3op::OPERATIONS
        .iter()
        .map(|op| (op.name, op.cli_name))
        .collect();
    let all_cli: Vec<&str> = cli_name.values().copied().collect();
    let exercised: BTreeMap<&str, BTreeSet<String>> = SOURCES
        .iter()
        .map(|(file, text)| (*file, exercised_in(text, &all_cli)))
        .collect();

    let mut problems = Vec::new();
    let mut listed: BTreeMap<&str, Vec<&str>> = BTreeMap::new();
    let here = EXERCISED_HERE
        .iter()
        .map(|name| (*name, "coverage_moto.rs"));
    for (name, file) in here.chain(COVERED_ELSEWHERE.iter().copied()) {
        listed.entry(name).or_default().push(file);
        match cli_name.get(name) {
            None => problems.push(format!("{name} (in {file}'s list) is not an operation")),
            Some(cli) if !exercised[file].contains(*cli) => problems.push(format!(
                "{name} is listed as exercised in {file}, but no running test there quotes \"{cli}\""
            )),
            Some(_) => {}
        }
    }
    for (name, reason) in NOT_IMPLEMENTED_BY_ANY_LOCAL_SERVER {
        listed.entry(name).or_default().push("not implemented");
        assert!(!reason.is_empty());
        match cli_name.get(name) {
            None => problems.push(format!("{name} (not implemented) is not an operation")),
            Some(cli) => {
                for (file, names) in &exercised {
                    if names.contains(*cli) {
                        problems.push(format!(
                            "{name} is listed as not implemented, but a running test in {file} uses \"{cli}\""
                        ));
                    }
                }
            }
        }
    }
    for op in s3op::OPERATIONS {
        match listed.get(op.name).map(Vec::as_slice) {
            None | Some([]) => problems.push(format!(
                "{} ({}) is neither exercised by a live test nor listed as not implemented",
                op.name, op.cli_name
            )),
            Some([_]) => {}
            Some(places) => {
                problems.push(format!("{} is listed more than once: {places:?}", op.name))
            }
        }
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}

fn s3(args: &[&str]) -> Run {
    s3_in(None, args)
}

/// s3op against the shared moto server, signing for `region` (default us-east-1).
fn s3_in(region: Option<&str>, args: &[&str]) -> Run {
    let server = support::moto();
    let env = [
        ("AWS_ACCESS_KEY_ID", server.access_key.as_str()),
        ("AWS_SECRET_ACCESS_KEY", server.secret_key.as_str()),
        ("AWS_REGION", region.unwrap_or(server.region.as_str())),
    ];
    let mut full = vec!["--endpoint-url", server.endpoint.as_str()];
    full.extend_from_slice(args);
    clirun::run(&env, &full)
}

/// Run, require exit 0, return the envelope.
fn ok(args: &[&str]) -> Value {
    let run = s3(args);
    run.expect_code(0);
    run.json()
}

/// Run, require the S3 error `code` (exit 1), return the envelope.
fn fails(args: &[&str], status: u64, code: &str) -> Value {
    let run = s3(args);
    run.expect_code(1);
    let envelope = run.json();
    assert_eq!(envelope["status"], status, "{run}");
    assert_eq!(envelope["response"]["Error"]["Code"], code, "{run}");
    envelope
}

fn new_bucket(prefix: &str) -> String {
    let bucket = support::unique_bucket(prefix);
    ok(&["create-bucket", "--bucket", &bucket]);
    bucket
}

fn temp_file(name: &str, body: &[u8]) -> std::path::PathBuf {
    let path = std::env::temp_dir().join(format!("s3op-coverage-{}-{name}", std::process::id()));
    std::fs::write(&path, body).expect("temp file");
    path
}

fn put_small(bucket: &str, key: &str, body: &[u8], extra: &[&str]) -> Value {
    let path = temp_file(&format!("{bucket}-{}", key.replace('/', "_")), body);
    let mut args = vec![
        "put-object",
        "--bucket",
        bucket,
        "--key",
        key,
        "--body",
        path.to_str().unwrap_or_default(),
    ];
    args.extend_from_slice(extra);
    let envelope = ok(&args);
    let _ = std::fs::remove_file(path);
    envelope
}

/// Put `config` with `put`/`flag`, delete it with `delete` (204), and find it gone: `get` answers
/// the error `code` with a 404.
fn put_delete_gone(
    bucket: &str,
    put: &str,
    flag: &str,
    config: &str,
    delete: &str,
    get: &str,
    code: &str,
) {
    ok(&[put, "--bucket", bucket, flag, config]);
    ok(&[get, "--bucket", bucket]);
    let deleted = ok(&[delete, "--bucket", bucket]);
    assert_eq!(deleted["status"], 204, "{deleted}");
    assert!(deleted["response"].is_null(), "{deleted}");
    fails(&[get, "--bucket", bucket], 404, code);
}

#[test]
fn list_buckets_and_head_bucket() {
    let bucket = new_bucket("listed");
    let head = ok(&["head-bucket", "--bucket", &bucket]);
    assert_eq!(head["status"], 200);
    assert_eq!(
        head["headers"]["x-amz-bucket-region"], "us-east-1",
        "{head}"
    );
    let listed = ok(&["list-buckets"]);
    let buckets = listed["response"]["Buckets"]
        .as_array()
        .expect("Buckets is an array");
    assert!(
        buckets.iter().any(|b| b["Name"] == bucket.as_str()),
        "{bucket} is listed: {listed}"
    );
    assert!(listed["response"]["Owner"]["ID"].is_string(), "{listed}");
    let missing = s3(&[
        "head-bucket",
        "--bucket",
        &support::unique_bucket("never-made"),
    ]);
    missing.expect_code(1);
    assert_eq!(missing.status(), 404);
}

#[test]
fn bucket_location_names_the_region() {
    let bucket = support::unique_bucket("eu-loc");
    ok(&[
        "create-bucket",
        "--bucket",
        &bucket,
        "--create-bucket-configuration",
        r#"{"LocationConstraint":"eu-west-1"}"#,
    ]);
    let got = ok(&["get-bucket-location", "--bucket", &bucket]);
    let response = &got["response"];
    // Either form names the region: the element's text, or botocore's {"LocationConstraint": ...}.
    assert!(
        response == "eu-west-1" || response["LocationConstraint"] == "eu-west-1",
        "{got}"
    );
}

#[test]
fn bucket_location_has_one_json_type() {
    // us-east-1 buckets answer an empty <LocationConstraint/>; other regions its text. The response
    // should have the same JSON type in both cases: "" and "eu-west-1" (as the converter's own unit
    // test has it for the text), not {} and "eu-west-1".
    let home = new_bucket("us-loc");
    let eu = support::unique_bucket("eu-loc2");
    ok(&[
        "create-bucket",
        "--bucket",
        &eu,
        "--create-bucket-configuration",
        r#"{"LocationConstraint":"eu-west-1"}"#,
    ]);
    let eu_location = ok(&["get-bucket-location", "--bucket", &eu])["response"].clone();
    let home_location = ok(&["get-bucket-location", "--bucket", &home])["response"].clone();
    assert_eq!(eu_location, json!({"LocationConstraint": "eu-west-1"}));
    assert_eq!(home_location, json!({"LocationConstraint": ""}));
}

#[test]
fn cors_delete() {
    put_delete_gone(
        &new_bucket("cors-del"),
        "put-bucket-cors",
        "--cors-configuration",
        r#"{"CORSRules":[{"AllowedMethods":["GET"],"AllowedOrigins":["*"]}]}"#,
        "delete-bucket-cors",
        "get-bucket-cors",
        "NoSuchCORSConfiguration",
    );
}

#[test]
fn lifecycle_delete() {
    put_delete_gone(
        &new_bucket("lc-del"),
        "put-bucket-lifecycle-configuration",
        "--lifecycle-configuration",
        r#"{"Rules":[{"ID":"x","Filter":{"Prefix":""},"Status":"Enabled","Expiration":{"Days":1}}]}"#,
        "delete-bucket-lifecycle",
        "get-bucket-lifecycle-configuration",
        "NoSuchLifecycleConfiguration",
    );
}

#[test]
fn website_delete() {
    put_delete_gone(
        &new_bucket("web-del"),
        "put-bucket-website",
        "--website-configuration",
        r#"{"IndexDocument":{"Suffix":"index.html"}}"#,
        "delete-bucket-website",
        "get-bucket-website",
        "NoSuchWebsiteConfiguration",
    );
}

#[test]
fn replication_delete() {
    let bucket = new_bucket("repl-del");
    ok(&[
        "put-bucket-versioning",
        "--bucket",
        &bucket,
        "--versioning-configuration",
        r#"{"Status":"Enabled"}"#,
    ]);
    let config = json!({
        "Role": "arn:aws:iam::123456789012:role/r",
        "Rules": [{"ID": "all", "Priority": 1, "Filter": {"Prefix": ""}, "Status": "Enabled",
                   "Destination": {"Bucket": "arn:aws:s3:::elsewhere"},
                   "DeleteMarkerReplication": {"Status": "Disabled"}}]
    });
    put_delete_gone(
        &bucket,
        "put-bucket-replication",
        "--replication-configuration",
        &config.to_string(),
        "delete-bucket-replication",
        "get-bucket-replication",
        "ReplicationConfigurationNotFoundError",
    );
}

#[test]
fn public_access_block_delete() {
    put_delete_gone(
        &new_bucket("pab-del"),
        "put-public-access-block",
        "--public-access-block-configuration",
        r#"{"BlockPublicAcls":true,"IgnorePublicAcls":true,"BlockPublicPolicy":true,"RestrictPublicBuckets":true}"#,
        "delete-public-access-block",
        "get-public-access-block",
        "NoSuchPublicAccessBlockConfiguration",
    );
}

#[test]
fn ownership_controls_delete() {
    put_delete_gone(
        &new_bucket("own-del"),
        "put-bucket-ownership-controls",
        "--ownership-controls",
        r#"{"Rules":[{"ObjectOwnership":"ObjectWriter"}]}"#,
        "delete-bucket-ownership-controls",
        "get-bucket-ownership-controls",
        "OwnershipControlsNotFoundError",
    );
}

#[test]
fn policy_status_and_delete() {
    let bucket = new_bucket("pol-del");
    let public = format!(
        r#"{{"Version":"2012-10-17","Statement":[{{"Effect":"Allow","Principal":"*","Action":"s3:GetObject","Resource":"arn:aws:s3:::{bucket}/*"}}]}}"#
    );
    ok(&[
        "put-bucket-policy",
        "--bucket",
        &bucket,
        "--policy",
        &public,
    ]);
    let status = ok(&["get-bucket-policy-status", "--bucket", &bucket]);
    assert_eq!(
        status["response"],
        json!({"IsPublic": true}),
        "IsPublic is a boolean: {status}"
    );
    put_delete_gone(
        &bucket,
        "put-bucket-policy",
        "--policy",
        &public,
        "delete-bucket-policy",
        "get-bucket-policy",
        "NoSuchBucketPolicy",
    );
    fails(
        &["get-bucket-policy-status", "--bucket", &bucket],
        404,
        "NoSuchBucketPolicy",
    );
}

#[test]
fn inventory_configurations_are_listed() {
    let bucket = new_bucket("inv-list");
    let empty = ok(&["list-bucket-inventory-configurations", "--bucket", &bucket]);
    assert_eq!(
        empty["response"],
        json!({"IsTruncated": false, "InventoryConfigurationList": []}),
        "{empty}"
    );
    for id in ["daily", "weekly"] {
        let config = json!({
            "Id": id,
            "IsEnabled": id == "daily",
            "Destination": {"S3BucketDestination": {"Bucket": "arn:aws:s3:::inventories", "Format": "CSV"}},
            "IncludedObjectVersions": "All",
            "Schedule": {"Frequency": if id == "daily" { "Daily" } else { "Weekly" }}
        });
        ok(&[
            "put-bucket-inventory-configuration",
            "--bucket",
            &bucket,
            "--id",
            id,
            "--inventory-configuration",
            &config.to_string(),
        ]);
    }
    let listed = ok(&["list-bucket-inventory-configurations", "--bucket", &bucket]);
    let list = listed["response"]["InventoryConfigurationList"]
        .as_array()
        .expect("InventoryConfigurationList is an array");
    let ids: BTreeSet<&str> = list.iter().filter_map(|c| c["Id"].as_str()).collect();
    assert_eq!(ids, BTreeSet::from(["daily", "weekly"]), "{listed}");
    assert!(list.iter().all(|c| c["IsEnabled"].is_boolean()), "{listed}");
    assert_eq!(listed["response"]["IsTruncated"], false);
}

#[test]
fn notification_deprecated_form() {
    let bucket = new_bucket("ntf-legacy");
    let config = json!({"TopicConfiguration": {
        "Id": "legacy-topic",
        "Events": ["s3:ObjectCreated:*", "s3:ObjectRemoved:*"],
        "Topic": "arn:aws:sns:us-east-1:123456789012:legacy"
    }});
    ok(&[
        "put-bucket-notification",
        "--bucket",
        &bucket,
        "--notification-configuration",
        &config.to_string(),
    ]);
    let got = ok(&["get-bucket-notification", "--bucket", &bucket]);
    assert_eq!(got["response"], config, "{got}");
}

#[test]
fn object_acl_from_headers() {
    // moto reads PutObjectAcl's grants from headers only (see roundtrip_moto.rs, object_acl).
    let bucket = new_bucket("oacl");
    put_small(&bucket, "notes.txt", b"notes", &[]);
    let owner = ok(&["get-object-acl", "--bucket", &bucket, "--key", "notes.txt"])["response"]
        ["Owner"]["ID"]
        .as_str()
        .expect("Owner.ID")
        .to_string();
    ok(&[
        "put-object-acl",
        "--bucket",
        &bucket,
        "--key",
        "notes.txt",
        "--grant-full-control",
        &format!("id=\"{owner}\""),
        "--grant-read",
        "uri=\"http://acs.amazonaws.com/groups/global/AllUsers\"",
    ]);
    let got = ok(&["get-object-acl", "--bucket", &bucket, "--key", "notes.txt"]);
    let grants = got["response"]["Grants"]
        .as_array()
        .expect("Grants is an array");
    assert!(
        grants.contains(&json!({
            "Grantee": {"Type": "Group", "URI": "http://acs.amazonaws.com/groups/global/AllUsers"},
            "Permission": "READ"
        })),
        "{got}"
    );
    // A canned ACL replaces the grants: private leaves the owner's only.
    ok(&[
        "put-object-acl",
        "--bucket",
        &bucket,
        "--key",
        "notes.txt",
        "--acl",
        "private",
    ]);
    let private = ok(&["get-object-acl", "--bucket", &bucket, "--key", "notes.txt"]);
    assert_eq!(
        private["response"]["Grants"],
        json!([{"Grantee": {"Type": "CanonicalUser", "ID": owner}, "Permission": "FULL_CONTROL"}]),
        "one grant is still an array: {private}"
    );
}

#[test]
fn bucket_canned_acl() {
    let bucket = new_bucket("bacl");
    ok(&[
        "put-bucket-acl",
        "--bucket",
        &bucket,
        "--acl",
        "public-read",
    ]);
    let got = ok(&["get-bucket-acl", "--bucket", &bucket]);
    let grants = got["response"]["Grants"]
        .as_array()
        .expect("Grants is an array");
    assert!(
        grants.iter().any(|g| g["Grantee"]["URI"]
            == "http://acs.amazonaws.com/groups/global/AllUsers"
            && g["Permission"] == "READ"),
        "{got}"
    );
}

#[test]
fn object_retention_is_set() {
    // moto sets retention but does not answer GetObjectRetention: the object's headers show it.
    let bucket = support::unique_bucket("retain");
    ok(&[
        "create-bucket",
        "--bucket",
        &bucket,
        "--object-lock-enabled-for-bucket",
        "true",
    ]);
    let put = put_small(&bucket, "ledger.csv", b"a,b\n", &[]);
    let version = put["headers"]["x-amz-version-id"]
        .as_str()
        .expect("a lock bucket is versioned")
        .to_string();
    let retained = ok(&[
        "put-object-retention",
        "--bucket",
        &bucket,
        "--key",
        "ledger.csv",
        "--version-id",
        &version,
        "--retention",
        r#"{"Mode":"GOVERNANCE","RetainUntilDate":"2031-02-03T04:05:06Z"}"#,
    ]);
    assert_eq!(retained["status"], 200);
    let head = ok(&["head-object", "--bucket", &bucket, "--key", "ledger.csv"]);
    assert_eq!(
        head["headers"]["x-amz-object-lock-mode"], "GOVERNANCE",
        "{head}"
    );
    let until = head["headers"]["x-amz-object-lock-retain-until-date"]
        .as_str()
        .unwrap_or_default();
    assert!(until.starts_with("2031-02-03T04:05:06"), "{head}");
}

#[test]
fn object_attributes() {
    let bucket = new_bucket("attrs");
    put_small(
        &bucket,
        "data.bin",
        b"0123456789",
        &["--storage-class", "STANDARD_IA"],
    );
    let got = ok(&[
        "get-object-attributes",
        "--bucket",
        &bucket,
        "--key",
        "data.bin",
        "--object-attributes",
        r#"["ETag","ObjectSize","StorageClass"]"#,
    ]);
    let response = &got["response"];
    assert_eq!(response["ObjectSize"], 10, "ObjectSize is a number: {got}");
    assert_eq!(response["StorageClass"], "STANDARD_IA", "{got}");
    assert!(response["ETag"].is_string(), "{got}");
}

#[test]
fn restore_archived_object() {
    let bucket = new_bucket("restore");
    put_small(
        &bucket,
        "cold.tar",
        b"archived",
        &["--storage-class", "GLACIER"],
    );
    let request = r#"{"Days":2,"GlacierJobParameters":{"Tier":"Standard"}}"#;
    let args = [
        "restore-object",
        "--bucket",
        &bucket,
        "--key",
        "cold.tar",
        "--restore-request",
        request,
    ];
    // 202: restore started; 200: already restored.
    assert_eq!(ok(&args)["status"], 202);
    assert_eq!(ok(&args)["status"], 200);
    let head = ok(&["head-object", "--bucket", &bucket, "--key", "cold.tar"]);
    let restore = head["headers"]["x-amz-restore"]
        .as_str()
        .unwrap_or_default();
    assert!(restore.contains("ongoing-request=\"false\""), "{head}");
}

#[test]
fn select_object_content() {
    let bucket = new_bucket("select");
    put_small(&bucket, "people.csv", b"name,age\nann,30\nbob,40\n", &[]);
    let got = ok(&[
        "select-object-content",
        "--bucket",
        &bucket,
        "--key",
        "people.csv",
        "--expression",
        "SELECT * FROM S3Object",
        "--expression-type",
        "SQL",
        "--input-serialization",
        r#"{"CSV":{"FileHeaderInfo":"USE"}}"#,
        "--output-serialization",
        r#"{"CSV":{}}"#,
    ]);
    assert_eq!(
        got["headers"]["content-type"], "application/vnd.amazon.eventstream",
        "{got}"
    );
    // The event stream is decoded: each event in `Payload`, the records' bytes joined in `Records`.
    let response = &got["response"];
    let records = response["Records"]
        .as_str()
        .expect("Records is the records' text");
    assert!(records.starts_with("ann,30\nbob,40\n"), "{got}");
    let events = response["Payload"]
        .as_array()
        .expect("Payload is the list of events");
    let stats = events
        .iter()
        .find_map(|event| event.get("Stats"))
        .expect("a Stats event");
    assert!(
        stats["Details"]["BytesScanned"]
            .as_u64()
            .is_some_and(|n| n > 0),
        "{got}"
    );
    assert!(
        events.iter().any(|event| event.get("End").is_some()),
        "an End event: {got}"
    );
}

#[test]
fn multipart_with_a_copied_part() {
    let bucket = new_bucket("mpcopy");
    put_small(&bucket, "source.txt", b"0123456789abcdef", &[]);
    let created = ok(&[
        "create-multipart-upload",
        "--bucket",
        &bucket,
        "--key",
        "joined",
    ]);
    let upload_id = created["response"]["UploadId"]
        .as_str()
        .expect("UploadId")
        .to_string();

    // Part 1 uploaded (every part but the last is at least 5 MiB), part 2 copied from a range.
    let first = vec![b'x'; 5 * 1024 * 1024];
    let file = temp_file("mpcopy-part1", &first);
    let part1 = ok(&[
        "upload-part",
        "--bucket",
        &bucket,
        "--key",
        "joined",
        "--upload-id",
        &upload_id,
        "--part-number",
        "1",
        "--body",
        file.to_str().unwrap_or_default(),
    ]);
    let _ = std::fs::remove_file(&file);
    let etag1 = part1["headers"]["etag"].as_str().expect("etag").to_string();
    let copied = ok(&[
        "upload-part-copy",
        "--bucket",
        &bucket,
        "--key",
        "joined",
        "--upload-id",
        &upload_id,
        "--part-number",
        "2",
        "--copy-source",
        &format!("{bucket}/source.txt"),
        "--copy-source-range",
        "bytes=10-15",
    ]);
    let etag2 = copied["response"]["ETag"]
        .as_str()
        .expect("CopyPartResult.ETag")
        .to_string();
    assert!(copied["response"]["LastModified"].is_string(), "{copied}");

    let parts = ok(&[
        "list-parts",
        "--bucket",
        &bucket,
        "--key",
        "joined",
        "--upload-id",
        &upload_id,
    ]);
    let list = parts["response"]["Parts"]
        .as_array()
        .expect("Parts is an array");
    let summary: Vec<(i64, i64)> = list
        .iter()
        .map(|p| {
            (
                p["PartNumber"].as_i64().unwrap_or(0),
                p["Size"].as_i64().unwrap_or(0),
            )
        })
        .collect();
    assert_eq!(summary, [(1, 5 * 1024 * 1024), (2, 6)], "{parts}");

    let done = ok(&[
        "complete-multipart-upload",
        "--bucket",
        &bucket,
        "--key",
        "joined",
        "--upload-id",
        &upload_id,
        "--multipart-upload",
        &json!({"Parts": [
            {"ETag": etag1, "PartNumber": 1},
            {"ETag": etag2, "PartNumber": 2}
        ]})
        .to_string(),
    ]);
    let etag = done["response"]["ETag"].as_str().expect("ETag");
    assert!(etag.trim_matches('"').ends_with("-2"), "{done}");
    let out = std::env::temp_dir().join(format!("s3op-coverage-{}-joined", std::process::id()));
    ok(&[
        "get-object",
        "--bucket",
        &bucket,
        "--key",
        "joined",
        "--range",
        &format!("bytes={}-", 5 * 1024 * 1024 - 2),
        out.to_str().unwrap_or_default(),
    ]);
    assert_eq!(std::fs::read(&out).expect("download"), b"xxabcdef");
    let _ = std::fs::remove_file(out);
}

#[test]
fn bucket_in_another_region() {
    // Not an operation of its own: the region flag reaches moto, which files the bucket there.
    let bucket = support::unique_bucket("west");
    let run = s3_in(
        Some("eu-west-1"),
        &[
            "create-bucket",
            "--bucket",
            &bucket,
            "--create-bucket-configuration",
            r#"{"LocationConstraint":"eu-west-1"}"#,
        ],
    );
    run.expect_code(0);
    let head = ok(&["head-bucket", "--bucket", &bucket]);
    assert_eq!(
        head["headers"]["x-amz-bucket-region"], "eu-west-1",
        "{head}"
    );
}

#[test]
fn url_encoded_listing_is_decoded() {
    let bucket = new_bucket("urlenc");
    let key = "dir/a b+c&d%.txt";
    put_small(&bucket, key, b"x", &[]);
    let listed = ok(&[
        "list-objects-v2",
        "--bucket",
        &bucket,
        "--encoding-type",
        "url",
    ]);
    assert_eq!(listed["response"]["EncodingType"], "url", "{listed}");
    assert_eq!(listed["response"]["Contents"][0]["Key"], key, "{listed}");
    let v1 = ok(&[
        "list-objects",
        "--bucket",
        &bucket,
        "--encoding-type",
        "url",
    ]);
    assert_eq!(v1["response"]["Contents"][0]["Key"], key, "{v1}");
}

#[test]
fn keys_the_server_did_not_encode_are_kept() {
    // moto ignores encoding-type=url on ListObjectVersions and ListMultipartUploads: it sends the keys
    // as they are and no <EncodingType>. Decoding them anyway turns '+' into a space. botocore decodes
    // only when the response says <EncodingType>url</EncodingType>.
    let bucket = new_bucket("noenc");
    put_small(&bucket, "a b+c.txt", b"x", &[]);
    let versions = ok(&[
        "list-object-versions",
        "--bucket",
        &bucket,
        "--encoding-type",
        "url",
    ]);
    assert!(versions["response"]["EncodingType"].is_null(), "{versions}");
    assert_eq!(
        versions["response"]["Versions"][0]["Key"], "a b+c.txt",
        "{versions}"
    );
    ok(&[
        "create-multipart-upload",
        "--bucket",
        &bucket,
        "--key",
        "up+load",
    ]);
    let uploads = ok(&[
        "list-multipart-uploads",
        "--bucket",
        &bucket,
        "--encoding-type",
        "url",
    ]);
    assert_eq!(
        uploads["response"]["Uploads"][0]["Key"], "up+load",
        "{uploads}"
    );
}

#[test]
fn checksum_algorithm_sends_the_checksum() {
    // S3 refuses x-amz-sdk-checksum-algorithm without the matching x-amz-checksum-* header (or
    // trailer); botocore computes it: for "hi\n", x-amz-checksum-crc32: 7W96eg== (CRC32, big-endian,
    // base64). moto computes a missing one itself, so the request is checked, not the answer.
    let bucket = new_bucket("crc");
    let file = temp_file("crc-body", b"hi\n");
    let path = file.to_str().unwrap_or_default();
    let args = [
        "put-object",
        "--bucket",
        &bucket,
        "--key",
        "k",
        "--body",
        path,
        "--checksum-algorithm",
        "CRC32",
    ];
    let mut dry = vec!["--dry-run"];
    dry.extend_from_slice(&args);
    let request = ok(&dry);
    assert_eq!(
        request["headers"]["x-amz-sdk-checksum-algorithm"], "CRC32",
        "{request}"
    );
    assert_eq!(
        request["headers"]["x-amz-checksum-crc32"], "7W96eg==",
        "{request}"
    );
    let put = ok(&args);
    assert_eq!(put["headers"]["x-amz-checksum-crc32"], "7W96eg==", "{put}");
    let _ = std::fs::remove_file(file);
}
