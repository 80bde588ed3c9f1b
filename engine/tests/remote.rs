//! Off-site copies against real storage: an `s3s-fs` server on loopback (a real S3 protocol
//! implementation over a folder, started per test) and file:// folders. No mock of the storage
//! API. The failure tests are in `remote/failures.rs`, the media mirror in `remote/media.rs`.

#[path = "remote/failures.rs"]
mod failures;
#[path = "remote/media.rs"]
mod media;
#[path = "remote/support.rs"]
mod support;

use engine::backup::remote::{
    CheckStep, RemoteError, RemoteKey, TransferPhase, TransferProgress, parse_backup_name, sidecar_text,
};
use std::sync::{Mutex, atomic::AtomicBool};
use support::*;

/// Upload, list, verify, download and delete one small and one multipart backup, and check the
/// layout the issue promises: `<prefix>/backups/<name>` and `<name>.sha256` beside it.
async fn round_trip(store: &engine::backup::remote::RemoteStore, object_path: impl Fn(&str) -> std::path::PathBuf) {
    let dir = tempfile::tempdir().unwrap();
    let never = AtomicBool::new(false);
    let small = fake_backup(dir.path(), 1, 300_000);
    let large = fake_backup(dir.path(), 2, 12 << 20);

    let seen: Mutex<Vec<TransferProgress>> = Mutex::new(Vec::new());
    let record = |p: TransferProgress| seen.lock().unwrap().push(p);
    let up_small = store.upload_file(&small.path, &small.name, &small.expected, &quiet, &never).await.unwrap();
    let up_large = store.upload_file(&large.path, &large.name, &large.expected, &record, &never).await.unwrap();
    assert_eq!(up_small.parts, 0, "one request up to the part size");
    assert_eq!(up_large.parts, 3, "12 MiB in 5 MiB parts");
    assert_eq!((up_large.size, &up_large.sha256), (large.expected.size, &large.expected.sha256));
    let seen = seen.into_inner().unwrap();
    let last_upload = seen.iter().rfind(|p| p.phase == TransferPhase::Upload).unwrap();
    let last_read = seen.iter().rfind(|p| p.phase == TransferPhase::ReadBack).unwrap();
    assert_eq!(
        (last_upload.done, last_read.done),
        (large.expected.size, large.expected.size),
        "progress reaches the end"
    );
    assert!(seen.windows(2).all(|w| w[0].phase != w[1].phase || w[0].done <= w[1].done), "progress only grows");

    // The bytes where the issue says they go, and a sidecar `sha256sum -c` understands.
    assert!(up_large.key.ends_with(&format!("backups/{}", large.name)), "{}", up_large.key);
    assert_eq!(std::fs::read(object_path(&up_large.key)).unwrap(), std::fs::read(&large.path).unwrap());
    assert_eq!(
        std::fs::read_to_string(object_path(&format!("{}.sha256", up_small.key))).unwrap(),
        sidecar_text(&small.expected.sha256, small.name.as_str())
    );

    let listed = store.list_backups().await.unwrap();
    assert_eq!(listed.iter().map(|b| b.name.clone()).collect::<Vec<_>>(), vec![small.name.clone(), large.name.clone()]);
    assert!(listed.iter().all(|b| b.is_complete()));
    assert_eq!(listed[1].sha256.as_ref(), Some(&large.expected.sha256));
    assert_eq!(listed[1].size, large.expected.size);

    let checked = store.verify(&large.name, &quiet, &never).await.unwrap();
    assert_eq!(checked.sha256, large.expected.sha256);

    // A download with no hash given trusts the sidecar; it never replaces an existing file.
    let dest = dir.path().join("restored.sqlite3");
    let got = store.download_file(&large.name, &dest, None, &quiet, &never).await.unwrap();
    assert_eq!((got.size, &got.sha256), (large.expected.size, &large.expected.sha256));
    assert_eq!(std::fs::read(&dest).unwrap(), std::fs::read(&large.path).unwrap());
    let again = store.download_file(&large.name, &dest, Some(&large.expected.sha256), &quiet, &never).await;
    assert!(matches!(again, Err(RemoteError::Local { .. })), "{again:?}");
    assert_eq!(files_named(dir.path(), ".tmp-"), Vec::<std::path::PathBuf>::new(), "no temporary file left");

    store.delete(&small.name).await.unwrap();
    assert!(!object_path(&up_small.key).exists() && !object_path(&format!("{}.sha256", up_small.key)).exists());
    assert_eq!(store.list_backups().await.unwrap().len(), 1);
    store.delete(&small.name).await.unwrap(); // already gone: not an error
    let missing = store.verify(&small.name, &quiet, &never).await.unwrap_err();
    assert!(matches!(missing, RemoteError::NoChecksum { .. }), "{missing}");
}

#[tokio::test]
async fn backups_go_to_s3_and_come_back_verified() {
    let server = S3Server::start();
    let store = server.store("prod/app");
    assert!(store.description().contains("key AKIA…ST01") && !store.description().contains(SECRET_KEY));
    let steps = store.check().await.unwrap();
    assert_eq!(
        steps.iter().map(|(s, _)| *s).collect::<Vec<_>>(),
        [CheckStep::Connect, CheckStep::Write, CheckStep::Read, CheckStep::List, CheckStep::Delete]
    );
    round_trip(&store, |key| server.object_path(key)).await;
    // A second store on the same bucket (a new machine) sees the copies without any catalogue.
    let fresh = server.store("prod/app");
    assert_eq!(fresh.list_backups().await.unwrap().len(), 1);
    assert!(server.store("other").list_backups().await.unwrap().is_empty(), "prefixes keep remotes apart");
}

#[tokio::test]
async fn backups_go_to_a_folder_and_come_back_verified() {
    let remote = tempfile::tempdir().unwrap();
    let store = folder_store(remote.path());
    store.check().await.unwrap();
    round_trip(&store, |key| key.split('/').fold(remote.path().to_path_buf(), |p, s| p.join(s))).await;
    assert!(files_named(remote.path(), "#").is_empty(), "no staging file of the folder store is left");
    assert!(!remote.path().join(".probe").exists(), "the check leaves nothing behind");
}

/// What crosses the wire, seen by a relay in front of the S3 server: every PUT (whole object,
/// part, sidecar) carries `x-amz-checksum-sha256`, the multipart upload is created with the
/// SHA256 algorithm, and no request holds the secret.
#[tokio::test]
async fn every_upload_request_carries_its_sha256() {
    let server = S3Server::start();
    let recorder = Recorder::start(server.port).await;
    let settings = settings(&[
        ("BACKUP_REMOTE_URL", "s3://offsite/app"),
        ("BACKUP_REMOTE_ENDPOINT", recorder.endpoint().as_str()),
        ("AWS_ACCESS_KEY_ID", ACCESS_KEY),
        ("AWS_SECRET_ACCESS_KEY", SECRET_KEY),
    ]);
    let store = engine::backup::remote::RemoteStore::open_with(&settings, small_parts()).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let never = AtomicBool::new(false);
    for (sequence, size) in [(1, 1000), (2, 12 << 20)] {
        let backup = fake_backup(dir.path(), sequence, size);
        store.upload_file(&backup.path, &backup.name, &backup.expected, &quiet, &never).await.unwrap();
    }
    let requests = recorder.requests();
    let puts: Vec<_> = requests.iter().filter(|r| r.method == "PUT").collect();
    assert_eq!(puts.iter().filter(|r| r.target.contains("partNumber=")).count(), 3, "{puts:#?}");
    assert_eq!(puts.len(), 3 + 1 + 2, "three parts, one whole object, two sidecars: {puts:#?}");
    for put in &puts {
        let checksum = put.header("x-amz-checksum-sha256");
        assert!(checksum.is_some_and(|v| v.len() == 44), "{} {}: {checksum:?}", put.method, put.target);
    }
    let create = requests.iter().find(|r| r.method == "POST" && r.target.contains("?uploads")).unwrap();
    assert_eq!(create.header("x-amz-checksum-algorithm"), Some("SHA256"));
    assert!(requests.iter().all(|r| !format!("{r:?}").contains(SECRET_KEY)));
}

#[tokio::test]
async fn an_upload_respects_the_rate_cap() {
    let remote = tempfile::tempdir().unwrap();
    let url = format!("file://{}", remote.path().display());
    let settings = settings(&[("BACKUP_REMOTE_URL", url.as_str()), ("BACKUP_REMOTE_MAX_RATE", "8MiB")]);
    let store = engine::backup::remote::RemoteStore::open_with(&settings, small_parts()).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let backup = fake_backup(dir.path(), 1, 6 << 20);
    let started = std::time::Instant::now();
    store.upload_file(&backup.path, &backup.name, &backup.expected, &quiet, &AtomicBool::new(false)).await.unwrap();
    let elapsed = started.elapsed();
    eprintln!("6 MiB at 8 MiB/s took {elapsed:?}");
    assert!(elapsed >= std::time::Duration::from_millis(700), "{elapsed:?}");
}

#[tokio::test]
async fn generic_keys_stay_under_the_prefix() {
    let server = S3Server::start();
    let store = server.store("app");
    let key = RemoteKey::parse("media/avatars/7.png").unwrap();
    store.put_bytes(&key, b"png bytes".to_vec()).await.unwrap();
    assert_eq!(store.get_bytes(&key).await.unwrap().as_ref(), b"png bytes");
    assert_eq!(std::fs::read(server.object_path("app/media/avatars/7.png")).unwrap(), b"png bytes");
    let listed = store.list_prefix(&RemoteKey::parse("media").unwrap()).await.unwrap();
    assert_eq!(listed.iter().map(|o| o.key.as_str()).collect::<Vec<_>>(), ["media/avatars/7.png"]);
    store.delete_key(&key).await.unwrap();
    store.delete_key(&key).await.unwrap();
    assert!(matches!(store.get_bytes(&key).await, Err(RemoteError::NotFound { .. })));

    for outside in
        ["../escape", "/etc/passwd", "media/../../x", "media//x", "media\\x", "media/\u{7}bell", "media/a%2F..", ""]
    {
        assert!(RemoteKey::parse(outside).is_err(), "{outside:?} must be refused");
    }
    // backups/ is only written by upload_file, which verifies.
    let fake = RemoteKey::parse("backups/db-20261125-020000.sqlite3").unwrap();
    let refused = store.put_bytes(&fake, b"not verified".to_vec()).await.unwrap_err();
    assert!(matches!(refused, RemoteError::InvalidKey(_)), "{refused}");
    assert!(store.delete_key(&fake).await.is_err());
    for not_a_backup in
        ["notes.txt", "../db-20261125-020000.sqlite3", "db-20261125-020000.sqlite3.sha256", "db-x.sqlite3"]
    {
        let err = parse_backup_name(not_a_backup).unwrap_err();
        assert!(matches!(err, RemoteError::InvalidName { .. }), "{err}");
    }
    assert!(server.root.join(BUCKET).read_dir().unwrap().all(|e| e.unwrap().file_name() == "app"));
}

#[tokio::test]
async fn objects_that_are_not_backups_are_left_out_of_the_listing() {
    let remote = tempfile::tempdir().unwrap();
    let store = folder_store(remote.path());
    let backups = remote.path().join("backups");
    std::fs::create_dir_all(&backups).unwrap();
    std::fs::write(backups.join("notes.txt"), b"x").unwrap();
    std::fs::write(backups.join("db-20261125-020000.sqlite3"), b"no sidecar").unwrap();
    std::fs::write(backups.join("db-20261125-030000.sqlite3"), b"bad sidecar").unwrap();
    std::fs::write(backups.join("db-20261125-030000.sqlite3.sha256"), b"nonsense").unwrap();
    let listed = store.list_backups().await.unwrap();
    assert_eq!(listed.len(), 2);
    assert!(!listed[0].is_complete() && listed[0].sidecar_error.is_none(), "a copy without its sidecar is unfinished");
    assert!(!listed[1].is_complete() && listed[1].sidecar_error.is_some());
    let never = AtomicBool::new(false);
    let dest = remote.path().join("out");
    let err = store.download_file(&listed[0].name, &dest, None, &quiet, &never).await.unwrap_err();
    assert!(matches!(err, RemoteError::NoChecksum { .. }), "{err}");
    assert!(err.to_string().contains("no db-20261125-020000.sqlite3.sha256"), "{err}");
    assert!(!dest.exists());
}

const CHILD_DIR: &str = "SMALLSTACK_REMOTE_MEMORY_CHILD";

/// Peak memory, measured in a process of its own (tests in one process share their peak): an
/// upload and a download of 96 MiB stay within the tuning's bound plus the runtime's own needs.
#[tokio::test]
async fn transfers_hold_a_bounded_amount_of_memory() {
    let server = S3Server::start();
    let dir = tempfile::tempdir().unwrap();
    let output = std::process::Command::new(std::env::current_exe().unwrap())
        .args(["--exact", "child_transfers_a_large_file", "--nocapture", "--include-ignored", "--test-threads=1"])
        .env(CHILD_DIR, dir.path())
        .env("SMALLSTACK_REMOTE_TEST_ENDPOINT", server.endpoint())
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&output.stdout);
    let growth: u64 = stdout
        .lines()
        .find_map(|l| l.split("CHILD-PEAK-GROWTH ").nth(1))
        .and_then(|v| v.trim().parse().ok())
        .unwrap_or_else(|| panic!("child:\n{stdout}\n{}", String::from_utf8_lossy(&output.stderr)));
    let bound = engine::backup::remote::Tuning::default().memory_bound() as u64;
    eprintln!("peak memory growth over a 96 MiB upload and download: {} MiB (bound {} MiB)", growth >> 20, bound >> 20);
    assert!(growth < bound + (32 << 20), "{} MiB", growth >> 20);
}

#[test]
#[ignore = "helper: runs in a child process"]
fn child_transfers_a_large_file() {
    let (Some(dir), Ok(endpoint)) = (std::env::var_os(CHILD_DIR), std::env::var("SMALLSTACK_REMOTE_TEST_ENDPOINT"))
    else {
        return;
    };
    let dir = std::path::PathBuf::from(dir);
    let backup = streamed_fake_backup(&dir, 96);
    let runtime = tokio::runtime::Runtime::new().unwrap();
    runtime.block_on(async {
        let settings = settings(&[
            ("BACKUP_REMOTE_URL", "s3://offsite/memory"),
            ("BACKUP_REMOTE_ENDPOINT", endpoint.as_str()),
            ("AWS_ACCESS_KEY_ID", ACCESS_KEY),
            ("AWS_SECRET_ACCESS_KEY", SECRET_KEY),
        ]);
        let store = engine::backup::remote::RemoteStore::open(&settings).unwrap();
        store.check().await.unwrap();
        let before = peak_rss();
        let never = AtomicBool::new(false);
        store.upload_file(&backup.path, &backup.name, &backup.expected, &quiet, &never).await.unwrap();
        store.download_file(&backup.name, &dir.join("back.sqlite3"), None, &quiet, &never).await.unwrap();
        println!("CHILD-PEAK-GROWTH {}", peak_rss().saturating_sub(before));
    });
}

/// The process's peak resident set (VmHWM), in bytes.
fn peak_rss() -> u64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap();
    let kib: u64 = status
        .lines()
        .find_map(|l| l.strip_prefix("VmHWM:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        .unwrap();
    kib * 1024
}

/// Like `fake_backup`, written a MiB at a time so the test's own buffer does not set the peak.
fn streamed_fake_backup(dir: &std::path::Path, mib: usize) -> FakeBackup {
    use rand::RngCore;
    use sha2::Digest;
    use std::io::Write;
    let name = parse_backup_name("db-20261125-020000.sqlite3").unwrap();
    let path = dir.join(name.as_str());
    let mut file = std::fs::File::create(&path).unwrap();
    let mut hasher = sha2::Sha256::new();
    let mut block = vec![0u8; 1 << 20];
    for _ in 0..mib {
        rand::rng().fill_bytes(&mut block);
        hasher.update(&block);
        file.write_all(&block).unwrap();
    }
    let sha256 = engine::backup::remote::Sha256Digest::from_hasher(hasher);
    FakeBackup { name, path, expected: engine::backup::remote::Expected { size: (mib << 20) as u64, sha256 } }
}
