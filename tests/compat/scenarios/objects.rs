//! Objects and buckets: the everyday S3 that every server is expected to get right.

use std::time::Duration;

use s3op::transfer::{TransferConfig, UploadOptions};
use serde_json::json;

use super::{data, keys, strings};
use crate::harness::{ours, same, settled, words, wrong, Problem};

fn etag(envelope: &s3op::Envelope) -> String {
    envelope.headers.get("etag").cloned().unwrap_or_default()
}

scenario!(buckets, |ctx| {
    let bucket = ctx.bucket("buckets").await?;
    let c = &ctx.client;
    ctx.send(c.head_bucket().bucket(&bucket).request()).await?;
    let listed = ctx.send(c.list_buckets().request()).await?;
    let names = strings(&listed.response, "Buckets", "Name");
    if !names.contains(&bucket) {
        return Err(wrong(
            &format!("ListBuckets should include {bucket}"),
            names,
        ));
    }
    let location = ctx
        .send(c.get_bucket_location().bucket(&bucket).request())
        .await?;
    let constraint = location.response["LocationConstraint"]
        .as_str()
        .unwrap_or("");
    if !matches!(constraint, "" | "us-east-1") {
        return Err(wrong(
            "us-east-1 has an empty LocationConstraint",
            &location.response,
        ));
    }
    ctx.send(c.delete_bucket().bucket(&bucket).request())
        .await?;
    let gone = ctx
        .answer(c.head_bucket().bucket(&bucket).request())
        .await?;
    same("HeadBucket after DeleteBucket", gone.status, 404)
});

/// Keys a path-based signer or a file-system server gets wrong.
const AWKWARD: &[&str] = &[
    "with space.txt",
    "plus+sign",
    "percent%20literal",
    "ünïcødé/日本語.txt",
    "a//b",
    "/leading-slash",
    "dots/../up",
    "tilde~and=equals&amp;",
];

scenario!(awkward_keys, |ctx| {
    let bucket = ctx.bucket("keys").await?;
    let c = &ctx.client;
    // Every key is tried, so the outcome names all the keys a server refuses, not the first.
    let mut refused = Vec::new();
    let mut stored = Vec::new();
    for (i, key) in AWKWARD.iter().enumerate() {
        let body = format!("body of key {i}: {key}");
        match ctx
            .send(
                c.put_object()
                    .bucket(&bucket)
                    .key(*key)
                    .body(body.clone())
                    .request(),
            )
            .await
        {
            Ok(_) => stored.push((*key, body)),
            // A signature the server disagrees with is s3op's encoding at fault, not the key.
            Err(p) if p.detail().contains("SignatureDoesNotMatch") => {
                return Err(Problem::Failed(format!("key {key:?}: {}", p.detail())))
            }
            Err(p) => refused.push(format!("{key:?} ({})", p.detail())),
        }
    }
    for (key, body) in &stored {
        let key = *key;
        let (_, got) = ctx
            .bytes(c.get_object().bucket(&bucket).key(key).request())
            .await?;
        same(
            &format!("GetObject {key:?}"),
            String::from_utf8_lossy(&got).into_owned(),
            body.clone(),
        )?;
        let head = ctx
            .send(c.head_object().bucket(&bucket).key(key).request())
            .await?;
        same(
            &format!("HeadObject {key:?} Content-Length"),
            head.headers.get("content-length").cloned(),
            Some(body.len().to_string()),
        )?;
    }
    let listed = ctx
        .send(c.list_objects_v2().bucket(&bucket).request())
        .await?;
    let mut got = keys(&listed.response);
    got.sort();
    let mut want: Vec<String> = stored.iter().map(|(k, _)| k.to_string()).collect();
    want.sort();
    same("the listing's keys", got, want)?;
    if refused.is_empty() {
        Ok(())
    } else {
        Err(Problem::Unsupported(format!(
            "keys refused: {}",
            refused.join(", ")
        )))
    }
});

scenario!(single_put, |ctx| {
    let bucket = ctx.bucket("put").await?;
    let c = &ctx.client;
    let body = data(100_000, 1);
    let put = ctx
        .send(
            c.put_object()
                .bucket(&bucket)
                .key("doc.bin")
                .content_type("application/x-test")
                .metadata([("purpose", "compat")])
                .body(body.clone())
                .request(),
        )
        .await?;
    let md5 = format!("\"{}\"", hex(&md5(&body)));
    same("PutObject's ETag", etag(&put), md5.clone())?;
    let head = ctx
        .send(c.head_object().bucket(&bucket).key("doc.bin").request())
        .await?;
    same("ETag", etag(&head), md5)?;
    same(
        "Content-Type",
        head.headers.get("content-type").cloned(),
        Some("application/x-test".into()),
    )?;
    same(
        "metadata",
        head.headers.get("x-amz-meta-purpose").cloned(),
        Some("compat".into()),
    )?;
    let (_, got) = ctx
        .bytes(c.get_object().bucket(&bucket).key("doc.bin").request())
        .await?;
    same("the bytes back", got == body, true)
});

fn md5(bytes: &[u8]) -> Vec<u8> {
    use md5::Digest;
    md5::Md5::digest(bytes).to_vec()
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

const MIB: usize = 1024 * 1024;

scenario!(multipart, |ctx| {
    let bucket = ctx.bucket("mpu").await?;
    let c = &ctx.client;
    // The transfer helper: 12 MiB in 5 MiB parts, three at a time.
    let dir = ctx.scratch("mpu")?;
    let file = dir.join("big.bin");
    let body = data(12 * MIB + 3, 4);
    std::fs::write(&file, &body).map_err(|e| ours(e.to_string()))?;
    let config = TransferConfig {
        part_size: 5 * MIB as u64,
        multipart_threshold: 5 * MIB as u64,
        concurrency: 3,
        ..TransferConfig::default()
    };
    let uploaded = c
        .upload_file(&file, &bucket, "helper", &UploadOptions::default(), &config)
        .await
        .map_err(|e| crate::harness::classify("upload_file", &e))?;
    // s3op's own promise: the object's `-3` ETag, even where the server's answer lacks it.
    let helper_tag = uploaded.response["ETag"].as_str().unwrap_or("");
    if !helper_tag.trim_matches('"').ends_with("-3") {
        return Err(ours(format!(
            "upload_file's answer carries the three-part ETag, not {helper_tag:?}"
        )));
    }
    let (_, got) = ctx
        .bytes(c.get_object().bucket(&bucket).key("helper").request())
        .await?;
    let _ = std::fs::remove_dir_all(&dir);
    same("upload_file's bytes", got == body, true)?;

    // By hand: two parts, the server's own answer to CompleteMultipartUpload.
    let parts = [data(5 * MIB, 2), data(MIB + 17, 3)];
    let created = ctx
        .send(
            c.create_multipart_upload()
                .bucket(&bucket)
                .key("by-hand")
                .request(),
        )
        .await?;
    let upload_id = created.response["UploadId"]
        .as_str()
        .unwrap_or("")
        .to_string();
    if upload_id.is_empty() {
        return Err(wrong(
            "CreateMultipartUpload gives an UploadId",
            &created.response,
        ));
    }
    let mut completed = Vec::new();
    for (i, part) in parts.iter().enumerate() {
        let number = i as i64 + 1;
        let sent = ctx
            .send(
                c.upload_part()
                    .bucket(&bucket)
                    .key("by-hand")
                    .upload_id(&upload_id)
                    .part_number(number)
                    .body(part.clone())
                    .request(),
            )
            .await?;
        completed.push(json!({"PartNumber": number, "ETag": etag(&sent)}));
    }
    let listed = ctx
        .send(
            c.list_parts()
                .bucket(&bucket)
                .key("by-hand")
                .upload_id(&upload_id)
                .request(),
        )
        .await?;
    // Compared by part number: the order parts are listed in is not what this checks.
    let mut sizes: Vec<(u64, u64)> = listed.response["Parts"]
        .as_array()
        .map(|p| {
            p.iter()
                .filter_map(|p| Some((p["PartNumber"].as_u64()?, p["Size"].as_u64()?)))
                .collect()
        })
        .unwrap_or_default();
    sizes.sort_unstable();
    same(
        "ListParts numbers and sizes",
        sizes,
        vec![(1, parts[0].len() as u64), (2, parts[1].len() as u64)],
    )?;
    let done = ctx
        .send(
            c.complete_multipart_upload()
                .bucket(&bucket)
                .key("by-hand")
                .upload_id(&upload_id)
                .multipart_upload_json(json!({"Parts": completed}))
                .request(),
        )
        .await?;
    let tag = done.response["ETag"]
        .as_str()
        .unwrap_or("")
        .trim_matches('"')
        .to_string();
    if !tag.ends_with("-2") {
        return Err(wrong("a two-part object's ETag ends in -2", &done.response));
    }
    let (_, got) = ctx
        .bytes(c.get_object().bucket(&bucket).key("by-hand").request())
        .await?;
    same("the assembled bytes", got == parts.concat(), true)?;

    Ok(())
});

scenario!(multipart_listing, |ctx| {
    let bucket = ctx.bucket("mpul").await?;
    let c = &ctx.client;
    let created = ctx
        .send(
            c.create_multipart_upload()
                .bucket(&bucket)
                .key("open")
                .request(),
        )
        .await?;
    let upload_id = created.response["UploadId"]
        .as_str()
        .unwrap_or("")
        .to_string();
    let listed = ctx
        .send(c.list_multipart_uploads().bucket(&bucket).request())
        .await?;
    same(
        "ListMultipartUploads ids",
        strings(&listed.response, "Uploads", "UploadId"),
        vec![upload_id.clone()],
    )?;
    ctx.send(
        c.abort_multipart_upload()
            .bucket(&bucket)
            .key("open")
            .upload_id(&upload_id)
            .request(),
    )
    .await?;
    // A Garage cluster may list the upload until the abort reaches every replica.
    let after = settled(&Vec::new(), || async {
        let listed = ctx
            .send(c.list_multipart_uploads().bucket(&bucket).request())
            .await?;
        Ok(strings(&listed.response, "Uploads", "UploadId"))
    })
    .await?;
    same("uploads after the abort", after, vec![])
});

scenario!(ranged_download, |ctx| {
    let bucket = ctx.bucket("range").await?;
    let c = &ctx.client;
    let body = data(3 * MIB + 500, 5);
    ctx.send(
        c.put_object()
            .bucket(&bucket)
            .key("r.bin")
            .body(body.clone())
            .request(),
    )
    .await?;
    let (envelope, got) = ctx
        .bytes(
            c.get_object()
                .bucket(&bucket)
                .key("r.bin")
                .range("bytes=1000-1099")
                .request(),
        )
        .await?;
    same("ranged GET status", envelope.status, 206)?;
    same(
        "Content-Range",
        envelope.headers.get("content-range").cloned(),
        Some(format!("bytes 1000-1099/{}", body.len())),
    )?;
    same(
        "the range's bytes",
        got.as_slice() == &body[1000..1100],
        true,
    )?;
    let dir = ctx.scratch("range")?;
    let out = dir.join("down.bin");
    let config = TransferConfig {
        part_size: MIB as u64,
        concurrency: 4,
        ..TransferConfig::default()
    };
    c.download_file(&bucket, "r.bin", &out, &config)
        .await
        .map_err(|e| crate::harness::classify("download_file", &e))?;
    let local = std::fs::read(&out).map_err(|e| ours(e.to_string()))?;
    let _ = std::fs::remove_dir_all(&dir);
    same("download_file's bytes", local == body, true)
});

scenario!(copy_object, |ctx| {
    let bucket = ctx.bucket("copy").await?;
    let c = &ctx.client;
    let body = data(70_000, 6);
    ctx.send(
        c.put_object()
            .bucket(&bucket)
            .key("src key+1")
            .content_type("text/x-source")
            .metadata([("origin", "source")])
            .body(body.clone())
            .request(),
    )
    .await?;
    let copied = ctx
        .send(
            c.copy_object()
                .bucket(&bucket)
                .key("dst/copy")
                .copy_source(format!("{bucket}/src key+1"))
                .request(),
        )
        .await?;
    if copied
        .response
        .pointer("/CopyObjectResult/ETag")
        .or(copied.response.get("ETag"))
        .is_none()
    {
        return Err(wrong(
            "CopyObject answers a CopyObjectResult with an ETag",
            &copied.response,
        ));
    }
    let head = ctx
        .send(c.head_object().bucket(&bucket).key("dst/copy").request())
        .await?;
    same(
        "copied metadata",
        head.headers.get("x-amz-meta-origin").cloned(),
        Some("source".into()),
    )?;
    same(
        "copied type",
        head.headers.get("content-type").cloned(),
        Some("text/x-source".into()),
    )?;
    let (_, got) = ctx
        .bytes(c.get_object().bucket(&bucket).key("dst/copy").request())
        .await?;
    same("the copy's bytes", got == body, true)
});

scenario!(upload_part_copy, |ctx| {
    let bucket = ctx.bucket("upc").await?;
    let c = &ctx.client;
    let body = data(6 * MIB + 11, 7);
    ctx.send(
        c.put_object()
            .bucket(&bucket)
            .key("source")
            .body(body.clone())
            .request(),
    )
    .await?;
    let created = ctx
        .send(
            c.create_multipart_upload()
                .bucket(&bucket)
                .key("target")
                .request(),
        )
        .await?;
    let upload_id = created.response["UploadId"]
        .as_str()
        .unwrap_or("")
        .to_string();
    let ranges = [(0, 5 * MIB - 1), (5 * MIB, body.len() - 1)];
    let mut parts = Vec::new();
    for (i, (first, last)) in ranges.iter().enumerate() {
        let number = i as i64 + 1;
        let copied = ctx
            .send(
                c.upload_part_copy()
                    .bucket(&bucket)
                    .key("target")
                    .upload_id(&upload_id)
                    .part_number(number)
                    .copy_source(format!("{bucket}/source"))
                    .copy_source_range(format!("bytes={first}-{last}"))
                    .request(),
            )
            .await?;
        let tag = copied
            .response
            .pointer("/CopyPartResult/ETag")
            .or(copied.response.get("ETag"))
            .and_then(|t| t.as_str())
            .unwrap_or("")
            .to_string();
        if tag.is_empty() {
            return Err(wrong("UploadPartCopy answers an ETag", &copied.response));
        }
        parts.push(json!({"PartNumber": number, "ETag": tag}));
    }
    ctx.send(
        c.complete_multipart_upload()
            .bucket(&bucket)
            .key("target")
            .upload_id(&upload_id)
            .multipart_upload_json(json!({"Parts": parts}))
            .request(),
    )
    .await?;
    let (_, got) = ctx
        .bytes(c.get_object().bucket(&bucket).key("target").request())
        .await?;
    same("the part-copied bytes", got == body, true)
});

async fn put_keys(ctx: &crate::harness::Ctx, bucket: &str, keys: &[&str]) -> Result<(), Problem> {
    for key in keys {
        // A key ending in `/` is a folder marker: empty, as servers that map keys to files want.
        let body = if key.ends_with('/') {
            String::new()
        } else {
            key.to_string()
        };
        ctx.send(
            ctx.client
                .put_object()
                .bucket(bucket)
                .key(*key)
                .body(body)
                .request(),
        )
        .await?;
    }
    Ok(())
}

scenario!(list_pagination, |ctx| {
    let bucket = ctx.bucket("pages").await?;
    let c = &ctx.client;
    let want: Vec<String> = (0..7).map(|i| format!("k{i:02}")).collect();
    let refs: Vec<&str> = want.iter().map(String::as_str).collect();
    put_keys(ctx, &bucket, &refs).await?;
    // V2: continuation tokens.
    let mut got = Vec::new();
    let mut token: Option<String> = None;
    for page in 0.. {
        if page > 10 {
            return Err(wrong("ListObjectsV2 pages end", &got));
        }
        let mut request = c.list_objects_v2().bucket(&bucket).max_keys(3);
        if let Some(t) = &token {
            request = request.continuation_token(t);
        }
        let answer = ctx.send(request.request()).await?;
        let page_keys = keys(&answer.response);
        if page_keys.len() > 3 {
            return Err(wrong("at most max-keys per page", &page_keys));
        }
        got.extend(page_keys);
        token = answer.response["NextContinuationToken"]
            .as_str()
            .map(str::to_string);
        if answer.response["IsTruncated"] != true {
            break;
        }
        if token.is_none() {
            return Err(wrong(
                "a truncated page carries NextContinuationToken",
                &answer.response,
            ));
        }
    }
    same("ListObjectsV2 pages", got, want.clone())?;
    // V1: markers (NextMarker is only sent with a delimiter: the last key is the marker).
    let mut got = Vec::new();
    let mut marker: Option<String> = None;
    for page in 0.. {
        if page > 10 {
            return Err(wrong("ListObjects pages end", &got));
        }
        let mut request = c.list_objects().bucket(&bucket).max_keys(3);
        if let Some(m) = &marker {
            request = request.marker(m);
        }
        let answer = ctx.send(request.request()).await?;
        let page_keys = keys(&answer.response);
        marker = page_keys.last().cloned();
        got.extend(page_keys);
        if answer.response["IsTruncated"] != true || marker.is_none() {
            break;
        }
    }
    same("ListObjects pages", got, want)?;
    // The library's own paginator agrees.
    Ok(())
});

scenario!(list_delimiter, |ctx| {
    let bucket = ctx.bucket("delim").await?;
    let c = &ctx.client;
    put_keys(ctx, &bucket, &["a/1", "a/2", "b/x/1", "c", "d/"]).await?;
    let top = ctx
        .send(c.list_objects_v2().bucket(&bucket).delimiter("/").request())
        .await?;
    same("top-level keys", keys(&top.response), vec!["c".to_string()])?;
    same(
        "top-level prefixes",
        strings(&top.response, "CommonPrefixes", "Prefix"),
        vec!["a/".to_string(), "b/".to_string(), "d/".to_string()],
    )?;
    let inner = ctx
        .send(
            c.list_objects_v2()
                .bucket(&bucket)
                .prefix("b/")
                .delimiter("/")
                .request(),
        )
        .await?;
    same("keys under b/", keys(&inner.response), Vec::<String>::new())?;
    same(
        "prefixes under b/",
        strings(&inner.response, "CommonPrefixes", "Prefix"),
        vec!["b/x/".to_string()],
    )
});

scenario!(list_encoding_url, |ctx| {
    let bucket = ctx.bucket("enc-url").await?;
    let c = &ctx.client;
    let want = ["a b", "c+d", "e%25f", "ключ/é"];
    put_keys(ctx, &bucket, &want).await?;
    let answer = ctx
        .send(
            c.list_objects_v2()
                .bucket(&bucket)
                .encoding_type("url")
                .request(),
        )
        .await?;
    let mut got = keys(&answer.response);
    got.sort();
    let mut want: Vec<String> = want.iter().map(|k| k.to_string()).collect();
    want.sort();
    same(
        "keys listed with encoding-type=url (decoded by s3op)",
        got,
        want,
    )
});

scenario!(delete_objects, |ctx| {
    let bucket = ctx.bucket("delete").await?;
    let c = &ctx.client;
    put_keys(ctx, &bucket, &["d1", "d2", "d 3", "keep1", "keep2"]).await?;
    let answer = ctx
        .send(
            c.delete_objects()
                .bucket(&bucket)
                .delete_json(json!({"Objects": [{"Key": "d1"}, {"Key": "d2"}, {"Key": "d 3"}, {"Key": "never-was"}]}))
                .request(),
        )
        .await?;
    let mut deleted = strings(&answer.response, "Deleted", "Key");
    deleted.sort();
    same(
        "Deleted (a missing key counts as deleted)",
        deleted,
        vec![
            "d 3".to_string(),
            "d1".into(),
            "d2".into(),
            "never-was".into(),
        ],
    )?;
    let left = ctx
        .send(c.list_objects_v2().bucket(&bucket).request())
        .await?;
    same(
        "keys left",
        keys(&left.response),
        vec!["keep1".to_string(), "keep2".into()],
    )
});

scenario!(presigned, |ctx| {
    let bucket = ctx.bucket("presign").await?;
    let c = &ctx.client;
    let http = reqwest::Client::new();
    let key = "shared/file name+1.txt";
    let put_url = c
        .put_object()
        .bucket(&bucket)
        .key(key)
        .request()
        .presign(Duration::from_secs(600))
        .await
        .map_err(|e| ours(format!("presign put-object: {e}")))?;
    let put = http
        .put(&put_url)
        .body("through a presigned PUT")
        .send()
        .await
        .map_err(|e| Problem::Failed(format!("presigned PUT: {e}")))?;
    let status = put.status().as_u16();
    if status >= 300 {
        let text = put.text().await.unwrap_or_default();
        return Err(Problem::Unsupported(format!(
            "presigned PUT refused: {status} {text}"
        )));
    }
    ctx.answered_by_other_means("put-object");
    let get_url = c
        .get_object()
        .bucket(&bucket)
        .key(key)
        .request()
        .presign(Duration::from_secs(600))
        .await
        .map_err(|e| ours(format!("presign get-object: {e}")))?;
    let got = http
        .get(&get_url)
        .send()
        .await
        .map_err(|e| Problem::Failed(format!("presigned GET: {e}")))?;
    let status = got.status().as_u16();
    let text = got.text().await.unwrap_or_default();
    if status != 200 {
        return Err(Problem::Unsupported(format!(
            "presigned GET refused: {status} {text}"
        )));
    }
    ctx.answered_by_other_means("get-object");
    same(
        "presigned GET body",
        text.as_str(),
        "through a presigned PUT",
    )?;
    // A tampered signature is refused.
    let tampered = get_url.replace("X-Amz-Signature=", "X-Amz-Signature=0");
    let refused = http
        .get(&tampered)
        .send()
        .await
        .map_err(|e| Problem::Failed(format!("tampered GET: {e}")))?;
    if refused.status().is_success() {
        return Err(wrong(
            "a tampered presigned URL is refused",
            refused.status().as_u16(),
        ));
    }
    Ok(())
});

scenario!(wrong_secret, |ctx| {
    let bucket = ctx.bucket("secret").await?;
    let server = ctx.server;
    let bad = s3op::Client::builder()
        .endpoint_url(&server.endpoint)
        .region(&server.region)
        .credentials(&server.access_key, "not-the-secret", None)
        .max_attempts(1)
        .environment(s3op::config::Environment::from_vars(
            Vec::<(String, String)>::new(),
            None,
        ))
        .build()
        .map_err(|e| ours(format!("client: {e}")))?;
    let refused = bad
        .put_object()
        .bucket(&bucket)
        .key("forged")
        .body("should not land")
        .send()
        .await;
    match refused {
        Ok(envelope) => {
            return Err(wrong(
                "PutObject signed with the wrong secret is refused",
                format!("{} (accepted)", envelope.status),
            ))
        }
        Err(e) => match e.envelope() {
            Some(envelope) if envelope.status == 403 => {
                let code = envelope.error_code().unwrap_or("");
                if !matches!(
                    code,
                    "SignatureDoesNotMatch" | "AccessDenied" | "InvalidAccessKeyId"
                ) {
                    return Err(wrong("a signature refusal's code", words(envelope)));
                }
            }
            Some(envelope) => return Err(wrong("a wrong signature gets 403", words(envelope))),
            None => return Err(Problem::Failed(format!("wrong secret: s3op error: {e}"))),
        },
    }
    let head = ctx
        .answer(
            ctx.client
                .head_object()
                .bucket(&bucket)
                .key("forged")
                .request(),
        )
        .await?;
    same("the refused object does not exist", head.status, 404)
});

scenario!(conditional_writes, |ctx| {
    let bucket = ctx.bucket("cond").await?;
    let c = &ctx.client;
    let first = ctx
        .send(
            c.put_object()
                .bucket(&bucket)
                .key("once")
                .if_none_match("*")
                .body("first")
                .request(),
        )
        .await?;
    let again = ctx
        .answer(
            c.put_object()
                .bucket(&bucket)
                .key("once")
                .if_none_match("*")
                .body("second")
                .request(),
        )
        .await?;
    if again.status != 412 {
        return Err(wrong(
            "If-None-Match: * on an existing key is 412",
            words(&again),
        ));
    }
    let stale = ctx
        .answer(
            c.put_object()
                .bucket(&bucket)
                .key("once")
                .if_match("\"0123456789abcdef0123456789abcdef\"")
                .body("third")
                .request(),
        )
        .await?;
    if stale.status != 412 {
        return Err(wrong("If-Match with another ETag is 412", words(&stale)));
    }
    ctx.send(
        c.put_object()
            .bucket(&bucket)
            .key("once")
            .if_match(etag(&first))
            .body("fourth")
            .request(),
    )
    .await?;
    let (_, got) = ctx
        .bytes(c.get_object().bucket(&bucket).key("once").request())
        .await?;
    same(
        "the object after the conditional writes",
        String::from_utf8_lossy(&got).into_owned(),
        "fourth".to_string(),
    )
});
