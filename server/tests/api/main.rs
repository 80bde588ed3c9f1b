//! Integration tests: the real server on a random port, real SQLite files in a temporary folder.

mod helpers;

mod access;
mod accounts;
mod backup_cli;
mod backups;
mod cli;
mod csp;
mod file_modes;
mod forms;
mod foundation;
mod hosts;
mod hygiene;
mod lockout;
mod offsite;
mod ops;
mod safe_methods;
mod schema;
mod setup_link;
mod theme;
