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

/// Room for the WASM splitter (cargo-leptos `--split`, wasm_split_cli_support 0.2.3): it regroups
/// `.rodata` by the module that uses each piece, and when alignment padding makes the regrouped
/// segment even a few bytes longer than the linker's, it puts *all* data, every lazy page's
/// strings included, into the main file ("Overlong segment … putting it in main module": +70 KB,
/// ~28 KB gzip, from any unrelated change that shifts the layout). These bytes are kept by the
/// linker (`#[used]`) but referenced by nothing, so the splitter drops them: their length is the
/// slack that keeps the data split. They never reach the browser.
#[used]
static SPLIT_SLACK: [u8; 2048] = [0xA5; 2048];
