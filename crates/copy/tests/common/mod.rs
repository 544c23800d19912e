//! Helpers shared by the copy tests: a tree to copy, running both sides.
#![allow(
    dead_code,
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::type_complexity,
    missing_docs
)]

use std::fs;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use tether::{Link, Listener};
use tether_copy::driver::{self, Hooks, Job, Options, Stats, Summary};
use tether_copy::{Code, Result};

/// Makes a tree with nested and empty directories, empty files, spaces and UTF-8.
pub fn make_tree(root: &Path) {
    fs::create_dir_all(root.join("nested/deeper/deepest")).unwrap();
    fs::create_dir_all(root.join("empty dir")).unwrap();
    fs::write(root.join("empty file"), b"").unwrap();
    fs::write(
        root.join("nested/ünïcødé 名前.txt"),
        "hello ✓\n".repeat(1000),
    )
    .unwrap();
    let big: Vec<u8> = (0..3_000_000u32).map(|i| (i * 7 + i / 251) as u8).collect();
    fs::write(root.join("nested/deeper/big.bin"), &big).unwrap();
    fs::write(root.join("nested/deeper/deepest/x"), b"x").unwrap();
    fs::set_permissions(
        root.join("nested/deeper/deepest/x"),
        fs::Permissions::from_mode(0o640),
    )
    .unwrap();
    fs::set_permissions(root.join("empty file"), fs::Permissions::from_mode(0o600)).unwrap();
    make_sparse(&root.join("nested/sparse big.img"), big_size());
}

/// The size of the sparse-backed file: 1 GiB with TETHER_COPY_BIG=1, else 64 MiB
/// (the 1 GiB copy is timed by crates/copy/bench/copy_bench.py).
pub fn big_size() -> u64 {
    if std::env::var_os("TETHER_COPY_BIG").is_some() {
        1 << 30
    } else {
        64 << 20
    }
}

/// A file of `size` bytes that is mostly a hole, with data every 8 MiB.
pub fn make_sparse(path: &Path, size: u64) {
    use std::io::{Seek, SeekFrom, Write};
    let mut f = fs::File::create(path).unwrap();
    f.set_len(size).unwrap();
    let mut at = 0;
    while at < size {
        f.seek(SeekFrom::Start(at)).unwrap();
        f.write_all(&at.to_be_bytes().repeat(512)).unwrap();
        at += 8 << 20;
    }
}

/// Both sides in one process over loopback TCP; the listener runs `listen_paths`.
pub fn run_pair(
    code_l: &Code,
    code_c: &Code,
    listen_paths: Vec<PathBuf>,
    job: Job,
    opts: Options,
) -> (Result<Summary>, Result<Summary>) {
    let listener = Listener::bind_with("tcp://127.0.0.1:0", &driver::link_options()).unwrap();
    let at = listener.local_addr().unwrap();
    let code_l = code_l.clone();
    let lopts = opts.clone();
    let l = std::thread::spawn(move || {
        let link = listener.accept().unwrap();
        run_listener(link, &code_l, listen_paths, &lopts)
    });
    let link = Link::connect_with(at, &driver::link_options()).unwrap();
    let c = run_connector(link, code_c, job, &opts);
    (l.join().unwrap(), c)
}

pub fn hooks(
    stats: Arc<Stats>,
) -> (
    impl FnMut(&[tether_copy::wire::Entry], u64) -> bool,
    impl FnMut(&str),
    Arc<Stats>,
) {
    (
        |_: &[tether_copy::wire::Entry], _| true,
        |_: &str| {},
        stats,
    )
}

pub fn run_listener(
    link: Link,
    code: &Code,
    paths: Vec<PathBuf>,
    opts: &Options,
) -> Result<Summary> {
    let (mut ask, mut note, stats) = hooks(Arc::default());
    driver::listener(
        link,
        code,
        paths,
        opts,
        Hooks {
            ask: &mut ask,
            note: &mut note,
            stats,
        },
    )
}

pub fn run_connector(link: Link, code: &Code, job: Job, opts: &Options) -> Result<Summary> {
    let (mut ask, mut note, stats) = hooks(Arc::default());
    driver::connector(
        link,
        code,
        job,
        opts,
        Hooks {
            ask: &mut ask,
            note: &mut note,
            stats,
        },
    )
}

/// Every file and directory under `root`: relative name, mode, mtime, contents.
pub fn snapshot(root: &Path) -> Vec<(String, u32, i64, i64, Option<[u8; 32]>)> {
    use std::os::unix::fs::MetadataExt;
    let mut out = Vec::new();
    let mut stack = vec![root.to_path_buf()];
    while let Some(dir) = stack.pop() {
        for e in fs::read_dir(&dir).unwrap() {
            let p = e.unwrap().path();
            let m = fs::symlink_metadata(&p).unwrap();
            let rel = p.strip_prefix(root).unwrap().to_string_lossy().into_owned();
            let data = m.is_file().then(|| {
                let mut h = blake3::Hasher::new();
                h.update_reader(fs::File::open(&p).unwrap()).unwrap();
                *h.finalize().as_bytes()
            });
            if m.is_dir() {
                stack.push(p.clone());
            }
            out.push((rel, m.mode() & 0o7777, m.mtime(), m.mtime_nsec(), data));
        }
    }
    out.sort();
    out
}

/// Files whose names end in `.tether-part`, and every name, under `root`.
pub fn all_names(root: &Path) -> Vec<String> {
    snapshot(root).into_iter().map(|s| s.0).collect()
}
