//! Receiving a backup file from outside (the dashboard's upload).

use super::{
    BackupEngine, BackupError, BackupRecord, EventKind, Operation, Phase, Reporter, Status, Trigger, Unit, blocking,
    catalogue::Finished, detached, elapsed_ms, files, sqlite,
};
use chrono::{DateTime, Utc};
use contract::format::human_bytes;
use std::{path::Path, time::Instant};
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWriteExt};

impl BackupEngine {
    /// Receives a backup file: streams it under a temporary name (refusing more than
    /// `BACKUP_UPLOAD_MAX` bytes, and a declared size over it before reading anything), validates
    /// it exactly as a restore source, then gives it a backup name and records it with trigger
    /// `upload`. On any error nothing is kept.
    pub async fn upload<R>(&self, reader: R, declared_size: Option<u64>) -> Result<BackupRecord, BackupError>
    where
        R: AsyncRead + Unpin + Send + 'static,
    {
        let this = self.clone();
        detached(async move { this.upload_now(reader, declared_size).await }).await
    }

    async fn upload_now<R: AsyncRead + Unpin + Send>(
        &self,
        mut reader: R,
        declared: Option<u64>,
    ) -> Result<BackupRecord, BackupError> {
        self.refuse_if_stopping()?;
        let limit = self.inner.config.upload_max;
        if declared.is_some_and(|size| size > limit) {
            return Err(BackupError::TooLarge { limit });
        }
        let dir = self.inner.dir.clone();
        std::fs::create_dir_all(&dir).map_err(|e| BackupError::failed("cannot create the backup folder", e))?;
        if let Some(size) = declared {
            files::check_space(&dir, size, || format!("the upload {}", human_bytes(size)))?;
        }
        let started = Instant::now();
        let started_at = Utc::now();
        let reporter = self.reporter(Operation::Upload);
        let tmp = files::temp_path(
            &dir,
            &format!("upload-{}-{:016x}.sqlite3", started_at.format("%Y%m%d-%H%M%S"), rand::random::<u64>()),
        );
        let result = self.receive_and_record(&mut reader, declared, &tmp, started, started_at, &reporter).await;
        if let Err(e) = &result {
            files::remove_temp(&tmp);
            if !e.is_client_error() {
                self.report_failure(Operation::Upload, None, e);
            }
        }
        reporter.finish(result.is_ok());
        result
    }

    async fn receive_and_record<R: AsyncRead + Unpin + Send>(
        &self,
        reader: &mut R,
        declared: Option<u64>,
        tmp: &Path,
        started: Instant,
        started_at: DateTime<Utc>,
        reporter: &Reporter,
    ) -> Result<BackupRecord, BackupError> {
        let limit = self.inner.config.upload_max;
        let file = std::fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .open(tmp)
            .map_err(|e| BackupError::failed("cannot create the upload's temporary file", e))?;
        // The lock on the temporary file tells a clean-up in another process that it is in use.
        file.try_lock().map_err(|e| BackupError::failed("cannot lock the upload's temporary file", e))?;
        let _in_use =
            file.try_clone().map_err(|e| BackupError::failed("cannot lock the upload's temporary file", e))?;
        let mut out = tokio::fs::File::from_std(file);
        let mut buf = vec![0u8; 256 * 1024];
        let mut received = 0u64;
        reporter.report(Phase::Receive, 0, declared.unwrap_or(0), Unit::Bytes);
        loop {
            // A body that ends early is the client's (or its connection's) doing, not a failure of
            // the backup system.
            let n = reader
                .read(&mut buf)
                .await
                .map_err(|e| BackupError::invalid(format!("the upload broke off after {received} bytes: {e}")))?;
            if n == 0 {
                break;
            }
            received += n as u64;
            if received > limit {
                return Err(BackupError::TooLarge { limit });
            }
            out.write_all(&buf[..n])
                .await
                .map_err(|e| BackupError::failed("cannot write the upload's temporary file", e))?;
            reporter.report(Phase::Receive, received, declared.unwrap_or(0), Unit::Bytes);
        }
        out.flush().await.map_err(|e| BackupError::failed("cannot write the upload", e))?;
        out.sync_all().await.map_err(|e| BackupError::failed("cannot sync the upload", e))?;
        drop(out);
        let copy_ms = elapsed_ms(started);

        if received == 0 {
            return Err(BackupError::invalid("the uploaded file is empty: choose a backup file first"));
        }
        let (path, cancel, r) = (tmp.to_path_buf(), self.inner.stopping.clone(), reporter.clone());
        let check =
            blocking(move || sqlite::validate(&path, "the uploaded file", sqlite::Purpose::Source, &cancel, &r))
                .await?;
        if let Some(same) = self
            .inner
            .catalogue
            .list()
            .await?
            .into_iter()
            .find(|b| b.has_file() && b.sha256 == Some(check.sha256.clone()))
        {
            return Err(BackupError::Duplicate { id: same.id, filename: same.filename });
        }
        let at = Utc::now();
        let (_, sequence) = self.plan_name(at).await?;
        let (path, dir) = (tmp.to_path_buf(), self.inner.dir.clone());
        let name = blocking(move || files::publish(&path, &dir, at, sequence)).await?;
        let finished = Finished {
            filename: name.to_string(),
            size_bytes: check.size_bytes,
            duration_ms: elapsed_ms(started),
            copy_ms,
            verify_ms: check.verify_ms,
            sha256: check.sha256.clone(),
        };
        let record = self
            .inner
            .catalogue
            .insert_final(Trigger::Upload, started_at, Status::Success, Some(&finished), None)
            .await?;
        self.inner
            .catalogue
            .add_event(
                record.id,
                EventKind::Created,
                Some(format!("uploaded {} ({})", record.filename, human_bytes(check.size_bytes))),
            )
            .await?;
        self.inner
            .catalogue
            .add_event(record.id, EventKind::Verified, Some(format!("integrity_check ok; sha256 {}", check.sha256)))
            .await?;
        tracing::info!(backup_id = record.id, filename = %record.filename, size = check.size_bytes, "backup uploaded");
        Ok(self.queue_upload(record).await)
    }
}
