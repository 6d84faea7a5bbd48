//! Odd input never panics and is never dropped silently: unreadable lines and jobs become
//! warnings naming them, the rest still imports.

use hpcb_plugin_slurm_parse::rest::{parse_jobs_response, ResponseError};
use hpcb_plugin_slurm_parse::sacct::{parse_sacct, Layout, SacctOptions};
use hpcb_plugin_slurm_parse::size::BareUnit;
use hpcb_plugin_slurm_parse::timestamp::UtcOffset;
use serde_json::Value;

use crate::support::{fixture, ids};

const OPTIONS: SacctOptions = SacctOptions {
    utc_offset: UtcOffset::UTC,
    ave_rss_bare: BareUnit::Bytes,
};

#[test]
fn bad_sacct_lines_become_numbered_warnings() {
    let text = "\
JobID|User|State|Start|End|ElapsedRaw|TotalCPU|AllocTRES|AveRSS\r
1|alice|COMPLETED|2026-11-21T23:45:41|2026-11-21T23:45:43|2|00:00.004|cpu=1,mem=100M|\r
1.batch||COMPLETED|2026-11-21T23:45:41|2026-11-21T23:45:43|2|00:00.004|cpu=1|3212K\r
2|bob|COMPLETED|yesterday|2026-11-21T23:45:43|2|00:01|cpu=1|
3|carol|FAILED|2026-11-21T23:45:41|2026-11-21T23:45:43|2
4|dave|RUNNING|2026-11-21T23:45:41|Unknown|5|00:00:00|cpu=x|
5||COMPLETED|2026-11-21T23:45:41|2026-11-21T23:45:43|2|00:00.004|cpu=1|

7.batch||COMPLETED|2026-11-21T23:45:41|2026-11-21T23:45:43|2|00:00.004|cpu=1|1K
1.0||COMPLETED|2026-11-21T23:45:41|2026-11-21T23:45:43|2|garbage|cpu=1|1K
1|alice|COMPLETED|2026-11-21T23:45:41|2026-11-21T23:45:43|2|00:00.004|cpu=1|
1.1||COMPLETED|2026-11-21T23:45:41|2026-11-21T23:45:43|2|00:09.000|cpu=1|
8|erin|COMPLETED|2026-11-21T23:45:41|2026-11-21T23:45:43|2|00:00.004||
|erin|COMPLETED|2026-11-21T23:45:41|2026-11-21T23:45:43|2|00:00.004||
";
    let output = parse_sacct(text, Layout::HeaderLine, &OPTIONS).expect("the header is fine");
    assert_eq!(ids(&output), ["1", "8"]);
    let one = &output.jobs[0];
    assert_eq!(
        (one.cpu_used_ms, one.mem_used_kib_s, one.alloc_mem_mb),
        (Some(4), Some(3212 * 2), 100)
    );
    let expected = [
        "line 4: job 2: Start: ",
        "line 5: 6 fields where the header has 9",
        "line 6: job 4: TRES cpu=\"x\" is not a whole number",
        "line 7: job 5: no User (and no UID)",
        "line 9: step 7.batch has no readable job line 7",
        "line 10: step 1.0: TotalCPU: not a Slurm duration",
        "line 11: job 1 appears again",
        "line 14: empty JobID",
    ];
    assert_eq!(output.warnings.len(), expected.len(), "{:#?}", output.warnings);
    for (warning, start) in output.warnings.iter().zip(expected) {
        assert!(warning.starts_with(start), "{warning:?} should start with {start:?}");
    }
}

#[test]
fn unusable_headers_are_errors_and_empty_input_is_empty() {
    let err = parse_sacct("JobID|Elapsed\n1|00:00:01\n", Layout::HeaderLine, &OPTIONS).expect_err("no User");
    assert!(
        err.contains("User") && err.contains("State") && err.contains("End"),
        "{err}"
    );
    assert!(parse_sacct("", Layout::HeaderLine, &OPTIONS).is_ok_and(|out| out.jobs.is_empty()));
    assert!(
        parse_sacct("\n\n", Layout::Columns(&["JobID", "User", "State", "End"]), &OPTIONS)
            .is_ok_and(|o| o.warnings.is_empty())
    );
}

#[test]
fn cut_sacct_text_never_panics() {
    let text = fixture("live/sacct-default.header.psv");
    let mut at = 0;
    while at < text.len() {
        if text.is_char_boundary(at) {
            let _ = parse_sacct(&text[..at], Layout::HeaderLine, &OPTIONS);
            let mangled = format!("{}|{}", &text[..at], &text[at..]);
            let _ = parse_sacct(&mangled, Layout::HeaderLine, &OPTIONS);
        }
        at += 7;
    }
}

#[test]
fn odd_slurmrestd_answers_are_errors_not_panics() {
    let not_json = parse_jobs_response(200, "<html>proxy error</html>");
    assert!(
        matches!(not_json, Err(ResponseError::Failed(ref why)) if why.contains("not JSON")),
        "{not_json:?}"
    );
    let gateway = parse_jobs_response(
        502,
        r#"{"errors":[{"error_number":7000,"error":"Unable to connect to database","description":"Failed to open slurmdbd connection, authentication error"}]}"#,
    );
    assert!(
        matches!(gateway, Err(ResponseError::Failed(ref why)) if why.contains("HTTP 502") && why.contains("authentication error")),
        "{gateway:?}"
    );
    let bad_token = parse_jobs_response(
        200,
        r#"{"errors":[{"error_number":1007,"error":"Protocol authentication error"}],"jobs":[]}"#,
    );
    assert!(
        matches!(bad_token, Err(ResponseError::Failed(ref why)) if why.contains("Protocol authentication error")),
        "{bad_token:?}"
    );
    assert_eq!(
        parse_jobs_response(404, "Unable find requested URL."),
        Err(ResponseError::NotServed)
    );
    let unauthorized = parse_jobs_response(401, "Authentication failure");
    assert!(
        matches!(unauthorized, Err(ResponseError::Failed(ref why)) if why.contains("401") && why.contains("Authentication failure"))
    );
    assert!(parse_jobs_response(200, r#"{"errors":[]}"#).is_err());
    let ignored = parse_jobs_response(
        200,
        r#"{"errors":[],"warnings":[{"description":"Ignoring unknown field \"bogus\""}],"jobs":[]}"#,
    );
    assert_eq!(
        ignored.map(|out| out.warnings),
        Ok(vec!["slurmrestd warning: Ignoring unknown field \"bogus\"".to_owned()])
    );
}

#[test]
fn unreadable_jobs_are_warnings_and_the_rest_imports() {
    let mut document: Value =
        serde_json::from_str(&fixture("v0.0.40/rest-slurmdb-v0.0.40-jobs.3jobs.json")).expect("json");
    let jobs = document["jobs"].as_array_mut().expect("jobs");
    // no user at all (v0.0.40 still fills association.user, which would be used instead)
    jobs[0]["user"] = Value::Null;
    jobs[0]["association"] = Value::Null;
    jobs[1]["state"] = serde_json::json!({"current": []});
    jobs.push(serde_json::json!("not a job"));
    let output = parse_jobs_response(200, &document.to_string()).expect("readable document");
    assert_eq!(output.jobs.len(), 1);
    assert_eq!(output.warnings.len(), 3, "{:?}", output.warnings);
    assert!(
        output.warnings[0].starts_with("jobs[0]: job 2: no user"),
        "{:?}",
        output.warnings
    );
    assert!(
        output.warnings[2].starts_with("jobs[3]: no job_id"),
        "{:?}",
        output.warnings
    );
}

/// Replaces every value in a real document, one at a time, with values of other shapes.
#[test]
fn every_field_of_a_real_document_can_be_any_shape() {
    let document: Value = serde_json::from_str(&fixture("v0.0.45/rest-slurmdb-v0.0.45-job-2.json")).expect("json");
    let mut pointers = Vec::new();
    collect_pointers(&document, String::new(), &mut pointers);
    assert!(pointers.len() > 300, "{}", pointers.len());
    for pointer in &pointers {
        for replacement in [
            Value::Null,
            serde_json::json!("x"),
            serde_json::json!(-1),
            serde_json::json!({}),
            serde_json::json!([{}]),
        ] {
            let mut mutated = document.clone();
            if let Some(slot) = mutated.pointer_mut(pointer) {
                *slot = replacement;
            }
            let _ = parse_jobs_response(200, &mutated.to_string());
        }
    }
}

fn collect_pointers(value: &Value, at: String, out: &mut Vec<String>) {
    match value {
        Value::Object(fields) => {
            for (key, child) in fields {
                collect_pointers(
                    child,
                    format!("{at}/{}", key.replace('~', "~0").replace('/', "~1")),
                    out,
                );
            }
        }
        Value::Array(items) => {
            for (i, child) in items.iter().enumerate() {
                collect_pointers(child, format!("{at}/{i}"), out);
            }
        }
        _ => {}
    }
    out.push(at);
}

#[test]
fn sacct_default_table_output_is_refused_readably() {
    // plain `sacct` (fixed-width columns, no --parsable2) is not the expected format: the
    // "header" has no `|`, so the required columns are reported missing
    let err = parse_sacct(&fixture("shared-22.05/sacct-default.txt"), Layout::HeaderLine, &OPTIONS)
        .expect_err("not parsable2");
    assert!(err.contains("lacks the column(s) JobID, User, State, End"), "{err}");
}
