//! Every text of the dashboard exists in English and Thai: each catalog of `ui/i18n/` holds
//! the same keys in both languages, no text is empty or left in English in the Thai half (a
//! few words are the same in both on purpose, listed here), and every `t('…')` key the pages
//! use is in a catalog.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

fn ui() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../ui")
}

/// Texts that are rightly the same in English and Thai (names, codes, symbols).
const SAME_IN_BOTH: &[&str] = &["English", "ไทย", "hpc-billing", "CSV", "ID", "GPU", "CPU", "API"];

fn catalogs() -> BTreeMap<String, BTreeMap<String, BTreeMap<String, String>>> {
    let mut all = BTreeMap::new();
    for entry in std::fs::read_dir(ui().join("i18n")).expect("ui/i18n") {
        let path = entry.expect("entry").path();
        if path.extension().and_then(|e| e.to_str()) != Some("json") {
            continue;
        }
        let text = std::fs::read_to_string(&path).expect("read catalog");
        let parsed: BTreeMap<String, BTreeMap<String, String>> =
            serde_json::from_str(&text).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        all.insert(
            path.file_name().expect("file name").to_string_lossy().into_owned(),
            parsed,
        );
    }
    assert!(
        all.len() >= 3,
        "expected the common, user and admin catalogs, found {:?}",
        all.keys()
    );
    all
}

#[test]
fn every_key_has_english_and_thai() {
    let mut problems = Vec::new();
    for (file, langs) in catalogs() {
        let en = langs.get("en").cloned().unwrap_or_default();
        let th = langs.get("th").cloned().unwrap_or_default();
        let en_keys: BTreeSet<_> = en.keys().collect();
        let th_keys: BTreeSet<_> = th.keys().collect();
        for k in en_keys.difference(&th_keys) {
            problems.push(format!("{file}: {k} has no Thai text"));
        }
        for k in th_keys.difference(&en_keys) {
            problems.push(format!("{file}: {k} has no English text"));
        }
        for (k, v) in en.iter().chain(th.iter()) {
            if v.trim().is_empty() {
                problems.push(format!("{file}: {k} is empty"));
            }
        }
        for (k, v) in &th {
            let english = en.get(k).is_some_and(|e| e == v);
            let has_letters = v.chars().any(|c| c.is_ascii_alphabetic());
            if english && has_letters && !SAME_IN_BOTH.contains(&v.as_str()) {
                problems.push(format!("{file}: {k} is not translated (Thai text = English {v:?})"));
            }
        }
    }
    assert!(problems.is_empty(), "catalog problems:\n{}", problems.join("\n"));
}

fn scripts(dir: &Path, out: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).expect("read ui dir").flatten() {
        let path = entry.path();
        if path.is_dir() {
            if path.file_name().is_some_and(|n| n == "vendor") {
                continue;
            }
            scripts(&path, out);
        } else if path.extension().is_some_and(|e| e == "js") {
            out.push(path);
        }
    }
}

/// The literal keys of `t('…')` / `t("…")` calls in a script.
fn used_keys(source: &str) -> Vec<String> {
    let mut keys = Vec::new();
    let bytes = source.as_bytes();
    let mut i = 0;
    while let Some(at) = source[i..].find("t(") {
        let start = i + at;
        i = start + 2;
        // `t(` must be the whole name: not `select(` or `.t(` of something else.
        let before = start.checked_sub(1).map(|b| bytes[b]);
        if before.is_some_and(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'.' || b == b'$') {
            continue;
        }
        let Some(&quote) = bytes.get(i) else { break };
        if quote != b'\'' && quote != b'"' {
            continue;
        }
        if let Some(end) = source[i + 1..].find(quote as char) {
            let key = &source[i + 1..i + 1 + end];
            // `t('common.status.' + value)`: a prefix, checked by the page's own tests.
            let concatenated = source[i + 2 + end..].trim_start().starts_with('+');
            if key.contains('.') && !key.contains(' ') && !concatenated {
                keys.push(key.to_owned());
            }
        }
    }
    keys
}

#[test]
fn every_key_the_pages_use_is_in_a_catalog() {
    let known: BTreeSet<String> = catalogs()
        .into_values()
        .flat_map(|langs| langs.get("en").cloned().unwrap_or_default().into_keys())
        .collect();
    let mut files = Vec::new();
    scripts(&ui(), &mut files);
    let mut used = 0;
    let mut missing = Vec::new();
    for file in files {
        let source = std::fs::read_to_string(&file).expect("read script");
        for key in used_keys(&source) {
            used += 1;
            if !known.contains(&key) {
                missing.push(format!("{}: {key}", file.strip_prefix(ui()).unwrap_or(&file).display()));
            }
        }
    }
    assert!(used > 50, "found only {used} t('…') calls: the scan is broken");
    assert!(
        missing.is_empty(),
        "keys used but in no catalog:\n{}",
        missing.join("\n")
    );
}

#[test]
fn the_key_scan_finds_literal_keys_only() {
    let src = "t('a.b'); select('x.y'); x.t('c.d'); t(\"e.f\", {n}); t(key); t('s.' + v); const t2 = t('g.h')";
    assert_eq!(used_keys(src), vec!["a.b", "e.f", "g.h"]);
}
