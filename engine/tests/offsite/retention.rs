//! Retention on both sides: local retention never removes the only copy of a backup whose
//! off-site copy is not made yet (unless the disk is short of space, which is then told);
//! `BACKUP_REMOTE_KEEP` prunes the remote and the history says so; `media/` is mirrored after
//! each copy, incrementally.

use super::*;
use engine::backup::{Operation, remote::sidecar_text};

async fn statuses(engine: &Engine) -> Vec<(Status, Option<RemoteState>)> {
    engine.backups.list().await.unwrap().iter().map(|r| (r.status, state_of(r))).collect()
}

#[tokio::test]
async fn local_retention_keeps_backups_that_wait_for_their_copy() {
    let dir = tempfile::tempdir().unwrap();
    let remote = tempfile::tempdir().unwrap();
    let told = Told::default();
    let engine = open_remote(dir.path(), folder_settings(remote.path()), KeepPolicy::All, &told).await;
    engine.backups.set_retention(1).await.unwrap();
    let mut ids = Vec::new();
    for _ in 0..3 {
        ids.push(engine.backups.create(Trigger::Scheduled).await.unwrap().id);
    }
    // No uploader ran: each is the only copy, so none is pruned.
    assert_eq!(statuses(&engine).await, vec![(Status::Success, Some(RemoteState::Pending)); 3]);
    for id in &ids {
        engine.backups.upload_copy_now(*id).await.unwrap();
    }
    engine.backups.prune().await.unwrap();
    assert_eq!(
        statuses(&engine).await,
        [
            (Status::Success, Some(RemoteState::Uploaded)),
            (Status::Pruned, Some(RemoteState::Uploaded)),
            (Status::Pruned, Some(RemoteState::Uploaded)),
        ]
    );
    assert!(told.all().is_empty());
}

/// A 3 MiB filesystem for `BACKUP_DIR`: after two 1 MiB backups there is no room for a third,
/// so retention removes the older one although its copy was never made, and says so.
#[tokio::test]
async fn when_the_disk_is_short_a_waiting_backup_is_pruned_and_that_is_told() {
    let dir = tempfile::tempdir().unwrap();
    let backups = dir.path().join("backups");
    std::fs::create_dir_all(&backups).unwrap();
    let mounted = std::process::Command::new("mount")
        .args(["-t", "tmpfs", "-o", "size=3m", "tmpfs"])
        .arg(&backups)
        .stderr(std::process::Stdio::null())
        .status()
        .is_ok_and(|s| s.success());
    if !mounted {
        eprintln!("skipped: mounting a small tmpfs needs root");
        return;
    }
    struct Unmount(std::path::PathBuf);
    impl Drop for Unmount {
        fn drop(&mut self) {
            let _ = std::process::Command::new("umount").arg(&self.0).status();
        }
    }
    let _unmount = Unmount(backups.clone());
    let remote = tempfile::tempdir().unwrap();
    let told = Told::default();
    let engine = open_remote(dir.path(), folder_settings(remote.path()), KeepPolicy::All, &told).await;
    engine.backups.set_retention(1).await.unwrap();
    add_data(&engine, 10, 1).await;
    let first = engine.backups.create(Trigger::Scheduled).await.unwrap();
    let second = engine.backups.create(Trigger::Scheduled).await.unwrap();
    let first = engine.backups.get(first.id).await.unwrap();
    assert_eq!(first.status, Status::Pruned, "pruned for lack of space");
    let remote_first = first.remote.unwrap();
    assert_eq!(remote_first.state, RemoteState::Failed);
    assert_eq!(remote_first.next_attempt_at, None, "nothing left to upload");
    let error = remote_first.error.unwrap();
    assert!(error.contains("before its off-site copy was made") && error.contains("not enough free space"), "{error}");
    let notices = told.all();
    assert_eq!(notices.len(), 1, "{notices:?}");
    assert_eq!(notices[0].operation, Operation::OffsiteCopy);
    let alert = engine.backups.remote_alert(&engine.backups.list().await.unwrap()).await.unwrap().unwrap();
    assert!(alert.message.contains(&first.filename) && alert.message.contains("not enough free space"));
    assert_eq!(state_of(&engine.backups.get(second.id).await.unwrap()), Some(RemoteState::Pending));
}

#[tokio::test]
async fn remote_retention_keeps_what_the_policy_says_and_the_history_shows_it() {
    let dir = tempfile::tempdir().unwrap();
    let remote = tempfile::tempdir().unwrap();
    let told = Told::default();
    let keep = KeepPolicy::parse("last=2").unwrap();
    let engine = open_remote(dir.path(), folder_settings(remote.path()), keep, &told).await;
    // A copy made on another machine, older than all: the remote is the truth, it goes too.
    let stranger = "db-20200101-000000.sqlite3";
    std::fs::create_dir_all(remote.path().join("backups")).unwrap();
    std::fs::write(remote.path().join("backups").join(stranger), b"old").unwrap();
    let digest = engine::backup::remote::Sha256Digest::of(b"old");
    std::fs::write(remote.path().join("backups").join(format!("{stranger}.sha256")), sidecar_text(&digest, stranger))
        .unwrap();
    let mut made = Vec::new();
    for _ in 0..4 {
        let record = engine.backups.create(Trigger::Manual).await.unwrap();
        let outcome = engine.backups.upload_copy_now(record.id).await.unwrap();
        made.push((record, outcome.pruned));
    }
    assert!(made[0].1.is_empty(), "two copies, last=2 keeps both: {:?}", made[0].1);
    assert_eq!(made[1].1, [stranger], "a copy this catalogue never saw is pruned like any other");
    assert_eq!(made[2].1, [made[0].0.filename.clone()]);
    assert_eq!(made[3].1, [made[1].0.filename.clone()]);
    let on_remote: Vec<String> = engine.backups.list_remote().await.unwrap().into_iter().map(|c| c.name).collect();
    assert_eq!(on_remote, [made[2].0.filename.clone(), made[3].0.filename.clone()]);
    for (record, _) in &made[..2] {
        let now = engine.backups.get(record.id).await.unwrap();
        assert_eq!(state_of(&now), Some(RemoteState::Pruned), "shown as pruned remotely");
        assert!(now.remote.unwrap().pruned_at.is_some());
        assert_eq!(now.status, Status::Success, "the local copy stays (local retention is separate)");
        assert!(event_kinds(&engine, record.id).await.contains(&EventKind::RemotePruned));
    }
    assert_eq!(RemoteState::Pruned.label(), "pruned remotely");
    // All keeps everything.
    let all = open_remote(dir.path(), folder_settings(remote.path()), KeepPolicy::All, &told).await;
    let record = all.backups.create(Trigger::Manual).await.unwrap();
    assert!(all.backups.upload_copy_now(record.id).await.unwrap().pruned.is_empty());
}

#[tokio::test]
async fn media_is_mirrored_after_each_copy_only_what_changed() {
    let dir = tempfile::tempdir().unwrap();
    let remote = tempfile::tempdir().unwrap();
    let told = Told::default();
    let engine = open_remote(dir.path(), folder_settings(remote.path()), KeepPolicy::All, &told).await;
    let media = dir.path().join("media/avatars");
    std::fs::create_dir_all(&media).unwrap();
    for i in 0..3 {
        std::fs::write(media.join(format!("{i}.png")), format!("image {i}")).unwrap();
    }
    let copy = |engine: &Engine| {
        let backups = engine.backups.clone();
        async move {
            let record = backups.create(Trigger::Manual).await.unwrap();
            backups.upload_copy_now(record.id).await.unwrap().media.unwrap()
        }
    };
    let first = copy(&engine).await;
    assert_eq!((first.files, first.transferred, first.unchanged), (3, 3, 0), "{first:?}");
    let second = copy(&engine).await;
    assert_eq!((second.files, second.transferred, second.unchanged), (3, 0, 3), "nothing changed, nothing sent");
    std::fs::write(media.join("1.png"), "a new image 1").unwrap();
    std::fs::remove_file(media.join("2.png")).unwrap();
    let third = copy(&engine).await;
    assert_eq!((third.transferred, third.marked_deleted), (1, 1), "{third:?}");
    assert_eq!(std::fs::read(remote.path().join("media/avatars/1.png")).unwrap(), b"a new image 1");
    assert!(remote.path().join("media/avatars/2.png").exists(), "a deleted file stays off-site 30 days");
    assert_eq!(engine.backups.media_status().await.unwrap(), Some(third));
}
