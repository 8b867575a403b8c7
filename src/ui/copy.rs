//! The copy-to-clipboard button of one-time secrets (keys, backup codes).

use super::style::BUTTON_SECONDARY;
use leptos::prelude::*;

/// Copies `text` to the clipboard; where the Clipboard API is missing it
/// selects the element `select_id` so the user can copy by hand.
#[component]
pub fn CopyButton(
    text: String,
    #[prop(into)] select_id: String,
    #[prop(default = "Copy")] label: &'static str,
) -> impl IntoView {
    let copied = RwSignal::new(false);
    let on_click = move |_| {
        #[cfg(feature = "hydrate")]
        {
            copy_or_select(&text, &select_id);
            copied.set(true);
        }
        #[cfg(not(feature = "hydrate"))]
        {
            let _ = (&text, &select_id);
        }
    };
    view! {
        <button type="button" class=BUTTON_SECONDARY on:click=on_click aria-live="polite">
            <svg viewBox="0 0 24 24" fill="none" stroke="currentColor" stroke-width="1.8" class="h-4 w-4" aria-hidden="true"><path d="M9 9h10v11H9zM5 15V4h10"></path></svg>
            {move || if copied.get() { "Copied" } else { label }}
        </button>
    }
}

#[cfg(feature = "hydrate")]
fn copy_or_select(text: &str, select_id: &str) {
    let Some(window) = web_sys::window() else {
        return;
    };
    let clipboard = window.navigator().clipboard();
    // In an insecure context the property is undefined and calling it throws.
    if wasm_bindgen::JsValue::from(clipboard.clone()).is_undefined() {
        if let (Some(document), Ok(Some(selection))) = (window.document(), window.get_selection())
            && let Some(element) = document.get_element_by_id(select_id)
        {
            let _ = selection.select_all_children(&element);
        }
        return;
    }
    let _ = clipboard.write_text(text);
}
