use crate::{config::Settings, http, state::AppState};
use anyhow::Context;
use std::net::SocketAddr;
use tokio::net::TcpListener;

/// The running server: bound to its port (0 picks a free one, for tests), not yet serving.
pub struct Application {
    listener: TcpListener,
    state: AppState,
}

impl Application {
    /// Opens the machinery (creating folders, migrating both databases) and binds the address.
    pub async fn build(settings: Settings) -> anyhow::Result<Self> {
        tracing::info!(sqlite = engine::db::sqlite_version(), "starting SmallStack");
        let engine = engine::Engine::open(settings.engine_config()).await?;
        let listener = TcpListener::bind(settings.site_addr)
            .await
            .with_context(|| format!("LEPTOS_SITE_ADDR={}: cannot listen", settings.site_addr))?;
        let state = AppState::new(settings, engine);
        announce_setup_link(&state).await?;
        Ok(Application { listener, state })
    }

    pub fn local_addr(&self) -> SocketAddr {
        self.listener.local_addr().expect("a bound listener has an address")
    }

    pub fn port(&self) -> u16 {
        self.local_addr().port()
    }

    pub fn state(&self) -> &AppState {
        &self.state
    }

    /// Serves until SIGINT or SIGTERM, then stops accepting, lets requests in flight finish and
    /// closes the databases.
    pub async fn run_until_stopped(self) -> anyhow::Result<()> {
        let Application { listener, state } = self;
        let router = http::router(state.clone());
        let housekeeping = tokio::spawn(crate::housekeeping::run(state.clone()));
        tracing::info!("listening on http://{}", listener.local_addr()?);
        axum::serve(listener, router.into_make_service_with_connect_info::<SocketAddr>())
            .with_graceful_shutdown(shutdown_signal())
            .await?;
        housekeeping.abort();
        state.engine.close().await;
        tracing::info!("stopped");
        Ok(())
    }
}

/// While there is no active staff account, every start logs the one-time link that creates it.
async fn announce_setup_link(state: &AppState) -> anyhow::Result<()> {
    if state.engine.accounts.active_staff_count().await? == 0 {
        let token = state.engine.setup_tokens.get_or_create().await?;
        let addr = state.settings.site_addr;
        tracing::warn!("no staff account yet: create the first one at http://{addr}/setup?token={token}");
    }
    Ok(())
}

async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        _ = ctrl_c => {},
        _ = terminate => {},
    }
    tracing::info!("shutting down");
}
