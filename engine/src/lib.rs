//! SmallStack's machinery: the two SQLite databases, accounts, sessions, and the backup engine.
//!
//! This crate knows nothing of Leptos or HTTP. The server's handlers, its CLI, its scheduler and
//! the app's server functions all reach the machinery through [`Engine`], so each capability has
//! one code path.

pub mod accounts;
pub mod backup;
pub mod db;
pub mod entities;
pub mod migrations;
pub mod sessions;
pub mod stats;
pub mod themes;

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
}

impl Engine {
    /// Creates the folders, opens both databases and applies their migrations.
    pub async fn open(config: EngineConfig) -> Result<Self, DbError> {
        for dir in [&config.media_root, &config.backup_dir] {
            std::fs::create_dir_all(dir).map_err(|e| DbError::Unusable {
                path: dir.clone(),
                reason: format!("cannot create the folder: {e}"),
            })?;
        }
        let app_db = Database::open(DbKind::Application, &config.database_path).await?;
        let system_db = Database::open(DbKind::System, &config.system_database_path).await?;
        let backups =
            backup::BackupEngine::new(app_db.clone(), system_db.clone(), config.backup_dir.clone(), config.backup.clone());
        // A backup interrupted by a crash is marked failed and its temporary file removed.
        backups.recover_interrupted().await.map_err(|e| match e {
            backup::BackupError::Db(e) => e,
            other => DbError::Unusable { path: config.backup_dir.clone(), reason: other.to_string() },
        })?;
        Ok(Engine {
            accounts: accounts::Accounts::new(app_db.clone()),
            lockout: accounts::Lockout::new(system_db.clone()),
            setup_tokens: accounts::SetupTokens::new(system_db.clone()),
            themes: themes::Themes::new(app_db.clone()),
            backups,
            config,
            app_db,
            system_db,
        })
    }

    /// Checkpoints and closes both databases.
    pub async fn close(&self) {
        let _ = self.app_db.close().await;
        let _ = self.system_db.close().await;
    }
}
