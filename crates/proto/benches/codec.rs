//! Codec cost per frame: encode and decode of 4 B, 1 KiB and 64 KiB frames.
#![allow(clippy::unwrap_used, clippy::expect_used, missing_docs)]

use bytes::BytesMut;
use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion, Throughput};
use tether_proto::{Decoder, Encoder, FrameCodec, Framing};

/// Frames per iteration for small frames, so per-frame cost is not lost in
/// the loop overhead.
const BATCH: usize = 1000;

fn sizes() -> [(usize, &'static str); 3] {
    [(4, "4B"), (1024, "1KiB"), (64 * 1024, "64KiB")]
}

fn encode(c: &mut Criterion) {
    let mut group = c.benchmark_group("encode");
    for (size, name) in sizes() {
        let payload = vec![7u8; size];
        let n = if size > 4096 { 16 } else { BATCH };
        group.throughput(Throughput::Elements(n as u64));
        group.bench_with_input(BenchmarkId::new("length", name), &payload, |b, p| {
            let mut codec = FrameCodec::new(Framing::Length, 1 << 24);
            let mut buf = BytesMut::with_capacity(n * (size + 4));
            b.iter(|| {
                buf.clear();
                for _ in 0..n {
                    codec.encode(&p[..], &mut buf).unwrap();
                }
                std::hint::black_box(&buf);
            });
        });
    }
    group.finish();
}

fn decode(c: &mut Criterion) {
    let mut group = c.benchmark_group("decode");
    for (size, name) in sizes() {
        let n = if size > 4096 { 16 } else { BATCH };
        let mut codec = FrameCodec::new(Framing::Length, 1 << 24);
        let mut wire = BytesMut::new();
        for _ in 0..n {
            codec.encode(&vec![7u8; size][..], &mut wire).unwrap();
        }
        let wire = wire.freeze();
        group.throughput(Throughput::Elements(n as u64));
        group.bench_with_input(BenchmarkId::new("length", name), &wire, |b, w| {
            b.iter(|| {
                let mut buf = BytesMut::from(&w[..]);
                let mut count = 0;
                while let Some(frame) = codec.decode(&mut buf).unwrap() {
                    count += frame.len();
                }
                std::hint::black_box(count);
            });
        });
    }
    group.finish();
}

criterion_group!(benches, encode, decode);
criterion_main!(benches);
