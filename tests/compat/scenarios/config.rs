//! Bucket and object configurations: each is set, read back and compared, then removed where S3
//! can remove it and the removal checked.

use serde_json::{json, Value};

use super::strings;
use crate::harness::{same, words, wrong, Problem};

scenario!(object_tagging, |ctx| {
    let bucket = ctx.bucket("otag").await?;
    let c = &ctx.client;
    ctx.send(
        c.put_object()
            .bucket(&bucket)
            .key("t")
            .body("tagged")
            .request(),
    )
    .await?;
    let tags =
        json!({"TagSet": [{"Key": "team", "Value": "storage"}, {"Key": "tier", "Value": "gold"}]});
    ctx.send(
        c.put_object_tagging()
            .bucket(&bucket)
            .key("t")
            .tagging_json(tags.clone())
            .request(),
    )
    .await?;
    let got = ctx
        .send(c.get_object_tagging().bucket(&bucket).key("t").request())
        .await?;
    same(
        "TagSet",
        got.response["TagSet"].clone(),
        tags["TagSet"].clone(),
    )?;
    ctx.send(c.delete_object_tagging().bucket(&bucket).key("t").request())
        .await?;
    let after = ctx
        .send(c.get_object_tagging().bucket(&bucket).key("t").request())
        .await?;
    same(
        "TagSet after delete",
        after.response["TagSet"].clone(),
        json!([]),
    )
});

scenario!(bucket_tagging, |ctx| {
    let bucket = ctx.bucket("btag").await?;
    let c = &ctx.client;
    let tags = json!({"TagSet": [{"Key": "cost-centre", "Value": "42"}]});
    ctx.send(
        c.put_bucket_tagging()
            .bucket(&bucket)
            .tagging_json(tags.clone())
            .request(),
    )
    .await?;
    let got = ctx
        .send(c.get_bucket_tagging().bucket(&bucket).request())
        .await?;
    same(
        "TagSet",
        got.response["TagSet"].clone(),
        tags["TagSet"].clone(),
    )?;
    ctx.send(c.delete_bucket_tagging().bucket(&bucket).request())
        .await?;
    let after = ctx
        .answer(c.get_bucket_tagging().bucket(&bucket).request())
        .await?;
    if after.is_success() && after.response["TagSet"] != json!([]) {
        return Err(wrong("no tags after DeleteBucketTagging", &after.response));
    }
    Ok(())
});

scenario!(versioning, |ctx| {
    let bucket = ctx.bucket("vers").await?;
    let c = &ctx.client;
    ctx.send(
        c.put_bucket_versioning()
            .bucket(&bucket)
            .versioning_configuration_json(json!({"Status": "Enabled"}))
            .request(),
    )
    .await?;
    let status = ctx
        .send(c.get_bucket_versioning().bucket(&bucket).request())
        .await?;
    same(
        "versioning status",
        status.response["Status"].as_str(),
        Some("Enabled"),
    )?;
    let v1 = ctx
        .send(
            c.put_object()
                .bucket(&bucket)
                .key("doc")
                .body("one")
                .request(),
        )
        .await?;
    let v2 = ctx
        .send(
            c.put_object()
                .bucket(&bucket)
                .key("doc")
                .body("two")
                .request(),
        )
        .await?;
    let id = |e: &s3op::Envelope| {
        e.headers
            .get("x-amz-version-id")
            .cloned()
            .unwrap_or_default()
    };
    let (id1, id2) = (id(&v1), id(&v2));
    if id1.is_empty() || id1 == id2 {
        return Err(wrong("two PUTs get two version ids", (id1, id2)));
    }
    let (_, old) = ctx
        .bytes(
            c.get_object()
                .bucket(&bucket)
                .key("doc")
                .version_id(&id1)
                .request(),
        )
        .await?;
    same(
        "the first version's bytes",
        String::from_utf8_lossy(&old).into_owned(),
        "one".into(),
    )?;
    ctx.send(c.delete_object().bucket(&bucket).key("doc").request())
        .await?;
    let listed = ctx
        .send(c.list_object_versions().bucket(&bucket).request())
        .await?;
    let mut versions = strings(&listed.response, "Versions", "VersionId");
    versions.sort();
    let mut want = vec![id1.clone(), id2.clone()];
    want.sort();
    same("ListObjectVersions versions", versions, want)?;
    same(
        "delete markers",
        strings(&listed.response, "DeleteMarkers", "Key"),
        vec!["doc".to_string()],
    )?;
    let (_, latest) = ctx
        .bytes(
            c.get_object()
                .bucket(&bucket)
                .key("doc")
                .version_id(&id2)
                .request(),
        )
        .await?;
    same(
        "the second version survives the delete",
        String::from_utf8_lossy(&latest).into_owned(),
        "two".into(),
    )
});

/// Put a configuration, read it back, and check `fields` of the answer against what was sent.
pub(super) fn subset(what: &str, sent: &Value, got: &Value) -> Result<(), Problem> {
    match (sent, got) {
        (Value::Object(s), Value::Object(g)) => {
            for (k, v) in s {
                subset(&format!("{what}.{k}"), v, g.get(k).unwrap_or(&Value::Null))?;
            }
            Ok(())
        }
        (Value::Array(s), Value::Array(g)) if s.len() == g.len() => {
            for (i, (s, g)) in s.iter().zip(g).enumerate() {
                subset(&format!("{what}[{i}]"), s, g)?;
            }
            Ok(())
        }
        _ if sent == got => Ok(()),
        _ => Err(wrong(&format!("{what} round trip: sent {sent}"), got)),
    }
}

scenario!(lifecycle, |ctx| {
    let bucket = ctx.bucket("life").await?;
    let c = &ctx.client;
    let config = json!({"Rules": [{
        "ID": "expire-logs",
        "Filter": {"Prefix": "logs/"},
        "Status": "Enabled",
        "Expiration": {"Days": 30}
    }]});
    ctx.send(
        c.put_bucket_lifecycle_configuration()
            .bucket(&bucket)
            .lifecycle_configuration_json(config.clone())
            .request(),
    )
    .await?;
    let got = ctx
        .send(
            c.get_bucket_lifecycle_configuration()
                .bucket(&bucket)
                .request(),
        )
        .await?;
    subset("lifecycle", &config, &got.response)?;
    ctx.send(c.delete_bucket_lifecycle().bucket(&bucket).request())
        .await?;
    let after = ctx
        .answer(
            c.get_bucket_lifecycle_configuration()
                .bucket(&bucket)
                .request(),
        )
        .await?;
    same(
        "lifecycle after delete",
        after.error_code(),
        Some("NoSuchLifecycleConfiguration"),
    )
});

scenario!(cors, |ctx| {
    let bucket = ctx.bucket("cors").await?;
    let c = &ctx.client;
    let config = json!({"CORSRules": [{
        "AllowedMethods": ["GET", "PUT"],
        "AllowedOrigins": ["https://example.com"],
        "AllowedHeaders": ["*"],
        "MaxAgeSeconds": 600
    }]});
    ctx.send(
        c.put_bucket_cors()
            .bucket(&bucket)
            .cors_configuration_json(config.clone())
            .request(),
    )
    .await?;
    let got = ctx
        .send(c.get_bucket_cors().bucket(&bucket).request())
        .await?;
    subset("cors", &config, &got.response)?;
    ctx.send(c.delete_bucket_cors().bucket(&bucket).request())
        .await?;
    let after = ctx
        .answer(c.get_bucket_cors().bucket(&bucket).request())
        .await?;
    same(
        "CORS after delete",
        after.error_code(),
        Some("NoSuchCORSConfiguration"),
    )
});

scenario!(bucket_policy, |ctx| {
    let bucket = ctx.bucket("policy").await?;
    let c = &ctx.client;
    let policy = json!({
        "Version": "2012-10-17",
        "Statement": [{
            "Sid": "PublicRead",
            "Effect": "Allow",
            "Principal": "*",
            "Action": "s3:GetObject",
            "Resource": format!("arn:aws:s3:::{bucket}/*")
        }]
    });
    ctx.send(
        c.put_bucket_policy()
            .bucket(&bucket)
            .policy(policy.to_string())
            .request(),
    )
    .await?;
    let got = ctx
        .send(c.get_bucket_policy().bucket(&bucket).request())
        .await?;
    // The policy comes back as parsed JSON (or a JSON string, from servers that quote it).
    let parsed = match &got.response {
        Value::String(text) => serde_json::from_str(text).unwrap_or(Value::Null),
        other => other
            .get("Policy")
            .cloned()
            .map_or(other.clone(), |p| match p {
                Value::String(text) => serde_json::from_str(&text).unwrap_or(Value::Null),
                p => p,
            }),
    };
    same(
        "the policy's statement id",
        parsed.pointer("/Statement/0/Sid").cloned(),
        Some(json!("PublicRead")),
    )?;
    ctx.send(c.delete_bucket_policy().bucket(&bucket).request())
        .await?;
    let after = ctx
        .answer(c.get_bucket_policy().bucket(&bucket).request())
        .await?;
    same(
        "policy after delete",
        after.error_code(),
        Some("NoSuchBucketPolicy"),
    )
});

scenario!(encryption, |ctx| {
    let bucket = ctx.bucket("sse").await?;
    let c = &ctx.client;
    let config =
        json!({"Rules": [{"ApplyServerSideEncryptionByDefault": {"SSEAlgorithm": "AES256"}}]});
    ctx.send(
        c.put_bucket_encryption()
            .bucket(&bucket)
            .server_side_encryption_configuration_json(config.clone())
            .request(),
    )
    .await?;
    let got = ctx
        .send(c.get_bucket_encryption().bucket(&bucket).request())
        .await?;
    subset("encryption", &config, &got.response)?;
    ctx.send(
        c.put_object()
            .bucket(&bucket)
            .key("secret")
            .server_side_encryption("AES256")
            .body("x")
            .request(),
    )
    .await?;
    let head = ctx
        .send(c.head_object().bucket(&bucket).key("secret").request())
        .await?;
    same(
        "x-amz-server-side-encryption",
        head.headers.get("x-amz-server-side-encryption").cloned(),
        Some("AES256".into()),
    )?;
    ctx.send(c.delete_bucket_encryption().bucket(&bucket).request())
        .await?;
    Ok(())
});

/// A bucket created with object lock enabled.
async fn lock_bucket(ctx: &crate::harness::Ctx, scenario: &str) -> Result<String, Problem> {
    let bucket = crate::support::unique_bucket(&format!("c-{scenario}"));
    ctx.send(
        ctx.client
            .create_bucket()
            .bucket(&bucket)
            .object_lock_enabled_for_bucket(true)
            .request(),
    )
    .await?;
    Ok(bucket)
}

fn tomorrow() -> String {
    let t = time::OffsetDateTime::now_utc() + time::Duration::days(1);
    let t = t.replace_nanosecond(0).unwrap_or(t);
    t.format(&time::format_description::well_known::Rfc3339)
        .unwrap_or_default()
}

scenario!(object_lock, |ctx| {
    let bucket = lock_bucket(ctx, "lock").await?;
    let c = &ctx.client;
    let config = json!({
        "ObjectLockEnabled": "Enabled",
        "Rule": {"DefaultRetention": {"Mode": "GOVERNANCE", "Days": 1}}
    });
    ctx.send(
        c.put_object_lock_configuration()
            .bucket(&bucket)
            .object_lock_configuration_json(config.clone())
            .request(),
    )
    .await?;
    let got = ctx
        .send(c.get_object_lock_configuration().bucket(&bucket).request())
        .await?;
    subset("object lock", &config, &got.response)
});

scenario!(retention, |ctx| {
    let bucket = lock_bucket(ctx, "retain").await?;
    let c = &ctx.client;
    ctx.send(
        c.put_object()
            .bucket(&bucket)
            .key("kept")
            .body("kept")
            .request(),
    )
    .await?;
    let until = tomorrow();
    ctx.send(
        c.put_object_retention()
            .bucket(&bucket)
            .key("kept")
            .retention_json(json!({"Mode": "GOVERNANCE", "RetainUntilDate": until}))
            .request(),
    )
    .await?;
    let got = ctx
        .send(
            c.get_object_retention()
                .bucket(&bucket)
                .key("kept")
                .request(),
        )
        .await?;
    let mode = got
        .response
        .pointer("/Retention/Mode")
        .or(got.response.get("Mode"))
        .cloned();
    same("retention mode", mode, Some(json!("GOVERNANCE")))?;
    let date = got
        .response
        .pointer("/Retention/RetainUntilDate")
        .or(got.response.get("RetainUntilDate"))
        .and_then(Value::as_str)
        .unwrap_or("");
    let parse = |s: &str| {
        time::OffsetDateTime::parse(s, &time::format_description::well_known::Rfc3339).ok()
    };
    same(
        "retain-until date",
        parse(date).map(|d| d.unix_timestamp()),
        parse(&until).map(|d| d.unix_timestamp()),
    )
});

scenario!(legal_hold, |ctx| {
    let bucket = lock_bucket(ctx, "hold").await?;
    let c = &ctx.client;
    ctx.send(
        c.put_object()
            .bucket(&bucket)
            .key("held")
            .body("held")
            .request(),
    )
    .await?;
    for status in ["ON", "OFF"] {
        ctx.send(
            c.put_object_legal_hold()
                .bucket(&bucket)
                .key("held")
                .legal_hold_json(json!({"Status": status}))
                .request(),
        )
        .await?;
        let got = ctx
            .send(
                c.get_object_legal_hold()
                    .bucket(&bucket)
                    .key("held")
                    .request(),
            )
            .await?;
        let seen = got
            .response
            .pointer("/LegalHold/Status")
            .or(got.response.get("Status"))
            .cloned();
        same("legal hold status", seen, Some(json!(status)))?;
    }
    Ok(())
});

fn all_users_read(response: &Value) -> bool {
    response["Grants"].as_array().is_some_and(|grants| {
        grants.iter().any(|g| {
            g["Permission"] == "READ"
                && g["Grantee"]["URI"] == "http://acs.amazonaws.com/groups/global/AllUsers"
        })
    })
}

scenario!(acl, |ctx| {
    let bucket = ctx.bucket("acl").await?;
    let c = &ctx.client;
    ctx.send(
        c.put_bucket_acl()
            .bucket(&bucket)
            .acl("public-read")
            .request(),
    )
    .await?;
    let got = ctx
        .send(c.get_bucket_acl().bucket(&bucket).request())
        .await?;
    if !all_users_read(&got.response) {
        return Err(wrong(
            "public-read grants AllUsers READ on the bucket",
            &got.response,
        ));
    }
    ctx.send(c.put_object().bucket(&bucket).key("o").body("o").request())
        .await?;
    ctx.send(
        c.put_object_acl()
            .bucket(&bucket)
            .key("o")
            .acl("public-read")
            .request(),
    )
    .await?;
    let got = ctx
        .send(c.get_object_acl().bucket(&bucket).key("o").request())
        .await?;
    if !all_users_read(&got.response) {
        return Err(wrong(
            "public-read grants AllUsers READ on the object",
            &got.response,
        ));
    }
    Ok(())
});

scenario!(notifications, |ctx| {
    let bucket = ctx.bucket("notify").await?;
    let c = &ctx.client;
    let config = json!({"QueueConfigurations": [{
        "Id": "created",
        "QueueArn": "arn:aws:sqs:us-east-1:123456789012:events",
        "Events": ["s3:ObjectCreated:*"]
    }]});
    ctx.send(
        c.put_bucket_notification_configuration()
            .bucket(&bucket)
            .notification_configuration_json(config.clone())
            .request(),
    )
    .await?;
    let got = ctx
        .send(
            c.get_bucket_notification_configuration()
                .bucket(&bucket)
                .request(),
        )
        .await?;
    subset("notifications", &config, &got.response)
});

scenario!(request_payment, |ctx| {
    let bucket = ctx.bucket("payer").await?;
    let c = &ctx.client;
    ctx.send(
        c.put_bucket_request_payment()
            .bucket(&bucket)
            .request_payment_configuration_json(json!({"Payer": "Requester"}))
            .request(),
    )
    .await?;
    let got = ctx
        .send(c.get_bucket_request_payment().bucket(&bucket).request())
        .await?;
    same(
        "Payer",
        got.response["Payer"].as_str().map(str::to_string),
        Some("Requester".into()),
    )
});

scenario!(torrent, |ctx| {
    let bucket = ctx.bucket("torrent").await?;
    let c = &ctx.client;
    ctx.send(
        c.put_object()
            .bucket(&bucket)
            .key("t")
            .body("torrent me")
            .request(),
    )
    .await?;
    let (_, body) = ctx
        .bytes(c.get_object_torrent().bucket(&bucket).key("t").request())
        .await?;
    // A torrent file is a bencoded dictionary holding an `info` dictionary.
    if !(body.starts_with(b"d") && body.windows(6).any(|w| w == b"4:info")) {
        return Err(wrong(
            "GetObjectTorrent answers a bencoded torrent",
            String::from_utf8_lossy(&body[..body.len().min(80)]).into_owned(),
        ));
    }
    Ok(())
});

scenario!(select, |ctx| {
    let bucket = ctx.bucket("select").await?;
    let c = &ctx.client;
    ctx.send(
        c.put_object()
            .bucket(&bucket)
            .key("data.csv")
            .body("name,n\nalpha,1\nbeta,2\ngamma,3\n")
            .request(),
    )
    .await?;
    let answer = ctx
        .send(
            c.select_object_content()
                .bucket(&bucket)
                .key("data.csv")
                // CSV fields are strings: the CAST makes the comparison numeric, as standard
                // S3 Select SQL has it (Ceph refuses a comparison without one).
                .expression("SELECT s.name FROM S3Object s WHERE CAST(s.n AS INT) > 1")
                .expression_type("SQL")
                .input_serialization_json(json!({"CSV": {"FileHeaderInfo": "USE"}}))
                .output_serialization_json(json!({"CSV": {}}))
                .request(),
        )
        .await?;
    let records = answer.response["Records"].as_str().unwrap_or("");
    let rows: Vec<&str> = records.lines().map(str::trim).collect();
    if rows != ["beta", "gamma"] {
        return Err(if answer.is_success() {
            wrong("Select returns the matching rows", &answer.response)
        } else {
            Problem::Failed(words(&answer))
        });
    }
    Ok(())
});
