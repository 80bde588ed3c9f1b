//! "Clear errors, nothing lost", through the engine: whatever the remote does, the backup itself
//! succeeds locally; its copy is `failed` with a reason a person understands, told once (the
//! webhook's notifier, the banner), and retried later. A copy damaged after its upload is refused
//! by `verify` and by every restore, naming the mismatch; names that are not backups are refused.

use super::*;
use engine::backup::{BackupError, Operation, remote::RemoteError};

/// Makes a backup and one attempt at its copy, which must fail saying `says`.
async fn failing_copy(engine: &Engine, told: &Told, says: &[&str]) -> BackupRecord {
    let record = engine.backups.create(Trigger::Manual).await.expect("the backup itself succeeds");
    assert_eq!(record.status, Status::Success);
    assert!(engine.backups.file_path(&record).is_ok(), "the local copy is kept");
    let failed = engine.backups.upload_copy_now(record.id).await.unwrap().record;
    let remote = failed.remote.clone().unwrap();
    let error = remote.error.clone().unwrap_or_default();
    assert_eq!(remote.state, RemoteState::Failed, "{error}");
    for text in says {
        assert!(error.contains(text), "{text:?} not in: {error}");
    }
    assert!(!error.contains(SECRET_KEY) && !error.contains("wrong-but-secret"), "a secret leaked: {error}");
    assert!(remote.next_attempt_at.is_some(), "retried later");
    let notices = told.all();
    assert_eq!(notices.len(), 1, "{notices:?}");
    assert_eq!(notices[0].operation, Operation::OffsiteCopy);
    assert_eq!(notices[0].filename.as_deref(), Some(record.filename.as_str()));
    assert!(notices[0].error.contains(says[0]), "{}", notices[0].error);
    let alert = engine.backups.remote_alert(&engine.backups.list().await.unwrap()).await.unwrap().expect("a banner");
    assert!(alert.message.contains(&record.filename) && alert.message.contains(says[0]), "{}", alert.message);
    assert!(event_kinds(engine, record.id).await.contains(&EventKind::RemoteFailed));
    failed
}

/// Waits until the copy has been attempted at least `n` times.
async fn wait_for_attempts(engine: &Engine, id: i64, n: u32) -> BackupRecord {
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let record = engine.backups.get(id).await.unwrap();
        if record.remote.as_ref().is_some_and(|r| r.attempts >= n && r.state == RemoteState::Failed) {
            return record;
        }
        assert!(Instant::now() < deadline, "never attempted {n} times: {:?}", record.remote);
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_unreachable_endpoint_fails_the_copy_and_the_retry_makes_it() {
    let mut server = S3Server::start();
    server.kill();
    let dir = tempfile::tempdir().unwrap();
    let told = Told::default();
    let engine = open_remote(dir.path(), server.settings(BUCKET, "app", SECRET_KEY), KeepPolicy::All, &told).await;
    let failed = failing_copy(&engine, &told, &["cannot reach the storage service at http://127.0.0.1"]).await;
    server.restart();
    let _uploader = Uploader::start(&engine);
    let done = wait_for_state(&engine, failed.id, RemoteState::Uploaded).await;
    assert!(done.remote.unwrap().attempts >= 2);
    assert_eq!(told.all().len(), 1, "one notice for the copy, not one per attempt");
    assert!(engine.backups.remote_alert(&engine.backups.list().await.unwrap()).await.unwrap().is_none());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn wrong_credentials_are_access_denied_and_retried_without_flooding() {
    let server = S3Server::start();
    let dir = tempfile::tempdir().unwrap();
    let told = Told::default();
    let wrong = server.settings(BUCKET, "app", "wrong-but-secret-value");
    let engine = open_remote(dir.path(), wrong, KeepPolicy::All, &told).await;
    let failed = failing_copy(
        &engine,
        &told,
        &["access denied by the storage service", "check AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY"],
    )
    .await;
    let _uploader = Uploader::start(&engine);
    wait_for_attempts(&engine, failed.id, 3).await;
    assert_eq!(told.all().len(), 1, "later failures of the same copy are logged, not told again");
    assert!(walk(&server.root.join(BUCKET)).is_empty(), "nothing was written");
}

#[tokio::test]
async fn a_missing_bucket_is_named() {
    let server = S3Server::start();
    let dir = tempfile::tempdir().unwrap();
    let told = Told::default();
    let engine =
        open_remote(dir.path(), server.settings("no-such-bucket", "app", SECRET_KEY), KeepPolicy::All, &told).await;
    failing_copy(&engine, &told, &["the bucket no-such-bucket does not exist", "BACKUP_REMOTE_URL"]).await;
    let check = engine.backups.check_remote().await.unwrap();
    assert!(!check.ok && check.error.unwrap().contains("does not exist"));
}

#[tokio::test]
async fn a_read_only_folder_is_named() {
    let Some(folder) = LockedFolder::read_only() else {
        eprintln!("skipped: this machine can make no read-only folder");
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let told = Told::default();
    let engine = open_remote(dir.path(), folder_settings(&folder.path), KeepPolicy::All, &told).await;
    failing_copy(&engine, &told, &["is read-only or not writable"]).await;
}

#[tokio::test]
async fn a_full_folder_is_named_and_left_clean() {
    let Some(folder) = LockedFolder::full() else {
        eprintln!("skipped: mounting a small tmpfs needs root");
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let told = Told::default();
    let engine = open_remote(dir.path(), folder_settings(&folder.path), KeepPolicy::All, &told).await;
    add_data(&engine, 10, 1).await;
    failing_copy(&engine, &told, &["is full", "free space there"]).await;
    assert!(walk(&folder.path).is_empty(), "no partial file: {:?}", walk(&folder.path));
}

/// The S3 server dies in the middle of a multipart upload: the copy fails (retryable), no
/// partial object is listed as a copy, and the retry after the restart completes and verifies.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_service_stopped_mid_multipart_leaves_no_copy_and_the_retry_completes_it() {
    let mut server = S3Server::start();
    let dir = tempfile::tempdir().unwrap();
    let told = Told::default();
    let vars = [
        ("BACKUP_REMOTE_URL", "s3://offsite/app".to_string()),
        ("BACKUP_REMOTE_ENDPOINT", server.endpoint()),
        ("AWS_ACCESS_KEY_ID", ACCESS_KEY.to_string()),
        ("AWS_SECRET_ACCESS_KEY", SECRET_KEY.to_string()),
        ("BACKUP_REMOTE_MAX_RATE", "8MiB".to_string()),
    ];
    let vars: Vec<(&str, &str)> = vars.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let engine = open_remote(dir.path(), settings(&vars), KeepPolicy::All, &told).await;
    add_data(&engine, 10, 24).await;
    let record = engine.backups.create(Trigger::Manual).await.unwrap();
    let mut progress = engine.backups.subscribe_remote_progress().unwrap();
    let uploader = Uploader::start(&engine);
    progress.wait_for(|p| p.as_ref().is_some_and(|p| p.done > 10 << 20)).await.unwrap();
    server.kill();
    let failed = wait_for_attempts(&engine, record.id, 1).await;
    drop(uploader);
    let error = failed.remote.unwrap().error.unwrap();
    assert!(error.contains("storage service at http://127.0.0.1"), "{error}");

    server.restart();
    let store = engine.backups.remote_store().unwrap();
    assert!(store.list_backups().await.unwrap().iter().all(|b| !b.is_complete()), "no partial object counts");
    let raw = store.list_prefix(&engine::backup::remote::RemoteKey::parse("backups").unwrap()).await.unwrap();
    assert!(raw.is_empty(), "nothing under backups/: {raw:?}");
    let listed = engine.backups.list_remote().await.unwrap();
    assert!(listed.is_empty(), "{listed:?}");

    let _uploader = Uploader::start(&engine);
    let done = wait_for_state(&engine, record.id, RemoteState::Uploaded).await;
    assert!(done.remote.unwrap().attempts >= 2);
    let checked = engine.backups.verify_remote(&|_, _| {}).await.unwrap();
    assert_eq!(checked.len(), 1);
    assert_eq!(checked[0].problem, None);
}

/// A copy truncated or altered after its upload: `verify` names the mismatch, and neither
/// restore (by name, or `latest`) installs it: the live database and the catalogue stay as
/// they were, and no downloaded file is left.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_damaged_copy_is_refused_by_verify_and_every_restore() {
    let dir = tempfile::tempdir().unwrap();
    let remote = tempfile::tempdir().unwrap();
    let told = Told::default();
    let engine = open_remote(dir.path(), folder_settings(remote.path()), KeepPolicy::All, &told).await;
    add_data(&engine, 100, 1).await;
    let record = engine.backups.create(Trigger::Manual).await.unwrap();
    engine.backups.upload_copy_now(record.id).await.unwrap();
    // Remote-only, as after a disk loss: the restore must come from the copy.
    engine.backups.delete(record.id).await.unwrap();
    let object = remote.path().join("backups").join(&record.filename);
    let original = std::fs::read(&object).unwrap();
    let mut flipped = original.clone();
    flipped[5000] ^= 0x01;
    let before = (engine.app_db.content_fingerprint().await.unwrap(), engine.backups.list().await.unwrap().len());

    for (damage, bytes) in [("truncated", &original[..original.len() / 2]), ("altered", &flipped[..])] {
        std::fs::write(&object, bytes).unwrap();
        let checked = engine.backups.verify_remote(&|_, _| {}).await.unwrap();
        let problem = checked[0].problem.clone().unwrap_or_default();
        assert!(
            problem.contains("does not match") && problem.contains(record.sha256.as_deref().unwrap()),
            "{damage}: {problem}"
        );
        let name = engine::backup::BackupName::parse(&record.filename).unwrap();
        for choice in [RemoteChoice::Name(name), RemoteChoice::Latest] {
            let err = engine.backups.restore_remote(choice).await.unwrap_err();
            assert!(matches!(err, BackupError::Remote(RemoteError::Mismatch { .. })), "{damage}: {err:?}");
            assert!(err.to_string().contains(&format!("the remote copy {} does not match", record.filename)));
            let after =
                (engine.app_db.content_fingerprint().await.unwrap(), engine.backups.list().await.unwrap().len());
            assert_eq!(after, before, "{damage}: nothing changed");
            let left: Vec<_> = std::fs::read_dir(dir.path().join("backups"))
                .unwrap()
                .flatten()
                .map(|e| e.file_name().to_string_lossy().into_owned())
                .filter(|n| !n.starts_with('.'))
                .collect();
            assert!(left.is_empty(), "{damage}: nothing installed: {left:?}");
        }
    }
    // Altered along with its sidecar: the catalogue's digest still refuses it.
    std::fs::write(&object, &flipped).unwrap();
    let forged = engine::backup::remote::Sha256Digest::of(&flipped);
    std::fs::write(
        remote.path().join("backups").join(format!("{}.sha256", record.filename)),
        engine::backup::remote::sidecar_text(&forged, &record.filename),
    )
    .unwrap();
    let err = engine.backups.restore_remote(RemoteChoice::Latest).await.unwrap_err();
    assert!(err.to_string().contains("does not match the catalogue"), "{err}");
    let checked = engine.backups.verify_remote(&|_, _| {}).await.unwrap();
    assert!(checked[0].problem.as_deref().unwrap_or_default().contains("the catalogue recorded SHA-256"));
    assert_eq!(engine.app_db.content_fingerprint().await.unwrap(), before.0);
}

/// Names from outside: only backup names reach the remote; a key outside the prefix or
/// `backups/` never does.
#[tokio::test]
async fn names_that_are_not_backups_are_refused_before_the_remote_is_asked() {
    for bad in [
        "../db-20261125-020000.sqlite3",
        "notes.txt",
        "backups/db-20261125-020000.sqlite3",
        "media/a.png",
        "",
        "/etc/passwd",
        "db-20261125-020000.sqlite3.sha256",
    ] {
        let err = RemoteChoice::parse(bad).unwrap_err();
        assert!(matches!(err, BackupError::InvalidName { .. }), "{bad:?}: {err}");
        assert!(err.is_client_error());
    }
    assert_eq!(RemoteChoice::parse(" latest ").unwrap(), RemoteChoice::Latest);
    let dir = tempfile::tempdir().unwrap();
    let remote = tempfile::tempdir().unwrap();
    let told = Told::default();
    let engine = open_remote(dir.path(), folder_settings(remote.path()), KeepPolicy::All, &told).await;
    let missing = RemoteChoice::parse("db-20000101-000000.sqlite3").unwrap();
    let err = engine.backups.restore_remote(missing).await.unwrap_err();
    assert!(matches!(err, BackupError::NotFound(_)) && err.to_string().contains("no backup named"), "{err}");
    let err = engine.backups.restore_remote(RemoteChoice::Latest).await.unwrap_err();
    assert!(err.to_string().contains("holds no verified backup"), "{err}");
    assert!(told.all().is_empty(), "a client's mistake is not told: {:?}", told.all());
}
