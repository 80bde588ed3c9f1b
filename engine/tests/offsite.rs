//! Off-site copies through the backup engine, against real storage: an `s3s-fs` server on
//! loopback and file:// folders, real SQLite files in temporary folders. The queue and the
//! uploader here; each way a remote fails in `offsite/failures.rs`; local and remote retention
//! and the media mirror in `offsite/retention.rs`.

#[path = "offsite/failures.rs"]
mod failures;
#[path = "offsite/retention.rs"]
mod retention;
#[allow(dead_code)]
#[path = "remote/support.rs"]
mod support;

use engine::{
    Engine, EngineConfig,
    backup::{
        BackupConfig, BackupRecord, EventKind, FailureNotice, KeepPolicy, Notifier, RemoteChoice, RemoteConfig,
        RemoteState, RestoreSource, Status, Trigger, remote::RemoteSettings,
    },
};
use sea_orm::ConnectionTrait;
use std::{
    path::Path,
    sync::{Arc, Mutex},
    time::{Duration, Instant},
};
use support::*;

/// The failures told to the webhook, as the server's notifier would receive them.
#[derive(Clone, Default)]
pub struct Told(Arc<Mutex<Vec<FailureNotice>>>);

impl Told {
    pub fn notifier(&self) -> Notifier {
        let seen = self.0.clone();
        Notifier::new(move |n| seen.lock().unwrap().push(n))
    }

    pub fn all(&self) -> Vec<FailureNotice> {
        self.0.lock().unwrap().clone()
    }
}

/// An engine in `dir` whose copies go to `settings`, with short waits and small parts.
pub async fn open_remote(dir: &Path, settings: RemoteSettings, keep: KeepPolicy, told: &Told) -> Engine {
    let mut remote = RemoteConfig::new(settings, keep, dir.join("media"));
    remote.tuning = small_parts();
    remote.retry_base = Duration::from_millis(200);
    remote.poll = Duration::from_millis(100);
    let backup = BackupConfig { notifier: Some(told.notifier()), remote: Some(remote), ..BackupConfig::default() };
    Engine::open(EngineConfig {
        database_path: dir.join("db.sqlite3"),
        system_database_path: dir.join("system.sqlite3"),
        media_root: dir.join("media"),
        backup_dir: dir.join("backups"),
        backup,
    })
    .await
    .expect("open the engine")
}

/// A file:// remote in `folder` (which must exist).
pub fn folder_settings(folder: &Path) -> RemoteSettings {
    settings(&[("BACKUP_REMOTE_URL", &format!("file://{}", folder.display()))])
}

pub async fn exec(engine: &Engine, sql: &str) {
    let w = engine.app_db.writer().await.unwrap();
    w.conn().execute_unprepared(sql).await.unwrap();
}

/// Adds `notes` accounts (rows of the real schema: a backup must hold only what the migrations
/// make), and about `mib` MiB of random bytes in further accounts when asked.
pub async fn add_data(engine: &Engine, notes: u32, mib: usize) {
    exec(
        engine,
        &format!(
            "WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c WHERE x < {notes}) \
             INSERT INTO users (username, email, password_hash, created_at) \
             SELECT 'note-' || hex(randomblob(8)), 'note-' || hex(randomblob(8)) || '@example.com', 'x', \
                    '2026-01-01T00:00:00Z' FROM c"
        ),
    )
    .await;
    if mib > 0 {
        exec(
            engine,
            &format!(
                "WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c WHERE x < {}) \
                 INSERT INTO users (username, email, password_hash, created_at) \
                 SELECT 'blob-' || hex(randomblob(8)), 'blob-' || hex(randomblob(8)) || '@example.com', \
                        hex(randomblob(2000)), '2026-01-01T00:00:00Z' FROM c",
                mib * 256
            ),
        )
        .await;
    }
    engine.app_db.checkpoint().await.unwrap();
}

/// Runs the engine's uploader in the background until the returned guard drops.
pub struct Uploader(tokio::task::JoinHandle<()>);

impl Uploader {
    pub fn start(engine: &Engine) -> Self {
        let backups = engine.backups.clone();
        Uploader(tokio::spawn(async move { backups.run_uploads(std::future::pending()).await }))
    }
}

impl Drop for Uploader {
    fn drop(&mut self) {
        self.0.abort();
    }
}

pub fn state_of(record: &BackupRecord) -> Option<RemoteState> {
    record.remote.as_ref().map(|r| r.state)
}

/// Waits (up to 30 s) until backup `id`'s copy is in `state`, and returns the record.
pub async fn wait_for_state(engine: &Engine, id: i64, state: RemoteState) -> BackupRecord {
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let record = engine.backups.get(id).await.unwrap();
        if state_of(&record) == Some(state) {
            return record;
        }
        assert!(Instant::now() < deadline, "backup {id} never reached {state:?}: {:?}", record.remote);
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

pub async fn event_kinds(engine: &Engine, id: i64) -> Vec<EventKind> {
    engine.backups.events(id).await.unwrap().into_iter().map(|e| e.kind).collect()
}

/// Every trigger's backup is queued and copied: the schedule's and Backup now's (`create`), the
/// CLI's, an upload, and a restore's safety copy. Each copy is read back and has its sidecar.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_successful_backup_whatever_its_trigger_goes_off_site() {
    let dir = tempfile::tempdir().unwrap();
    let remote_dir = tempfile::tempdir().unwrap();
    let told = Told::default();
    let engine = open_remote(dir.path(), folder_settings(remote_dir.path()), KeepPolicy::All, &told).await;
    add_data(&engine, 10, 0).await;
    let _uploader = Uploader::start(&engine);

    let manual = engine.backups.create(Trigger::Manual).await.unwrap();
    assert!(matches!(state_of(&manual), Some(RemoteState::Pending | RemoteState::Uploading)), "{:?}", manual.remote);
    let scheduled = engine.backups.create(Trigger::Scheduled).await.unwrap();
    let cli = engine.backups.create(Trigger::Cli).await.unwrap();
    // The upload is the CLI backup with one more row: a file byte for byte like a kept backup is
    // refused as the same backup.
    let source = dir.path().join("upload-source.sqlite3");
    std::fs::copy(dir.path().join("backups").join(&cli.filename), &source).unwrap();
    rusqlite::Connection::open(&source)
        .unwrap()
        .execute_batch(
            "INSERT INTO users (username, email, password_hash, created_at) \
             VALUES ('uploaded', 'uploaded@example.com', 'x', '2026-01-01T00:00:00Z')",
        )
        .unwrap();
    let file = tokio::fs::File::open(&source).await.unwrap();
    let uploaded = engine.backups.upload(file, None).await.unwrap();
    let restore = engine.backups.restore(RestoreSource::Id(manual.id)).await.unwrap();

    let store = engine.backups.remote_store().unwrap();
    for record in [&manual, &scheduled, &cli, &uploaded, &restore.safety_backup] {
        let done = wait_for_state(&engine, record.id, RemoteState::Uploaded).await;
        let remote = done.remote.unwrap();
        assert!(remote.key.as_deref().unwrap().ends_with(&format!("backups/{}", done.filename)));
        assert!(remote.uploaded_at.is_some() && remote.attempts == 1 && remote.error.is_none());
        assert!(event_kinds(&engine, done.id).await.contains(&EventKind::RemoteUploaded));
        let name = engine::backup::BackupName::parse(&done.filename).unwrap();
        assert_eq!(store.sidecar(&name).await.unwrap().unwrap().as_str(), done.sha256.as_deref().unwrap());
        let key = remote.key.as_deref().unwrap();
        let copy = key.split('/').fold(remote_dir.path().to_path_buf(), |p, s| p.join(s));
        assert_eq!(
            std::fs::read(copy).unwrap(),
            std::fs::read(dir.path().join("backups").join(&done.filename)).unwrap()
        );
    }
    assert_eq!(engine.backups.list_remote().await.unwrap().iter().filter(|c| c.is_complete()).count(), 5);
    assert!(told.all().is_empty(), "nothing failed: {:?}", told.all());
    assert!(engine.backups.remote_alert(&engine.backups.list().await.unwrap()).await.unwrap().is_none());
    assert!(engine.backups.remote_status().await.unwrap().queue.is_empty());
}

/// The copy never blocks the next backup nor the writers: a slow (rate-capped) upload runs
/// while another backup is made and rows are written.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_upload_in_progress_blocks_neither_the_next_backup_nor_the_writers() {
    let dir = tempfile::tempdir().unwrap();
    let remote = tempfile::tempdir().unwrap();
    let told = Told::default();
    let url = format!("file://{}", remote.path().display());
    let capped = settings(&[("BACKUP_REMOTE_URL", &url), ("BACKUP_REMOTE_MAX_RATE", "4MiB")]);
    let engine = open_remote(dir.path(), capped, KeepPolicy::All, &told).await;
    add_data(&engine, 10, 8).await;
    let _uploader = Uploader::start(&engine);
    let first = engine.backups.create(Trigger::Manual).await.unwrap();
    let mut progress = engine.backups.subscribe_remote_progress().unwrap();
    progress.wait_for(|p| p.as_ref().is_some_and(|p| p.backup_id == first.id && p.done > 0)).await.unwrap();

    let started = Instant::now();
    exec(
        &engine,
        "INSERT INTO users (username, email, password_hash, created_at) \
         VALUES ('during-upload', 'during-upload@example.com', 'x', '2026-01-01T00:00:00Z')",
    )
    .await;
    let second = engine.backups.create(Trigger::Manual).await.unwrap();
    let took = started.elapsed();
    assert_eq!(second.status, Status::Success);
    let during = engine.backups.get(first.id).await.unwrap();
    assert_eq!(state_of(&during), Some(RemoteState::Uploading), "the first copy was still running");
    assert!(took < Duration::from_secs(2), "the backup waited for the upload: {took:?}");
    // The second copy follows the first.
    wait_for_state(&engine, first.id, RemoteState::Uploaded).await;
    wait_for_state(&engine, second.id, RemoteState::Uploaded).await;
}

/// A copy left `pending` (the CLI's --no-upload) or `uploading` (a process that died during it)
/// is made by the next uploader that starts.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn pending_and_interrupted_copies_resume_at_start() {
    let dir = tempfile::tempdir().unwrap();
    let remote = tempfile::tempdir().unwrap();
    let told = Told::default();
    let (pending, interrupted) = {
        let engine = open_remote(dir.path(), folder_settings(remote.path()), KeepPolicy::All, &told).await;
        let pending = engine.backups.create(Trigger::Cli).await.unwrap();
        let interrupted = engine.backups.create(Trigger::Cli).await.unwrap();
        let w = engine.system_db.writer().await.unwrap();
        w.conn()
            .execute_unprepared(&format!(
                "UPDATE backups SET remote_state = 'uploading', remote_attempts = 1 WHERE id = {}",
                interrupted.id
            ))
            .await
            .unwrap();
        drop(w);
        engine.close().await;
        (pending, interrupted)
    };
    let engine = open_remote(dir.path(), folder_settings(remote.path()), KeepPolicy::All, &told).await;
    let _uploader = Uploader::start(&engine);
    wait_for_state(&engine, pending.id, RemoteState::Uploaded).await;
    let resumed = wait_for_state(&engine, interrupted.id, RemoteState::Uploaded).await;
    assert_eq!(resumed.remote.unwrap().attempts, 2, "the interrupted attempt counts");
}

/// `backup create`'s path: the copy is made before it returns, with the media mirror after it.
#[tokio::test]
async fn the_cli_uploads_its_own_backup_before_it_returns() {
    let dir = tempfile::tempdir().unwrap();
    let server = S3Server::start();
    let told = Told::default();
    let engine = open_remote(dir.path(), server.settings(BUCKET, "app", SECRET_KEY), KeepPolicy::All, &told).await;
    std::fs::create_dir_all(dir.path().join("media/avatars")).unwrap();
    std::fs::write(dir.path().join("media/avatars/a.png"), b"png").unwrap();
    let record = engine.backups.create(Trigger::Cli).await.unwrap();
    let outcome = engine.backups.upload_copy_now(record.id).await.unwrap();
    assert_eq!(state_of(&outcome.record), Some(RemoteState::Uploaded));
    let media = outcome.media.unwrap();
    assert!(media.ok && media.files == 1 && media.transferred == 1, "{media:?}");
    let key = outcome.record.remote.unwrap().key.unwrap();
    assert_eq!(key, format!("app/backups/{}", record.filename));
    assert_eq!(
        std::fs::read(server.object_path(&key)).unwrap(),
        std::fs::read(dir.path().join("backups").join(&record.filename)).unwrap()
    );
    assert_eq!(std::fs::read(server.object_path("app/media/avatars/a.png")).unwrap(), b"png");
    // Asked again, it is already there.
    let again = engine.backups.upload_copy_now(record.id).await.unwrap();
    assert_eq!(again.record.remote.unwrap().attempts, 1);
}

/// The disaster drill at the engine level: a new machine with an empty data folder restores the
/// newest copy (which its catalogue never saw) and media/, through the one restore path.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_new_machine_restores_the_latest_copy_and_media() {
    let server = S3Server::start();
    let told = Told::default();
    let old = tempfile::tempdir().unwrap();
    let (made, fingerprint) = {
        let engine =
            open_remote(old.path(), server.settings(BUCKET, "drill", SECRET_KEY), KeepPolicy::All, &told).await;
        add_data(&engine, 50, 1).await;
        std::fs::create_dir_all(old.path().join("media/avatars")).unwrap();
        std::fs::write(old.path().join("media/avatars/7.png"), b"avatar bytes").unwrap();
        let first = engine.backups.create(Trigger::Cli).await.unwrap();
        engine.backups.upload_copy_now(first.id).await.unwrap();
        add_data(&engine, 5, 0).await;
        let made = engine.backups.create(Trigger::Cli).await.unwrap();
        engine.backups.upload_copy_now(made.id).await.unwrap();
        let fingerprint = engine.app_db.content_fingerprint().await.unwrap();
        engine.close().await;
        (made, fingerprint)
    };
    drop(old);

    let new = tempfile::tempdir().unwrap();
    let engine = open_remote(new.path(), server.settings(BUCKET, "drill", SECRET_KEY), KeepPolicy::All, &told).await;
    let listed = engine.backups.list_remote().await.unwrap();
    assert_eq!(listed.len(), 2);
    assert!(listed.iter().all(|c| c.backup_id.is_none() && c.is_complete()), "the new catalogue never saw them");
    let outcome = engine.backups.restore_remote(RemoteChoice::Latest).await.unwrap();
    assert_eq!(outcome.record.filename, made.filename);
    assert_eq!(outcome.record.trigger, Trigger::Remote);
    assert_eq!(outcome.downloaded.unwrap().0, made.size_bytes.unwrap());
    assert_eq!(engine.app_db.content_fingerprint().await.unwrap(), fingerprint);
    assert_eq!(outcome.media.unwrap().transferred, 1);
    assert_eq!(std::fs::read(new.path().join("media/avatars/7.png")).unwrap(), b"avatar bytes");
    assert!(event_kinds(&engine, outcome.record.id).await.starts_with(&[EventKind::RemoteFetched]));
    assert!(told.all().is_empty(), "{:?}", told.all());
}
