//! The Leptos pages (server-rendered, then hydrated), each mounted behind the guard of the access
//! level the app declares for it; static files and the HTML 404.

use super::{
    ApiError,
    access::{Access, is_api},
    auth::AuthUser,
    routes::Routes,
};
use crate::state::AppState;
use anyhow::Context as _;
use app::{
    App,
    boot::{Boot, PageData},
    shell,
};
use axum::{
    Router,
    extract::{Query, Request, State},
    http::{Method, StatusCode, Uri, header},
    middleware::Next,
    response::{IntoResponse, Response},
};
use contract::{accounts::SetupLinkStatus, backup::DashboardQuery, format::sentence, paths};
use leptos_axum::{AxumRouteListing, LeptosRoutes, file_and_error_handler, generate_route_list};
use tower_sessions::Session;

/// Every page of [`App`], grouped by the access level `app::shell::PAGE_ACCESS` gives it. A page
/// without one stops the server from starting (and fails the access test).
pub fn routes(state: &AppState) -> anyhow::Result<Routes> {
    let mut groups: Vec<(Access, Vec<AxumRouteListing>)> = Vec::new();
    for listing in generate_route_list(App) {
        let access = app::shell::page_access(listing.path()).with_context(|| {
            format!("the page {} has no access level: add it to app::shell::PAGE_ACCESS", listing.path())
        })?;
        match groups.iter_mut().find(|(a, _)| *a == access) {
            Some((_, listings)) => listings.push(listing),
            None => groups.push((access, vec![listing])),
        }
    }
    let mut routes = Routes::new();
    for (access, listings) in groups {
        let entries: Vec<(Method, String)> =
            listings.iter().flat_map(|l| l.methods().map(move |m| (page_method(m), l.path().to_string()))).collect();
        let options = state.leptos.clone();
        let router = Router::new().leptos_routes(state, listings, move || shell(options.clone()));
        routes = routes.mount(access, router, entries);
    }
    // The dashboard's own address with a trailing slash goes to the canonical one, behind the
    // same guard.
    Ok(routes.staff(Method::GET, "/backups/", || async { axum::response::Redirect::permanent(paths::BACKUPS_PAGE) }))
}

fn page_method(method: leptos_router::Method) -> Method {
    match method {
        leptos_router::Method::Get => Method::GET,
        leptos_router::Method::Post => Method::POST,
        leptos_router::Method::Put => Method::PUT,
        leptos_router::Method::Delete => Method::DELETE,
        leptos_router::Method::Patch => Method::PATCH,
    }
}

/// What answers a request no route matched: a JSON 404 under `/api/`, a static file of the site,
/// or the HTML 404 page.
pub fn fallback() -> impl Fn(Uri, State<AppState>, Request) -> std::pin::Pin<Box<dyn Future<Output = Response> + Send>>
+ Clone
+ Send
+ 'static {
    let files_and_404 = file_and_error_handler::<AppState, _>(shell);
    move |uri: Uri, state: State<AppState>, req: Request| {
        let files_and_404 = files_and_404.clone();
        Box::pin(async move {
            if is_api(uri.path()) {
                return ApiError::NotFound("no such API endpoint".into()).into_response();
            }
            files_and_404(uri, state, req).await
        })
    }
}

/// The 403 page a signed-in visitor who is not staff gets for a staff page: the whole site (top
/// bar, skip link, client) with the app's own 403 content, which its staff pages show to anyone
/// else (`Protected`). The staff page's handler does not run, and no page data is loaded (the
/// middleware loads it for staff only).
pub async fn forbidden_page(state: &AppState, req: Request) -> Response {
    let options = state.leptos.clone();
    let context = options.clone();
    let render = leptos_axum::render_app_to_stream_with_context(
        move || leptos::prelude::provide_context(context.clone()),
        move || shell(options.clone()),
    );
    let mut response = render(req).await;
    *response.status_mut() = StatusCode::FORBIDDEN;
    response
}

/// Middleware: what the page renderer needs to know about the visitor, resolved before rendering
/// starts (the `<html>` element goes out in the first chunk).
pub async fn boot_context(State(state): State<AppState>, mut req: Request, next: Next) -> Response {
    if !is_api(req.uri().path()) {
        let auth = req.extensions().get::<AuthUser>().cloned();
        let theme = super::theme::effective_theme(auth.as_ref(), req.headers());
        let page = if req.uri().path() == "/setup" {
            Some(setup_link_data(&state, req.uri()).await)
        } else {
            match &auth {
                Some(user) if user.is_staff => page_data(&state, req.uri()).await,
                _ => None,
            }
        };
        if let Some(page) = page {
            req.extensions_mut().insert(std::sync::Arc::new(page));
        }
        // The flash of a form posted just before belongs to the page it redirected to: a request
        // for a document, not one for a file of the site.
        let wants_page = req.method() == Method::GET
            && req.headers().get(header::ACCEPT).and_then(|a| a.to_str().ok()).is_some_and(|a| a.contains("text/html"));
        let flash = match req.extensions().get::<Session>().cloned() {
            Some(session) if wants_page => super::forms::take_flash(&session).await,
            _ => None,
        };
        let boot = Boot {
            user: auth.as_ref().map(AuthUser::view),
            signup_enabled: state.settings.signup_enabled,
            theme,
            flash,
        };
        req.extensions_mut().insert(boot);
    }
    next.run(req).await
}

/// `/setup?token=…`: whether the link works, read only (asking never makes a link).
async fn setup_link_data(state: &AppState, uri: &Uri) -> PageData {
    let token = uri
        .query()
        .and_then(|q| q.split('&').find_map(|pair| pair.strip_prefix("token=")))
        .filter(|t| t.len() <= 128)
        .unwrap_or_default();
    match state.engine.setup_tokens.status(token, chrono::Utc::now()).await {
        Ok(status) => PageData::SetupLink(status),
        Err(e) => {
            tracing::error!(error = %e, "cannot read the setup link");
            PageData::SetupLink(SetupLinkStatus::Invalid)
        }
    }
}

/// Pages whose data the server loads before rendering (so they read whole without JavaScript):
/// `/backups` and `/backups/{id}`. The dashboard's query is the API's typed query: a value the
/// API refuses with 422, the page refuses the same way. A failure to load leaves the page to
/// load it in the browser.
async fn page_data(state: &AppState, uri: &Uri) -> Option<PageData> {
    let path = uri.path();
    if path == paths::BACKUPS_PAGE {
        let query = match Query::<DashboardQuery>::try_from_uri(uri) {
            Ok(Query(query)) => query,
            Err(e) => {
                return Some(PageData::Invalid(sentence(&format!(
                    "this address has an invalid query: {}",
                    e.body_text()
                ))));
            }
        };
        let (page, per_page) = match query.page_and_size() {
            Ok(pair) => pair,
            Err(e) => return Some(PageData::Invalid(sentence(&format!("this address has an invalid query: {e}")))),
        };
        return match super::backups::dashboard_data(state, page, per_page, query.tab()).await {
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
    // The same words as the API's answers for the same mistakes.
    let id = match super::PositiveId::parse(id, "backup") {
        Ok(id) => id,
        Err(e) => return Some(PageData::NotFound(e.body().error)),
    };
    Some(match super::backups::detail_data(state, id.get()).await {
        Ok(d) => PageData::BackupDetail(Box::new(d)),
        Err(e) => PageData::NotFound(e.body().error),
    })
}
