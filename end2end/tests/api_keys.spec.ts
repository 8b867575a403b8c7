import { expect, test } from "@playwright/test";
import { hydrated, signUp } from "./support";

test("a Read-only key: created, copied once, hidden after the countdown, honoured by the API, revoked", async ({
  browser,
  playwright,
}) => {
  const context = await browser.newContext({ permissions: ["clipboard-read", "clipboard-write"] });
  const page = await context.newPage();
  const email = `keys-${Date.now()}@example.com`;
  await signUp(page, "Kim Keys", email);

  // A controllable clock, so the two-minute countdown takes no real time.
  await page.clock.install();
  await page.goto("/settings/api-keys");
  await hydrated(page);
  await expect(page.getByTestId("no-keys")).toBeVisible();
  await page.getByLabel("Name").fill("Grafana dashboard");
  await expect(page.getByRole("radio", { name: /^Read-only/ })).toBeChecked();
  await page.getByRole("button", { name: "Create key" }).click();

  const panel = page.getByTestId("key-reveal");
  await expect(panel).toBeVisible();
  await expect(panel).toContainText("You will not see this key again");
  // The form is ready for the next key.
  await expect(page.getByLabel("Name")).toHaveValue("");
  const token = (await page.getByTestId("new-key-token").innerText()).trim();
  expect(token).toMatch(/^ssk_[0-9A-Za-z]{49}$/);
  await panel.getByRole("button", { name: "Copy key" }).click();
  await expect(panel.getByRole("button", { name: "Copied" })).toBeVisible();
  expect(await page.evaluate(() => navigator.clipboard.readText())).toBe(token);
  const row = page.getByTestId("key-row");
  await expect(row.getByTestId("key-prefix")).toHaveText(`ssk_${token.slice(4, 12)}…`);
  await expect(row.getByTestId("key-permission")).toHaveText("Read-only");

  // While the pointer or focus is in the panel the countdown waits.
  await panel.hover();
  await page.clock.fastForward("03:20");
  await expect(panel).toBeVisible();
  await expect(page.getByTestId("reveal-countdown")).toContainText("Paused");
  // Once the user leaves it, it closes after its two minutes.
  await page.getByRole("heading", { name: "API Keys", level: 1 }).click();
  await expect(page.getByTestId("reveal-countdown")).toContainText("closes in");
  await page.clock.fastForward("02:05");
  await expect(panel).toBeHidden();
  expect(await page.content()).not.toContain(token.slice(4));
  await page.reload();
  await hydrated(page);
  await expect(page.getByTestId("key-row")).toHaveCount(1);
  expect(await page.content()).not.toContain(token.slice(4));

  // The API honours it: reading works, writing is refused. No cookies here.
  const api = await playwright.request.newContext({ baseURL: page.url().replace(/\/settings.*$/, "") });
  const auth = { Authorization: `Bearer ${token}` };
  const me = await api.get("/api/v1/me", { headers: auth });
  expect(me.status()).toBe(200);
  expect((await me.json()).email).toBe(email);
  const denied = await api.delete("/api/v1/sessions/x", { headers: auth });
  expect(denied.status()).toBe(403);
  expect((await denied.json()).error.code).toBe("forbidden");

  // The list now shows when and from where it was last used.
  await page.reload();
  await hydrated(page);
  await expect(page.getByTestId("key-last-used")).toContainText("Last used");

  await row.getByText("Revoke", { exact: true }).click();
  await row.getByRole("button", { name: "Revoke key" }).click();
  await expect(page.getByTestId("no-keys")).toBeVisible();
  const revoked = await api.get("/api/v1/me", { headers: auth });
  expect(revoked.status()).toBe(401);
  expect(revoked.headers()["www-authenticate"]).toContain("Bearer");
  await api.dispose();
  await context.close();
});
