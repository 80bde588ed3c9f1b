//! Schema migrations of the two databases, written as plain SQL so the DDL (collations, checks,
//! foreign keys) is exactly what SQLite runs. Each runs in a transaction.

mod app;
mod system;

use crate::db::DbKind;
use sea_orm::{ConnectionTrait, DbErr};
use sea_orm_migration::{MigrationTrait, MigratorTrait, prelude::*};

pub use app::AppMigrator;
pub use system::SystemMigrator;

/// The table sea-orm-migration keeps its history in; its presence marks a SmallStack database.
pub const MIGRATIONS_TABLE: &str = "seaql_migrations";

pub async fn apply(kind: DbKind, conn: &sea_orm::DatabaseConnection) -> Result<(), DbErr> {
    match kind {
        DbKind::Application => AppMigrator::up(conn, None).await,
        DbKind::System => SystemMigrator::up(conn, None).await,
    }
}

/// The names of the migrations this binary knows, for each kind, in the order they run.
pub fn known(kind: DbKind) -> Vec<String> {
    sql_of(kind).into_iter().map(|(name, _)| String::from(name)).collect()
}

/// Each migration of `kind` with its SQL, in the order they run (the reference schema of a
/// version is built from these: `db::schema`).
pub fn sql_of(kind: DbKind) -> Vec<(&'static str, &'static str)> {
    let list = match kind {
        DbKind::Application => app::MIGRATIONS,
        DbKind::System => system::MIGRATIONS,
    };
    list.iter().map(|m| (m.name, m.sql)).collect()
}

/// One migration: a name and the SQL it runs.
#[derive(Clone, Copy)]
pub(crate) struct SqlMigration {
    pub name: &'static str,
    pub sql: &'static str,
}

impl MigrationName for SqlMigration {
    fn name(&self) -> &str {
        self.name
    }
}

#[async_trait::async_trait]
impl MigrationTrait for SqlMigration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager.get_connection().execute_unprepared(self.sql).await?;
        Ok(())
    }

    fn use_transaction(&self) -> Option<bool> {
        Some(true)
    }
}
