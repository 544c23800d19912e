//! What a sender sends: the entries found under the paths it was given.

use std::collections::HashSet;
use std::fs::{self, Metadata};
use std::os::unix::fs::{MetadataExt, PermissionsExt};
use std::path::{Path, PathBuf};
use std::time::SystemTime;

use crate::error::{Error, Result};
use crate::name::{check, sanitize};
use crate::wire::{Entry, EntryKind, MAX_ENTRIES, UNKNOWN_SIZE};

/// Where an entry's bytes come from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Origin {
    /// A directory: no bytes.
    Dir,
    /// A regular file at this path.
    File(PathBuf),
    /// Standard input.
    Stdin,
}

/// The manifest a sender will offer, with where each entry comes from.
#[derive(Debug, Default)]
pub struct Source {
    /// The entries, parents before children.
    pub entries: Vec<Entry>,
    /// Where each entry's bytes come from (same order).
    pub origins: Vec<Origin>,
    /// What was skipped and why (symlinks, devices), for the user.
    pub skipped: Vec<String>,
}

impl Source {
    /// Walks `paths` (`-` is standard input, alone); symlinks are skipped
    /// unless `follow`.
    pub fn collect(paths: &[PathBuf], follow: bool) -> Result<Source> {
        let mut s = Source::default();
        if paths.len() == 1 && paths[0].as_os_str() == "-" {
            let now = SystemTime::now()
                .duration_since(SystemTime::UNIX_EPOCH)
                .unwrap_or_default();
            s.entries.push(Entry {
                kind: EntryKind::File,
                name: "stdin".into(),
                mode: 0o644,
                mtime_s: now.as_secs() as i64,
                mtime_ns: now.subsec_nanos(),
                size: UNKNOWN_SIZE,
            });
            s.origins.push(Origin::Stdin);
            return Ok(s);
        }
        let mut tops = HashSet::new();
        let mut seen_dirs = HashSet::new();
        for p in paths {
            if p.as_os_str() == "-" {
                return Err(Error::Local(
                    "`-` (standard input) must be the only source".into(),
                ));
            }
            let name = top_name(p)?;
            if !tops.insert(name.clone()) {
                return Err(Error::Local(format!(
                    "two sources are both named {}",
                    sanitize(&name)
                )));
            }
            s.walk(p, name, follow, &mut seen_dirs)?;
        }
        Ok(s)
    }

    fn walk(
        &mut self,
        path: &Path,
        name: String,
        follow: bool,
        seen: &mut HashSet<(u64, u64)>,
    ) -> Result<()> {
        let shown = path.display().to_string();
        let mut meta =
            fs::symlink_metadata(path).map_err(|e| Error::io("cannot read", &shown, e))?;
        if meta.file_type().is_symlink() {
            if !follow {
                self.skipped.push(format!(
                    "skipped symlink {} (use --follow to copy what it points to)",
                    sanitize(&shown)
                ));
                return Ok(());
            }
            meta = fs::metadata(path).map_err(|e| Error::io("cannot follow", &shown, e))?;
        }
        check(&name)
            .map_err(|why| Error::Local(format!("cannot send {}: {why}", sanitize(&name))))?;
        if self.entries.len() as u64 >= MAX_ENTRIES {
            return Err(Error::Local(format!("more than {MAX_ENTRIES} entries")));
        }
        if meta.is_file() {
            self.push(
                EntryKind::File,
                name,
                &meta,
                Origin::File(path.to_path_buf()),
            );
        } else if meta.is_dir() {
            if !seen.insert((meta.dev(), meta.ino())) {
                self.skipped
                    .push(format!("skipped {} (a directory loop)", sanitize(&shown)));
                return Ok(());
            }
            self.push(EntryKind::Dir, name.clone(), &meta, Origin::Dir);
            let mut children: Vec<_> = fs::read_dir(path)
                .map_err(|e| Error::io("cannot list", &shown, e))?
                .collect::<std::io::Result<_>>()
                .map_err(|e| Error::io("cannot list", &shown, e))?;
            children.sort_by_key(|c| c.file_name());
            for c in children {
                let Some(child) = c.file_name().to_str().map(str::to_owned) else {
                    let lossy = c.path().display().to_string();
                    return Err(Error::Local(format!(
                        "{} is not a UTF-8 name",
                        sanitize(&lossy)
                    )));
                };
                self.walk(&c.path(), format!("{name}/{child}"), follow, seen)?;
            }
        } else {
            self.skipped.push(format!(
                "skipped {} (not a regular file or directory)",
                sanitize(&shown)
            ));
        }
        Ok(())
    }

    fn push(&mut self, kind: EntryKind, name: String, meta: &Metadata, origin: Origin) {
        let size = if kind == EntryKind::File {
            meta.len()
        } else {
            0
        };
        self.entries.push(Entry {
            kind,
            name,
            mode: meta.permissions().mode() & 0o7777,
            mtime_s: meta.mtime(),
            mtime_ns: meta.mtime_nsec().clamp(0, 999_999_999) as u32,
            size,
        });
        self.origins.push(origin);
    }
}

/// The name a source path gets on the other side: its last component.
fn top_name(p: &Path) -> Result<String> {
    let resolved;
    let p = if p.file_name().is_none() {
        // `.`, `..`, `dir/..`: name it after what it resolves to.
        resolved = fs::canonicalize(p)
            .map_err(|e| Error::io("cannot resolve", &p.display().to_string(), e))?;
        resolved.as_path()
    } else {
        p
    };
    p.file_name()
        .and_then(|n| n.to_str())
        .map(str::to_owned)
        .ok_or_else(|| {
            Error::Local(format!(
                "{} has no UTF-8 name to send it by",
                sanitize(&p.display().to_string())
            ))
        })
}
