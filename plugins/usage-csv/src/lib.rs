//! `usage-csv`: a usage-source plugin that reads a pipe-delimited file in `sacct --parsable2`
//! format with its header line (as the predecessor imported), through the host's `read_file`,
//! and reports the jobs of a window as records (`plugins/usage-sources.md` has the protocol).
//!
//! The header names the columns, so their order and extra columns do not matter; `JobID`,
//! `User`, `State` and `End` are required. Step lines fold into their jobs as with sacct.

mod settings;
mod source;

pub use settings::Settings;
pub use source::CsvSource;

/// The allocator this plugin's parsing runs on: a dump holds millions of small fields, and
/// mimalloc serves them markedly faster than the C library's allocator. What crosses to the
/// host is freed through `abi_stable`'s destructors, on this side. (Not in `usage-sacct`: a
/// test links it next to `usage-slurmrestd`, where its allocator would pull in a second copy
/// of the exported plugin header. Not in the server either: it held 20% more memory per idle
/// subscription there.)
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

hpcb_plugin_sdk::export_plugin!(source::CsvSource);
