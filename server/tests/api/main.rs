//! Integration tests: the real server on a random port, real SQLite files in a temporary folder.

mod helpers;

mod accounts;
mod backups;
mod backup_cli;
mod cli;
mod foundation;
mod ops;
mod theme;
