//! The product: pages, components, routes, and the types shared by the server and the WASM client.

pub mod api;
pub mod backups;
pub mod client;
pub mod session;
pub mod pages;
pub mod shell;
pub mod theme;

pub use shell::{App, shell};
