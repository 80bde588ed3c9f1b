//! sea-orm entities. Application database: users, user_themes, theme_presets.
//! System database: sessions, settings, backups, backup_events (login attempts are counted with
//! plain SQL in `accounts::lockout`).

pub mod backup;
pub mod backup_event;
pub mod session;
pub mod setting;
pub mod theme_preset;
pub mod user;
pub mod user_theme;
