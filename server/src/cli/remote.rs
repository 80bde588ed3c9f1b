//! `smallstack backup remote list|check|verify`, the off-site half of `backup create` (upload
//! with a progress bar), and `backup restore --remote latest|<name>`: the same engine calls as
//! the server's uploader and the dashboard's Remote tab.

use super::backup::{confirm, with_progress};
use crate::config::Settings;
use anyhow::bail;
use clap::Subcommand;
use contract::{
    backup::{RemoteProgress, RemoteState},
    format::{human_ms, human_time},
};
use engine::backup::{BackupEngine, BackupError, BackupRecord, RemoteChoice, remote::TransferProgress};
use indicatif::{HumanBytes, ProgressBar, ProgressStyle};
use std::{io::IsTerminal, process::ExitCode, time::Duration};
use tokio::sync::watch;

#[derive(Debug, Subcommand)]
pub enum RemoteCommand {
    /// List what the remote holds, oldest first, one per line: name, created (UTC), size,
    /// whether the copy was verified (its .sha256 is beside it), and the local catalogue's record
    /// of it (copies made on another machine are listed too).
    List,
    /// Test the connection and the permissions: list, write, read back, list and delete a probe
    /// object. Exit 1 naming the step that failed and why.
    Check,
    /// Re-read every remote copy and check its size and SHA-256 against its .sha256 (and the
    /// catalogue, when it knows the backup). Exit 1 naming each copy that does not match.
    Verify,
}

pub async fn run(cmd: RemoteCommand, backups: &BackupEngine) -> anyhow::Result<ExitCode> {
    if !backups.remote_configured() {
        return Err(BackupError::NoRemote.into());
    }
    match cmd {
        RemoteCommand::List => list(backups).await,
        RemoteCommand::Check => check(backups).await,
        RemoteCommand::Verify => verify(backups).await,
    }
}

async fn list(backups: &BackupEngine) -> anyhow::Result<ExitCode> {
    let copies = backups.list_remote().await?;
    if copies.is_empty() {
        eprintln!("the remote holds no backups yet ({})", backups.remote_store()?.description());
    }
    for c in copies {
        let verified = match (&c.sha256, &c.sidecar_error) {
            (Some(_), _) => "verified".to_string(),
            (None, Some(e)) => format!("unusable: its .sha256 is unreadable ({e})"),
            (None, None) => "unfinished: no .sha256 (an upload that never completed)".to_string(),
        };
        let local = match (c.backup_id, c.local_file) {
            (Some(id), true) => format!("#{id} also local"),
            (Some(id), false) => format!("#{id} remote only"),
            (None, _) => "not in the local catalogue".to_string(),
        };
        println!(
            "{}\t{}\t{}\t{verified}\t{local}",
            c.name,
            c.created_at.format("%Y-%m-%dT%H:%M:%SZ"),
            HumanBytes(c.size_bytes)
        );
    }
    Ok(ExitCode::SUCCESS)
}

async fn check(backups: &BackupEngine) -> anyhow::Result<ExitCode> {
    let report = backups.check_remote().await?;
    if let Some(error) = report.error {
        bail!("{error}");
    }
    println!("{}: ok", backups.remote_store()?.description());
    for step in report.steps {
        println!("  {:<8} {} ms", step.step.to_string(), step.ms);
    }
    Ok(ExitCode::SUCCESS)
}

async fn verify(backups: &BackupEngine) -> anyhow::Result<ExitCode> {
    let bar = ProgressBar::new(0);
    if std::io::stderr().is_terminal() {
        bar.set_style(byte_style());
    } else {
        bar.set_draw_target(indicatif::ProgressDrawTarget::hidden());
    }
    let report = {
        let bar = bar.clone();
        move |name: &str, p: TransferProgress| {
            bar.set_message(name.to_string());
            bar.set_length(p.total);
            bar.set_position(p.done);
        }
    };
    let results = backups.verify_remote(&report).await;
    bar.finish_and_clear();
    let results = results?;
    let mut bad = Vec::new();
    for r in &results {
        match &r.problem {
            None => println!("ok\t{}\t{}", r.name, HumanBytes(r.size)),
            Some(problem) => {
                println!("MISMATCH\t{}\t{problem}", r.name);
                bad.push(format!("{} ({problem})", r.name));
            }
        }
    }
    if !bad.is_empty() {
        bail!("{} of {} remote copies failed verification: {}", bad.len(), results.len(), bad.join("; "));
    }
    println!("{} remote copies verified: size and SHA-256 match", results.len());
    Ok(ExitCode::SUCCESS)
}

/// `backup create`'s off-site copy, with a progress bar; exit 1 when it failed (the backup is
/// kept locally and the server's uploader retries it).
pub async fn upload(backups: &BackupEngine, record: &BackupRecord) -> anyhow::Result<ExitCode> {
    let bar = ProgressBar::new(record.size_bytes.unwrap_or(0));
    let drawing = backups.subscribe_remote_progress().map(|rx| tokio::spawn(draw(rx, bar.clone())));
    let interrupt = {
        let backups = backups.clone();
        tokio::spawn(async move {
            if tokio::signal::ctrl_c().await.is_ok() {
                eprintln!("\ninterrupted: stopping the upload; the backup stays queued for the server");
                backups.begin_shutdown();
            }
        })
    };
    let outcome = backups.upload_copy_now(record.id).await;
    interrupt.abort();
    if let Some(drawing) = drawing {
        drawing.abort();
    }
    bar.finish_and_clear();
    let outcome = outcome?;
    match outcome.record.remote.clone() {
        Some(r) if r.state == RemoteState::Uploaded => {
            println!("  off-site  {}", r.key.as_deref().unwrap_or("-"));
            println!(
                "            uploaded in {}, read back and verified in {}",
                human_ms(r.upload_ms.unwrap_or(0)),
                human_ms(r.verify_ms.unwrap_or(0))
            );
        }
        Some(r) if r.state == RemoteState::Failed => {
            let error = r.error.unwrap_or_else(|| "no reason recorded".into());
            bail!("the off-site copy failed: {error} (the backup is kept locally; the server's uploader retries it)");
        }
        _ => bail!("the off-site copy was not made; the backup stays queued for the server's uploader"),
    }
    if let Some(media) = outcome.media {
        match media.error {
            None => println!(
                "  media     {} files, {} sent ({}), {} unchanged, in {}",
                media.files,
                media.transferred,
                HumanBytes(media.bytes),
                media.unchanged,
                human_ms(media.elapsed_ms)
            ),
            Some(error) => eprintln!("smallstack: warning: media/ was not mirrored: {error}"),
        }
    }
    for name in outcome.pruned {
        println!("  pruned remotely  {name} (BACKUP_REMOTE_KEEP)");
    }
    Ok(ExitCode::SUCCESS)
}

/// `backup restore --remote latest|<name>`.
pub async fn restore(backups: &BackupEngine, settings: &Settings, arg: &str, yes: bool) -> anyhow::Result<ExitCode> {
    let choice = RemoteChoice::parse(arg)?;
    let store = backups.remote_store()?;
    if !yes && std::io::stdin().is_terminal() {
        let question = format!(
            "Restore the off-site copy {arg} from {}\n   over {}, and bring media/ back?\nThe current database is kept as a safety backup first. Type \"yes\" to continue: ",
            store.description(),
            settings.database_path.display()
        );
        if !confirm(question).await? {
            bail!("restore cancelled; nothing was changed");
        }
    }
    let outcome = with_progress(backups, backups.restore_remote(choice)).await?;
    let r = &outcome.record;
    println!("restored {} from the off-site copy {}", settings.database_path.display(), r.filename);
    println!("  remote         {}", outcome.key);
    let sha = r.sha256.as_deref().unwrap_or("-");
    match outcome.downloaded {
        Some((bytes, ms)) => println!(
            "  downloaded     {} ({bytes} bytes) in {}; SHA-256 {sha} matches {}.sha256",
            HumanBytes(bytes),
            human_ms(ms),
            r.filename
        ),
        None => println!("  local copy     already in BACKUP_DIR, identical (SHA-256 {sha})"),
    }
    println!("  made at        {}", human_time(r.created_at));
    println!("  checked        integrity_check ok, schema not newer than this program");
    println!("  safety backup  {} (#{})", outcome.restore.safety_backup.filename, outcome.restore.safety_backup.id);
    if !outcome.restore.migrations_applied.is_empty() {
        println!("  migrations     applied {}", outcome.restore.migrations_applied.join(", "));
    }
    println!("  duration       {}", human_ms(outcome.restore.duration_ms));
    match outcome.media {
        Ok(m) => {
            println!(
                "  media          {} files brought back ({}), {} already there",
                m.transferred,
                HumanBytes(m.bytes),
                m.unchanged
            );
            Ok(ExitCode::SUCCESS)
        }
        Err(e) => bail!("the database is restored, but media/ could not be fully brought back: {e}"),
    }
}

fn byte_style() -> ProgressStyle {
    ProgressStyle::with_template("{msg:>14} [{bar:32}] {bytes}/{total_bytes} {bytes_per_sec}")
        .unwrap_or_else(|_| ProgressStyle::default_bar())
}

/// Draws the off-site copy's progress on standard error (indicatif draws only on a terminal).
async fn draw(mut progress: watch::Receiver<Option<RemoteProgress>>, bar: ProgressBar) {
    bar.set_style(ProgressStyle::with_template("{msg:>14} {spinner}").unwrap_or_else(|_| ProgressStyle::default_bar()));
    bar.set_message("waiting");
    bar.enable_steady_tick(Duration::from_millis(120));
    let mut styled = false;
    while progress.changed().await.is_ok() {
        let Some(p) = progress.borrow_and_update().clone() else { continue };
        if !styled {
            styled = true;
            bar.disable_steady_tick();
            bar.set_style(byte_style());
        }
        bar.set_message(p.phase.label());
        bar.set_length(p.total);
        bar.set_position(p.done);
    }
}
