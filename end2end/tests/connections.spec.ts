import { expect, test, type Page } from "@playwright/test";
import { hydrated, signUp, STRONG } from "./support";

// The provider sends the browser back to the server's PUBLIC_URL
// (http://localhost:3100), where the flow cookie was set: this spec talks
// to the server by that name.
const SITE = "http://localhost:3100";
// These people sign up from their own network (the server trusts the
// suite's X-Forwarded-For), not from the address every other spec signs up
// from: the per-address sign-up limit is the product's, not the suite's.
const ELSEWHERE = { "X-Forwarded-For": "203.0.113.7" };

/** Signs in at oidc-provider's own login page, then grants consent if it asks. */
async function signInAtAcme(page: Page, login: string) {
  await expect(page).toHaveURL(/127\.0\.0\.1:3101\/interaction\//);
  await page.locator('input[name="login"]').fill(login);
  await page.locator('input[name="password"]').fill("any password");
  await page.locator('button[type="submit"]').click();
  // The consent page (first time for this client), then back to us.
  const consent = page.getByRole("button", { name: "Continue" });
  await consent.click();
}

test("a new person signs up through Acme ID's login and consent pages", async ({ browser }) => {
  const context = await browser.newContext({ baseURL: SITE, extraHTTPHeaders: ELSEWHERE });
  const page = await context.newPage();
  const login = `erin-${Date.now()}@example.test`;
  await page.goto("/login");
  await hydrated(page);
  await page.getByRole("button", { name: "Continue with Acme ID" }).click();
  await signInAtAcme(page, login);
  await expect(page).toHaveURL(`${SITE}/settings/security`);
  await expect(page.getByRole("heading", { name: "Security", level: 1 })).toBeVisible();
  // No password to confirm with: the prompts say how to set one instead.
  await hydrated(page);
  const twoFactor = page.locator("#two-factor");
  await expect(twoFactor.getByTestId("sudo-no-password").first()).toContainText("no password to confirm with");
  await expect(twoFactor.getByLabel("Password", { exact: true })).toHaveCount(0);
  // The password card offers to set one, not to change one it lacks.
  const password = page.locator("#password");
  await expect(password.getByRole("heading", { name: "Set a password" })).toBeVisible();
  await expect(password.getByLabel("Current password")).toHaveCount(0);
  await expect(page.getByTestId("password-changed")).toHaveText("No password set");

  await page.goto("/settings/authentication");
  await hydrated(page);
  const row = page.getByTestId("provider-acme");
  await expect(row.getByTestId("connected-account")).toHaveText(login);
  await expect(page.getByText("Your account has no password yet")).toBeVisible();
  await expect(page.locator("#sign-in-password").getByTestId("set-password-by-email")).toContainText(login);
  // Its only way in: the disconnect explains instead of offering the button.
  await row.getByLabel("Disconnect Acme ID").click();
  await expect(row.getByText("is your only way to sign in")).toBeVisible();
  await expect(row.getByRole("button", { name: "Disconnect Acme ID" })).toHaveCount(0);

  // One press from the card to the emailed link: the address is filled in.
  await page.getByRole("link", { name: "Email me a link to set a password" }).click();
  await expect(page).toHaveURL(/\/forgot-password\?email=/);
  await hydrated(page);
  await expect(page.getByLabel("Email address")).toHaveValue(login);
  await page.getByRole("button", { name: "Send reset link" }).click();
  await expect(page.getByTestId("reset-sent")).toBeVisible();
  await context.close();
});

test("an account connects Acme ID in sudo mode, then signs in with it", async ({ browser }) => {
  const context = await browser.newContext({ baseURL: SITE, extraHTTPHeaders: ELSEWHERE });
  const page = await context.newPage();
  const email = `connect-${Date.now()}@example.com`;
  await signUp(page, "Cody Connect", email);

  await page.goto("/settings/authentication");
  await hydrated(page);
  const row = page.getByTestId("provider-acme");
  await expect(row.getByText("Not connected")).toBeVisible();
  await row.getByLabel("Connect Acme ID").click();
  // The suite's server asks for the password before every sensitive action.
  await row.getByLabel("Password", { exact: true }).fill(STRONG);
  await row.getByRole("button", { name: "Continue to Acme ID" }).click();
  const login = `cody-${Date.now()}@acme.example`;
  await signInAtAcme(page, login);
  await expect(page).toHaveURL(/\/settings\/authentication\?connected=acme/);
  await expect(page.getByTestId("connection-added")).toContainText("Acme ID is connected");
  await expect(row.getByTestId("connected-account")).toHaveText(login);

  // Signed out, Acme ID signs in to the same account (the provider
  // remembers the person and the consent: straight back).
  await page.getByRole("button", { name: "Sign out" }).click();
  await expect(page).toHaveURL(/\/login/);
  await hydrated(page);
  await page.getByRole("button", { name: "Continue with Acme ID" }).click();
  await expect(page).toHaveURL(`${SITE}/settings/security`);
  await page.goto("/settings/security#sessions");
  await expect(page.getByText(/with Acme ID/).first()).toBeVisible();
  await context.close();
});
