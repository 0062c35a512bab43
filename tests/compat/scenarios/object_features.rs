//! The object operations the first suite left out (issue 11): GetObjectAttributes, RestoreObject,
//! object annotations, the directory-bucket calls (CreateSession, ListDirectoryBuckets,
//! RenameObject), UpdateObjectEncryption, WriteGetObjectResponse, and `copy_object_managed` above
//! its multipart threshold. The same rules as `features` hold: a refused first call is followed
//! by the scenario's other calls, each answer recorded.

use s3op::transfer::TransferConfig;
use serde_json::json;

use super::data;
use super::features::{bucket_with_object, delete, first, gone, refused};
use crate::harness::{classify, ours, same, words, wrong, Problem};

const MIB: usize = 1024 * 1024;

fn unquoted(etag: &str) -> &str {
    etag.trim_matches('"')
}

scenario!(object_attributes, |ctx| {
    let bucket = ctx.bucket("attrs").await?;
    let c = &ctx.client;
    let attributes = |key: &str, which: &[&str]| {
        c.get_object_attributes()
            .bucket(&bucket)
            .key(key)
            .object_attributes(which.iter().copied())
            .request()
    };
    let put = ctx
        .send(
            c.put_object()
                .bucket(&bucket)
                .key("single")
                .body("eleven byte")
                .request(),
        )
        .await?;
    let etag = put.headers.get("etag").cloned().unwrap_or_default();
    let got = ctx
        .send(attributes("single", &["ETag", "ObjectSize"]))
        .await?;
    same(
        "ETag and ObjectSize",
        (
            got.response["ETag"].as_str().map(unquoted),
            got.response["ObjectSize"].as_i64(),
        ),
        (Some(unquoted(&etag)), Some(11)),
    )?;
    // A multipart object reports its parts.
    let created = ctx
        .send(
            c.create_multipart_upload()
                .bucket(&bucket)
                .key("parts")
                .request(),
        )
        .await?;
    let upload_id = created.response["UploadId"]
        .as_str()
        .unwrap_or_default()
        .to_string();
    let mut parts = Vec::new();
    for (i, body) in [data(5 * MIB, 4), data(1000, 5)].into_iter().enumerate() {
        let number = i as i64 + 1;
        let uploaded = ctx
            .send(
                c.upload_part()
                    .bucket(&bucket)
                    .key("parts")
                    .upload_id(&upload_id)
                    .part_number(number)
                    .body(body)
                    .request(),
            )
            .await?;
        let tag = uploaded.headers.get("etag").cloned().unwrap_or_default();
        parts.push(json!({"PartNumber": number, "ETag": tag}));
    }
    ctx.send(
        c.complete_multipart_upload()
            .bucket(&bucket)
            .key("parts")
            .upload_id(&upload_id)
            .multipart_upload_json(json!({"Parts": parts}))
            .request(),
    )
    .await?;
    let got = ctx
        .send(attributes("parts", &["ObjectParts", "ObjectSize"]))
        .await?;
    same(
        "ObjectParts.TotalPartsCount and ObjectSize",
        (
            got.response
                .pointer("/ObjectParts/TotalPartsCount")
                .and_then(|v| v.as_i64()),
            got.response["ObjectSize"].as_i64(),
        ),
        (Some(2), Some(5 * MIB as i64 + 1000)),
    )
});

scenario!(restore, |ctx| {
    let bucket = ctx.bucket("restore").await?;
    let c = &ctx.client;
    let head = || c.head_object().bucket(&bucket).key("cold").request();
    let restore = || {
        c.restore_object()
            .bucket(&bucket)
            .key("cold")
            .restore_request_json(json!({"Days": 1, "GlacierJobParameters": {"Tier": "Standard"}}))
            .request()
    };
    first(
        ctx,
        c.put_object()
            .bucket(&bucket)
            .key("cold")
            .storage_class("GLACIER")
            .body("frozen")
            .request(),
        vec![restore()],
    )
    .await?;
    let before = ctx.send(head()).await?;
    if let Err(problem) = same(
        "x-amz-storage-class of an object stored as GLACIER",
        before.headers.get("x-amz-storage-class").cloned(),
        Some("GLACIER".into()),
    ) {
        return Err(refused(ctx, problem, vec![restore()]).await);
    }
    ctx.send(restore()).await?;
    let after = ctx.send(head()).await?;
    let restore = after.headers.get("x-amz-restore").cloned();
    if !restore
        .as_deref()
        .is_some_and(|r| r.contains("ongoing-request="))
    {
        return Err(wrong(
            "HeadObject after RestoreObject has x-amz-restore with ongoing-request",
            restore,
        ));
    }
    Ok(())
});

scenario!(annotations, |ctx| {
    let bucket = bucket_with_object(ctx, "annot").await?;
    let c = &ctx.client;
    let get = || {
        c.get_object_annotation()
            .bucket(&bucket)
            .key("keep")
            .annotation_name("review")
            .request()
    };
    let list = || {
        c.list_object_annotations()
            .bucket(&bucket)
            .key("keep")
            .request()
    };
    let del = || {
        c.delete_object_annotation()
            .bucket(&bucket)
            .key("keep")
            .annotation_name("review")
            .request()
    };
    let payload = "looks good to me";
    first(
        ctx,
        c.put_object_annotation()
            .bucket(&bucket)
            .key("keep")
            .annotation_name("review")
            .annotation_payload(payload)
            .request(),
        vec![get(), list(), del()],
    )
    .await?;
    let (_, body) = ctx.bytes(get()).await?;
    same(
        "the annotation's payload",
        String::from_utf8_lossy(&body).into_owned(),
        payload.to_string(),
    )?;
    let listed = ctx.send(list()).await?;
    if let Err(problem) = same(
        "annotations listed",
        super::strings(&listed.response, "Annotations", "AnnotationName"),
        vec!["review".to_string()],
    ) {
        return Err(refused(ctx, problem, vec![del()]).await);
    }
    delete(ctx, del()).await?;
    gone(ctx, get(), None).await
});

scenario!(directory_buckets, |ctx| {
    let bucket = bucket_with_object(ctx, "dir").await?;
    let c = &ctx.client;
    let list = || c.list_directory_buckets().request();
    let rename = || {
        c.rename_object()
            .bucket(&bucket)
            .key("renamed")
            .rename_source(format!("/{bucket}/keep"))
            .request()
    };
    let session = first(
        ctx,
        c.create_session().bucket(&bucket).request(),
        vec![list(), rename()],
    )
    .await?;
    let token = session
        .response
        .pointer("/Credentials/SessionToken")
        .and_then(|t| t.as_str())
        .unwrap_or_default();
    if token.is_empty() {
        let problem = wrong(
            "CreateSession answers Credentials with a SessionToken",
            &session.response,
        );
        return Err(refused(ctx, problem, vec![list(), rename()]).await);
    }
    // The bucket made here is a general purpose one: a directory bucket listing leaves it out.
    let listed = ctx.send(list()).await?;
    let names = super::strings(&listed.response, "Buckets", "Name");
    if names.contains(&bucket) {
        return Err(wrong(
            "ListDirectoryBuckets lists only directory buckets",
            names,
        ));
    }
    ctx.send(rename()).await?;
    let (_, body) = ctx
        .bytes(c.get_object().bucket(&bucket).key("renamed").request())
        .await?;
    same(
        "the renamed object's bytes",
        String::from_utf8_lossy(&body).into_owned(),
        "keep".to_string(),
    )?;
    gone(
        ctx,
        c.head_object().bucket(&bucket).key("keep").request(),
        None,
    )
    .await
});

scenario!(update_object_encryption, |ctx| {
    let bucket = bucket_with_object(ctx, "reenc").await?;
    let c = &ctx.client;
    let key_arn = "arn:aws:kms:us-east-1:123456789012:key/11111111-2222-3333-4444-555555555555";
    ctx.send(
        c.update_object_encryption()
            .bucket(&bucket)
            .key("keep")
            .object_encryption_json(json!({"SSEKMS": {"KMSKeyArn": key_arn}}))
            .request(),
    )
    .await?;
    let head = ctx
        .send(c.head_object().bucket(&bucket).key("keep").request())
        .await?;
    same(
        "the object's encryption after UpdateObjectEncryption",
        (
            head.headers.get("x-amz-server-side-encryption").cloned(),
            head.headers
                .get("x-amz-server-side-encryption-aws-kms-key-id")
                .cloned(),
        ),
        (Some("aws:kms".into()), Some(key_arn.into())),
    )
});

scenario!(write_get_object_response, |ctx| {
    // Only an Object Lambda access point can answer this: the request goes to
    // `{RequestRoute}.` + the endpoint's host, which no local server is.
    let answer = ctx
        .send(
            ctx.client
                .write_get_object_response()
                .request_route("route-1")
                .request_token("token-1")
                .status_code(200)
                .content_type("text/plain")
                .body("transformed")
                .request(),
        )
        .await?;
    same("WriteGetObjectResponse status", answer.status, 200)
});

scenario!(managed_copy, |ctx| {
    let bucket = ctx.bucket("mcopy").await?;
    let c = &ctx.client;
    let body = data(6 * MIB + 123, 9);
    ctx.send(
        c.put_object()
            .bucket(&bucket)
            .key("big")
            .content_type("application/x-compat")
            .metadata([("origin", "managed-copy")])
            .body(body.clone())
            .request(),
    )
    .await?;
    let config = TransferConfig {
        part_size: 5 * MIB as u64,
        multipart_threshold: MIB as u64,
        copy_threshold: MIB as u64,
        concurrency: 2,
        ..TransferConfig::default()
    };
    let copied = c
        .copy_object_managed(
            &bucket,
            "big",
            &bucket,
            "copy",
            &Default::default(),
            &config,
        )
        .await
        .map_err(|e| classify("copy_object_managed", &e))?;
    if !copied.is_success() {
        return Err(Problem::Failed(words(&copied)));
    }
    // Above the threshold the copy is HeadObject, then a multipart upload of copied parts.
    for op in [
        "head-object",
        "create-multipart-upload",
        "upload-part-copy",
        "complete-multipart-upload",
    ] {
        ctx.answered_by_other_means(op);
    }
    let (got, bytes) = ctx
        .bytes(c.get_object().bucket(&bucket).key("copy").request())
        .await?;
    if bytes != body {
        return Err(wrong(
            "the managed copy's bytes equal the source's",
            format!("{} bytes", bytes.len()),
        ));
    }
    let etag = got.headers.get("etag").cloned().unwrap_or_default();
    if !unquoted(&etag).ends_with("-2") {
        return Err(ours(format!(
            "copy_object_managed did not copy in 2 parts above its threshold: ETag {etag}"
        )));
    }
    same(
        "content type and metadata carried over",
        (
            got.headers.get("content-type").cloned(),
            got.headers.get("x-amz-meta-origin").cloned(),
        ),
        (
            Some("application/x-compat".into()),
            Some("managed-copy".into()),
        ),
    )
});
