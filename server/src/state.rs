use crate::config::Settings;
use axum::extract::FromRef;
use leptos::config::LeptosOptions;
use std::{ops::Deref, sync::Arc};

/// What every handler can reach: the settings, the machinery and Leptos' options.
#[derive(Clone)]
pub struct AppState(Arc<AppStateInner>);

pub struct AppStateInner {
    pub settings: Settings,
    pub engine: engine::Engine,
    pub leptos: LeptosOptions,
}

impl AppState {
    pub fn new(settings: Settings, engine: engine::Engine) -> Self {
        let leptos = settings.leptos_options();
        AppState(Arc::new(AppStateInner { settings, engine, leptos }))
    }
}

impl Deref for AppState {
    type Target = AppStateInner;
    fn deref(&self) -> &Self::Target {
        &self.0
    }
}

impl FromRef<AppState> for LeptosOptions {
    fn from_ref(state: &AppState) -> Self {
        state.leptos.clone()
    }
}
