//! Outcome of a form posted before the Wasm loaded, carried across the
//! redirect in a one-minute cookie (written and cleared by the server's flash
//! middleware) and shown once by the form it belongs to.

use crate::error::{AppError, FormFlash};
use leptos::prelude::*;
use leptos::server::SharedValue;
use leptos::server_fn::ServerFn;

/// The page's flash as context: read on the server, serialized to the browser.
#[derive(Clone, Debug, Default)]
pub struct PageFlash(pub Option<FormFlash>);

/// Reads the flash the middleware found in this request's cookie during server
/// rendering; the browser receives the same value when it hydrates. Call
/// once, in `App`.
pub fn provide_page_flash() {
    let flash = SharedValue::new(read_and_clear_flash).into_inner();
    provide_context(PageFlash(flash));
}

#[cfg(feature = "ssr")]
fn read_and_clear_flash() -> Option<FormFlash> {
    use_context::<http::request::Parts>()?
        .extensions
        .get::<FormFlash>()
        .cloned()
}

#[cfg(not(feature = "ssr"))]
fn read_and_clear_flash() -> Option<FormFlash> {
    None
}

/// The flash for the server function at `action`, if this page has one.
pub fn flash_for(action: &str) -> Option<FormFlash> {
    use_context::<PageFlash>()
        .and_then(|flash| flash.0)
        .filter(|flash| flash.action == action)
}

/// The last error of an action: from the action itself once the Wasm runs,
/// or from the flash cookie when the form was posted without it.
pub fn last_error<A>(action: ServerAction<A>) -> Signal<Option<AppError>>
where
    A: ServerFn<Error = AppError> + Clone + Send + Sync + 'static,
    A::Output: Clone + Send + Sync + 'static,
{
    let flash = flash_for(A::PATH).and_then(|flash| flash.error);
    Signal::derive(move || match action.value().get() {
        Some(Err(error)) => Some(error),
        Some(Ok(_)) => None,
        None => flash.clone(),
    })
}

/// Whether this page carries a successful outcome of `A`, posted without
/// the Wasm.
pub fn flashed_success<A: ServerFn>() -> bool {
    flash_for(A::PATH).is_some_and(|flash| flash.error.is_none())
}

/// Whether the action's last run succeeded (either path).
pub fn last_succeeded<A>(action: ServerAction<A>) -> Signal<bool>
where
    A: ServerFn<Output = (), Error = AppError> + Clone + Send + Sync + 'static,
{
    let flashed_ok = flashed_success::<A>();
    Signal::derive(move || match action.value().get() {
        Some(result) => result.is_ok(),
        None => flashed_ok,
    })
}
