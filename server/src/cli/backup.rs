//! `smallstack backup …`: the same engine calls as the dashboard and the scheduler.

use crate::{config::Settings, webhook::Webhook};
use anyhow::bail;
use clap::Subcommand;
use engine::backup::{BackupEngine, BackupName, BackupRecord, Progress, RestoreSource, Trigger, Unit};
use indicatif::{HumanBytes, ProgressBar, ProgressStyle};
use std::{
    future::Future,
    io::IsTerminal,
    path::{Path, PathBuf},
    process::ExitCode,
    time::Duration,
};
use tokio::{sync::watch, task::JoinHandle};

#[derive(Debug, Subcommand)]
pub enum BackupCommand {
    /// Make a verified backup of the application database now. Prints the file name, its size,
    /// the duration and the SHA-256. With a remote (BACKUP_REMOTE_URL), uploads it and checks
    /// the copy before it exits, then mirrors media/. Exit 1 if another backup or restore is
    /// running, or if the off-site copy failed (the backup is kept locally and retried).
    Create {
        /// Leave the off-site copy to the running server's uploader (the backup stays pending).
        #[arg(long)]
        no_upload: bool,
    },
    /// List backups, newest first, one per line: file name, status, size, created (UTC),
    /// trigger, id, and the error of a failed one.
    List,
    /// Verify a backup file (a path, or a backup name in BACKUP_DIR): SQLite header, integrity
    /// check, SmallStack schema not newer than this binary, and for a catalogued backup its
    /// checksum. Exit 1 with the reason if it fails.
    Verify { file: PathBuf },
    /// Restore the application database from a backup id, a backup name or a file, without
    /// stopping the server. A safety backup of the current database is taken first. Asks for
    /// confirmation when standard input is a terminal, unless --yes is given. With --remote,
    /// from an off-site copy (`latest` or a name): downloaded, checked against its SHA-256 and
    /// integrity_check, installed, then media/ is brought back. On a new machine with an empty
    /// data/ and the same BACKUP_REMOTE_* settings, this restores everything.
    Restore {
        /// Do not ask for confirmation.
        #[arg(long, short = 'y')]
        yes: bool,
        /// Restore from the remote: SOURCE is `latest` or a backup name there.
        #[arg(long)]
        remote: bool,
        /// A backup id (see `backup list`), a backup file name, or a path; with --remote,
        /// `latest` or a backup name.
        source: String,
    },
    /// Apply retention now: keep the newest BACKUP_RETENTION successful backups and prune the
    /// others (safety copies and uploads are kept).
    Prune,
    /// The off-site remote (BACKUP_REMOTE_URL): list, check, verify.
    #[command(subcommand)]
    Remote(super::remote::RemoteCommand),
}

pub async fn run(cmd: BackupCommand, settings: &Settings) -> anyhow::Result<ExitCode> {
    let webhook = settings.backup_webhook_url.clone().map(Webhook::new).transpose()?;
    let engine = engine::Engine::open(settings.engine_config(webhook.as_ref().map(Webhook::notifier))).await?;
    let backups = &engine.backups;
    let result = match cmd {
        BackupCommand::Create { no_upload } => create(backups, no_upload).await,
        BackupCommand::List => list(backups).await,
        BackupCommand::Verify { file } => verify(backups, &file).await,
        BackupCommand::Restore { yes, remote: true, source } => {
            super::remote::restore(backups, settings, &source, yes).await
        }
        BackupCommand::Restore { yes, remote: false, source } => restore(backups, settings, &source, yes).await,
        BackupCommand::Prune => prune(backups).await,
        BackupCommand::Remote(cmd) => super::remote::run(cmd, backups).await,
    };
    if let Some(webhook) = &webhook {
        webhook.flush(Duration::from_secs(10)).await;
    }
    engine.close().await;
    result
}

async fn create(backups: &BackupEngine, no_upload: bool) -> anyhow::Result<ExitCode> {
    let record = with_progress(backups, backups.create(Trigger::Cli)).await?;
    println!("{}", record.filename);
    println!("  path      {}", backups.dir().join(&record.filename).display());
    let size = record.size_bytes.unwrap_or(0);
    println!("  size      {} ({size} bytes)", HumanBytes(size));
    println!(
        "  duration  {} ms (copy {} ms, verify {} ms)",
        record.duration_ms.unwrap_or(0),
        record.copy_ms.unwrap_or(0),
        record.verify_ms.unwrap_or(0)
    );
    println!("  sha256    {}", record.sha256.as_deref().unwrap_or("-"));
    if !backups.remote_configured() {
        return Ok(ExitCode::SUCCESS);
    }
    if no_upload {
        println!("  off-site  pending: the running server's uploader copies it");
        return Ok(ExitCode::SUCCESS);
    }
    super::remote::upload(backups, &record).await
}

async fn list(backups: &BackupEngine) -> anyhow::Result<ExitCode> {
    let records = backups.list().await?;
    if records.is_empty() {
        eprintln!("no backups yet (BACKUP_DIR={})", backups.dir().display());
    }
    for r in records {
        println!("{}", list_line(&r));
    }
    Ok(ExitCode::SUCCESS)
}

fn list_line(r: &BackupRecord) -> String {
    let mut fields = vec![
        if r.filename.is_empty() { "-".to_string() } else { r.filename.clone() },
        r.status.to_string(),
        r.size_bytes.map_or_else(|| "-".to_string(), |s| HumanBytes(s).to_string()),
        r.created_at.format("%Y-%m-%dT%H:%M:%SZ").to_string(),
        r.trigger.to_string(),
        format!("#{}", r.id),
    ];
    if let Some(error) = &r.error {
        fields.push(error.replace(['\n', '\t'], " "));
    }
    fields.join("\t")
}

/// A path as given, or, when nothing is there and it is a backup name, that backup in
/// `BACKUP_DIR`.
fn resolve_file(dir: &Path, file: &Path) -> PathBuf {
    if !file.exists()
        && let Some(name) = file.to_str().and_then(|s| BackupName::parse(s).ok())
    {
        return dir.join(name.as_str());
    }
    file.to_path_buf()
}

async fn verify(backups: &BackupEngine, file: &Path) -> anyhow::Result<ExitCode> {
    let path = resolve_file(backups.dir(), file);
    let check = backups.verify_file(&path).await?;
    println!("{}: ok", path.display());
    println!(
        "  size        {} ({} bytes), {} pages of {} bytes",
        HumanBytes(check.size_bytes),
        check.size_bytes,
        check.page_count,
        check.page_size
    );
    println!("  integrity   ok ({} ms with the checksum)", check.verify_ms);
    if check.pending_migrations.is_empty() {
        println!("  schema      up to date ({} migrations)", check.migrations.len());
    } else {
        println!(
            "  schema      older: a restore applies {} migration(s): {}",
            check.pending_migrations.len(),
            check.pending_migrations.join(", ")
        );
    }
    println!("  sha256      {}", check.sha256);
    Ok(ExitCode::SUCCESS)
}

async fn restore(backups: &BackupEngine, settings: &Settings, arg: &str, yes: bool) -> anyhow::Result<ExitCode> {
    let source = RestoreSource::from_argument(arg);
    let described = match &source {
        RestoreSource::Id(id) => describe_record(&backups.get(*id).await?),
        RestoreSource::Name(name) => describe_record(&backups.find_by_name(name.as_str()).await?),
        RestoreSource::File(path) => path.display().to_string(),
    };
    if !yes && std::io::stdin().is_terminal() {
        let question = format!(
            "Restore {described}\n   over {}?\nThe current database is kept as a safety backup first. Type \"yes\" to continue: ",
            settings.database_path.display()
        );
        if !confirm(question).await? {
            bail!("restore cancelled; nothing was changed");
        }
    }
    let outcome = with_progress(backups, backups.restore(source)).await?;
    println!("restored {} from {described}", settings.database_path.display());
    println!("  safety backup  {} (#{})", outcome.safety_backup.filename, outcome.safety_backup.id);
    if !outcome.migrations_applied.is_empty() {
        println!("  migrations     applied {}", outcome.migrations_applied.join(", "));
    }
    if outcome.page_size_converted {
        println!("  page size      converted to the live database's");
    }
    println!("  duration       {} ms", outcome.duration_ms);
    Ok(ExitCode::SUCCESS)
}

pub(super) fn describe_record(r: &BackupRecord) -> String {
    format!(
        "backup #{} {} ({}, {}, {})",
        r.id,
        r.filename,
        r.created_at.format("%Y-%m-%d %H:%M:%S UTC"),
        r.size_bytes.map_or_else(|| "-".to_string(), |s| HumanBytes(s).to_string()),
        r.trigger
    )
}

/// Asks on the terminal; true only for "yes" or "y".
pub(super) async fn confirm(question: String) -> anyhow::Result<bool> {
    let answer = tokio::task::spawn_blocking(move || {
        eprint!("{question}");
        let mut line = String::new();
        std::io::stdin().read_line(&mut line).map(|_| line)
    })
    .await??;
    Ok(matches!(answer.trim().to_ascii_lowercase().as_str(), "yes" | "y"))
}

async fn prune(backups: &BackupEngine) -> anyhow::Result<ExitCode> {
    let keep = backups.retention().await?;
    let pruned = backups.prune().await?;
    if pruned.is_empty() {
        if keep == 0 {
            println!("nothing to prune: BACKUP_RETENTION=0 keeps every backup");
        } else {
            println!(
                "nothing to prune: keeping at most {}",
                contract::format::plural(keep.into(), "backup", "backups")
            );
        }
    }
    for r in pruned {
        println!("pruned {}\t#{}", r.filename, r.id);
    }
    Ok(ExitCode::SUCCESS)
}

/// Runs a backup or restore with a progress bar on standard error (drawn only on a terminal).
/// Ctrl-C meanwhile stops a backup cleanly at its next step instead of leaving a half-written
/// file.
pub(super) async fn with_progress<T>(backups: &BackupEngine, operation: impl Future<Output = T>) -> T {
    let bar = ProgressBar::new(0);
    let drawing = tokio::spawn(draw(backups.subscribe_progress(), bar.clone()));
    let interrupt: JoinHandle<()> = {
        let backups = backups.clone();
        tokio::spawn(async move {
            if tokio::signal::ctrl_c().await.is_ok() {
                eprintln!("\ninterrupted: stopping cleanly…");
                backups.begin_shutdown();
            }
        })
    };
    let out = operation.await;
    interrupt.abort();
    drawing.abort();
    bar.finish_and_clear();
    out
}

async fn draw(mut progress: watch::Receiver<Option<Progress>>, bar: ProgressBar) {
    let mut unit = None;
    while progress.changed().await.is_ok() {
        let Some(p) = progress.borrow_and_update().clone() else { continue };
        if p.phase.is_finished() {
            break;
        }
        if unit != Some(p.unit) {
            unit = Some(p.unit);
            let template = match p.unit {
                Unit::Pages => "{msg:>14} [{bar:32}] {pos}/{len} pages",
                Unit::Bytes => "{msg:>14} [{bar:32}] {bytes}/{total_bytes}",
                Unit::Steps => "{msg:>14} {spinner}",
            };
            bar.set_style(ProgressStyle::with_template(template).unwrap_or_else(|_| ProgressStyle::default_bar()));
            if p.unit == Unit::Steps {
                bar.enable_steady_tick(Duration::from_millis(120));
            } else {
                bar.disable_steady_tick();
            }
        }
        bar.set_message(p.phase.label());
        bar.set_length(p.total);
        bar.set_position(p.done);
    }
}
