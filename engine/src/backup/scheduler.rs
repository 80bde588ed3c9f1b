//! The schedule in force (the dashboard's setting, else `BACKUP_SCHEDULE`) and the loop that
//! runs scheduled backups.

use super::{BackupEngine, BackupError, BackupSettings, Clock, Schedule, ScheduleInfo, Trigger};
use chrono::{DateTime, Utc};
use std::{future::Future, sync::Arc};

/// The key of the settings table that overrides `BACKUP_SCHEDULE` at run time.
const SCHEDULE_SETTING: &str = "backup.schedule";

/// The scheduler re-reads the schedule and the clock at least this often, so a change made by
/// another process or a jump of the wall clock is noticed within a minute.
const SCHEDULER_RECHECK_SECS: i64 = 60;

impl BackupEngine {
    /// The schedule in force: the dashboard's setting when there is one, else the configured
    /// default (`BACKUP_SCHEDULE`).
    pub async fn schedule(&self) -> Result<Schedule, BackupError> {
        match self.inner.catalogue.setting(SCHEDULE_SETTING).await? {
            Some(raw) => Ok(Schedule::parse(&raw).unwrap_or_else(|e| {
                tracing::error!(error = %e, "the stored backup schedule is invalid; using the configured one");
                self.inner.config.schedule.clone()
            })),
            None => Ok(self.inner.config.schedule.clone()),
        }
    }

    pub fn default_schedule(&self) -> &Schedule {
        &self.inner.config.schedule
    }

    /// Changes the schedule at run time (applies without restart). An invalid expression is
    /// refused with the parser's reason and the schedule stays as it was.
    pub async fn set_schedule(&self, expression: &str) -> Result<Schedule, BackupError> {
        let schedule = Schedule::parse(expression)?;
        self.inner.catalogue.set_setting(SCHEDULE_SETTING, schedule.expression()).await?;
        self.inner.schedule_version.send_modify(|v| *v += 1);
        tracing::info!(schedule = schedule.expression(), "backup schedule changed");
        Ok(schedule)
    }

    /// Drops the run-time schedule; the configured default applies again.
    pub async fn reset_schedule(&self) -> Result<Schedule, BackupError> {
        self.inner.catalogue.remove_setting(SCHEDULE_SETTING).await?;
        self.inner.schedule_version.send_modify(|v| *v += 1);
        Ok(self.inner.config.schedule.clone())
    }

    /// The next `n` scheduled runs from now (empty when off).
    pub async fn next_runs(&self, n: usize) -> Result<Vec<DateTime<Utc>>, BackupError> {
        Ok(self.schedule().await?.upcoming(Utc::now(), n))
    }

    /// Schedule, retention and upload limit, as the dashboard shows them.
    pub async fn settings(&self) -> Result<BackupSettings, BackupError> {
        Ok(BackupSettings {
            schedule: self.schedule().await?.info(Utc::now()),
            retention: self.retention().await?,
            default_schedule: self.default_schedule().expression().to_string(),
            upload_max_bytes: self.upload_max(),
        })
    }

    /// Changes the schedule and/or retention. Both are checked before either is applied, so a
    /// bad value changes nothing.
    pub async fn update_settings(
        &self,
        schedule: Option<&str>,
        retention: Option<u32>,
    ) -> Result<BackupSettings, BackupError> {
        if schedule.is_none() && retention.is_none() {
            return Err(BackupError::NothingToChange);
        }
        let schedule = schedule.map(Schedule::parse).transpose()?;
        if let Some(keep) = retention {
            super::retention::check_retention(keep)?;
        }
        if let Some(schedule) = schedule {
            self.set_schedule(schedule.expression()).await?;
        }
        if let Some(keep) = retention {
            self.set_retention(keep).await?;
        }
        self.settings().await
    }

    /// Runs scheduled backups until `shutdown` completes. The schedule is re-read after every
    /// change and at least every minute; a run that finds another backup running is recorded as
    /// skipped. Times missed while the process was down are not caught up.
    pub async fn run_scheduler(&self, clock: Arc<dyn Clock>, shutdown: impl Future<Output = ()> + Send) {
        tokio::pin!(shutdown);
        let mut changes = self.inner.schedule_version.subscribe();
        loop {
            changes.borrow_and_update();
            let schedule = match self.schedule().await {
                Ok(s) => s,
                Err(e) => {
                    tracing::error!(error = %e, "cannot read the backup schedule; using the configured one");
                    self.inner.config.schedule.clone()
                }
            };
            let now = clock.now();
            let next = schedule.next_after(now);
            let recheck = now + chrono::Duration::seconds(SCHEDULER_RECHECK_SECS);
            let wake = next.map_or(recheck, |n| n.min(recheck));
            tokio::select! {
                _ = &mut shutdown => return,
                _ = changes.changed() => continue,
                _ = clock.sleep_until(wake) => {}
            }
            let Some(next) = next else { continue };
            if clock.now() < next {
                continue;
            }
            tracing::info!(at = %next, "scheduled backup starting");
            // A failure is logged (and recorded as skipped or failed) by `create` itself.
            if let Ok(record) = self.create(Trigger::Scheduled).await {
                tracing::info!(backup_id = record.id, "scheduled backup done");
            }
        }
    }
}

impl Schedule {
    /// What the dashboard shows of a schedule: the expression, in words, and the next three runs.
    pub fn info(&self, now: DateTime<Utc>) -> ScheduleInfo {
        ScheduleInfo {
            expression: self.expression().to_string(),
            enabled: !self.is_off(),
            description: self.describe(),
            next_runs: self.upcoming(now, 3),
        }
    }
}
