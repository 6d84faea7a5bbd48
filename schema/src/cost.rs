//! What a field costs against `graphql.max_complexity`: a list counts its items times what
//! each item selects, so the limit bounds the size of the answer (a query of a few KB once
//! returned 15.7 MB under a limit that counted every field once, whatever the list length).

/// Items assumed for a list without a page size (receipt lines, summaries, rate history): a
/// guess on the large side, so that nesting such lists stays expensive.
pub const UNPAGED_LIST: usize = 100;

/// The cost of a page of `first` items, each costing `child`.
pub fn page(first: i32, child: usize) -> usize {
    usize::try_from(first.max(1))
        .unwrap_or(usize::MAX)
        .saturating_mul(child)
        .saturating_add(1)
}

/// The cost of a list without a page size.
pub fn unpaged(child: usize) -> usize {
    UNPAGED_LIST.saturating_mul(child).saturating_add(1)
}
