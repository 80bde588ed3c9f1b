//! The off-site columns of the catalogue (`remote_*` in `backups`): reading them into a
//! [`RemoteRecord`], and each change of state the uploader, retention and a remote restore make.

use crate::{
    backup::{
        BackupError, BackupRecord, RemoteRecord, RemoteState, Status, Trigger,
        catalogue::{Catalogue, stored, to_i64, unsigned},
    },
    entities::backup,
};
use chrono::{DateTime, Utc};
use contract::ClosedSet;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, DbErr, EntityTrait, NotSet, QueryFilter, QueryOrder, Set,
    sea_query::{Expr, ExprTrait},
};

/// The stored off-site columns of a row, or `None` when the backup was made with no remote.
pub(in crate::backup) fn remote_of(m: &backup::Model) -> Result<Option<RemoteRecord>, DbErr> {
    let Some(raw) = m.remote_state.as_deref() else { return Ok(None) };
    Ok(Some(RemoteRecord {
        state: stored("backup", m.id, raw)?,
        key: m.remote_key.clone(),
        uploaded_at: m.remote_uploaded_at,
        attempts: u32::try_from(m.remote_attempts).unwrap_or(0),
        error: m.remote_error.clone(),
        next_attempt_at: m.remote_next_at,
        upload_ms: unsigned(m.remote_upload_ms),
        verify_ms: unsigned(m.remote_verify_ms),
        pruned_at: m.remote_pruned_at,
    }))
}

/// What a finished off-site copy records.
pub(super) struct Uploaded {
    pub key: String,
    pub at: DateTime<Utc>,
    pub upload_ms: u64,
    pub verify_ms: u64,
}

/// A copy downloaded from the remote, about to be catalogued.
pub(super) struct Fetched<'a> {
    pub filename: &'a str,
    pub created_at: DateTime<Utc>,
    pub size_bytes: u64,
    pub sha256: &'a str,
    pub duration_ms: u64,
    pub key: &'a str,
    pub uploaded_at: DateTime<Utc>,
}

fn waiting_states() -> [&'static str; 3] {
    [RemoteState::Pending.as_str(), RemoteState::Uploading.as_str(), RemoteState::Failed.as_str()]
}

impl Catalogue {
    async fn update(&self, model: backup::ActiveModel) -> Result<BackupRecord, BackupError> {
        let w = self.db.writer().await?;
        let model = model.update(w.conn()).await?;
        Ok(BackupRecord::try_from(model)?)
    }

    /// Queues a backup for its off-site copy.
    pub(super) async fn set_remote_pending(&self, id: i64) -> Result<BackupRecord, BackupError> {
        self.update(backup::ActiveModel {
            id: Set(id),
            remote_state: Set(Some(RemoteState::Pending.as_str().into())),
            ..Default::default()
        })
        .await
    }

    /// Backups whose copy is still to be made (pending, uploading or failed), newest first.
    pub(super) async fn remote_waiting(&self) -> Result<Vec<BackupRecord>, BackupError> {
        let rows = backup::Entity::find()
            .filter(backup::Column::RemoteState.is_in(waiting_states()))
            .order_by_desc(backup::Column::Id)
            .all(self.db.reader())
            .await?;
        Ok(rows.into_iter().map(BackupRecord::try_from).collect::<Result<_, _>>()?)
    }

    /// Copies to attempt now: pending ones, and failed ones whose retry time has come. Newest
    /// first: after an outage, the latest backup is the one that matters most.
    pub(super) async fn due_uploads(&self, now: DateTime<Utc>) -> Result<Vec<BackupRecord>, BackupError> {
        Ok(self
            .remote_waiting()
            .await?
            .into_iter()
            .filter(|r| match r.remote.as_ref().map(|x| (x.state, x.next_attempt_at)) {
                Some((RemoteState::Pending, _)) => true,
                Some((RemoteState::Failed, Some(next))) => next <= now,
                _ => false,
            })
            .collect())
    }

    /// When the next failed copy is due for a retry, if any is.
    pub(super) async fn next_retry(&self) -> Result<Option<DateTime<Utc>>, BackupError> {
        Ok(self.remote_waiting().await?.iter().filter_map(|r| r.remote.as_ref()?.next_attempt_at).min())
    }

    /// Takes a copy for this process: pending or failed becomes uploading, one more attempt.
    /// False when its state changed meanwhile (another process made it, or it was removed).
    pub(super) async fn claim_upload(&self, id: i64) -> Result<bool, BackupError> {
        let w = self.db.writer().await?;
        let claimed = backup::Entity::update_many()
            .col_expr(backup::Column::RemoteState, Expr::value(RemoteState::Uploading.as_str()))
            .col_expr(backup::Column::RemoteAttempts, Expr::col(backup::Column::RemoteAttempts).add(1))
            .filter(backup::Column::Id.eq(id))
            .filter(backup::Column::Status.eq(Status::Success.as_str()))
            .filter(backup::Column::RemoteState.is_in([RemoteState::Pending.as_str(), RemoteState::Failed.as_str()]))
            .exec(w.conn())
            .await?;
        Ok(claimed.rows_affected == 1)
    }

    pub(super) async fn mark_uploaded(&self, id: i64, up: &Uploaded) -> Result<BackupRecord, BackupError> {
        self.update(backup::ActiveModel {
            id: Set(id),
            remote_state: Set(Some(RemoteState::Uploaded.as_str().into())),
            remote_key: Set(Some(up.key.clone())),
            remote_uploaded_at: Set(Some(up.at)),
            remote_error: Set(None),
            remote_next_at: Set(None),
            remote_upload_ms: Set(Some(to_i64(up.upload_ms))),
            remote_verify_ms: Set(Some(to_i64(up.verify_ms))),
            ..Default::default()
        })
        .await
    }

    /// `next`: when to try again; `None` when it never will be (the local file is gone).
    pub(in crate::backup) async fn mark_upload_failed(
        &self,
        id: i64,
        error: &str,
        next: Option<DateTime<Utc>>,
    ) -> Result<BackupRecord, BackupError> {
        self.update(backup::ActiveModel {
            id: Set(id),
            remote_state: Set(Some(RemoteState::Failed.as_str().into())),
            remote_error: Set(Some(error.to_string())),
            remote_next_at: Set(next),
            ..Default::default()
        })
        .await
    }

    /// An attempt cut short by a stop of the process: back in the queue, the attempt not counted.
    pub(super) async fn mark_upload_interrupted(&self, id: i64) -> Result<BackupRecord, BackupError> {
        let w = self.db.writer().await?;
        backup::Entity::update_many()
            .col_expr(backup::Column::RemoteState, Expr::value(RemoteState::Pending.as_str()))
            .col_expr(backup::Column::RemoteAttempts, Expr::col(backup::Column::RemoteAttempts).sub(1))
            .filter(backup::Column::Id.eq(id))
            .exec(w.conn())
            .await?;
        drop(w);
        self.require(id).await
    }

    /// Copies left `uploading` by a process that died. Only the holder of the uploader's lock
    /// may call this: it is then sure nobody else is uploading.
    pub(super) async fn requeue_interrupted_uploads(&self) -> Result<u64, BackupError> {
        let w = self.db.writer().await?;
        let done = backup::Entity::update_many()
            .col_expr(backup::Column::RemoteState, Expr::value(RemoteState::Pending.as_str()))
            .filter(backup::Column::RemoteState.eq(RemoteState::Uploading.as_str()))
            .exec(w.conn())
            .await?;
        Ok(done.rows_affected)
    }

    /// Failed copies that will be retried are retried now. Returns how many.
    pub(super) async fn retry_failed_now(&self) -> Result<u64, BackupError> {
        let w = self.db.writer().await?;
        let done = backup::Entity::update_many()
            .col_expr(backup::Column::RemoteNextAt, Expr::value(Utc::now()))
            .filter(backup::Column::RemoteState.eq(RemoteState::Failed.as_str()))
            .filter(backup::Column::RemoteNextAt.is_not_null())
            .exec(w.conn())
            .await?;
        Ok(done.rows_affected)
    }

    /// Every record of `filename` whose copy was on the remote now says it was pruned there.
    pub(super) async fn mark_remote_pruned(&self, filename: &str) -> Result<Vec<i64>, BackupError> {
        let ids: Vec<i64> = backup::Entity::find()
            .filter(backup::Column::Filename.eq(filename))
            .filter(backup::Column::RemoteState.eq(RemoteState::Uploaded.as_str()))
            .all(self.db.reader())
            .await?
            .into_iter()
            .map(|m| m.id)
            .collect();
        for id in &ids {
            self.update(backup::ActiveModel {
                id: Set(*id),
                remote_state: Set(Some(RemoteState::Pruned.as_str().into())),
                remote_pruned_at: Set(Some(Utc::now())),
                ..Default::default()
            })
            .await?;
        }
        Ok(ids)
    }

    /// Records a copy downloaded from the remote as a backup of its own (trigger `remote`), its
    /// off-site state `uploaded` since the remote holds it.
    pub(super) async fn insert_fetched(&self, f: &Fetched<'_>) -> Result<BackupRecord, BackupError> {
        let w = self.db.writer().await?;
        let model = backup::ActiveModel {
            id: NotSet,
            filename: Set(f.filename.to_string()),
            created_at: Set(f.created_at),
            finished_at: Set(Some(Utc::now())),
            size_bytes: Set(Some(to_i64(f.size_bytes))),
            duration_ms: Set(Some(to_i64(f.duration_ms))),
            status: Set(Status::Success.as_str().into()),
            trigger: Set(Trigger::Remote.as_str().into()),
            sha256: Set(Some(f.sha256.to_string())),
            download_count: Set(0),
            remote_state: Set(Some(RemoteState::Uploaded.as_str().into())),
            remote_key: Set(Some(f.key.to_string())),
            remote_uploaded_at: Set(Some(f.uploaded_at)),
            remote_attempts: Set(0),
            ..Default::default()
        }
        .insert(w.conn())
        .await?;
        Ok(BackupRecord::try_from(model)?)
    }

    /// A fetched copy that failed validation: its record says so and it is not a backup.
    pub(super) async fn mark_fetched_unusable(&self, id: i64, reason: &str) -> Result<BackupRecord, BackupError> {
        self.update(backup::ActiveModel {
            id: Set(id),
            status: Set(Status::Failed.as_str().into()),
            error: Set(Some(reason.to_string())),
            integrity_ok: Set(Some(false)),
            ..Default::default()
        })
        .await
    }
}
