//! Which sacct column holds which field, found by (case-insensitive) name.

use super::Line;

/// Column positions of the fields the parser understands; `None` when the column is absent.
#[derive(Debug, Clone)]
pub struct Columns {
    count: usize,
    pub(super) job_id: Option<usize>,
    pub(super) user: Option<usize>,
    pub(super) uid: Option<usize>,
    pub(super) account: Option<usize>,
    pub(super) partition: Option<usize>,
    pub(super) state: Option<usize>,
    pub(super) submit: Option<usize>,
    pub(super) start: Option<usize>,
    pub(super) end: Option<usize>,
    pub(super) elapsed_raw: Option<usize>,
    pub(super) elapsed: Option<usize>,
    pub(super) total_cpu: Option<usize>,
    pub(super) cpu_time_raw: Option<usize>,
    pub(super) alloc_cpus: Option<usize>,
    pub(super) req_cpus: Option<usize>,
    pub(super) req_mem: Option<usize>,
    pub(super) req_tres: Option<usize>,
    pub(super) alloc_tres: Option<usize>,
    pub(super) ave_rss: Option<usize>,
    pub(super) energy_raw: Option<usize>,
    pub(super) energy: Option<usize>,
    pub(super) node_list: Option<usize>,
}

impl Columns {
    /// Maps header names to positions. `JobID`, `User`, `State` and `End` are required: without
    /// them no record can be keyed, owned, classified or placed in a window.
    pub fn from_names<'a>(names: impl IntoIterator<Item = &'a str>) -> Result<Columns, String> {
        let names: Vec<String> = names.into_iter().map(|n| n.trim().to_ascii_lowercase()).collect();
        let find = |wanted: &str| names.iter().position(|name| name == wanted);
        let columns = Columns {
            count: names.len(),
            job_id: find("jobid"),
            user: find("user"),
            uid: find("uid"),
            account: find("account"),
            partition: find("partition"),
            state: find("state"),
            submit: find("submit"),
            start: find("start"),
            end: find("end"),
            elapsed_raw: find("elapsedraw"),
            elapsed: find("elapsed"),
            total_cpu: find("totalcpu"),
            cpu_time_raw: find("cputimeraw"),
            alloc_cpus: find("alloccpus"),
            req_cpus: find("reqcpus"),
            req_mem: find("reqmem"),
            req_tres: find("reqtres"),
            alloc_tres: find("alloctres"),
            ave_rss: find("averss"),
            energy_raw: find("consumedenergyraw"),
            energy: find("consumedenergy"),
            node_list: find("nodelist"),
        };
        let missing: Vec<&str> = [
            ("JobID", columns.job_id),
            ("User", columns.user),
            ("State", columns.state),
            ("End", columns.end),
        ]
        .iter()
        .filter(|(_, at)| at.is_none())
        .map(|(name, _)| *name)
        .collect();
        if !missing.is_empty() {
            return Err(format!(
                "the sacct header lacks the column(s) {} (it has: {})",
                missing.join(", "),
                names.join("|")
            ));
        }
        Ok(columns)
    }

    /// The number of columns every line must have.
    pub fn len(&self) -> usize {
        self.count
    }

    /// Whether there are no columns at all (never true for a valid header).
    pub fn is_empty(&self) -> bool {
        self.count == 0
    }

    /// The trimmed value of a column on a line; `None` when the column is absent or empty.
    #[inline]
    pub(super) fn value<'l>(&self, line: &Line<'l, '_>, column: Option<usize>) -> Option<&'l str> {
        column
            .and_then(|at| line.field(at))
            .map(crate::text::trim)
            .filter(|value| !value.is_empty())
    }
}
