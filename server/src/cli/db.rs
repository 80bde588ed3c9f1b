use crate::config::Settings;
use clap::Subcommand;
use engine::{Database, DbKind};
use indicatif::HumanBytes;
use std::{path::Path, process::ExitCode, time::Instant};

#[derive(Debug, Subcommand)]
pub enum DbCommand {
    /// Run PRAGMA integrity_check on both databases; exit 1 unless both are ok.
    Check,
    /// VACUUM the application database.
    Vacuum,
    /// Print the size of the database file, its WAL and their total.
    Size,
    /// Print each PRAGMA SmallStack sets, read from a live connection, and the SQLite version.
    Pragmas,
    /// Open the sqlite3 tool on the application database.
    Shell,
}

pub async fn run(cmd: DbCommand, settings: &Settings) -> anyhow::Result<ExitCode> {
    match cmd {
        DbCommand::Check => check(settings).await,
        DbCommand::Vacuum => vacuum(settings).await,
        DbCommand::Size => size(settings),
        DbCommand::Pragmas => pragmas(settings).await,
        DbCommand::Shell => shell(settings),
    }
}

async fn check(settings: &Settings) -> anyhow::Result<ExitCode> {
    let mut all_ok = true;
    for (kind, path) in [(DbKind::Application, &settings.database_path), (DbKind::System, &settings.system_database_path)] {
        let db = Database::open_without_migrating(kind, path).await?;
        let started = Instant::now();
        let problems = db.integrity_check().await?;
        let ms = started.elapsed().as_millis();
        if problems.is_empty() {
            println!("{}: ok ({ms} ms)", path.display());
        } else {
            all_ok = false;
            println!("{}: {} problem(s) ({ms} ms)", path.display(), problems.len());
            for p in problems.iter().take(20) {
                println!("  {p}");
            }
        }
        db.close().await?;
    }
    Ok(if all_ok { ExitCode::SUCCESS } else { ExitCode::FAILURE })
}

async fn vacuum(settings: &Settings) -> anyhow::Result<ExitCode> {
    let path = &settings.database_path;
    let db = Database::open_without_migrating(DbKind::Application, path).await?;
    let before = file_len(path);
    let started = Instant::now();
    db.vacuum().await?;
    db.checkpoint().await?;
    println!(
        "{}: vacuumed in {} ms, {} -> {}",
        path.display(),
        started.elapsed().as_millis(),
        HumanBytes(before),
        HumanBytes(file_len(path))
    );
    db.close().await?;
    Ok(ExitCode::SUCCESS)
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

pub(crate) fn wal_path(path: &Path) -> std::path::PathBuf {
    let mut name = path.as_os_str().to_owned();
    name.push("-wal");
    name.into()
}

fn file_len(path: &Path) -> u64 {
    std::fs::metadata(path).map(|m| m.len()).unwrap_or(0)
}
