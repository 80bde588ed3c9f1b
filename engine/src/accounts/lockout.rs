//! Login lockout: an account may have at most [`ACCOUNT_LIMIT`] wrong passwords, and a client
//! address [`ADDRESS_LIMIT`], in any [`LOCKOUT_WINDOW`]. Each attempt is *reserved* before the
//! password is checked, in one IMMEDIATE transaction that refuses when failures plus attempts
//! still being checked already reach the limit; so a burst of parallel requests gets no more
//! guesses than a patient attacker. Counters live in the system database: a restore never
//! resets them.

use super::AccountError;
use crate::Database;
use chrono::{DateTime, Duration, Utc};
use sea_orm::{ConnectionTrait, DbBackend, Statement, Value};

/// Wrong passwords one account may have in a window (whichever login names it).
pub const ACCOUNT_LIMIT: usize = 5;
/// Wrong passwords one client address may have in a window, over all accounts: higher, since
/// people behind one NAT share an address.
pub const ADDRESS_LIMIT: usize = 20;
pub const LOCKOUT_WINDOW: Duration = Duration::minutes(15);
/// How long a reservation counts when its outcome never comes (the process died while the
/// password was being checked): far longer than a check takes, even queued behind others.
const PENDING_LIFETIME: Duration = Duration::seconds(60);

/// What a counter counts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LockScope {
    /// One account: `user:<id>`, or `login:<name>` for a login that names no account.
    Account,
    /// One client address.
    Address,
}

impl LockScope {
    fn as_str(self) -> &'static str {
        match self {
            LockScope::Account => "account",
            LockScope::Address => "address",
        }
    }

    pub fn limit(self) -> usize {
        match self {
            LockScope::Account => ACCOUNT_LIMIT,
            LockScope::Address => ADDRESS_LIMIT,
        }
    }
}

/// The counter key of an account, or of a login string that names none (letter case ignored).
pub fn account_key(user_id: Option<i64>, login: &str) -> String {
    match user_id {
        Some(id) => format!("user:{id}"),
        None => format!("login:{}", login.trim().to_lowercase()),
    }
}

/// Attempts reserved by [`Lockout::reserve`]: settle them with [`Lockout::failed`] or
/// [`Lockout::succeeded`]. Dropped unsettled, they count until [`PENDING_LIFETIME`] passes.
#[derive(Debug)]
#[must_use = "settle the attempt with `failed` or `succeeded`"]
pub struct Reservation {
    ids: Vec<i64>,
    account: Option<String>,
}

#[derive(Debug, Clone)]
pub struct Lockout {
    db: Database,
}

fn millis(t: DateTime<Utc>) -> i64 {
    t.timestamp_millis()
}

fn statement(sql: &str, values: Vec<Value>) -> Statement {
    Statement::from_sql_and_values(DbBackend::Sqlite, sql, values)
}

impl Lockout {
    pub fn new(system_db: Database) -> Self {
        Lockout { db: system_db }
    }

    /// Reserves one attempt under each `(scope, key)`, or fails with [`AccountError::Locked`]
    /// (naming the first scope at its limit) and reserves nothing.
    pub async fn reserve(&self, keys: &[(LockScope, &str)], now: DateTime<Utc>) -> Result<Reservation, AccountError> {
        let w = self.db.writer().await?;
        let txn = w.begin().await?;
        for &(scope, key) in keys {
            let rows = txn
                .query_all_raw(statement(
                    "SELECT at FROM login_attempts WHERE scope = ? AND key = ? AND \
                     ((outcome = 'failed' AND at > ?) OR (outcome = 'pending' AND at > ?)) \
                     ORDER BY outcome = 'failed' DESC, at DESC",
                    vec![
                        scope.as_str().into(),
                        key.into(),
                        millis(now - LOCKOUT_WINDOW).into(),
                        millis(now - PENDING_LIFETIME).into(),
                    ],
                ))
                .await?;
            if rows.len() >= scope.limit() {
                // The limit-th most recent failure leaves the window first; when pending
                // attempts fill the count, they settle within a second or so.
                let retry_at = rows.get(scope.limit() - 1).and_then(|r| r.try_get_by_index::<i64>(0).ok());
                let failures = self.failures(&txn, scope, key, now).await?;
                let retry_after_secs = if failures >= scope.limit() {
                    retry_at.map_or(1, |at| ((at + LOCKOUT_WINDOW.num_milliseconds() - millis(now)) / 1000).max(1))
                } else {
                    1
                };
                return Err(AccountError::Locked { scope, retry_after_secs: retry_after_secs as u64 });
            }
        }
        let mut ids = Vec::with_capacity(keys.len());
        for &(scope, key) in keys {
            let row = txn
                .query_one_raw(statement(
                    "INSERT INTO login_attempts (scope, key, at, outcome) VALUES (?, ?, ?, 'pending') RETURNING id",
                    vec![scope.as_str().into(), key.into(), millis(now).into()],
                ))
                .await?
                .ok_or_else(|| sea_orm::DbErr::Custom("the reservation returned no id".into()))?;
            ids.push(row.try_get_by_index::<i64>(0)?);
        }
        txn.commit().await?;
        let account = keys.iter().find(|(s, _)| *s == LockScope::Account).map(|(_, k)| k.to_string());
        Ok(Reservation { ids, account })
    }

    async fn failures(
        &self,
        conn: &impl ConnectionTrait,
        scope: LockScope,
        key: &str,
        now: DateTime<Utc>,
    ) -> Result<usize, AccountError> {
        let row = conn
            .query_one_raw(statement(
                "SELECT count(*) FROM login_attempts WHERE scope = ? AND key = ? AND outcome = 'failed' AND at > ?",
                vec![scope.as_str().into(), key.into(), millis(now - LOCKOUT_WINDOW).into()],
            ))
            .await?;
        Ok(row.map(|r| r.try_get_by_index::<i64>(0)).transpose()?.unwrap_or(0) as usize)
    }

    /// The password was wrong: the reserved attempts count as failures. Returns whether the
    /// account has now reached its limit.
    pub async fn failed(&self, reservation: Reservation, now: DateTime<Utc>) -> Result<bool, AccountError> {
        let w = self.db.writer().await?;
        let placeholders = vec!["?"; reservation.ids.len()].join(", ");
        let mut values: Vec<Value> = vec![millis(now).into()];
        values.extend(reservation.ids.iter().map(|id| Value::from(*id)));
        w.conn()
            .execute_raw(statement(
                &format!("UPDATE login_attempts SET outcome = 'failed', at = ? WHERE id IN ({placeholders})"),
                values,
            ))
            .await?;
        match &reservation.account {
            Some(key) => Ok(self.failures(w.conn(), LockScope::Account, key, now).await? >= ACCOUNT_LIMIT),
            None => Ok(false),
        }
    }

    /// The password was right: the reservations go, and so do the account's failures (the
    /// address keeps its count: one's own account must not reset the address's guesses).
    pub async fn succeeded(&self, reservation: Reservation) -> Result<(), AccountError> {
        let w = self.db.writer().await?;
        let txn = w.begin().await?;
        let placeholders = vec!["?"; reservation.ids.len()].join(", ");
        txn.execute_raw(statement(
            &format!("DELETE FROM login_attempts WHERE id IN ({placeholders})"),
            reservation.ids.iter().map(|id| Value::from(*id)).collect(),
        ))
        .await?;
        if let Some(key) = &reservation.account {
            txn.execute_raw(statement(
                "DELETE FROM login_attempts WHERE scope = 'account' AND key = ? AND outcome = 'failed'",
                vec![key.as_str().into()],
            ))
            .await?;
        }
        txn.commit().await?;
        Ok(())
    }

    /// Drops failures older than the window and reservations never settled.
    pub async fn delete_stale(&self, now: DateTime<Utc>) -> Result<u64, AccountError> {
        let w = self.db.writer().await?;
        let result = w
            .conn()
            .execute_raw(statement(
                "DELETE FROM login_attempts WHERE (outcome = 'failed' AND at <= ?) OR (outcome = 'pending' AND at <= ?)",
                vec![millis(now - LOCKOUT_WINDOW).into(), millis(now - PENDING_LIFETIME).into()],
            ))
            .await?;
        Ok(result.rows_affected())
    }
}
