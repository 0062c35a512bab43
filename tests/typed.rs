//! The typed library (`s3op::types`) against real servers: listings, heads, tagging and versions read
//! into `{Operation}Output` structs with the values the servers sent; typed setters that send what the
//! typed getters read back; typed pages over more than one page; unknown enumeration values kept;
//! answers that do not fit refused with `InvalidResponse` naming the field; builders moved into tasks;
//! `Error`'s service accessors. And one check against an independent oracle: every output struct has
//! exactly the members botocore's model gives that operation's output.

mod support;

use std::collections::{BTreeMap, BTreeSet, HashMap};

use futures_util::StreamExt;
use s3op::types::{
    BucketVersioningStatus, GetBucketTaggingOutput, HeadObjectOutput, ListObjectsV2Output,
    ObjectStorageClass, StorageClass, Tag, Tagging, VersioningConfiguration,
};
use s3op::{Envelope, Error};

async fn new_bucket(client: &s3op::Client, prefix: &str) -> String {
    let bucket = support::unique_bucket(prefix);
    client
        .create_bucket()
        .bucket(&bucket)
        .send()
        .await
        .expect("create-bucket");
    bucket
}

fn near_now(t: &time::OffsetDateTime) -> bool {
    let now = time::OffsetDateTime::now_utc();
    (now - *t).whole_seconds().abs() < 600
}

#[tokio::test]
async fn list_objects_v2_and_head_object_are_typed_on_s3s_fs() {
    let server = support::s3s_fs();
    let client = server.client();
    let bucket = new_bucket(&client, "typed-list").await;
    let bodies = [("a.txt", "hello"), ("b/c.txt", "hello, world"), ("d", "")];
    let mut etags = Vec::new();
    for (key, body) in bodies {
        let put = client
            .put_object()
            .bucket(&bucket)
            .key(key)
            .body(body)
            .content_type("text/plain")
            .metadata([("colour", "blue"), ("owner", key)])
            .send_typed()
            .await
            .expect("put-object");
        etags.push(put.e_tag().map(String::from));
    }

    let listing: ListObjectsV2Output = client
        .list_objects_v2()
        .bucket(&bucket)
        .send_typed()
        .await
        .expect("typed listing");
    let got: Vec<(&str, i64)> = listing
        .contents()
        .iter()
        .map(|o| (o.key().unwrap_or_default(), o.size().unwrap_or(-1)))
        .collect();
    let want: Vec<(&str, i64)> = bodies.iter().map(|(k, b)| (*k, b.len() as i64)).collect();
    assert_eq!(got, want);
    assert_eq!(listing.key_count(), Some(3));
    assert_eq!(listing.name(), Some(bucket.as_str()));
    assert_eq!(listing.is_truncated(), Some(false));
    for object in listing.contents() {
        let modified = object.last_modified().expect("LastModified");
        assert!(near_now(modified), "{modified}");
        // s3s-fs sends no StorageClass (moto does: see the storage class test).
        assert_eq!(object.storage_class(), None);
        // s3s-fs sends no ETag in listings (the head below has it).
        assert_eq!(object.e_tag(), None);
    }

    // The same listing, read from its envelope, is the same value.
    let envelope = client
        .list_objects_v2()
        .bucket(&bucket)
        .send()
        .await
        .expect("listing");
    assert_eq!(
        envelope.parse::<ListObjectsV2Output>().expect("parse"),
        listing
    );

    let head_envelope = client
        .head_object()
        .bucket(&bucket)
        .key("b/c.txt")
        .send()
        .await
        .expect("head-object");
    let head: HeadObjectOutput = head_envelope.parse().expect("typed head");
    assert_eq!(head.content_length(), Some(12));
    assert_eq!(head.content_type(), Some("text/plain"));
    assert_eq!(
        head.e_tag(),
        head_envelope.headers.get("etag").map(String::as_str)
    );
    assert!(head.e_tag().is_some_and(|e| e.starts_with('"')));
    assert_eq!(head.e_tag(), etags[1].as_deref());
    let modified = head.last_modified().expect("Last-Modified");
    assert_eq!(
        Some(modified.unix_timestamp()),
        listing.contents()[1]
            .last_modified()
            .map(|t| t.unix_timestamp())
    );
    let metadata: HashMap<String, String> = [("colour", "blue"), ("owner", "b/c.txt")]
        .into_iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
    assert_eq!(head.metadata(), &metadata);
    assert_eq!(head.delete_marker(), None);
}

#[tokio::test]
async fn typed_tagging_goes_out_and_comes_back_equal_on_moto() {
    let server = support::moto();
    let client = server.client();
    let bucket = new_bucket(&client, "typed-tagging").await;
    let tagging = Tagging {
        tag_set: vec![
            Tag {
                key: "team".into(),
                value: "web".into(),
            },
            Tag {
                key: "cost centre".into(),
                value: "4 2".into(),
            },
        ],
    };
    client
        .put_bucket_tagging()
        .bucket(&bucket)
        .tagging(tagging.clone())
        .send()
        .await
        .expect("put-bucket-tagging");
    let got: GetBucketTaggingOutput = client
        .get_bucket_tagging()
        .bucket(&bucket)
        .send_typed()
        .await
        .expect("typed get-bucket-tagging");
    let sorted = |tags: &[Tag]| {
        let mut tags = tags.to_vec();
        tags.sort_by(|a, b| a.key.cmp(&b.key));
        tags
    };
    assert_eq!(sorted(got.tag_set()), sorted(&tagging.tag_set));
    // Serialising the typed value gives the JSON the JSON setter takes.
    assert_eq!(
        serde_json::to_value(&tagging).expect("serialise"),
        serde_json::json!({"TagSet": [{"Key": "team", "Value": "web"}, {"Key": "cost centre", "Value": "4 2"}]})
    );
}

#[tokio::test]
async fn storage_classes_are_enums_both_ways_on_moto() {
    let server = support::moto();
    let client = server.client();
    let bucket = new_bucket(&client, "typed-classes").await;
    client
        .put_object()
        .bucket(&bucket)
        .key("cold")
        .body("brr")
        .storage_class(StorageClass::StandardIa)
        .send()
        .await
        .expect("put-object STANDARD_IA");
    client
        .put_object()
        .bucket(&bucket)
        .key("plain")
        .body("hi")
        // A plain string still works: enum setters take anything that converts.
        .storage_class("STANDARD")
        .send()
        .await
        .expect("put-object STANDARD");
    let listing = client
        .list_objects_v2()
        .bucket(&bucket)
        .send_typed()
        .await
        .expect("typed listing");
    let classes: Vec<(Option<&str>, Option<&ObjectStorageClass>)> = listing
        .contents()
        .iter()
        .map(|o| (o.key(), o.storage_class()))
        .collect();
    assert_eq!(
        classes,
        vec![
            (Some("cold"), Some(&ObjectStorageClass::StandardIa)),
            (Some("plain"), Some(&ObjectStorageClass::Standard)),
        ]
    );
    let head = client
        .head_object()
        .bucket(&bucket)
        .key("cold")
        .send_typed()
        .await
        .expect("typed head");
    assert_eq!(head.storage_class(), Some(&StorageClass::StandardIa));
}

#[tokio::test]
async fn list_object_versions_is_typed_on_moto() {
    let server = support::moto();
    let client = server.client();
    let bucket = new_bucket(&client, "typed-versions").await;
    client
        .put_bucket_versioning()
        .bucket(&bucket)
        .versioning_configuration(VersioningConfiguration {
            status: Some(BucketVersioningStatus::Enabled),
            ..Default::default()
        })
        .send()
        .await
        .expect("put-bucket-versioning");
    let versioning = client
        .get_bucket_versioning()
        .bucket(&bucket)
        .send_typed()
        .await
        .expect("typed get-bucket-versioning");
    assert_eq!(versioning.status(), Some(&BucketVersioningStatus::Enabled));

    let mut ids = Vec::new();
    for body in ["one", "two!"] {
        let put = client
            .put_object()
            .bucket(&bucket)
            .key("k")
            .body(body)
            .send_typed()
            .await
            .expect("put-object");
        ids.push(put.version_id().expect("a version id").to_string());
    }
    client
        .delete_object()
        .bucket(&bucket)
        .key("k")
        .send()
        .await
        .expect("delete-object");

    let versions = client
        .list_object_versions()
        .bucket(&bucket)
        .send_typed()
        .await
        .expect("typed list-object-versions");
    let mut listed: Vec<(String, i64, bool)> = versions
        .versions()
        .iter()
        .map(|v| {
            (
                v.version_id().unwrap_or_default().to_string(),
                v.size().unwrap_or(-1),
                v.is_latest().unwrap_or(true),
            )
        })
        .collect();
    listed.sort();
    let mut want = vec![(ids[0].clone(), 3, false), (ids[1].clone(), 4, false)];
    want.sort();
    assert_eq!(listed, want);
    assert_eq!(versions.delete_markers().len(), 1);
    let marker = &versions.delete_markers()[0];
    assert_eq!(marker.key(), Some("k"));
    assert_eq!(marker.is_latest(), Some(true));
    assert!(marker.last_modified().is_some_and(near_now));
}

#[tokio::test]
async fn typed_pages_follow_a_listing_of_more_than_a_thousand_keys() {
    let server = support::s3s_fs();
    let client = server.client();
    let bucket = new_bucket(&client, "typed-pages").await;
    let count = 1_050;
    let uploads = futures_util::stream::iter(0..count).map(|i| {
        let client = client.clone();
        let bucket = bucket.clone();
        async move {
            client
                .put_object()
                .bucket(&bucket)
                .key(format!("key-{i:04}"))
                .body(format!("{i}"))
                .send()
                .await
        }
    });
    let results: Vec<_> = uploads.buffer_unordered(32).collect().await;
    assert!(results.iter().all(Result::is_ok), "every upload succeeds");

    let pages: Vec<ListObjectsV2Output> = client
        .list_objects_v2()
        .bucket(&bucket)
        .typed_pages()
        .map(|page| page.expect("a typed page"))
        .collect()
        .await;
    assert!(pages.len() >= 2, "{} pages", pages.len());
    assert_eq!(pages[0].is_truncated(), Some(true));
    assert!(pages[0].next_continuation_token().is_some());
    assert_eq!(pages.last().and_then(|p| p.is_truncated()), Some(false));
    let keys: Vec<String> = pages
        .iter()
        .flat_map(|p| {
            p.contents()
                .iter()
                .filter_map(|o| o.key().map(String::from))
        })
        .collect();
    let want: Vec<String> = (0..count).map(|i| format!("key-{i:04}")).collect();
    assert_eq!(keys, want);
    let sizes: i64 = pages
        .iter()
        .flat_map(|p| p.contents().iter().filter_map(|o| o.size()))
        .sum();
    let want_size: i64 = (0..count).map(|i| format!("{i}").len() as i64).sum();
    assert_eq!(sizes, want_size);

    // The envelope stream is the same pages.
    let envelopes: Vec<Envelope> = client
        .list_objects_v2()
        .bucket(&bucket)
        .pages()
        .map(|page| page.expect("a page"))
        .collect()
        .await;
    assert_eq!(envelopes.len(), pages.len());
}

/// An envelope as a server answers ListObjectsV2, with one object whose storage class is `class`.
fn listing_envelope(class: &str, size: serde_json::Value) -> Envelope {
    Envelope {
        status: 200,
        response: serde_json::json!({
            "Name": "b",
            "Contents": [{
                "Key": "k",
                "Size": size,
                "StorageClass": class,
                "LastModified": "2009-10-12T17:50:30.000Z"
            }],
            "IsTruncated": false
        }),
        headers: BTreeMap::new(),
    }
}

#[test]
fn an_unknown_enumeration_value_is_kept_in_unknown() {
    let listing: ListObjectsV2Output = listing_envelope("FANCY_NEW_TIER", 5.into())
        .parse()
        .expect("parse");
    let object = &listing.contents()[0];
    assert_eq!(
        object.storage_class(),
        Some(&ObjectStorageClass::Unknown("FANCY_NEW_TIER".into()))
    );
    assert_eq!(
        object.storage_class().map(|c| c.as_str()),
        Some("FANCY_NEW_TIER")
    );
    assert_eq!(
        object.last_modified().map(|t| t.unix_timestamp()),
        Some(1_255_369_830)
    );
    // Known values convert both ways; serialising writes the plain string back.
    assert_eq!(
        ObjectStorageClass::from("GLACIER_IR"),
        ObjectStorageClass::GlacierIr
    );
    assert_eq!(
        serde_json::to_value(ObjectStorageClass::GlacierIr).expect("serialise"),
        serde_json::json!("GLACIER_IR")
    );
    let json = serde_json::to_value(&listing).expect("serialise");
    assert_eq!(json["Contents"][0]["StorageClass"], "FANCY_NEW_TIER");
    assert_eq!(json["Contents"][0]["LastModified"], "2009-10-12T17:50:30Z");
}

#[test]
fn an_answer_that_does_not_fit_is_invalid_response_naming_the_field() {
    let wrong = listing_envelope("STANDARD", "not a number".into());
    match wrong.parse::<ListObjectsV2Output>() {
        Err(Error::InvalidResponse(message)) => {
            assert!(message.contains("ListObjectsV2"), "{message}");
            assert!(message.contains("Contents[0].Size"), "{message}");
        }
        other => panic!("expected InvalidResponse, got {other:?}"),
    }

    // A required member missing: Tag's Value.
    let tagging = Envelope {
        status: 200,
        response: serde_json::json!({"TagSet": [{"Key": "k"}]}),
        headers: BTreeMap::new(),
    };
    match tagging.parse::<GetBucketTaggingOutput>() {
        Err(Error::InvalidResponse(message)) => {
            assert!(message.contains("GetBucketTagging"), "{message}");
            assert!(message.contains("TagSet[0]"), "{message}");
            assert!(message.contains("Value"), "{message}");
        }
        other => panic!("expected InvalidResponse, got {other:?}"),
    }

    // A header that is not its shape's type.
    let head = Envelope {
        status: 200,
        response: serde_json::Value::Null,
        headers: [("content-length".to_string(), "twelve".to_string())].into(),
    };
    match head.parse::<HeadObjectOutput>() {
        Err(Error::InvalidResponse(message)) => {
            assert!(message.contains("HeadObject"), "{message}");
            assert!(message.contains("ContentLength"), "{message}");
        }
        other => panic!("expected InvalidResponse, got {other:?}"),
    }

    // An S3 error envelope is the service error, not a typed value.
    let error = Envelope {
        status: 404,
        response: serde_json::json!({"Error": {"Code": "NoSuchBucket", "Message": "gone"}}),
        headers: [("x-amz-request-id".to_string(), "R1".to_string())].into(),
    };
    let e = error
        .parse::<ListObjectsV2Output>()
        .expect_err("an error envelope");
    assert_eq!(e.code(), Some("NoSuchBucket"));
    assert_eq!(e.message(), Some("gone"));
    assert_eq!(e.request_id(), Some("R1"));
}

#[tokio::test]
async fn service_errors_carry_code_message_and_request_id() {
    let server = support::moto();
    let client = server.client();
    let bucket = new_bucket(&client, "typed-errors").await;
    let e = client
        .get_object()
        .bucket(&bucket)
        .key("missing")
        .send_typed()
        .await
        .expect_err("no such key");
    let envelope = e.envelope().expect("a service error has its envelope");
    assert_eq!(envelope.status, 404);
    assert_eq!(e.code(), Some("NoSuchKey"));
    assert_eq!(
        e.message(),
        envelope
            .response
            .pointer("/Error/Message")
            .and_then(|m| m.as_str())
    );
    assert!(e.message().is_some_and(|m| !m.is_empty()));
    let id = envelope
        .headers
        .get("x-amz-request-id")
        .or_else(|| envelope.headers.get("x-amzn-requestid"))
        .map(String::as_str)
        .or_else(|| {
            envelope
                .response
                .pointer("/Error/RequestId")
                .and_then(|r| r.as_str())
        });
    assert!(id.is_some(), "moto names the request: {envelope:?}");
    assert_eq!(e.request_id(), id);

    // Not a service error: no code.
    let bad = Error::InvalidInput("x".into());
    assert_eq!(bad.code(), None);
    assert_eq!(bad.request_id(), None);
}

#[tokio::test]
async fn builders_move_into_spawned_tasks() {
    let server = support::s3s_fs();
    let client = server.client();
    let bucket = new_bucket(&client, "typed-spawn").await;
    let tasks: Vec<_> = (0..4)
        .map(|i| {
            let put = client
                .put_object()
                .bucket(&bucket)
                .key(format!("spawned-{i}"))
                .body(format!("body {i}"));
            tokio::spawn(async move { put.send_typed().await })
        })
        .collect();
    for task in tasks {
        let put = task.await.expect("task").expect("put-object");
        assert!(put.e_tag().is_some());
    }
    let list = client.list_objects_v2().bucket(&bucket).prefix("spawned-");
    let listing = tokio::spawn(async move { list.send_typed().await })
        .await
        .expect("task")
        .expect("listing");
    assert_eq!(listing.contents().len(), 4);
}

/// The oracle: botocore's model (the copy under tests/fixtures), independent of spec/ and of the
/// generator. Each operation's output struct must have exactly the members of the model's output
/// shape, except the body of a blob or event-stream output, which the typed output leaves out.
#[test]
fn every_output_struct_has_the_members_of_botocores_output_shape() {
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/fixtures/s3-model/service-2.json"
    );
    let text = std::fs::read_to_string(path).expect("the model fixture");
    let model: serde_json::Value = serde_json::from_str(&text).expect("model JSON");
    let shapes = &model["shapes"];
    let operations = model["operations"].as_object().expect("operations");
    let mut checked = 0;
    for (name, members_of) in s3op::types::OUTPUT_MEMBERS {
        let Some(op) = operations.get(*name) else {
            panic!("{name}: not in the model");
        };
        let mut want = BTreeSet::new();
        if let Some(output) = op["output"]["shape"].as_str() {
            let shape = &shapes[output];
            let payload = shape["payload"].as_str();
            for (member, r) in shape["members"].as_object().expect("members") {
                let target = &shapes[r["shape"].as_str().expect("shape name")];
                let streamed =
                    target["type"] == "blob" || target["eventstream"].as_bool() == Some(true);
                if payload == Some(member.as_str()) && streamed {
                    continue;
                }
                want.insert(member.clone());
            }
        }
        let got: BTreeSet<String> = members_of().iter().map(|m| m.to_string()).collect();
        assert_eq!(got, want, "{name}Output");
        checked += 1;
    }
    assert_eq!(
        checked,
        operations.len(),
        "every operation has an output type"
    );
}

/// Answers of other shapes on moto: a structure with an attribute (Grantee's `xsi:type`), a body that
/// is one text element (GetBucketLocation), a text payload (GetBucketPolicy), a typed request body
/// (DeleteObjects' `Delete`) and a multipart listing.
#[tokio::test]
async fn other_answer_shapes_read_typed_on_moto() {
    use s3op::types::{Delete, ObjectIdentifier, Permission, Type};

    let server = support::moto();
    let client = server.client();
    let bucket = new_bucket(&client, "typed-shapes").await;
    client
        .put_object()
        .bucket(&bucket)
        .key("k")
        .body("x")
        .send()
        .await
        .expect("put-object");

    let acl = client
        .get_bucket_acl()
        .bucket(&bucket)
        .send_typed()
        .await
        .expect("typed acl");
    let owner_id = acl.owner().and_then(|o| o.id()).expect("an owner id");
    let grant = &acl.grants()[0];
    let grantee = grant.grantee().expect("a grantee");
    assert_eq!(grantee.type_(), &Type::CanonicalUser);
    assert_eq!(grantee.id(), Some(owner_id));
    assert_eq!(grant.permission(), Some(&Permission::FullControl));

    // us-east-1 answers an empty LocationConstraint: kept as the empty value S3 sent.
    let location = client
        .get_bucket_location()
        .bucket(&bucket)
        .send_typed()
        .await
        .expect("typed location");
    assert_eq!(location.location_constraint().map(|l| l.as_str()), Some(""));

    let policy = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":"*","Action":"s3:GetObject","Resource":"arn:aws:s3:::b/*"}]}"#;
    client
        .put_bucket_policy()
        .bucket(&bucket)
        .policy(policy)
        .send()
        .await
        .expect("put-bucket-policy");
    let got = client
        .get_bucket_policy()
        .bucket(&bucket)
        .send_typed()
        .await
        .expect("typed policy");
    let as_json = |text: &str| serde_json::from_str::<serde_json::Value>(text).expect("JSON");
    assert_eq!(got.policy().map(as_json), Some(as_json(policy)));

    let upload = client
        .create_multipart_upload()
        .bucket(&bucket)
        .key("m")
        .send_typed()
        .await
        .expect("typed create-multipart-upload");
    let upload_id = upload.upload_id().expect("an upload id");
    let uploads = client
        .list_multipart_uploads()
        .bucket(&bucket)
        .send_typed()
        .await
        .expect("typed list-multipart-uploads");
    let listed: Vec<(Option<&str>, Option<&str>)> = uploads
        .uploads()
        .iter()
        .map(|u| (u.key(), u.upload_id()))
        .collect();
    assert_eq!(listed, vec![(Some("m"), Some(upload_id))]);

    let deleted = client
        .delete_objects()
        .bucket(&bucket)
        .delete(Delete {
            objects: vec![ObjectIdentifier {
                key: "k".into(),
                ..Default::default()
            }],
            ..Default::default()
        })
        .send_typed()
        .await
        .expect("typed delete-objects");
    let keys: Vec<Option<&str>> = deleted.deleted().iter().map(|d| d.key()).collect();
    assert_eq!(keys, vec![Some("k")]);
    assert!(deleted.errors().is_empty());
}
