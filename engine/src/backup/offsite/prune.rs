//! Remote retention: applies `BACKUP_REMOTE_KEEP` to the verified copies the remote holds
//! (including copies the local catalogue never saw: the remote is the truth here), and records
//! each removal in the catalogue ("pruned remotely").

use super::{KeepPolicy, Offsite};
use crate::backup::{BackupEngine, BackupError, EventKind, remote::RemoteStore};

impl BackupEngine {
    /// Removes the copies the policy does not keep; returns their names. Only complete copies
    /// (with their `.sha256`) take part: a copy without one is an upload that never finished
    /// and the next attempt replaces it. The newest complete copy is always kept. Called with
    /// the remote lock held.
    pub(super) async fn prune_remote(
        &self,
        offsite: &Offsite,
        store: &RemoteStore,
    ) -> Result<Vec<String>, BackupError> {
        let policy = offsite.config.keep;
        if policy == KeepPolicy::All {
            return Ok(Vec::new());
        }
        let mut complete: Vec<_> = store.list_backups().await?.into_iter().filter(|b| b.is_complete()).collect();
        // Newest first, by when each backup was made (its name), not when it was uploaded.
        complete.reverse();
        let times: Vec<_> = complete.iter().map(|b| b.name.timestamp().unwrap_or(b.last_modified)).collect();
        let mut pruned = Vec::new();
        for (copy, keep) in complete.iter().zip(policy.keep(&times)) {
            if keep {
                continue;
            }
            store.delete(&copy.name).await?;
            tracing::info!(name = %copy.name, policy = %policy, "off-site copy pruned remotely");
            for id in self.inner.catalogue.mark_remote_pruned(copy.name.as_str()).await? {
                self.inner
                    .catalogue
                    .add_event(
                        id,
                        EventKind::RemotePruned,
                        Some(format!("BACKUP_REMOTE_KEEP={policy} does not keep it")),
                    )
                    .await?;
            }
            pruned.push(copy.name.to_string());
        }
        Ok(pruned)
    }
}
