use crate::{config::Settings, http, state::AppState};
use anyhow::Context;
use axum::serve::ListenerExt;
use engine::backup::{FailureNotice, Notifier, SystemClock};
use std::{
    io,
    net::SocketAddr,
    path::Path,
    pin::Pin,
    sync::{
        Arc, Mutex,
        atomic::{AtomicUsize, Ordering},
    },
    task::{Context as TaskContext, Poll},
    time::Duration,
};
use tokio::{
    io::{AsyncRead, AsyncWrite, ReadBuf},
    net::{TcpListener, TcpStream},
    task::JoinHandle,
};
use tokio_util::sync::{CancellationToken, WaitForCancellationFutureOwned};

/// How long the webhook waits for the receiving end.
const WEBHOOK_TIMEOUT: Duration = Duration::from_secs(10);
/// How long a stopping server lets the requests in flight finish before it closes their
/// connections (a download to a slow client, a stalled upload).
pub const DRAIN_TIMEOUT: Duration = Duration::from_secs(10);
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
        let webhook = settings.backup_webhook_url.clone().map(Webhook::new).transpose()?;
        let engine = engine::Engine::open(engine_config(&settings, webhook.as_ref())).await?;
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
    /// 3. the scheduler stops and a backup operation still running (an upload whose connection
    ///    was closed, a restore) finishes or fails cleanly;
    /// 4. both databases are checkpointed (`PRAGMA wal_checkpoint(TRUNCATE)`, so their `-wal`
    ///    files are left empty) and closed.
    pub async fn run_until(self, stop: impl StopSignal) -> anyhow::Result<()> {
        let Application { listener, state, webhook } = self;
        let router = http::router(state.clone());
        let housekeeping = tokio::spawn(crate::housekeeping::run(state.clone()));
        let (stop_scheduler, scheduler) = spawn_scheduler(&state).await;
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
        housekeeping.abort();
        let operations = async {
            let _ = scheduler.await;
            wait_for_backup_operation(&state).await;
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

/// Where the order to stop comes from: the first value starts the shutdown, a second one closes
/// the connections at once. [`Signals`] in the binary; tests can use a channel.
pub trait StopSignal: Send + 'static {
    fn next(&mut self) -> impl Future<Output = ()> + Send;
}

/// Waits for the order to stop, then for the requests in flight, and closes the connections
/// still open after [`DRAIN_TIMEOUT`] or at a second order.
async fn watch_stop(mut stop: impl StopSignal, stopping: CancellationToken, cut: CancellationToken, open: Arc<AtomicUsize>) {
    stop.next().await;
    tracing::info!(
        connections = open.load(Ordering::Relaxed),
        "shutting down: no new connections; requests in flight get up to {} s",
        DRAIN_TIMEOUT.as_secs()
    );
    stopping.cancel();
    tokio::select! {
        () = stop.next() => tracing::warn!(
            connections = open.load(Ordering::Relaxed),
            "stopped again: closing the connections still open now"
        ),
        () = tokio::time::sleep(DRAIN_TIMEOUT) => tracing::warn!(
            connections = open.load(Ordering::Relaxed),
            "requests still running after {} s: closing their connections",
            DRAIN_TIMEOUT.as_secs()
        ),
    }
    cut.cancel();
}

/// SIGTERM (Docker, Kamal, systemd) and SIGINT (Ctrl-C), listened for from the moment they are
/// installed, so a signal that arrives while the server starts serving is not missed.
pub struct Signals {
    #[cfg(unix)]
    terminate: tokio::signal::unix::Signal,
    #[cfg(unix)]
    interrupt: tokio::signal::unix::Signal,
}

impl Signals {
    pub fn install() -> io::Result<Self> {
        #[cfg(unix)]
        {
            use tokio::signal::unix::{SignalKind, signal};
            Ok(Signals { terminate: signal(SignalKind::terminate())?, interrupt: signal(SignalKind::interrupt())? })
        }
        #[cfg(not(unix))]
        Ok(Signals {})
    }
}

/// A channel: each message is one order to stop; a closed channel gives no more.
impl StopSignal for tokio::sync::mpsc::Receiver<()> {
    async fn next(&mut self) {
        if self.recv().await.is_none() {
            std::future::pending::<()>().await;
        }
    }
}

impl StopSignal for Signals {
    async fn next(&mut self) {
        #[cfg(unix)]
        {
            let name = tokio::select! {
                _ = self.terminate.recv() => "SIGTERM",
                _ = self.interrupt.recv() => "SIGINT",
            };
            tracing::info!(signal = name, "signal received");
        }
        #[cfg(not(unix))]
        {
            let _ = tokio::signal::ctrl_c().await;
        }
    }
}

/// Until the backup operation running in this process (a backup, an upload, a restore) has
/// finished, successfully or not.
async fn wait_for_backup_operation(state: &AppState) {
    let mut progress = state.engine.backups.subscribe_progress();
    let _ = progress.wait_for(|p| p.as_ref().is_none_or(|p| p.phase.is_finished())).await;
}

/// After the last connection closed, SQLite has checkpointed the WAL into the database and
/// removed it; a `-wal` file left with content is replayed at the next start (nothing is lost),
/// but it means something still held the database at exit: say so.
fn report_wal(db: &Path) {
    let mut wal = db.as_os_str().to_owned();
    wal.push("-wal");
    match std::fs::metadata(&wal) {
        Ok(meta) if meta.len() > 0 => tracing::warn!(
            wal = %Path::new(&wal).display(),
            bytes = meta.len(),
            "the write-ahead log was not emptied at exit; SQLite replays it at the next start"
        ),
        _ => {}
    }
}

/// The TCP listener the server accepts from, able to close every connection it accepted at once
/// (a cancellation token), and counting the connections open.
struct ClosableListener {
    inner: TcpListener,
    cut: CancellationToken,
    open: Arc<AtomicUsize>,
}

impl ClosableListener {
    fn new(inner: TcpListener, cut: CancellationToken) -> Self {
        ClosableListener { inner, cut, open: Arc::default() }
    }

    fn open_connections(&self) -> Arc<AtomicUsize> {
        self.open.clone()
    }
}

impl axum::serve::Listener for ClosableListener {
    type Io = ClosableStream;
    type Addr = SocketAddr;

    async fn accept(&mut self) -> (Self::Io, Self::Addr) {
        let (stream, addr) = axum::serve::Listener::accept(&mut self.inner).await;
        self.open.fetch_add(1, Ordering::Relaxed);
        // A child token per connection: each has its own waiter list, so polling it costs no
        // contention between connections; cancelling the parent cancels them all.
        let cut = self.cut.child_token();
        let closed = Box::pin(cut.clone().cancelled_owned());
        (ClosableStream { inner: stream, cut, closed, open: self.open.clone() }, addr)
    }

    fn local_addr(&self) -> io::Result<Self::Addr> {
        self.inner.local_addr()
    }
}

/// A TCP connection that fails every read and write once its token is cancelled, which makes
/// hyper drop the connection, its request handlers and its response body (the connection task
/// is woken by the token, so this happens even when it waits on a slow client).
struct ClosableStream {
    inner: TcpStream,
    cut: CancellationToken,
    closed: Pin<Box<WaitForCancellationFutureOwned>>,
    open: Arc<AtomicUsize>,
}

impl ClosableStream {
    fn poll_closed(&mut self, cx: &mut TaskContext<'_>) -> Option<io::Error> {
        (self.cut.is_cancelled() || self.closed.as_mut().poll(cx).is_ready())
            .then(|| io::Error::new(io::ErrorKind::ConnectionAborted, "the server is stopping"))
    }
}

impl Drop for ClosableStream {
    fn drop(&mut self) {
        self.open.fetch_sub(1, Ordering::Relaxed);
    }
}

impl AsyncRead for ClosableStream {
    fn poll_read(mut self: Pin<&mut Self>, cx: &mut TaskContext<'_>, buf: &mut ReadBuf<'_>) -> Poll<io::Result<()>> {
        if let Some(e) = self.poll_closed(cx) {
            return Poll::Ready(Err(e));
        }
        Pin::new(&mut self.inner).poll_read(cx, buf)
    }
}

impl AsyncWrite for ClosableStream {
    fn poll_write(mut self: Pin<&mut Self>, cx: &mut TaskContext<'_>, buf: &[u8]) -> Poll<io::Result<usize>> {
        if let Some(e) = self.poll_closed(cx) {
            return Poll::Ready(Err(e));
        }
        Pin::new(&mut self.inner).poll_write(cx, buf)
    }

    fn poll_write_vectored(
        mut self: Pin<&mut Self>,
        cx: &mut TaskContext<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        if let Some(e) = self.poll_closed(cx) {
            return Poll::Ready(Err(e));
        }
        Pin::new(&mut self.inner).poll_write_vectored(cx, bufs)
    }

    fn is_write_vectored(&self) -> bool {
        self.inner.is_write_vectored()
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut TaskContext<'_>) -> Poll<io::Result<()>> {
        if let Some(e) = self.poll_closed(cx) {
            return Poll::Ready(Err(e));
        }
        Pin::new(&mut self.inner).poll_flush(cx)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut TaskContext<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.inner).poll_shutdown(cx)
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

/// The engine configuration from the settings, with the webhook (when configured) told about
/// backup failures. The server and the CLI both open the engine with it.
pub fn engine_config(settings: &Settings, webhook: Option<&Webhook>) -> engine::EngineConfig {
    let mut config = settings.engine_config();
    config.backup.notifier = webhook.map(Webhook::notifier);
    config
}

/// Posts backup failures to `BACKUP_WEBHOOK_URL` as JSON (with a `text` field, so Slack- and
/// Mattermost-style incoming webhooks show it as is). Each notice goes out on a task of its own
/// with a 10-second timeout: a slow or dead endpoint never holds up a backup, and its errors are
/// logged. [`Webhook::flush`] waits for the notices in flight before the process exits.
#[derive(Clone)]
pub struct Webhook {
    client: reqwest::Client,
    url: reqwest::Url,
    in_flight: Arc<Mutex<Vec<JoinHandle<()>>>>,
}

impl Webhook {
    pub fn new(url: reqwest::Url) -> anyhow::Result<Self> {
        let client = reqwest::Client::builder()
            .timeout(WEBHOOK_TIMEOUT)
            .user_agent(concat!("smallstack/", env!("CARGO_PKG_VERSION")))
            .build()
            .context("cannot build the HTTP client for BACKUP_WEBHOOK_URL")?;
        Ok(Webhook { client, url, in_flight: Arc::default() })
    }

    pub fn notifier(&self) -> Notifier {
        let webhook = self.clone();
        Notifier::new(move |notice| webhook.send(notice))
    }

    /// The JSON body of a notice.
    pub fn payload(notice: &FailureNotice) -> serde_json::Value {
        let what = match &notice.filename {
            Some(name) => format!("{} {name}", notice.operation.as_str()),
            None => notice.operation.as_str().to_string(),
        };
        let mut body = serde_json::to_value(notice).unwrap_or_else(|_| serde_json::json!({}));
        if let Some(map) = body.as_object_mut() {
            map.insert("event".into(), format!("{}_failed", notice.operation.as_str()).into());
            map.insert("text".into(), format!("SmallStack: {what} failed: {}", notice.error).into());
        }
        body
    }

    fn send(&self, notice: FailureNotice) {
        let Ok(runtime) = tokio::runtime::Handle::try_current() else {
            tracing::error!("cannot post the backup failure to the webhook: no async runtime");
            return;
        };
        let (client, url, body) = (self.client.clone(), self.url.clone(), Self::payload(&notice));
        // The URL may carry a token: only its host is logged.
        let host = url.host_str().unwrap_or_default().to_string();
        let task = runtime.spawn(async move {
            match client.post(url).json(&body).send().await {
                Ok(response) if response.status().is_success() => {
                    tracing::info!(host, "backup failure posted to the webhook");
                }
                Ok(response) => {
                    tracing::error!(host, status = %response.status(), "the backup webhook refused the notice")
                }
                Err(e) => tracing::error!(host, error = %e, "cannot post the backup failure to the webhook"),
            }
        });
        if let Ok(mut in_flight) = self.in_flight.lock() {
            in_flight.retain(|t| !t.is_finished());
            in_flight.push(task);
        }
    }

    /// Waits up to `timeout` for the notices still being sent.
    pub async fn flush(&self, timeout: Duration) {
        let tasks = match self.in_flight.lock() {
            Ok(mut in_flight) => std::mem::take(&mut *in_flight),
            Err(_) => return,
        };
        if tokio::time::timeout(timeout, futures_util::future::join_all(tasks)).await.is_err() {
            tracing::warn!("some backup failure notices were still being sent at exit");
        }
    }
}

/// While there is no active staff account, every start logs the one-time link that creates it.
async fn announce_setup_link(state: &AppState) -> anyhow::Result<()> {
    if state.engine.accounts.active_staff_count().await? == 0 {
        let token = state.engine.setup_tokens.get_or_create().await?;
        let addr = state.settings.site_addr;
        tracing::warn!("no staff account yet: create the first one at http://{addr}/setup?token={token}");
    }
    Ok(())
}
