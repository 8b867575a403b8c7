import { expect, test, type Page } from "@playwright/test";
import { STRONG, hydrated, base32Decode, totp, linkFromOutbox, confirmAndSignIn, signUp } from "./support";

/** On the held-at-the-gate page: turn on the authenticator app and save the codes. */
async function setUpAuthenticator(page: Page) {
  await expect(page).toHaveURL(/\/two-factor-setup$/);
  await hydrated(page);
  await expect(page.getByTestId("two-factor-required")).toBeVisible();
  await page.locator("#start-totp-password").fill(STRONG);
  await page.getByRole("button", { name: "Set up authenticator app" }).click();
  const key = (await page.getByTestId("manual-key").innerText()).trim();
  await page.getByLabel("Enter the 6-digit code to turn it on").fill(totp(base32Decode(key)));
  await page.getByRole("button", { name: "Verify and turn on" }).click();
  await expect(page.getByTestId("backup-code")).toHaveCount(10);
  await page.getByRole("link", { name: "I have saved my codes" }).click();
  await expect(page.getByTestId("two-factor-done")).toBeVisible();
  await page.getByRole("link", { name: "Continue to settings" }).click();
  await expect(page).toHaveURL(/\/settings\/security$/);
}

async function savePolicy(page: Page, production: boolean, grace: string) {
  await page.goto("/settings/team#policy");
  await hydrated(page);
  const toggle = page.getByTestId("production-toggle");
  if ((await toggle.isChecked()) !== production) await toggle.click();
  await page.getByLabel("Grace period").selectOption(grace);
  await page.getByRole("button", { name: "Save policy" }).click();
  await expect(page.getByText("Policy saved.")).toBeVisible();
}

test("an owner builds a team; production access sends a member without 2FA to set it up after the grace period", async ({
  browser,
}) => {
  const stamp = Date.now();
  const ownerEmail = `owner-${stamp}@example.com`;
  const memberEmail = `member-${stamp}@example.com`;

  // The owner signs up and creates the organization; Owners need 2FA, so set-up comes first.
  const owner = await (await browser.newContext()).newPage();
  await signUp(owner, "Olivia Owner", ownerEmail);
  await owner.goto("/settings/team");
  await hydrated(owner);
  await owner.getByLabel("Organization name").fill(`Acme ${stamp}`);
  await owner.getByRole("button", { name: "Create organization" }).click();
  await setUpAuthenticator(owner);

  // Invite a member; the link arrives by mail.
  await owner.goto("/settings/team");
  await hydrated(owner);
  await expect(owner.getByTestId("my-role")).toHaveText("Owner");
  await owner.getByLabel("Email address").fill(memberEmail);
  await owner.getByLabel("Role", { exact: true }).selectOption("member");
  await owner.getByRole("button", { name: "Send invitation" }).click();
  await expect(owner.getByText("Invitation sent.")).toBeVisible();
  await expect(owner.getByTestId("invitation-list")).toContainText(memberEmail);
  const token = await linkFromOutbox(memberEmail, "/join");

  // The member opens it, creates an account, comes back and joins.
  const member = await (await browser.newContext()).newPage();
  await member.goto(`/join?token=${token}`);
  await hydrated(member);
  await expect(member.getByTestId("join-title")).toHaveText(`Join Acme ${stamp}`);
  await member.getByRole("link", { name: "New here? Create an account" }).click();
  await expect(member).toHaveURL(/\/signup\?next=/);
  await hydrated(member);
  await member.getByLabel("Full name").fill("Max Member");
  await member.getByLabel("Work email").fill(memberEmail);
  await member.getByLabel("Password", { exact: true }).fill(STRONG);
  await member.getByRole("button", { name: "Create account" }).click();
  await confirmAndSignIn(member, memberEmail, STRONG, /\/join\?token=/);
  await hydrated(member);
  await member.getByRole("button", { name: "Accept invitation" }).click();
  await expect(member).toHaveURL(/\/settings\/team\?joined=1$/);
  await expect(member.getByTestId("my-role")).toHaveText("Member");

  // Production access with a day's grace: the member sees a countdown and can still work.
  await savePolicy(owner, true, "1");
  await expect(owner.getByTestId("production-badge")).toBeVisible();
  await owner.reload();
  await expect(owner.locator(`[data-testid=member-row][data-email="${memberEmail}"]`).getByTestId("no-2fa")).toBeVisible();
  await member.goto("/settings/security");
  await hydrated(member);
  await expect(member.getByTestId("grace-banner")).toContainText("requires two-factor authentication");
  const first = await member.getByTestId("grace-countdown").innerText();
  expect(first).toMatch(/^(23h|1d) /);
  await expect(member.getByTestId("grace-countdown")).not.toHaveText(first, { timeout: 5_000 });

  // The grace period ends (the owner shortens it to none): only the set-up is left.
  await savePolicy(owner, true, "0");
  await member.goto("/settings/api-keys");
  await setUpAuthenticator(member);

  // In again, everywhere; the owner sees the member's 2FA.
  await member.goto("/settings/api-keys");
  await expect(member).toHaveURL(/\/settings\/api-keys$/);
  await expect(member.getByRole("heading", { name: "API Keys" })).toBeVisible();
  await owner.reload();
  const row = owner.locator(`[data-testid=member-row][data-email="${memberEmail}"]`);
  await expect(row).toContainText("2FA: Authenticator app");
  await expect(owner.locator("#team-events")).toContainText("Member joined");
});
