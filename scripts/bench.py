#!/usr/bin/env python3
"""`make bench`: SmallStack's speed, measured end to end and written to BENCHMARKS.md.

Starts the release server on fresh temporary data folders, seeds it, drives load over loopback
with wrk (Debian's), and records each figure beside its goal. Standard library only.

Sections (each can be skipped with BENCH_SKIP=pages,writes,backup,offsite,weight,memory):
  pages   req/s, p50, p99 of /, /theme, /backups (staff, 100 rows), /health at 64 connections
  writes  64 signed-in users saving their theme in a loop for 30 s
  backup  a generated 1 GB database backed up while 32 writers run, against sqlite3 .backup
  offsite the backup of that database copied to a local S3 server (s3s-fs) while 32 writers
          run, read back, restored on an empty data folder; media sync of 10,000 small files
  weight  bytes of JS + WASM + CSS on the first load of /
  memory  RSS idle and after the write load; time from start to the first 200 from /health
"""

from __future__ import annotations

import datetime as dt
import gzip
import json
import os
import platform
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from http.cookiejar import CookieJar
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BIN = ROOT / "target" / "release" / "smallstack"
SITE = ROOT / "target" / "site"
OUT = ROOT / "BENCHMARKS.md"
SKIP = set(filter(None, os.environ.get("BENCH_SKIP", "").split(",")))
PAGE_SECONDS = int(os.environ.get("BENCH_PAGE_SECONDS", "20"))
WRITE_SECONDS = int(os.environ.get("BENCH_WRITE_SECONDS", "30"))
BIG_DB_MB = int(os.environ.get("BENCH_BIG_DB_MB", "1024"))
PASSWORD = "bench-password-123"


def log(msg: str) -> None:
    print(f"bench: {msg}", file=sys.stderr, flush=True)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Server:
    """The release binary on a data folder of its own."""

    def __init__(self, data: Path, extra_env: dict[str, str] | None = None):
        self.data = data
        self.port = free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        self.env = {
            **os.environ,
            "LEPTOS_SITE_ADDR": f"127.0.0.1:{self.port}",
            "LEPTOS_SITE_ROOT": str(SITE),
            "DATABASE_PATH": str(data / "db.sqlite3"),
            "SYSTEM_DATABASE_PATH": str(data / "system.sqlite3"),
            "MEDIA_ROOT": str(data / "media"),
            "BACKUP_DIR": str(data / "backups"),
            "BACKUP_SCHEDULE": "off",
            "BACKUP_RETENTION": "0",
            "RUST_LOG": "error",
            **(extra_env or {}),
        }
        self.proc: subprocess.Popen | None = None
        self.log_path = data / "server.log"

    def cli(self, *args: str, stdin: str = "") -> str:
        return subprocess.run([str(BIN), *args], env=self.env, input=stdin, capture_output=True, text=True, check=True).stdout

    def start(self) -> float:
        """Starts the server; returns milliseconds from spawn to the first 200 from /health."""
        started = time.perf_counter()
        self.proc = subprocess.Popen([str(BIN), "serve"], env=self.env, stdout=subprocess.DEVNULL, stderr=open(self.log_path, "ab"))
        deadline = started + 60
        while time.perf_counter() < deadline:
            try:
                with urllib.request.urlopen(self.base + "/health", timeout=1) as r:
                    if r.status == 200:
                        return (time.perf_counter() - started) * 1000
            except (urllib.error.URLError, ConnectionError, OSError):
                time.sleep(0.002)
        raise RuntimeError(f"the server did not become healthy; see {self.log_path}")

    def rss_kib(self) -> int:
        assert self.proc
        for line in Path(f"/proc/{self.proc.pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
        return 0

    def stop(self) -> None:
        if self.proc and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.proc.kill()

    def errors_in_log(self, needle: str) -> int:
        if not self.log_path.exists():
            return 0
        return self.log_path.read_text(errors="replace").count(needle)


class Client:
    """A tiny HTTP client with its own cookie jar (one signed-in user)."""

    def __init__(self, base: str):
        self.base = base
        self.jar = CookieJar()
        self.opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(self.jar))

    def request(self, method: str, path: str, body: object | None = None) -> tuple[int, bytes]:
        data = None if body is None else json.dumps(body).encode()
        req = urllib.request.Request(self.base + path, data=data, method=method)
        if data is not None:
            req.add_header("content-type", "application/json")
        try:
            with self.opener.open(req, timeout=600) as r:
                return r.status, r.read()
        except urllib.error.HTTPError as e:
            return e.code, e.read()

    def session_cookie(self) -> str:
        for c in self.jar:
            if c.name == "smallstack_session":
                return f"smallstack_session={c.value}"
        raise RuntimeError("no session cookie")


def signup(base: str, username: str) -> Client:
    c = Client(base)
    status, body = c.request("POST", "/api/signup", {"username": username, "email": f"{username}@example.com", "password": PASSWORD})
    if status != 201:
        raise RuntimeError(f"sign-up of {username}: {status} {body[:200]!r}")
    return c


def login(base: str, username: str) -> Client:
    c = Client(base)
    status, body = c.request("POST", "/api/login", {"username": username, "password": PASSWORD})
    if status != 200:
        raise RuntimeError(f"login of {username}: {status} {body[:200]!r}")
    return c


def wrk(url: str, threads: int, connections: int, seconds: int, script: Path | None = None, env: dict[str, str] | None = None,
        headers: list[str] | None = None, stop_event: threading.Event | None = None) -> dict:
    """Runs wrk and parses requests/s, p50, p99, errors. With stop_event, wrk runs until it is set."""
    cmd = ["wrk", f"-t{threads}", f"-c{connections}", f"-d{seconds}s", "--latency", "--timeout", "10s"]
    for h in headers or []:
        cmd += ["-H", h]
    if script:
        cmd += ["-s", str(script)]
    cmd.append(url)
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, env={**os.environ, **(env or {})})
    if stop_event is not None:
        stop_event.wait()
        proc.send_signal(signal.SIGINT)
    out, _ = proc.communicate()
    return parse_wrk(out)


def to_ms(text: str) -> float:
    m = re.match(r"([\d.]+)(us|ms|s|m)", text)
    if not m:
        return float("nan")
    value, unit = float(m.group(1)), m.group(2)
    return {"us": value / 1000, "ms": value, "s": value * 1000, "m": value * 60000}[unit]


def parse_wrk(out: str) -> dict:
    result = {"raw": out}
    if m := re.search(r"Requests/sec:\s+([\d.]+)", out):
        result["rps"] = float(m.group(1))
    for pct in ("50", "99"):
        if m := re.search(rf"^\s+{pct}%\s+(\S+)", out, re.M):
            result[f"p{pct}"] = to_ms(m.group(1))
    if m := re.search(r"(\d+) requests in", out):
        result["requests"] = int(m.group(1))
    non2xx = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    socket_err = re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", out)
    result["errors"] = (int(non2xx.group(1)) if non2xx else 0) + (sum(map(int, socket_err.groups())) if socket_err else 0)
    if m := re.search(r"^CUSTOM (.*)$", out, re.M):
        result["custom"] = json.loads(m.group(1))
    return result


THEME_LUA = r"""
-- One wrk thread per connection per user: each thread saves its own user's theme in a loop,
-- cycling through distinct values.
local cookies = {}
local counter = 0
function setup(thread)
  counter = counter + 1
  local c = os.getenv("BENCH_COOKIE_" .. counter)
  thread:set("cookie", c)
  thread:set("id", counter)
end
local accents = {"amber","blue","azure","indigo","purple","pink","red","orange","green","teal","cyan"}
local layouts = {"horizontal","vertical","vertical-right","boxed","fluid","condensed"}
local i = 0
local failures = 0
function request()
  i = i + 1
  local body = string.format('{"mode":"%s","accent":"%s","font":"serif","gray":"zinc","radius":"1","layout":"%s"}',
    (i % 2 == 0) and "dark" or "light", accents[(i % #accents) + 1], layouts[(i % #layouts) + 1])
  return wrk.format("POST", "/api/theme", {["content-type"] = "application/json", ["cookie"] = cookie}, body)
end
function response(status, headers, body)
  if status ~= 200 then failures = failures + 1 end
end
"""


def write_load(server: Server, users: list[Client], seconds: int, stop_event: threading.Event | None = None) -> dict:
    script = server.data / "theme.lua"
    script.write_text(THEME_LUA)
    env = {f"BENCH_COOKIE_{i + 1}": u.session_cookie() for i, u in enumerate(users)}
    n = len(users)
    return wrk(server.base + "/api/theme", n, n, seconds, script=script, env=env, stop_event=stop_event)


def seed(server: Server) -> tuple[Client, list[str]]:
    log("seeding 1,000 users, 100 backups and presets")
    staff_name = "benchstaff"
    server.cli("user", "create", "--username", staff_name, "--email", "staff@example.com", "--staff", stdin=f"{PASSWORD}\n")
    names = [f"user{i:04d}" for i in range(1000)]
    with ThreadPoolExecutor(max_workers=4) as pool:
        list(pool.map(lambda n: signup(server.base, n), names))
    staff = login(server.base, staff_name)
    for _ in range(100):
        status, body = staff.request("POST", "/api/backups", {})
        if status not in (200, 201, 202):
            raise RuntimeError(f"seeding a backup: {status} {body[:200]!r}")
    theme = {"mode": "dark", "accent": "teal", "font": "serif", "gray": "zinc", "radius": "1.5", "layout": "vertical"}
    for name in names[:20]:
        c = login(server.base, name)
        for p in range(5):
            c.request("POST", "/api/theme/presets", {"name": f"Preset {p}", "theme": theme})
    return staff, names


def sqlite_version() -> str:
    try:
        return subprocess.run([str(BIN), "db", "pragmas"], capture_output=True, text=True, env={**os.environ,
            "DATABASE_PATH": str(Path(tempfile.mkdtemp()) / "v.sqlite3")}).stdout.strip().splitlines()[-1].split()[-1]
    except Exception:  # noqa: BLE001
        return "?"


def verdict(ok: bool) -> str:
    return "✅ met" if ok else "❌ missed"


def bench_pages(server: Server, staff: Client) -> list[tuple]:
    rows = []
    cookie = staff.session_cookie()
    for label, path, headers, goal_rps, goal_p99 in [
        ("/ (anonymous)", "/", [], 3000, 20),
        ("/theme (staff)", "/theme", [f"Cookie: {cookie}"], None, None),
        ("/backups (staff, 100 rows)", "/backups?per_page=100", [f"Cookie: {cookie}"], 1200, 30),
        ("/health", "/health", [], None, None),
    ]:
        log(f"pages: {label} for {PAGE_SECONDS} s at 64 connections")
        r = wrk(server.base + path, 2, 64, PAGE_SECONDS, headers=headers)
        goal = "—"
        ok = True
        if goal_rps:
            goal = f"≥ {goal_rps:,} req/s, p99 ≤ {goal_p99} ms"
            ok = r.get("rps", 0) >= goal_rps and r.get("p99", 1e9) <= goal_p99
        rows.append((label, f"{r.get('rps', 0):,.0f}", f"{r.get('p50', float('nan')):.2f}", f"{r.get('p99', float('nan')):.2f}",
                     r.get("errors", 0), goal, verdict(ok and r.get("errors", 0) == 0) if goal_rps else "—"))
    return rows


def bench_writes(server: Server, names: list[str]) -> tuple[list[tuple], dict]:
    log(f"writes: 64 signed-in users saving their theme for {WRITE_SECONDS} s")
    users = [login(server.base, n) for n in names[100:164]]
    locked_before = server.errors_in_log("database is locked")
    r = write_load(server, users, WRITE_SECONDS)
    locked = server.errors_in_log("database is locked") - locked_before
    ok = r.get("errors", 1) == 0 and r.get("rps", 0) >= 3000 and r.get("p99", 1e9) <= 50 and locked == 0
    rows = [("64 users × POST /api/theme, 30 s", f"{r.get('rps', 0):,.0f}", f"{r.get('p50', float('nan')):.2f}",
             f"{r.get('p99', float('nan')):.2f}", r.get("errors", 0), locked, "0 errors, ≥ 3,000 saves/s, p99 ≤ 50 ms, 0 locked", verdict(ok))]
    return rows, r


def generate_big_database(path: Path, megabytes: int) -> None:
    """Fills the application database (already migrated) with `megabytes` of rows, with the
    sqlite3 tool, in the server's own file, then checkpoints and closes it."""
    log(f"backup: generating a {megabytes} MB database")
    rows = megabytes * 1024 // 4  # 4 KiB per row
    sql = f"""
PRAGMA journal_mode=WAL;
CREATE TABLE IF NOT EXISTS bench_ballast (id INTEGER PRIMARY KEY, payload BLOB NOT NULL);
WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < {rows})
INSERT INTO bench_ballast (payload) SELECT randomblob(4000) FROM n;
PRAGMA wal_checkpoint(TRUNCATE);
"""
    subprocess.run(["sqlite3", str(path)], input=sql, text=True, check=True, capture_output=True)


def bench_backup(root: Path) -> tuple[list[tuple], dict]:
    data = root / "big"
    data.mkdir()
    server = Server(data)
    server.cli("migrate")
    generate_big_database(data / "db.sqlite3", BIG_DB_MB)
    size = (data / "db.sqlite3").stat().st_size

    log("backup: sqlite3 .backup of the same file at rest")
    copy = root / "sqlite3-copy.sqlite3"
    started = time.perf_counter()
    subprocess.run(["sqlite3", str(data / "db.sqlite3"), f".backup '{copy}'"], check=True)
    cli_ms = (time.perf_counter() - started) * 1000
    copy.unlink()

    start_ms = server.start()
    log(f"backup: healthy {start_ms:.0f} ms after start on a {size / 2**30:.2f} GiB database")
    server.cli("user", "create", "--username", "bigstaff", "--email", "bigstaff@example.com", "--staff", stdin=f"{PASSWORD}\n")
    staff = login(server.base, "bigstaff")
    writers = [signup(server.base, f"writer{i:02d}") for i in range(32)]

    log("backup: 32 writers without a backup (15 s)")
    base = write_load(server, writers, 15)

    log("backup: 32 writers while the backup runs")
    stop = threading.Event()
    holder: dict = {}
    t = threading.Thread(target=lambda: holder.update(write_load(server, writers, 600, stop_event=stop)))
    t.start()
    time.sleep(2)
    status, body = staff.request("POST", "/api/backups", {})
    record = json.loads(body)
    if status == 202:
        while True:
            time.sleep(0.2)
            _, p = staff.request("GET", "/api/backups/progress")
            progress = json.loads(p).get("progress") or {}
            if progress.get("phase") in ("done", "failed"):
                break
        _, b = staff.request("GET", f"/api/backups/{record['id']}")
        record = json.loads(b)["backup"]
    stop.set()
    t.join()
    during = holder
    server.stop()
    copy_ms, total_ms = record.get("copy_ms") or 0, record.get("duration_ms") or 0
    errors = base.get("errors", 0) + during.get("errors", 0)
    p99_ratio = during.get("p99", float("nan")) / max(base.get("p99", 1e-9), 1e-9)
    rows = [
        ("database size", f"{size / 2**20:,.0f} MiB", "", ""),
        ("`sqlite3 .backup` at rest", f"{cli_ms:,.0f} ms", "reference", ""),
        ("our copy phase, 32 writers running", f"{copy_ms:,} ms ({copy_ms / cli_ms:.2f}×)", "≤ 2×", verdict(copy_ms <= 2 * cli_ms)),
        ("our whole backup incl. verification", f"{total_ms:,} ms ({total_ms / cli_ms:.2f}×)", "≤ 3×", verdict(total_ms <= 3 * cli_ms)),
        ("writers' p99 without / with the backup", f"{base.get('p99', float('nan')):.2f} / {during.get('p99', float('nan')):.2f} ms ({p99_ratio:.2f}×)", "≤ 2×", verdict(p99_ratio <= 2)),
        ("writer errors", f"{errors}", "0", verdict(errors == 0)),
        ("backup status / integrity", f"{record.get('status')} / {record.get('integrity_ok')}", "success / true", verdict(record.get("status") == "success")),
        ("start to first 200 from /health on this database", f"{start_ms:.0f} ms", "≤ 200 ms", verdict(start_ms <= 200)),
    ]
    return rows, {"cli_ms": cli_ms, "record": record, "base": base, "during": during, "start_ms": start_ms}


class S3sFs:
    """The local S3 server the tests use (`s3s-fs`, installed by scripts/bootstrap.sh)."""

    ACCESS_KEY = "AKIABENCHSMALLSTACK1"
    SECRET_KEY = "bench/secret/key/for/s3s-fs/only"

    def __init__(self, root: Path, bucket: str):
        self.root = root / "s3"
        (self.root / bucket).mkdir(parents=True)
        self.bucket = bucket
        self.port = free_port()
        binary = shutil.which("s3s-fs") or str(Path.home() / ".cargo" / "bin" / "s3s-fs")
        self.proc = subprocess.Popen(
            [binary, "--host", "127.0.0.1", "--port", str(self.port), "--access-key", self.ACCESS_KEY,
             "--secret-key", self.SECRET_KEY, str(self.root)],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        deadline = time.time() + 15
        while time.time() < deadline:
            try:
                socket.create_connection(("127.0.0.1", self.port), timeout=0.2).close()
                return
            except OSError:
                time.sleep(0.02)
        raise RuntimeError("s3s-fs did not answer")

    def env(self, prefix: str) -> dict[str, str]:
        return {
            "BACKUP_REMOTE_URL": f"s3://{self.bucket}/{prefix}",
            "BACKUP_REMOTE_ENDPOINT": f"http://127.0.0.1:{self.port}",
            "AWS_ACCESS_KEY_ID": self.ACCESS_KEY,
            "AWS_SECRET_ACCESS_KEY": self.SECRET_KEY,
            "BACKUP_REMOTE_KEEP": "all",
        }

    def stop(self) -> None:
        self.proc.terminate()
        self.proc.wait(timeout=10)


def media_elapsed_ms(cli_out: str) -> tuple[int, float]:
    """From `backup create`'s `media     N files, M sent (…), K unchanged, in T` line: (M, T in ms)."""
    m = re.search(r"media\s+(\d+) files, (\d+) sent .*, (\d+) unchanged, in ([\d.]+) (ms|s|min)", cli_out)
    if not m:
        raise RuntimeError(f"no media line in: {cli_out}")
    value, unit = float(m.group(4)), m.group(5)
    return int(m.group(2)), value * {"ms": 1, "s": 1000, "min": 60_000}[unit]


def bench_offsite(root: Path) -> list[tuple]:
    """Upload of a big backup to a local S3 server while writers run, its read-back, a remote
    restore on an empty data folder, and the media mirror of 10,000 small files."""
    s3 = S3sFs(root / "offsite-s3", "bench")
    try:
        data = root / "offsite"
        data.mkdir()
        server = Server(data, s3.env("app"))
        server.cli("migrate")
        generate_big_database(data / "db.sqlite3", BIG_DB_MB)
        log("offsite: a backup made, its copy left to the server (--no-upload)")
        server.cli("backup", "create", "--no-upload")
        backup = sorted((data / "backups").glob("db-*.sqlite3"))[-1]
        size = backup.stat().st_size
        started = time.perf_counter()
        shutil.copyfile(backup, root / "cp-reference")
        os.sync()
        cp_ms = (time.perf_counter() - started) * 1000
        (root / "cp-reference").unlink()

        # Writers' baseline with the remote unset: the uploader does not run.
        plain = Server(data)
        plain.start()
        plain.cli("user", "create", "--username", "offstaff", "--email", "off@example.com", "--staff", stdin=f"{PASSWORD}\n")
        writers = [signup(plain.base, f"offwriter{i:02d}") for i in range(32)]
        log("offsite: 32 writers without an upload (15 s)")
        base = write_load(plain, writers, 15)
        plain.stop()

        log("offsite: the server starts and uploads the pending copy while 32 writers run")
        server.start()
        rss_start = server.rss_kib()
        peak = [rss_start]
        staff = login(server.base, "offstaff")
        writers = [login(server.base, f"offwriter{i:02d}") for i in range(32)]
        stop = threading.Event()
        holder: dict = {}
        t = threading.Thread(target=lambda: holder.update(write_load(server, writers, 600, stop_event=stop)))
        t.start()
        remote: dict = {}
        deadline = time.time() + 1800
        while time.time() < deadline:
            peak[0] = max(peak[0], server.rss_kib())
            _, body = staff.request("GET", f"/api/backups?per_page=1")
            record = json.loads(body)["backups"][0]
            remote = record.get("remote") or {}
            if remote.get("state") in ("uploaded", "failed"):
                break
            time.sleep(0.1)
        stop.set()
        t.join()
        during = holder
        server.stop()
        upload_ms, verify_ms = remote.get("upload_ms") or 0, remote.get("verify_ms") or 0
        mbps = lambda ms: size / 1e6 / max(ms / 1000, 1e-9)

        log("offsite: restore on an empty data folder")
        fresh = root / "offsite-new"
        fresh.mkdir()
        restorer = Server(fresh, s3.env("app"))
        started = time.perf_counter()
        restorer.cli("backup", "restore", "--remote", "latest", "--yes")
        restore_ms = (time.perf_counter() - started) * 1000

        log("offsite: media mirror of 10,000 small files, twice")
        mdata = root / "offsite-media"
        (mdata / "media" / "files").mkdir(parents=True)
        for i in range(10_000):
            (mdata / "media" / "files" / f"{i // 100:03d}").mkdir(exist_ok=True)
            (mdata / "media" / "files" / f"{i // 100:03d}" / f"f{i:05d}.bin").write_bytes(os.urandom(512 + i % 2048))
        media_server = Server(mdata, s3.env("media-bench"))
        media_server.cli("migrate")
        first_sent, first_ms = media_elapsed_ms(media_server.cli("backup", "create"))
        second_sent, second_ms = media_elapsed_ms(media_server.cli("backup", "create"))
    finally:
        s3.stop()

    p99_ratio = during.get("p99", float("nan")) / max(base.get("p99", 1e-9), 1e-9)
    growth_mb = (peak[0] - rss_start) * 1024 / 1e6
    errors = base.get("errors", 0) + during.get("errors", 0)
    return [
        ("backup size", f"{size / 2**20:,.0f} MiB", "", ""),
        ("plain `cp` of the file (+ sync)", f"{cp_ms:,.0f} ms ({mbps(cp_ms):,.0f} MB/s)", "reference", ""),
        ("upload to s3s-fs, 32 writers running", f"{upload_ms:,} ms ({mbps(upload_ms):,.0f} MB/s)", "≥ 80 MB/s", verdict(mbps(upload_ms) >= 80)),
        ("read-back and SHA-256", f"{verify_ms:,} ms ({mbps(verify_ms):,.0f} MB/s)", "", ""),
        ("copy state", f"{remote.get('state')}", "uploaded", verdict(remote.get("state") == "uploaded")),
        ("server RSS growth during the upload", f"{growth_mb:,.1f} MB", "≤ 64 MB", verdict(growth_mb <= 64)),
        ("writers' p99 without / with the upload", f"{base.get('p99', float('nan')):.2f} / {during.get('p99', float('nan')):.2f} ms ({p99_ratio:.2f}×)", "≤ 2×", verdict(p99_ratio <= 2)),
        ("writer errors", f"{errors}", "0", verdict(errors == 0)),
        ("remote restore on an empty data folder (download + verify + install)", f"{restore_ms:,.0f} ms ({restore_ms / max(upload_ms + verify_ms, 1):.2f}× the upload)", "≤ 2×", verdict(restore_ms <= 2 * (upload_ms + verify_ms))),
        ("media mirror, 10,000 files, first run", f"{first_sent:,} sent in {first_ms:,.0f} ms", "", ""),
        ("media mirror, second run, nothing changed", f"{second_sent} sent in {second_ms:,.0f} ms", "≤ 2 s", verdict(second_sent == 0 and second_ms <= 2000)),
    ]


def bench_weight() -> list[tuple]:
    """What the first load of / fetches: the page's CSS, the JS loader and the main WASM."""
    pkg = SITE / "pkg"
    files = [pkg / "smallstack.js", pkg / "smallstack.wasm", pkg / "smallstack.css"]
    files += sorted(pkg.glob("__wasm_split*.js"))
    brotli = shutil.which("brotli")
    rows, total = [], [0, 0, 0]
    for f in files:
        raw = f.read_bytes()
        gz = len(gzip.compress(raw, 9))
        br = len(subprocess.run([brotli, "-c", "-q", "11", str(f)], capture_output=True, check=True).stdout) if brotli else 0
        rows.append((f.name, f"{len(raw):,}", f"{gz:,}", f"{br:,}" if brotli else "—"))
        total = [total[0] + len(raw), total[1] + gz, total[2] + br]
    rows.append(("**total**", f"**{total[0]:,}**", f"**{total[1]:,}**", f"**{total[2]:,}**" if brotli else "—"))
    rows.append(("goal", "", "≤ 250,000", verdict(total[1] <= 250_000)))
    return rows


def table(headers: list[str], rows: list[tuple]) -> str:
    lines = ["| " + " | ".join(headers) + " |", "|" + "---|" * len(headers)]
    lines += ["| " + " | ".join(str(c) for c in r) + " |" for r in rows]
    return "\n".join(lines)


def main() -> int:
    if not BIN.exists() or not (SITE / "pkg" / "smallstack.wasm").exists():
        log("run `make build` first")
        return 1
    if not shutil.which("wrk") or not shutil.which("sqlite3"):
        log("wrk and sqlite3 are needed (scripts/bootstrap.sh installs them)")
        return 1
    when = dt.datetime.now(dt.timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
    mem_total = next((int(l.split()[1]) for l in Path("/proc/meminfo").read_text().splitlines() if l.startswith("MemTotal")), 0)
    machine = f"{os.cpu_count()} cores, {mem_total / 2**20:.0f} GiB, {platform.system()} {platform.release()}, SQLite {sqlite_version()}"
    commit = subprocess.run(["git", "rev-parse", "--short", "HEAD"], capture_output=True, text=True, cwd=ROOT).stdout.strip()
    sections = [f"## Run of {when}\n\nMachine: {machine}. Commit `{commit}`. Command: `make bench` "
                f"(wrk {PAGE_SECONDS} s per page at 64 connections, 2 threads; the load generator shares the cores with the server)."]

    with tempfile.TemporaryDirectory(prefix="smallstack-bench-") as tmp:
        root = Path(tmp)
        data = root / "main"
        data.mkdir()
        server = Server(data)
        try:
            server.start()
            staff, names = seed(server)
            time.sleep(2)
            idle_kib = server.rss_kib()
            if "pages" not in SKIP:
                sections.append("### Pages\n\n" + table(["page", "req/s", "p50 ms", "p99 ms", "errors", "goal", ""], bench_pages(server, staff)))
            load_kib = None
            if "writes" not in SKIP:
                rows, _ = bench_writes(server, names)
                load_kib = server.rss_kib()
                sections.append("### Writes\n\n" + table(["load", "saves/s", "p50 ms", "p99 ms", "errors", "\"database is locked\"", "goal", ""], rows))
            if "memory" not in SKIP:
                mem_rows = [("RSS idle (after seeding)", f"{idle_kib / 1024:.1f} MiB", "≤ 30 MB", verdict(idle_kib <= 30 * 1000))]
                if load_kib is not None:
                    mem_rows.append(("RSS at the end of the write load", f"{load_kib / 1024:.1f} MiB", "≤ 100 MB", verdict(load_kib <= 100 * 1000)))
                sections.append("### Memory\n\n" + table(["measure", "value", "goal", ""], mem_rows))
        finally:
            server.stop()
        if "backup" not in SKIP:
            rows, _ = bench_backup(root)
            sections.append(f"### Backup under load ({BIG_DB_MB} MB generated database, 32 writers)\n\n" + table(["measure", "value", "goal", ""], rows))
        if "offsite" not in SKIP:
            sections.append(f"### Off-site copy ({BIG_DB_MB} MB generated database, local S3 server, 32 writers)\n\n" + table(["measure", "value", "goal", ""], bench_offsite(root)))
    if "weight" not in SKIP:
        sections.append("### Client weight (first load of `/`)\n\n" + table(["file", "raw B", "gzip -9 B", "brotli -q 11 B"], bench_weight()))

    report = "\n\n".join(sections) + "\n"
    print(report)
    header = "# Benchmarks\n\nFigures from `make bench` (scripts/bench.py), newest first. Each goal is the one its issue names.\n\n"
    previous = OUT.read_text().split("\n", 4)[-1] if OUT.exists() and OUT.read_text().startswith("# Benchmarks") else ""
    previous = previous[previous.find("## "):] if "## " in previous else ""
    OUT.write_text(header + report + ("\n" + previous if previous else ""))
    log(f"wrote {OUT}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
