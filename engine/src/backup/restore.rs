//! Restoring the live application database without a restart.

use super::{
    BackupEngine, BackupError, BackupName, BackupRecord, EventKind, FileCheck, Operation, Phase, Reporter, Trigger,
    blocking, detached, elapsed_ms, files, sqlite,
};
use crate::{Database, DbKind, migrations};
use chrono::Utc;
use contract::format::human_bytes;
use serde::Serialize;
use std::{
    path::{Path, PathBuf},
    time::Instant,
};

/// What to restore from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RestoreSource {
    /// A backup in the catalogue, by id.
    Id(i64),
    /// A backup in `BACKUP_DIR`, by file name.
    Name(BackupName),
    /// Any file (the CLI).
    File(PathBuf),
}

impl RestoreSource {
    /// How the CLI reads its argument: digits are an id, a backup file name is a name, anything
    /// else a path.
    pub fn from_argument(arg: &str) -> Self {
        if !arg.is_empty()
            && arg.bytes().all(|b| b.is_ascii_digit())
            && let Ok(id) = arg.parse()
        {
            return RestoreSource::Id(id);
        }
        match BackupName::parse(arg) {
            Ok(name) => RestoreSource::Name(name),
            Err(_) => RestoreSource::File(PathBuf::from(arg)),
        }
    }
}

/// What a restore did.
#[derive(Debug, Clone, Serialize)]
pub struct RestoreOutcome {
    /// The catalogued backup restored, when the source was one.
    pub source: Option<BackupRecord>,
    pub source_path: PathBuf,
    /// The copy of the live database taken just before (trigger `pre-restore`).
    pub safety_backup: BackupRecord,
    /// Migrations of this binary that the source lacked and the restore applied.
    pub migrations_applied: Vec<String>,
    /// The source had another page size and was converted to the live database's.
    pub page_size_converted: bool,
    pub duration_ms: u64,
}

impl BackupEngine {
    /// Restores the live application database from a backup or a file, without a restart:
    /// validate a private staging copy (and bring it to this binary's migrations and the live
    /// page size), hold new writes, take a `pre-restore` safety backup, copy the staging file into
    /// the live database through the writer connection, release writes.
    ///
    /// Writes are held before the safety backup, so the safety copy holds every write
    /// acknowledged before the restore. In-process writers wait up to 5 s and then get
    /// [`crate::DbError::WritesHeld`]. Sessions and the catalogue (system database) are untouched.
    pub async fn restore(&self, source: RestoreSource) -> Result<RestoreOutcome, BackupError> {
        let this = self.clone();
        detached(async move { this.restore_now(source).await }).await
    }

    async fn restore_now(&self, source: RestoreSource) -> Result<RestoreOutcome, BackupError> {
        let _lock = self.lock_unless_stopping()?;
        let reporter = self.reporter(Operation::Restore);
        let result = self.restore_locked(source, &reporter).await;
        match &result {
            Ok(outcome) => {
                tracing::info!(
                    source = %outcome.source_path.display(),
                    safety_backup = %outcome.safety_backup.filename,
                    duration_ms = outcome.duration_ms,
                    "database restored"
                );
                reporter.finish(true);
            }
            Err(e) => {
                if e.is_client_error() {
                    tracing::warn!(error = %e, "restore refused");
                } else {
                    self.report_failure(Operation::Restore, None, e);
                }
                reporter.finish(false);
            }
        }
        result
    }

    async fn resolve_source(&self, source: RestoreSource) -> Result<(PathBuf, Option<BackupRecord>), BackupError> {
        let record = match source {
            RestoreSource::Id(id) => self.inner.catalogue.require(id).await?,
            RestoreSource::Name(name) => self.find_by_name(name.as_str()).await?,
            RestoreSource::File(path) => {
                // A path to a catalogued backup counts as that backup (its checksum is checked and
                // its timeline records the restore).
                let record = self.catalogued(&path).await?;
                return Ok((path, record));
            }
        };
        let path = self.file_path(&record)?;
        Ok((path, Some(record)))
    }

    async fn restore_locked(&self, source: RestoreSource, reporter: &Reporter) -> Result<RestoreOutcome, BackupError> {
        let started = Instant::now();
        let (path, record) = self.resolve_source(source).await?;
        // Staff see a catalogued backup by its name; a file given on the command line by its path.
        let label = match &record {
            Some(record) => record.filename.clone(),
            None => path.display().to_string(),
        };
        if !path.exists() {
            return Err(BackupError::invalid(format!("{label} does not exist (no such file)")));
        }
        // A first cheap look, before copying anything: refuses a text file or a truncated one at once.
        match crate::db::read_header(&path) {
            Ok(_) => {}
            Err(crate::db::HeaderError::Empty) => return Err(BackupError::invalid(format!("{label} is empty"))),
            Err(crate::db::HeaderError::Io(_)) => return Err(BackupError::invalid(format!("{label} cannot be read"))),
            Err(e) => return Err(BackupError::invalid(format!("{label} {e}"))),
        }
        let live = self.inner.app_db.path().to_path_buf();
        if let (Ok(a), Ok(b)) = (path.canonicalize(), live.canonicalize())
            && a == b
        {
            return Err(BackupError::invalid(format!("{label} is the live database itself")));
        }
        let source_len = files::file_len(&path);
        let (db, wal) = files::database_bytes(&live);
        files::check_space(&self.inner.dir, source_len + db + wal, || {
            format!(
                "a staging copy of the source {} + a safety backup ({}) + 10 %",
                human_bytes(source_len),
                files::describe_database_size(db, wal)
            )
        })?;

        let staged =
            files::temp_path(&self.inner.dir, &format!("restore-{}.sqlite3", Utc::now().format("%Y%m%d-%H%M%S-%f")));
        let expected_sha = record.as_ref().and_then(|r| r.sha256.clone());
        let result = self.restore_staged(&path, &label, expected_sha.as_deref(), &staged, reporter).await;
        files::remove_temp(&staged);
        let (safety_backup, check, page_size_converted) = result?;

        let now = Utc::now();
        if let Some(record) = &record {
            self.inner.catalogue.mark_restored(record.id, now).await?;
            self.inner
                .catalogue
                .add_event(
                    record.id,
                    EventKind::Restored,
                    Some(format!(
                        "restored into the live database; safety backup {} (#{})",
                        safety_backup.filename, safety_backup.id
                    )),
                )
                .await?;
        }
        let source = match &record {
            Some(r) => Some(self.inner.catalogue.require(r.id).await?),
            None => None,
        };
        Ok(RestoreOutcome {
            source,
            source_path: path,
            safety_backup,
            migrations_applied: check.pending_migrations,
            page_size_converted,
            duration_ms: elapsed_ms(started),
        })
    }

    async fn restore_staged(
        &self,
        source: &Path,
        label: &str,
        expected_sha: Option<&str>,
        staged: &Path,
        reporter: &Reporter,
    ) -> Result<(BackupRecord, FileCheck, bool), BackupError> {
        let validating = reporter.nested(Phase::Validate);
        let (src, shown, dst, cancel, r) = (
            source.to_path_buf(),
            label.to_string(),
            staged.to_path_buf(),
            self.inner.stopping.clone(),
            validating.clone(),
        );
        blocking(move || sqlite::copy_file(&src, &shown, &dst, &cancel, &r)).await?;
        let (dst, shown, cancel, r) =
            (staged.to_path_buf(), label.to_string(), self.inner.stopping.clone(), validating.clone());
        let check = blocking(move || sqlite::validate(&dst, &shown, sqlite::Purpose::Source, &cancel, &r)).await?;
        if let Some(expected) = expected_sha.filter(|e| *e != check.sha256) {
            return Err(BackupError::invalid(format!(
                "{label}: its SHA-256 {} differs from the one recorded when it was made ({expected}): the file has changed",
                check.sha256
            )));
        }

        if !check.pending_migrations.is_empty() {
            // Migrated on the private copy, so readers of the live database never see the
            // restored data before its migrations.
            let staged_db = Database::open(DbKind::Application, staged)
                .await
                .map_err(|e| BackupError::failed("cannot apply the migrations to the source", e))?;
            staged_db.close().await?;
        }
        let live_page_size: u32 = Database::pragma(self.inner.app_db.reader(), "page_size")
            .await?
            .parse()
            .map_err(|e| BackupError::failed("cannot read the live page size", e))?;
        let dst = staged.to_path_buf();
        let converted = blocking(move || sqlite::prepare_staged(&dst, live_page_size)).await?;
        self.refuse_if_stopping()?;

        // From here on, in-process writes wait (then get WritesHeld) until the restore is done.
        let hold = self.inner.app_db.write_gate().hold().await;
        let safety = self
            .snapshot(Trigger::PreRestore, &reporter.nested(Phase::SafetyBackup), None)
            .await
            .map_err(|e| BackupError::Failed(format!("the safety backup failed, so nothing was restored: {e}")))?;
        self.copy_into_live(staged, reporter).await?;
        migrations::apply(DbKind::Application, self.inner.app_db.writer_connection()).await?;
        drop(hold);
        Ok((safety, check, converted))
    }

    /// Copies the staging file into the live database through the writer connection: the one
    /// connection every in-process write uses, held here while the gate keeps writers out.
    async fn copy_into_live(&self, staged: &Path, reporter: &Reporter) -> Result<(), BackupError> {
        let pool = self.inner.app_db.writer_connection().get_sqlite_connection_pool();
        let conn = pool.acquire().await.map_err(|e| BackupError::failed("cannot get the writer connection", e))?;
        let (staged, reporter) = (staged.to_path_buf(), reporter.clone());
        let runtime = tokio::runtime::Handle::current();
        let (conn, result) = tokio::task::spawn_blocking(move || {
            let mut conn = conn;
            // The sqlx lock on the connection lives on this thread for the whole copy.
            let result = match runtime.block_on(conn.lock_handle()) {
                Ok(mut handle) => {
                    sqlite::with_raw_connection(&mut handle, |dest| sqlite::copy_into(&staged, dest, &reporter))
                        .and_then(|r| r)
                }
                Err(e) => Err(BackupError::failed("cannot lock the writer connection", e)),
            };
            (conn, result)
        })
        .await
        .map_err(|e| BackupError::Failed(format!("the restore stopped unexpectedly: {e}")))?;
        drop(conn);
        result
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn restore_arguments() {
        assert_eq!(RestoreSource::from_argument("12"), RestoreSource::Id(12));
        assert!(matches!(RestoreSource::from_argument("db-20261125-020000.sqlite3"), RestoreSource::Name(_)));
        assert_eq!(RestoreSource::from_argument("./x.sqlite3"), RestoreSource::File("./x.sqlite3".into()));
        assert_eq!(
            RestoreSource::from_argument("99999999999999999999999"),
            RestoreSource::File("99999999999999999999999".into())
        );
    }
}
