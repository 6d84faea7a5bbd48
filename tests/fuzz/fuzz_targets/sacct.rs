//! `sacct --parsable2` text as the `usage-sacct` plugin and CSV files give it to the parser: the
//! whole input read with a header line and as `--noheader` output in the plugin's `--format`
//! columns, each compared with the general rules of `hpcb_fuzz::sacct_model` (so the fast
//! reader and the general reader agree on every line the fast one accepts).

#![no_main]

use hpcb_fuzz::sacct_model::assert_agree;
use hpcb_plugin_slurm_parse::sacct::{Layout, SacctOptions, FORMAT_FIELDS};
use hpcb_plugin_slurm_parse::size::BareUnit;
use hpcb_plugin_slurm_parse::timestamp::UtcOffset;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let text = hpcb_fuzz::text(data);
    let utc = SacctOptions {
        utc_offset: UtcOffset::UTC,
        ave_rss_bare: BareUnit::KiB,
    };
    let bangkok = SacctOptions {
        utc_offset: UtcOffset::parse("+07:00").expect("offset"),
        ave_rss_bare: BareUnit::Bytes,
    };
    assert_agree(&text, Layout::HeaderLine, &utc);
    assert_agree(&text, Layout::Columns(&FORMAT_FIELDS), &bangkok);
});
