// The release build cuts the Wasm at the lazy routes (src/app/lazy.rs): a
// visit of the security page downloads the main Wasm only, and a page it
// links to brings its own file when it is opened, then works.
import { expect, test, type Page } from "@playwright/test";
import { hydrated, signUp } from "./support";

test.use({ extraHTTPHeaders: { "X-Forwarded-For": "203.0.113.61" } });

/** Every Wasm file the page fetches from now on, by name. */
function wasmRequests(page: Page): string[] {
  const names: string[] = [];
  page.on("request", (request) => {
    const url = new URL(request.url());
    if (url.pathname.startsWith("/pkg/") && url.pathname.endsWith(".wasm")) {
      names.push(url.pathname.slice("/pkg/".length));
    }
  });
  return names;
}

test("the security page loads the main Wasm only; API Keys and Team bring their own files", async ({ page }) => {
  const email = `split-${Date.now()}@example.com`;
  await signUp(page, "Sam Split", email);

  const fetched = wasmRequests(page);
  const errors: string[] = [];
  page.on("console", (message) => {
    if (message.type() === "error") errors.push(message.text());
  });
  page.on("pageerror", (error) => errors.push(error.message));
  await page.goto("/settings/security");
  await hydrated(page);
  await expect(page.getByRole("heading", { name: "Security", level: 1 })).toBeVisible();
  await page.waitForLoadState("networkidle");
  expect(fetched).toHaveLength(1);
  expect(fetched[0]).toMatch(/^statusstack\.[A-Za-z0-9_-]{22}\.wasm$/);

  // A client-side navigation fetches the page's file, and the page works.
  await page.getByRole("navigation", { name: "Settings" }).getByRole("link", { name: "API Keys" }).click();
  await expect(page).toHaveURL(/\/settings\/api-keys$/);
  await expect(page.getByRole("heading", { name: "API Keys", level: 1 })).toBeVisible();
  expect(fetched.some((name) => name.startsWith("split___api_keys_view"))).toBe(true);
  await page.getByLabel("Name").fill("Split check");
  await page.getByRole("button", { name: "Create key" }).click();
  await expect(page.getByTestId("key-reveal")).toBeVisible();

  await page.getByRole("navigation", { name: "Settings" }).getByRole("link", { name: "Team" }).click();
  await expect(page).toHaveURL(/\/settings\/team$/);
  await expect(page.getByRole("heading", { name: "Team", level: 1 })).toBeVisible();
  expect(fetched.some((name) => name.startsWith("split___team_view"))).toBe(true);
  expect(errors).toEqual([]);
});

test("a lazy page opened directly hydrates from its own file", async ({ page }) => {
  const fetched = wasmRequests(page);
  await page.goto("/login");
  await hydrated(page);
  expect(fetched.some((name) => name.startsWith("split___login_view"))).toBe(true);
  // Live, not just painted: the client-side link to sign-up works.
  await page.getByRole("link", { name: /create an account/i }).click();
  await expect(page).toHaveURL(/\/signup/);
  await expect(page.getByRole("button", { name: "Create account" })).toBeVisible();
});

test("while a lazy page's file is on its way, a loading bar shows, then goes", async ({ page }) => {
  await signUp(page, "Lou Loading", `loading-${Date.now()}@example.com`);
  await page.goto("/settings/security");
  await hydrated(page);
  await page.waitForLoadState("networkidle");
  await expect(page.getByRole("progressbar", { name: "Loading page" })).toHaveCount(0);

  // Hold the Team page's Wasm back until the bar has been seen.
  let release: () => void = () => {};
  const held = new Promise<void>((resolve) => (release = resolve));
  await page.route(/\/pkg\/split___team_view.*\.wasm$/, async (route) => {
    await held;
    await route.continue();
  });
  await page.getByRole("navigation", { name: "Settings" }).getByRole("link", { name: "Team" }).click();
  await expect(page.getByRole("progressbar", { name: "Loading page" })).toBeVisible();
  release();
  await expect(page.getByRole("heading", { name: "Team", level: 1 })).toBeVisible();
  await expect(page.getByRole("progressbar", { name: "Loading page" })).toHaveCount(0);
});
