//! The product: pages, components and routes, rendered by the server and hydrated by the WASM
//! client. What the two exchange is in the `contract` crate.

pub mod backups;
pub mod boot;
pub mod client;
pub mod pages;
pub mod shell;
pub mod theme;

pub use shell::{App, shell};
