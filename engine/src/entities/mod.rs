//! sea-orm entities. Application database: users, user_themes, theme_presets.
//! System database: sessions, login_failures, settings, backups, backup_events.

pub mod backup;
pub mod backup_event;
pub mod login_failure;
pub mod session;
pub mod setting;
pub mod theme_preset;
pub mod user;
pub mod user_theme;
