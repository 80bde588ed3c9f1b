#![recursion_limit = "256"]
//! The WASM entry point: hydrates the server-rendered page and nothing else.

#[wasm_bindgen::prelude::wasm_bindgen]
pub fn hydrate() {
    console_error_panic_hook::set_once();
    leptos::mount::hydrate_body(app::App);
    // A flag the end-to-end tests wait for before they interact.
    if let Some(window) = web_sys::window() {
        let _ = js_sys::Reflect::set(&window, &"__smallstackHydrated".into(), &true.into());
    }
}
