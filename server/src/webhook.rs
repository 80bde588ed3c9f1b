//! `BACKUP_WEBHOOK_URL`: backup failures posted as JSON.

use anyhow::Context;
use contract::ClosedSet;
use engine::backup::{FailureNotice, Notifier};
use std::{
    sync::{Arc, Mutex},
    time::Duration,
};
use tokio::task::JoinHandle;

/// How long the webhook waits for the receiving end.
const WEBHOOK_TIMEOUT: Duration = Duration::from_secs(10);

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
