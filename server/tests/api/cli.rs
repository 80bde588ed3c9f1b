//! The `smallstack` binary itself, run as a user would, against databases in a temporary folder.

use std::{
    io::Write,
    path::Path,
    process::{Command, Output, Stdio},
};

fn smallstack(dir: &Path, args: &[&str], stdin: Option<&str>) -> Output {
    let mut child = Command::new(env!("CARGO_BIN_EXE_smallstack"))
        .args(args)
        .env_clear()
        .env("PATH", std::env::var("PATH").unwrap_or_default())
        .env("DATABASE_PATH", dir.join("db.sqlite3"))
        .env("SYSTEM_DATABASE_PATH", dir.join("system.sqlite3"))
        .env("MEDIA_ROOT", dir.join("media"))
        .env("BACKUP_DIR", dir.join("backups"))
        .env("RUST_LOG", "error")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("run smallstack");
    if let Some(input) = stdin {
        child.stdin.take().unwrap().write_all(input.as_bytes()).unwrap();
    }
    drop(child.stdin.take());
    child.wait_with_output().unwrap()
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

#[test]
fn migrate_then_pragmas_are_read_from_a_live_connection() {
    let dir = tempfile::tempdir().unwrap();
    assert!(smallstack(dir.path(), &["migrate"], None).status.success());
    let out = smallstack(dir.path(), &["db", "pragmas"], None);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let stdout = text(&out.stdout);
    let lines: Vec<&str> = stdout.lines().collect();
    assert_eq!(
        &lines[..8],
        [
            "journal_mode WAL",
            "synchronous NORMAL",
            "temp_store MEMORY",
            "mmap_size 134217728",
            "journal_size_limit 27103364",
            "cache_size 2000",
            "busy_timeout 5000",
            "foreign_keys ON",
        ]
    );
    assert!(lines[8].starts_with("sqlite_version 3."), "{stdout}");
}

#[test]
fn db_check_and_size() {
    let dir = tempfile::tempdir().unwrap();
    smallstack(dir.path(), &["migrate"], None);
    let check = smallstack(dir.path(), &["db", "check"], None);
    assert!(check.status.success());
    assert!(text(&check.stdout).contains("db.sqlite3: ok"));
    let size = smallstack(dir.path(), &["db", "size"], None);
    assert!(size.status.success());
    let stdout = text(&size.stdout);
    assert!(stdout.lines().count() == 3 && stdout.contains("total") && stdout.contains("KiB"), "{stdout}");
    let vacuum = smallstack(dir.path(), &["db", "vacuum"], None);
    assert!(vacuum.status.success(), "{}", text(&vacuum.stderr));
}

#[test]
fn db_check_fails_on_a_corrupt_database() {
    let dir = tempfile::tempdir().unwrap();
    smallstack(dir.path(), &["migrate"], None);
    // Damage a page deep in the file (not the header): integrity_check must notice.
    let path = dir.path().join("db.sqlite3");
    let mut bytes = std::fs::read(&path).unwrap();
    let page = 4096;
    assert!(bytes.len() >= page * 3);
    for b in &mut bytes[page * 2 + 8..page * 2 + 200] {
        *b = 0xAB;
    }
    std::fs::write(&path, &bytes).unwrap();
    let check = smallstack(dir.path(), &["db", "check"], None);
    assert_eq!(check.status.code(), Some(1), "{}{}", text(&check.stdout), text(&check.stderr));
}

#[test]
fn unknown_arguments_get_clap_message_and_exit_2() {
    let dir = tempfile::tempdir().unwrap();
    let out = smallstack(dir.path(), &["frobnicate"], None);
    assert_eq!(out.status.code(), Some(2));
    assert!(text(&out.stderr).contains("unrecognized subcommand"));
    let out = smallstack(dir.path(), &["db", "size", "--bogus"], None);
    assert_eq!(out.status.code(), Some(2));
}

#[test]
fn an_unusable_database_path_is_one_line_and_exit_1_and_the_file_is_untouched() {
    let dir = tempfile::tempdir().unwrap();
    let not_a_db = dir.path().join("db.sqlite3");
    std::fs::write(&not_a_db, "hello, this is a text file\n").unwrap();
    let out = smallstack(dir.path(), &["migrate"], None);
    assert_eq!(out.status.code(), Some(1));
    let stderr = text(&out.stderr);
    assert_eq!(stderr.trim().lines().count(), 1, "{stderr}");
    assert!(stderr.contains("db.sqlite3") && stderr.contains("not a SQLite database"), "{stderr}");
    assert_eq!(std::fs::read_to_string(&not_a_db).unwrap(), "hello, this is a text file\n");

    // A folder where the file should be, and a path below a regular file.
    std::fs::remove_file(&not_a_db).unwrap();
    std::fs::create_dir(&not_a_db).unwrap();
    let out = smallstack(dir.path(), &["migrate"], None);
    assert_eq!(out.status.code(), Some(1));
    assert!(text(&out.stderr).contains("is a directory"));
    std::fs::write(dir.path().join("afile"), "x").unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_smallstack"))
        .arg("migrate")
        .env("DATABASE_PATH", dir.path().join("afile/inside/db.sqlite3"))
        .env("SYSTEM_DATABASE_PATH", dir.path().join("system.sqlite3"))
        .env("MEDIA_ROOT", dir.path().join("media"))
        .env("BACKUP_DIR", dir.path().join("backups"))
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    assert_eq!(text(&out.stderr).trim().lines().count(), 1);
}

#[test]
fn a_bad_setting_is_one_line_and_exit_1() {
    let out = Command::new(env!("CARGO_BIN_EXE_smallstack"))
        .args(["db", "size"])
        .env("LEPTOS_SITE_ADDR", "not-an-address")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let stderr = text(&out.stderr);
    assert!(stderr.contains("LEPTOS_SITE_ADDR") && stderr.trim().lines().count() == 1, "{stderr}");
}

#[test]
fn serve_refuses_to_start_without_the_built_site() {
    let dir = tempfile::tempdir().unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_smallstack"))
        .arg("serve")
        .env("DATABASE_PATH", dir.path().join("db.sqlite3"))
        .env("SYSTEM_DATABASE_PATH", dir.path().join("system.sqlite3"))
        .env("LEPTOS_SITE_ROOT", dir.path().join("nowhere"))
        .env("LEPTOS_SITE_ADDR", "127.0.0.1:0")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    assert!(text(&out.stderr).contains("LEPTOS_SITE_ROOT"));
}

#[test]
fn users_are_created_from_standard_input_and_listed() {
    let dir = tempfile::tempdir().unwrap();
    let create = smallstack(
        dir.path(),
        &["user", "create", "--username", "Root", "--email", "root@example.com", "--staff"],
        Some("sup3r-secret\nsup3r-secret\n"),
    );
    assert!(create.status.success(), "{}", text(&create.stderr));
    let plain = smallstack(
        dir.path(),
        &["user", "create", "--username", "plain", "--email", "plain@example.com"],
        Some("just-one-line\n"),
    );
    assert!(plain.status.success(), "{}", text(&plain.stderr));

    let mismatch = smallstack(
        dir.path(),
        &["user", "create", "--username", "other", "--email", "o@example.com"],
        Some("first-password\nsecond-password\n"),
    );
    assert_eq!(mismatch.status.code(), Some(1));
    assert!(text(&mismatch.stderr).contains("do not match"));
    let empty =
        smallstack(dir.path(), &["user", "create", "--username", "other", "--email", "o@example.com"], Some(""));
    assert_eq!(empty.status.code(), Some(1));
    assert!(text(&empty.stderr).contains("no password"));
    let short =
        smallstack(dir.path(), &["user", "create", "--username", "other", "--email", "o@example.com"], Some("short\n"));
    assert_eq!(short.status.code(), Some(1));
    let dup = smallstack(
        dir.path(),
        &["user", "create", "--username", "ROOT", "--email", "x@example.com"],
        Some("long-enough\n"),
    );
    assert_eq!(dup.status.code(), Some(1));
    assert!(text(&dup.stderr).contains("username is already taken"));
    let bad = smallstack(
        dir.path(),
        &["user", "create", "--username", "a b", "--email", "x@example.com"],
        Some("long-enough\n"),
    );
    assert_eq!(bad.status.code(), Some(1));

    let list = text(&smallstack(dir.path(), &["user", "list"], None).stdout);
    let lines: Vec<&str> = list.lines().collect();
    assert_eq!(lines.len(), 2, "{list}");
    assert!(lines.iter().any(|l| l.starts_with("Root\t") && l.ends_with("staff")), "{list}");
    assert!(lines.iter().any(|l| l.starts_with("plain\t") && !l.contains("staff")), "{list}");

    assert!(smallstack(dir.path(), &["user", "set-staff", "plain", "true"], None).status.success());
    assert!(
        text(&smallstack(dir.path(), &["user", "list"], None).stdout)
            .lines()
            .any(|l| l.starts_with("plain\t") && l.ends_with("staff"))
    );
    assert_eq!(smallstack(dir.path(), &["user", "set-staff", "plain", "maybe"], None).status.code(), Some(2));
    assert!(smallstack(dir.path(), &["user", "set-password", "plain"], Some("a-new-password\n")).status.success());
    let missing = smallstack(dir.path(), &["user", "set-password", "ghost"], Some("a-new-password\n"));
    assert_eq!(missing.status.code(), Some(1));
    assert!(text(&missing.stderr).contains("no user named"));
}
