//! Why a plugin file was refused, one readable line per reason (what
//! `hpc-billing plugins check FILE` prints).

use std::path::PathBuf;

use thiserror::Error;

use crate::{ApiVersion, PluginKind};

/// A plugin file the host refuses to load. `Display` is a single line meant for operators and
/// plugin authors; [`LoadError::details`] has abi_stable's long report where there is one.
#[derive(Debug, Error)]
pub enum LoadError {
    /// The file cannot be read at all (missing, no permission).
    #[error("cannot read the file: {reason}")]
    Unreadable {
        /// Why, in a few words.
        reason: String,
    },

    /// Not a regular file (a directory, device, FIFO or socket), checked before loading.
    #[error("it is {kind}, not a regular file: give the path of the plugin's .so file")]
    NotRegularFile {
        /// What it is instead (`a directory`, `a FIFO`, ...).
        kind: &'static str,
    },

    /// Owned by a user who is neither root nor the one running the server: that user could
    /// change the code the server would run. Checked before loading.
    #[error(
        "owned by uid {owner}, who is neither root nor the user running the server (uid {server}) \
         and could change the code it would run; chown root {}",
        .path.display()
    )]
    ForeignOwner {
        /// The file.
        path: PathBuf,
        /// Its owner's uid.
        owner: u32,
        /// The effective uid of this process.
        server: u32,
    },

    /// Writable by its group or by others, who could change the code the server would run.
    /// Checked before loading.
    #[error(
        "writable by {writers} (mode {mode:04o}), who could change the code the server would run; \
         chmod go-w {}",
        .path.display()
    )]
    WritableByOthers {
        /// The file.
        path: PathBuf,
        /// `its group`, `others` or `its group and others`.
        writers: &'static str,
        /// Its permission bits.
        mode: u32,
    },

    /// The directory holding the file (or a symbolic link to it) is writable by everyone
    /// without the sticky bit: anyone could replace the plugin. Checked before loading.
    #[error(
        "its directory {} is writable by everyone (mode {mode:04o}, no sticky bit), so anyone could \
         replace the plugin; chmod o-w {}",
        .dir.display(),
        .dir.display()
    )]
    WorldWritableDirectory {
        /// The directory.
        dir: PathBuf,
        /// Its permission bits.
        mode: u32,
    },

    /// The file is not a shared library exporting a plugin root module.
    #[error("not an hpc-billing plugin: {reason}")]
    NotAPlugin {
        /// What was missing or unreadable.
        reason: String,
    },

    /// The plugin's view of the ABI types differs from the host's (a modified or foreign
    /// interface crate, or an incompatible abi_stable).
    #[error("plugin ABI does not match this host's ({summary})")]
    AbiMismatch {
        /// One line on what differs.
        summary: String,
        /// abi_stable's full, multi-line report.
        details: String,
    },

    /// The info JSON is not JSON, misses a field, or `info()` failed.
    #[error("plugin info is not valid: {reason}")]
    InvalidInfo {
        /// What is wrong with it.
        reason: String,
    },

    /// Built against another major version of the plugin API.
    #[error("built for plugin API {found}.x; this host supports {}.x", ApiVersion::HOST.major)]
    UnsupportedApiMajor {
        /// The major the plugin declares.
        found: u32,
    },

    /// Built against a newer minor version than this host implements: it may call capabilities
    /// or rely on fields this host does not have, so it is refused rather than failing later.
    #[error("built for plugin API {found}; this host supports up to {}", ApiVersion::HOST)]
    NewerApiMinor {
        /// The version the plugin declares.
        found: ApiVersion,
    },

    /// Built with `panic = "abort"`: a panic in it would end the server instead of failing one
    /// call.
    #[error(
        "built with panic = \"abort\"; rebuild it with panic = \"unwind\" (the default) so its \
         panics can be caught"
    )]
    PanicAbort,

    /// Declares a kind this host does not know.
    #[error("unknown plugin kind {kind:?} (this host knows payment-gateway, usage-source, test)")]
    UnknownKind {
        /// The declared kind.
        kind: String,
    },

    /// A known kind, but not one the caller accepts here.
    #[error("is a {found} plugin; expected {}", kinds_list(.expected))]
    WrongKind {
        /// The plugin's kind.
        found: PluginKind,
        /// The kinds the caller accepts.
        expected: Vec<PluginKind>,
    },

    /// Another loaded plugin already has this id.
    #[error("duplicate plugin id {id:?} (already loaded from {})", .first.display())]
    DuplicateId {
        /// The id both plugins declare.
        id: String,
        /// Where the first one was loaded from.
        first: PathBuf,
    },
}

impl LoadError {
    /// Longer diagnostics for logs, when there are any (abi_stable's layout report).
    pub fn details(&self) -> Option<&str> {
        match self {
            LoadError::AbiMismatch { details, .. } => Some(details),
            _ => None,
        }
    }
}

/// `a`, `a or b`, `a, b or c`.
fn kinds_list(kinds: &[PluginKind]) -> String {
    let names: Vec<&str> = kinds.iter().map(|kind| kind.as_str()).collect();
    match names.split_last() {
        None => "no kind at all".to_owned(),
        Some((last, [])) => (*last).to_owned(),
        Some((last, rest)) => format!("{} or {last}", rest.join(", ")),
    }
}

/// Folds text that may span lines (library errors) into one line.
pub(crate) fn one_line(text: &str) -> String {
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn refusals_before_loading_say_how_to_fix_them_in_one_line() {
        let path = PathBuf::from("/srv/plugins/libpay.so");
        let cases = [
            (
                LoadError::WritableByOthers {
                    path: path.clone(),
                    writers: "its group and others",
                    mode: 0o666,
                },
                "writable by its group and others (mode 0666), who could change the code the server \
                 would run; chmod go-w /srv/plugins/libpay.so",
            ),
            (
                LoadError::ForeignOwner {
                    path,
                    owner: 1001,
                    server: 0,
                },
                "owned by uid 1001, who is neither root nor the user running the server (uid 0) and \
                 could change the code it would run; chown root /srv/plugins/libpay.so",
            ),
            (
                LoadError::WorldWritableDirectory {
                    dir: PathBuf::from("/srv/plugins"),
                    mode: 0o777,
                },
                "its directory /srv/plugins is writable by everyone (mode 0777, no sticky bit), so \
                 anyone could replace the plugin; chmod o-w /srv/plugins",
            ),
            (
                LoadError::NotRegularFile { kind: "a FIFO" },
                "it is a FIFO, not a regular file: give the path of the plugin's .so file",
            ),
        ];
        for (error, line) in cases {
            assert_eq!(error.to_string(), line);
        }
    }

    #[test]
    fn wrong_kind_lists_what_was_expected() {
        let err = LoadError::WrongKind {
            found: PluginKind::Test,
            expected: vec![PluginKind::PaymentGateway, PluginKind::UsageSource],
        };
        assert_eq!(
            err.to_string(),
            "is a test plugin; expected payment-gateway or usage-source"
        );
    }
}
