//! Login, logout and request authentication.

use super::external::ExternalAuthenticator;
use super::password::PasswordHasher;
use super::principal::{AuthVia, Principal, Role};
use super::settings::AuthSettings;
use super::throttle_store::Throttle;
use super::token::TokenIssuer;
use crate::audit::{AuditService, NewAuditEntry, Target};
use crate::clock::Clock;
use crate::context::RequestMeta;
use crate::db::{Db, WriteTx};
use crate::error::{CoreError, CoreResult};
use crate::metrics::Metrics;
use crate::users::User;
use hpcb_entities::tables::{sessions, users};
use hpcb_entities::UserId;
use sea_orm::{ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, NotSet, QueryFilter, Set};
use serde_json::json;
use sha2::{Digest, Sha256};
use std::sync::Arc;

/// What a successful login hands back.
#[derive(Clone, Debug)]
pub struct LoginOutcome {
    /// Signed bearer token (also the cookie value for browsers).
    pub token: String,
    /// When the token expires, Unix ms.
    pub token_expires_at: i64,
    /// The session's CSRF token, to echo in `X-CSRF-Token` on cookie-authenticated mutations.
    pub csrf_token: String,
    /// The session id.
    pub session_id: String,
    /// The account.
    pub user: User,
}

/// Authentication service.
#[derive(Clone)]
pub struct AuthService {
    db: Db,
    settings: Arc<AuthSettings>,
    hasher: PasswordHasher,
    tokens: TokenIssuer,
    audit: AuditService,
    clock: Arc<dyn Clock>,
    metrics: Metrics,
    external: Option<Arc<dyn ExternalAuthenticator>>,
    throttle: Throttle,
}

/// The verdict on a set of credentials, before throttling is applied.
enum Verdict {
    Good(users::Model),
    Disabled,
    /// A new account vouched for by the external authenticator.
    GoodExternal,
    Bad(&'static str),
}

fn sha256_hex(s: &str) -> String {
    hex::encode(Sha256::digest(s.as_bytes()))
}

/// Compares two strings in time independent of where they differ.
fn constant_time_eq(a: &str, b: &str) -> bool {
    a.len() == b.len() && a.bytes().zip(b.bytes()).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

impl AuthService {
    /// Builds the service.
    #[expect(
        clippy::too_many_arguments,
        reason = "a constructor that wires every dependency once"
    )]
    pub fn new(
        db: Db,
        settings: Arc<AuthSettings>,
        hasher: PasswordHasher,
        tokens: TokenIssuer,
        audit: AuditService,
        clock: Arc<dyn Clock>,
        metrics: Metrics,
        external: Option<Arc<dyn ExternalAuthenticator>>,
        throttle: Throttle,
    ) -> AuthService {
        AuthService {
            db,
            settings,
            hasher,
            tokens,
            audit,
            clock,
            metrics,
            external,
            throttle,
        }
    }

    /// Logs in with a user name and password, subject to the login throttle (per name and
    /// address, per address, per account: see [`super::ThrottleSettings`]).
    pub async fn login(&self, username: &str, password: &str, meta: &RequestMeta) -> CoreResult<LoginOutcome> {
        let username = username.trim();
        if username.is_empty() || username.len() > 128 {
            return Err(CoreError::validation("username", "must be 1 to 128 characters"));
        }
        if password.is_empty() || password.len() > 1024 {
            return Err(CoreError::validation("password", "must be 1 to 1024 characters"));
        }
        let key = username.to_lowercase();

        // Cheap check first: a locked attempt is refused before any password hashing.
        self.throttle.check(&key, meta).await?;

        let verdict = self.check_credentials(username, password).await?;

        let mut tx = self.db.begin_write().await?;
        tx.serialize().await?;
        let Ok(counters) = self.throttle.recheck(&mut tx, &key, meta).await? else {
            // Locked while the password was being checked: refused (and audited) as a locked
            // attempt is.
            drop(tx);
            self.throttle.check(&key, meta).await?;
            return Err(CoreError::RateLimited { retry_after_secs: 1 });
        };
        match verdict {
            Verdict::Good(user) => self.finish_login(tx, &key, user, meta).await,
            Verdict::GoodExternal => {
                let user = self.create_external_user(&tx, username).await?;
                self.finish_login(tx, &key, user, meta).await
            }
            Verdict::Disabled | Verdict::Bad(_) => {
                let reason = match &verdict {
                    Verdict::Disabled => "account disabled",
                    Verdict::Bad(r) => r,
                    _ => unreachable!("matched above"),
                };
                self.throttle.failure(&mut tx, counters, &key, meta, reason).await?;
                tx.commit().await?;
                match verdict {
                    Verdict::Disabled => Err(CoreError::Forbidden("this account is disabled".into())),
                    _ => Err(CoreError::Unauthenticated("invalid username or password".into())),
                }
            }
        }
    }

    async fn check_credentials(&self, username: &str, password: &str) -> CoreResult<Verdict> {
        let user = users::Entity::find()
            .filter(users::Column::Username.eq(username))
            .one(self.db.conn())
            .await?;
        match user {
            Some(u) if u.auth_source == "local" => {
                let ok = self.hasher.verify(password, u.password_hash.as_deref()).await?;
                Ok(match (ok, u.disabled) {
                    (true, false) => Verdict::Good(u),
                    (true, true) => Verdict::Disabled,
                    (false, _) => Verdict::Bad("wrong password"),
                })
            }
            Some(u) => match self.external_check(username, password).await? {
                Some(true) if u.disabled => Ok(Verdict::Disabled),
                Some(true) => Ok(Verdict::Good(u)),
                Some(false) => Ok(Verdict::Bad("external authentication refused")),
                None => Ok(Verdict::Bad("external authentication is not enabled")),
            },
            None => match self.external_check(username, password).await? {
                Some(true) => Ok(Verdict::GoodExternal),
                Some(false) => Ok(Verdict::Bad("unknown user")),
                None => {
                    // Spend the same time as a wrong password so user names cannot be probed.
                    self.hasher.verify(password, None).await?;
                    Ok(Verdict::Bad("unknown user"))
                }
            },
        }
    }

    async fn external_check(&self, username: &str, password: &str) -> CoreResult<Option<bool>> {
        let Some(ext) = self.external.clone() else {
            return Ok(None);
        };
        let (u, p) = (username.to_owned(), password.to_owned());
        let ok = tokio::task::spawn_blocking(move || ext.authenticate(&u, &p))
            .await
            .map_err(CoreError::internal)??;
        Ok(Some(ok))
    }

    async fn create_external_user(&self, tx: &WriteTx, username: &str) -> CoreResult<users::Model> {
        if let Some(u) = users::Entity::find()
            .filter(users::Column::Username.eq(username))
            .one(&**tx)
            .await?
        {
            return Ok(u);
        }
        let now = self.clock.now_ms();
        let source = self.external.as_ref().map(|e| e.source()).unwrap_or("external");
        Ok(users::ActiveModel {
            id: NotSet,
            username: Set(username.to_owned()),
            password_hash: Set(None),
            role: Set(Role::User.as_str().into()),
            auth_source: Set(source.into()),
            disabled: Set(false),
            created_at: Set(now),
            updated_at: Set(now),
            language: Set(None),
        }
        .insert(&**tx)
        .await?)
    }

    async fn finish_login(
        &self,
        mut tx: WriteTx,
        key: &str,
        user: users::Model,
        meta: &RequestMeta,
    ) -> CoreResult<LoginOutcome> {
        self.throttle.success(&tx, key, meta).await?;
        let now = self.clock.now_ms();
        let session_id = hex::encode(rand::random::<[u8; 32]>());
        let csrf_token = hex::encode(rand::random::<[u8; 32]>());
        sessions::ActiveModel {
            id: Set(session_id.clone()),
            user_id: Set(user.id),
            csrf_hash: Set(sha256_hex(&csrf_token)),
            created_at: Set(now),
            expires_at: Set(now + self.settings.session_ttl_secs * 1000),
            revoked_at: Set(None),
            ip: Set(meta.ip.clone()),
            user_agent: Set(meta.user_agent.as_deref().map(crate::audit::truncate_ua)),
        }
        .insert(&*tx)
        .await?;
        let ttl = self.settings.token_ttl_secs.min(self.settings.session_ttl_secs);
        let (token, token_expires_at) = self.tokens.issue(&user.username, &session_id, now, ttl)?;
        self.audit
            .append(
                &mut tx,
                meta,
                NewAuditEntry {
                    actor: Some(&user.username),
                    action: "auth.login.success",
                    target: Some(Target::User(&user.username).render()),
                    status: "ok",
                    details: json!({"source": user.auth_source}),
                },
            )
            .await?;
        tx.commit().await?;
        self.metrics.login_success.inc();
        Ok(LoginOutcome {
            token,
            token_expires_at,
            csrf_token,
            session_id,
            user: User::try_from(user)?,
        })
    }

    /// Resolves a presented token into a principal, checking the session on every call.
    pub async fn authenticate(
        &self,
        token: &str,
        via_cookie: bool,
        csrf_header: Option<&str>,
    ) -> CoreResult<Principal> {
        let now = self.clock.now_ms();
        let claims = self.tokens.check(token, now)?;
        let (session, user) = self.live_session(&claims.sid, &claims.sub).await?;
        let via = if via_cookie {
            let csrf_ok = csrf_header.is_some_and(|h| constant_time_eq(&sha256_hex(h), &session.csrf_hash));
            AuthVia::Cookie { csrf_ok }
        } else {
            AuthVia::Bearer
        };
        Ok(Principal {
            user_id: UserId(user.id),
            username: user.username,
            role: user.role.parse()?,
            session_id: session.id,
            via,
            token_expires_at: claims.exp * 1000,
        })
    }

    /// The session and its account as they are now: refused once the session was revoked or
    /// ran out, or the account was disabled.
    async fn live_session(&self, session_id: &str, username: &str) -> CoreResult<(sessions::Model, users::Model)> {
        let now = self.clock.now_ms();
        let gone = || CoreError::Unauthenticated("session ended; log in again".into());
        let session = sessions::Entity::find_by_id(session_id.to_owned())
            .one(self.db.conn())
            .await?
            .ok_or_else(gone)?;
        if session.revoked_at.is_some() || session.expires_at <= now {
            return Err(gone());
        }
        let user = users::Entity::find_by_id(session.user_id)
            .one(self.db.conn())
            .await?
            .ok_or_else(gone)?;
        if user.disabled || user.username != username {
            return Err(gone());
        }
        Ok((session, user))
    }

    /// Re-checks a principal of a long-lived connection (a WebSocket) against the session and
    /// account as they are now: the current role, or an error once the session ended or the
    /// account was disabled. Also returns when the session runs out (Unix ms). The connection
    /// authenticated with a token once; the session, not that token, decides from then on.
    pub async fn revalidate(&self, p: &Principal) -> CoreResult<(Principal, i64)> {
        let (session, user) = self.live_session(&p.session_id, &p.username).await?;
        let fresh = Principal {
            role: user.role.parse()?,
            ..p.clone()
        };
        Ok((fresh, session.expires_at))
    }

    /// A fresh token for a live session (browsers get one when half the old one's life is
    /// gone), never outliving the session.
    pub async fn reissue(&self, p: &Principal) -> CoreResult<Option<(String, i64)>> {
        let now = self.clock.now_ms();
        let ttl_ms = self.settings.token_ttl_secs * 1000;
        if p.token_expires_at - now > ttl_ms / 2 {
            return Ok(None);
        }
        let session = sessions::Entity::find_by_id(p.session_id.clone())
            .one(self.db.conn())
            .await?;
        let Some(s) = session.filter(|s| s.revoked_at.is_none()) else {
            return Ok(None);
        };
        let ttl = ((s.expires_at - now) / 1000).min(self.settings.token_ttl_secs);
        if ttl <= 0 {
            return Ok(None);
        }
        self.tokens.issue(&p.username, &p.session_id, now, ttl).map(Some)
    }

    /// Ends the caller's session.
    pub async fn logout(&self, p: &Principal, meta: &RequestMeta) -> CoreResult<()> {
        p.require_csrf()?;
        let mut tx = self.db.begin_write().await?;
        let sid = p.session_id.clone();
        revoke_where(&*tx, p.user_id, self.clock.now_ms(), move |q| {
            q.filter(sessions::Column::Id.eq(sid))
        })
        .await?;
        self.audit
            .append(
                &mut tx,
                meta,
                NewAuditEntry {
                    actor: Some(&p.username),
                    action: "auth.logout",
                    target: Some(Target::User(&p.username).render()),
                    status: "ok",
                    details: json!({}),
                },
            )
            .await?;
        tx.publish_after_commit(crate::events::Event::AccountChanged {
            username: p.username.clone(),
        });
        tx.commit().await
    }

    /// The password hasher, shared with account management.
    pub fn hasher(&self) -> &PasswordHasher {
        &self.hasher
    }
}

/// Revokes every live session of a user (disabling an account).
pub(crate) async fn revoke_all<C: ConnectionTrait>(conn: &C, user: UserId, now: i64) -> CoreResult<u64> {
    revoke_where(conn, user, now, |q| q).await
}

/// Revokes every live session of a user but `keep` (a password change keeps the caller's own).
pub(crate) async fn revoke_except<C: ConnectionTrait>(
    conn: &C,
    user: UserId,
    keep: Option<&str>,
    now: i64,
) -> CoreResult<u64> {
    let keep = keep.map(str::to_owned);
    revoke_where(conn, user, now, move |q| match keep {
        Some(k) => q.filter(sessions::Column::Id.ne(k)),
        None => q,
    })
    .await
}

async fn revoke_where<C: ConnectionTrait>(
    conn: &C,
    user: UserId,
    now: i64,
    narrow: impl FnOnce(sea_orm::UpdateMany<sessions::Entity>) -> sea_orm::UpdateMany<sessions::Entity>,
) -> CoreResult<u64> {
    let q = sessions::Entity::update_many()
        .col_expr(sessions::Column::RevokedAt, sea_orm::sea_query::Expr::value(now))
        .filter(sessions::Column::UserId.eq(user.0))
        .filter(sessions::Column::RevokedAt.is_null());
    Ok(narrow(q).exec(conn).await?.rows_affected)
}
