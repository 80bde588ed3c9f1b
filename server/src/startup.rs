//! Starting the server: `Application::build` opens the machinery and binds the address (port 0
//! in tests), `run_until` serves and then stops in order.

use crate::{
    config::Settings,
    http,
    shutdown::{ClosableListener, Signals, StopSignal, report_wal, wait_for_backup_operation, watch_stop},
    state::AppState,
    webhook::Webhook,
};
use anyhow::Context;
use axum::serve::ListenerExt;
use engine::backup::SystemClock;
use std::{net::SocketAddr, sync::Arc, time::Duration};
use tokio::{net::TcpListener, task::JoinHandle};
use tokio_util::sync::CancellationToken;

/// How long connections get to go away once they were closed.
const CLOSE_CONNECTIONS_TIMEOUT: Duration = Duration::from_secs(2);
/// How long a stopping server waits for the scheduler and for a backup operation still running
/// (a backup is cancelled between copy steps and an upload fails as soon as its connection is
/// gone, so this is normally a fraction of a second; a restore that already holds writes
/// finishes). With the other timeouts the worst case stays within the 30 s that compose and
/// Kamal give a container between SIGTERM and SIGKILL.
const OPERATIONS_STOP_TIMEOUT: Duration = Duration::from_secs(8);
/// How long the failure notices still being sent may hold up the exit.
const WEBHOOK_FLUSH_TIMEOUT: Duration = Duration::from_secs(3);
/// How long closing the databases (a last WAL checkpoint) may take.
const DATABASE_CLOSE_TIMEOUT: Duration = Duration::from_secs(5);

/// The running server: bound to its port (0 picks a free one, for tests), not yet serving.
pub struct Application {
    listener: TcpListener,
    state: AppState,
    webhook: Option<Webhook>,
}

impl Application {
    /// Opens the machinery (creating folders, migrating both databases) and binds the address.
    pub async fn build(settings: Settings) -> anyhow::Result<Self> {
        tracing::info!(sqlite = engine::db::sqlite_version(), "starting SmallStack");
        crate::files::apply_umask(settings.file_mode_umask);
        crate::files::warn_if_too_open(&settings);
        warn_if_reachable_by_any_name(&settings);
        let webhook = settings.backup_webhook_url.clone().map(Webhook::new).transpose()?;
        let engine = engine::Engine::open(settings.engine_config(webhook.as_ref().map(Webhook::notifier))).await?;
        engine.app_db.checkpoint_in_background().await?;
        engine.system_db.checkpoint_in_background().await?;
        let listener = TcpListener::bind(settings.site_addr)
            .await
            .with_context(|| format!("LEPTOS_SITE_ADDR={}: cannot listen", settings.site_addr))?;
        let state = AppState::new(settings, engine);
        announce_setup_link(&state).await?;
        Ok(Application { listener, state, webhook })
    }

    pub fn local_addr(&self) -> SocketAddr {
        self.listener.local_addr().expect("a bound listener has an address")
    }

    pub fn port(&self) -> u16 {
        self.local_addr().port()
    }

    pub fn state(&self) -> &AppState {
        &self.state
    }

    /// Serves until SIGINT or SIGTERM, then stops: see [`Application::run_until`].
    pub async fn run_until_stopped(self) -> anyhow::Result<()> {
        let signals = Signals::install().context("cannot listen for SIGTERM and SIGINT")?;
        self.run_until(signals).await
    }

    /// Serves until `stop` says so (its first value), then stops:
    ///
    /// 1. no new connections; new backup operations are refused and a running backup stops at
    ///    its next step (its record says failed, its temporary file is removed);
    /// 2. requests in flight finish, for up to [`DRAIN_TIMEOUT`] (or until `stop`'s second
    ///    value, a second Ctrl-C); then the connections still open are closed, which drops
    ///    their handlers and response streams;
    /// 3. the scheduler and the off-site uploader stop (a copy in progress stops at its next
    ///    block and resumes at the next start) and a backup operation still running (an upload
    ///    whose connection was closed, a restore) finishes or fails cleanly;
    /// 4. both databases are checkpointed (`PRAGMA wal_checkpoint(TRUNCATE)`, so their `-wal`
    ///    files are left empty) and closed.
    pub async fn run_until(self, stop: impl StopSignal) -> anyhow::Result<()> {
        let Application { listener, state, webhook } = self;
        let router = http::router(state.clone())?;
        let housekeeping = tokio::spawn(crate::housekeeping::run(state.clone()));
        let (stop_scheduler, scheduler) = spawn_scheduler(&state).await;
        let (stop_uploads, uploads) = spawn_uploader(&state);
        tracing::info!("listening on http://{}", listener.local_addr()?);

        let stopping = CancellationToken::new();
        let cut = CancellationToken::new();
        let listener = ClosableListener::new(listener, cut.clone());
        let open = listener.open_connections();
        let watcher = tokio::spawn(watch_stop(stop, stopping.clone(), cut.clone(), open));
        let backups = state.engine.backups.clone();
        let graceful = {
            let stopping = stopping.clone();
            async move {
                stopping.cancelled().await;
                backups.begin_shutdown();
            }
        };
        // `tap_io` only so that axum hands handlers the peer address (`ConnectInfo<SocketAddr>`)
        // for any listener it wraps; it does nothing to the connections.
        let server = axum::serve(listener.tap_io(|_| {}), router.into_make_service_with_connect_info::<SocketAddr>())
            .with_graceful_shutdown(graceful);
        tokio::select! {
            result = server.into_future() => result?,
            () = async {
                cut.cancelled().await;
                tokio::time::sleep(CLOSE_CONNECTIONS_TIMEOUT).await;
            } => tracing::warn!("some connections did not close; stopping without them"),
        }
        watcher.abort();

        let _ = stop_scheduler.send(true);
        let _ = stop_uploads.send(true);
        housekeeping.abort();
        let operations = async {
            let _ = scheduler.await;
            // An off-site copy in progress stops at its next block and resumes at the next start.
            let _ = uploads.await;
            wait_for_backup_operation(&state.engine.backups).await;
        };
        if tokio::time::timeout(OPERATIONS_STOP_TIMEOUT, operations).await.is_err() {
            tracing::warn!("the backup scheduler or a backup operation did not stop in time");
        }
        if let Some(webhook) = &webhook {
            webhook.flush(WEBHOOK_FLUSH_TIMEOUT).await;
        }
        if tokio::time::timeout(DATABASE_CLOSE_TIMEOUT, state.engine.close()).await.is_err() {
            tracing::warn!("the databases did not close in time");
        }
        for db in [&state.engine.app_db, &state.engine.system_db] {
            report_wal(db.path());
        }
        tracing::info!("stopped");
        Ok(())
    }
}

/// Starts the in-process backup scheduler with the real clock; sending `true` stops it.
async fn spawn_scheduler(state: &AppState) -> (tokio::sync::watch::Sender<bool>, JoinHandle<()>) {
    let backups = state.engine.backups.clone();
    match backups.schedule().await {
        Ok(schedule) => {
            let next = schedule.next_after(chrono::Utc::now());
            tracing::info!(schedule = schedule.expression(), next = ?next, "backups: {}", schedule.describe());
        }
        Err(e) => tracing::error!(error = %e, "cannot read the backup schedule"),
    }
    let (stop, mut stopped) = tokio::sync::watch::channel(false);
    let task = tokio::spawn(async move {
        backups
            .run_scheduler(Arc::new(SystemClock), async move {
                let _ = stopped.wait_for(|stop| *stop).await;
            })
            .await
    });
    (stop, task)
}

/// Listening on an address other machines reach, with the default `ALLOWED_HOSTS`, the server
/// answers only to `localhost` and its own address: say so, since that is rarely what is meant.
fn warn_if_reachable_by_any_name(settings: &Settings) {
    if !settings.site_addr.ip().is_loopback() && !settings.allowed_hosts.is_configured() {
        tracing::warn!(
            "LEPTOS_SITE_ADDR={} is reachable from other machines but ALLOWED_HOSTS is not set: requests are answered \
             only for {} (others get 400); set ALLOWED_HOSTS to the names your users type, e.g. \
             ALLOWED_HOSTS=app.example.com (or * behind a proxy that checks the host)",
            settings.site_addr,
            settings.allowed_hosts.names().collect::<Vec<_>>().join(", ")
        );
    }
}

/// Starts the off-site uploader (it returns at once when no remote is configured); sending
/// `true` stops it.
fn spawn_uploader(state: &AppState) -> (tokio::sync::watch::Sender<bool>, JoinHandle<()>) {
    let backups = state.engine.backups.clone();
    let (stop, mut stopped) = tokio::sync::watch::channel(false);
    let task = tokio::spawn(async move {
        backups
            .run_uploads(async move {
                let _ = stopped.wait_for(|stop| *stop).await;
            })
            .await
    });
    (stop, task)
}

/// While there is no active staff account, each start makes sure a setup link exists (a new one
/// when the last has expired) and says how to get it. The link itself never goes to the log: logs
/// are copied to places (collectors, support tickets) where a working credential must not be.
async fn announce_setup_link(state: &AppState) -> anyhow::Result<()> {
    if let Some(link) = state.engine.setup_tokens.issue(chrono::Utc::now()).await? {
        tracing::warn!(
            valid_until = %link.expires_at.format("%Y-%m-%d %H:%M UTC"),
            "no staff account exists yet: `smallstack user setup-link` prints the one-time link that creates the \
             first one (or create one with `smallstack user create --staff`)"
        );
    }
    Ok(())
}
