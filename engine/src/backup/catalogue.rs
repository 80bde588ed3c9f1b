//! Reads and writes of the catalogue (`backups`, `backup_events`) and the backup settings in the
//! system database.

use super::{BackupError, BackupEvent, BackupRecord, EventKind, Status, Trigger};
use crate::{
    Database,
    entities::{backup, backup_event},
    settings::SettingsStore,
};
use chrono::{DateTime, Utc};
use contract::ClosedSet;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, DbErr, EntityTrait, NotSet, PaginatorTrait, QueryFilter, QueryOrder, Set,
    sea_query::{Expr, ExprTrait},
};
use std::{
    path::Path,
    sync::{Arc, Mutex},
};

#[derive(Clone, Debug)]
pub(crate) struct Catalogue {
    pub(super) db: Database,
    settings: SettingsStore,
    /// Every record and setting, as of the system database's `data_version` they were read at.
    /// The dashboard needs all of them on every view; reading (and parsing) them each time was
    /// most of its cost. One cheap `PRAGMA data_version` tells whether any connection, in this
    /// process or another, has committed since, so what is served is never stale.
    snapshot: Arc<Mutex<Option<Arc<Snapshot>>>>,
}

#[derive(Debug)]
struct Snapshot {
    version: i64,
    /// Newest first.
    records: Vec<BackupRecord>,
    settings: std::collections::HashMap<String, String>,
}

/// What a finished backup or upload records.
pub(crate) struct Finished {
    pub filename: String,
    pub size_bytes: u64,
    pub duration_ms: u64,
    pub copy_ms: u64,
    pub verify_ms: u64,
    pub sha256: String,
}

pub(super) fn to_i64(v: u64) -> i64 {
    i64::try_from(v).unwrap_or(i64::MAX)
}

pub(super) fn unsigned(v: Option<i64>) -> Option<u64> {
    v.map(|v| u64::try_from(v).unwrap_or(0))
}

/// A stored closed-set value; one this binary does not know means the row was not written by it.
pub(super) fn stored<T: ClosedSet>(what: &str, id: i64, raw: &str) -> Result<T, DbErr> {
    raw.parse().map_err(|_| DbErr::Custom(format!("{what} {id}: unknown value {raw:?} (allowed: {})", T::allowed())))
}

/// The one mapping from a stored row to the record the engine returns and the API sends.
impl TryFrom<backup::Model> for BackupRecord {
    type Error = DbErr;

    fn try_from(m: backup::Model) -> Result<Self, DbErr> {
        let remote = super::offsite::remote_of(&m)?;
        Ok(BackupRecord {
            remote,
            status: stored("backup", m.id, &m.status)?,
            trigger: stored("backup", m.id, &m.trigger)?,
            id: m.id,
            filename: m.filename,
            created_at: m.created_at,
            finished_at: m.finished_at,
            size_bytes: unsigned(m.size_bytes),
            duration_ms: unsigned(m.duration_ms),
            copy_ms: unsigned(m.copy_ms),
            verify_ms: unsigned(m.verify_ms),
            error: m.error,
            sha256: m.sha256,
            integrity_ok: m.integrity_ok,
            pruned_at: m.pruned_at,
            deleted_at: m.deleted_at,
            download_count: u64::try_from(m.download_count).unwrap_or(0),
            last_downloaded_at: m.last_downloaded_at,
            restored_at: m.restored_at,
        })
    }
}

impl TryFrom<backup_event::Model> for BackupEvent {
    type Error = DbErr;

    fn try_from(m: backup_event::Model) -> Result<Self, DbErr> {
        Ok(BackupEvent {
            kind: stored("backup event", m.id, &m.kind)?,
            id: m.id,
            backup_id: m.backup_id,
            at: m.at,
            detail: m.detail,
        })
    }
}

impl Catalogue {
    pub(crate) fn new(db: Database) -> Self {
        Catalogue { settings: SettingsStore::new(db.clone()), db, snapshot: Arc::default() }
    }

    async fn snapshot(&self) -> Result<Arc<Snapshot>, BackupError> {
        let version = self.db.data_version().await?;
        if let Ok(current) = self.snapshot.lock()
            && let Some(snapshot) = current.as_ref().filter(|s| s.version == version)
        {
            return Ok(snapshot.clone());
        }
        let rows = backup::Entity::find().order_by_desc(backup::Column::Id).all(self.db.reader()).await?;
        let records = rows.into_iter().map(BackupRecord::try_from).collect::<Result<_, _>>()?;
        let settings = self.settings.all().await?;
        let snapshot = Arc::new(Snapshot { version, records, settings });
        if let Ok(mut current) = self.snapshot.lock() {
            *current = Some(snapshot.clone());
        }
        Ok(snapshot)
    }

    pub(crate) async fn get(&self, id: i64) -> Result<Option<BackupRecord>, BackupError> {
        Ok(backup::Entity::find_by_id(id).one(self.db.reader()).await?.map(BackupRecord::try_from).transpose()?)
    }

    pub(crate) async fn require(&self, id: i64) -> Result<BackupRecord, BackupError> {
        self.get(id).await?.ok_or_else(|| BackupError::NotFound(format!("there is no backup #{id}")))
    }

    /// The newest record with this file name that is not a skipped run.
    pub(crate) async fn by_name(&self, name: &str) -> Result<Option<BackupRecord>, BackupError> {
        Ok(backup::Entity::find()
            .filter(backup::Column::Filename.eq(name))
            .filter(backup::Column::Status.ne(Status::Skipped.as_str()))
            .order_by_desc(backup::Column::Id)
            .one(self.db.reader())
            .await?
            .map(BackupRecord::try_from)
            .transpose()?)
    }

    pub(crate) async fn name_taken(&self, name: &str) -> Result<bool, BackupError> {
        Ok(backup::Entity::find()
            .filter(backup::Column::Filename.eq(name))
            .filter(backup::Column::Status.ne(Status::Skipped.as_str()))
            .count(self.db.reader())
            .await?
            > 0)
    }

    /// Newest first.
    pub(crate) async fn list(&self) -> Result<Vec<BackupRecord>, BackupError> {
        Ok(self.snapshot().await?.records.clone())
    }

    pub(crate) async fn with_status(&self, status: Status) -> Result<Vec<BackupRecord>, BackupError> {
        let rows = backup::Entity::find()
            .filter(backup::Column::Status.eq(status.as_str()))
            .order_by_desc(backup::Column::Id)
            .all(self.db.reader())
            .await?;
        Ok(rows.into_iter().map(BackupRecord::try_from).collect::<Result<_, _>>()?)
    }

    pub(crate) async fn events(&self, id: i64) -> Result<Vec<BackupEvent>, BackupError> {
        let rows = backup_event::Entity::find()
            .filter(backup_event::Column::BackupId.eq(id))
            .order_by_asc(backup_event::Column::Id)
            .all(self.db.reader())
            .await?;
        Ok(rows.into_iter().map(BackupEvent::try_from).collect::<Result<_, _>>()?)
    }

    pub(crate) async fn insert_running(
        &self,
        filename: &str,
        trigger: Trigger,
        started_at: DateTime<Utc>,
        temp_path: &Path,
    ) -> Result<BackupRecord, BackupError> {
        let w = self.db.writer().await?;
        let model = backup::ActiveModel {
            id: NotSet,
            filename: Set(filename.to_string()),
            created_at: Set(started_at),
            status: Set(Status::Running.as_str().into()),
            trigger: Set(trigger.as_str().into()),
            temp_path: Set(Some(temp_path.to_string_lossy().into_owned())),
            download_count: Set(0),
            ..Default::default()
        }
        .insert(w.conn())
        .await?;
        Ok(BackupRecord::try_from(model)?)
    }

    /// A record that is final from the start: an upload that passed validation, or a skipped run.
    pub(crate) async fn insert_final(
        &self,
        trigger: Trigger,
        started_at: DateTime<Utc>,
        status: Status,
        finished: Option<&Finished>,
        error: Option<&str>,
    ) -> Result<BackupRecord, BackupError> {
        let w = self.db.writer().await?;
        let mut model = backup::ActiveModel {
            id: NotSet,
            filename: Set(finished.map(|f| f.filename.clone()).unwrap_or_default()),
            created_at: Set(started_at),
            finished_at: Set(Some(Utc::now())),
            status: Set(status.as_str().into()),
            trigger: Set(trigger.as_str().into()),
            error: Set(error.map(str::to_string)),
            download_count: Set(0),
            ..Default::default()
        };
        if let Some(f) = finished {
            model.size_bytes = Set(Some(to_i64(f.size_bytes)));
            model.duration_ms = Set(Some(to_i64(f.duration_ms)));
            model.copy_ms = Set(Some(to_i64(f.copy_ms)));
            model.verify_ms = Set(Some(to_i64(f.verify_ms)));
            model.sha256 = Set(Some(f.sha256.clone()));
            model.integrity_ok = Set(Some(true));
        }
        let model = model.insert(w.conn()).await?;
        Ok(BackupRecord::try_from(model)?)
    }

    pub(crate) async fn mark_success(&self, id: i64, f: &Finished) -> Result<BackupRecord, BackupError> {
        let w = self.db.writer().await?;
        let model = backup::ActiveModel {
            id: Set(id),
            filename: Set(f.filename.clone()),
            finished_at: Set(Some(Utc::now())),
            size_bytes: Set(Some(to_i64(f.size_bytes))),
            duration_ms: Set(Some(to_i64(f.duration_ms))),
            copy_ms: Set(Some(to_i64(f.copy_ms))),
            verify_ms: Set(Some(to_i64(f.verify_ms))),
            status: Set(Status::Success.as_str().into()),
            error: Set(None),
            sha256: Set(Some(f.sha256.clone())),
            integrity_ok: Set(Some(true)),
            temp_path: Set(None),
            ..Default::default()
        }
        .update(w.conn())
        .await?;
        Ok(BackupRecord::try_from(model)?)
    }

    pub(crate) async fn mark_failed(
        &self,
        id: i64,
        error: &str,
        duration_ms: u64,
        integrity_ok: Option<bool>,
    ) -> Result<BackupRecord, BackupError> {
        let w = self.db.writer().await?;
        let model = backup::ActiveModel {
            id: Set(id),
            finished_at: Set(Some(Utc::now())),
            duration_ms: Set(Some(to_i64(duration_ms))),
            status: Set(Status::Failed.as_str().into()),
            error: Set(Some(error.to_string())),
            integrity_ok: Set(integrity_ok),
            temp_path: Set(None),
            ..Default::default()
        }
        .update(w.conn())
        .await?;
        Ok(BackupRecord::try_from(model)?)
    }

    /// Moves a successful backup to `pruned` or `deleted`, stamping the matching column.
    pub(crate) async fn mark_removed(&self, id: i64, status: Status) -> Result<BackupRecord, BackupError> {
        let now = Utc::now();
        let w = self.db.writer().await?;
        let mut model = backup::ActiveModel { id: Set(id), status: Set(status.as_str().into()), ..Default::default() };
        match status {
            Status::Pruned => model.pruned_at = Set(Some(now)),
            _ => model.deleted_at = Set(Some(now)),
        }
        let model = model.update(w.conn()).await?;
        Ok(BackupRecord::try_from(model)?)
    }

    pub(crate) async fn mark_restored(&self, id: i64, at: DateTime<Utc>) -> Result<(), BackupError> {
        let w = self.db.writer().await?;
        backup::ActiveModel { id: Set(id), restored_at: Set(Some(at)), ..Default::default() }.update(w.conn()).await?;
        Ok(())
    }

    pub(crate) async fn count_download(&self, id: i64) -> Result<(), BackupError> {
        let w = self.db.writer().await?;
        backup::Entity::update_many()
            .col_expr(backup::Column::DownloadCount, Expr::col(backup::Column::DownloadCount).add(1))
            .col_expr(backup::Column::LastDownloadedAt, Expr::value(Utc::now()))
            .filter(backup::Column::Id.eq(id))
            .exec(w.conn())
            .await?;
        Ok(())
    }

    pub(crate) async fn add_event(&self, id: i64, kind: EventKind, detail: Option<String>) -> Result<(), BackupError> {
        let w = self.db.writer().await?;
        backup_event::ActiveModel {
            id: NotSet,
            backup_id: Set(id),
            at: Set(Utc::now()),
            kind: Set(kind.as_str().into()),
            detail: Set(detail),
        }
        .insert(w.conn())
        .await?;
        Ok(())
    }

    pub(crate) async fn setting(&self, key: &str) -> Result<Option<String>, BackupError> {
        Ok(self.snapshot().await?.settings.get(key).cloned())
    }

    pub(crate) async fn set_setting(&self, key: &str, value: &str) -> Result<(), BackupError> {
        Ok(self.settings.set(key, value).await?)
    }

    pub(crate) async fn remove_setting(&self, key: &str) -> Result<(), BackupError> {
        Ok(self.settings.remove(key).await?)
    }
}
