//! Real sockets on loopback: a tree copied both ways, compared byte for
//! byte with modes and mtimes; resume; wrong codes; existing files.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::fs;

use common::*;
use tether_copy::driver::{Job, Options};
use tether_copy::{Code, Error};

#[test]
fn a_tree_pushed_by_the_connector_arrives_identical() {
    let src = tempfile::tempdir().unwrap();
    let dst = tempfile::tempdir().unwrap();
    make_tree(&src.path().join("tree"));
    let code = Code::generate().unwrap();
    let (l, c) = run_pair(
        &code,
        &code,
        vec![dst.path().to_path_buf()],
        Job::Send(vec![src.path().join("tree")]),
        Options::default(),
    );
    let (l, c) = (l.unwrap(), c.unwrap());
    assert!(c.sent && !l.sent);
    assert_eq!(c.files, 5);
    assert_eq!(l.hashes, c.hashes);
    assert_eq!(
        snapshot(&src.path().join("tree")),
        snapshot(&dst.path().join("tree"))
    );
}

#[test]
fn a_tree_fetched_from_the_listener_arrives_identical() {
    let src = tempfile::tempdir().unwrap();
    let dst = tempfile::tempdir().unwrap();
    make_tree(&src.path().join("tree"));
    let code = Code::generate().unwrap();
    let (l, c) = run_pair(
        &code,
        &code,
        vec![src.path().join("tree")],
        Job::Receive(dst.path().to_path_buf()),
        Options::default(),
    );
    assert!(l.unwrap().sent);
    assert!(!c.unwrap().sent);
    assert_eq!(
        snapshot(&src.path().join("tree")),
        snapshot(&dst.path().join("tree"))
    );
}

#[test]
fn a_wrong_code_fails_on_both_sides_and_writes_nothing() {
    let src = tempfile::tempdir().unwrap();
    let dst = tempfile::tempdir().unwrap();
    make_tree(&src.path().join("tree"));
    let (l, c) = run_pair(
        &Code::parse("7-orbit-lantern-velvet-quarry").unwrap(),
        &Code::parse("8-orbit-lantern-velvet-quarry").unwrap(),
        vec![dst.path().to_path_buf()],
        Job::Send(vec![src.path().join("tree")]),
        Options::default(),
    );
    assert!(matches!(l, Err(Error::WrongCode)), "{l:?}");
    assert!(matches!(c, Err(Error::WrongCode)), "{c:?}");
    assert!(all_names(dst.path()).is_empty());
}

#[test]
fn a_second_run_skips_identical_files_and_resumes_a_part() {
    let src = tempfile::tempdir().unwrap();
    let dst = tempfile::tempdir().unwrap();
    make_tree(&src.path().join("tree"));
    let code = Code::generate().unwrap();
    let job = || Job::Send(vec![src.path().join("tree")]);
    let dsts = || vec![dst.path().to_path_buf()];
    run_pair(&code, &code, dsts(), job(), Options::default())
        .1
        .unwrap();
    // Replace one file by a part holding its first half.
    let big = dst.path().join("tree/nested/deeper/big.bin");
    let data = fs::read(&big).unwrap();
    fs::remove_file(&big).unwrap();
    fs::write(
        dst.path().join("tree/nested/deeper/big.bin.tether-part"),
        &data[..1_000_000],
    )
    .unwrap();
    let (l, c) = run_pair(&code, &code, dsts(), job(), Options::default());
    let (l, c) = (l.unwrap(), c.unwrap());
    assert_eq!(c.resumed_bytes, 1_000_000);
    assert_eq!(c.bytes, 2_000_000);
    assert_eq!(c.skipped_files, 4);
    assert_eq!(l.bytes, 2_000_000);
    assert_eq!(
        snapshot(&src.path().join("tree")),
        snapshot(&dst.path().join("tree"))
    );
}

#[test]
fn a_part_that_differs_is_sent_again_whole() {
    let src = tempfile::tempdir().unwrap();
    let dst = tempfile::tempdir().unwrap();
    fs::write(src.path().join("f"), vec![1u8; 100_000]).unwrap();
    fs::write(dst.path().join("f.tether-part"), vec![2u8; 50_000]).unwrap();
    let code = Code::generate().unwrap();
    let (l, c) = run_pair(
        &code,
        &code,
        vec![dst.path().to_path_buf()],
        Job::Send(vec![src.path().join("f")]),
        Options::default(),
    );
    l.unwrap();
    assert_eq!(c.unwrap().bytes, 100_000);
    assert_eq!(fs::read(dst.path().join("f")).unwrap(), vec![1u8; 100_000]);
}

#[test]
fn an_existing_different_file_is_not_overwritten_without_the_flag() {
    let src = tempfile::tempdir().unwrap();
    let dst = tempfile::tempdir().unwrap();
    fs::write(src.path().join("f"), b"new").unwrap();
    fs::write(dst.path().join("f"), b"old").unwrap();
    let code = Code::generate().unwrap();
    let run = |overwrite| {
        let opts = Options {
            overwrite,
            ..Options::default()
        };
        run_pair(
            &code,
            &code,
            vec![dst.path().to_path_buf()],
            Job::Send(vec![src.path().join("f")]),
            opts,
        )
    };
    let (l, c) = run(false);
    assert!(matches!(l, Err(Error::Exists { .. })), "{l:?}");
    assert!(matches!(c, Err(Error::Peer { .. })), "{c:?}");
    assert_eq!(fs::read(dst.path().join("f")).unwrap(), b"old");
    let (l, c) = run(true);
    l.unwrap();
    c.unwrap();
    assert_eq!(fs::read(dst.path().join("f")).unwrap(), b"new");
}

#[test]
fn one_file_to_a_path_that_is_not_a_directory_takes_that_name() {
    let src = tempfile::tempdir().unwrap();
    let dst = tempfile::tempdir().unwrap();
    fs::write(src.path().join("f"), b"data").unwrap();
    let code = Code::generate().unwrap();
    let (l, c) = run_pair(
        &code,
        &code,
        vec![dst.path().join("renamed")],
        Job::Send(vec![src.path().join("f")]),
        Options::default(),
    );
    l.unwrap();
    c.unwrap();
    assert_eq!(fs::read(dst.path().join("renamed")).unwrap(), b"data");
}
