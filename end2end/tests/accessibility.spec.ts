// axe-core at WCAG 2.2 AA (wcag2a, wcag2aa, wcag21a, wcag21aa, wcag22aa) on
// every page and on every step that appears without navigation, in light and
// dark mode at 1280 and 375 px: 0 violations. Each test uses one account and
// checks the four modes on the same page, so the suite stays quick.
import { expect, test, type Page } from "@playwright/test";
import { STRONG, hydrated, base32Decode, totp, linkFromOutbox, confirmAndSignIn, signUp, signIn, submitSignIn } from "./support";
import { Audit, selfChangesAnnounced, tickingTextInLiveRegions } from "./a11y";

const IPHONE =
  "Mozilla/5.0 (iPhone; CPU iPhone OS 17_2 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.2 Mobile/15E148 Safari/604.1";

/** Saves what the page looks like at desktop width in light mode and at phone width in dark mode. */
async function screenshots(page: Page, name: string) {
  await page.screenshot({ path: `end2end/test-results/a11y-${name}-1280-light.png`, fullPage: true });
  await page.setViewportSize({ width: 375, height: 800 });
  await page.emulateMedia({ colorScheme: "dark" });
  await page.screenshot({ path: `end2end/test-results/a11y-${name}-375-dark.png`, fullPage: true });
  await page.setViewportSize({ width: 1280, height: 900 });
  await page.emulateMedia({ colorScheme: "light" });
}

/** Opens the page and audits it once the Wasm has hydrated it. */
async function visit(page: Page, audit: Audit, path: string, view = path) {
  await page.goto(path);
  await hydrated(page);
  await audit.check(page, view);
}

/** Text that changes by itself is outside live regions, and nothing is read out while the page sits still. */
async function expectQuietTicking(page: Page, view: string, watchMs: number) {
  expect.soft(await tickingTextInLiveRegions(page), `${view}: ticking text in a live region`).toEqual([]);
  expect.soft(await selfChangesAnnounced(page, watchMs), `${view}: live regions changed by themselves`).toEqual([]);
}

test("signed-out pages: sign-in, sign-up, password reset, the recovery links, errors", async ({ browser, page }) => {
  test.setTimeout(180_000);
  const audit = new Audit();
  const email = `a11y-out-${Date.now()}@example.com`;

  await visit(page, audit, "/login");
  await submitSignIn(page, email, "not the password at all");
  await expect(page.getByRole("alert")).toBeVisible();
  await audit.check(page, "/login with an error");

  await visit(page, audit, "/signup");
  await page.getByLabel("Full name").fill("Ada Access");
  await page.getByLabel("Work email").fill(email);
  await page.getByLabel("Password", { exact: true }).fill("password123");
  await page.getByRole("button", { name: "Create account" }).click();
  await expect(page.locator("#field-password-error")).toBeVisible();
  await audit.check(page, "/signup with a refused password and the meter");
  await page.getByLabel("Password", { exact: true }).fill(STRONG);
  await page.getByRole("button", { name: "Create account" }).click();
  await expect(page).toHaveURL(/\/login\?signup=sent/);
  await hydrated(page);
  await audit.check(page, "/login after sign-up (check your inbox)");
  await confirmAndSignIn(page, email);
  await hydrated(page);
  await page.getByRole("button", { name: "Sign out" }).click();
  await expect(page).toHaveURL(/\/login$/);

  await visit(page, audit, "/forgot-password");
  await page.getByLabel("Email address").fill(email);
  await page.getByRole("button", { name: "Send reset link" }).click();
  await expect(page.getByTestId("reset-sent")).toBeVisible();
  await audit.check(page, "/forgot-password, link sent");
  const reset = await linkFromOutbox(email, "/reset-password");
  await visit(page, audit, `/reset-password?token=${reset}`, "/reset-password (a valid link)");

  // A sign-in from a new device mails a "This wasn't me" link.
  const phone = await browser.newContext({ userAgent: IPHONE });
  await signIn(await phone.newPage(), email);
  const notMe = await linkFromOutbox(email, "/this-wasnt-me");
  await visit(page, audit, `/this-wasnt-me?token=${notMe}`, "/this-wasnt-me (a valid link)");
  await phone.close();

  const bogus = "x".repeat(43);
  for (const path of ["/reset-password", "/this-wasnt-me", "/verify-email", "/confirm-email", "/cancel-email-change", "/join"]) {
    await visit(page, audit, `${path}?token=${bogus}`, `${path} (an invalid link)`);
  }
  await visit(page, audit, "/recovered");
  await visit(page, audit, "/no-such-page", "the not-found page");
  audit.expectClean();
});

test("settings pages, each step of the 2FA set-up, the sudo prompt, the key reveal and the 2FA challenge", async ({
  page,
}) => {
  test.setTimeout(240_000);
  const audit = new Audit();
  const email = `a11y-in-${Date.now()}@example.com`;
  await signUp(page, "Ada Access", email);
  await hydrated(page);

  // Step 1 of the set-up: choose a method; the sudo prompt asks for the password.
  await audit.check(page, "/settings/security (2FA step 1 with the sudo prompt)");
  await expectQuietTicking(page, "/settings/security", 6_000);

  await page.locator("#start-totp-password").fill(STRONG);
  await page.getByRole("button", { name: "Set up authenticator app" }).click();
  await expect(page.getByTestId("qr-code").locator("svg")).toBeVisible();
  await audit.check(page, "2FA steps 2 and 3: QR code, manual key, code field");
  await screenshots(page, "two-factor-verify");
  const secret = base32Decode((await page.getByTestId("manual-key").innerText()).trim());
  await page.getByLabel("Enter the 6-digit code to turn it on").fill("12345");
  await page.getByRole("button", { name: "Verify and turn on" }).click();
  await expect(page.getByText("Enter the 6-digit code.")).toBeVisible();
  await audit.check(page, "2FA step 3 with a refused code");
  const step = Math.floor(Date.now() / 1000 / 30);
  await page.getByLabel("Enter the 6-digit code to turn it on").fill(totp(secret, step));
  await page.getByRole("button", { name: "Verify and turn on" }).click();
  await expect(page.getByTestId("backup-code")).toHaveCount(10);
  await audit.check(page, "2FA step 4: the backup codes");
  await page.getByRole("link", { name: "I have saved my codes" }).click();
  await expect(page.getByTestId("two-factor-enabled")).toBeVisible();
  await page.getByTestId("action-regenerate").locator("summary").click();
  await audit.check(page, "/settings/security (2FA on, the sudo prompt with a code)");

  // API keys: empty, the Admin key's sudo prompt, the one-time reveal, the row's confirmations.
  await visit(page, audit, "/settings/api-keys", "/settings/api-keys (no keys)");
  await page.getByRole("radio", { name: /^Admin/ }).check();
  await expect(page.locator("#create-key-password")).toBeVisible();
  await audit.check(page, "/settings/api-keys (Admin: the sudo prompt)");
  await page.getByRole("radio", { name: /^Read-only/ }).check();
  await page.getByLabel("Name").fill("Status dashboard");
  await page.getByRole("button", { name: "Create key" }).click();
  await expect(page.getByTestId("key-reveal")).toBeVisible();
  await audit.check(page, "/settings/api-keys (the one-time reveal)");
  await screenshots(page, "key-reveal");
  await expectQuietTicking(page, "the key reveal", 2_500);
  await page.getByRole("button", { name: "I've stored it, close" }).click();
  const row = page.getByTestId("key-row");
  await row.getByText("Rotate", { exact: true }).click();
  await row.getByText("Revoke", { exact: true }).click();
  await audit.check(page, "/settings/api-keys (a key, rotate and revoke open)");

  await visit(page, audit, "/settings/authentication");
  await visit(page, audit, "/settings/team", "/settings/team (no organization)");
  await visit(page, audit, "/two-factor-setup", "/two-factor-setup (2FA already on)");

  // The second step of signing in.
  await page.getByRole("button", { name: "Sign out" }).click();
  await expect(page).toHaveURL(/\/login$/);
  await signIn(page, email);
  await expect(page).toHaveURL(/\/login\/two-factor$/);
  await hydrated(page);
  await audit.check(page, "/login/two-factor");
  await expectQuietTicking(page, "/login/two-factor", 2_500);
  await page.getByLabel("Authentication code").fill("000000");
  await page.getByRole("button", { name: "Verify" }).click();
  await expect(page.getByRole("alert").first()).toBeVisible();
  await audit.check(page, "/login/two-factor with a refused code");
  audit.expectClean();
});

test("the Team page, the 2FA gate, an invitation and the grace-period banner", async ({ browser }) => {
  test.setTimeout(240_000);
  const audit = new Audit();
  const stamp = Date.now();
  const ownerEmail = `a11y-owner-${stamp}@example.com`;
  const memberEmail = `a11y-member-${stamp}@example.com`;

  const owner = await (await browser.newContext()).newPage();
  await signUp(owner, "Olga Owner", ownerEmail);
  await owner.goto("/settings/team");
  await hydrated(owner);
  await owner.getByLabel("Organization name").fill(`Access ${stamp}`);
  await owner.getByRole("button", { name: "Create organization" }).click();

  // Owners need 2FA: held at the gate, the set-up is all that is left.
  await expect(owner).toHaveURL(/\/two-factor-setup$/);
  await hydrated(owner);
  await audit.check(owner, "/two-factor-setup (held at the gate)");
  await owner.locator("#start-totp-password").fill(STRONG);
  await owner.getByRole("button", { name: "Set up authenticator app" }).click();
  const key = (await owner.getByTestId("manual-key").innerText()).trim();
  await owner.getByLabel("Enter the 6-digit code to turn it on").fill(totp(base32Decode(key)));
  await owner.getByRole("button", { name: "Verify and turn on" }).click();
  await expect(owner.getByTestId("backup-code")).toHaveCount(10);
  await owner.getByRole("link", { name: "I have saved my codes" }).click();
  await expect(owner.getByTestId("two-factor-done")).toBeVisible();
  await audit.check(owner, "/two-factor-setup (done)");

  await owner.goto("/settings/team");
  await hydrated(owner);
  await owner.getByLabel("Email address").fill(memberEmail);
  await owner.getByLabel("Role", { exact: true }).selectOption("member");
  await owner.getByRole("button", { name: "Send invitation" }).click();
  await expect(owner.getByText("Invitation sent.")).toBeVisible();
  await audit.check(owner, "/settings/team (owner, an invitation pending)");

  const member = await (await browser.newContext()).newPage();
  const token = await linkFromOutbox(memberEmail, "/join");
  await visit(member, audit, `/join?token=${token}`, "/join (a valid invitation, signed out)");
  await member.getByRole("link", { name: "New here? Create an account" }).click();
  await hydrated(member);
  await member.getByLabel("Full name").fill("Milo Member");
  await member.getByLabel("Work email").fill(memberEmail);
  await member.getByLabel("Password", { exact: true }).fill(STRONG);
  await member.getByRole("button", { name: "Create account" }).click();
  await confirmAndSignIn(member, memberEmail, STRONG, /\/join\?token=/);
  await hydrated(member);
  await audit.check(member, "/join (a valid invitation, signed in)");
  await member.getByRole("button", { name: "Accept invitation" }).click();
  await expect(member).toHaveURL(/\/settings\/team\?joined=1$/);
  await hydrated(member);
  await audit.check(member, "/settings/team (member, just joined)");

  // Production access with a day's grace: every settings page shows the countdown.
  await owner.goto("/settings/team#policy");
  await hydrated(owner);
  await owner.getByTestId("production-toggle").check();
  await owner.getByLabel("Grace period").selectOption("1");
  await owner.getByRole("button", { name: "Save policy" }).click();
  await expect(owner.getByText("Policy saved.")).toBeVisible();
  await owner.reload();
  await hydrated(owner);
  await audit.check(owner, "/settings/team (owner, production policy, a member without 2FA)");
  await visit(member, audit, "/settings/security", "/settings/security (the grace-period banner)");
  await expect(member.getByTestId("grace-banner")).toBeVisible();
  await screenshots(member, "grace-banner");
  await expectQuietTicking(member, "the grace-period banner", 2_500);
  audit.expectClean();
});
