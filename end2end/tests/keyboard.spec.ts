// Keyboard only: Tab, Shift+Tab, Enter, Space and typing. At every step the
// focused control shows it, focus never gets stuck, and a result that appears
// without navigation (the next step, the codes, the key, an error, a revoked
// key or session) receives focus and is in a live region.
import { expect, test, type Page } from "@playwright/test";
import { STRONG, hydrated, base32Decode, totp, signUp, signIn } from "./support";
import { expectNoTrap, expectVisibleFocus, holdsFocus, liveText, tabTo } from "./a11y";

const IPHONE =
  "Mozilla/5.0 (iPhone; CPU iPhone OS 17_2 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.2 Mobile/15E148 Safari/604.1";

/** Starts keyboard navigation from the top of the page, as after a fresh load. */
async function fromTop(page: Page) {
  await page.evaluate(() => {
    (document.activeElement as HTMLElement | null)?.blur();
    window.scrollTo(0, 0);
  });
}

test("set up the authenticator app with the keyboard alone", async ({ page }) => {
  test.setTimeout(120_000);
  await signUp(page, "Kai Keyboard", `kbd-2fa-${Date.now()}@example.com`);
  await hydrated(page);
  await fromTop(page);

  // Step 1: the password of the sudo prompt, then the method's button.
  await tabTo(page, page.locator("#start-totp-password"));
  await page.keyboard.type(STRONG);
  await tabTo(page, page.getByRole("button", { name: "Set up authenticator app" }));
  await page.keyboard.press("Enter");

  // Steps 2 and 3: focus moves to the new step, which is announced.
  const verifyStep = page.getByTestId("verify-step");
  await expect(page.getByTestId("qr-code").locator("svg")).toBeVisible();
  await expect.poll(() => holdsFocus(verifyStep)).toBe(true);
  await expectVisibleFocus(page, "the QR code step");
  await expect.poll(() => liveText(page)).toContain("Scan the QR code");
  const secret = base32Decode((await page.getByTestId("manual-key").innerText()).trim());

  // A wrong code: focus on the field, the error is in an alert and describes the field.
  const code = page.locator("#enrol-code");
  await tabTo(page, code);
  await page.keyboard.type("12345");
  await page.keyboard.press("Enter");
  await expect(page.getByRole("alert").filter({ hasText: "Enter the 6-digit code." })).toBeVisible();
  await expect.poll(() => holdsFocus(code)).toBe(true);
  await expectVisibleFocus(page, "the refused code");
  await expect(code).toHaveAttribute("aria-invalid", "true");
  const describedBy = (await code.getAttribute("aria-describedby")) ?? "";
  await expect(page.locator(`[id="${describedBy.split(" ").pop()}"]`)).toHaveText("Enter the 6-digit code.");

  // The right code: focus moves to the backup codes, announced.
  await page.keyboard.press("ControlOrMeta+A");
  await page.keyboard.type(totp(secret));
  await page.keyboard.press("Enter");
  const codes = page.getByTestId("backup-codes-step");
  await expect(page.getByTestId("backup-code")).toHaveCount(10);
  await expect.poll(() => holdsFocus(codes)).toBe(true);
  await expectVisibleFocus(page, "the backup codes");
  await expect.poll(() => liveText(page)).toContain("Save your backup codes");
  await expectNoTrap(page, codes);

  // Done: focus goes to the status, which says 2FA is on.
  await tabTo(page, page.getByRole("link", { name: "I have saved my codes" }), { back: true });
  await page.keyboard.press("Enter");
  const enabled = page.getByTestId("two-factor-enabled");
  await expect(enabled).toBeVisible();
  await expect.poll(() => holdsFocus(enabled)).toBe(true);
  await expectVisibleFocus(page, "2FA is on");
  await expect.poll(() => liveText(page)).toContain("Two-factor authentication is on");
});

test("create and revoke an API key with the keyboard alone", async ({ page }) => {
  test.setTimeout(120_000);
  await signUp(page, "Kai Keyboard", `kbd-keys-${Date.now()}@example.com`);
  await hydrated(page);
  await page.goto("/settings/api-keys");
  await hydrated(page);
  await fromTop(page);

  await tabTo(page, page.getByLabel("Name"));
  await page.keyboard.type("Keyboard key");
  await tabTo(page, page.getByRole("button", { name: "Create key" }));
  await page.keyboard.press("Enter");

  // The one-time reveal takes focus and is announced; Tab leaves it.
  const panel = page.getByTestId("key-reveal");
  await expect(panel).toBeVisible();
  await expect.poll(() => holdsFocus(panel)).toBe(true);
  await expectVisibleFocus(page, "the key reveal");
  await expect.poll(() => liveText(page)).toContain("Keyboard key");
  await tabTo(page, panel.getByRole("button", { name: "Copy key" }));
  await page.keyboard.press("Space");
  await expect(panel.getByRole("button", { name: "Copied" })).toBeVisible();
  await expectNoTrap(page, panel);
  // Shift+Tab came back to the panel's last control.
  await expect.poll(() => holdsFocus(panel.getByRole("button", { name: "I've stored it, close" }))).toBe(true);
  await page.keyboard.press("Enter");
  await expect(panel).toBeHidden();
  await expectVisibleFocus(page, "after closing the reveal");

  // Revoke: open the confirmation with Enter, confirm with Enter.
  const row = page.getByTestId("key-row");
  await tabTo(page, row.locator("summary", { hasText: "Revoke" }));
  await page.keyboard.press("Enter");
  await tabTo(page, row.getByRole("button", { name: "Revoke key" }));
  await page.keyboard.press("Enter");
  await expect(page.getByTestId("no-keys")).toBeVisible();
  const status = page.getByTestId("keys-status");
  await expect(status).toContainText("revoked");
  await expect.poll(() => holdsFocus(status)).toBe(true);
  await expectVisibleFocus(page, "the key is revoked");
  await expect.poll(() => liveText(page)).toContain("revoked");
});

test("revoke another session with the keyboard alone", async ({ browser }) => {
  test.setTimeout(120_000);
  const email = `kbd-sessions-${Date.now()}@example.com`;
  const laptop = await browser.newContext();
  const page = await laptop.newPage();
  await signUp(page, "Kai Keyboard", email);
  await hydrated(page);
  const phone = await browser.newContext({ userAgent: IPHONE });
  const other = await phone.newPage();
  await signIn(other, email);
  await expect(other).toHaveURL(/\/settings\/security$/);

  await page.reload();
  await hydrated(page);
  await expect(page.getByTestId("session-row")).toHaveCount(2);
  await fromTop(page);
  const row = page.getByTestId("session-row").filter({ hasText: "Safari on iPhone" });
  await tabTo(page, row.locator("summary"), { max: 120 });
  await page.keyboard.press("Enter");
  await tabTo(page, row.getByRole("button", { name: "Revoke session" }));
  await page.keyboard.press("Enter");
  await expect(page.getByTestId("session-row")).toHaveCount(1);
  const status = page.getByTestId("sessions-status");
  await expect(status).toContainText("signed out");
  await expect.poll(() => holdsFocus(status)).toBe(true);
  await expectVisibleFocus(page, "the session is revoked");
  await expect.poll(() => liveText(page)).toContain("signed out");
  await laptop.close();
  await phone.close();
});
