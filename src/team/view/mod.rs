//! Settings → Team: create an organization, or see and manage yours — the
//! members, invitations, the 2FA policy, the team's security events and
//! leaving.

pub mod join;
pub mod members;
pub mod policy;

use super::api::{
    ChangeMemberRole, CreateOrganization, DeleteOrganization, InviteMember, LeaveOrganization,
    RemindTwoFactor, RemoveMember, RevokeInvitation, UpdateOrgPolicy, UpdatePasskeyPolicy,
    get_team,
};
use super::{ORG_NAME_MAX_CHARS, Role, Team};
use crate::two_factor::api::sudo_prompt;
use crate::ui::flash::{last_error, last_succeeded};
use crate::ui::style::{BUTTON_DANGER, INPUT, LABEL, SUMMARY};
use crate::ui::{Alert, Card, SubmitButton, Tone, field_error, form_level_error};
use leptos::prelude::*;
use leptos_router::hooks::use_query_map;
use members::{Invitations, InviteForm, MembersList};
use policy::{PasskeyPolicy, PolicyCard};

/// Every action of the Team page, so each card refreshes the list.
#[derive(Clone, Copy)]
pub struct TeamActions {
    pub create: ServerAction<CreateOrganization>,
    pub invite: ServerAction<InviteMember>,
    pub revoke_invitation: ServerAction<RevokeInvitation>,
    pub change_role: ServerAction<ChangeMemberRole>,
    pub remove: ServerAction<RemoveMember>,
    pub leave: ServerAction<LeaveOrganization>,
    pub delete: ServerAction<DeleteOrganization>,
    pub policy: ServerAction<UpdateOrgPolicy>,
    pub passkey_policy: ServerAction<UpdatePasskeyPolicy>,
    pub remind: ServerAction<RemindTwoFactor>,
}

impl TeamActions {
    fn new() -> Self {
        TeamActions {
            create: ServerAction::new(),
            invite: ServerAction::new(),
            revoke_invitation: ServerAction::new(),
            change_role: ServerAction::new(),
            remove: ServerAction::new(),
            leave: ServerAction::new(),
            delete: ServerAction::new(),
            policy: ServerAction::new(),
            passkey_policy: ServerAction::new(),
            remind: ServerAction::new(),
        }
    }

    /// Changes whenever any action finishes.
    fn version(&self) -> usize {
        self.create.version().get()
            + self.invite.version().get()
            + self.revoke_invitation.version().get()
            + self.change_role.version().get()
            + self.remove.version().get()
            + self.leave.version().get()
            + self.delete.version().get()
            + self.policy.version().get()
            + self.passkey_policy.version().get()
            + self.remind.version().get()
    }
}

/// `/settings/team`: the caller's organization, or the form to create one.
/// `checkup` (shown to Owners) and `events` (shown to Owners and Admins) are
/// the organization's security checkup and history, which other rooms draw.
#[component]
pub fn TeamPage(#[prop(into)] checkup: ViewFn, #[prop(into)] events: ViewFn) -> impl IntoView {
    let actions = TeamActions::new();
    let team = Resource::new(move || actions.version(), |_| get_team());
    let joined = use_query_map().with_untracked(|query| query.get("joined").is_some());
    view! {
        <crate::ui::PageHeading title="Team"
            description="Your organization's members and roles, and the two-factor policy that protects it."/>
        <div class="space-y-6">
            {joined.then(|| view! { <Alert tone=Tone::Success>"Welcome to the team. You joined the organization."</Alert> })}
            <Transition fallback=|| view! { <div class="h-40 animate-pulse rounded-xl bg-slate-100 dark:bg-slate-800"></div> }>
                {move || {
                    let (checkup, events) = (checkup.clone(), events.clone());
                    Suspend::new(async move {
                    match team.await {
                        Ok(Some(team)) => view! { <TeamBody team actions checkup events/> }.into_any(),
                        Ok(None) => view! { <NoOrganization actions/> }.into_any(),
                        Err(error) => view! { <Alert tone=Tone::Error>{error.to_string()}</Alert> }.into_any(),
                    }
                })
                }}
            </Transition>
        </div>
    }
}

/// Everything about an organization the caller belongs to.
#[component]
fn TeamBody(team: Team, actions: TeamActions, checkup: ViewFn, events: ViewFn) -> impl IntoView {
    let manager = team.my_role.manages_team();
    let without_two_factor = team
        .members
        .iter()
        .filter(|member| member.two_factor == Some(super::MemberTwoFactor::Off))
        .count();
    let my_role = team.my_role;
    let my_sudo_factor = team.my_sudo_factor;
    let invitations = team.invitations.clone();
    let organization = team.organization.clone();
    let org_name = organization.name.clone();
    let delete_name = organization.name.clone();
    let summary = team.clone();
    view! {
        <OrganizationSummary team=summary without_two_factor/>
        {(my_role == Role::Owner).then(|| checkup.run())}
        {manager.then(|| view! {
            <Card id="invite" title="Invite a member"
                description="They get an email with a link that works once, for 7 days.">
                <InviteForm invite=actions.invite my_role/>
            </Card>
        })}
        <Card id="members" title="Members"
            description="Owners and Admins need two-factor authentication; a member's API keys never exceed their role.">
            <MembersList team actions without_two_factor/>
        </Card>
        {(manager && !invitations.is_empty()).then(|| view! {
            <Card id="invitations" title="Pending invitations">
                <Invitations invitations revoke=actions.revoke_invitation/>
            </Card>
        })}
        <Card id="policy" title="Security policy"
            description="Production access, required two-factor authentication and passkeys, with a grace period to set them up.">
            <PolicyCard organization=organization.clone() editable=my_role == Role::Owner policy=actions.policy/>
            <PasskeyPolicy organization editable=my_role == Role::Owner action=actions.passkey_policy factor=my_sudo_factor/>
        </Card>
        {manager.then(|| view! {
            <Card id="team-events" title="Team security events"
                description="Invitations, joins, role changes, removals, policy changes and the API keys they affected.">
                {events.run()}
            </Card>
        })}
        <Card id="leave" title="Leave organization">
            <LeaveForm leave=actions.leave organization=org_name/>
        </Card>
        {(my_role == Role::Owner).then(|| view! {
            <Card id="delete" title="Delete organization"
                description="Removes every member, revokes their API keys and withdraws pending invitations. This cannot be undone.">
                <DeleteForm delete=actions.delete organization=delete_name factor=my_sudo_factor/>
            </Card>
        })}
    }
}

/// Name, the caller's role, and the policy at a glance.
#[component]
fn OrganizationSummary(team: Team, without_two_factor: usize) -> impl IntoView {
    let organization = team.organization;
    let chip = "rounded-full px-2.5 py-0.5 text-xs font-medium";
    view! {
        <section aria-label="Organization" class="rounded-xl border border-slate-200 bg-white p-5 shadow-sm sm:p-6 dark:border-slate-800 dark:bg-slate-900">
            <div class="flex flex-wrap items-center justify-between gap-3">
                <div class="flex items-center gap-3">
                    <span aria-hidden="true" class="flex h-10 w-10 items-center justify-center rounded-lg bg-indigo-600 text-base font-semibold text-white">
                        {organization.name.chars().next().map(|c| c.to_uppercase().to_string()).unwrap_or_default()}
                    </span>
                    <div>
                        <p class="text-base font-semibold text-slate-900 dark:text-white" data-testid="org-name">{organization.name.clone()}</p>
                        <p class="text-sm text-slate-500 dark:text-slate-400">
                            {format!("{} member{} · you are ", team.members.len(), if team.members.len() == 1 { "" } else { "s" })}
                            <span class="font-medium text-slate-700 dark:text-slate-200" data-testid="my-role">{team.my_role.label()}</span>
                        </p>
                    </div>
                </div>
                <div class="flex flex-wrap gap-2">
                    {organization.production.then(|| view! {
                        <span class=format!("{chip} bg-rose-100 text-rose-800 dark:bg-rose-900/40 dark:text-rose-200") data-testid="production-badge">"Production"</span>
                    })}
                    {if organization.requires_two_factor_for_all() {
                        view! { <span class=format!("{chip} bg-emerald-100 text-emerald-800 dark:bg-emerald-900/40 dark:text-emerald-200")>"2FA required for everyone"</span> }.into_any()
                    } else {
                        view! { <span class=format!("{chip} bg-slate-100 text-slate-700 dark:bg-slate-800 dark:text-slate-300")>"2FA required for Owners and Admins"</span> }.into_any()
                    }}
                    {organization.require_passkey.then(|| view! {
                        <span class=format!("{chip} bg-emerald-100 text-emerald-800 dark:bg-emerald-900/40 dark:text-emerald-200") data-testid="passkey-policy-badge">"Passkeys required for Owners and Admins"</span>
                    })}
                    {(without_two_factor > 0).then(|| view! {
                        <a href="#members" class=format!("{chip} bg-amber-100 text-amber-800 dark:bg-amber-900/40 dark:text-amber-200")>
                            {format!("{without_two_factor} without 2FA")}
                        </a>
                    })}
                </div>
            </div>
        </section>
    }
}

/// For someone in no organization: create one, or wait for an invitation.
#[component]
fn NoOrganization(actions: TeamActions) -> impl IntoView {
    let error = last_error(actions.create);
    view! {
        <Card id="create-organization" title="Create an organization"
            description="Invite your team, give each person a role, and require two-factor authentication where it matters.">
            <ActionForm action=actions.create attr:class="space-y-4" attr:data-testid="create-org-form">
                {move || form_level_error(error.get()).map(|message| view! { <Alert tone=Tone::Error>{message}</Alert> })}
                <div class="max-w-md space-y-1.5">
                    <label for="org-name" class=LABEL>"Organization name"</label>
                    <input id="org-name" name="name" type="text" required maxlength=ORG_NAME_MAX_CHARS.to_string()
                        placeholder="e.g. Acme Inc." autocomplete="organization" class=INPUT
                        aria-invalid=move || field_error(&error.get(), "name").is_some().then_some("true")/>
                    {move || field_error(&error.get(), "name").map(|m| view! { <p class="text-sm text-red-600 dark:text-red-400" role="alert">{m}</p> })}
                </div>
                <p class="text-sm text-slate-500 dark:text-slate-400">
                    "You become its Owner. Owners need two-factor authentication, so you will set it up next if it is off."
                </p>
                <SubmitButton label="Create organization" busy_label="Creating…" pending=actions.create.pending()/>
            </ActionForm>
            <p class="mt-5 border-t border-slate-100 pt-4 text-sm text-slate-500 dark:border-slate-800 dark:text-slate-400">
                "Invited to a team? Open the link in the invitation email while signed in with the invited address."
            </p>
        </Card>
    }
}

/// Leaving, behind a confirmation; the last Owner is told why not.
#[component]
fn LeaveForm(leave: ServerAction<LeaveOrganization>, organization: String) -> impl IntoView {
    let error = last_error(leave);
    let left = last_succeeded(leave);
    view! {
        {move || form_level_error(error.get()).or_else(|| field_error(&error.get(), "organization"))
            .map(|message| view! { <div class="mb-3"><Alert tone=Tone::Error>{message}</Alert></div> })}
        {move || left.get().then(|| view! { <div class="mb-3"><Alert tone=Tone::Success>"You left the organization."</Alert></div> })}
        <details class="group">
            <summary class=SUMMARY>"Leave organization…"</summary>
            <div class="mt-3 space-y-3 rounded-lg border border-red-200 bg-red-50 p-4 text-sm text-red-900 dark:border-red-900/60 dark:bg-red-950/40 dark:text-red-100">
                <p>{format!("You lose access to {organization}, and your API keys are revoked.")}</p>
                <ActionForm action=leave>
                    <button type="submit" class=BUTTON_DANGER disabled=move || leave.pending().get()>"Leave for good"</button>
                </ActionForm>
            </div>
        </details>
    }
}

/// Deleting, behind the organization's name typed out and sudo mode.
#[component]
fn DeleteForm(
    delete: ServerAction<DeleteOrganization>,
    organization: String,
    factor: crate::two_factor::SudoFactor,
) -> impl IntoView {
    let error = last_error(delete);
    view! {
        <details class="group">
            <summary class=SUMMARY>"Delete organization…"</summary>
            <ActionForm action=delete attr:class="mt-3 space-y-3 rounded-lg border border-red-200 bg-red-50 p-4 text-sm text-red-900 dark:border-red-900/60 dark:bg-red-950/40 dark:text-red-100">
                {move || form_level_error(error.get()).map(|message| view! { <Alert tone=Tone::Error>{message}</Alert> })}
                <div class="max-w-md space-y-1.5">
                    <label for="delete-confirm" class=LABEL>{format!("Type {organization} to confirm")}</label>
                    <input id="delete-confirm" name="confirm" type="text" required autocomplete="off" class=INPUT
                        maxlength=ORG_NAME_MAX_CHARS.to_string()/>
                    {move || field_error(&error.get(), "confirm").map(|m| view! { <p class="text-sm text-red-600 dark:text-red-400" role="alert">{m}</p> })}
                </div>
                <crate::ui::SudoFields id="delete-org" second_factor=sudo_prompt(factor) error/>
                <button type="submit" class=BUTTON_DANGER disabled=move || delete.pending().get()>"Delete organization"</button>
            </ActionForm>
        </details>
    }
}
