//! Fault tests (issue 7): the real binary killed with SIGKILL under load and restarted, backups
//! and a restore under load, and a catalogue of malformed requests. `make test` runs them
//! (3 crash cycles); `make soak` runs the long variant (`SMALLSTACK_SOAK_CYCLES=20`).

#[path = "../api/helpers.rs"]
#[allow(dead_code)]
mod helpers;
mod support;

mod backup_under_load;
mod bad_input;
mod crash;
