import { expect, test } from "@playwright/test";
import { STRONG, hydrated, confirmAndSignIn, fillSignUp, submitSignIn } from "./support";

const NEWER = "velvet thunder juggles cobalt lanterns";

function uniqueEmail(tag: string): string {
  return `${tag}-${Date.now()}-${Math.floor(Math.random() * 1e6)}@example.com`;
}

test("a new user signs up, signs out, signs back in and changes the password", async ({ page }) => {
  const email = uniqueEmail("e2e");
  await fillSignUp(page, "Erin Example", email, STRONG);
  await expect(page.getByTestId("strength-meter")).toContainText(/Strong password|Good password/);
  await page.getByRole("button", { name: "Create account" }).click();
  await confirmAndSignIn(page, email);
  await hydrated(page);
  await expect(page.getByRole("heading", { name: "Security", level: 1 })).toBeVisible();
  await expect(page.getByTestId("user-name")).toHaveText("Erin Example");
  await expect(page.getByRole("heading", { name: "Two-Factor Authentication" })).toBeVisible();
  await expect(page.getByTestId("active-sessions")).toHaveText("1");

  // Signing out loads the sign-in page afresh: once the address is /login,
  // nothing of the account is left on screen.
  await page.getByRole("button", { name: "Sign out" }).click();
  await expect(page).toHaveURL(/\/login$/);
  expect(await page.getByTestId("user-name").count()).toBe(0);
  expect(await page.locator("#sessions").count()).toBe(0);

  await page.goto("/settings/security");
  await expect(page).toHaveURL(/\/login\?next=\/settings\/security$/);
  await hydrated(page);
  await submitSignIn(page, email, STRONG);
  await expect(page).toHaveURL(/\/settings\/security$/);

  await page.getByLabel("Current password").fill(STRONG);
  await page.getByLabel("New password").fill(NEWER);
  await expect(page.getByTestId("strength-meter")).toContainText(/Strong password|Good password/);
  await page.getByRole("button", { name: "Change password" }).click();
  await expect(page.getByText("Password changed. Every other session was signed out.")).toBeVisible();

  await page.getByRole("button", { name: "Sign out" }).click();
  await expect(page).toHaveURL(/\/login$/);
  await hydrated(page);
  await submitSignIn(page, email, STRONG);
  await expect(page.getByRole("alert")).toHaveText("Email or password is incorrect.");
  await submitSignIn(page, email, NEWER);
  await expect(page).toHaveURL(/\/settings\/security$/);
});

test("a weak password shows the server's reason in the form", async ({ page }) => {
  await fillSignUp(page, "Walt Weak", uniqueEmail("weak"), "qwerty123456");
  await expect(page.getByTestId("strength-meter")).toContainText("commonly breached");
  await page.getByRole("button", { name: "Create account" }).click();
  await expect(page.locator("#field-password-error")).toContainText("commonly breached");
  await expect(page).toHaveURL(/\/signup$/);

  await page.getByLabel("Password", { exact: true }).fill("short");
  await expect(page.getByTestId("strength-meter")).toContainText("at least 12");
});

test.describe("before the Wasm loads", () => {
  test.use({ javaScriptEnabled: false });

  test("sign-in errors and sign-up still work as plain forms", async ({ page }) => {
    const email = uniqueEmail("nojs");
    await page.goto("/login");
    await page.getByLabel("Email address").fill(email);
    await page.getByLabel("Password", { exact: true }).fill("not the password");
    await page.getByRole("button", { name: "Sign in" }).click();
    await expect(page.getByRole("alert")).toHaveText("Email or password is incorrect.");

    await page.goto("/signup");
    await page.getByLabel("Full name").fill("Noah Script");
    await page.getByLabel("Work email").fill(email);
    await page.getByLabel("Password", { exact: true }).fill(STRONG);
    await page.getByRole("button", { name: "Create account" }).click();
    await confirmAndSignIn(page, email);
    await expect(page.getByRole("heading", { name: "Security", level: 1 })).toBeVisible();
  });
});

test("the security page reads well on a phone", async ({ page }) => {
  await page.setViewportSize({ width: 375, height: 812 });
  const email = uniqueEmail("phone");
  await fillSignUp(page, "Phoebe Phone", email, STRONG);
  await page.getByRole("button", { name: "Create account" }).click();
  await confirmAndSignIn(page, email);
  const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
  expect(overflow).toBeLessThanOrEqual(0);
  await page.screenshot({ path: "end2end/test-results/security-phone.png", fullPage: true });
});

test.describe("signing up from an address of its own", () => {
  // The suite's other sign-ups share one address and its hourly limit.
  test.use({ extraHTTPHeaders: { "X-Forwarded-For": "203.0.113.62" } });

  test("creating the account while the strength check is out leaves the sign-in page alive", async ({ page }) => {
    const errors: string[] = [];
    page.on("pageerror", (error) => errors.push(error.message));
    // The strength check's answer is held until the sign-up page is gone.
    let answer: () => void = () => {};
    const answered = new Promise<void>((resolve) => (answer = resolve));
    await page.route(/\/api\/password_strength/, async (route) => {
      await answered;
      await route.continue();
    });
    const checking = page.waitForRequest(/\/api\/password_strength/);
    await fillSignUp(page, "Quinn Quick", uniqueEmail("quick"), STRONG);
    const check = await checking;
    await page.getByRole("button", { name: "Create account" }).click();
    await expect(page).toHaveURL(/\/login\?signup=sent/);
    await expect(page.getByTestId("sign-up-sent")).toBeVisible();

    // The answer comes for a form that is gone: the check must let go, not
    // panic (a panic leaves the sign-in page dead).
    const finished = page.waitForEvent("requestfinished", (request) => request.url() === check.url());
    answer();
    await finished;
    // Alive: a link is followed in the page (no new document is loaded).
    const loads: string[] = [];
    page.on("load", () => loads.push(page.url()));
    await page.getByRole("link", { name: /create an account/i }).click();
    await expect(page.getByRole("button", { name: "Create account" })).toBeVisible();
    expect(errors).toEqual([]);
    expect(loads).toEqual([]);
  });
});
