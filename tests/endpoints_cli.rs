//! Endpoints at the terminal (issue 13, items 1–3): `--dry-run` shows where each kind of request
//! goes and how it is signed, with the settings given as AWS names them — flags, environment
//! variables, or a profile in `AWS_CONFIG_FILE`. The expected URLs and credential scopes are
//! written out here from AWS's documentation of each endpoint kind (regional, access point,
//! FIPS, dual-stack, Transfer Acceleration, Multi-Region Access Point, Outposts, Object Lambda,
//! China and GovCloud partitions, a custom endpoint), not computed by the code under test.

mod clirun;

#[path = "support/scratch.rs"]
mod scratch;

const KEYS: [(&str, &str); 2] = [
    ("AWS_ACCESS_KEY_ID", "AKIDEXAMPLE"),
    (
        "AWS_SECRET_ACCESS_KEY",
        "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY",
    ),
];

/// `s3op --dry-run [flags] get-object --bucket BUCKET --key k out` with `env` (keys added);
/// the signed request as JSON.
fn get_object(env: &[(&str, &str)], flags: &[&str], bucket: &str) -> clirun::Run {
    let mut vars: Vec<(&str, &str)> = KEYS.to_vec();
    vars.extend_from_slice(env);
    let mut args = vec!["--dry-run"];
    args.extend_from_slice(flags);
    args.extend(["get-object", "--bucket", bucket, "--key", "k", "out"]);
    clirun::run(&vars, &args)
}

/// The URL and `Authorization` of a dry run that must succeed.
fn sent(run: &clirun::Run) -> (String, String, serde_json::Value) {
    run.expect_code(0);
    let json = run.json();
    let url = json["url"].as_str().expect("url").to_string();
    let auth = json["headers"]["authorization"]
        .as_str()
        .expect("signed")
        .to_string();
    (url, auth, json["headers"].clone())
}

/// Asserts a SigV4 scope of `region` and `service` in `auth`.
fn signed_for(auth: &str, region: &str, service: &str) {
    assert!(
        auth.starts_with("AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/")
            && auth.contains(&format!("/{region}/{service}/aws4_request,")),
        "expected a SigV4 scope for {region}/{service}: {auth}"
    );
}

/// A profile file holding `text`; the scratch directory lives as long as the result.
fn profile(text: &str) -> (scratch::Scratch, String) {
    let dir = scratch::scratch("endpoints_cli", "profile");
    let path = dir.join("config");
    std::fs::write(&path, text).expect("write the profile");
    let path = path.to_string_lossy().into_owned();
    (dir, path)
}

#[test]
fn a_region_picks_the_regional_host_and_scope() {
    let (url, auth, _) = sent(&get_object(&[], &["--region", "eu-west-1"], "my-bucket"));
    assert_eq!(url, "https://my-bucket.s3.eu-west-1.amazonaws.com/k");
    signed_for(&auth, "eu-west-1", "s3");
    let (url, auth, _) = sent(&get_object(
        &[("AWS_REGION", "cn-north-1")],
        &[],
        "my-bucket",
    ));
    assert_eq!(url, "https://my-bucket.s3.cn-north-1.amazonaws.com.cn/k");
    signed_for(&auth, "cn-north-1", "s3");
    // A name that cannot be a host name goes in the path.
    let (url, _, _) = sent(&get_object(&[], &["--region", "eu-west-1"], "My_Bucket"));
    assert_eq!(url, "https://s3.eu-west-1.amazonaws.com/My_Bucket/k");
    // us-east-1's global host only when asked for (legacy).
    let legacy = [("AWS_S3_US_EAST_1_REGIONAL_ENDPOINT", "legacy")];
    let (url, auth, _) = sent(&get_object(
        &legacy,
        &["--region", "us-east-1"],
        "my-bucket",
    ));
    assert_eq!(url, "https://my-bucket.s3.amazonaws.com/k");
    signed_for(&auth, "us-east-1", "s3");
    let (url, _, _) = sent(&get_object(&[], &["--region", "us-east-1"], "my-bucket"));
    assert_eq!(url, "https://my-bucket.s3.us-east-1.amazonaws.com/k");
}

#[test]
fn an_access_point_arn_goes_to_its_own_host_and_region() {
    let arn = "arn:aws:s3:us-west-2:123456789012:accesspoint/myap";
    let (url, auth, _) = sent(&get_object(&[], &["--region", "us-east-1"], arn));
    assert_eq!(
        url,
        "https://myap-123456789012.s3-accesspoint.us-west-2.amazonaws.com/k"
    );
    signed_for(&auth, "us-west-2", "s3");
    // With the ARN's region switched off, a client in another region is refused before sending.
    let off = get_object(
        &[("AWS_S3_USE_ARN_REGION", "false")],
        &["--region", "us-east-1"],
        arn,
    );
    off.expect_code(2);
    assert!(off.stderr.contains("does not match client region"), "{off}");
    assert!(off.stdout.is_empty(), "nothing signed:\n{off}");
    // FIPS and dual-stack apply to access points too.
    let (url, _, _) = sent(&get_object(
        &[
            ("AWS_USE_FIPS_ENDPOINT", "true"),
            ("AWS_USE_DUALSTACK_ENDPOINT", "true"),
        ],
        &["--region", "us-west-2"],
        arn,
    ));
    assert_eq!(
        url,
        "https://myap-123456789012.s3-accesspoint-fips.dualstack.us-west-2.amazonaws.com/k"
    );
}

#[test]
fn fips_dual_stack_and_acceleration_from_environment_profile_and_flags() {
    let fips = [("AWS_USE_FIPS_ENDPOINT", "true")];
    let (url, auth, _) = sent(&get_object(&fips, &["--region", "us-east-2"], "my-bucket"));
    assert_eq!(url, "https://my-bucket.s3-fips.us-east-2.amazonaws.com/k");
    signed_for(&auth, "us-east-2", "s3");
    let (url, auth, _) = sent(&get_object(
        &[],
        &["--use-fips-endpoint", "--region", "us-gov-west-1"],
        "my-bucket",
    ));
    assert_eq!(
        url,
        "https://my-bucket.s3-fips.us-gov-west-1.amazonaws.com/k"
    );
    signed_for(&auth, "us-gov-west-1", "s3");

    let (_dir, config) = profile(
        "[profile fast]\nregion = eu-west-1\nuse_dualstack_endpoint = true\n\
         s3 =\n    use_accelerate_endpoint = true\n\
         [profile fips]\nregion = us-west-2\nuse_fips_endpoint = true\n\
         [profile pathstyle]\nregion = eu-west-1\ns3 =\n    addressing_style = path\n",
    );
    // AWS_PROFILE (unlike --profile) keeps the environment's keys in use.
    let with = |name| [("AWS_CONFIG_FILE", config.as_str()), ("AWS_PROFILE", name)];
    let (url, auth, _) = sent(&get_object(&with("fast"), &[], "my-bucket"));
    assert_eq!(
        url,
        "https://my-bucket.s3-accelerate.dualstack.amazonaws.com/k"
    );
    signed_for(&auth, "eu-west-1", "s3");
    let (url, _, _) = sent(&get_object(&with("fips"), &[], "my-bucket"));
    assert_eq!(url, "https://my-bucket.s3-fips.us-west-2.amazonaws.com/k");
    let (url, _, _) = sent(&get_object(&with("pathstyle"), &[], "my-bucket"));
    assert_eq!(url, "https://s3.eu-west-1.amazonaws.com/my-bucket/k");

    let (url, _, _) = sent(&get_object(
        &[("AWS_USE_DUALSTACK_ENDPOINT", "true")],
        &["--region", "ap-south-1"],
        "my-bucket",
    ));
    assert_eq!(
        url,
        "https://my-bucket.s3.dualstack.ap-south-1.amazonaws.com/k"
    );
    let (url, _, _) = sent(&get_object(
        &[],
        &["--use-accelerate-endpoint", "--region", "eu-west-1"],
        "my-bucket",
    ));
    assert_eq!(url, "https://my-bucket.s3-accelerate.amazonaws.com/k");
}

#[test]
fn a_setting_that_is_not_a_boolean_is_refused_by_name() {
    let run = get_object(&[("AWS_USE_DUALSTACK_ENDPOINT", "yes")], &[], "my-bucket");
    run.expect_code(2);
    assert!(
        run.stderr.contains("AWS_USE_DUALSTACK_ENDPOINT") && run.stderr.contains("true or false"),
        "{run}"
    );
    assert!(run.stdout.is_empty(), "{run}");
}

#[test]
fn a_multi_region_access_point_is_signed_with_sigv4a_for_every_region() {
    let mrap = "arn:aws:s3::123456789012:accesspoint/mfzwi23gnjvgw.mrap";
    let (url, auth, headers) = sent(&get_object(&[], &["--region", "eu-west-1"], mrap));
    assert_eq!(
        url,
        "https://mfzwi23gnjvgw.mrap.accesspoint.s3-global.amazonaws.com/k"
    );
    assert!(
        auth.starts_with("AWS4-ECDSA-P256-SHA256 Credential=AKIDEXAMPLE/")
            && auth.contains("/s3/aws4_request,")
            && !auth.contains("eu-west-1"),
        "SigV4a's scope has no region: {auth}"
    );
    assert!(auth.contains("x-amz-region-set"), "{auth}");
    assert_eq!(headers["x-amz-region-set"], "*");
    let off = get_object(
        &[("AWS_S3_DISABLE_MULTIREGION_ACCESS_POINTS", "true")],
        &["--region", "eu-west-1"],
        mrap,
    );
    off.expect_code(2);
    assert!(
        off.stderr
            .contains("Multi-Region Access Point ARNs are disabled"),
        "{off}"
    );
}

#[test]
fn outposts_and_object_lambda_access_points_sign_for_their_services() {
    let outpost =
        "arn:aws:s3-outposts:us-west-2:123456789012:outpost/op-01234567890123456/accesspoint/reports";
    let (url, auth, _) = sent(&get_object(&[], &["--region", "us-west-2"], outpost));
    assert_eq!(
        url,
        "https://reports-123456789012.op-01234567890123456.s3-outposts.us-west-2.amazonaws.com/k"
    );
    // Outposts offer SigV4a first (region set `*`), as aws-sdk-s3 signs them.
    assert!(
        auth.starts_with("AWS4-ECDSA-P256-SHA256 ") && auth.contains("/s3-outposts/aws4_request,"),
        "{auth}"
    );
    let lambda = "arn:aws:s3-object-lambda:us-west-2:123456789012:accesspoint/mylambda";
    let (url, auth, _) = sent(&get_object(&[], &["--region", "us-west-2"], lambda));
    assert_eq!(
        url,
        "https://mylambda-123456789012.s3-object-lambda.us-west-2.amazonaws.com/k"
    );
    signed_for(&auth, "us-west-2", "s3-object-lambda");
}

#[test]
fn a_custom_endpoint_keeps_its_host_and_refuses_aws_only_switches_given_as_flags() {
    let minio = [
        "--endpoint-url",
        "https://minio.internal:9000",
        "--region",
        "eu-west-1",
    ];
    let (url, auth, _) = sent(&get_object(&[], &minio, "my-bucket"));
    assert_eq!(url, "https://minio.internal:9000/my-bucket/k");
    signed_for(&auth, "eu-west-1", "s3");
    // FIPS from the environment names AWS's hosts: it gives way to a configured endpoint.
    let (url, _, _) = sent(&get_object(
        &[("AWS_USE_FIPS_ENDPOINT", "true")],
        &minio,
        "my-bucket",
    ));
    assert_eq!(url, "https://minio.internal:9000/my-bucket/k");
    // Asked for on the command line, the rules refuse the combination before anything is sent.
    let mut flags = minio.to_vec();
    flags.push("--use-fips-endpoint");
    let refused = get_object(&[], &flags, "my-bucket");
    refused.expect_code(2);
    assert!(
        refused.stderr.contains("cannot be combined with FIPS"),
        "{refused}"
    );
    // Virtual-hosted when the profile says so; a base path is kept.
    let (_dir, config) = profile("[default]\ns3 =\n    addressing_style = virtual\n");
    let (url, _, _) = sent(&get_object(
        &[("AWS_CONFIG_FILE", &config)],
        &minio,
        "my-bucket",
    ));
    assert_eq!(url, "https://my-bucket.minio.internal:9000/k");
    let based = ["--endpoint-url", "http://127.0.0.1:9000/storage/"];
    let (url, _, _) = sent(&get_object(&[], &based, "my-bucket"));
    assert_eq!(url, "http://127.0.0.1:9000/storage/my-bucket/k");
}
