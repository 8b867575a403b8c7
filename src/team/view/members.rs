//! The Team page's people: the invitation form, the member list with roles,
//! 2FA status, reminders and removal, and the pending invitations.

use super::TeamActions;
use crate::team::api::{InviteMember, RevokeInvitation};
use crate::team::{InvitationRow, MemberRow, MemberTwoFactor, Role, Team};
use crate::time::utc_datetime;
use crate::ui::flash::{last_error, last_succeeded};
use crate::ui::style::{BUTTON_DANGER, BUTTON_SECONDARY, INPUT, LABEL, SUMMARY};
use crate::ui::time::RelativeTime;
use crate::ui::{Alert, SubmitButton, Tone, action_error, field_error, form_level_error};
use leptos::prelude::*;
use strum::IntoEnumIterator;

const CHIP: &str = "rounded-full px-2 py-0.5 text-xs font-medium";
const CHIP_OK: &str =
    "bg-emerald-100 text-emerald-800 dark:bg-emerald-900/40 dark:text-emerald-200";
const CHIP_WARN: &str = "bg-amber-100 text-amber-800 dark:bg-amber-900/40 dark:text-amber-200";
const CHIP_ROLE: &str = "bg-indigo-50 text-indigo-700 dark:bg-indigo-950/60 dark:text-indigo-300";

/// The error of an action, whatever field it names, as one message.
fn any_error(error: Option<crate::error::AppError>) -> Option<String> {
    error.map(|error| error.to_string())
}

/// Email and role; Admins cannot invite Owners (nobody is invited as Owner).
#[component]
pub fn InviteForm(invite: ServerAction<InviteMember>, my_role: Role) -> impl IntoView {
    let error = last_error(invite);
    let sent = last_succeeded(invite);
    let form = NodeRef::<leptos::html::Form>::new();
    Effect::new(move |previous: Option<usize>| {
        let version = invite.version().get();
        if previous.is_some_and(|p| p != version) && error.get_untracked().is_none() {
            #[cfg(feature = "hydrate")]
            if let Some(form) = form.get_untracked() {
                form.reset();
            }
        }
        version
    });
    let roles = [Role::Member, Role::Viewer, Role::Admin]
        .into_iter()
        .filter(move |role| my_role.may_manage(*role));
    view! {
        <ActionForm action=invite node_ref=form attr:class="space-y-4" attr:data-testid="invite-form">
            {move || form_level_error(error.get()).map(|message| view! { <Alert tone=Tone::Error>{message}</Alert> })}
            {move || sent.get().then(|| view! { <Alert tone=Tone::Success>"Invitation sent."</Alert> })}
            <div class="grid gap-3 sm:grid-cols-[1fr_12rem]">
                <div class="space-y-1.5">
                    <label for="invite-email" class=LABEL>"Email address"</label>
                    <input id="invite-email" name="email" type="email" required maxlength="254" autocomplete="off"
                        placeholder="name@example.com" class=INPUT
                        aria-invalid=move || field_error(&error.get(), "email").is_some().then_some("true")/>
                    {move || field_error(&error.get(), "email").map(|m| view! { <p class="text-sm text-red-600 dark:text-red-400" role="alert">{m}</p> })}
                </div>
                <div class="space-y-1.5">
                    <label for="invite-role" class=LABEL>"Role"</label>
                    <select id="invite-role" name="role" class=INPUT>
                        {roles.map(|role| view! { <option value=role.as_str() selected=role == Role::Member>{role.label()}</option> }).collect_view()}
                    </select>
                    {move || field_error(&error.get(), "role").map(|m| view! { <p class="text-sm text-red-600 dark:text-red-400" role="alert">{m}</p> })}
                </div>
            </div>
            <ul class="grid gap-1 text-xs text-slate-500 sm:grid-cols-3 dark:text-slate-400">
                {[Role::Admin, Role::Member, Role::Viewer].into_iter().map(|role| view! {
                    <li><span class="font-medium text-slate-700 dark:text-slate-300">{role.label()}": "</span>{role.description()}</li>
                }).collect_view()}
            </ul>
            <SubmitButton label="Send invitation" busy_label="Sending…" pending=invite.pending()/>
        </ActionForm>
    }
}

/// Every member; Owners and Admins also see 2FA and activity, and manage
/// the members their role may manage.
#[component]
pub fn MembersList(team: Team, actions: TeamActions, without_two_factor: usize) -> impl IntoView {
    let my_role = team.my_role;
    let remind_error = action_error(actions.remind);
    let reminded = Signal::derive(move || match actions.remind.value().get() {
        Some(Ok(count)) => Some(count),
        _ => None,
    });
    let role_error = last_error(actions.change_role);
    let remove_error = last_error(actions.remove);
    view! {
        <div class="space-y-4">
            {move || any_error(role_error.get()).or_else(|| any_error(remove_error.get())).or_else(|| any_error(remind_error.get()))
                .map(|message| view! { <Alert tone=Tone::Error>{message}</Alert> })}
            {move || reminded.get().map(|count| view! {
                <Alert tone=Tone::Success>{match count {
                    0 => "Everyone without 2FA was reminded in the last 24 hours already.".to_string(),
                    1 => "Reminder sent to 1 member.".to_string(),
                    n => format!("Reminders sent to {n} members."),
                }}</Alert>
            })}
            {(my_role.manages_team() && without_two_factor > 0).then(|| view! {
                <div class="flex flex-wrap items-center justify-between gap-3 rounded-lg border border-amber-200 bg-amber-50 px-4 py-3 text-sm text-amber-900 dark:border-amber-900/60 dark:bg-amber-950/40 dark:text-amber-100">
                    <p>{format!("{without_two_factor} member{} without two-factor authentication.", if without_two_factor == 1 { "" } else { "s" })}</p>
                    <ActionForm action=actions.remind>
                        <button type="submit" class=BUTTON_SECONDARY disabled=move || actions.remind.pending().get()>"Remind everyone by email"</button>
                    </ActionForm>
                </div>
            })}
            <ul class="divide-y divide-slate-100 dark:divide-slate-800" data-testid="member-list">
                {team.members.into_iter().map(|member| view! { <MemberLine member my_role actions/> }).collect_view()}
            </ul>
        </div>
    }
}

/// One member: who, role, 2FA, activity, and the actions the caller may take.
#[component]
fn MemberLine(member: MemberRow, my_role: Role, actions: TeamActions) -> impl IntoView {
    let manageable = !member.is_me && my_role.may_manage(member.role);
    let grantable: Vec<Role> = Role::iter()
        .filter(|role| my_role.may_manage(*role))
        .collect();
    let user_id = member.user_id.clone();
    let remind_id = member.user_id.clone();
    let remove_id = member.user_id.clone();
    let name = member.name.clone();
    view! {
        <li class="flex flex-col gap-3 py-4 sm:flex-row sm:items-center sm:justify-between" data-testid="member-row" data-email=member.email.clone()>
            <div class="min-w-0">
                <p class="flex flex-wrap items-center gap-2 text-sm font-medium text-slate-900 dark:text-white">
                    {member.name.clone()}
                    {member.is_me.then(|| view! { <span class=format!("{CHIP} bg-slate-100 text-slate-700 dark:bg-slate-800 dark:text-slate-300")>"You"</span> })}
                    <span class=format!("{CHIP} {CHIP_ROLE}") data-testid="member-role">{member.role.label()}</span>
                    {match member.two_factor.clone() {
                        Some(MemberTwoFactor::On(method)) => view! { <span class=format!("{CHIP} {CHIP_OK}")>{format!("2FA: {method}")}</span> }.into_any(),
                        Some(MemberTwoFactor::Off) => view! { <span class=format!("{CHIP} {CHIP_WARN}") data-testid="no-2fa">"No 2FA"</span> }.into_any(),
                        None => ().into_any(),
                    }}
                </p>
                <p class="truncate text-sm text-slate-500 dark:text-slate-400">{member.email.clone()}</p>
                <p class="text-xs text-slate-500 dark:text-slate-400">
                    "Joined " <RelativeTime at=member.joined_at/>
                    {member.last_active.map(|at| view! { " · last active " <RelativeTime at/> })}
                    {member.reminded_at.map(|at| view! { " · reminded " <RelativeTime at/> })}
                </p>
            </div>
            {manageable.then(|| view! {
                <div class="flex flex-wrap items-center gap-2">
                    <ActionForm action=actions.change_role attr:class="flex items-center gap-2">
                        <input type="hidden" name="user_id" value=user_id/>
                        <label class="sr-only" for=format!("role-{}", member.user_id)>{format!("Role of {name}")}</label>
                        <select id=format!("role-{}", member.user_id) name="role" class=format!("{INPUT} w-auto py-1.5 text-sm")>
                            {grantable.into_iter().map(|role| view! {
                                <option value=role.as_str() selected=role == member.role>{role.label()}</option>
                            }).collect_view()}
                        </select>
                        <button type="submit" class=format!("{BUTTON_SECONDARY} whitespace-nowrap")>"Change role"</button>
                    </ActionForm>
                    {(member.two_factor == Some(MemberTwoFactor::Off)).then(|| view! {
                        <ActionForm action=actions.remind>
                            <input type="hidden" name="user_id" value=remind_id/>
                            <button type="submit" class=BUTTON_SECONDARY>"Remind"</button>
                        </ActionForm>
                    })}
                    <details class="relative">
                        <summary class=SUMMARY>"Remove…"</summary>
                        <div class="absolute right-0 z-10 mt-2 w-72 space-y-3 rounded-lg border border-slate-200 bg-white p-4 text-sm shadow-lg dark:border-slate-700 dark:bg-slate-900">
                            <p class="text-slate-700 dark:text-slate-200">{format!("Remove {} from the organization? Their API keys are revoked at once.", member.name)}</p>
                            <ActionForm action=actions.remove>
                                <input type="hidden" name="user_id" value=remove_id/>
                                <button type="submit" class=BUTTON_DANGER>"Remove member"</button>
                            </ActionForm>
                        </div>
                    </details>
                </div>
            })}
        </li>
    }
}

/// Invitations not yet accepted, with "Withdraw".
#[component]
pub fn Invitations(
    invitations: Vec<InvitationRow>,
    revoke: ServerAction<RevokeInvitation>,
) -> impl IntoView {
    let error = last_error(revoke);
    view! {
        {move || any_error(error.get()).map(|message| view! { <div class="mb-3"><Alert tone=Tone::Error>{message}</Alert></div> })}
        <ul class="divide-y divide-slate-100 dark:divide-slate-800" data-testid="invitation-list">
            {invitations.into_iter().map(|invitation| view! {
                <li class="flex flex-col gap-2 py-3 sm:flex-row sm:items-center sm:justify-between">
                    <div class="min-w-0 text-sm">
                        <p class="flex flex-wrap items-center gap-2 font-medium text-slate-900 dark:text-white">
                            {invitation.email.clone()}
                            <span class=format!("{CHIP} {CHIP_ROLE}")>{invitation.role.label()}</span>
                        </p>
                        <p class="text-xs text-slate-500 dark:text-slate-400">
                            {format!("Invited by {} · ", if invitation.invited_by.is_empty() { "a former member" } else { invitation.invited_by.as_str() })}
                            <RelativeTime at=invitation.created_at/>
                            {format!(" · expires {}", utc_datetime(invitation.expires_at))}
                        </p>
                    </div>
                    <ActionForm action=revoke>
                        <input type="hidden" name="invitation_id" value=invitation.id.clone()/>
                        <button type="submit" class=BUTTON_SECONDARY>"Withdraw"</button>
                    </ActionForm>
                </li>
            }).collect_view()}
        </ul>
    }
}
