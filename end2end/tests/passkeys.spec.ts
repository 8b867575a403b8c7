import { generateKeyPairSync, randomBytes } from "node:crypto";
import { expect, test, type BrowserContext, type Page } from "@playwright/test";
import { hydrated, signIn, signUp, STRONG } from "./support";

// Browsers accept a domain name, never an IP address, as the site a passkey
// belongs to: this spec talks to the server as http://localhost (its
// default PUBLIC_URL for a loopback address).
const SITE = "http://localhost:3100";

/** A platform authenticator with a PIN or fingerprint, as Chrome's DevTools emulate one. */
async function withAuthenticator(context: BrowserContext, page: Page) {
  const cdp = await context.newCDPSession(page);
  await cdp.send("WebAuthn.enable");
  const { authenticatorId } = await cdp.send("WebAuthn.addVirtualAuthenticator", {
    options: {
      protocol: "ctap2",
      transport: "internal",
      hasResidentKey: true,
      hasUserVerification: true,
      isUserVerified: true,
      automaticPresenceSimulation: true,
    },
  });
  return { cdp, authenticatorId };
}

test("a passkey: added in sudo mode, signs in by itself, renamed, removed", async ({ browser }) => {
  const context = await browser.newContext({ baseURL: SITE });
  const page = await context.newPage();
  const { cdp, authenticatorId } = await withAuthenticator(context, page);
  const email = `passkey-${Date.now()}@example.com`;
  await signUp(page, "Pat Passkey", email);

  await page.goto("/settings/authentication");
  await hydrated(page);
  await expect(page.getByRole("heading", { name: "Passkeys", exact: true })).toBeVisible();
  await expect(page.getByTestId("no-passkeys")).toBeVisible();
  const add = page.getByTestId("add-passkey-form");
  await add.getByLabel("Name (optional)").fill("Work laptop");
  // The suite's server asks for the password before every sensitive action;
  // a wrong one adds nothing and the browser's dialog never opens.
  await add.getByLabel("Password").fill("not my password at all");
  await add.getByRole("button", { name: "Add a passkey" }).click();
  await expect(add.getByText("Your password is incorrect.")).toBeVisible();
  const { credentials: none } = await cdp.send("WebAuthn.getCredentials", { authenticatorId });
  expect(none).toHaveLength(0);
  await add.getByLabel("Password").fill(STRONG);
  await add.getByRole("button", { name: "Add a passkey" }).click();
  const row = page.getByTestId("passkey-row");
  await expect(row.getByTestId("passkey-name")).toHaveText("Work laptop");
  await expect(row).toContainText("This device only");
  await expect(row.getByTestId("passkey-last-used")).toHaveText("Not used yet");
  const { credentials } = await cdp.send("WebAuthn.getCredentials", { authenticatorId });
  expect(credentials).toHaveLength(1);
  expect(credentials[0].isResidentCredential).toBe(true);

  // Signed out, the passkey alone signs back in: no password, no code. The
  // sign-in page offers it in the email field's autofill; the emulated
  // authenticator picks the only passkey there is, as the user would.
  await page.getByRole("button", { name: "Sign out" }).click();
  await expect(page).toHaveURL(/\/settings\/security$/);
  await expect(page.getByTestId("user-name")).toHaveText("Pat Passkey");
  await expect(page.locator("#sessions")).toContainText("Passkey");

  // A browser without passkey autofill gets the button.
  await context.addInitScript(() => {
    PublicKeyCredential.isConditionalMediationAvailable = async () => false;
  });
  await page.reload();
  await hydrated(page);
  await page.getByRole("button", { name: "Sign out" }).click();
  await expect(page).toHaveURL(/\/login/);
  await hydrated(page);
  // Exactly the sign-in page's button: the security page's sudo prompts
  // say "Use a passkey instead".
  await page.getByRole("button", { name: "Use a passkey", exact: true }).click();
  await expect(page).toHaveURL(/\/settings\/security$/);
  await expect(page.getByTestId("user-name")).toHaveText("Pat Passkey");

  await page.goto("/settings/authentication");
  await hydrated(page);
  await expect(row.getByTestId("passkey-last-used")).toContainText("Last used");
  await row.getByLabel("Rename Work laptop").click();
  await row.getByLabel("New name").fill("MacBook");
  await row.getByRole("button", { name: "Save name" }).click();
  await expect(row.getByTestId("passkey-name")).toHaveText("MacBook");

  await row.getByLabel("Remove MacBook").click();
  await row.getByLabel("Password").fill(STRONG);
  await row.getByRole("button", { name: "Remove passkey" }).click();
  await expect(page.getByTestId("no-passkeys")).toBeVisible();
  await context.close();
});

test("a passkey this site does not know is refused with a clear message", async ({ browser }) => {
  const context = await browser.newContext({ baseURL: SITE });
  const page = await context.newPage();
  const { cdp, authenticatorId } = await withAuthenticator(context, page);
  // A passkey for this site that was never registered here (or was removed).
  const { privateKey } = generateKeyPairSync("ec", { namedCurve: "P-256" });
  await cdp.send("WebAuthn.addCredential", {
    authenticatorId,
    credential: {
      credentialId: randomBytes(32).toString("base64"),
      isResidentCredential: true,
      rpId: "localhost",
      privateKey: privateKey.export({ format: "der", type: "pkcs8" }).toString("base64"),
      userHandle: randomBytes(16).toString("base64"),
      signCount: 0,
    },
  });
  await context.addInitScript(() => {
    PublicKeyCredential.isConditionalMediationAvailable = async () => false;
  });
  await page.goto("/login");
  await hydrated(page);
  await page.getByRole("button", { name: "Use a passkey" }).click();
  await expect(page.getByRole("alert")).toContainText("That passkey was not accepted");
  await expect(page).toHaveURL(/\/login/);
  await expect(page.getByRole("button", { name: "Use a passkey" })).toBeEnabled();
  await context.close();
});

test("a passkey as the second factor: 2FA on passkeys alone, then password + passkey signs in", async ({ browser }) => {
  const context = await browser.newContext({ baseURL: SITE });
  const page = await context.newPage();
  await withAuthenticator(context, page);
  // This test signs in with the password: no passkey offered in autofill.
  await context.addInitScript(() => {
    PublicKeyCredential.isConditionalMediationAvailable = async () => false;
  });
  const email = `second-factor-${Date.now()}@example.com`;
  await signUp(page, "Sol Second", email);

  await page.goto("/settings/security");
  await hydrated(page);
  await expect(page.locator("#two-factor")).toContainText("Prefer a passkey?");
  // Just signed in without a passkey: the page offers one, until "Not now".
  const offer = page.getByTestId("passkey-offer");
  await expect(offer).toContainText("Sign in faster next time — add a passkey");
  await offer.getByRole("button", { name: "Not now" }).click();
  await expect(offer).toHaveCount(0);
  await page.reload();
  await hydrated(page);
  await expect(page.locator("#two-factor")).toContainText("Prefer a passkey?");
  await expect(offer).toHaveCount(0);
  await page.goto("/settings/authentication");
  await hydrated(page);
  const add = page.getByTestId("add-passkey-form");
  await add.getByLabel("Password").fill(STRONG);
  await add.getByRole("button", { name: "Add a passkey" }).click();
  await expect(page.getByTestId("passkey-row")).toHaveCount(1);

  await page.goto("/settings/security");
  await hydrated(page);
  const usePasskeys = page.getByTestId("use-passkeys-form");
  await expect(usePasskeys).toContainText("Phishing-resistant");
  await usePasskeys.getByLabel("Password").fill(STRONG);
  await usePasskeys.getByRole("button", { name: "Use my passkeys" }).click();
  await expect(page.getByTestId("backup-codes-step")).toBeVisible();
  await page.getByRole("link", { name: "I have saved my codes" }).click();
  await expect(page.getByTestId("two-factor-enabled")).toContainText("Passkey");
  await expect(page.getByTestId("backup-codes-left")).toHaveText("10 of 10 backup codes left");

  await page.getByRole("button", { name: "Sign out" }).click();
  await expect(page).toHaveURL(/\/login/);
  await signIn(page, email);
  await expect(page).toHaveURL(/\/login\/two-factor$/);
  await hydrated(page);
  await expect(page.getByText("Confirm with one of your passkeys, or enter a backup code.")).toBeVisible();
  await page.getByRole("button", { name: "Use your passkey" }).click();
  await expect(page).toHaveURL(/\/settings\/security$/);
  await expect(page.getByTestId("user-name")).toHaveText("Sol Second");
  await expect(page.locator("#sessions")).toContainText("Password + passkey");
  await context.close();
});
