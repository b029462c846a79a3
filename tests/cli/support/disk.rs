//! Places that cannot be written: a 1 MiB tmpfs filled up while captest writes into it, and a
//! read-only bind mount. Mounting needs root (this suite's CI runs as root); without it the tests
//! fall back to a file-size limit (`RLIMIT_FSIZE`, SIGXFSZ ignored) and to a path under
//! `/proc/self`, which nobody can write — so each test can still fail.

use std::io::Write;
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::Command;

/// A directory on a small disk of its own (a 1 MiB tmpfs), unmounted on drop; or, where
/// mounting is not allowed, a plain temp dir whose writers get a file-size limit.
pub struct SmallDisk {
    dir: tempfile::TempDir,
    mounted: bool,
}

impl SmallDisk {
    /// Mounts a 1 MiB tmpfs on a new temp dir (a plain temp dir if mounting fails).
    pub fn new() -> SmallDisk {
        let dir = tempfile::tempdir().expect("temp dir");
        let mounted = Command::new("mount")
            .args(["-t", "tmpfs", "-o", "size=1m", "tmpfs"])
            .arg(dir.path())
            .output()
            .is_ok_and(|o| o.status.success());
        SmallDisk { dir, mounted }
    }

    /// The directory.
    pub fn path(&self) -> &Path {
        self.dir.path()
    }

    /// Whether it is a real small disk (else [`SmallDisk::limit`] stands in for it).
    pub fn is_mounted(&self) -> bool {
        self.mounted
    }

    /// Fills what is left of the disk with a file (nothing without a mount).
    pub fn fill(&self) {
        if !self.mounted {
            return;
        }
        let mut filler = std::fs::File::create(self.path().join("filler")).expect("a filler");
        let block = vec![0u8; 4096];
        while filler.write_all(&block).is_ok() {}
    }

    /// Without a mount, limits the files `command` writes to `bytes` (SIGXFSZ ignored, so a
    /// write past it fails with EFBIG as a full disk fails with ENOSPC).
    pub fn limit(&self, command: &mut Command, bytes: u64) {
        if self.mounted {
            return;
        }
        // SAFETY: between fork and exec only async-signal-safe calls (signal, setrlimit).
        unsafe {
            command.pre_exec(move || {
                libc::signal(libc::SIGXFSZ, libc::SIG_IGN);
                let limit = libc::rlimit {
                    rlim_cur: bytes,
                    rlim_max: bytes,
                };
                if libc::setrlimit(libc::RLIMIT_FSIZE, &limit) == 0 {
                    Ok(())
                } else {
                    Err(std::io::Error::last_os_error())
                }
            });
        }
    }
}

impl Drop for SmallDisk {
    fn drop(&mut self) {
        if self.mounted {
            let _ = Command::new("umount").arg(self.dir.path()).status();
        }
    }
}

/// A directory nothing can be written into: a read-only bind mount of a temp dir (unmounted on
/// drop), or without mount rights a directory under `/proc/self`.
pub struct ReadOnlyDir {
    _dir: Option<tempfile::TempDir>,
    path: PathBuf,
}

impl ReadOnlyDir {
    /// Makes one.
    pub fn new() -> ReadOnlyDir {
        let dir = tempfile::tempdir().expect("temp dir");
        let bound = Command::new("mount")
            .args(["--bind", "-o", "ro"])
            .arg(dir.path())
            .arg(dir.path())
            .output()
            .is_ok_and(|o| o.status.success());
        // Older mounts ignore `ro` on the first bind: remount it read-only.
        let read_only = bound
            && Command::new("mount")
                .args(["-o", "remount,bind,ro"])
                .arg(dir.path())
                .output()
                .is_ok_and(|o| o.status.success());
        match read_only {
            true => ReadOnlyDir {
                path: dir.path().to_owned(),
                _dir: Some(dir),
            },
            false => ReadOnlyDir {
                _dir: None,
                path: PathBuf::from("/proc/self/fdinfo"),
            },
        }
    }

    /// The directory.
    pub fn path(&self) -> &Path {
        &self.path
    }
}

impl Drop for ReadOnlyDir {
    fn drop(&mut self) {
        if self._dir.is_some() {
            let _ = Command::new("umount").arg(&self.path).status();
        }
    }
}
