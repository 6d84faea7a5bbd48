//! The GraphQL contract of hpc-billing.
//!
//! The schema is built here without any HTTP concerns: the server attaches the caller (a
//! [`Caller`]) and the request metadata per request and serves the result over axum. Resolvers
//! are thin: they take the caller and the services from the context, call one core service
//! function, and map the result. Every error leaves through [`ApiError`], which assigns the
//! stable `extensions.code` (see `error.rs` for the table).

mod accounts;
mod audit;
mod context;
mod cost;
mod error;
mod live;
mod operations;
mod payments;
mod rates;
mod receipts;
mod scalars;
mod usage;

pub use context::{Caller, CookiePolicy, SessionCookies};
pub use error::{core_to_graphql, ApiError, ErrorCode};
/// The `Decimal` and `DateTime` scalars, for tests from outside the crate of how they read input
/// values (`tests/fuzz`).
#[doc(hidden)]
pub use scalars::{DateTime, Dec};

use async_graphql::{MergedObject, MergedSubscription, Schema};
use hpcb_core::Services;

/// Root query type.
#[derive(MergedObject, Default)]
#[graphql(name = "Query")]
pub struct QueryRoot(
    accounts::AccountQuery,
    rates::RateQuery,
    audit::AuditQuery,
    usage::UsageQueryRoot,
    receipts::ReceiptQuery,
    payments::PaymentQuery,
    operations::OperationsQuery,
);

/// Root mutation type.
#[derive(MergedObject, Default)]
#[graphql(name = "Mutation")]
pub struct MutationRoot(
    accounts::AccountMutation,
    rates::RateMutation,
    usage::UsageMutation,
    receipts::ReceiptMutation,
    payments::PaymentMutation,
);

/// Root subscription type.
#[derive(MergedSubscription, Default)]
#[graphql(name = "Subscription")]
pub struct SubscriptionRoot(
    audit::AuditSubscription,
    payments::PaymentSubscription,
    receipts::ReceiptSubscription,
);

/// The executable schema.
pub type AppSchema = Schema<QueryRoot, MutationRoot, SubscriptionRoot>;

/// How deep the standard introspection query of graphql-js (`getIntrospectionQuery`, which
/// GraphiQL, Postman, Insomnia and code generators send) nests: the default depth limit, so that
/// every tool's documentation and completion work under the default limits.
pub const INTROSPECTION_DEPTH: usize = 15;

/// The default of `graphql.max_complexity`: about the number of values an answer may hold
/// (lists count their items: see `cost.rs`); a dashboard page of 50 jobs costs about 1,500.
pub const DEFAULT_COMPLEXITY: usize = 20_000;

/// Limits that protect the server from hostile queries.
#[derive(Clone, Debug)]
pub struct Limits {
    /// Deepest selection nesting allowed.
    pub depth: usize,
    /// Highest total complexity (one per field by default).
    pub complexity: usize,
    /// Whether `__schema` / `__type` introspection is answered.
    pub introspection: bool,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            depth: INTROSPECTION_DEPTH,
            complexity: DEFAULT_COMPLEXITY,
            introspection: true,
        }
    }
}

/// Builds the schema with the services and cookie policy attached.
pub fn build(services: Services, cookies: CookiePolicy, limits: &Limits) -> AppSchema {
    let mut b = Schema::build(
        QueryRoot::default(),
        MutationRoot::default(),
        SubscriptionRoot::default(),
    )
    .data(async_graphql::dataloader::DataLoader::new(
        usage::RateLoader(services.clone()),
        tokio::spawn,
    ))
    .data(async_graphql::dataloader::DataLoader::new(
        usage::BilledLoader(services.clone()),
        tokio::spawn,
    ))
    .data(async_graphql::dataloader::DataLoader::new(
        receipts::LinesLoader(services.clone()),
        tokio::spawn,
    ))
    .data(std::sync::Arc::new(
        live::SharedReads::<hpcb_core::payments::Payment>::default(),
    ))
    .data(std::sync::Arc::new(
        live::SharedReads::<hpcb_core::receipts::Receipt>::default(),
    ))
    .data(services)
    .data(cookies)
    .limit_depth(limits.depth)
    .limit_complexity(limits.complexity)
    .limit_recursive_depth(32)
    .limit_directives(16);
    if !limits.introspection {
        b = b.disable_introspection();
    }
    b.finish()
}

/// The schema in SDL, as committed in `schema/schema.graphql`.
pub fn sdl() -> String {
    Schema::build(
        QueryRoot::default(),
        MutationRoot::default(),
        SubscriptionRoot::default(),
    )
    .finish()
    .sdl()
}

/// Gives every error of a response an `extensions.code`: errors raised by our resolvers already
/// carry one; errors the GraphQL library raises get `GRAPHQL_VALIDATION_FAILED` when the
/// document as a whole was refused (parsing, validation, limits: no path) and `BAD_USER_INPUT`
/// when one field's arguments could not be read (with a path).
pub fn ensure_error_codes(resp: &mut async_graphql::Response) {
    for err in &mut resp.errors {
        let has_code = err.extensions.as_ref().is_some_and(|e| e.get("code").is_some());
        if !has_code {
            let code = if err.path.is_empty() {
                ErrorCode::GraphqlValidationFailed
            } else {
                ErrorCode::BadUserInput
            };
            err.extensions
                .get_or_insert_with(Default::default)
                .set("code", code.as_str());
        }
    }
}
