//! Opening one plugin file: the file checks (`trust`), dlopen through abi_stable, layout checks,
//! then the info checks.
//!
//! Each file gets its own `lib_header_from_path` + `init_root_module` (never
//! `RootModule::load_from_*`, which caches one module per type and would hand back the first
//! plugin for every path). Libraries are never unloaded: abi_stable leaks them on purpose, since
//! code and statics of a plugin may be referenced until the process ends.

mod trust;

use std::path::{Path, PathBuf};

use abi_stable::library::{lib_header_from_path, LibraryError};
use hpcb_plugin_api::PluginMod_Ref;

use crate::load_error::one_line;
use crate::{LoadError, PluginInfo};

/// A plugin library that passed every per-file check.
pub(crate) struct OpenedPlugin {
    /// The canonical path it was loaded from.
    pub(crate) path: PathBuf,
    /// Its root module (valid for the rest of the process).
    pub(crate) module: PluginMod_Ref,
    /// Its validated info.
    pub(crate) info: PluginInfo,
}

/// Checks `path` and its directory (see `trust`), then loads it (running the library's
/// initialisers, like any dlopen) and checks what it declares.
pub(crate) fn open(given: &Path) -> Result<OpenedPlugin, LoadError> {
    // An absolute path, so the dynamic loader never searches its own directories instead.
    let path = std::fs::canonicalize(given).map_err(trust::unreadable)?;
    trust::check_before_loading(given, &path)?;
    let header = lib_header_from_path(&path).map_err(from_library_error)?;
    let module = header.init_root_module::<PluginMod_Ref>().map_err(from_library_error)?;
    let info_json = (module.info())();
    let info = PluginInfo::from_json(info_json.as_str())?;
    Ok(OpenedPlugin { path, module, info })
}

/// Translates abi_stable's (multi-line) library errors into one-line refusals.
fn from_library_error(err: LibraryError) -> LoadError {
    match err {
        LibraryError::OpenError { err, .. } => LoadError::NotAPlugin {
            reason: format!("cannot load it as a shared library ({})", one_line(&err.to_string())),
        },
        LibraryError::GetSymbolError { .. } => LoadError::NotAPlugin {
            reason: "it exports no plugin root module (plugins are built with \
                     hpcb_plugin_sdk::export_plugin!)"
                .to_owned(),
        },
        LibraryError::InvalidAbiHeader(_) => LoadError::AbiMismatch {
            summary: "built with an abi_stable version other than 0.11".to_owned(),
            details: String::new(),
        },
        LibraryError::InvalidCAbi { .. } => LoadError::AbiMismatch {
            summary: "built by a compiler with a different C ABI".to_owned(),
            details: String::new(),
        },
        LibraryError::AbiInstability(report) => LoadError::AbiMismatch {
            summary: "its plugin API types differ from hpcb-plugin-api 1.x; was it built \
                      against a modified copy?"
                .to_owned(),
            details: report.to_string(),
        },
        LibraryError::IncompatibleVersionNumber { actual_version, .. } => LoadError::AbiMismatch {
            summary: format!("root module version {actual_version} is not 1.x"),
            details: String::new(),
        },
        LibraryError::ParseVersionError(err) => LoadError::NotAPlugin {
            reason: format!("unreadable root module version ({})", one_line(&err.to_string())),
        },
        LibraryError::RootModule { err, .. } => LoadError::NotAPlugin {
            reason: format!("its root module failed to initialise ({})", one_line(&err.to_string())),
        },
        LibraryError::Many(errors) => match errors.into_iter().next() {
            Some(first) => from_library_error(first),
            None => LoadError::NotAPlugin {
                reason: "abi_stable reported an empty list of errors".to_owned(),
            },
        },
    }
}
