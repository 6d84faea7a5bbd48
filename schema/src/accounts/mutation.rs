//! Account mutations.

use super::types::{LanguageGql, LoginPayload, RoleGql, UserGql};
use crate::context::{meta, principal, services, CookiePolicy, SessionCookies};
use crate::error::ApiError;
use crate::scalars::DateTime;
use async_graphql::{Context, Object};
use hpcb_core::context::Actor;

/// Account mutations.
#[derive(Default)]
pub struct AccountMutation;

#[Object]
impl AccountMutation {
    /// Signs in. Repeated failures for one user name from one address lock that pair for a
    /// while (`RATE_LIMITED` with `retryAfter`).
    async fn login(&self, ctx: &Context<'_>, username: String, password: String) -> Result<LoginPayload, ApiError> {
        let svc = services(ctx)?;
        let out = svc.auth.login(&username, &password, &meta(ctx)).await?;
        let policy = ctx.data::<CookiePolicy>()?;
        let max_age = (out.token_expires_at - svc.clock.now_ms()) / 1000;
        for c in SessionCookies::set(policy, &out.token, &out.csrf_token, max_age) {
            ctx.append_http_header("set-cookie", c);
        }
        Ok(LoginPayload {
            token: out.token,
            expires_at: DateTime(out.token_expires_at),
            csrf_token: out.csrf_token,
            user: out.user.into(),
        })
    }

    /// Ends the current session; its token stops working at once.
    async fn logout(&self, ctx: &Context<'_>) -> Result<bool, ApiError> {
        let p = principal(ctx)?;
        services(ctx)?.auth.logout(p, &meta(ctx)).await?;
        for c in SessionCookies::clear(ctx.data::<CookiePolicy>()?) {
            ctx.append_http_header("set-cookie", c);
        }
        Ok(true)
    }

    /// Creates a local account (admin).
    async fn create_user(
        &self,
        ctx: &Context<'_>,
        username: String,
        password: String,
        #[graphql(default_with = "RoleGql::User")] role: RoleGql,
    ) -> Result<UserGql, ApiError> {
        let p = principal(ctx)?;
        let u = services(ctx)?
            .users
            .create(Actor::User(p), &meta(ctx), &username, &password, role.into())
            .await?;
        Ok(u.into())
    }

    /// Changes an account's role (admin); takes effect on the account's next request.
    async fn set_user_role(&self, ctx: &Context<'_>, username: String, role: RoleGql) -> Result<UserGql, ApiError> {
        let p = principal(ctx)?;
        Ok(services(ctx)?
            .users
            .set_role(Actor::User(p), &meta(ctx), &username, role.into())
            .await?
            .into())
    }

    /// Disables an account and ends its sessions (admin).
    async fn disable_user(&self, ctx: &Context<'_>, username: String) -> Result<UserGql, ApiError> {
        let p = principal(ctx)?;
        Ok(services(ctx)?
            .users
            .set_disabled(Actor::User(p), &meta(ctx), &username, true)
            .await?
            .into())
    }

    /// Re-enables a disabled account (admin).
    async fn enable_user(&self, ctx: &Context<'_>, username: String) -> Result<UserGql, ApiError> {
        let p = principal(ctx)?;
        Ok(services(ctx)?
            .users
            .set_disabled(Actor::User(p), &meta(ctx), &username, false)
            .await?
            .into())
    }

    /// Lifts the login locks of a name from every address and clears its failure counts
    /// (admin; audited as `user.unlock`). Returns how many locks in force were lifted.
    async fn unlock_user(&self, ctx: &Context<'_>, username: String) -> Result<i32, ApiError> {
        let p = principal(ctx)?;
        let lifted = services(ctx)?
            .users
            .unlock(Actor::User(p), &meta(ctx), &username)
            .await?;
        Ok(i32::try_from(lifted).unwrap_or(i32::MAX))
    }

    /// Changes your own password; your other sessions end.
    async fn change_password(
        &self,
        ctx: &Context<'_>,
        current_password: String,
        new_password: String,
    ) -> Result<bool, ApiError> {
        let p = principal(ctx)?;
        services(ctx)?
            .users
            .change_password(p, &meta(ctx), &current_password, &new_password)
            .await?;
        Ok(true)
    }

    /// Remembers the dashboard language you chose, for every browser you sign in from.
    async fn set_language(&self, ctx: &Context<'_>, language: LanguageGql) -> Result<bool, ApiError> {
        let p = principal(ctx)?;
        services(ctx)?.users.set_language(p, language.into()).await?;
        Ok(true)
    }

    /// Sets another account's password (admin); that account's sessions end.
    async fn set_user_password(&self, ctx: &Context<'_>, username: String, password: String) -> Result<bool, ApiError> {
        let p = principal(ctx)?;
        services(ctx)?
            .users
            .set_password(Actor::User(p), &meta(ctx), &username, &password)
            .await?;
        Ok(true)
    }
}
