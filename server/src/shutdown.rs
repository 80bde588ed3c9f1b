//! Stopping cleanly: where the order to stop comes from (signals, or a channel in tests), the
//! listener that can close every connection at once, and the waits of the shutdown sequence
//! described at [`crate::Application::run_until`].

use std::{
    io,
    net::SocketAddr,
    path::Path,
    pin::Pin,
    sync::{
        Arc,
        atomic::{AtomicUsize, Ordering},
    },
    task::{Context as TaskContext, Poll},
    time::Duration,
};
use tokio::{
    io::{AsyncRead, AsyncWrite, ReadBuf},
    net::{TcpListener, TcpStream},
};
use tokio_util::sync::{CancellationToken, WaitForCancellationFutureOwned};

/// How long a stopping server lets the requests in flight finish before it closes their
/// connections (a download to a slow client, a stalled upload).
pub const DRAIN_TIMEOUT: Duration = Duration::from_secs(10);

/// Where the order to stop comes from: the first value starts the shutdown, a second one closes
/// the connections at once. [`Signals`] in the binary; tests can use a channel.
pub trait StopSignal: Send + 'static {
    fn next(&mut self) -> impl Future<Output = ()> + Send;
}

/// Waits for the order to stop, then for the requests in flight, and closes the connections
/// still open after [`DRAIN_TIMEOUT`] or at a second order.
pub(crate) async fn watch_stop(
    mut stop: impl StopSignal,
    stopping: CancellationToken,
    cut: CancellationToken,
    open: Arc<AtomicUsize>,
) {
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
pub(crate) async fn wait_for_backup_operation(backups: &engine::backup::BackupEngine) {
    let mut progress = backups.subscribe_progress();
    let _ = progress.wait_for(|p| p.as_ref().is_none_or(|p| p.phase.is_finished())).await;
}

/// After the last connection closed, SQLite has checkpointed the WAL into the database and
/// removed it; a `-wal` file left with content is replayed at the next start (nothing is lost),
/// but it means something still held the database at exit: say so.
pub(crate) fn report_wal(db: &Path) {
    let wal = engine::db::wal_path(db);
    match std::fs::metadata(&wal) {
        Ok(meta) if meta.len() > 0 => tracing::warn!(
            wal = %wal.display(),
            bytes = meta.len(),
            "the write-ahead log was not emptied at exit; SQLite replays it at the next start"
        ),
        _ => {}
    }
}

/// The TCP listener the server accepts from, able to close every connection it accepted at once
/// (a cancellation token), and counting the connections open.
pub(crate) struct ClosableListener {
    inner: TcpListener,
    cut: CancellationToken,
    open: Arc<AtomicUsize>,
}

impl ClosableListener {
    pub(crate) fn new(inner: TcpListener, cut: CancellationToken) -> Self {
        ClosableListener { inner, cut, open: Arc::default() }
    }

    pub(crate) fn open_connections(&self) -> Arc<AtomicUsize> {
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
pub(crate) struct ClosableStream {
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
