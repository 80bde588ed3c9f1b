#![recursion_limit = "256"]
//! The WASM entry point: hydrates the server-rendered page and nothing else.

use leptos::prelude::document;

#[wasm_bindgen::prelude::wasm_bindgen]
pub fn hydrate() {
    console_error_panic_hook::set_once();
    // Asynchronous hydration: a lazily loaded page's code is fetched before it is hydrated.
    wasm_bindgen_futures::spawn_local(async {
        let Some(body) = document().body() else { return };
        leptos::mount::hydrate_from_async(body, app::App).await.forget();
        // A flag the end-to-end tests wait for before they interact.
        if let Some(window) = web_sys::window() {
            let _ = js_sys::Reflect::set(&window, &"__smallstackHydrated".into(), &true.into());
        }
    });
}
