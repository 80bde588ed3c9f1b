use crate::{config::Settings, http, state::AppState};
use anyhow::Context;
use engine::backup::{FailureNotice, Notifier, SystemClock};
use std::{
    net::SocketAddr,
    sync::{Arc, Mutex},
    time::Duration,
};
use tokio::{net::TcpListener, task::JoinHandle};

/// How long the webhook waits for the receiving end.
const WEBHOOK_TIMEOUT: Duration = Duration::from_secs(10);
/// How long a stopping server waits for the scheduler (a running backup is cancelled between
/// copy steps, so this is normally a fraction of a second).
const SCHEDULER_STOP_TIMEOUT: Duration = Duration::from_secs(30);

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

    /// Serves until SIGINT or SIGTERM, then stops accepting, lets requests in flight finish and
    /// closes the databases.
    pub async fn run_until_stopped(self) -> anyhow::Result<()> {
        let Application { listener, state, webhook } = self;
        let router = http::router(state.clone());
        let housekeeping = tokio::spawn(crate::housekeeping::run(state.clone()));
        let (stop_scheduler, scheduler) = spawn_scheduler(&state).await;
        tracing::info!("listening on http://{}", listener.local_addr()?);
        let backups = state.engine.backups.clone();
        axum::serve(listener, router.into_make_service_with_connect_info::<SocketAddr>())
            .with_graceful_shutdown(async move {
                shutdown_signal().await;
                // A running backup stops at its next step: marked failed, temporary file removed.
                backups.begin_shutdown();
            })
            .await?;
        let _ = stop_scheduler.send(true);
        if tokio::time::timeout(SCHEDULER_STOP_TIMEOUT, scheduler).await.is_err() {
            tracing::warn!("the backup scheduler did not stop in time");
        }
        housekeeping.abort();
        if let Some(webhook) = &webhook {
            webhook.flush(WEBHOOK_TIMEOUT).await;
        }
        state.engine.close().await;
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

async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        _ = ctrl_c => {},
        _ = terminate => {},
    }
    tracing::info!("shutting down");
}
