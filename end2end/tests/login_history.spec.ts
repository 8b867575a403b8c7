import { expect, test } from "@playwright/test";
import { STRONG, hydrated, signUp, submitSignIn } from "./support";

test("login history shows failed and successful sign-ins, filters through the URL and pages", async ({ page }) => {
  const email = `history-${Date.now()}@example.com`;
  await signUp(page, "Hana History", email);
  await page.getByRole("button", { name: "Sign out" }).click();
  await expect(page).toHaveURL(/\/login$/);

  // One failed and one successful sign-in.
  await hydrated(page);
  await submitSignIn(page, email, "not the right password at all");
  await expect(page.getByText("Email or password is incorrect.")).toBeVisible();
  await page.getByLabel("Password", { exact: true }).fill(STRONG);
  await page.getByRole("button", { name: "Sign in" }).click();
  await expect(page).toHaveURL(/\/settings\/security$/);
  await hydrated(page);

  const rows = page.getByTestId("history-row");
  await expect(rows.filter({ hasText: "Failed sign-in" })).toHaveCount(1);
  await expect(rows.filter({ hasText: "Signed in" })).toHaveCount(2);
  await expect(page.getByTestId("history-chart")).toBeVisible();

  // Only failed attempts: the filter lands in the URL and survives a reload.
  await page.getByTestId("history-filters").getByText("Failed attempts").click();
  await page.getByRole("button", { name: "Apply filters" }).click();
  await expect(page).toHaveURL(/category=failed/);
  await expect(rows).toHaveCount(1);
  await expect(rows.first()).toHaveAttribute("data-outcome", "failure");
  await page.reload();
  await hydrated(page);
  await expect(rows).toHaveCount(1);
  await expect(page.getByLabel("Failed attempts")).toBeChecked();
  await page.goBack();
  await expect(page).not.toHaveURL(/category=failed/);

  // Enough sign-ins for a second page (same origin, as the form would send them).
  await page.evaluate(async (email) => {
    for (let i = 0; i < 55; i++) {
      await fetch("/api/sign_in", {
        method: "POST",
        headers: { "content-type": "application/x-www-form-urlencoded", accept: "application/json" },
        body: new URLSearchParams({ email, password: "quantum marmalade orbits silently" }),
        redirect: "manual",
      });
    }
  }, email);
  await page.goto("/settings/security?category=logins");
  await hydrated(page);
  await expect(rows).toHaveCount(50);
  const firstPage = await rows.first().getAttribute("data-kind");
  expect(firstPage).toBe("sign_in");
  await page.getByRole("link", { name: "Older →" }).click();
  await expect(page).toHaveURL(/before=/);
  await expect(rows).not.toHaveCount(50);
  await page.getByRole("link", { name: "← Newer" }).click();
  await expect(page).toHaveURL(/after=/);
  await expect(rows).toHaveCount(50);
});
