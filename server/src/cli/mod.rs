//! The `smallstack` command line. Every command reads the same environment variables as the
//! server and calls the same engine functions.

mod backup;
mod db;
pub mod healthcheck;
mod remote;
mod user;

use crate::{config::Settings, startup::Application, telemetry};
use anyhow::Context;
use clap::{Parser, Subcommand};
use std::{process::ExitCode, time::Duration};

/// How long the process waits at exit for blocking work still running (a copy being cancelled
/// at its next step) before it exits anyway.
const RUNTIME_STOP_TIMEOUT: Duration = Duration::from_secs(2);

#[derive(Debug, Parser)]
#[command(name = "smallstack", version, about = "SmallStack: a Rust web application on SQLite, with verified backups.")]
pub struct Cli {
    #[command(subcommand)]
    pub command: Option<Command>,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Serve the web application (the default).
    Serve,
    /// Apply the database migrations and exit.
    Migrate,
    /// Inspect and maintain the application database.
    #[command(subcommand)]
    Db(db::DbCommand),
    /// Create and manage users.
    #[command(subcommand)]
    User(user::UserCommand),
    /// Make, list, verify, restore and prune backups of the application database.
    #[command(subcommand)]
    Backup(backup::BackupCommand),
    /// Ask the running server's /health (at LEPTOS_SITE_ADDR): exit 0 when healthy, else print
    /// why and exit 1. For Docker's HEALTHCHECK.
    Healthcheck,
}

pub fn run(cli: Cli) -> anyhow::Result<ExitCode> {
    let settings = Settings::from_env()?;
    crate::files::apply_umask(settings.file_mode_umask);
    // Blocking threads (argon2id hashing: 19 MiB each) give their memory back when they exit;
    // tokio's default keeps an idle one for 10 s, which kept a burst of logins' memory as long.
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .thread_keep_alive(std::time::Duration::from_secs(1))
        .build()
        .context("cannot start the async runtime")?;
    let result = runtime.block_on(async move {
        match cli.command.unwrap_or(Command::Serve) {
            Command::Serve => serve(settings).await,
            Command::Migrate => migrate(settings).await,
            Command::Db(cmd) => db::run(cmd, &settings).await,
            Command::User(cmd) => user::run(cmd, &settings).await,
            Command::Backup(cmd) => backup::run(cmd, &settings).await,
            Command::Healthcheck => healthcheck::run(&settings).await,
        }
    });
    // Dropping the runtime would wait for every blocking task, however long; a stopping server
    // has already waited for what matters (see `Application::run_until`).
    runtime.shutdown_timeout(RUNTIME_STOP_TIMEOUT);
    result
}

async fn serve(settings: Settings) -> anyhow::Result<ExitCode> {
    telemetry::init(settings.log_format);
    settings.check_site()?;
    let app = Application::build(settings).await?;
    app.run_until_stopped().await?;
    Ok(ExitCode::SUCCESS)
}

async fn migrate(settings: Settings) -> anyhow::Result<ExitCode> {
    let engine = engine::Engine::open(settings.engine_config(None)).await?;
    for (kind, db) in [("application", &engine.app_db), ("system", &engine.system_db)] {
        println!("{kind} database {}: migrations applied", db.path().display());
    }
    engine.close().await;
    Ok(ExitCode::SUCCESS)
}
