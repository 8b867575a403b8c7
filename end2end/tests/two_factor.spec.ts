import { expect, test, type Page } from "@playwright/test";
import { STRONG, hydrated, base32Decode, totp, confirmAndSignIn, signUp, signIn } from "./support";

/** Signs in with the password and waits on the 2FA challenge. */
async function signInToChallenge(page: Page, email: string) {
  await signIn(page, email);
  await expect(page).toHaveURL(/\/login\/two-factor$/);
  await hydrated(page);
}

test("authenticator app: enable, save backup codes, sign in with a code and a backup code, turn off", async ({
  page,
}) => {
  const email = `tfa-${Date.now()}@example.com`;
  await signUp(page, "Tove Twofactor", email);
  await hydrated(page);
  await expect(page.getByTestId("two-factor-badge")).toHaveText("Two-factor authentication is off");

  // Step 1 → 2: confirm it's you, choose the app; the QR code and the manual key appear.
  await page.locator("#start-totp-password").fill(STRONG);
  await page.getByRole("button", { name: "Set up authenticator app" }).click();
  await expect(page.getByTestId("qr-code").locator("svg")).toBeVisible();
  const key = (await page.getByTestId("manual-key").innerText()).trim();
  expect(key).toMatch(/^([A-Z2-7]{4} ){7}[A-Z2-7]{4}$/);
  const secret = base32Decode(key);

  // Step 3: a wrong code keeps it off, the app's code turns it on.
  await page.getByLabel("Enter the 6-digit code to turn it on").fill("12345");
  await page.getByRole("button", { name: "Verify and turn on" }).click();
  await expect(page.getByText("Enter the 6-digit code.")).toBeVisible();
  const step = Math.floor(Date.now() / 1000 / 30);
  await page.getByLabel("Enter the 6-digit code to turn it on").fill(totp(secret, step));
  await page.getByRole("button", { name: "Verify and turn on" }).click();

  // Step 4: ten backup codes, shown once.
  const codes = page.getByTestId("backup-code");
  await expect(codes).toHaveCount(10);
  const backupCodes = (await codes.allInnerTexts()).map((code) => code.trim());
  for (const code of backupCodes) expect(code).toMatch(/^[2-9a-hjkmnp-z]{5}-[2-9a-hjkmnp-z]{5}$/);
  await expect(page.getByRole("link", { name: "Download .txt" })).toHaveAttribute(
    "download",
    "statusstack-backup-codes.txt",
  );
  await page.getByRole("link", { name: "I have saved my codes" }).click();
  await expect(page.getByTestId("two-factor-enabled")).toBeVisible();
  await expect(page.getByTestId("two-factor-badge")).toContainText("is on");
  await expect(page.getByTestId("backup-codes-left")).toHaveText("10 of 10 backup codes left");
  await page.reload();
  await expect(page.getByTestId("backup-code")).toHaveCount(0);

  // Sign out, then in with the app's next code (the enrolment code is spent).
  await page.getByRole("button", { name: "Sign out" }).click();
  await expect(page).toHaveURL(/\/login$/);
  await signInToChallenge(page, email);
  await page.getByLabel("Authentication code").fill(totp(secret, step + 1));
  await page.getByRole("button", { name: "Verify" }).click();
  await expect(page).toHaveURL(/\/settings\/security$/);

  // And again with a backup code instead.
  await hydrated(page);
  await page.getByRole("button", { name: "Sign out" }).click();
  await expect(page).toHaveURL(/\/login$/);
  await signInToChallenge(page, email);
  await page.getByLabel("Authentication code").fill(backupCodes[0]);
  await page.getByRole("button", { name: "Verify" }).click();
  await expect(page).toHaveURL(/\/settings\/security$/);
  await hydrated(page);
  await expect(page.getByTestId("backup-codes-left")).toHaveText("9 of 10 backup codes left");

  // Turning it off asks for the password and a second factor first.
  await page.getByTestId("action-disable").locator("summary").click();
  await page.locator("#disable-password").fill(STRONG);
  await page.locator("#disable-code").fill(backupCodes[1]);
  await page.getByRole("button", { name: "Turn off two-factor authentication" }).click();
  await expect(page.getByTestId("two-factor-badge")).toHaveText("Two-factor authentication is off");
  await expect(page.getByRole("button", { name: "Set up authenticator app" })).toBeVisible();
});

test.describe("without JavaScript", () => {
  test.use({ javaScriptEnabled: false });

  test("turning on the authenticator app with plain forms still shows the backup codes, once", async ({ page }) => {
    const email = `nojs-tfa-${Date.now()}@example.com`;
    await page.goto("/signup");
    await page.getByLabel("Full name").fill("Nadia Noscript");
    await page.getByLabel("Work email").fill(email);
    await page.getByLabel("Password", { exact: true }).fill(STRONG);
    await page.getByRole("button", { name: "Create account" }).click();
    await confirmAndSignIn(page, email);

    await page.locator("#start-totp-password").fill(STRONG);
    await page.getByRole("button", { name: "Set up authenticator app" }).click();
    const key = (await page.getByTestId("manual-key").innerText()).trim();
    await page.getByLabel("Enter the 6-digit code to turn it on").fill(totp(base32Decode(key)));
    await page.getByRole("button", { name: "Verify and turn on" }).click();

    // The form post's answer is a redirect; the page it leads to shows the codes.
    await expect(page).toHaveURL(/\/settings\/security/);
    await expect(page.getByTestId("backup-code")).toHaveCount(10);
    await page.getByRole("link", { name: "I have saved my codes" }).click();
    await expect(page.getByTestId("two-factor-badge")).toContainText("is on");
    await expect(page.getByTestId("backup-code")).toHaveCount(0);
    await page.reload();
    await expect(page.getByTestId("backup-code")).toHaveCount(0);
  });
});
