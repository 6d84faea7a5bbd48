//! What a plugin file must be before it is opened. Loading runs the library's initialisers in
//! the server, so whoever can change the file, or replace it in its directory, chooses code the
//! server runs: the file must be a regular file owned by root or by the user running the server,
//! writable by its owner only, in a directory that not everyone may change, and (on Linux) an
//! ELF object. Each refusal is one line saying what is wrong and how to fix it.
//!
//! A directory writable by everyone is accepted when it has the sticky bit (`/tmp`): there only
//! a file's owner, the directory's owner and root may rename or delete it, so a file that passes
//! the other checks cannot be replaced by anyone else.

use std::fs::{self, Metadata};
use std::path::{Path, PathBuf};

use crate::LoadError;

/// The checks, in this order: regular file, owner, mode, the directories that hold it (that of
/// the file, and that of `given` when `given` is a symbolic link to it), ELF magic. `given` is
/// the path as the caller named it, `file` its canonical form (symbolic links resolved).
pub(super) fn check_before_loading(given: &Path, file: &Path) -> Result<(), LoadError> {
    let metadata = fs::metadata(file).map_err(unreadable)?;
    if !metadata.is_file() {
        return Err(LoadError::NotRegularFile {
            kind: file_kind(&metadata),
        });
    }
    ownership::check_owner_and_mode(file, &metadata)?;
    for dir in holding_directories(given, file) {
        let metadata = fs::metadata(&dir).map_err(unreadable)?;
        ownership::check_directory(&dir, &metadata)?;
    }
    check_elf_magic(file)
}

/// The directory of `file`, and the directory of `given` when that is a symbolic link (whoever
/// may change that directory may point the link elsewhere).
fn holding_directories(given: &Path, file: &Path) -> Vec<PathBuf> {
    let mut dirs: Vec<PathBuf> = file.parent().map(Path::to_path_buf).into_iter().collect();
    let is_link = fs::symlink_metadata(given).is_ok_and(|m| m.file_type().is_symlink());
    if is_link {
        let parent = match given.parent() {
            Some(parent) if !parent.as_os_str().is_empty() => parent,
            _ => Path::new("."),
        };
        if let Ok(parent) = fs::canonicalize(parent) {
            if !dirs.contains(&parent) {
                dirs.push(parent);
            }
        }
    }
    dirs
}

/// A file that cannot be read, in a few words.
pub(super) fn unreadable(err: std::io::Error) -> LoadError {
    LoadError::Unreadable {
        reason: match err.kind() {
            std::io::ErrorKind::NotFound => "no such file".to_owned(),
            std::io::ErrorKind::PermissionDenied => "permission denied".to_owned(),
            _ => err.to_string(),
        },
    }
}

/// What a non-regular file is, in a word or two.
fn file_kind(metadata: &Metadata) -> &'static str {
    let kind = metadata.file_type();
    if kind.is_dir() {
        return "a directory";
    }
    #[cfg(unix)]
    {
        use std::os::unix::fs::FileTypeExt;
        if kind.is_fifo() {
            return "a FIFO";
        }
        if kind.is_socket() {
            return "a socket";
        }
        if kind.is_block_device() || kind.is_char_device() {
            return "a device";
        }
    }
    "a special file"
}

/// The ELF magic number every Linux shared library starts with.
#[cfg(target_os = "linux")]
const ELF_MAGIC: [u8; 4] = *b"\x7fELF";

/// Refuses a file that does not start with the ELF magic, before the dynamic loader sees it.
#[cfg(target_os = "linux")]
fn check_elf_magic(file: &Path) -> Result<(), LoadError> {
    use std::io::Read;
    let mut start = Vec::with_capacity(ELF_MAGIC.len());
    fs::File::open(file)
        .and_then(|f| f.take(4).read_to_end(&mut start))
        .map_err(unreadable)?;
    if start == ELF_MAGIC {
        return Ok(());
    }
    Err(LoadError::NotAPlugin {
        reason: "it is not an ELF shared library (it does not start with the ELF magic \\x7fELF); \
                 plugins are built with cargo as cdylib crates"
            .to_owned(),
    })
}

/// Other systems' libraries are not ELF; the dynamic loader judges them.
#[cfg(not(target_os = "linux"))]
fn check_elf_magic(_file: &Path) -> Result<(), LoadError> {
    Ok(())
}

#[cfg(unix)]
mod ownership {
    use std::fs::Metadata;
    use std::os::unix::fs::MetadataExt;
    use std::path::Path;

    use crate::LoadError;

    const GROUP_WRITE: u32 = 0o020;
    const OTHER_WRITE: u32 = 0o002;
    const STICKY: u32 = 0o1000;

    /// Owned by root or by the user running the server, and writable by its owner only. Group
    /// write is accepted when the group is the owner's personal group (same id as the owner, as
    /// distributions that build with umask 002 create them): nobody else is in it, and cargo
    /// writes 0775 files under that umask.
    pub(super) fn check_owner_and_mode(file: &Path, metadata: &Metadata) -> Result<(), LoadError> {
        let server = rustix::process::geteuid().as_raw();
        let owner = metadata.uid();
        if owner != 0 && owner != server {
            return Err(LoadError::ForeignOwner {
                path: file.to_path_buf(),
                owner,
                server,
            });
        }
        let mode = metadata.mode() & 0o7777;
        let personal_group = metadata.gid() == owner && owner != 0;
        let group_writes = mode & GROUP_WRITE != 0 && !personal_group;
        let writers = match (group_writes, mode & OTHER_WRITE != 0) {
            (false, false) => return Ok(()),
            (true, false) => "its group",
            (false, true) => "others",
            (true, true) => "its group and others",
        };
        Err(LoadError::WritableByOthers {
            path: file.to_path_buf(),
            writers,
            mode,
        })
    }

    /// Not writable by everyone, unless sticky.
    pub(super) fn check_directory(dir: &Path, metadata: &Metadata) -> Result<(), LoadError> {
        let mode = metadata.mode() & 0o7777;
        if mode & OTHER_WRITE != 0 && mode & STICKY == 0 {
            return Err(LoadError::WorldWritableDirectory {
                dir: dir.to_path_buf(),
                mode,
            });
        }
        Ok(())
    }
}

/// Without Unix owners and modes there is nothing more to check.
#[cfg(not(unix))]
mod ownership {
    use std::fs::Metadata;
    use std::path::Path;

    use crate::LoadError;

    pub(super) fn check_owner_and_mode(_file: &Path, _metadata: &Metadata) -> Result<(), LoadError> {
        Ok(())
    }

    pub(super) fn check_directory(_dir: &Path, _metadata: &Metadata) -> Result<(), LoadError> {
        Ok(())
    }
}
