//! Where a replica stands, and the record that turns a snapshot into a base: the point in the
//! history that segments continue from.

use super::{error::NameError, names::GenerationId, wal::WalPosition, wal_format::valid_page_size};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use std::fmt;

/// The end of a replica's history so far: its generation, how many transactions it holds, and
/// the WAL position just after the last of them (`None`: there was no WAL when the generation's
/// base was taken and nothing has been shipped since). A segment built on it must start exactly
/// here, and its end is the next position.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReplicaPosition {
    pub generation: GenerationId,
    /// Transactions of the generation up to here; 0 before the first segment.
    pub txid: u64,
    pub wal: Option<WalPosition>,
}

impl fmt::Display for ReplicaPosition {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "transaction {} of generation {}", self.txid, self.generation)?;
        match &self.wal {
            Some(wal) => write!(f, " ({wal})"),
            None => f.write_str(" (no WAL)"),
        }
    }
}

/// The record kept with a base snapshot. The snapshot must be taken while writes are held, and
/// `wal` read at that same moment with [`super::committed_end`] (after shipping whatever was
/// committed before it, for a base within a generation): the snapshot then holds exactly the
/// transactions up to `txid`, and the segments after it replay the rest.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct BaseInfo {
    pub generation: GenerationId,
    /// The last transaction the snapshot holds: 0 for the base that starts a generation.
    pub txid: u64,
    pub wal: Option<WalPosition>,
    pub taken_at: DateTime<Utc>,
    pub page_size: u32,
}

impl BaseInfo {
    /// The position segments after this base continue from.
    pub fn position(&self) -> ReplicaPosition {
        ReplicaPosition { generation: self.generation.clone(), txid: self.txid, wal: self.wal }
    }

    pub fn to_json(&self) -> String {
        serde_json::to_string_pretty(self).unwrap_or_default()
    }

    /// Reads a record written by [`BaseInfo::to_json`], refusing one whose fields disagree.
    pub fn parse(json: &str) -> Result<Self, BaseInfoError> {
        let info: BaseInfo =
            serde_json::from_str(json).map_err(|e| BaseInfoError(format!("it is not a base record: {e}")))?;
        if !valid_page_size(info.page_size) {
            return Err(BaseInfoError(format!("page size {} is not a power of two from 512 to 65536", info.page_size)));
        }
        if let Some(wal) = &info.wal
            && wal.page_size != info.page_size
        {
            return Err(BaseInfoError(format!(
                "its WAL position has page size {} but the base has {}",
                wal.page_size, info.page_size
            )));
        }
        Ok(info)
    }
}

/// A base record that cannot be used; the reason names the field.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("invalid base record: {0}")]
pub struct BaseInfoError(pub String);

impl From<NameError> for BaseInfoError {
    fn from(e: NameError) -> Self {
        BaseInfoError(e.to_string())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::backup::replica::wal_format::WalChecksum;

    fn base() -> BaseInfo {
        BaseInfo {
            generation: GenerationId::parse("20261130T140500Z-3f9a1c2e").expect("valid"),
            txid: 42,
            wal: Some(WalPosition {
                salt1: 1,
                salt2: 2,
                checkpoint_seq: 3,
                frame_index: 4,
                checksum: WalChecksum { s0: 5, s1: 6 },
                page_size: 4096,
            }),
            taken_at: DateTime::from_timestamp(1_764_511_500, 0).unwrap_or_default(),
            page_size: 4096,
        }
    }

    #[test]
    fn round_trips_and_refuses_inconsistent_records() {
        let b = base();
        assert_eq!(BaseInfo::parse(&b.to_json()).expect("parses"), b);
        assert_eq!(b.position().txid, 42);

        let bad_size = BaseInfo { page_size: 3000, ..base() }.to_json();
        assert!(BaseInfo::parse(&bad_size).expect_err("refused").to_string().contains("page size 3000"));
        let mismatch = BaseInfo { page_size: 8192, ..base() }.to_json();
        assert!(
            BaseInfo::parse(&mismatch)
                .expect_err("refused")
                .to_string()
                .contains("page size 4096 but the base has 8192")
        );
        let bad_gen = b.to_json().replace("20261130T140500Z-3f9a1c2e", "../etc");
        assert!(BaseInfo::parse(&bad_gen).expect_err("refused").to_string().contains("generation id"));
        assert!(BaseInfo::parse("{").is_err());
    }
}
