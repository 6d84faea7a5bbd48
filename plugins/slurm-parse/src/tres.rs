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
        for item in items(text) {
            let (key, value) = item?;
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
        self.get(key).map(|value| count_value(key, value)).transpose()
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
        typed_gpus(self.entries.iter().map(|(key, value)| (key.as_str(), value.as_str())))
    }
}

/// The `key=value` items of a sacct TRES text, in order: each item trimmed, empty items
/// skipped, the key being everything before the first `=`. An item without `=` or without a key
/// is an error naming it.
fn items(text: &str) -> impl Iterator<Item = Result<(&str, &str), String>> {
    text.split(',').filter_map(|item| pair(item).transpose())
}

/// One item of a TRES text, trimmed: `None` when empty, else its key (everything before the
/// first `=`, never empty) and value.
fn pair(item: &str) -> Result<Option<(&str, &str)>, String> {
    let item = crate::text::trim(item);
    if item.is_empty() {
        return Ok(None);
    }
    let equals = item.bytes().position(|b| b == b'=');
    match equals.and_then(|at| Some((item.get(..at)?, item.get(at + 1..)?))) {
        None => Err(format!("TRES item without '=': {item:?}")),
        Some(("", _)) => Err(format!("TRES item without a name: {item:?}")),
        Some(pair) => Ok(Some(pair)),
    }
}

/// A TRES count: the trimmed value as a whole number (signs allowed, as `i64` parsing has them).
fn count_value(key: &str, value: &str) -> Result<i64, String> {
    crate::text::parse_i64(crate::text::trim(value))
        .ok_or_else(|| format!("TRES {key}={value:?} is not a whole number"))
}

/// The sum of the typed `gres/gpu:<type>` entries among `entries` (keys compared without
/// regard to ASCII case), `None` when there is none; the first unreadable count is an error.
/// A sum beyond `i64` saturates (no real count comes near).
fn typed_gpus<'e>(entries: impl Iterator<Item = (&'e str, &'e str)>) -> Result<Option<i64>, String> {
    let mut typed: Option<i64> = None;
    for (key, value) in entries {
        if is_typed_gpu(key) {
            let count = crate::text::parse_i64(crate::text::trim(value)).ok_or_else(|| {
                let kind = key.get(TYPED_GPU.len()..).unwrap_or_default().to_ascii_lowercase();
                format!("TRES gres/gpu:{kind}={value:?} is not a whole number")
            })?;
            typed = Some(typed.unwrap_or(0).saturating_add(count));
        }
    }
    Ok(typed)
}

/// The key prefix of a typed GPU count (`gres/gpu:a100`).
const TYPED_GPU: &[u8] = b"gres/gpu:";

/// Whether a TRES key is a typed GPU count, without regard to ASCII case.
fn is_typed_gpu(key: &str) -> bool {
    key.as_bytes()
        .get(..TYPED_GPU.len())
        .is_some_and(|start| start.eq_ignore_ascii_case(TYPED_GPU))
}

/// A sacct TRES text read in place: the entries one job line needs (`cpu`, `mem`, `gres/gpu`,
/// typed GPUs) are located in one pass without copying, and read with exactly the rules of
/// [`Tres`]. This is what the sacct parser uses for every job line; [`Tres`] owns its entries.
#[derive(Debug, Clone, Copy)]
pub(crate) struct TresText<'a> {
    text: &'a str,
    cpu: Option<&'a str>,
    mem: Option<&'a str>,
    gpu: Option<&'a str>,
    typed_gpus: bool,
}

impl<'a> TresText<'a> {
    /// Checks the syntax of every item (the errors of [`Tres::parse`]) and keeps the first value
    /// of each key of interest, as [`Tres::get`] finds them.
    pub(crate) fn parse(text: &'a str) -> Result<TresText<'a>, String> {
        let mut tres = TresText {
            text,
            cpu: None,
            mem: None,
            gpu: None,
            typed_gpus: false,
        };
        // one pass: each item ends at a `,` (or the end), its key at its first `=`
        let bytes = text.as_bytes();
        let (mut start, mut equals) = (0, None);
        for (at, &b) in bytes.iter().enumerate() {
            match b {
                b'=' if equals.is_none() => equals = Some(at),
                b',' => {
                    tres.item(text, start, equals, at)?;
                    (start, equals) = (at + 1, None);
                }
                _ => {}
            }
        }
        tres.item(text, start, equals, bytes.len())?;
        Ok(tres)
    }

    /// Takes note of the item `text[start..end]` whose first `=` is at `equals`.
    #[inline]
    fn item(&mut self, text: &'a str, start: usize, equals: Option<usize>, end: usize) -> Result<(), String> {
        let bytes = text.as_bytes();
        let bare = |at: usize| bytes.get(at).is_some_and(u8::is_ascii_graphic);
        // an item with visible characters at both ends is already trimmed; others (spaces,
        // empty, no `=`, no key) go the general way, which says what is wrong
        let pair = match equals {
            Some(equals) if equals > start && bare(start) && bare(end - 1) => {
                text.get(start..equals).zip(text.get(equals + 1..end))
            }
            _ => pair(text.get(start..end).unwrap_or_default())?,
        };
        if let Some((key, value)) = pair {
            // the first value of a key is the one [`Tres::get`] finds
            match key.len() {
                3 if key.eq_ignore_ascii_case("cpu") => _ = self.cpu.get_or_insert(value),
                3 if key.eq_ignore_ascii_case("mem") => _ = self.mem.get_or_insert(value),
                8 if key.eq_ignore_ascii_case("gres/gpu") => _ = self.gpu.get_or_insert(value),
                _ => self.typed_gpus |= is_typed_gpu(key),
            }
        }
        Ok(())
    }

    /// [`Tres::count`] of `cpu`.
    pub(crate) fn cpus(&self) -> Result<Option<i64>, String> {
        self.cpu.map(|value| count_value("cpu", value)).transpose()
    }

    /// [`Tres::mem_mib`].
    pub(crate) fn mem_mib(&self) -> Result<Option<i64>, String> {
        self.mem.map(parse_mib).transpose()
    }

    /// [`Tres::gpus`]: the untyped total, else the sum of the typed entries.
    pub(crate) fn gpus(&self) -> Result<Option<i64>, String> {
        if let Some(value) = self.gpu {
            return count_value("gres/gpu", value).map(Some);
        }
        if !self.typed_gpus {
            return Ok(None);
        }
        // every item was checked by `parse`, so none is an error here
        typed_gpus(items(self.text).filter_map(Result::ok))
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
    fn text_in_place_reads_as_the_owned_list() {
        let texts = [
            "",
            ",",
            "billing=5,cpu=1,gres/gpu:fake=1,gres/gpu=1,mem=1G,node=1",
            "CPU=2,Mem=1.5G,GRES/GPU:a100=2,gres/gpu:V100=1",
            "cpu=1,cpu=2,mem=3M,mem=x",
            " cpu = 4 , mem=2G ,gres/gpu=1 ",
            "cpu=4,\u{a0}mem=2G\u{a0},gres/gpu:=3",
            "cpu=x,mem=zz,gres/gpu:a=q",
            "gres/gpu:a=1,gres/gpu:b=x",
            "cpu",
            "=1",
            "cpu=1,,mem=2",
            "cpu=1,mem",
            "a=b=c,cpu==3",
            "gres/gpu:a100=9223372036854775807,gres/gpu:b=1",
        ];
        for text in texts {
            let owned = Tres::parse(text).map(|tres| (tres.count("cpu"), tres.gpus(), tres.mem_mib()));
            let in_place = TresText::parse(text).map(|tres| (tres.cpus(), tres.gpus(), tres.mem_mib()));
            assert_eq!(in_place, owned, "{text:?}");
        }
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
