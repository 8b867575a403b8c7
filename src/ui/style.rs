//! The class strings every form shares, so a control looks the same on every page.

/// A text input or select.
pub const INPUT: &str = "block w-full rounded-lg border border-slate-300 bg-white px-3 py-2 text-slate-900 shadow-sm placeholder:text-slate-400 focus:border-indigo-500 focus:outline-none focus:ring-2 focus:ring-indigo-500/50 aria-[invalid=true]:border-red-500 dark:border-slate-600 dark:bg-slate-950 dark:text-white";
/// A button that is not the form's main action.
pub const BUTTON_SECONDARY: &str = "inline-flex items-center justify-center gap-2 rounded-lg border border-slate-300 bg-white px-3 py-2 text-sm font-medium text-slate-700 hover:bg-slate-50 focus-visible:outline focus-visible:outline-2 focus-visible:outline-indigo-600 disabled:opacity-60 dark:border-slate-600 dark:bg-slate-900 dark:text-slate-200 dark:hover:bg-slate-800";
/// A button that destroys something (revoke, delete, turn off).
pub const BUTTON_DANGER: &str = "inline-flex items-center justify-center rounded-lg bg-red-600 px-3 py-2 text-sm font-semibold text-white hover:bg-red-500 focus-visible:outline focus-visible:outline-2 focus-visible:outline-offset-2 focus-visible:outline-red-600 disabled:opacity-60";
/// A form label.
pub const LABEL: &str = "block text-sm font-medium text-slate-700 dark:text-slate-200";
/// The `<summary>` that opens a `<details>` form, styled as a button.
pub const SUMMARY: &str = "inline-flex cursor-pointer list-none items-center rounded-lg border border-slate-300 px-3 py-2 text-sm font-medium text-slate-700 hover:bg-slate-50 focus-visible:outline focus-visible:outline-2 focus-visible:outline-indigo-600 dark:border-slate-600 dark:text-slate-200 dark:hover:bg-slate-800 [&::-webkit-details-marker]:hidden";
