//! Converting a full ListObjectsV2 page (1,000 keys) to the envelope's JSON with the operation's
//! output shape: the work behind every `list-objects-v2` call and every page of a listing. The page
//! is generated here to look like what S3 sends: nested, realistic keys (some needing XML escapes),
//! quoted ETags (`&quot;`, as S3 writes them; some multipart `-N`), sizes, timestamps, storage
//! classes and the owner. Criterion reports the throughput in bytes of XML per second.

use std::fmt::Write as _;
use std::hint::black_box;

use criterion::{criterion_group, criterion_main, Criterion, Throughput};

use s3op::operation::Output;
use s3op::xml::xml_to_json;

const KEYS: usize = 1_000;

/// A deterministic pseudo-random sequence (xorshift64*), so the page is the same on every run.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }

    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
}

/// The keys sorted, as S3 lists them.
fn keys(rng: &mut Rng) -> Vec<String> {
    const SERVICES: &[&str] = &["api", "billing", "checkout", "search", "web"];
    const KINDS: &[&str] = &["logs", "exports", "images", "reports"];
    let mut keys: Vec<String> = (0..KEYS)
        .map(|i| {
            let kind = KINDS[rng.below(KINDS.len() as u64) as usize];
            let service = SERVICES[rng.below(SERVICES.len() as u64) as usize];
            let (month, day, hour) = (1 + rng.below(12), 1 + rng.below(28), rng.below(24));
            match kind {
                "logs" => format!(
                    "logs/{service}/2024/{month:02}/{day:02}/{hour:02}/{service}-{:08x}-{i:05}.json.gz",
                    rng.next() as u32
                ),
                "exports" => format!("exports/{service}/2024-{month:02}-{day:02}/part-{i:05}.parquet"),
                "images" => format!(
                    "images/uploads/{:02x}/{:02x}/IMG_{i:04} (copy).jpg",
                    rng.below(256),
                    rng.below(256)
                ),
                _ => format!("reports/Q{} & annual/{service} summary {i}.csv", 1 + month / 4),
            }
        })
        .collect();
    keys.sort();
    keys
}

fn escape(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
}

/// A 1,000-key ListObjectsV2 page, as S3 writes it (one line, no indentation).
fn page() -> Vec<u8> {
    let mut rng = Rng(0x5eed_1234_abcd_0001);
    let keys = keys(&mut rng);
    let mut xml = String::with_capacity(400 * KEYS);
    xml.push_str(r#"<?xml version="1.0" encoding="UTF-8"?>"#);
    xml.push_str(r#"<ListBucketResult xmlns="http://s3.amazonaws.com/doc/2006-03-01/">"#);
    xml.push_str("<Name>example-data-lake</Name><Prefix></Prefix>");
    xml.push_str("<NextContinuationToken>1ueGcxLPRx1Tr/XYExHnhbYLgveDs2J/wm36Hy4vbOwM=</NextContinuationToken>");
    let _ = write!(xml, "<KeyCount>{KEYS}</KeyCount><MaxKeys>1000</MaxKeys>");
    xml.push_str("<IsTruncated>true</IsTruncated>");
    for key in &keys {
        let etag = format!("{:016x}{:016x}", rng.next(), rng.next());
        let etag = if rng.below(10) == 0 {
            format!("{etag}-{}", 2 + rng.below(50))
        } else {
            etag
        };
        let class = match rng.below(10) {
            0 => "STANDARD_IA",
            1 => "GLACIER_IR",
            2 => "INTELLIGENT_TIERING",
            _ => "STANDARD",
        };
        let _ = write!(
            xml,
            "<Contents><Key>{}</Key><LastModified>2024-{:02}-{:02}T{:02}:{:02}:{:02}.000Z</LastModified>\
             <ETag>&quot;{etag}&quot;</ETag><ChecksumAlgorithm>CRC64NVME</ChecksumAlgorithm>\
             <ChecksumType>FULL_OBJECT</ChecksumType><Size>{}</Size>\
             <Owner><ID>79a59df900b949e55d96a1e698fbacedfd6e09d98eacf8f8d5218e7cd47ef2be</ID>\
             <DisplayName>data-platform</DisplayName></Owner><StorageClass>{class}</StorageClass></Contents>",
            escape(key),
            1 + rng.below(12),
            1 + rng.below(28),
            rng.below(24),
            rng.below(60),
            rng.below(60),
            rng.below(1 << 30),
        );
    }
    xml.push_str("</ListBucketResult>");
    xml.into_bytes()
}

fn envelope(c: &mut Criterion) {
    let operation = s3op::find_operation("ListObjectsV2").expect("ListObjectsV2 is in the spec");
    let Output::Xml(shape) = operation.output else {
        panic!("ListObjectsV2's output is an XML shape");
    };
    let body = page();
    let converted = xml_to_json(&body, Some(shape));
    let contents = converted["Contents"].as_array().map(Vec::len);
    assert_eq!(contents, Some(KEYS), "the page converts to {KEYS} Contents");
    assert!(
        converted["Contents"][0]["Size"].is_u64(),
        "sizes are numbers"
    );

    let mut group = c.benchmark_group("envelope");
    group.throughput(Throughput::Bytes(body.len() as u64));
    group.bench_function(
        format!("ListObjectsV2 page, {KEYS} keys, {} KiB", body.len() / 1024),
        |b| b.iter(|| xml_to_json(black_box(&body), Some(shape))),
    );
    group.finish();
}

criterion_group!(benches, envelope);
criterion_main!(benches);
