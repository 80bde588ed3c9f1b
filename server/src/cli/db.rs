//! `smallstack db …`: the same engine functions as the dashboard's database panel.

use crate::config::Settings;
use clap::Subcommand;
use contract::database::MaintenanceAction;
use engine::{Database, DbKind, Engine, db::wal_path};
use indicatif::HumanBytes;
use std::{path::Path, process::ExitCode};

#[derive(Debug, Subcommand)]
pub enum DbCommand {
    /// Run PRAGMA integrity_check on both databases (recorded, as the dashboard does); exit 1
    /// unless both are ok.
    Check,
    /// VACUUM the application database, then checkpoint its WAL.
    Vacuum,
    /// Checkpoint the application database's WAL (TRUNCATE).
    Checkpoint,
    /// Print the size of the database file, its WAL and their total.
    Size,
    /// Print each PRAGMA SmallStack sets, read from a live connection, and the SQLite version.
    Pragmas,
    /// Open the sqlite3 tool on the application database.
    Shell,
}

pub async fn run(cmd: DbCommand, settings: &Settings) -> anyhow::Result<ExitCode> {
    match cmd {
        DbCommand::Check => maintain(settings, MaintenanceAction::IntegrityCheck).await,
        DbCommand::Vacuum => maintain(settings, MaintenanceAction::Vacuum).await,
        DbCommand::Checkpoint => maintain(settings, MaintenanceAction::Checkpoint).await,
        DbCommand::Size => size(settings),
        DbCommand::Pragmas => pragmas(settings).await,
        DbCommand::Shell => shell(settings),
    }
}

/// Runs one maintenance action on the databases as they are (no migrations applied first, so a
/// damaged or foreign file is looked at, not changed) and prints the engine's report.
async fn maintain(settings: &Settings, action: MaintenanceAction) -> anyhow::Result<ExitCode> {
    let engine = Engine::open_for_maintenance(settings.engine_config(None)).await?;
    let report = engine.maintain(action).await;
    engine.close().await;
    let report = report?;
    match &report.integrity {
        Some(record) => {
            for check in &record.databases {
                if check.problems.is_empty() {
                    println!("{}: ok ({} ms)", check.path, check.duration_ms);
                } else {
                    println!("{}: {} problem(s) ({} ms)", check.path, check.problems.len(), check.duration_ms);
                    for p in check.problems.iter().take(20) {
                        println!("  {p}");
                    }
                }
            }
        }
        None => println!("{} ({} ms)", report.message, report.duration_ms),
    }
    Ok(if report.ok { ExitCode::SUCCESS } else { ExitCode::FAILURE })
}

fn size(settings: &Settings) -> anyhow::Result<ExitCode> {
    let path = &settings.database_path;
    if !path.exists() {
        anyhow::bail!("{}: no such database file", path.display());
    }
    let wal = wal_path(path);
    let (file, wal_len) = (file_len(path), file_len(&wal));
    let width = wal.display().to_string().len().max(5);
    println!("{:<width$}  {file:>14} bytes  {}", path.display(), HumanBytes(file));
    println!("{:<width$}  {wal_len:>14} bytes  {}", wal.display(), HumanBytes(wal_len));
    println!("{:<width$}  {:>14} bytes  {}", "total", file + wal_len, HumanBytes(file + wal_len));
    Ok(ExitCode::SUCCESS)
}

async fn pragmas(settings: &Settings) -> anyhow::Result<ExitCode> {
    let db = Database::open_without_migrating(DbKind::Application, &settings.database_path).await?;
    for (name, value) in db.read_pragmas(true).await? {
        println!("{name} {value}");
    }
    println!("sqlite_version {}", engine::db::sqlite_version());
    db.close().await?;
    Ok(ExitCode::SUCCESS)
}

fn shell(settings: &Settings) -> anyhow::Result<ExitCode> {
    let status = std::process::Command::new("sqlite3").arg(&settings.database_path).status();
    match status {
        Ok(status) => Ok(if status.success() { ExitCode::SUCCESS } else { ExitCode::FAILURE }),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            anyhow::bail!("the sqlite3 tool is not installed (on Debian: apt-get install sqlite3)")
        }
        Err(e) => anyhow::bail!("cannot start sqlite3: {e}"),
    }
}

fn file_len(path: &Path) -> u64 {
    std::fs::metadata(path).map(|m| m.len()).unwrap_or(0)
}
