//! The staff backup dashboard (`/backups`, `/backups/{id}`) and the types it shares with the
//! server.

pub mod cron_words;
mod dashboard;
mod detail;
pub mod types;

pub use dashboard::BackupsPage;
pub use detail::BackupDetailPage;
