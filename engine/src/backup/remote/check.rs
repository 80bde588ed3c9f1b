//! The connection test: list, write, read back, list and delete a probe object, saying which
//! step failed and why.

use super::{
    error::RemoteError,
    key::{RemoteKey, Sha256Digest},
    store::RemoteStore,
};
use bytes::Bytes;
use object_store::PutPayload;
use std::time::{Duration, Instant};

/// The steps of [`RemoteStore::check`] (shared with the dashboard, hence in `contract`).
pub use contract::backup::CheckStep;

/// Which step of the connection check failed, and why.
#[derive(Debug, thiserror::Error)]
#[error("the remote check failed at the {} step: {error}", format!("{step:?}").to_lowercase())]
pub struct CheckFailure {
    pub step: CheckStep,
    pub error: RemoteError,
}

impl RemoteStore {
    /// Lists the prefix, then writes, reads back, lists and deletes a probe object: the
    /// permissions every later operation needs. Says which step failed.
    pub async fn check(&self) -> Result<Vec<(CheckStep, Duration)>, CheckFailure> {
        let token = Sha256Digest::of(format!("{:?}{}", Instant::now(), std::process::id()).as_bytes());
        let dir = RemoteKey::parse(".probe").map_err(|e| CheckFailure { step: CheckStep::Write, error: e.into() })?;
        let key =
            dir.join(&token.as_str()[..16]).map_err(|e| CheckFailure { step: CheckStep::Write, error: e.into() })?;
        let body = Bytes::from(format!("smallstack remote check {token}\n"));
        let mut steps = Vec::new();
        let result = self.check_steps(&dir, &key, body, &mut steps).await;
        if result.is_err() {
            // Best effort: a probe left behind is harmless, but tidy when possible.
            let _ = self.delete_raw(&key).await;
        }
        result.map(|()| steps)
    }

    async fn check_steps(
        &self,
        dir: &RemoteKey,
        key: &RemoteKey,
        body: Bytes,
        steps: &mut Vec<(CheckStep, Duration)>,
    ) -> Result<(), CheckFailure> {
        let fail = |step| move |error| CheckFailure { step, error };
        let started = Instant::now();
        self.list_raw(dir).await.map_err(fail(CheckStep::Connect))?;
        steps.push((CheckStep::Connect, started.elapsed()));
        let started = Instant::now();
        self.put_raw(key, PutPayload::from_bytes(body.clone())).await.map_err(fail(CheckStep::Write))?;
        steps.push((CheckStep::Write, started.elapsed()));
        let started = Instant::now();
        let read = self.get_bytes(key).await.map_err(fail(CheckStep::Read))?;
        if read != body {
            let detail = format!("the probe came back as {} different bytes", read.len());
            return Err(CheckFailure {
                step: CheckStep::Read,
                error: RemoteError::Unreadable { what: key.to_string(), detail },
            });
        }
        steps.push((CheckStep::Read, started.elapsed()));
        let started = Instant::now();
        let listed = self.list_raw(dir).await.map_err(fail(CheckStep::List))?;
        if !listed.iter().any(|o| o.key == *key) {
            let error = RemoteError::Unreadable {
                what: dir.to_string(),
                detail: "the probe just written is not listed".into(),
            };
            return Err(CheckFailure { step: CheckStep::List, error });
        }
        steps.push((CheckStep::List, started.elapsed()));
        let started = Instant::now();
        self.delete_raw(key).await.map_err(fail(CheckStep::Delete))?;
        if let Some(probe) = self.local_path(dir) {
            let _ = std::fs::remove_dir(probe);
        }
        steps.push((CheckStep::Delete, started.elapsed()));
        Ok(())
    }
}
