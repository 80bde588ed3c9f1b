//! Each way a remote fails, for real: a closed port, a wrong secret, a missing bucket, a
//! read-only or full folder, the S3 server killed during a multipart upload, a copy damaged
//! after upload, hostile ambient AWS variables. Every message is checked for secrets.

use super::support::*;
use engine::backup::remote::{CheckStep, RemoteError, RemoteSettings, RemoteStore};
use std::{
    process::Command,
    sync::{
        Arc,
        atomic::{AtomicBool, AtomicU64, Ordering},
    },
    time::{Duration, Instant},
};

fn assert_no_secret(text: &str) {
    assert!(!text.contains(SECRET_KEY), "the secret leaked: {text}");
    assert!(!text.contains("wrong-but-secret"), "the (wrong) secret leaked: {text}");
}

async fn upload_one(store: &RemoteStore, size: usize) -> Result<engine::backup::remote::UploadedObject, RemoteError> {
    let dir = tempfile::tempdir().unwrap();
    let backup = fake_backup(dir.path(), 1, size);
    store.upload_file(&backup.path, &backup.name, &backup.expected, &quiet, &AtomicBool::new(false)).await
}

#[tokio::test]
async fn an_unreachable_endpoint_is_named() {
    let port = free_port(); // nobody listens there
    let settings = settings(&[
        ("BACKUP_REMOTE_URL", "s3://offsite"),
        ("BACKUP_REMOTE_ENDPOINT", &format!("http://127.0.0.1:{port}")),
        ("AWS_ACCESS_KEY_ID", ACCESS_KEY),
        ("AWS_SECRET_ACCESS_KEY", SECRET_KEY),
    ]);
    let store = RemoteStore::open_with(&settings, small_parts()).unwrap();
    let started = Instant::now();
    let failure = store.check().await.unwrap_err();
    assert_eq!(failure.step, CheckStep::Connect);
    assert!(matches!(failure.error, RemoteError::Unreachable { .. }), "{failure}");
    let text = failure.to_string();
    assert!(text.contains(&format!("cannot reach the storage service at http://127.0.0.1:{port}")), "{text}");
    assert!(failure.error.is_retryable());
    assert!(started.elapsed() < Duration::from_secs(10), "gave up within a few retries: {:?}", started.elapsed());
    let err = upload_one(&store, 1000).await.unwrap_err();
    assert!(matches!(err, RemoteError::Unreachable { .. }), "{err}");
    assert_no_secret(&format!("{err} {err:?} {failure:?}"));
}

#[tokio::test]
async fn wrong_credentials_are_access_denied() {
    let server = S3Server::start();
    for (key, secret) in [(ACCESS_KEY, "wrong-but-secret-value"), ("AKIAUNKNOWNKEY000001", SECRET_KEY)] {
        let settings = settings(&[
            ("BACKUP_REMOTE_URL", "s3://offsite/app"),
            ("BACKUP_REMOTE_ENDPOINT", &server.endpoint()),
            ("AWS_ACCESS_KEY_ID", key),
            ("AWS_SECRET_ACCESS_KEY", secret),
        ]);
        let store = RemoteStore::open_with(&settings, small_parts()).unwrap();
        let failure = store.check().await.unwrap_err();
        assert_eq!(failure.step, CheckStep::Connect);
        let text = failure.to_string();
        assert!(matches!(failure.error, RemoteError::AccessDenied { .. }), "{text}");
        assert!(text.contains("access denied by the storage service"), "{text}");
        assert!(text.contains("check AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY"), "{text}");
        assert!(!failure.error.is_retryable());
        let err = upload_one(&store, 1000).await.unwrap_err();
        assert!(matches!(err, RemoteError::AccessDenied { .. }), "{err}");
        assert!(store.list_backups().await.is_err());
        assert_no_secret(&format!("{text} {failure:?} {err} {err:?} {store:?} {settings} {settings:?}"));
    }
    assert!(walk(&server.root.join(BUCKET)).is_empty(), "nothing was written");
}

#[tokio::test]
async fn a_missing_bucket_is_named() {
    let server = S3Server::start();
    let store = RemoteStore::open_with(&server.settings("no-such-bucket", "app", SECRET_KEY), small_parts()).unwrap();
    let failure = store.check().await.unwrap_err();
    let text = failure.to_string();
    assert_eq!(failure.step, CheckStep::Connect, "{text}");
    assert!(matches!(failure.error, RemoteError::NoSuchBucket { .. }), "{text}");
    assert!(text.contains("the bucket no-such-bucket does not exist"), "{text}");
    assert!(!failure.error.is_retryable());
    let err = store.list_backups().await.unwrap_err();
    assert!(matches!(err, RemoteError::NoSuchBucket { .. }), "{err}");
    assert!(!server.root.join("no-such-bucket").exists(), "the check wrote nothing");
    assert_no_secret(&format!("{text} {err:?}"));
}

#[tokio::test]
async fn a_read_only_folder_is_named() {
    let Some(folder) = LockedFolder::read_only() else {
        eprintln!("skipped: this machine can make no read-only folder (root without mount rights)");
        return;
    };
    let store = folder_store(&folder.path);
    let failure = store.check().await.unwrap_err();
    assert_eq!(failure.step, CheckStep::Write, "listing a read-only folder works");
    assert!(matches!(failure.error, RemoteError::FolderReadOnly { .. }), "{failure}");
    assert!(failure.to_string().contains("is read-only or not writable"), "{failure}");
    assert!(!failure.error.is_retryable());
    let err = upload_one(&store, 6 << 20).await.unwrap_err();
    assert!(matches!(err, RemoteError::FolderReadOnly { .. }), "{err}");
}

#[tokio::test]
async fn a_full_folder_is_named_and_left_clean() {
    let Some(folder) = LockedFolder::full() else {
        eprintln!("skipped: mounting a small tmpfs needs root");
        return;
    };
    let store = folder_store(&folder.path);
    store.check().await.unwrap();
    let err = upload_one(&store, 1 << 20).await.unwrap_err();
    assert!(matches!(err, RemoteError::FolderFull { .. }), "{err}");
    assert!(err.to_string().contains("is full"), "{err}");
    assert!(err.is_retryable(), "space may be freed");
    assert!(store.list_backups().await.unwrap().is_empty());
    assert!(walk(&folder.path).is_empty(), "no partial file: {:?}", walk(&folder.path));
}

#[tokio::test]
async fn a_folder_that_is_gone_is_not_recreated() {
    let dir = tempfile::tempdir().unwrap();
    let missing = dir.path().join("offsite");
    let url = format!("file://{}", missing.display());
    let err = RemoteStore::open(&settings(&[("BACKUP_REMOTE_URL", &url)])).unwrap_err();
    assert!(err.to_string().contains("does not exist: create it, or mount the disk"), "{err}");
    std::fs::create_dir(&missing).unwrap();
    let store = folder_store(&missing);
    std::fs::remove_dir(&missing).unwrap(); // the disk was unmounted
    assert!(matches!(upload_one(&store, 1000).await, Err(RemoteError::FolderMissing { .. })));
    assert!(!missing.exists(), "an unmounted disk's mount point gets no files");
}

/// The S3 server dies in the middle of a multipart upload: the upload fails as retryable, no
/// object is listed, and after a restart the retry completes and verifies.
#[tokio::test]
async fn a_server_killed_during_a_multipart_upload_leaves_no_object() {
    let mut server = S3Server::start();
    let mut vars = vec![("BACKUP_REMOTE_MAX_RATE", "20MB".to_string())];
    vars.extend([
        ("BACKUP_REMOTE_URL", "s3://offsite/app".to_string()),
        ("BACKUP_REMOTE_ENDPOINT", server.endpoint()),
        ("AWS_ACCESS_KEY_ID", ACCESS_KEY.to_string()),
        ("AWS_SECRET_ACCESS_KEY", SECRET_KEY.to_string()),
    ]);
    let vars: Vec<(&str, &str)> = vars.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let store = RemoteStore::open_with(&settings(&vars), small_parts()).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let backup = Arc::new(fake_backup(dir.path(), 1, 40 << 20));

    let sent = Arc::new(AtomicU64::new(0));
    let upload = {
        let (store, backup, sent) = (store.clone(), backup.clone(), sent.clone());
        tokio::spawn(async move {
            let progress = move |p: engine::backup::remote::TransferProgress| sent.store(p.done, Ordering::Relaxed);
            store.upload_file(&backup.path, &backup.name, &backup.expected, &progress, &AtomicBool::new(false)).await
        })
    };
    let deadline = Instant::now() + Duration::from_secs(20);
    while sent.load(Ordering::Relaxed) < 12 << 20 {
        assert!(Instant::now() < deadline && !upload.is_finished(), "the upload never got going");
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    server.kill();
    let err = upload.await.unwrap().unwrap_err();
    eprintln!("upload interrupted at {} bytes: {err}", sent.load(Ordering::Relaxed));
    assert!(err.is_retryable(), "{err}");
    assert!(matches!(err, RemoteError::Unreachable { .. } | RemoteError::ConnectionLost { .. }), "{err:?}");

    server.restart();
    assert!(store.list_backups().await.unwrap().is_empty(), "no partial object is listed");
    let raw = store.list_prefix(&engine::backup::remote::RemoteKey::parse("backups").unwrap()).await.unwrap();
    assert!(raw.is_empty(), "nothing at all under backups/: {raw:?}");

    let done = store.upload_file(&backup.path, &backup.name, &backup.expected, &quiet, &AtomicBool::new(false)).await;
    let done = done.unwrap();
    assert_eq!(done.parts, 8);
    let listed = store.list_backups().await.unwrap();
    assert_eq!(listed.len(), 1);
    assert!(listed[0].is_complete());
    store.verify(&backup.name, &quiet, &AtomicBool::new(false)).await.unwrap();
}

/// A copy truncated, or changed in place, after its upload: `verify` and `download_file` refuse
/// it, naming both digests, and no downloaded file is left.
#[tokio::test]
async fn a_damaged_copy_is_refused() {
    let server = S3Server::start();
    let remote = tempfile::tempdir().unwrap();
    for (store, path_of) in [
        (server.store("app"), Box::new(|k: &str| server.object_path(k)) as Box<dyn Fn(&str) -> std::path::PathBuf>),
        (
            folder_store(remote.path()),
            Box::new(|k: &str| k.split('/').fold(remote.path().to_path_buf(), |p, s| p.join(s))),
        ),
    ] {
        let dir = tempfile::tempdir().unwrap();
        let never = AtomicBool::new(false);
        let backup = fake_backup(dir.path(), 1, 6 << 20);
        let uploaded = store.upload_file(&backup.path, &backup.name, &backup.expected, &quiet, &never).await.unwrap();
        let object = path_of(&uploaded.key);
        let original = std::fs::read(&object).unwrap();
        let mut flipped = original.clone();
        flipped[4096] ^= 0x01;
        for (damage, bytes) in [("truncated", &original[..original.len() / 2]), ("altered", &flipped[..])] {
            std::fs::write(&object, bytes).unwrap();
            let err = store.verify(&backup.name, &quiet, &never).await.unwrap_err();
            let text = err.to_string();
            assert!(matches!(err, RemoteError::Mismatch { after_upload: false, .. }), "{damage}: {text}");
            assert!(text.contains(&format!("expected SHA-256 {}", backup.expected.sha256)), "{damage}: {text}");
            assert!(text.contains(&format!("({} bytes)", bytes.len())), "{damage}: names what was found: {text}");
            assert!(!err.is_retryable());
            let dest = dir.path().join("restore.sqlite3");
            for expected in [None, Some(&backup.expected.sha256)] {
                let err = store.download_file(&backup.name, &dest, expected, &quiet, &never).await.unwrap_err();
                assert!(matches!(err, RemoteError::Mismatch { .. }), "{damage}: {err}");
                assert!(!dest.exists(), "{damage}: nothing installed");
                assert!(files_named(dir.path(), ".tmp-").is_empty(), "{damage}: the temporary file is gone");
            }
        }
    }
}

#[tokio::test]
async fn a_local_file_that_changed_is_not_uploaded() {
    let remote = tempfile::tempdir().unwrap();
    let store = folder_store(remote.path());
    let dir = tempfile::tempdir().unwrap();
    let never = AtomicBool::new(false);
    for size in [1000, 6 << 20] {
        let mut backup = fake_backup(dir.path(), 1, size);
        backup.expected.sha256 = engine::backup::remote::Sha256Digest::of(b"what the catalogue recorded");
        let err = store.upload_file(&backup.path, &backup.name, &backup.expected, &quiet, &never).await.unwrap_err();
        assert!(matches!(err, RemoteError::LocalChanged { .. }), "{err}");
        assert!(store.list_backups().await.unwrap().is_empty());
        assert!(walk(remote.path()).is_empty(), "{:?}", walk(remote.path()));
    }
    // A cancelled upload completes nothing either.
    let backup = fake_backup(dir.path(), 2, 6 << 20);
    let err = store.upload_file(&backup.path, &backup.name, &backup.expected, &quiet, &AtomicBool::new(true)).await;
    assert!(matches!(err, Err(RemoteError::Cancelled)));
    assert!(walk(remote.path()).is_empty());
}

const CHILD_ENDPOINT: &str = "SMALLSTACK_REMOTE_TEST_ENDPOINT";

/// Variables an S3 client built `from_env()` would obey: every one of them points somewhere
/// wrong. The child must still reach the real server with its explicit settings.
#[tokio::test]
async fn ambient_aws_variables_change_nothing() {
    let server = S3Server::start();
    let dead = format!("http://127.0.0.1:{}", free_port());
    let output = Command::new(std::env::current_exe().unwrap())
        .args(["--exact", "failures::child_checks_the_remote", "--nocapture", "--include-ignored", "--test-threads=1"])
        .env(CHILD_ENDPOINT, server.endpoint())
        .envs([
            ("AWS_ENDPOINT", dead.as_str()),
            ("AWS_ENDPOINT_URL", dead.as_str()),
            ("AWS_ENDPOINT_URL_S3", dead.as_str()),
            ("AWS_ALLOW_HTTP", "false"),
            ("AWS_ACCESS_KEY_ID", "AKIAAMBIENTWRONG0001"),
            ("AWS_SECRET_ACCESS_KEY", "ambient-wrong-secret"),
            ("AWS_SESSION_TOKEN", "ambient-token"),
            ("AWS_REGION", "eu-nowhere-1"),
            ("AWS_DEFAULT_REGION", "eu-nowhere-1"),
            ("AWS_VIRTUAL_HOSTED_STYLE_REQUEST", "true"),
            ("AWS_SKIP_SIGNATURE", "true"),
            ("AWS_BUCKET", "elsewhere"),
            ("AWS_CONTAINER_CREDENTIALS_RELATIVE_URI", "/nowhere"),
        ])
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(stdout.contains("CHILD-OK"), "child:\n{stdout}\n{}", String::from_utf8_lossy(&output.stderr));
}

#[test]
#[ignore = "helper: runs in a child process"]
fn child_checks_the_remote() {
    let Ok(endpoint) = std::env::var(CHILD_ENDPOINT) else { return };
    let runtime = tokio::runtime::Runtime::new().unwrap();
    runtime.block_on(async {
        let table = [
            ("BACKUP_REMOTE_URL", "s3://offsite/ambient"),
            ("BACKUP_REMOTE_ENDPOINT", endpoint.as_str()),
            ("AWS_ACCESS_KEY_ID", ACCESS_KEY),
            ("AWS_SECRET_ACCESS_KEY", SECRET_KEY),
        ];
        let settings = RemoteSettings::from_lookup(|n| table.iter().find(|(k, _)| *k == n).map(|(_, v)| v.to_string()));
        let store = RemoteStore::open_with(&settings.unwrap().unwrap(), small_parts()).unwrap();
        match store.check().await {
            Ok(_) => println!("CHILD-OK"),
            Err(e) => println!("CHILD-ERROR {e}"),
        }
    });
}
