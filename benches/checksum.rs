//! Checksum throughput over a 16 MiB part (`s3op::checksum::Hasher`), one per algorithm S3
//! stores: the figures that chose CRC64NVME as the default upload checksum (BENCHMARKS.md), and
//! the cost of combining two CRCs (`combine`, once per part or range).

use std::hint::black_box;

use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use s3op::checksum::{combine, Algorithm, Hasher};

fn throughput(c: &mut Criterion) {
    let data: Vec<u8> = (0..16 * 1024 * 1024u32)
        .map(|i| (i.wrapping_mul(2_654_435_761) >> 13) as u8)
        .collect();
    let mut group = c.benchmark_group("checksum-16MiB");
    group.throughput(Throughput::Bytes(data.len() as u64));
    group.sample_size(20);
    for algorithm in Algorithm::ALL {
        group.bench_function(algorithm.name(), |b| {
            b.iter(|| {
                let mut h = Hasher::new(algorithm);
                h.update(black_box(&data));
                h.finish()
            })
        });
    }
    group.finish();
    let a = "AAAAAAAAAAA=";
    c.bench_function("combine-crc64nvme", |b| {
        b.iter(|| combine(Algorithm::Crc64Nvme, black_box(a), black_box(a), 16 << 20))
    });
}

criterion_group!(benches, throughput);
criterion_main!(benches);
