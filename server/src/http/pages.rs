//! The Leptos pages (server-rendered, then hydrated), static files and the HTML 404.

use super::{auth::AuthUser, guard::is_api};
use crate::state::AppState;
use app::{
    App,
    session::{Boot, PageData},
    shell,
};
use axum::{
    Router,
    extract::{Request, State},
    middleware::Next,
    response::Response,
};
use leptos::prelude::provide_context;
use leptos_axum::{LeptosRoutes, file_and_error_handler_with_context, generate_route_list};

pub fn router(state: &AppState) -> Router<AppState> {
    let routes = generate_route_list(App);
    let options = state.leptos.clone();
    let engine = state.engine.clone();
    let context = move || provide_context(engine.clone());
    Router::new()
        .leptos_routes_with_context(state, routes, context.clone(), move || shell(options.clone()))
        .fallback(file_and_error_handler_with_context::<AppState, _>(context, shell))
}

/// Middleware: what the page renderer needs to know about the visitor, resolved before rendering
/// starts (the `<html>` element goes out in the first chunk).
pub async fn boot_context(State(state): State<AppState>, mut req: Request, next: Next) -> Response {
    if !is_api(req.uri().path()) {
        let auth = req.extensions().get::<AuthUser>().cloned();
        let theme = super::theme::effective_theme(auth.as_ref(), req.headers());
        if let Some(page) = match &auth {
            Some(user) if user.is_staff => page_data(&state, req.uri()).await,
            _ => None,
        } {
            req.extensions_mut().insert(std::sync::Arc::new(page));
        }
        let boot = Boot { user: auth.as_ref().map(AuthUser::view), signup_enabled: state.settings.signup_enabled, theme };
        req.extensions_mut().insert(boot);
    }
    next.run(req).await
}

/// Pages whose data the server loads before rendering (so they read whole without JavaScript):
/// `/backups` and `/backups/{id}`. A failure leaves the page to load it in the browser.
async fn page_data(state: &AppState, uri: &axum::http::Uri) -> Option<PageData> {
    let path = uri.path();
    if path == "/backups" {
        let param = |name: &str| {
            uri.query()
                .and_then(|q| q.split('&').find_map(|p| p.strip_prefix(name)?.strip_prefix('=')))
                .and_then(|p| p.parse::<u32>().ok())
        };
        let page = param("page").unwrap_or(1).max(1);
        let per_page = param("per_page").unwrap_or(super::backups::DEFAULT_PER_PAGE).clamp(1, super::backups::MAX_PER_PAGE);
        let tab = super::backups::DashboardTab::from_query(
            uri.query().and_then(|q| q.split('&').find_map(|p| p.strip_prefix("tab="))),
        );
        return match super::backups::dashboard_data(state, page, per_page, tab).await {
            Ok(d) => Some(PageData::Dashboard(Box::new(d))),
            Err(e) => {
                tracing::error!(error = %e, "cannot load the backup dashboard");
                None
            }
        };
    }
    let id = path.strip_prefix("/backups/")?;
    if id.contains('/') {
        return None;
    }
    let Some(id) = id.parse::<i64>().ok().filter(|id| *id > 0) else {
        return Some(PageData::NotFound(format!("No such backup: {id:?} is not a backup id.")));
    };
    Some(match super::backups::detail_data(state, id).await {
        Ok(d) => PageData::BackupDetail(Box::new(d)),
        Err(e) => PageData::NotFound(format!("No such backup: {e}")),
    })
}
