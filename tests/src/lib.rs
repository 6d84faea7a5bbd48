//! Black-box tests live in integration/. This library holds the one rule every test crate of the
//! workspace shares for test peers (PostgreSQL, the npm clients, localstripe, PAM, the Slurm
//! cluster): a test whose peer is missing is *skipped*, visibly, and a skip is a failure in CI.
//!
//! libtest has no "skipped" outcome and hides the output of passing tests, so a skip is also
//! appended to the file named by `HPC_BILLING_TEST_SKIP_LOG`; `tests/run.sh` counts those lines and
//! prints them per peer in its summary, so a run without its peers never looks complete.

use std::io::Write as _;

/// Environment variable naming the file skips are appended to (one line per skipped test).
pub const SKIP_LOG_ENV: &str = "HPC_BILLING_TEST_SKIP_LOG";
/// Environment variable naming the file measured figures are appended to.
pub const FIGURES_ENV: &str = "HPC_BILLING_TEST_FIGURES";

/// Records a figure a test measured (an attack's effect, a bound reached), so the test run can
/// print it at its end whatever libtest captured: regressions show up as numbers. Also printed
/// to stderr for a run with `--nocapture`.
pub fn figure(text: &str) {
    let test = std::thread::current().name().unwrap_or("unnamed test").to_owned();
    eprintln!("figure: {test}: {text}");
    if let Some(path) = std::env::var_os(FIGURES_ENV).filter(|p| !p.is_empty()) {
        let line = format!("{}\t{}\n", one_line(&test), one_line(text));
        let _ = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(&path)
            .and_then(|mut f| f.write_all(line.as_bytes()));
    }
}

/// Whether the tests run in CI, where a missing test peer is a failure, not a skip.
pub fn in_ci() -> bool {
    std::env::var("CI").is_ok_and(|v| !v.is_empty() && v != "false" && v != "0")
}

/// Records that the running test cannot run because `peer` is missing, and why (`reason` says
/// how to get it). Panics in CI. The caller returns from the test right after.
pub fn skip(peer: &str, reason: &str) {
    if in_ci() {
        panic!("{peer} is required in CI: {reason}");
    }
    let test = std::thread::current().name().unwrap_or("unnamed test").to_owned();
    eprintln!("\n*** SKIPPED: {test}: {peer}: {reason} ***\n");
    if let Some(path) = std::env::var_os(SKIP_LOG_ENV).filter(|p| !p.is_empty()) {
        let line = format!("{}\t{}\t{}\n", one_line(peer), one_line(&test), one_line(reason));
        // One `write` call of a short line to a file opened for appending: lines of concurrent
        // test processes do not interleave.
        let written = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(&path)
            .and_then(|mut f| f.write_all(line.as_bytes()));
        if let Err(e) = written {
            panic!("cannot record the skip in {}: {e}", path.to_string_lossy());
        }
    }
}

fn one_line(s: &str) -> String {
    s.replace(['\t', '\n', '\r'], " ")
}
