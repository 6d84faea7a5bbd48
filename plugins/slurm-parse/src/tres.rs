//! Trackable resources (TRES): sacct's `billing=5,cpu=1,gres/gpu:fake=1,mem=1G,node=1` strings
//! and slurmrestd's `[{"type": "gres", "name": "gpu", "count": 1}, ..]` lists, read the same way.

use serde_json::Value;

use crate::size::parse_mib;

/// A TRES list as `(key, value)` pairs in the order given; keys are `cpu`, `mem`, `node`,
/// `billing`, `gres/gpu`, `gres/gpu:a100`, ... Order is never relied on (sacct and slurmctld
/// print the same TRES in different orders).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Tres {
    entries: Vec<(String, String)>,
}

impl Tres {
    /// Parses sacct's `key=value,key=value` text; the empty string is the empty list.
    pub fn parse(text: &str) -> Result<Tres, String> {
        let mut entries = Vec::new();
        for item in text.split(',').map(str::trim).filter(|item| !item.is_empty()) {
            let Some((key, value)) = item.split_once('=') else {
                return Err(format!("TRES item without '=': {item:?}"));
            };
            if key.is_empty() {
                return Err(format!("TRES item without a name: {item:?}"));
            }
            entries.push((key.to_ascii_lowercase(), value.to_owned()));
        }
        Ok(Tres { entries })
    }

    /// Reads slurmrestd's TRES list (`type`, `name`, `count`). The key is `type`, or
    /// `type/name` when a name is set. Entries without a usable count (`null` in v0.0.38, `-2`
    /// from v0.0.39 for "unknown", or not a number) are left out.
    pub fn from_json(list: &Value) -> Tres {
        let entries = list
            .as_array()
            .map(Vec::as_slice)
            .unwrap_or_default()
            .iter()
            .filter_map(|entry| {
                let kind = entry.get("type")?.as_str()?.to_ascii_lowercase();
                let count = entry.get("count")?.as_i64().filter(|count| *count >= 0)?;
                let key = match entry.get("name").and_then(Value::as_str) {
                    Some(name) if !name.is_empty() => format!("{kind}/{name}"),
                    _ => kind,
                };
                Some((key, count.to_string()))
            })
            .collect();
        Tres { entries }
    }

    /// Whether the list has no entries.
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// The raw value of `key` (case-insensitive).
    pub fn get(&self, key: &str) -> Option<&str> {
        self.entries
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(key))
            .map(|(_, v)| v.as_str())
    }

    /// An integer TRES such as `cpu` or `node`; `Ok(None)` when absent.
    pub fn count(&self, key: &str) -> Result<Option<i64>, String> {
        self.get(key)
            .map(|value| {
                value
                    .trim()
                    .parse::<i64>()
                    .map_err(|_| format!("TRES {key}={value:?} is not a whole number"))
            })
            .transpose()
    }

    /// The `mem` TRES in MiB (suffixes `K`/`M`/`G`/`T`; bare numbers are MiB).
    pub fn mem_mib(&self) -> Result<Option<i64>, String> {
        self.get("mem").map(parse_mib).transpose()
    }

    /// The GPU count: the untyped `gres/gpu` total when present, else the sum of the typed
    /// `gres/gpu:<type>` entries (some sites only track typed GPUs), else `None`.
    pub fn gpus(&self) -> Result<Option<i64>, String> {
        if let Some(total) = self.count("gres/gpu")? {
            return Ok(Some(total));
        }
        let mut typed = None;
        for (key, value) in &self.entries {
            if let Some(kind) = key.strip_prefix("gres/gpu:") {
                let count: i64 = value
                    .trim()
                    .parse()
                    .map_err(|_| format!("TRES gres/gpu:{kind}={value:?} is not a whole number"))?;
                typed = Some(typed.unwrap_or(0) + count);
            }
        }
        Ok(typed)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn sacct_strings() {
        let tres = Tres::parse("billing=5,cpu=1,gres/gpu:fake=1,gres/gpu=1,mem=1G,node=1").expect("valid TRES");
        assert_eq!(tres.count("cpu"), Ok(Some(1)));
        assert_eq!(tres.count("billing"), Ok(Some(5)));
        assert_eq!(tres.mem_mib(), Ok(Some(1024)));
        assert_eq!(tres.gpus(), Ok(Some(1)));
        assert_eq!(tres.count("energy"), Ok(None));
        assert!(Tres::parse("").expect("empty is valid").is_empty());
    }

    #[test]
    fn typed_gpus_are_counted_only_without_an_untyped_total() {
        let typed = Tres::parse("cpu=8,gres/gpu:a100=2,gres/gpu:v100=1,mem=64G").expect("valid");
        assert_eq!(typed.gpus(), Ok(Some(3)));
        let both = Tres::parse("gres/gpu:a100=2,gres/gpu=2").expect("valid");
        assert_eq!(both.gpus(), Ok(Some(2)));
        let none = Tres::parse("cpu=1,gres/mps=100").expect("valid");
        assert_eq!(none.gpus(), Ok(None));
    }

    #[test]
    fn slurmrestd_lists_in_every_shape() {
        let v38 = json!([
            {"type": "cpu", "name": null, "id": 1, "count": 2},
            {"type": "mem", "name": null, "id": 2, "count": 1024},
            {"type": "energy", "name": null, "id": 3, "count": null},
            {"type": "gres", "name": "gpu", "id": 1001, "count": 1},
            {"type": "gres", "name": "gpu:fake", "id": 1002, "count": 1}
        ]);
        let tres = Tres::from_json(&v38);
        assert_eq!(tres.count("cpu"), Ok(Some(2)));
        assert_eq!(tres.mem_mib(), Ok(Some(1024)));
        assert_eq!(tres.gpus(), Ok(Some(1)));
        assert_eq!(tres.get("energy"), None);
        let v45 =
            json!([{"type": "energy", "name": "", "id": 3, "count": -2}, {"type": "cpu", "name": "", "count": 1}]);
        let tres = Tres::from_json(&v45);
        assert_eq!(tres.get("energy"), None);
        assert_eq!(tres.count("cpu"), Ok(Some(1)));
        assert!(Tres::from_json(&json!(null)).is_empty());
        assert!(Tres::from_json(&json!([1, "x", {"type": 3}])).is_empty());
    }

    #[test]
    fn garbage_is_an_error_not_a_panic() {
        assert!(Tres::parse("cpu").is_err());
        assert!(Tres::parse("=1").is_err());
        let bad = Tres::parse("cpu=x,mem=zz,gres/gpu:a=q").expect("syntax is fine");
        assert!(bad.count("cpu").is_err());
        assert!(bad.mem_mib().is_err());
        assert!(bad.gpus().is_err());
    }
}
