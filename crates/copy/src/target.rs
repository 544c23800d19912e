//! Where received files go: every name is opened beneath the target
//! directory's handle, one component at a time, never following a symlink.

use std::collections::{HashMap, HashSet};
use std::fs::File;
use std::io::{self, Read};
use std::os::fd::{AsFd, OwnedFd};
use std::path::Path;

use rustix::fs::{self as rfs, AtFlags, Mode, OFlags, RenameFlags, Timespec, Timestamps};

use crate::error::{Error, Result};
use crate::incoming::HeldFile;
use crate::name::{sanitize, PART_SUFFIX};
use crate::wire::{Entry, Held, UNKNOWN_SIZE};

/// Open directory handles kept for reuse; cleared when it grows past this.
const DIR_CACHE: usize = 256;

/// The receiving directory.
#[derive(Debug)]
pub struct Target {
    root: OwnedFd,
    /// A one-file copy to a path that is not a directory: the file's local name.
    single: Option<String>,
    overwrite: bool,
    umask: u32,
    dirs: HashMap<String, OwnedFd>,
    /// Directories this copy made ("" for the root): empty when made, so
    /// nothing in them is held and no lookup is needed.
    fresh: HashSet<String>,
}

fn io_err<'a>(what: &'static str, name: &'a str) -> impl FnOnce(rustix::io::Errno) -> Error + 'a {
    move |e| Error::io(what, name, io::Error::from(e))
}

fn open_dir_at(parent: impl AsFd, name: &str) -> rustix::io::Result<OwnedFd> {
    let flags = OFlags::RDONLY | OFlags::DIRECTORY | OFlags::NOFOLLOW | OFlags::CLOEXEC;
    rfs::openat(parent, name, flags, Mode::empty())
}

/// The process's umask (read once, before threads start).
pub fn current_umask() -> u32 {
    let old = rustix::process::umask(Mode::from_raw_mode(0o022));
    rustix::process::umask(old);
    old.as_raw_mode()
}

impl Target {
    /// Opens `path` for a manifest: a directory to put the entries in (made
    /// if missing), or, for a manifest of one file when `path` is not a
    /// directory, the name that file gets.
    pub fn open(path: &Path, one_file: bool, overwrite: bool) -> Result<Target> {
        let shown = path.display().to_string();
        let is_dir = path.is_dir();
        let mut fresh = HashSet::new();
        let (dir, single) = if is_dir || !one_file {
            if !is_dir {
                std::fs::create_dir_all(path).map_err(|e| Error::io("cannot create", &shown, e))?;
                fresh.insert(String::new());
            }
            (path.to_path_buf(), None)
        } else {
            let base = path.file_name().and_then(|b| b.to_str()).ok_or_else(|| {
                Error::Local(format!(
                    "{} does not end in a UTF-8 file name",
                    sanitize(&shown)
                ))
            })?;
            let parent = path
                .parent()
                .filter(|p| !p.as_os_str().is_empty())
                .unwrap_or(Path::new("."));
            (parent.to_path_buf(), Some(base.to_owned()))
        };
        let flags = OFlags::RDONLY | OFlags::DIRECTORY | OFlags::CLOEXEC;
        let root = rfs::open(&dir, flags, Mode::empty()).map_err(io_err("cannot open", &shown))?;
        Ok(Target {
            root,
            single,
            overwrite,
            umask: current_umask(),
            dirs: HashMap::new(),
            fresh,
        })
    }

    /// The local name of a manifest name.
    fn local<'a>(&'a self, name: &'a str) -> &'a str {
        self.single.as_deref().unwrap_or(name)
    }

    /// The handle of directory `rel` ("" is the root), walking from the root.
    fn dir(&mut self, rel: &str) -> Result<&OwnedFd> {
        if rel.is_empty() {
            return Ok(&self.root);
        }
        if !self.dirs.contains_key(rel) {
            if self.dirs.len() >= DIR_CACHE {
                self.dirs.clear();
            }
            let mut fd = open_dir_at(&self.root, rel.split('/').next().unwrap_or(rel));
            for part in rel.split('/').skip(1) {
                fd = fd.and_then(|d| open_dir_at(&d, part));
            }
            let fd = fd.map_err(|e| refuse_or_io(e, rel))?;
            self.dirs.insert(rel.to_owned(), fd);
        }
        match self.dirs.get(rel) {
            Some(fd) => Ok(fd),
            None => Err(Error::Local("directory cache lost an entry".into())),
        }
    }

    fn parent_and_base<'a>(&'a mut self, name: &'a str) -> Result<(&'a OwnedFd, &'a str)> {
        let (parent, base) = name.rsplit_once('/').unwrap_or(("", name));
        Ok((self.dir(parent)?, base))
    }

    /// Makes directory `name` (kept if it is there already).
    pub fn make_dir(&mut self, name: &str) -> Result<()> {
        let (parent, base) = self.parent_and_base(name)?;
        match rfs::mkdirat(parent, base, Mode::from_raw_mode(0o700)) {
            Ok(()) => {
                self.fresh.insert(name.to_owned());
                Ok(())
            }
            Err(rustix::io::Errno::EXIST) => open_dir_at(parent, base)
                .map(drop)
                .map_err(|e| refuse_or_io(e, name)),
            Err(e) => Err(io_err("cannot create", name)(e)),
        }
    }

    /// What the disk holds of file `index` (`entry`): the whole file (if its
    /// size matches), or a part file, hashed; an existing file that differs
    /// in size is refused unless `--overwrite`.
    pub fn held(&mut self, index: u32, entry: &Entry) -> Result<Option<HeldFile>> {
        let local = self.local(&entry.name).to_owned();
        let overwrite = self.overwrite;
        let dir = local.rsplit_once('/').map_or("", |(d, _)| d);
        if self.single.is_none() && self.fresh.contains(dir) {
            // Two failed lookups per file saved in a tree that is new.
            return Ok(None);
        }
        let (parent, base) = self.parent_and_base(&local)?;
        let flags = OFlags::RDONLY | OFlags::NOFOLLOW | OFlags::CLOEXEC;
        match rfs::openat(parent, base, flags, Mode::empty()) {
            Ok(fd) => {
                let st = rfs::fstat(&fd).map_err(io_err("cannot stat", &local))?;
                let regular =
                    rfs::FileType::from_raw_mode(st.st_mode) == rfs::FileType::RegularFile;
                if !regular {
                    return Err(Error::Exists {
                        name: sanitize(&local),
                    });
                }
                if entry.size == UNKNOWN_SIZE || st.st_size as u64 != entry.size {
                    return if overwrite {
                        Ok(None)
                    } else {
                        Err(Error::Exists {
                            name: sanitize(&local),
                        })
                    };
                }
                let (len, hasher) = hash_all(File::from(fd), &local)?;
                return Ok(Some(HeldFile {
                    index,
                    held: Held::Whole,
                    len,
                    hasher,
                }));
            }
            Err(rustix::io::Errno::NOENT) => {}
            Err(rustix::io::Errno::LOOP) => {
                return Err(Error::Exists {
                    name: sanitize(&local),
                })
            }
            Err(e) => return Err(io_err("cannot open", &local)(e)),
        }
        let part = format!("{base}{PART_SUFFIX}");
        match rfs::openat(parent, part.as_str(), flags, Mode::empty()) {
            Ok(fd) => {
                let (len, hasher) = hash_all(File::from(fd), &local)?;
                Ok(Some(HeldFile {
                    index,
                    held: Held::Part,
                    len,
                    hasher,
                }))
            }
            Err(rustix::io::Errno::NOENT) => Ok(None),
            Err(e) => Err(io_err("cannot open", &part)(e)),
        }
    }

    /// Opens the part file of `name`, keeping its first `offset` bytes, for appending.
    pub fn open_part(&mut self, name: &str, offset: u64) -> Result<File> {
        let local = self.local(name).to_owned();
        let (parent, base) = self.parent_and_base(&local)?;
        let part = format!("{base}{PART_SUFFIX}");
        let mut flags = OFlags::WRONLY | OFlags::CREATE | OFlags::NOFOLLOW | OFlags::CLOEXEC;
        if offset == 0 {
            // The common case in one syscall (small files pay per call).
            flags |= OFlags::TRUNC;
        }
        let fd = rfs::openat(parent, part.as_str(), flags, Mode::from_raw_mode(0o600))
            .map_err(io_err("cannot create", &local))?;
        if offset > 0 {
            rfs::ftruncate(&fd, offset).map_err(io_err("cannot truncate", &local))?;
            rfs::seek(&fd, rfs::SeekFrom::Start(offset)).map_err(io_err("cannot seek", &local))?;
        }
        Ok(File::from(fd))
    }

    /// Gives a checked part file its mode, mtime and final name.
    pub fn finish_file(&mut self, entry: &Entry, file: File, replaces: bool) -> Result<()> {
        let local = self.local(&entry.name).to_owned();
        let mode = Mode::from_raw_mode(entry.mode & 0o777 & !self.umask);
        rfs::fchmod(&file, mode).map_err(io_err("cannot chmod", &local))?;
        rfs::futimens(&file, &times(entry)).map_err(io_err("cannot set the time of", &local))?;
        drop(file);
        let flags = if replaces || self.overwrite {
            RenameFlags::empty()
        } else {
            RenameFlags::NOREPLACE
        };
        let (parent, base) = self.parent_and_base(&local)?;
        let part = format!("{base}{PART_SUFFIX}");
        match rfs::renameat_with(parent, part.as_str(), parent, base, flags) {
            Ok(()) => Ok(()),
            Err(rustix::io::Errno::EXIST) => Err(Error::Exists {
                name: sanitize(&local),
            }),
            Err(e) => Err(io_err("cannot rename", &local)(e)),
        }
    }

    /// Removes the part file of `name` (after a failed BLAKE3 check).
    pub fn remove_part(&mut self, name: &str) {
        let local = self.local(name).to_owned();
        if let Ok((parent, base)) = self.parent_and_base(&local) {
            let _ = rfs::unlinkat(
                parent,
                format!("{base}{PART_SUFFIX}").as_str(),
                AtFlags::empty(),
            );
        }
    }

    /// Sets directory `entry`'s mode and mtime (after everything in it is written).
    pub fn finish_dir(&mut self, entry: &Entry) -> Result<()> {
        let mode = Mode::from_raw_mode(entry.mode & 0o777 & !self.umask);
        let (parent, base) = self.parent_and_base(&entry.name)?;
        let fd = open_dir_at(parent, base).map_err(|e| refuse_or_io(e, &entry.name))?;
        rfs::fchmod(&fd, mode).map_err(io_err("cannot chmod", &entry.name))?;
        rfs::futimens(&fd, &times(entry)).map_err(io_err("cannot set the time of", &entry.name))
    }
}

fn times(entry: &Entry) -> Timestamps {
    Timestamps {
        last_access: Timespec {
            tv_sec: 0,
            tv_nsec: rfs::UTIME_OMIT,
        },
        last_modification: Timespec {
            tv_sec: entry.mtime_s,
            tv_nsec: entry.mtime_ns.into(),
        },
    }
}

/// ELOOP or ENOTDIR while walking means a symlink or file is in the way.
fn refuse_or_io(e: rustix::io::Errno, name: &str) -> Error {
    match e {
        rustix::io::Errno::LOOP | rustix::io::Errno::NOTDIR => Error::RefusedName {
            name: sanitize(name),
            why: "a symlink or file in the target is in the way",
        },
        e => Error::io("cannot open", name, io::Error::from(e)),
    }
}

/// Reads a whole file through BLAKE3.
pub fn hash_all(mut file: File, name: &str) -> Result<(u64, blake3::Hasher)> {
    let mut hasher = blake3::Hasher::new();
    let mut buf = vec![0u8; 1 << 20];
    let mut len = 0u64;
    loop {
        let n = file
            .read(&mut buf)
            .map_err(|e| Error::io("cannot read", name, e))?;
        if n == 0 {
            return Ok((len, hasher));
        }
        hasher.update(&buf[..n]);
        len += n as u64;
    }
}
