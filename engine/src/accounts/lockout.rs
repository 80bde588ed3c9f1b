//! "5 failed logins for the same username from the same client IP within 15 minutes lock that
//! pair for 15 minutes." Counters live in the system database, so a restore never resets them.

use super::AccountError;
use crate::{Database, entities::login_failure};
use chrono::{DateTime, Duration, Utc};
use sea_orm::{EntityTrait, Set, sea_query::OnConflict};

pub const LOCKOUT_THRESHOLD: i32 = 5;
pub const LOCKOUT_WINDOW: Duration = Duration::minutes(15);

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LockoutStatus {
    Open,
    Locked { until: DateTime<Utc> },
}

impl LockoutStatus {
    pub fn retry_after_secs(&self, now: DateTime<Utc>) -> Option<u64> {
        match self {
            LockoutStatus::Open => None,
            LockoutStatus::Locked { until } => Some((*until - now).num_seconds().max(1) as u64),
        }
    }
}

#[derive(Debug, Clone)]
pub struct Lockout {
    db: Database,
}

fn key(username: &str) -> String {
    username.trim().to_lowercase()
}

impl Lockout {
    pub fn new(system_db: Database) -> Self {
        Lockout { db: system_db }
    }

    pub async fn status(&self, username: &str, ip: &str, now: DateTime<Utc>) -> Result<LockoutStatus, AccountError> {
        let row = login_failure::Entity::find_by_id((key(username), ip.to_string())).one(self.db.reader()).await?;
        Ok(match row.and_then(|r| r.locked_until) {
            Some(until) if until > now => LockoutStatus::Locked { until },
            _ => LockoutStatus::Open,
        })
    }

    /// Fails with [`AccountError::Locked`] when the pair is locked.
    pub async fn ensure_open(&self, username: &str, ip: &str) -> Result<(), AccountError> {
        let now = Utc::now();
        match self.status(username, ip, now).await? {
            LockoutStatus::Open => Ok(()),
            locked => Err(AccountError::Locked { retry_after_secs: locked.retry_after_secs(now).unwrap_or(1) }),
        }
    }

    /// Counts a failure; returns the status after it (locked on the fifth within the window).
    pub async fn record_failure(
        &self,
        username: &str,
        ip: &str,
        now: DateTime<Utc>,
    ) -> Result<LockoutStatus, AccountError> {
        let id = (key(username), ip.to_string());
        let w = self.db.writer().await?;
        let txn = w.begin().await?;
        let existing = login_failure::Entity::find_by_id(id.clone()).one(&txn).await?;
        let (failures, first) = match existing {
            Some(row) if now - row.first_failed_at < LOCKOUT_WINDOW && row.locked_until.is_none_or(|u| u > now) => {
                (row.failures + 1, row.first_failed_at)
            }
            _ => (1, now),
        };
        let locked_until = (failures >= LOCKOUT_THRESHOLD).then(|| now + LOCKOUT_WINDOW);
        login_failure::Entity::insert(login_failure::ActiveModel {
            username: Set(id.0),
            ip: Set(id.1),
            failures: Set(failures),
            first_failed_at: Set(first),
            locked_until: Set(locked_until),
        })
        .on_conflict(
            OnConflict::columns([login_failure::Column::Username, login_failure::Column::Ip])
                .update_columns([
                    login_failure::Column::Failures,
                    login_failure::Column::FirstFailedAt,
                    login_failure::Column::LockedUntil,
                ])
                .to_owned(),
        )
        .exec(&txn)
        .await?;
        txn.commit().await?;
        Ok(match locked_until {
            Some(until) => LockoutStatus::Locked { until },
            None => LockoutStatus::Open,
        })
    }

    pub async fn clear(&self, username: &str, ip: &str) -> Result<(), AccountError> {
        let w = self.db.writer().await?;
        login_failure::Entity::delete_by_id((key(username), ip.to_string())).exec(w.conn()).await?;
        Ok(())
    }

    /// Drops counters whose window and lock have both passed.
    pub async fn delete_stale(&self, now: DateTime<Utc>) -> Result<u64, AccountError> {
        use sea_orm::{ColumnTrait, Condition, QueryFilter};
        let w = self.db.writer().await?;
        let cutoff = now - LOCKOUT_WINDOW;
        let result = login_failure::Entity::delete_many()
            .filter(login_failure::Column::FirstFailedAt.lt(cutoff))
            .filter(
                Condition::any()
                    .add(login_failure::Column::LockedUntil.is_null())
                    .add(login_failure::Column::LockedUntil.lt(now)),
            )
            .exec(w.conn())
            .await?;
        Ok(result.rows_affected)
    }
}
