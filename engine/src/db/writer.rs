use super::{DbError, WRITE_HOLD_TIMEOUT};
use sea_orm::{
    DatabaseConnection, DatabaseTransaction, DbErr, SqliteTransactionMode, TransactionOptions, TransactionTrait,
};
use std::sync::Arc;
use tokio::sync::{OwnedRwLockReadGuard, OwnedRwLockWriteGuard, RwLock};

/// Writers pass through this gate; a restore closes it to hold new writes while it copies.
/// tokio's RwLock is fair: once a restore waits to close it, new writers queue behind it.
#[derive(Default)]
pub struct WriteGate {
    lock: Arc<RwLock<()>>,
}

impl WriteGate {
    pub(super) async fn enter(&self, conn: &DatabaseConnection) -> Result<Writer, DbError> {
        let guard = tokio::time::timeout(WRITE_HOLD_TIMEOUT, self.lock.clone().read_owned())
            .await
            .map_err(|_| DbError::WritesHeld)?;
        Ok(Writer { conn: conn.clone(), _guard: guard })
    }

    /// Closes the gate: waits for writes in progress to finish, then holds new ones until the
    /// returned guard is dropped.
    pub async fn hold(&self) -> OwnedRwLockWriteGuard<()> {
        self.lock.clone().write_owned().await
    }
}

/// The right to write, and the writer connection to write with. Single statements go through
/// [`Writer::conn`]; multi-statement writes through [`Writer::begin`] (`BEGIN IMMEDIATE`).
pub struct Writer {
    conn: DatabaseConnection,
    _guard: OwnedRwLockReadGuard<()>,
}

impl Writer {
    pub fn conn(&self) -> &DatabaseConnection {
        &self.conn
    }

    /// Starts an IMMEDIATE transaction: it takes SQLite's write lock at `BEGIN`, so it can never
    /// fail half-way with "database is locked" when another process writes too. Dropped without
    /// `commit`, it rolls back.
    pub async fn begin(&self) -> Result<DatabaseTransaction, DbErr> {
        self.conn
            .begin_with_options(TransactionOptions {
                sqlite_transaction_mode: Some(SqliteTransactionMode::Immediate),
                ..Default::default()
            })
            .await
    }
}
