use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "backups")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub filename: String,
    pub created_at: DateTimeUtc,
    pub finished_at: Option<DateTimeUtc>,
    pub size_bytes: Option<i64>,
    pub duration_ms: Option<i64>,
    pub copy_ms: Option<i64>,
    pub verify_ms: Option<i64>,
    pub status: String,
    pub error: Option<String>,
    pub trigger: String,
    pub sha256: Option<String>,
    pub integrity_ok: Option<bool>,
    pub temp_path: Option<String>,
    pub pruned_at: Option<DateTimeUtc>,
    pub deleted_at: Option<DateTimeUtc>,
    pub download_count: i64,
    pub last_downloaded_at: Option<DateTimeUtc>,
    pub restored_at: Option<DateTimeUtc>,
    pub remote_state: Option<String>,
    pub remote_key: Option<String>,
    pub remote_uploaded_at: Option<DateTimeUtc>,
    pub remote_attempts: i64,
    pub remote_error: Option<String>,
    pub remote_next_at: Option<DateTimeUtc>,
    pub remote_upload_ms: Option<i64>,
    pub remote_verify_ms: Option<i64>,
    pub remote_pruned_at: Option<DateTimeUtc>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
