//! How routes are declared: every route is added with its [`Access`] level, through the one
//! builder the server's router is made from. There is no other way to mount a route, so a route
//! cannot be left unguarded by forgetting a list, and the table of every (method, path, access)
//! the server serves is what the access tests walk.

use super::access::{Access, require_signed_in, require_staff};
use crate::state::AppState;
use axum::{
    Router,
    handler::Handler,
    http::Method,
    middleware,
    routing::{MethodFilter, MethodRouter, on},
};

/// One route of the table.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RouteEntry {
    pub method: Method,
    /// The axum pattern, e.g. `/api/backups/{id}`.
    pub path: String,
    pub access: Access,
}

/// Routes grouped by access level, and the table of all of them.
#[derive(Default)]
pub struct Routes {
    public: Router<AppState>,
    signed_in: Router<AppState>,
    staff: Router<AppState>,
    table: Vec<RouteEntry>,
}

impl Routes {
    pub fn new() -> Self {
        Self::default()
    }

    pub fn public<H, T>(self, method: Method, path: &'static str, handler: H) -> Self
    where
        H: Handler<T, AppState>,
        T: 'static,
    {
        self.handler(Access::Public, method, path, handler)
    }

    pub fn signed_in<H, T>(self, method: Method, path: &'static str, handler: H) -> Self
    where
        H: Handler<T, AppState>,
        T: 'static,
    {
        self.handler(Access::SignedIn, method, path, handler)
    }

    pub fn staff<H, T>(self, method: Method, path: &'static str, handler: H) -> Self
    where
        H: Handler<T, AppState>,
        T: 'static,
    {
        self.handler(Access::Staff, method, path, handler)
    }

    fn handler<H, T>(self, access: Access, method: Method, path: &'static str, handler: H) -> Self
    where
        H: Handler<T, AppState>,
        T: 'static,
    {
        let filter = MethodFilter::try_from(method.clone())
            .unwrap_or_else(|_| panic!("{method} {path}: axum cannot route this method"));
        self.route(access, method, path, on(filter, handler))
    }

    /// A route whose handler needs a layer of its own (a body limit, say): `route` must serve
    /// exactly `method`.
    pub fn route(mut self, access: Access, method: Method, path: &'static str, route: MethodRouter<AppState>) -> Self {
        let group = self.group(access);
        *group = std::mem::take(group).route(path, route);
        self.table.push(RouteEntry { method, path: path.to_string(), access });
        self
    }

    /// Routes made elsewhere (the Leptos pages), with the entries that describe them.
    pub fn mount(
        mut self,
        access: Access,
        router: Router<AppState>,
        entries: impl IntoIterator<Item = (Method, String)>,
    ) -> Self {
        let group = self.group(access);
        *group = std::mem::take(group).merge(router);
        self.table.extend(entries.into_iter().map(|(method, path)| RouteEntry { method, path, access }));
        self
    }

    pub fn merge(mut self, other: Routes) -> Self {
        self.public = self.public.merge(other.public);
        self.signed_in = self.signed_in.merge(other.signed_in);
        self.staff = self.staff.merge(other.staff);
        self.table.extend(other.table);
        self
    }

    fn group(&mut self, access: Access) -> &mut Router<AppState> {
        match access {
            Access::Public => &mut self.public,
            Access::SignedIn => &mut self.signed_in,
            Access::Staff => &mut self.staff,
        }
    }

    pub fn table(&self) -> &[RouteEntry] {
        &self.table
    }

    /// One router: the signed-in and staff groups each behind their guard (a route layer, so it
    /// wraps every method of those paths and the 405 answers too).
    pub fn into_router(self, state: &AppState) -> (Router<AppState>, Vec<RouteEntry>) {
        let has = |access| self.table.iter().any(|r| r.access == access);
        let mut router = self.public;
        if has(Access::SignedIn) {
            router = router.merge(self.signed_in.route_layer(middleware::from_fn(require_signed_in)));
        }
        if has(Access::Staff) {
            router = router.merge(self.staff.route_layer(middleware::from_fn_with_state(state.clone(), require_staff)));
        }
        (router, self.table)
    }
}
