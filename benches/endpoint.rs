//! Endpoint resolution from AWS's S3 rule set (`s3op::endpoint`): one resolution for a few
//! typical parameter sets (a plain bucket in a region, a custom endpoint with path style, an
//! access point ARN, an S3 Express directory bucket), and the one-time cost of parsing the
//! bundled rule set and partitions into a `Resolver`. Each case is checked to resolve to the
//! URL an AWS SDK gives before it is timed.

use std::hint::black_box;

use criterion::{criterion_group, criterion_main, Criterion};

use s3op::endpoint::{EndpointParams, Resolver};

fn cases() -> Vec<(&'static str, EndpointParams, &'static str)> {
    let mut express = EndpointParams::new()
        .region("us-east-1")
        .bucket("mybucket--use1-az4--x-s3");
    express.use_s3_express_control_endpoint = Some(false);
    vec![
        (
            "virtual-hosted",
            EndpointParams::new()
                .region("eu-west-1")
                .bucket("my-bucket"),
            "https://my-bucket.s3.eu-west-1.amazonaws.com",
        ),
        (
            "custom-endpoint-path-style",
            EndpointParams::new()
                .region("us-east-1")
                .bucket("my-bucket")
                .endpoint("http://127.0.0.1:9000")
                .force_path_style(true),
            "http://127.0.0.1:9000/my-bucket",
        ),
        (
            "access-point-arn",
            EndpointParams::new()
                .region("us-west-2")
                .bucket("arn:aws:s3:us-west-2:123456789012:accesspoint:myendpoint"),
            "https://myendpoint-123456789012.s3-accesspoint.us-west-2.amazonaws.com",
        ),
        (
            "s3-express",
            express,
            "https://mybucket--use1-az4--x-s3.s3express-use1-az4.us-east-1.amazonaws.com",
        ),
    ]
}

fn bench(c: &mut Criterion) {
    let resolver = Resolver::new().expect("the bundled rule set parses");
    let mut group = c.benchmark_group("endpoint");
    for (name, params, url) in cases() {
        let got = resolver.resolve(&params).expect("case resolves");
        assert_eq!(got.url, url, "{name}");
        group.bench_function(format!("resolve/{name}"), |b| {
            b.iter(|| resolver.resolve(black_box(&params)))
        });
    }
    group.bench_function("parse-rule-set", |b| b.iter(Resolver::new));
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
