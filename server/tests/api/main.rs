//! Integration tests: the real server on a random port, real SQLite files in a temporary folder.

mod helpers;

mod access;
mod accounts;
mod backup_cli;
mod backups;
mod cli;
mod foundation;
mod offsite;
mod ops;
mod theme;
