//! Account management: creating accounts, roles, disabling, passwords.

use crate::audit::{AuditService, Target};
use crate::auth::{AuthSettings, PasswordHasher, Principal, Role, Throttle};
use crate::clock::Clock;
use crate::context::{Actor, RequestMeta};
use crate::db::{Db, WriteTx};
use crate::error::{is_unique_violation, CoreError, CoreResult};
use crate::events::Event;
use hpcb_entities::tables::{login_throttle, users};
use hpcb_entities::UserId;
use sea_orm::{ActiveModelTrait, ColumnTrait, EntityTrait, NotSet, PaginatorTrait, QueryFilter, QueryOrder, Set};
use serde_json::json;
use std::sync::Arc;

/// An account as the rest of the system sees it (never with its password hash).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct User {
    /// Row id.
    pub id: UserId,
    /// Login name.
    pub username: String,
    /// Role.
    pub role: Role,
    /// `local` or `pam`.
    pub auth_source: String,
    /// Whether logins are refused.
    pub disabled: bool,
    /// Creation time, Unix ms.
    pub created_at: i64,
    /// Dashboard language chosen; `None` follows the browser.
    pub language: Option<Language>,
}

/// A language the dashboard speaks.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Language {
    /// English.
    En,
    /// Thai.
    Th,
}

impl Language {
    /// Stored code.
    pub fn as_str(self) -> &'static str {
        match self {
            Language::En => "en",
            Language::Th => "th",
        }
    }

    /// From a stored code; an unknown one (from a later version) is treated as no choice.
    pub fn parse(code: &str) -> Option<Language> {
        match code {
            "en" => Some(Language::En),
            "th" => Some(Language::Th),
            _ => None,
        }
    }
}

impl TryFrom<users::Model> for User {
    type Error = CoreError;
    fn try_from(m: users::Model) -> CoreResult<User> {
        Ok(User {
            id: UserId(m.id),
            role: m
                .role
                .parse()
                .map_err(|_| CoreError::internal(format!("user {} has unknown role {}", m.username, m.role)))?,
            username: m.username,
            auth_source: m.auth_source,
            disabled: m.disabled,
            created_at: m.created_at,
            language: m.language.as_deref().and_then(Language::parse),
        })
    }
}

/// Account management service.
#[derive(Clone)]
pub struct UserService {
    db: Db,
    hasher: PasswordHasher,
    audit: AuditService,
    clock: Arc<dyn Clock>,
    settings: Arc<AuthSettings>,
    throttle: Throttle,
}

/// Checks a login name: 1 to 64 characters of letters, digits and `._@-`, starting with a
/// letter or digit (cluster and e-mail style names both fit).
pub fn validate_username(name: &str) -> CoreResult<()> {
    let ok = !name.is_empty()
        && name.len() <= 64
        && name.chars().next().is_some_and(|c| c.is_ascii_alphanumeric())
        && name.chars().all(|c| c.is_ascii_alphanumeric() || "._@-".contains(c));
    if ok {
        Ok(())
    } else {
        Err(CoreError::validation(
            "username",
            "use 1 to 64 letters, digits or . _ @ -, starting with a letter or digit",
        ))
    }
}

impl UserService {
    /// Builds the service.
    pub fn new(
        db: Db,
        hasher: PasswordHasher,
        audit: AuditService,
        clock: Arc<dyn Clock>,
        settings: Arc<AuthSettings>,
        throttle: Throttle,
    ) -> UserService {
        UserService {
            db,
            hasher,
            audit,
            clock,
            settings,
            throttle,
        }
    }

    fn check_password(&self, field: &str, password: &str) -> CoreResult<()> {
        let n = password.chars().count();
        if n < self.settings.min_password_len || password.len() > 1024 {
            return Err(CoreError::validation(
                field,
                format!("must be at least {} characters", self.settings.min_password_len),
            ));
        }
        Ok(())
    }

    /// All accounts, by name (admin).
    pub async fn list(&self, p: &Principal) -> CoreResult<Vec<User>> {
        p.require(&[Role::Admin])?;
        self.list_all().await
    }

    /// All accounts, by name, for the operator on the command line (no caller to check).
    pub async fn list_all(&self) -> CoreResult<Vec<User>> {
        users::Entity::find()
            .order_by_asc(users::Column::Username)
            .all(self.db.conn())
            .await?
            .into_iter()
            .map(User::try_from)
            .collect()
    }

    /// One account by name, for the CLI and lookups.
    pub async fn find(&self, username: &str) -> CoreResult<Option<User>> {
        users::Entity::find()
            .filter(users::Column::Username.eq(username))
            .one(self.db.conn())
            .await?
            .map(User::try_from)
            .transpose()
    }

    /// Whether any account exists (first-start bootstrap).
    pub async fn count(&self) -> CoreResult<u64> {
        Ok(users::Entity::find().count(self.db.conn()).await?)
    }

    /// Creates a local account (admin).
    pub async fn create(
        &self,
        actor: Actor<'_>,
        meta: &RequestMeta,
        username: &str,
        password: &str,
        role: Role,
    ) -> CoreResult<User> {
        actor.require(&[Role::Admin])?;
        validate_username(username)?;
        self.check_password("password", password)?;
        let hash = self.hasher.hash(password).await?;
        let now = self.clock.now_ms();
        let mut tx = self.db.begin_write().await?;
        let model = users::ActiveModel {
            id: NotSet,
            username: Set(username.to_owned()),
            password_hash: Set(Some(hash)),
            role: Set(role.as_str().into()),
            auth_source: Set("local".into()),
            disabled: Set(false),
            created_at: Set(now),
            updated_at: Set(now),
            language: Set(None),
        }
        .insert(&*tx)
        .await
        .map_err(|e| {
            if is_unique_violation(&e) {
                CoreError::Conflict(format!("user {username:?} already exists"))
            } else {
                e.into()
            }
        })?;
        self.audit_user(
            &mut tx,
            actor,
            meta,
            "user.create",
            username,
            json!({"role": role.as_str()}),
        )
        .await?;
        tx.commit().await?;
        User::try_from(model)
    }

    /// Changes an account's role (admin). The last enabled admin cannot be demoted.
    pub async fn set_role(&self, actor: Actor<'_>, meta: &RequestMeta, username: &str, role: Role) -> CoreResult<User> {
        actor.require(&[Role::Admin])?;
        let mut tx = self.db.begin_write().await?;
        tx.serialize().await?;
        let user = self.load(&*tx, username).await?;
        let before = user.role.clone();
        if before == Role::Admin.as_str() && role != Role::Admin {
            self.ensure_other_admin(&tx, user.id).await?;
        }
        let mut am: users::ActiveModel = user.into();
        am.role = Set(role.as_str().into());
        am.updated_at = Set(self.clock.now_ms());
        let model = am.update(&*tx).await?;
        self.audit_user(
            &mut tx,
            actor,
            meta,
            "user.role",
            username,
            json!({"before": before, "after": role.as_str()}),
        )
        .await?;
        tx.publish_after_commit(Event::AccountChanged {
            username: username.to_owned(),
        });
        tx.commit().await?;
        User::try_from(model)
    }

    /// Disables or re-enables an account (admin). Disabling ends all its sessions at once; the
    /// last enabled admin cannot be disabled.
    pub async fn set_disabled(
        &self,
        actor: Actor<'_>,
        meta: &RequestMeta,
        username: &str,
        disabled: bool,
    ) -> CoreResult<User> {
        actor.require(&[Role::Admin])?;
        let mut tx = self.db.begin_write().await?;
        tx.serialize().await?;
        let user = self.load(&*tx, username).await?;
        if disabled && user.role == Role::Admin.as_str() && !user.disabled {
            self.ensure_other_admin(&tx, user.id).await?;
        }
        let id = UserId(user.id);
        let mut am: users::ActiveModel = user.into();
        am.disabled = Set(disabled);
        am.updated_at = Set(self.clock.now_ms());
        let model = am.update(&*tx).await?;
        let revoked = if disabled {
            crate::auth::revoke_all(&*tx, id, self.clock.now_ms()).await?
        } else {
            0
        };
        let action = if disabled { "user.disable" } else { "user.enable" };
        self.audit_user(
            &mut tx,
            actor,
            meta,
            action,
            username,
            json!({"sessions_revoked": revoked}),
        )
        .await?;
        tx.publish_after_commit(Event::AccountChanged {
            username: username.to_owned(),
        });
        tx.commit().await?;
        User::try_from(model)
    }

    /// Clears every login lock and failure count of an account (admin, command line), so it can
    /// sign in again at once from every address. Locks are kept per (name, address) and hold
    /// even for the right password; this is the way out before they run out. The name need not
    /// be an account (a lock on a mistyped name is cleared the same way). Returns how many locks
    /// in force were lifted; the audit entry also counts the failure counters cleared.
    pub async fn unlock(&self, actor: Actor<'_>, meta: &RequestMeta, username: &str) -> CoreResult<u64> {
        actor.require(&[Role::Admin])?;
        let key = username.trim().to_lowercase();
        if key.is_empty() {
            return Err(CoreError::validation("username", "must not be empty"));
        }
        let now = self.clock.now_ms();
        let mut tx = self.db.begin_write().await?;
        tx.serialize().await?;
        let rows = login_throttle::Entity::find()
            .filter(login_throttle::Column::Username.eq(key.as_str()))
            .all(&*tx)
            .await?;
        let locked = rows
            .iter()
            .filter(|r| r.locked_until.is_some_and(|until| until > now))
            .count();
        let cleared = login_throttle::Entity::delete_many()
            .filter(login_throttle::Column::Username.eq(key.as_str()))
            .exec(&*tx)
            .await?
            .rows_affected;
        self.audit_user(
            &mut tx,
            actor,
            meta,
            "user.unlock",
            username.trim(),
            json!({"counters_cleared": cleared, "locks_cleared": locked}),
        )
        .await?;
        tx.commit().await?;
        Ok(locked as u64)
    }

    /// Records the dashboard language the caller chose (their own account only).
    pub async fn set_language(&self, p: &Principal, language: Language) -> CoreResult<()> {
        // A preference, not a privilege: cookie callers still prove the request is theirs.
        p.require_csrf()?;
        users::Entity::update_many()
            .col_expr(
                users::Column::Language,
                sea_orm::sea_query::Expr::value(language.as_str()),
            )
            .filter(users::Column::Username.eq(p.username.as_str()))
            .exec(self.db.conn())
            .await?;
        Ok(())
    }

    /// Changes the caller's own password after checking the current one; other sessions of
    /// the account end. Wrong current passwords count against the login throttle like failed
    /// logins (a stolen session must not become a password-guessing oracle).
    pub async fn change_password(&self, p: &Principal, meta: &RequestMeta, current: &str, new: &str) -> CoreResult<()> {
        p.require_csrf()?;
        self.check_password("newPassword", new)?;
        let user = self.load(self.db.conn(), &p.username).await?;
        if user.auth_source != "local" {
            return Err(CoreError::Conflict(format!(
                "this account signs in through {}; change the password there",
                user.auth_source
            )));
        }
        let key = user.username.to_lowercase();
        self.throttle.check(&key, meta).await?;
        if !self.hasher.verify(current, user.password_hash.as_deref()).await? {
            let mut tx = self.db.begin_write().await?;
            tx.serialize().await?;
            if let Ok(counters) = self.throttle.recheck(&mut tx, &key, meta).await? {
                self.throttle
                    .failure(&mut tx, counters, &key, meta, "wrong current password")
                    .await?;
                tx.commit().await?;
            }
            return Err(CoreError::validation("currentPassword", "is not your current password"));
        }
        self.store_password(Actor::User(p), meta, user, new, Some(&p.session_id))
            .await
    }

    /// Sets an account's password without knowing the old one (admin, command line); all its
    /// sessions end.
    pub async fn set_password(
        &self,
        actor: Actor<'_>,
        meta: &RequestMeta,
        username: &str,
        new: &str,
    ) -> CoreResult<()> {
        actor.require(&[Role::Admin])?;
        self.check_password("password", new)?;
        let user = self.load(self.db.conn(), username).await?;
        self.store_password(actor, meta, user, new, None).await
    }

    async fn store_password(
        &self,
        actor: Actor<'_>,
        meta: &RequestMeta,
        user: users::Model,
        new: &str,
        keep_session: Option<&str>,
    ) -> CoreResult<()> {
        let hash = self.hasher.hash(new).await?;
        let username = user.username.clone();
        let id = UserId(user.id);
        let mut tx = self.db.begin_write().await?;
        let mut am: users::ActiveModel = user.into();
        am.password_hash = Set(Some(hash));
        am.auth_source = Set("local".into());
        am.updated_at = Set(self.clock.now_ms());
        am.update(&*tx).await?;
        let revoked = crate::auth::revoke_except(&*tx, id, keep_session, self.clock.now_ms()).await?;
        self.audit_user(
            &mut tx,
            actor,
            meta,
            "user.password",
            &username,
            json!({"sessions_revoked": revoked}),
        )
        .await?;
        tx.publish_after_commit(Event::AccountChanged { username });
        tx.commit().await
    }

    async fn load<C: sea_orm::ConnectionTrait>(&self, conn: &C, username: &str) -> CoreResult<users::Model> {
        users::Entity::find()
            .filter(users::Column::Username.eq(username))
            .one(conn)
            .await?
            .ok_or_else(|| CoreError::NotFound(format!("user {username:?}")))
    }

    async fn ensure_other_admin(&self, tx: &WriteTx, except: i64) -> CoreResult<()> {
        let others = users::Entity::find()
            .filter(users::Column::Role.eq(Role::Admin.as_str()))
            .filter(users::Column::Disabled.eq(false))
            .filter(users::Column::Id.ne(except))
            .count(&**tx)
            .await?;
        if others == 0 {
            return Err(CoreError::Conflict(
                "this is the last enabled admin; make another admin first".into(),
            ));
        }
        Ok(())
    }

    async fn audit_user(
        &self,
        tx: &mut WriteTx,
        actor: Actor<'_>,
        meta: &RequestMeta,
        action: &str,
        username: &str,
        details: serde_json::Value,
    ) -> CoreResult<()> {
        self.audit
            .log_change(tx, meta, actor.name(), (action, "ok"), Target::User(username), details)
            .await
    }
}
