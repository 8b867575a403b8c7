//! Page frames: the heading of a settings page and the centred card of the
//! signed-out pages.

use super::Logo;
use leptos::prelude::*;
use leptos_meta::Title;

/// The heading of a settings page.
#[component]
pub fn PageHeading(title: &'static str, description: &'static str) -> impl IntoView {
    view! {
        <Title text=title/>
        <div class="mb-6">
            <h1 class="text-2xl font-semibold tracking-tight text-slate-900 dark:text-white">{title}</h1>
            <p class="mt-1 text-sm text-slate-500 dark:text-slate-400">{description}</p>
        </div>
    }
}

/// The centred frame of the signed-out pages.
#[component]
pub fn AuthFrame(title: &'static str, subtitle: &'static str, children: Children) -> impl IntoView {
    view! {
        <Title text=title/>
        <main class="flex min-h-screen flex-col items-center justify-center px-4 py-12">
            <a href="/" class="mb-8 text-xl"><Logo/></a>
            <div class="w-full max-w-md rounded-2xl border border-slate-200 bg-white p-6 shadow-sm sm:p-8 dark:border-slate-800 dark:bg-slate-900">
                <h1 class="text-2xl font-semibold tracking-tight text-slate-900 dark:text-white">{title}</h1>
                <p class="mt-1 text-sm text-slate-500 dark:text-slate-400">{subtitle}</p>
                <div class="mt-6">{children()}</div>
            </div>
        </main>
    }
}

/// A thin bar across the top of the window while the router moves to
/// another page: a lazy page's own Wasm file and its data are on their way,
/// and the old page stays on screen until they arrive. It shows only after
/// a moment (`.route-progress` in the stylesheet), so quick moves do not
/// flicker.
#[component]
pub fn RouteProgress(#[prop(into)] routing: Signal<bool>) -> impl IntoView {
    view! {
        <Show when=move || routing.get()>
            <div role="progressbar" aria-label="Loading page" class="route-progress fixed inset-x-0 top-0 z-50 h-1 overflow-hidden">
                <div class="h-full w-2/5 rounded-r-full bg-indigo-600 dark:bg-indigo-400"></div>
            </div>
        </Show>
    }
}
