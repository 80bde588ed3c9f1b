//! SmallStack's machinery: the two SQLite databases, accounts, sessions, themes, the backup
//! engine and database maintenance.
//!
//! This crate knows nothing of Leptos or HTTP. The server's handlers, its CLI and its scheduler
//! all reach the machinery through [`Engine`], so each capability has one code path. What it
//! returns to them is, wherever the browser sees it too, a type of the `contract` crate.

pub mod accounts;
pub mod backup;
pub mod db;
pub mod entities;
mod maintenance;
pub mod migrations;
pub mod sessions;
pub mod settings;
pub mod text;
pub mod themes;

pub use maintenance::database_stats;

pub use db::{Database, DbError, DbKind};

use std::path::PathBuf;

/// Where the machinery keeps its state. The server fills it from the environment.
#[derive(Debug, Clone)]
pub struct EngineConfig {
    pub database_path: PathBuf,
    pub system_database_path: PathBuf,
    pub media_root: PathBuf,
    pub backup_dir: PathBuf,
    /// Retention, default schedule and upload limit of backups, and who hears of failures.
    pub backup: backup::BackupConfig,
}

/// Everything the server, the CLI and server functions use, opened once.
#[derive(Debug, Clone)]
pub struct Engine {
    pub config: EngineConfig,
    /// Users, themes, presets.
    pub app_db: Database,
    /// Sessions, lockout counters, backup catalogue, settings.
    pub system_db: Database,
    pub accounts: accounts::Accounts,
    pub lockout: accounts::Lockout,
    pub setup_tokens: accounts::SetupTokens,
    pub themes: themes::Themes,
    /// Backups of the application database: create, verify, restore, upload, schedule.
    pub backups: backup::BackupEngine,
    /// Run-time settings and records in the system database.
    pub settings: settings::SettingsStore,
}

impl Engine {
    /// Creates the folders, opens both databases, applies their migrations and marks backups
    /// interrupted by a crash as failed.
    pub async fn open(config: EngineConfig) -> Result<Self, DbError> {
        for dir in [&config.media_root, &config.backup_dir] {
            std::fs::create_dir_all(dir).map_err(|e| DbError::Unusable {
                path: dir.clone(),
                reason: format!("cannot create the folder: {e}"),
            })?;
        }
        let app_db = Database::open(DbKind::Application, &config.database_path).await?;
        let system_db = Database::open(DbKind::System, &config.system_database_path).await?;
        let engine = Self::assemble(config, app_db, system_db);
        // A backup interrupted by a crash is marked failed and its temporary file removed.
        engine.backups.recover_interrupted().await.map_err(|e| match e {
            backup::BackupError::Db(e) => e,
            other => DbError::Unusable { path: engine.config.backup_dir.clone(), reason: other.to_string() },
        })?;
        Ok(engine)
    }

    /// Opens both databases as they are, without applying migrations or touching backups: for
    /// `smallstack db …`, which must be able to look at a database that is damaged or from
    /// another version.
    pub async fn open_for_maintenance(config: EngineConfig) -> Result<Self, DbError> {
        let app_db = Database::open_without_migrating(DbKind::Application, &config.database_path).await?;
        let system_db = Database::open(DbKind::System, &config.system_database_path).await?;
        Ok(Self::assemble(config, app_db, system_db))
    }

    fn assemble(config: EngineConfig, app_db: Database, system_db: Database) -> Self {
        Engine {
            accounts: accounts::Accounts::new(app_db.clone()),
            lockout: accounts::Lockout::new(system_db.clone()),
            setup_tokens: accounts::SetupTokens::new(system_db.clone(), accounts::Accounts::new(app_db.clone())),
            themes: themes::Themes::new(app_db.clone()),
            settings: settings::SettingsStore::new(system_db.clone()),
            backups: backup::BackupEngine::new(
                app_db.clone(),
                system_db.clone(),
                config.backup_dir.clone(),
                config.backup.clone(),
            ),
            config,
            app_db,
            system_db,
        }
    }

    /// Checkpoints and closes both databases.
    pub async fn close(&self) {
        let _ = self.app_db.close().await;
        let _ = self.system_db.close().await;
    }
}
