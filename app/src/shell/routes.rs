//! Pages loaded on demand. Their code is split out of the main WASM file (`cargo leptos build
//! --split`), so the first load of `/` carries only the shell, the navigation and the home page;
//! a lazy page's chunk arrives when it is first visited (or, on a direct load, before the page
//! hydrates). On the server they render like any other route.

use crate::{
    backups::{BackupDetailPage, BackupsPage},
    pages::{LoginPage, ProfilePage, SetupPage, SignupPage},
    theme::ThemePage,
};
use leptos::prelude::*;
use leptos_router::{LazyRoute, lazy_route};

macro_rules! lazy_page {
    ($route:ident, $page:ident) => {
        pub struct $route;

        #[lazy_route]
        impl LazyRoute for $route {
            fn data() -> Self {
                $route
            }

            fn view(_this: Self) -> AnyView {
                view! { <$page /> }.into_any()
            }
        }
    };
}

lazy_page!(LoginRoute, LoginPage);
lazy_page!(SignupRoute, SignupPage);
lazy_page!(SetupRoute, SetupPage);
lazy_page!(ProfileRoute, ProfilePage);
lazy_page!(ThemeRoute, ThemePage);
lazy_page!(BackupsRoute, BackupsPage);
lazy_page!(BackupDetailRoute, BackupDetailPage);
