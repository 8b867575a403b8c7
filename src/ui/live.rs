//! Telling keyboard and screen-reader users what just happened: the page's
//! one live region that reads a short sentence out, and moving focus to a
//! result that appeared without navigation.

use leptos::prelude::*;

/// The sentence the page's live region reads out, shared as context.
#[derive(Clone, Copy)]
pub struct Announcer(RwSignal<String>);

impl Announcer {
    /// Has the live region read `text` out, even when it repeats the last one.
    pub fn say(self, text: impl Into<String>) {
        let text = text.into();
        self.0.set(String::new());
        #[cfg(feature = "hydrate")]
        {
            let message = self.0;
            // A separate change, so a repeated sentence is read again.
            request_animation_frame(move || message.set(text));
        }
        #[cfg(not(feature = "hydrate"))]
        let _ = text;
    }
}

/// Provides the announcer; call once, in `App`, and render [`LiveAnnouncer`].
pub fn provide_announcer() {
    provide_context(Announcer(RwSignal::new(String::new())));
}

/// The page's announcer (a silent one outside `App`).
pub fn announcer() -> Announcer {
    use_context::<Announcer>().unwrap_or_else(|| Announcer(RwSignal::new(String::new())))
}

/// The visually hidden, polite live region that reads the announcer's
/// sentences. It is in the page from the start, so every change is read.
#[component]
pub fn LiveAnnouncer() -> impl IntoView {
    let message = announcer().0;
    view! {
        <div role="status" aria-live="polite" aria-atomic="true" class="sr-only" data-testid="announcer">
            {move || message.get()}
        </div>
    }
}

/// Moves focus to the element `id` once the browser has applied the current
/// change; with `only_if_lost`, only when focus fell back to the page (its
/// element was replaced), so a user who moved on keeps their place.
pub fn focus_soon(id: &'static str, only_if_lost: bool) {
    #[cfg(feature = "hydrate")]
    request_animation_frame(move || {
        use wasm_bindgen::JsCast;
        let Some(document) = web_sys::window().and_then(|window| window.document()) else {
            return;
        };
        let lost = match (document.active_element(), document.body()) {
            (None, _) => true,
            (Some(active), Some(body)) => active == *body.unchecked_ref::<web_sys::Element>(),
            (Some(_), None) => false,
        };
        if only_if_lost && !lost {
            return;
        }
        if let Some(element) = document
            .get_element_by_id(id)
            .and_then(|element| element.dyn_into::<web_sys::HtmlElement>().ok())
        {
            let _ = element.focus();
        }
    });
    #[cfg(not(feature = "hydrate"))]
    let _ = (id, only_if_lost);
}

/// Focuses the element `id` when the calling component appears in the
/// browser, if focus was lost on the way (see [`focus_soon`]).
pub fn focus_on_mount(id: &'static str) {
    Effect::new(move |_| focus_soon(id, true));
}

/// Moves focus at once from inside the element `from`, which is about to
/// go, to the element `to`, so it is never lost, not even for a frame (a
/// screen reader would read the whole page out). Does nothing when focus is
/// elsewhere: a user who moved on keeps their place.
pub fn hand_focus_on(from: &'static str, to: &'static str) {
    #[cfg(feature = "hydrate")]
    {
        use wasm_bindgen::JsCast;
        let Some(document) = web_sys::window().and_then(|window| window.document()) else {
            return;
        };
        let inside = match (document.active_element(), document.get_element_by_id(from)) {
            (Some(active), Some(container)) => container.contains(Some(active.unchecked_ref())),
            _ => false,
        };
        if let Some(target) = document
            .get_element_by_id(to)
            .and_then(|element| element.dyn_into::<web_sys::HtmlElement>().ok())
            .filter(|_| inside)
        {
            let _ = target.focus();
        }
    }
    #[cfg(not(feature = "hydrate"))]
    let _ = (from, to);
}
