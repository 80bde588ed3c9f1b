//! The `smallstack` binary's library: configuration, CLI, HTTP wiring and start-up.

pub mod cli;
pub mod config;
pub mod files;
pub mod housekeeping;
pub mod http;
pub mod shutdown;
pub mod startup;
pub mod state;
pub mod telemetry;
pub mod webhook;

pub use config::Settings;
pub use startup::Application;
pub use state::AppState;
