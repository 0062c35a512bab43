//! The bucket features the first suite left out (issue 11): website, public access block and
//! policy status, ownership controls, logging, replication, accelerate, inventory, analytics,
//! metrics, intelligent tiering, the legacy lifecycle and notification calls, ABAC and S3 Metadata.
//! Each is a round trip that can fail: set, read back and compare, remove, check it is gone.
//!
//! Two rules make these honest on servers that lack a feature. When the first call is refused,
//! [`refused`] still sends the scenario's other calls and adds their answers to the outcome, so
//! every operation is tried on every server and each refusal is recorded in the server's words.
//! And every bucket holds an object before anything is deleted from it: moto takes a `DELETE ?x` it
//! does not know for DeleteBucket, which then fails (BucketNotEmpty) instead of removing the bucket
//! the scenario still reads.

use s3op::{Envelope, Request};
use serde_json::{json, Value};

use super::config::subset;
use crate::harness::{same, words, wrong, Ctx, Problem};

/// The first step of a scenario failed with `first`: send `rest` anyway (each answer noted) and
/// return `first` with how each of them was answered.
pub(super) async fn refused(ctx: &Ctx, first: Problem, rest: Vec<Request>) -> Problem {
    let mut answers = Vec::new();
    for request in rest {
        let op = request.operation().cli_name;
        let answer = match ctx.answer(request).await {
            Ok(envelope) if envelope.is_success() => format!("{op}: {}", envelope.status),
            Ok(envelope) => format!("{op}: {}", words(&envelope)),
            Err(problem) => problem.detail().to_string(),
        };
        answers.push(answer);
    }
    if answers.is_empty() {
        return first;
    }
    let detail = format!("{}; then {}", first.detail(), answers.join("; "));
    match first {
        Problem::Unsupported(_) => Problem::Unsupported(detail),
        Problem::Failed(_) => Problem::Failed(detail),
    }
}

/// Send `request`, the scenario's first use of its feature; on failure see [`refused`].
pub(super) async fn first(
    ctx: &Ctx,
    request: Request,
    rest: Vec<Request>,
) -> Result<Envelope, Problem> {
    match ctx.send(request).await {
        Ok(envelope) => Ok(envelope),
        Err(problem) => Err(refused(ctx, problem, rest).await),
    }
}

/// A bucket holding one object (see the module doc for why).
pub(super) async fn bucket_with_object(ctx: &Ctx, scenario: &str) -> Result<String, Problem> {
    let bucket = ctx.bucket(scenario).await?;
    ctx.send(
        ctx.client
            .put_object()
            .bucket(&bucket)
            .key("keep")
            .body("keep")
            .request(),
    )
    .await?;
    Ok(bucket)
}

/// Send a configuration's DELETE. A `BucketNotEmpty` answer means the server took it for
/// DeleteBucket: a wrong result, not a failure of the request.
pub(super) async fn delete(ctx: &Ctx, request: Request) -> Result<(), Problem> {
    let op = request.operation().cli_name;
    let answer = ctx.answer(request).await?;
    if answer.is_success() {
        return Ok(());
    }
    if answer.error_code() == Some("BucketNotEmpty") {
        return Err(wrong(
            &format!("{op} is handled as DeleteBucket"),
            words(&answer),
        ));
    }
    Err(Problem::Failed(format!("{op}: {}", words(&answer))))
}

/// After a removal, `request` (a GET) must answer 404, with `code` when given.
pub(super) async fn gone(ctx: &Ctx, request: Request, code: Option<&str>) -> Result<(), Problem> {
    let op = request.operation().cli_name;
    let answer = ctx.answer(request).await?;
    let what = format!("{op} after the removal");
    match code {
        Some(code) => same(
            &what,
            (answer.status, answer.error_code().map(str::to_string)),
            (404, Some(code.to_string())),
        ),
        None if answer.status == 404 => Ok(()),
        None => Err(wrong(&format!("{what} answers 404"), words(&answer))),
    }
}

scenario!(website, |ctx| {
    let bucket = bucket_with_object(ctx, "web").await?;
    let c = &ctx.client;
    let get = || c.get_bucket_website().bucket(&bucket).request();
    let del = || c.delete_bucket_website().bucket(&bucket).request();
    let config = json!({
        "IndexDocument": {"Suffix": "index.html"},
        "ErrorDocument": {"Key": "error.html"}
    });
    first(
        ctx,
        c.put_bucket_website()
            .bucket(&bucket)
            .website_configuration_json(config.clone())
            .request(),
        vec![get(), del()],
    )
    .await?;
    let got = ctx.send(get()).await?;
    subset("website", &config, &got.response)?;
    delete(ctx, del()).await?;
    gone(ctx, get(), Some("NoSuchWebsiteConfiguration")).await
});

scenario!(public_access_block, |ctx| {
    let bucket = bucket_with_object(ctx, "pab").await?;
    let c = &ctx.client;
    let get = || c.get_public_access_block().bucket(&bucket).request();
    let del = || c.delete_public_access_block().bucket(&bucket).request();
    let status = || c.get_bucket_policy_status().bucket(&bucket).request();
    let config = json!({
        "BlockPublicAcls": true,
        "IgnorePublicAcls": true,
        "BlockPublicPolicy": true,
        "RestrictPublicBuckets": false
    });
    first(
        ctx,
        c.put_public_access_block()
            .bucket(&bucket)
            .public_access_block_configuration_json(config.clone())
            .request(),
        vec![get(), del(), status()],
    )
    .await?;
    let got = ctx.send(get()).await?;
    subset("public access block", &config, &got.response)?;
    delete(ctx, del()).await?;
    gone(ctx, get(), Some("NoSuchPublicAccessBlockConfiguration")).await?;
    // With the block gone, a policy that grants everyone GetObject makes the bucket public.
    let policy = json!({
        "Version": "2012-10-17",
        "Statement": [{
            "Effect": "Allow",
            "Principal": "*",
            "Action": "s3:GetObject",
            "Resource": format!("arn:aws:s3:::{bucket}/*")
        }]
    });
    first(
        ctx,
        c.put_bucket_policy()
            .bucket(&bucket)
            .policy(policy.to_string())
            .request(),
        vec![status()],
    )
    .await?;
    let got = ctx.send(status()).await?;
    same(
        "PolicyStatus.IsPublic for a policy granting everyone GetObject",
        got.response.get("IsPublic").cloned(),
        Some(json!(true)),
    )
});

scenario!(ownership_controls, |ctx| {
    let bucket = bucket_with_object(ctx, "own").await?;
    let c = &ctx.client;
    let get = || c.get_bucket_ownership_controls().bucket(&bucket).request();
    let del = || {
        c.delete_bucket_ownership_controls()
            .bucket(&bucket)
            .request()
    };
    let config = json!({"Rules": [{"ObjectOwnership": "BucketOwnerPreferred"}]});
    first(
        ctx,
        c.put_bucket_ownership_controls()
            .bucket(&bucket)
            .ownership_controls_json(config.clone())
            .request(),
        vec![get(), del()],
    )
    .await?;
    let got = ctx.send(get()).await?;
    subset("ownership controls", &config, &got.response)?;
    delete(ctx, del()).await?;
    gone(ctx, get(), Some("OwnershipControlsNotFoundError")).await
});

scenario!(logging, |ctx| {
    let bucket = bucket_with_object(ctx, "logsrc").await?;
    let target = ctx.bucket("logdst").await?;
    let c = &ctx.client;
    let get = || c.get_bucket_logging().bucket(&bucket).request();
    let put = |status: Value| {
        c.put_bucket_logging()
            .bucket(&bucket)
            .bucket_logging_status_json(status)
            .request()
    };
    let enabled = json!({"LoggingEnabled": {"TargetBucket": target, "TargetPrefix": "logs/"}});
    // The target lets the logging service write, as AWS asks (a policy, not the legacy ACL).
    let policy = json!({
        "Version": "2012-10-17",
        "Statement": [{
            "Effect": "Allow",
            "Principal": {"Service": "logging.s3.amazonaws.com"},
            "Action": ["s3:PutObject"],
            "Resource": format!("arn:aws:s3:::{target}/*")
        }]
    });
    first(
        ctx,
        c.put_bucket_policy()
            .bucket(&target)
            .policy(policy.to_string())
            .request(),
        vec![put(enabled.clone()), get()],
    )
    .await?;
    first(ctx, put(enabled.clone()), vec![get()]).await?;
    let got = ctx.send(get()).await?;
    subset("logging", &enabled, &got.response)?;
    // An empty BucketLoggingStatus turns logging off.
    ctx.send(put(json!({}))).await?;
    let off = ctx.send(get()).await?;
    same(
        "LoggingEnabled after logging is turned off",
        off.response.get("LoggingEnabled").cloned(),
        None,
    )
});

/// Turn versioning on for `bucket`.
async fn versioned(ctx: &Ctx, bucket: &str) -> Result<(), Problem> {
    ctx.send(
        ctx.client
            .put_bucket_versioning()
            .bucket(bucket)
            .versioning_configuration_json(json!({"Status": "Enabled"}))
            .request(),
    )
    .await
    .map(|_| ())
}

scenario!(replication, |ctx| {
    let bucket = bucket_with_object(ctx, "repsrc").await?;
    let destination = ctx.bucket("repdst").await?;
    let c = &ctx.client;
    let get = || c.get_bucket_replication().bucket(&bucket).request();
    let del = || c.delete_bucket_replication().bucket(&bucket).request();
    let config = json!({
        "Role": "arn:aws:iam::123456789012:role/replication",
        "Rules": [{
            "ID": "everything",
            "Priority": 1,
            "Filter": {"Prefix": ""},
            "Status": "Enabled",
            "DeleteMarkerReplication": {"Status": "Disabled"},
            "Destination": {"Bucket": format!("arn:aws:s3:::{destination}")}
        }]
    });
    let put = || {
        c.put_bucket_replication()
            .bucket(&bucket)
            .replication_configuration_json(config.clone())
            .request()
    };
    // Replication needs versioning on both buckets.
    if let Err(problem) = versioned(ctx, &bucket).await {
        return Err(refused(ctx, problem, vec![put(), get(), del()]).await);
    }
    versioned(ctx, &destination).await?;
    first(ctx, put(), vec![get(), del()]).await?;
    let got = ctx.send(get()).await?;
    subset("replication", &config, &got.response)?;
    delete(ctx, del()).await?;
    gone(ctx, get(), Some("ReplicationConfigurationNotFoundError")).await
});

scenario!(accelerate, |ctx| {
    let bucket = bucket_with_object(ctx, "accel").await?;
    let c = &ctx.client;
    let get = || {
        c.get_bucket_accelerate_configuration()
            .bucket(&bucket)
            .request()
    };
    // Accelerate has no DELETE: it is switched on, then suspended, and read back each time.
    for (i, status) in ["Enabled", "Suspended"].into_iter().enumerate() {
        let put = c
            .put_bucket_accelerate_configuration()
            .bucket(&bucket)
            .accelerate_configuration_json(json!({"Status": status}))
            .request();
        if i == 0 {
            first(ctx, put, vec![get()]).await?;
        } else {
            ctx.send(put).await?;
        }
        let got = ctx.send(get()).await?;
        same(
            "accelerate Status",
            got.response.get("Status").cloned(),
            Some(json!(status)),
        )?;
    }
    Ok(())
});

/// The four calls of an id-keyed bucket configuration (inventory, analytics, metrics,
/// intelligent tiering): put `config` (its `Id` is the id), get it and compare, list it (the
/// answer's `list_key` holds the configurations), delete it and check it is gone.
struct Keyed {
    what: &'static str,
    put: Request,
    get: Request,
    list: Request,
    list_key: &'static str,
    delete: Request,
}

async fn keyed_round_trip(ctx: &Ctx, config: &Value, k: Keyed) -> Result<(), Problem> {
    let id = config["Id"].as_str().unwrap_or_default();
    first(
        ctx,
        k.put,
        vec![k.get.clone(), k.list.clone(), k.delete.clone()],
    )
    .await?;
    let got = ctx.send(k.get.clone()).await?;
    subset(k.what, config, &got.response)?;
    let listed = ctx.send(k.list).await?;
    let ids = super::strings(&listed.response, k.list_key, "Id");
    same(&format!("{} ids listed", k.what), ids, vec![id.to_string()])?;
    delete(ctx, k.delete).await?;
    gone(ctx, k.get, Some("NoSuchConfiguration")).await
}

scenario!(inventory, |ctx| {
    let bucket = bucket_with_object(ctx, "inv").await?;
    let c = &ctx.client;
    let id = "daily-csv";
    let config = json!({
        "Id": id,
        "IsEnabled": true,
        "Destination": {"S3BucketDestination": {
            "Bucket": format!("arn:aws:s3:::{bucket}"),
            "Format": "CSV",
            "Prefix": "inventory"
        }},
        "IncludedObjectVersions": "Current",
        "OptionalFields": ["Size", "ETag"],
        "Schedule": {"Frequency": "Daily"}
    });
    keyed_round_trip(
        ctx,
        &config,
        Keyed {
            what: "inventory",
            put: c
                .put_bucket_inventory_configuration()
                .bucket(&bucket)
                .id(id)
                .inventory_configuration_json(config.clone())
                .request(),
            get: c
                .get_bucket_inventory_configuration()
                .bucket(&bucket)
                .id(id)
                .request(),
            list: c
                .list_bucket_inventory_configurations()
                .bucket(&bucket)
                .request(),
            list_key: "InventoryConfigurationList",
            delete: c
                .delete_bucket_inventory_configuration()
                .bucket(&bucket)
                .id(id)
                .request(),
        },
    )
    .await
});

scenario!(analytics, |ctx| {
    let bucket = bucket_with_object(ctx, "analytics").await?;
    let c = &ctx.client;
    let id = "docs-access";
    let config = json!({
        "Id": id,
        "Filter": {"Prefix": "docs/"},
        "StorageClassAnalysis": {"DataExport": {
            "OutputSchemaVersion": "V_1",
            "Destination": {"S3BucketDestination": {
                "Format": "CSV",
                "Bucket": format!("arn:aws:s3:::{bucket}"),
                "Prefix": "analysis"
            }}
        }}
    });
    keyed_round_trip(
        ctx,
        &config,
        Keyed {
            what: "analytics",
            put: c
                .put_bucket_analytics_configuration()
                .bucket(&bucket)
                .id(id)
                .analytics_configuration_json(config.clone())
                .request(),
            get: c
                .get_bucket_analytics_configuration()
                .bucket(&bucket)
                .id(id)
                .request(),
            list: c
                .list_bucket_analytics_configurations()
                .bucket(&bucket)
                .request(),
            list_key: "AnalyticsConfigurationList",
            delete: c
                .delete_bucket_analytics_configuration()
                .bucket(&bucket)
                .id(id)
                .request(),
        },
    )
    .await
});

scenario!(metrics, |ctx| {
    let bucket = bucket_with_object(ctx, "metrics").await?;
    let c = &ctx.client;
    let id = "docs-requests";
    let config = json!({"Id": id, "Filter": {"Prefix": "docs/"}});
    keyed_round_trip(
        ctx,
        &config,
        Keyed {
            what: "metrics",
            put: c
                .put_bucket_metrics_configuration()
                .bucket(&bucket)
                .id(id)
                .metrics_configuration_json(config.clone())
                .request(),
            get: c
                .get_bucket_metrics_configuration()
                .bucket(&bucket)
                .id(id)
                .request(),
            list: c
                .list_bucket_metrics_configurations()
                .bucket(&bucket)
                .request(),
            list_key: "MetricsConfigurationList",
            delete: c
                .delete_bucket_metrics_configuration()
                .bucket(&bucket)
                .id(id)
                .request(),
        },
    )
    .await
});

scenario!(intelligent_tiering, |ctx| {
    let bucket = bucket_with_object(ctx, "tiering").await?;
    let c = &ctx.client;
    let id = "archive-cold";
    let config = json!({
        "Id": id,
        "Filter": {"Prefix": "cold/"},
        "Status": "Enabled",
        "Tierings": [{"Days": 90, "AccessTier": "ARCHIVE_ACCESS"}]
    });
    keyed_round_trip(
        ctx,
        &config,
        Keyed {
            what: "intelligent tiering",
            put: c
                .put_bucket_intelligent_tiering_configuration()
                .bucket(&bucket)
                .id(id)
                .intelligent_tiering_configuration_json(config.clone())
                .request(),
            get: c
                .get_bucket_intelligent_tiering_configuration()
                .bucket(&bucket)
                .id(id)
                .request(),
            list: c
                .list_bucket_intelligent_tiering_configurations()
                .bucket(&bucket)
                .request(),
            list_key: "IntelligentTieringConfigurationList",
            delete: c
                .delete_bucket_intelligent_tiering_configuration()
                .bucket(&bucket)
                .id(id)
                .request(),
        },
    )
    .await
});

scenario!(legacy_lifecycle, |ctx| {
    let bucket = bucket_with_object(ctx, "oldlife").await?;
    let c = &ctx.client;
    let get = || c.get_bucket_lifecycle().bucket(&bucket).request();
    let del = || c.delete_bucket_lifecycle().bucket(&bucket).request();
    // The deprecated shape: a rule's Prefix sits on the rule, not in a Filter.
    let config = json!({"Rules": [{
        "ID": "expire-tmp",
        "Prefix": "tmp/",
        "Status": "Enabled",
        "Expiration": {"Days": 7}
    }]});
    first(
        ctx,
        c.put_bucket_lifecycle()
            .bucket(&bucket)
            .lifecycle_configuration_json(config.clone())
            .request(),
        vec![get(), del()],
    )
    .await?;
    let got = ctx.send(get()).await?;
    subset("legacy lifecycle", &config, &got.response)?;
    delete(ctx, del()).await?;
    gone(ctx, get(), Some("NoSuchLifecycleConfiguration")).await
});

scenario!(legacy_notification, |ctx| {
    let bucket = bucket_with_object(ctx, "oldnote").await?;
    let c = &ctx.client;
    let get = || c.get_bucket_notification().bucket(&bucket).request();
    let put = |config: Value| {
        c.put_bucket_notification()
            .bucket(&bucket)
            .notification_configuration_json(config)
            .request()
    };
    let config = json!({"QueueConfiguration": {
        "Id": "created",
        "Events": ["s3:ObjectCreated:*"],
        "Queue": "arn:aws:sqs:us-east-1:123456789012:events"
    }});
    first(ctx, put(config.clone()), vec![get()]).await?;
    let got = ctx.send(get()).await?;
    subset("legacy notification", &config, &got.response)?;
    // An empty configuration removes it.
    ctx.send(put(json!({}))).await?;
    let after = ctx.send(get()).await?;
    same(
        "QueueConfiguration after an empty PutBucketNotification",
        after.response.get("QueueConfiguration").cloned(),
        None,
    )
});

scenario!(abac, |ctx| {
    let bucket = bucket_with_object(ctx, "abac").await?;
    let c = &ctx.client;
    let get = || c.get_bucket_abac().bucket(&bucket).request();
    // ABAC has no DELETE: it is enabled, then disabled, and read back each time.
    for (i, status) in ["Enabled", "Disabled"].into_iter().enumerate() {
        let put = c
            .put_bucket_abac()
            .bucket(&bucket)
            .abac_status_json(json!({"Status": status}))
            .request();
        if i == 0 {
            first(ctx, put, vec![get()]).await?;
        } else {
            ctx.send(put).await?;
        }
        let got = ctx.send(get()).await?;
        same(
            "ABAC Status",
            got.response.get("Status").cloned(),
            Some(json!(status)),
        )?;
    }
    Ok(())
});

/// `response[a][b]...`, or Null.
fn at<'a>(response: &'a Value, path: &[&str]) -> &'a Value {
    path.iter()
        .fold(response, |v, k| v.get(k).unwrap_or(&Value::Null))
}

scenario!(metadata_configuration, |ctx| {
    let bucket = bucket_with_object(ctx, "meta").await?;
    let c = &ctx.client;
    let get = || {
        c.get_bucket_metadata_configuration()
            .bucket(&bucket)
            .request()
    };
    let del = || {
        c.delete_bucket_metadata_configuration()
            .bucket(&bucket)
            .request()
    };
    let journal = |expiration: Value| {
        c.update_bucket_metadata_journal_table_configuration()
            .bucket(&bucket)
            .journal_table_configuration_json(json!({"RecordExpiration": expiration}))
            .request()
    };
    let inventory = || {
        c.update_bucket_metadata_inventory_table_configuration()
            .bucket(&bucket)
            .inventory_table_configuration_json(json!({"ConfigurationState": "ENABLED"}))
            .request()
    };
    let annotation = || {
        c.update_bucket_metadata_annotation_table_configuration()
            .bucket(&bucket)
            .annotation_table_configuration_json(json!({"ConfigurationState": "ENABLED"}))
            .request()
    };
    let config = json!({
        "JournalTableConfiguration": {"RecordExpiration": {"Expiration": "ENABLED", "Days": 7}},
        "InventoryTableConfiguration": {"ConfigurationState": "DISABLED"}
    });
    first(
        ctx,
        c.create_bucket_metadata_configuration()
            .bucket(&bucket)
            .metadata_configuration_json(config)
            .request(),
        vec![
            get(),
            journal(json!({"Expiration": "DISABLED"})),
            inventory(),
            annotation(),
            del(),
        ],
    )
    .await?;
    let got = ctx.send(get()).await?;
    let result = at(&got.response, &["MetadataConfigurationResult"]);
    same(
        "journal record expiration",
        at(
            result,
            &[
                "JournalTableConfigurationResult",
                "RecordExpiration",
                "Days",
            ],
        )
        .clone(),
        json!(7),
    )?;
    ctx.send(journal(json!({"Expiration": "DISABLED"}))).await?;
    ctx.send(inventory()).await?;
    ctx.send(annotation()).await?;
    let got = ctx.send(get()).await?;
    let result = at(&got.response, &["MetadataConfigurationResult"]);
    same(
        "journal and inventory table after the updates",
        (
            at(
                result,
                &[
                    "JournalTableConfigurationResult",
                    "RecordExpiration",
                    "Expiration",
                ],
            )
            .clone(),
            at(
                result,
                &["InventoryTableConfigurationResult", "ConfigurationState"],
            )
            .clone(),
        ),
        (json!("DISABLED"), json!("ENABLED")),
    )?;
    delete(ctx, del()).await?;
    gone(ctx, get(), None).await
});

scenario!(metadata_table, |ctx| {
    let bucket = bucket_with_object(ctx, "metatab").await?;
    let c = &ctx.client;
    let get = || {
        c.get_bucket_metadata_table_configuration()
            .bucket(&bucket)
            .request()
    };
    let del = || {
        c.delete_bucket_metadata_table_configuration()
            .bucket(&bucket)
            .request()
    };
    let destination = json!({
        "TableBucketArn": "arn:aws:s3tables:us-east-1:123456789012:bucket/metadata",
        "TableName": "journal"
    });
    first(
        ctx,
        c.create_bucket_metadata_table_configuration()
            .bucket(&bucket)
            .metadata_table_configuration_json(json!({"S3TablesDestination": destination}))
            .request(),
        vec![get(), del()],
    )
    .await?;
    let got = ctx.send(get()).await?;
    let result = at(&got.response, &["MetadataTableConfigurationResult"]);
    subset(
        "metadata table destination",
        &destination,
        at(result, &["S3TablesDestinationResult"]),
    )?;
    delete(ctx, del()).await?;
    gone(ctx, get(), None).await
});
