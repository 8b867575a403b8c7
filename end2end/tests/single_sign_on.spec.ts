import { expect, test, type Page } from "@playwright/test";
import { Audit } from "./a11y";
import { STRONG, base32Decode, hydrated, signUp, totp } from "./support";

// The identity provider sends the browser back to PUBLIC_URL
// (http://localhost:3100), where the flow cookie was set.
const SITE = "http://localhost:3100";
// The suite's DNS server (end2end/dns/server.mjs): the spec creates the TXT
// record there, as an Owner would at their DNS host.
const DNS_CONTROL = "http://127.0.0.1:3154";
// The company's identity provider: oidc-provider with a client registered
// for our SSO callback (playwright.config.ts).
const ISSUER = "http://127.0.0.1:3101";
// These people sign up from their own network, not the suite's address.
const ELSEWHERE = { "X-Forwarded-For": "203.0.113.21" };

/** Signs in at oidc-provider's login page as `login`, then consents. */
async function signInAtIdp(page: Page, login: string) {
  await expect(page).toHaveURL(/127\.0\.0\.1:3101\/interaction\//);
  await page.locator('input[name="login"]').fill(login);
  await page.locator('input[name="password"]').fill("any password");
  await page.locator('button[type="submit"]').click();
  await page.getByRole("button", { name: "Continue" }).click();
}

/** Creates the organization and turns on the authenticator app (Owners need 2FA); returns the backup codes. */
async function createOrganization(page: Page, name: string): Promise<string[]> {
  await page.goto("/settings/team");
  await hydrated(page);
  await page.getByLabel("Organization name").fill(name);
  await page.getByRole("button", { name: "Create organization" }).click();
  await expect(page).toHaveURL(/\/two-factor-setup$/);
  await hydrated(page);
  await page.locator("#start-totp-password").fill(STRONG);
  await page.getByRole("button", { name: "Set up authenticator app" }).click();
  const key = (await page.getByTestId("manual-key").innerText()).trim();
  await page.getByLabel("Enter the 6-digit code to turn it on").fill(totp(base32Decode(key)));
  await page.getByRole("button", { name: "Verify and turn on" }).click();
  await expect(page.getByTestId("backup-code")).toHaveCount(10);
  const codes = (await page.getByTestId("backup-code").allInnerTexts()).map((code) => code.trim());
  await page.getByRole("link", { name: "I have saved my codes" }).click();
  return codes;
}

test("an Owner sets up SSO, and a new member signs in through the identity provider's pages", async ({ browser }) => {
  test.setTimeout(150_000);
  const audit = new Audit();
  const stamp = Date.now();
  const domain = `corp${stamp}.test`;
  const orgName = `Corp ${stamp}`;
  const ownerContext = await browser.newContext({ baseURL: SITE, extraHTTPHeaders: ELSEWHERE });
  const owner = await ownerContext.newPage();
  const ownerEmail = `olivia@${domain}`;
  await signUp(owner, "Olivia Owner", ownerEmail);
  const backupCodes = await createOrganization(owner, orgName);

  // The identity provider's settings, saved in sudo mode: pending until tested.
  await owner.goto("/settings/authentication#single-sign-on");
  await hydrated(owner);
  const card = owner.getByTestId("sso-card");
  await expect(card.getByTestId("sso-status")).toHaveText("Not set up");
  await expect(card.locator("#sso-redirect-uri")).toHaveValue(`${SITE}/auth/sso/callback`);
  const settings = card.getByTestId("sso-settings-form");
  await settings.getByLabel("Name on the sign-in button").fill(orgName);
  await settings.getByLabel("Issuer URL").fill(ISSUER);
  await settings.getByLabel("Client id").fill("statusstack-sso");
  await settings.getByLabel("Client secret").fill("e2e-sso-secret");
  await settings.getByLabel("Password", { exact: true }).fill(STRONG);
  await settings.getByLabel(/code/i).fill(backupCodes[0]);
  await settings.getByRole("button", { name: "Save settings" }).click();
  await expect(card.getByTestId("sso-status")).toHaveText("Waiting for a test");
  await expect(card.getByTestId("sso-discovery")).toContainText(ISSUER);

  // Test connection: a real sign-in at the identity provider turns them on.
  await card.getByTestId("sso-test").click();
  await signInAtIdp(owner, ownerEmail);
  await expect(owner).toHaveURL(/\/settings\/authentication\?sso_test=passed/);
  await hydrated(owner);
  await expect(owner.getByTestId("sso-test-outcome")).toContainText("The connection works");
  await expect(owner.getByTestId("sso-status")).toHaveText("Active");

  // The domain: add it, create the TXT record we show, verify.
  const add = owner.getByTestId("sso-add-domain");
  await add.getByLabel("Add a domain").fill(domain);
  await add.getByLabel("Password", { exact: true }).fill(STRONG);
  await add.getByLabel(/code/i).fill(backupCodes[1]);
  await add.getByRole("button", { name: "Add domain" }).click();
  const value = owner.getByTestId("sso-record-value");
  await expect(value).toHaveValue(/^statusstack-verification=/);
  const record = await value.inputValue();
  const created = await fetch(`${DNS_CONTROL}/txt/_statusstack-verification.${domain}`, {
    method: "PUT",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ values: [record] }),
  });
  expect(created.status).toBe(204);
  await owner.getByTestId("sso-verify").click();
  await expect(owner.getByTestId("sso-domain-verified")).toBeVisible();
  await audit.check(owner, "the Owner's Single sign-on card");

  // A new person: "Sign in with SSO", their work address, the identity
  // provider's pages, and they land on the Team page as a Member.
  const memberContext = await browser.newContext({ baseURL: SITE, extraHTTPHeaders: ELSEWHERE });
  const member = await memberContext.newPage();
  const memberEmail = `mia@${domain}`;
  await member.goto("/login");
  await hydrated(member);
  // Typing a work address on the sign-in page offers its organization's SSO.
  await member.getByLabel("Email address").fill(memberEmail);
  await expect(member.getByTestId("sso-offer")).toContainText(`Continue with ${orgName} SSO`);
  await audit.check(member, "/login offering SSO for the typed address");
  await member.getByTestId("sign-in-with-sso").click();
  await expect(member).toHaveURL(/\/login\/sso$/);
  await member.getByLabel("Work email address").fill(memberEmail);
  await member.getByRole("button", { name: "Find my organization" }).click();
  await expect(member.getByTestId("sso-choice")).toBeVisible();
  await audit.check(member, "/login/sso with the organization found");
  await member.getByRole("link", { name: `Continue with ${orgName} SSO` }).click();
  await signInAtIdp(member, memberEmail);
  await expect(member).toHaveURL(`${SITE}/settings/team`);
  await hydrated(member);
  await expect(member.getByTestId("my-role")).toHaveText("Member");
  await expect(member.getByText(orgName).first()).toBeVisible();

  // The member's Authentication page says what the organization's SSO
  // means for them (the Owner's settings stay the Owner's).
  await member.goto("/settings/authentication");
  await hydrated(member);
  await expect(member.getByTestId("member-sso")).toContainText(`${orgName} offers single sign-on through ${orgName}`);
  await expect(member.getByTestId("sso-card")).toHaveCount(0);
  await audit.check(member, "a member's Single sign-on card");

  // A round trip that went wrong lands back on the SSO page, saying why.
  await member.goto(`/login/sso?email=nobody@nowhere.test&sso_error=unverified_domain`);
  await hydrated(member);
  await expect(member.getByTestId("sso-problem")).toContainText("not on a domain this organization has verified");
  await expect(member.getByTestId("sso-none")).toBeVisible();
  await audit.check(member, "/login/sso with a problem and no organization");

  await ownerContext.close();
  await memberContext.close();
  audit.expectClean();
});
