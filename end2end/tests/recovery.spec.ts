import { expect, test } from "@playwright/test";
import { hydrated, linkFromOutbox, signUp, signIn, submitSignIn } from "./support";

const NEW_PASSWORD = "copper giraffes negotiate thunder quietly";
const IPHONE =
  "Mozilla/5.0 (iPhone; CPU iPhone OS 17_2 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.2 Mobile/15E148 Safari/604.1";

test("forgot password: the link from the outbox sets a new password, then sign in", async ({ page }) => {
  const email = `reset-${Date.now()}@example.com`;
  await signUp(page, "Robin Recovery", email);
  await page.getByRole("button", { name: "Sign out" }).click();
  await expect(page).toHaveURL(/\/login/);

  await hydrated(page);
  await page.getByRole("link", { name: "Forgot your password?" }).click();
  await expect(page).toHaveURL(/\/forgot-password$/);
  await hydrated(page);
  await page.getByLabel("Email address").fill(email);
  await page.getByRole("button", { name: "Send reset link" }).click();
  await expect(page.getByTestId("reset-sent")).toBeVisible();

  const token = await linkFromOutbox(email, "/reset-password");
  await page.goto(`/reset-password?token=${token}`);
  await hydrated(page);
  await expect(page.getByLabel("Sign out of all sessions")).toBeChecked();
  await page.getByLabel("New password").fill(NEW_PASSWORD);
  await page.getByRole("button", { name: "Set new password" }).click();
  await expect(page.getByTestId("reset-done")).toContainText("Your password was changed.");
  await page.getByRole("link", { name: "Sign in" }).click();
  await expect(page).toHaveURL(/\/login$/);

  await hydrated(page);
  await submitSignIn(page, email, NEW_PASSWORD);
  await expect(page).toHaveURL(/\/settings\/security$/);

  // The same link does not work twice.
  await page.goto(`/reset-password?token=${token}`);
  await expect(page.getByRole("alert")).toContainText("already used");
});

test("a sign-in from a new device is mailed, and its 'This wasn't me' link signs that device out", async ({
  browser,
}) => {
  const email = `notme-${Date.now()}@example.com`;
  const ownerContext = await browser.newContext();
  const owner = await ownerContext.newPage();
  await signUp(owner, "Robin Recovery", email);

  const intruderContext = await browser.newContext({ userAgent: IPHONE });
  const intruder = await intruderContext.newPage();
  await signIn(intruder, email);
  await expect(intruder).toHaveURL(/\/settings\/security$/);

  const token = await linkFromOutbox(email, "/this-wasnt-me");
  await owner.goto(`/this-wasnt-me?token=${token}`);
  await hydrated(owner);
  await owner.getByRole("button", { name: "Sign it out and secure my account" }).click();
  await expect(owner.getByTestId("undone")).toContainText("Signed out 1 session.");

  await intruder.reload();
  await expect(intruder).toHaveURL(/\/login/);
  // The report stands out in the owner's Login History.
  await owner.goto("/settings/security");
  await expect(owner.getByText("Reported: “This wasn't me”").first()).toBeVisible();
  await ownerContext.close();
  await intruderContext.close();
});
