//! `hpc-billing demo`: the server with a generated, realistic data set, ingested through the
//! CSV plugin, ready to explore in seconds.

use super::Failure;
use crate::app::Application;
use crate::cli::exit;
use crate::config::{ChainLink, Config, SourceEntry};
use crate::demo_data::{generate, DumpSpec, USERS};
use hpcb_core::auth::Role;
use hpcb_core::context::{Actor, RequestMeta};
use hpcb_core::CoreError;

/// Password of the demo's users, and of its admin when the demo creates that account.
const DEMO_PASSWORD: &str = "demo-password-1";

/// Generates the data (once), configures the CSV source, ingests it and serves.
pub async fn run(mut config: Config, jobs: usize) -> Result<(), Failure> {
    let dir = config.data_dir().join("demo");
    std::fs::create_dir_all(&dir)
        .map_err(|e| Failure::new(exit::FAILURE, format!("cannot create {}: {e}", dir.display())))?;
    let file = dir.join(format!("sacct-demo-{jobs}.psv"));
    if !file.exists() {
        let end_s = chrono::Utc::now().timestamp() - 3600;
        let text = generate(&DumpSpec {
            jobs,
            seed: 2026,
            end_s,
            span_s: 120 * 86_400,
            odd_every: 0,
        });
        std::fs::write(&file, text)
            .map_err(|e| Failure::new(exit::FAILURE, format!("cannot write {}: {e}", file.display())))?;
    }
    let abs_dir = std::fs::canonicalize(&dir).unwrap_or(dir.clone());
    let abs_file = abs_dir.join(file.file_name().unwrap_or_default());
    let mut settings = toml::map::Map::new();
    settings.insert("path".into(), toml::Value::String(abs_file.display().to_string()));
    config.sources.retain(|s| s.name != "demo");
    config.sources.push(SourceEntry {
        name: "demo".into(),
        cluster: "demo".into(),
        interval_secs: 0,
        overlap_secs: 0,
        initial_lookback_secs: 0,
        chain: vec![ChainLink {
            plugin: "usage-csv".into(),
            settings: toml::Value::Table(settings),
            allow_hosts: Vec::new(),
            allow_plain_http: false,
            allow_programs: Vec::new(),
            allow_dirs: vec![abs_dir.display().to_string()],
            secrets: Default::default(),
            timeout_secs: 300,
        }],
    });
    // The development gateway, so receipts can be paid end to end: its checkout page is
    // served here and it signs its webhooks with a secret made for this run.
    if !config.payments.gateways.iter().any(|g| g.plugin == "dummy") {
        let secret = hex::encode(rand::random::<[u8; 24]>());
        config.payments.gateways.push(ChainLink {
            plugin: "dummy".into(),
            settings: toml::Value::Table(Default::default()),
            allow_hosts: Vec::new(),
            allow_plain_http: false,
            allow_programs: Vec::new(),
            allow_dirs: Vec::new(),
            secrets: [("webhook_secret".to_owned(), crate::secret::Secret::new(secret))]
                .into_iter()
                .collect(),
            timeout_secs: 30,
        });
    }
    // The demo is for exploring: GraphiQL on, whatever the default.
    config.graphql.graphiql = true;
    let configured_admin = !config.auth.admin_password.is_empty();
    let app = Application::build(config).await?;
    let services = app.services().clone();
    let meta = RequestMeta::cli();
    // The admin: one the operator configured (whose password is theirs and never printed), one
    // that already exists, or one made now with the demo password.
    let admin = if configured_admin {
        "admin / the password of HPC_BILLING_ADMIN_PASSWORD".to_owned()
    } else if services.bootstrap_admin(DEMO_PASSWORD).await.map_err(Failure::core)? {
        format!("admin / {DEMO_PASSWORD}")
    } else {
        "admin (an existing account: its password is unchanged)".to_owned()
    };
    for (user, _) in USERS {
        match services
            .users
            .create(Actor::System("demo"), &meta, user, DEMO_PASSWORD, Role::User)
            .await
        {
            Ok(_) | Err(CoreError::Conflict(_)) => {}
            Err(e) => return Err(Failure::core(e)),
        }
    }
    match services
        .users
        .create(Actor::System("demo"), &meta, "finance", DEMO_PASSWORD, Role::Finance)
        .await
    {
        Ok(_) | Err(CoreError::Conflict(_)) => {}
        Err(e) => return Err(Failure::core(e)),
    }
    let now = services.clock.now_ms();
    let report = services
        .ingest
        .run_now(Actor::System("demo"), &meta, "demo", 0, now + 86_400_000)
        .await
        .map_err(Failure::core)?;
    let addr = app
        .local_addr()
        .map_err(|e| Failure::new(exit::FAILURE, e.to_string()))?;
    println!(
        "demo: {} jobs from {} ingested ({} new); open http://{addr}/",
        report.fetched,
        file.display(),
        report.inserted
    );
    println!("demo: sign in as {admin}, finance / {DEMO_PASSWORD}, or alice, bob, … / {DEMO_PASSWORD}");
    println!(
        "demo: pay a receipt with the development gateway: createReceipt, then startPayment(receiptId: …, provider: \"dummy\") and open its checkoutUrl"
    );
    app.run_until_stopped()
        .await
        .map_err(|e| Failure::new(exit::FAILURE, format!("{e:#}")))
}
