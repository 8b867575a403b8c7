//! StatusStack Security: one crate for the axum server (`ssr`) and the
//! hydrated browser app (`hydrate`).
// Deeply nested views (the history table) exceed the default type depth in release builds.
#![recursion_limit = "256"]

/// Gives text enums (strum's `EnumString` + `IntoStaticStr`) `as_str`, their
/// stable name as stored and sent, and `TryFrom<String>`, so database rows
/// read them with `#[sqlx(try_from = "String")]`: parsed once, at the boundary.
#[macro_export]
macro_rules! text_enum {
    ($($name:ty),* $(,)?) => {$(
        impl $name {
            /// The stable name stored in the database and sent by forms.
            pub fn as_str(self) -> &'static str {
                self.into()
            }
        }

        impl TryFrom<String> for $name {
            type Error = strum::ParseError;

            fn try_from(text: String) -> Result<Self, Self::Error> {
                text.parse()
            }
        }
    )*};
}

pub mod account;
pub mod api_keys;
pub mod app;
pub mod checkup;
pub mod codec;
pub mod connections;
pub mod error;
pub mod ids;
pub mod login_history;
pub mod passkeys;
pub mod recovery;
pub mod sessions;
pub mod sso;
pub mod team;
pub mod time;
pub mod two_factor;
pub mod ui;

#[cfg(feature = "ssr")]
pub mod server;

/// What the split loader (`wasm_split_helpers`, behind Leptos's lazy routes)
/// panics with when a page's Wasm file did not load.
#[cfg(feature = "hydrate")]
const SPLIT_LOAD_PANIC: &str = "load callback should succeed";

/// The browser entry point: hydrates the server-rendered page.
#[cfg(feature = "hydrate")]
#[wasm_bindgen::prelude::wasm_bindgen]
pub fn hydrate() {
    std::panic::set_hook(Box::new(|info| {
        // A page's own Wasm file that cannot be fetched (gone since a
        // deploy, or dropped) panics in the split loader. Marking the page
        // lets `app/recover.js` load it afresh once the Wasm has trapped;
        // other panics are left as they are.
        if info.to_string().contains(SPLIT_LOAD_PANIC) {
            let _ = leptos::tachys::dom::document()
                .document_element()
                .map(|root| root.set_attribute("data-page-file-failed", ""));
        }
        console_error_panic_hook::hook(info);
    }));
    // Lazy routes hydrate once their Wasm file is in, so hydration is a task
    // (`hydrate_from_async` sets up Leptos's executor itself).
    wasm_bindgen_futures::spawn_local(async {
        let body = leptos::tachys::dom::body();
        let mounted = leptos::mount::hydrate_from_async(body.clone(), app::App).await;
        // The app lives as long as the page.
        mounted.forget();
        // Lets end-to-end tests (and curious developers) see that the page is live.
        let _ = body.set_attribute("data-hydrated", "true");
    });
}
