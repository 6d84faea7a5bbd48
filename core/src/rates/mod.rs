//! Effective-dated rates per tier and per-user tier overrides.
//!
//! Rates are never edited in place: each change is a new version with an `effective_from`
//! time, so a job is priced with the version in force when it ended and every priced line can
//! name the version it used.

mod quote;

pub use quote::{Quote, QuoteInput};

use crate::audit::{AuditService, NewAuditEntry, Target};
use crate::auth::{Principal, Role};
use crate::clock::Clock;
use crate::context::{Actor, RequestMeta};
use crate::db::Db;
use crate::error::{CoreError, CoreResult};
use crate::tiers::TierRules;
use crate::usage::{affected_by_override, affected_by_rate, reprice};
use crate::users::validate_username;
use hpcb_entities::tables::{rates, tier_overrides};
use hpcb_entities::{Currency, RateId};
use rust_decimal::Decimal;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, NotSet, PaginatorTrait, QueryFilter, QueryOrder, Set,
};
use serde_json::json;
use std::collections::BTreeMap;
use std::str::FromStr;
use std::sync::Arc;

/// One rate version.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Rate {
    /// The version's id.
    pub id: RateId,
    /// Tier name.
    pub tier: String,
    /// Price per CPU core-hour.
    pub cpu: Decimal,
    /// Price per GPU-hour.
    pub gpu: Decimal,
    /// Price per memory GB-hour.
    pub mem: Decimal,
    /// Currency of the prices.
    pub currency: Currency,
    /// Applies to jobs that ended at or after this time, Unix ms.
    pub effective_from: i64,
    /// When it was entered, Unix ms.
    pub created_at: i64,
    /// Who entered it.
    pub created_by: Option<String>,
}

impl TryFrom<rates::Model> for Rate {
    type Error = CoreError;
    fn try_from(m: rates::Model) -> CoreResult<Rate> {
        let dec = |s: &str| {
            Decimal::from_str(s).map_err(|e| CoreError::internal(format!("rate {} holds bad decimal {s:?}: {e}", m.id)))
        };
        Ok(Rate {
            id: RateId(m.id),
            cpu: dec(&m.cpu)?,
            gpu: dec(&m.gpu)?,
            mem: dec(&m.mem)?,
            currency: m.currency,
            tier: m.tier,
            effective_from: m.effective_from,
            created_at: m.created_at,
            created_by: m.created_by,
        })
    }
}

/// A new rate version as entered.
#[derive(Clone, Debug)]
pub struct RateInput {
    /// Tier name; a new name creates a tier.
    pub tier: String,
    /// Price per CPU core-hour.
    pub cpu: Decimal,
    /// Price per GPU-hour.
    pub gpu: Decimal,
    /// Price per memory GB-hour.
    pub mem: Decimal,
    /// Currency; the configured default when absent.
    pub currency: Option<Currency>,
    /// From when; now when absent.
    pub effective_from: Option<i64>,
}

/// A per-user tier assignment.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TierOverride {
    /// Cluster user name.
    pub username: String,
    /// Tier.
    pub tier: String,
    /// Last change, Unix ms.
    pub updated_at: i64,
    /// Who set it.
    pub updated_by: Option<String>,
}

impl From<tier_overrides::Model> for TierOverride {
    fn from(m: tier_overrides::Model) -> Self {
        TierOverride {
            username: m.username,
            tier: m.tier,
            updated_at: m.updated_at,
            updated_by: m.updated_by,
        }
    }
}

/// Largest accepted price per hour; anything above is a typo, not a price.
const MAX_RATE: Decimal = Decimal::from_parts(1_000_000_000, 0, 0, false, 0);
/// Most decimal places a rate may carry.
const MAX_SCALE: u32 = 8;

/// Checks a tier name: lower-case letters, digits, `_` and `-`, 1 to 32 long.
pub fn validate_tier(tier: &str) -> CoreResult<()> {
    let ok = !tier.is_empty()
        && tier.len() <= 32
        && tier.starts_with(|c: char| c.is_ascii_lowercase())
        && tier
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_' || c == '-');
    if ok {
        Ok(())
    } else {
        Err(CoreError::validation(
            "tier",
            "use 1 to 32 lower-case letters, digits, _ or -, starting with a letter",
        ))
    }
}

fn validate_price(field: &str, d: Decimal) -> CoreResult<()> {
    if d.is_sign_negative() && !d.is_zero() {
        return Err(CoreError::validation(field, "must not be negative"));
    }
    if d > MAX_RATE {
        return Err(CoreError::validation(field, "must be at most 1000000000 per hour"));
    }
    if d.normalize().scale() > MAX_SCALE {
        return Err(CoreError::validation(
            field,
            format!("must have at most {MAX_SCALE} decimal places"),
        ));
    }
    Ok(())
}

/// Rates and tier overrides.
#[derive(Clone)]
pub struct RateService {
    db: Db,
    audit: AuditService,
    clock: Arc<dyn Clock>,
    default_currency: Currency,
    rules: TierRules,
}

impl RateService {
    /// Builds the service; `default_currency` is used for rate versions entered without one.
    pub fn new(
        db: Db,
        audit: AuditService,
        clock: Arc<dyn Clock>,
        default_currency: Currency,
        rules: TierRules,
    ) -> RateService {
        RateService {
            db,
            audit,
            clock,
            default_currency,
            rules,
        }
    }

    /// Re-prices stored jobs a change affects; a failure is logged, not returned, because the
    /// change itself has committed and the next ingestion re-prices anyway.
    async fn reprice_after(&self, what: &str, cond: sea_orm::Condition) {
        match reprice(&self.db, &self.rules, self.default_currency, cond, self.clock.now_ms()).await {
            Ok(n) => tracing::info!(changed = n, "re-priced {n} jobs after {what}"),
            Err(e) => tracing::error!(error = %e, "re-pricing after {what} failed"),
        }
    }

    /// The version in force at `at` for every tier, by tier name.
    pub async fn in_force(&self, at: i64) -> CoreResult<Vec<Rate>> {
        self.in_force_on(self.db.conn(), at).await
    }

    async fn in_force_on<C: ConnectionTrait>(&self, conn: &C, at: i64) -> CoreResult<Vec<Rate>> {
        let rows = rates::Entity::find()
            .filter(rates::Column::EffectiveFrom.lte(at))
            .order_by_asc(rates::Column::Tier)
            .order_by_desc(rates::Column::EffectiveFrom)
            .order_by_desc(rates::Column::Id)
            .all(conn)
            .await?;
        let mut latest: BTreeMap<String, rates::Model> = BTreeMap::new();
        for r in rows {
            latest.entry(r.tier.clone()).or_insert(r);
        }
        latest.into_values().map(Rate::try_from).collect()
    }

    /// Current rates (any signed-in user: prices are public to those who pay them).
    pub async fn current(&self, _p: &Principal) -> CoreResult<Vec<Rate>> {
        self.in_force(self.clock.now_ms()).await
    }

    /// Every version, newest first, optionally for one tier.
    pub async fn history(&self, _p: &Principal, tier: Option<&str>) -> CoreResult<Vec<Rate>> {
        let mut q = rates::Entity::find();
        if let Some(t) = tier {
            q = q.filter(rates::Column::Tier.eq(t));
        }
        q.order_by_desc(rates::Column::EffectiveFrom)
            .order_by_desc(rates::Column::Id)
            .all(self.db.conn())
            .await?
            .into_iter()
            .map(Rate::try_from)
            .collect()
    }

    /// Enters a new rate version (admin, finance).
    pub async fn update(&self, actor: Actor<'_>, meta: &RequestMeta, input: RateInput) -> CoreResult<Rate> {
        actor.require(&[Role::Admin, Role::Finance])?;
        validate_tier(&input.tier)?;
        validate_price("cpu", input.cpu)?;
        validate_price("gpu", input.gpu)?;
        validate_price("mem", input.mem)?;
        let now = self.clock.now_ms();
        let effective_from = input.effective_from.unwrap_or(now);
        if effective_from < 0 {
            return Err(CoreError::validation("effectiveFrom", "must not be before 1970"));
        }
        let currency = input.currency.unwrap_or(self.default_currency);
        let mut tx = self.db.begin_write().await?;
        tx.serialize().await?;
        let before = self
            .in_force_on(&*tx, effective_from)
            .await?
            .into_iter()
            .find(|r| r.tier == input.tier);
        let model = rates::ActiveModel {
            id: NotSet,
            tier: Set(input.tier.clone()),
            cpu: Set(input.cpu.normalize().to_string()),
            gpu: Set(input.gpu.normalize().to_string()),
            mem: Set(input.mem.normalize().to_string()),
            currency: Set(currency),
            effective_from: Set(effective_from),
            created_at: Set(now),
            created_by: Set(Some(actor.name().to_owned())),
        }
        .insert(&*tx)
        .await?;
        let rate = Rate::try_from(model)?;
        let describe = |r: &Rate| json!({"id": r.id.0, "cpu": r.cpu.to_string(), "gpu": r.gpu.to_string(), "mem": r.mem.to_string(), "currency": r.currency.to_string(), "effective_from": r.effective_from});
        self.audit
            .append(
                &mut tx,
                meta,
                NewAuditEntry {
                    actor: Some(actor.name()),
                    action: "rates.update",
                    target: Some(format!("tier:{}", rate.tier)),
                    status: "ok",
                    details: json!({"before": before.as_ref().map(describe), "after": describe(&rate)}),
                },
            )
            .await?;
        tx.commit().await?;
        self.reprice_after("a rate change", affected_by_rate(rate.effective_from))
            .await;
        Ok(rate)
    }

    /// Rate versions by id (any signed-in user may see rates; used by DataLoaders).
    pub async fn by_ids(&self, ids: &[i64]) -> CoreResult<Vec<Rate>> {
        rates::Entity::find()
            .filter(rates::Column::Id.is_in(ids.to_vec()))
            .all(self.db.conn())
            .await?
            .into_iter()
            .map(Rate::try_from)
            .collect()
    }

    /// Whether any version of a tier exists.
    pub async fn tier_exists(&self, tier: &str) -> CoreResult<bool> {
        Ok(rates::Entity::find()
            .filter(rates::Column::Tier.eq(tier))
            .count(self.db.conn())
            .await?
            > 0)
    }

    /// All overrides, by user name (admin, finance).
    pub async fn overrides(&self, p: &Principal) -> CoreResult<Vec<TierOverride>> {
        p.require(&[Role::Admin, Role::Finance])?;
        Ok(tier_overrides::Entity::find()
            .order_by_asc(tier_overrides::Column::Username)
            .all(self.db.conn())
            .await?
            .into_iter()
            .map(TierOverride::from)
            .collect())
    }

    /// Prices a user at `tier` from now on, whatever the classifier says (admin, finance).
    pub async fn set_override(
        &self,
        actor: Actor<'_>,
        meta: &RequestMeta,
        username: &str,
        tier: &str,
    ) -> CoreResult<TierOverride> {
        actor.require(&[Role::Admin, Role::Finance])?;
        validate_username(username)?;
        validate_tier(tier)?;
        if !self.tier_exists(tier).await? {
            return Err(CoreError::validation(
                "tier",
                format!("no rates exist for tier {tier:?}"),
            ));
        }
        let now = self.clock.now_ms();
        let mut tx = self.db.begin_write().await?;
        // Read-then-write of one user's row: take the serialising lock first so two concurrent
        // changes cannot both see "no override" and race on the insert.
        tx.serialize().await?;
        let before = tier_overrides::Entity::find_by_id(username.to_owned())
            .one(&*tx)
            .await?;
        let am = tier_overrides::ActiveModel {
            username: Set(username.to_owned()),
            tier: Set(tier.to_owned()),
            updated_at: Set(now),
            updated_by: Set(Some(actor.name().to_owned())),
        };
        let model = if before.is_some() {
            am.update(&*tx).await?
        } else {
            am.insert(&*tx).await?
        };
        self.audit
            .log_change(
                &mut tx,
                meta,
                actor.name(),
                ("tier.override.set", "ok"),
                Target::User(username),
                json!({"before": before.map(|b| b.tier), "after": tier}),
            )
            .await?;
        tx.commit().await?;
        self.reprice_after("a tier override", affected_by_override(username))
            .await;
        Ok(model.into())
    }

    /// Removes a user's override; returns whether one existed (admin, finance).
    pub async fn clear_override(&self, actor: Actor<'_>, meta: &RequestMeta, username: &str) -> CoreResult<bool> {
        actor.require(&[Role::Admin, Role::Finance])?;
        let mut tx = self.db.begin_write().await?;
        tx.serialize().await?;
        let Some(before) = tier_overrides::Entity::find_by_id(username.to_owned())
            .one(&*tx)
            .await?
        else {
            return Ok(false);
        };
        tier_overrides::Entity::delete_by_id(username.to_owned())
            .exec(&*tx)
            .await?;
        self.audit
            .log_change(
                &mut tx,
                meta,
                actor.name(),
                ("tier.override.clear", "ok"),
                Target::User(username),
                json!({"before": before.tier}),
            )
            .await?;
        tx.commit().await?;
        self.reprice_after("a tier override", affected_by_override(username))
            .await;
        Ok(true)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn prices_must_be_non_negative_bounded_and_not_too_precise() {
        assert!(validate_price("cpu", Decimal::from_str("1.25").expect("dec")).is_ok());
        assert!(validate_price("cpu", Decimal::ZERO).is_ok());
        assert!(validate_price("cpu", Decimal::from_str("-0.01").expect("dec")).is_err());
        assert!(validate_price("cpu", Decimal::from_str("1000000000.01").expect("dec")).is_err());
        assert!(validate_price("cpu", Decimal::from_str("0.123456789").expect("dec")).is_err());
        assert!(validate_price("cpu", Decimal::from_str("0.1234567800").expect("dec")).is_ok());
    }

    #[test]
    fn tier_names_are_checked() {
        for ok in ["mu", "gov", "private", "tier-2", "a_b"] {
            assert!(validate_tier(ok).is_ok(), "{ok}");
        }
        for bad in ["", "Mu", "2x", "a b", &"x".repeat(33)] {
            assert!(validate_tier(bad).is_err(), "{bad}");
        }
    }
}
