//! The staff backup dashboard (`/backups`, `/backups/{id}`). What it exchanges with the server
//! is in `contract::backup`.

mod dashboard;
mod detail;

pub use dashboard::BackupsPage;
pub use detail::BackupDetailPage;
