//! slurmrestd's `/slurmdb/vX/jobs` answers, for every API version the `usage-slurmrestd` plugin
//! supports (v0.0.38 to v0.0.45).
//!
//! The first byte chooses the version, the HTTP status, the window and whether the plugin
//! negotiates; the rest is the body. It goes through:
//!
//! - `parse_jobs_response` and `parse_jobs_in_window`: the window keeps a subsequence of the
//!   records, with the same warnings, and both fail alike;
//! - the plugin itself (`RestSource`, in-process on a fake host that answers every request with
//!   the body): `probe` (when negotiating), and `fetch` over one or several pieces of a window.
//!   Its records must be those of `parse_jobs_in_window`, one per job id.

#![no_main]

use std::collections::BTreeSet;

use hpcb_plugin_sdk::{json, Host, Plugin, PluginError};
use hpcb_plugin_slurm_parse::rest::{parse_jobs_in_window, parse_jobs_response, ApiVersion, ResponseError};
use hpcb_plugin_usage_slurmrestd::RestSource;
use libfuzzer_sys::fuzz_target;

/// A token as `scontrol token` prints it (its `sun` is `alice`).
const TOKEN: &str = "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJleHAiOjE3OTUzMTE5ODQsImlhdCI6MTc5NTMwNDc4NCwic3VuIjoiYWxpY2UifQ.sig";

fuzz_target!(|data: &[u8]| {
    let (control, body) = hpcb_fuzz::control(data);
    let body = hpcb_fuzz::text(body).into_owned();
    let minor = 38 + (control & 7);
    let version = format!("v0.0.{minor}");
    let negotiate = control & 8 != 0;
    let status: u16 = [200, 200, 500, 401][usize::from(control >> 4 & 3)];
    // around the captured fixtures (one piece), the 150 s of the 26.05 captures (one piece), or
    // all of 1970..2096 (two pieces, so the plugin merges two answers)
    let (from, to, window_hours) = match control >> 6 {
        0 | 1 => (1_795_300_000_000_i64, 1_795_310_000_000_i64, 24_u64),
        2 => (1_795_307_460_000, 1_795_307_610_000, 1),
        _ => (0, 4_000_000_000_000, 600_000),
    };
    assert!(ApiVersion::parse(&version).is_ok());

    // the parser
    let all = parse_jobs_response(status, &body);
    let windowed = parse_jobs_in_window(status, &body, from, to);
    match (&all, &windowed) {
        (Ok(all), Ok(windowed)) => {
            assert_eq!(all.warnings, windowed.warnings, "the window changed the warnings");
            let mut rest = all.jobs.iter();
            for record in &windowed.jobs {
                assert!(
                    rest.any(|r| r == record),
                    "the window kept a record the whole answer lacks: {record:?}"
                );
            }
        }
        (Err(a), Err(w)) => assert_eq!(a, w),
        _ => panic!("the window changed whether the answer is usable: {all:?} / {windowed:?}"),
    }

    // the plugin, on a fake slurmrestd that serves `version` (and, negotiating, the older ones)
    let served = move |path: &str| -> bool {
        let asked = path.split('/').nth(4).and_then(|v| v.strip_prefix("v0.0.")).and_then(|m| m.parse::<u8>().ok());
        match asked {
            Some(asked) if negotiate => asked <= minor,
            Some(asked) => asked == minor,
            None => false,
        }
    };
    let answer = body.clone();
    let host = Host::from_fn(move |capability, request| match capability {
        "secret" => Ok(json!({ "value": TOKEN })),
        "log" => Ok(json!({})),
        "http" => {
            let url = request["url"].as_str().unwrap_or_default();
            if served(url) {
                Ok(json!({"status": status, "headers": {"content-type": "application/json"}, "body": answer}))
            } else {
                Ok(json!({"status": 404, "headers": {}, "body": "Unable find requested URL."}))
            }
        }
        other => Err(PluginError::new("unknown_capability", other)),
    });
    let settings = json!({
        "url": "http://slurmrestd.test:6820",
        "api_version": if negotiate { "auto".to_owned() } else { version.clone() },
        "window_hours": window_hours,
    });
    let mut plugin = RestSource::create(settings, host).expect("valid settings");
    if negotiate {
        let probe = plugin.call("probe", json!({})).expect("probe answers ok or not, never fails");
        assert!(probe["ok"].is_boolean(), "{probe}");
    }

    let fetched = plugin.call("fetch", json!({"from": from, "to": to}));
    match (&windowed, &fetched) {
        (Ok(expected), Ok(answer)) => {
            let ids: Vec<&str> = answer["jobs"]
                .as_array()
                .expect("a jobs list")
                .iter()
                .map(|job| job["job_id"].as_str().expect("a job id"))
                .collect();
            let unique: BTreeSet<&str> = ids.iter().copied().collect();
            assert_eq!(unique.len(), ids.len(), "a job id reported twice: {ids:?}");
            let wanted: BTreeSet<&str> = expected.jobs.iter().map(|r| r.job_id.as_str()).collect();
            assert_eq!(unique, wanted, "the plugin's job ids are not the parser's");
        }
        (Err(ResponseError::Failed(_)), Err(_)) => {}
        (Ok(_), Err(err)) => panic!("the parser read the answer but the plugin failed: {err:?}"),
        (Err(err), Ok(answer)) => panic!("the parser refused the answer ({err:?}) but the plugin read {answer}"),
        (Err(ResponseError::NotServed), _) => unreachable!("status is never 404 here"),
    }
});
