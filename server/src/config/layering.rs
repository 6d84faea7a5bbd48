//! How the layers merge: defaults, the file (its relative data directory anchored to it), then
//! environment variables by their derived names; and error messages that speak TOML.

use super::ENV_PREFIX;
use anyhow::{anyhow, Result};
use std::path::Path;

/// A relative `server.data_dir` in a config file means relative to that file, as an operator
/// reading the file expects.
pub(super) fn anchor_data_dir(from_file: &mut toml::Value, file: &Path) {
    let Some(dir) = from_file.get_mut("server").and_then(|s| s.get_mut("data_dir")) else {
        return;
    };
    let Some(text) = dir.as_str().filter(|t| !t.is_empty() && !Path::new(t).is_absolute()) else {
        return;
    };
    let base = std::fs::canonicalize(file)
        .ok()
        .and_then(|f| f.parent().map(Path::to_path_buf))
        .unwrap_or_default();
    *dir = toml::Value::String(base.join(text).display().to_string());
}

/// `, line L, column C` of byte offset `at` in `text` (both counted from 1).
pub(super) fn line_column(text: &str, at: usize) -> String {
    let before = &text[..at.min(text.len())];
    let line = before.matches('\n').count() + 1;
    let column = before.rsplit('\n').next().map_or(0, |l| l.chars().count()) + 1;
    format!(", line {line}, column {column}")
}

/// serde's messages name Rust types (`expected usize`, `floating point`); operators read TOML.
pub(super) fn plain_type_error(message: &str) -> String {
    if let Some(rest) = message.strip_prefix("invalid type: floating point `") {
        if let Some((number, expected)) = rest.split_once("`, expected ") {
            if expected.contains("string") {
                return format!("write the number in quotes, as \"{number}\" (decimals are read exactly from text)");
            }
        }
    }
    let mut out = message.to_owned();
    for (rust, plain) in [
        ("floating point", "a decimal number"),
        ("expected usize", "expected a whole number of 0 or more"),
        ("expected u64", "expected a whole number of 0 or more"),
        ("expected u32", "expected a whole number of 0 or more"),
        ("expected u16", "expected a whole number of 0 or more"),
        ("expected u8", "expected a whole number of 0 or more"),
        ("expected i64", "expected a whole number"),
        ("expected i32", "expected a whole number"),
        ("expected a boolean", "expected true or false"),
        ("expected a sequence", "expected a list such as [\"a\", \"b\"]"),
        ("expected a map", "expected a table"),
        ("invalid type: ", ""),
        ("invalid value: ", ""),
    ] {
        out = out.replace(rust, plain);
    }
    out
}

/// Environment name of a dotted path.
pub(super) fn env_name(path: &str) -> String {
    format!("{ENV_PREFIX}{}", path.replace('.', "_").to_uppercase())
}

pub(super) fn leaf_paths(v: &toml::Value) -> Vec<String> {
    fn walk(prefix: &str, v: &toml::Value, out: &mut Vec<String>) {
        match v {
            toml::Value::Table(t) => {
                for (k, v) in t {
                    let p = if prefix.is_empty() {
                        k.clone()
                    } else {
                        format!("{prefix}.{k}")
                    };
                    walk(&p, v, out);
                }
            }
            _ => out.push(prefix.to_owned()),
        }
    }
    let mut out = Vec::new();
    walk("", v, &mut out);
    out
}

pub(super) fn merge(base: &mut toml::Value, over: toml::Value) {
    match (base, over) {
        (toml::Value::Table(b), toml::Value::Table(o)) => {
            for (k, v) in o {
                match b.get_mut(&k) {
                    Some(existing) => merge(existing, v),
                    None => {
                        b.insert(k, v);
                    }
                }
            }
        }
        (b, o) => *b = o,
    }
}

/// Sets `path` from an environment string, typed like the current value there.
pub(super) fn set_from_env(root: &mut toml::Value, path: &str, name: &str, raw: &str) -> Result<()> {
    let mut cur = root;
    let parts: Vec<&str> = path.split('.').collect();
    for part in &parts[..parts.len() - 1] {
        cur = cur
            .get_mut(*part)
            .ok_or_else(|| anyhow!("{name}: configuration key {path:?} does not exist"))?;
    }
    let last = parts[parts.len() - 1];
    let table = cur
        .as_table_mut()
        .ok_or_else(|| anyhow!("{name}: {path:?} is not a setting"))?;
    let bad = |what: &str| anyhow!("invalid configuration key {path:?} (from {name}): expected {what}, got {raw:?}");
    let value = match table.get(last) {
        Some(toml::Value::Integer(_)) => toml::Value::Integer(raw.trim().parse().map_err(|_| bad("an integer"))?),
        Some(toml::Value::Boolean(_)) => toml::Value::Boolean(match raw.trim() {
            "true" | "1" | "yes" => true,
            "false" | "0" | "no" => false,
            _ => return Err(bad("true or false")),
        }),
        // Comma-separated; elements take the type of the default's elements.
        Some(toml::Value::Array(default)) => {
            let integers = matches!(default.first(), Some(toml::Value::Integer(_)));
            let mut items = Vec::new();
            for item in raw.split(',').map(str::trim).filter(|s| !s.is_empty()) {
                items.push(if integers {
                    toml::Value::Integer(item.parse().map_err(|_| bad("comma-separated integers"))?)
                } else {
                    toml::Value::String(item.to_owned())
                });
            }
            toml::Value::Array(items)
        }
        _ => toml::Value::String(raw.to_owned()),
    };
    table.insert(last.to_owned(), value);
    Ok(())
}
