use super::SqlMigration;
use sea_orm_migration::{MigrationTrait, MigratorTrait};

/// Migrations of the application database (what a backup holds and a restore brings back).
pub struct AppMigrator;

/// In the order they run; never edit one that was released: add a new one.
pub(crate) const MIGRATIONS: &[SqlMigration] = &[
    SqlMigration { name: "m20261125_000001_users", sql: USERS },
    SqlMigration { name: "m20261125_000002_themes", sql: THEMES },
];

impl MigratorTrait for AppMigrator {
    fn migrations() -> Vec<Box<dyn MigrationTrait>> {
        MIGRATIONS.iter().map(|m| Box::new(*m) as Box<dyn MigrationTrait>).collect()
    }
}

const USERS: &str = r#"
CREATE TABLE users (
    id            INTEGER PRIMARY KEY AUTOINCREMENT,
    username      TEXT    NOT NULL COLLATE NOCASE UNIQUE CHECK (length(username) BETWEEN 3 AND 150),
    email         TEXT    NOT NULL COLLATE NOCASE UNIQUE,
    password_hash TEXT    NOT NULL,
    display_name  TEXT    NOT NULL DEFAULT '',
    avatar        TEXT,
    is_staff      INTEGER NOT NULL DEFAULT 0 CHECK (is_staff IN (0, 1)),
    is_active     INTEGER NOT NULL DEFAULT 1 CHECK (is_active IN (0, 1)),
    created_at    TEXT    NOT NULL,
    last_login_at TEXT
);
"#;

const THEMES: &str = r#"
CREATE TABLE user_themes (
    user_id    INTEGER PRIMARY KEY REFERENCES users (id) ON DELETE CASCADE,
    mode       TEXT NOT NULL,
    accent     TEXT NOT NULL,
    font       TEXT NOT NULL,
    gray       TEXT NOT NULL,
    radius     TEXT NOT NULL,
    layout     TEXT NOT NULL,
    updated_at TEXT NOT NULL
);
CREATE TABLE theme_presets (
    id         INTEGER PRIMARY KEY AUTOINCREMENT,
    user_id    INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    name       TEXT    NOT NULL COLLATE NOCASE,
    mode       TEXT    NOT NULL,
    accent     TEXT    NOT NULL,
    font       TEXT    NOT NULL,
    gray       TEXT    NOT NULL,
    radius     TEXT    NOT NULL,
    layout     TEXT    NOT NULL,
    created_at TEXT    NOT NULL,
    updated_at TEXT    NOT NULL,
    UNIQUE (user_id, name)
);
"#;
