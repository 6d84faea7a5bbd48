//! The index from job id to record position that folds steps into their job and finds repeated
//! job lines. It covers every job (a million for a year of a busy cluster), so it is built for
//! the way sacct lists jobs, by increasing id: while the ids keep increasing, the records
//! themselves are the index (sorted by id, searched by bisection when a step does not follow
//! its job) and a new id greater than the last is known to be new without a search. From the
//! first id out of that order, or that is not a plain number, on, ids go to a hash map keyed by
//! the text borrowed from the input and hashed with a short, fast function instead of SipHash
//! (the keys come from the cluster's own accounting, and a poor spread only costs time, never
//! results).

use std::collections::HashMap;
use std::hash::{BuildHasher, Hasher};

use crate::Record;

/// Job id as written on its line (which is the `job_id` of its record) → position of its
/// record in the records given to each call.
#[derive(Debug, Default)]
pub(super) struct JobIndex<'t> {
    /// How many records from the first have ids with a [`Key`], each greater than the one
    /// before; they need no entry.
    sorted: usize,
    /// The key of the last of them.
    last: Option<Key>,
    /// Every later record's id.
    others: HashMap<&'t str, usize, IdHash>,
}

/// Where a new id goes, found by [`JobIndex::find`].
#[derive(Debug, Clone, Copy)]
pub(super) struct Vacancy<'t> {
    id: &'t str,
    /// Whether the id continues the sorted records (its record is the next one).
    extends: Option<Key>,
}

/// A unit id read as numbers, `(job, (task + 1) << 32 | (component + 1))` with 0 for an absent
/// part: compared as a tuple, ordered as sacct lists jobs. Only ids written without leading
/// zeros have one, so equal keys mean equal texts.
type Key = (u64, u64);

/// The [`Key`] of `id`; `None` when it is not `digits[_digits][+digits]` written canonically
/// (no leading zeros, a task or component below 2^32 - 1).
fn key(id: &str) -> Option<Key> {
    fn number(bytes: &[u8]) -> Option<(u64, &[u8])> {
        let length = bytes.iter().take_while(|b| b.is_ascii_digit()).count();
        let (digits, rest) = bytes.split_at_checked(length)?;
        match digits {
            [] | [b'0', _, ..] => None,
            _ if length > 19 => None,
            _ => Some((digits.iter().fold(0, |n, d| n * 10 + u64::from(d - b'0')), rest)),
        }
    }
    fn part(rest: &[u8], mark: u8) -> Option<(u64, &[u8])> {
        match rest.split_first() {
            Some((&first, after)) if first == mark => {
                let (value, rest) = number(after)?;
                (value < u64::from(u32::MAX)).then_some((value + 1, rest))
            }
            _ => Some((0, rest)),
        }
    }
    let (job, rest) = number(id.as_bytes())?;
    let (task, rest) = part(rest, b'_')?;
    let (component, rest) = part(rest, b'+')?;
    rest.is_empty().then_some((job, task << 32 | component))
}

impl<'t> JobIndex<'t> {
    /// The position of `id`'s record among `jobs`, if it has one.
    pub(super) fn get(&self, id: &str, jobs: &[Record]) -> Option<usize> {
        if let (Some(key), Some(sorted)) = (key(id), jobs.get(..self.sorted)) {
            if let Ok(at) = sorted.binary_search_by(|record| self::key(&record.job_id).cmp(&Some(key))) {
                return Some(at);
            }
        }
        self.others.get(id).copied()
    }

    /// The position of `id`'s record among `jobs`, or where a record for it would go (at the
    /// end of `jobs`). An id greater than every id so far (the usual case) is known to be new
    /// without a search.
    pub(super) fn find(&self, id: &'t str, jobs: &[Record]) -> Result<usize, Vacancy<'t>> {
        if let Some(key) = key(id) {
            if self.sorted == jobs.len() && self.last.is_none_or(|last| last < key) {
                return Err(Vacancy { id, extends: Some(key) });
            }
        }
        match self.get(id, jobs) {
            Some(at) => Ok(at),
            None => Err(Vacancy { id, extends: None }),
        }
    }

    /// Records the position of a new id (found by [`JobIndex::find`] just before, its record
    /// pushed since).
    pub(super) fn insert(&mut self, vacancy: Vacancy<'t>, at: usize) {
        match vacancy.extends {
            Some(key) if at == self.sorted => {
                self.sorted += 1;
                self.last = Some(key);
            }
            _ => _ = self.others.insert(vacancy.id, at),
        }
    }
}

/// Builds [`IdHasher`]s.
#[derive(Debug, Clone, Copy, Default)]
pub(super) struct IdHash;

impl BuildHasher for IdHash {
    type Hasher = IdHasher;

    fn build_hasher(&self) -> IdHasher {
        IdHasher(0)
    }
}

/// Hashes a job id eight bytes at a time with a folded 64 × 64 → 128-bit multiply, which mixes
/// every input bit into both the low bits (the table position) and the high bits (the tag the
/// table compares first).
#[derive(Debug, Clone, Copy)]
pub(super) struct IdHasher(u64);

const MIX: u64 = 0x9e37_79b9_7f4a_7c15;
const FINISH: u64 = 0xd6e8_feb8_6659_fd93;

/// The two halves of the 128-bit product, combined.
#[inline]
fn folded_multiply(a: u64, b: u64) -> u64 {
    let full = u128::from(a) * u128::from(b);
    (full as u64) ^ ((full >> 64) as u64)
}

impl Hasher for IdHasher {
    #[inline]
    fn write(&mut self, bytes: &[u8]) {
        let mut hash = self.0 ^ bytes.len() as u64;
        let mut words = bytes.chunks_exact(8);
        for word in words.by_ref() {
            let word = <[u8; 8]>::try_from(word).map_or(0, u64::from_le_bytes);
            hash = folded_multiply(hash ^ word, MIX);
        }
        let rest = words.remainder();
        if !rest.is_empty() {
            let mut last = [0u8; 8];
            for (slot, byte) in last.iter_mut().zip(rest) {
                *slot = *byte;
            }
            hash = folded_multiply(hash ^ u64::from_le_bytes(last), MIX);
        }
        self.0 = hash;
    }

    /// `str` ends its bytes with a `0xff` marker; the length, already mixed in, does that job.
    #[inline]
    fn write_u8(&mut self, _marker: u8) {}

    #[inline]
    fn finish(&self) -> u64 {
        folded_multiply(self.0, FINISH)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_spread_and_equal_ids_hash_equally() {
        let hash = |id: &str| IdHash.hash_one(id);
        assert_eq!(hash("12345_7"), hash("12345_7"));
        let mut low: Vec<u64> = (1000..1064).map(|n| hash(&n.to_string()) & 63).collect();
        low.sort_unstable();
        low.dedup();
        assert!(low.len() > 32, "consecutive ids must not share table slots: {low:?}");
    }

    #[test]
    fn keys_are_ordered_like_sacct_lists_and_only_for_canonical_ids() {
        assert!(key("7") < key("7+0"));
        assert!(key("7+0") < key("7_0"));
        assert!(key("7_0") < key("7_0+1"));
        assert!(key("7_1") < key("7_10"));
        assert!(key("7_4294967294") < key("8"));
        assert!(key("9") < key("10"));
        for other in [
            "",
            "07",
            "7_01",
            "5_[1-3]",
            "x",
            "7.0",
            "7_",
            "7+",
            "7_4294967295",
            "99999999999999999999",
        ] {
            assert_eq!(key(other), None, "{other:?}");
        }
        assert_eq!(key("0"), Some((0, 0)));
    }

    #[test]
    fn every_id_is_found_in_order_or_not() {
        let ids = ["10", "12", "12_1", "11", "5_[1-3]", "007", "13", "9", "12_0"];
        let mut index = JobIndex::default();
        let mut jobs: Vec<Record> = Vec::new();
        for (at, id) in ids.iter().enumerate() {
            let vacancy = index.find(id, &jobs).expect_err("new");
            jobs.push(record(id));
            index.insert(vacancy, at);
        }
        assert_eq!(index.sorted, 3);
        for (at, id) in ids.iter().enumerate() {
            assert_eq!(index.find(id, &jobs).ok(), Some(at), "{id}");
            assert_eq!(index.get(id, &jobs), Some(at), "{id}");
        }
        for absent in ["7", "14", "12_2", "5_[1-4]", "011", "12+0"] {
            assert!(index.find(absent, &jobs).is_err(), "{absent}");
        }
    }

    fn record(id: &str) -> Record {
        Record {
            job_id: id.into(),
            user: "alice".into(),
            account: None,
            partition: None,
            state: "COMPLETED".into(),
            submit: None,
            start: None,
            end: None,
            elapsed_s: 0,
            alloc_cpus: 0,
            alloc_gpus: 0,
            alloc_mem_mb: 0,
            cpu_used_ms: None,
            cpu_time_raw_s: None,
            mem_used_kib_s: None,
            energy_j: None,
            nodes: None,
        }
    }
}
