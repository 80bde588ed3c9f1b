//! The backup catalogue as the engine stores it and the dashboard shows it: records and their
//! timeline (`record`), the progress of the running operation (`progress`), the dashboard's
//! questions and answers (`dashboard`), and its Remote tab (`remote`).

mod dashboard;
mod progress;
mod record;
mod remote;

pub use dashboard::*;
pub use progress::*;
pub use record::*;
pub use remote::*;

#[cfg(test)]
mod tests {
    use super::*;
    use crate::assert_names_agree;
    use chrono::{DateTime, Utc};

    #[test]
    fn serde_and_strum_name_every_value_alike() {
        assert_names_agree::<Status>();
        assert_names_agree::<Trigger>();
        assert_names_agree::<EventKind>();
        assert_names_agree::<Operation>();
        assert_names_agree::<Phase>();
        assert_names_agree::<Unit>();
        assert_names_agree::<DashboardTab>();
        assert_names_agree::<RemoteState>();
        assert_names_agree::<RemoteKind>();
        assert_names_agree::<TransferPhase>();
        assert_names_agree::<CheckStep>();
        assert_eq!(crate::ClosedSet::as_str(TransferPhase::ReadBack), "read-back");
        assert_eq!(crate::ClosedSet::as_str(EventKind::RemotePruned), "remote-pruned");
        assert_eq!(crate::ClosedSet::as_str(Trigger::PreRestore), "pre-restore");
        assert_eq!(crate::ClosedSet::as_str(Phase::SafetyBackup), "safety-backup");
    }

    #[test]
    fn queries_are_checked_not_clamped() {
        let q = |page, per_page| DashboardQuery { page, per_page, tab: None }.page_and_size();
        assert_eq!(q(None, None), Ok((1, DEFAULT_PER_PAGE)));
        assert_eq!(q(Some(3), Some(10)), Ok((3, 10)));
        assert_eq!(q(Some(0), None).unwrap_err().field, "page");
        assert_eq!(q(None, Some(0)).unwrap_err().field, "per_page");
        assert_eq!(q(None, Some(MAX_PER_PAGE + 1)).unwrap_err().field, "per_page");
    }

    #[test]
    fn times_travel_as_rfc3339() {
        let at: DateTime<Utc> = "2026-11-25T02:00:07Z".parse().unwrap();
        let event = BackupEvent { id: 1, backup_id: 2, at, kind: EventKind::Created, detail: None };
        let json = serde_json::to_value(&event).unwrap();
        assert_eq!(json["at"], "2026-11-25T02:00:07Z");
        assert_eq!(serde_json::from_value::<BackupEvent>(json).unwrap(), event);
    }
}
