//! A schema over real services on a temporary SQLite database, and callers signed in as each
//! role.

use async_graphql::{Request, Variables};
use hpcb_core::auth::{AuthSettings, Principal, Role};
use hpcb_core::clock::ManualClock;
use hpcb_core::context::{Actor, RequestMeta};
use hpcb_core::db::{Db, DbOptions};
use hpcb_core::tiers::TierRules;
use hpcb_core::{Services, ServicesConfig};
use hpcb_entities::Currency;
use hpcb_migration::{Migrator, MigratorTrait};
use hpcb_schema::{AppSchema, Caller, CookiePolicy, Limits};
use serde_json::Value;
use std::sync::Arc;
use std::time::Duration;

/// A schema and the services behind it; the database folder goes with it.
pub struct Api {
    pub schema: AppSchema,
    pub services: Services,
    dir: std::path::PathBuf,
}

impl Drop for Api {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

pub const PASSWORD: &str = "in-process-pass-1";

impl Api {
    /// A fresh database, migrated, with `admin`, `finance1`, `alice` and `bob`.
    pub async fn new() -> Api {
        let dir = std::env::temp_dir().join(format!("hpcb-schema-{}", hex::encode(rand::random::<[u8; 6]>())));
        std::fs::create_dir_all(&dir).expect("temp dir");
        let db = Db::connect(&DbOptions {
            url: format!("sqlite://{}?mode=rwc", dir.join("t.db").display()),
            max_connections: 5,
            acquire_timeout: Duration::from_secs(10),
        })
        .await
        .expect("connect");
        Migrator::up(db.conn(), None).await.expect("migrate");
        let mut auth = AuthSettings {
            jwt_secret: vec![7; 32],
            ..AuthSettings::default()
        };
        auth.argon2.memory_kib = 256;
        auth.argon2.iterations = 1;
        let config = ServicesConfig {
            auth,
            audit_key: vec![5; 32],
            default_currency: Currency::THB,
            tier_rules: TierRules::default(),
            tax: hpcb_core::receipts::TaxSettings::default(),
            payments: Default::default(),
        };
        let clock = Arc::new(ManualClock::new(1_790_000_000_000));
        let services = Services::new(db, config, clock, None, Vec::new()).expect("services");
        let meta = RequestMeta::default();
        for (name, role) in [
            ("admin", Role::Admin),
            ("finance1", Role::Finance),
            ("alice", Role::User),
            ("bob", Role::User),
        ] {
            services
                .users
                .create(Actor::System("test"), &meta, name, PASSWORD, role)
                .await
                .expect("create user");
        }
        let limits = Limits {
            depth: 15,
            complexity: 20_000,
            introspection: true,
        };
        let schema = hpcb_schema::build(services.clone(), CookiePolicy { secure: false }, &limits);
        Api { schema, services, dir }
    }

    /// A signed-in caller (bearer token, as scripts use).
    pub async fn principal(&self, username: &str) -> Principal {
        let meta = RequestMeta::default();
        let login = self
            .services
            .auth
            .login(username, PASSWORD, &meta)
            .await
            .expect("login");
        self.services
            .auth
            .authenticate(&login.token, false, None)
            .await
            .expect("authenticate")
    }

    /// Runs `query` as `who` (`None`: anonymous) and returns the response as JSON.
    pub async fn run(&self, who: Option<&Principal>, query: &str, variables: Value) -> Value {
        let request = Request::new(query)
            .variables(Variables::from_json(variables))
            .data(Caller(who.cloned()))
            .data(RequestMeta::default());
        let response = self.schema.execute(request).await;
        serde_json::to_value(&response).expect("response as JSON")
    }
}

/// The `extensions.code` of the first error.
pub fn code(v: &Value) -> Option<&str> {
    v["errors"][0]["extensions"]["code"].as_str()
}
