//! Loading, layering, validation and redaction of the configuration.

use super::*;

fn env(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
    pairs.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect()
}

#[test]
fn defaults_need_no_file() {
    let c = Config::load(None, &env(&[("HOME", "/home/ada")])).expect("defaults are valid");
    assert_eq!(c.server.listen, "127.0.0.1:8080");
    assert_eq!(
        c.database_url(),
        "sqlite:///home/ada/.local/share/hpc-billing/hpc-billing.db?mode=rwc"
    );
    assert_eq!(
        c.sqlite_path(),
        Some(PathBuf::from("/home/ada/.local/share/hpc-billing/hpc-billing.db"))
    );
}

#[test]
fn environment_overrides_file_and_aliases_work() {
    let dir = std::env::temp_dir().join(format!("hpcb-cfg-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("temp dir");
    let f = dir.join("c.toml");
    std::fs::write(&f, "[graphql]\nmax_depth = 5\n[server]\nlisten = \"127.0.0.1:9000\"\n").expect("write");
    let c = Config::load(
        Some(&f),
        &env(&[
            ("HPC_BILLING_LISTEN", "127.0.0.1:9100"),
            ("HPC_BILLING_DATABASE_URL", "postgres://x@localhost/db"),
            ("HPC_BILLING_AUTH_THROTTLE_MAX_FAILURES", "3"),
            ("HPC_BILLING_GRAPHQL_GRAPHIQL", "false"),
        ]),
    )
    .expect("valid");
    assert_eq!(c.graphql.max_depth, 5);
    assert_eq!(c.server.listen, "127.0.0.1:9100");
    assert_eq!(c.database.url, "postgres://x@localhost/db");
    assert_eq!(c.auth.throttle.max_failures, 3);
    assert!(!c.graphql.graphiql);
}

#[test]
fn secrets_are_read_but_never_printed() {
    let dir = std::env::temp_dir().join(format!("hpcb-cfg-secret-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("temp dir");
    let f = dir.join("c.toml");
    std::fs::write(
        &f,
        "[[payments.gateways]]\nplugin = \"dummy\"\nsecrets = { webhook_secret = \"whsec-file-value-123\" }\n",
    )
    .expect("write");
    let c = Config::load(
        Some(&f),
        &env(&[
            ("HPC_BILLING_AUTH_JWT_SECRET", "jwt-secret-value-0123456789abcdef0123"),
            ("HPC_BILLING_AUDIT_HMAC_KEY", "audit-key-value-0123456789abcdef01234"),
            ("HPC_BILLING_ADMIN_PASSWORD", "admin-password-value"),
        ]),
    )
    .expect("valid");
    assert_eq!(c.auth.jwt_secret.expose(), "jwt-secret-value-0123456789abcdef0123");
    assert_eq!(c.auth.admin_password.expose(), "admin-password-value");
    let shown = format!("{c:?}");
    for secret in [
        "jwt-secret-value",
        "audit-key-value",
        "admin-password-value",
        "whsec-file-value",
    ] {
        assert!(
            !shown.contains(secret),
            "{secret} appears in the configuration's Debug output"
        );
    }
    assert!(shown.contains("<redacted>"));
}

#[test]
fn errors_name_the_key() {
    let e = Config::load(None, &env(&[("HPC_BILLING_GRAPHQL_MAX_DEPTH", "deep")])).expect_err("not a number");
    assert!(e.to_string().contains("graphql.max_depth"), "{e}");
    let e = Config::load(None, &env(&[("HPC_BILLING_LISTEN", "nowhere")])).expect_err("bad address");
    assert!(e.to_string().contains("server.listen"), "{e}");
    let e = Config::load(None, &env(&[("HPC_BILLING_NO_SUCH_THING", "1")])).expect_err("unknown");
    assert!(e.to_string().contains("HPC_BILLING_NO_SUCH_THING"), "{e}");
    let dir = std::env::temp_dir().join(format!("hpcb-cfg2-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("temp dir");
    let f = dir.join("c.toml");
    std::fs::write(&f, "[auth]\ntoken_ttl_secs = \"long\"\n").expect("write");
    let e = Config::load(Some(&f), &env(&[])).expect_err("wrong type");
    assert!(e.to_string().contains("auth.token_ttl_secs"), "{e}");
    std::fs::write(&f, "[auth]\ntypo_key = 1\n").expect("write");
    let e = Config::load(Some(&f), &env(&[])).expect_err("unknown key");
    assert!(e.to_string().contains("typo_key"), "{e}");
}

#[test]
fn data_dir_is_the_same_from_every_working_directory() {
    let xdg = Config::load(None, &env(&[("HOME", "/home/ada"), ("XDG_DATA_HOME", "/srv/data")])).expect("ok");
    assert_eq!(xdg.data_dir(), PathBuf::from("/srv/data/hpc-billing"));
    let homeless = Config::load(None, &env(&[])).expect("ok");
    assert_eq!(homeless.data_dir(), PathBuf::from("/var/lib/hpc-billing"));
    // Relative in a file: relative to the file, not to where the command runs.
    let dir = std::env::temp_dir().join(format!("hpcb-cfg3-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("temp dir");
    let f = dir.join("c.toml");
    std::fs::write(&f, "[server]\ndata_dir = \"state\"\n").expect("write");
    let c = Config::load(Some(&f), &env(&[])).expect("ok");
    let canonical = std::fs::canonicalize(&dir).expect("canonical");
    assert_eq!(c.data_dir(), canonical.join("state"));
    assert!(c.data_dir().is_absolute());
}

#[test]
fn toml_syntax_errors_give_line_and_column() {
    let dir = std::env::temp_dir().join(format!("hpcb-cfg4-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("temp dir");
    let f = dir.join("c.toml");
    std::fs::write(&f, "[server]\nlisten = \"127.0.0.1:8080\"\n\n[graphql\nmax_depth = 5\n").expect("write");
    let e = Config::load(Some(&f), &env(&[])).expect_err("bad syntax").to_string();
    assert!(e.contains(", line 4, column "), "{e}");
    assert_eq!(e.lines().count(), 1, "{e}");
}

#[test]
fn type_errors_speak_toml_not_rust() {
    let dir = std::env::temp_dir().join(format!("hpcb-cfg5-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("temp dir");
    let f = dir.join("c.toml");
    std::fs::write(&f, "[billing.tax]\nrate = 0.07\n").expect("write");
    let e = Config::load(Some(&f), &env(&[])).expect_err("a float").to_string();
    assert!(e.contains("billing.tax.rate") && e.contains("\"0.07\""), "{e}");
    std::fs::write(&f, "[graphql]\nmax_depth = \"deep\"\n").expect("write");
    let e = Config::load(Some(&f), &env(&[])).expect_err("a string").to_string();
    assert!(e.contains("a whole number"), "{e}");
    assert!(!e.contains("usize"), "{e}");
}
