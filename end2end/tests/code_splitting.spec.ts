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

/** Signs a new account up and opens the security page, live and settled. */
async function onSecurityPage(page: Page, name: string, tag: string) {
  await signUp(page, name, `${tag}-${Date.now()}@example.com`);
  await page.goto("/settings/security");
  await hydrated(page);
  await page.waitForLoadState("networkidle");
}

/** A page's link in the settings navigation. */
function settingsLink(page: Page, name: string) {
  return page.getByRole("navigation", { name: "Settings" }).getByRole("link", { name });
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
  await settingsLink(page, "API Keys").click();
  await expect(page).toHaveURL(/\/settings\/api-keys$/);
  await expect(page.getByRole("heading", { name: "API Keys", level: 1 })).toBeVisible();
  expect(fetched.some((name) => name.startsWith("split___api_keys_view"))).toBe(true);
  await page.getByLabel("Name").fill("Split check");
  await page.getByRole("button", { name: "Create key" }).click();
  await expect(page.getByTestId("key-reveal")).toBeVisible();

  await settingsLink(page, "Team").click();
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
  await onSecurityPage(page, "Lou Loading", "loading");
  await expect(page.getByRole("progressbar", { name: "Loading page" })).toHaveCount(0);

  // Hold the Team page's Wasm back until the bar has been seen.
  let release: () => void = () => {};
  const held = new Promise<void>((resolve) => (release = resolve));
  await page.route(/\/pkg\/split___team_view.*\.wasm$/, async (route) => {
    await held;
    await route.continue();
  });
  await settingsLink(page, "Team").click();
  await expect(page.getByRole("progressbar", { name: "Loading page" })).toBeVisible();
  release();
  await expect(page.getByRole("heading", { name: "Team", level: 1 })).toBeVisible();
  await expect(page.getByRole("progressbar", { name: "Loading page" })).toHaveCount(0);
});

/** Refuses the Team page's Wasm file `times` times (every time when
 * `times` is Infinity), as a server deployed since the page was opened
 * would; returns how many requests for it were refused. */
async function goneTeamFile(page: Page, times: number): Promise<{ refused: number }> {
  const count = { refused: 0 };
  await page.route(/\/pkg\/split___team_view.*\.wasm$/, async (route) => {
    if (count.refused < times) {
      count.refused += 1;
      await route.fulfill({ status: 404, contentType: "text/plain", body: "Not Found" });
    } else {
      await route.continue();
    }
  });
  return count;
}

test("a page whose file is gone since a deploy loads afresh instead of leaving the page dead", async ({ page }) => {
  await onSecurityPage(page, "Dee Deploy", "deploy");
  const gone = await goneTeamFile(page, 1);
  const loads: string[] = [];
  page.on("load", () => loads.push(page.url()));

  await settingsLink(page, "Team").click();
  // The trap reloads the address: the server's page, then its own file.
  await expect(page).toHaveURL(/\/settings\/team$/);
  await expect(page.getByRole("heading", { name: "Team", level: 1 })).toBeVisible();
  await hydrated(page);
  expect(gone.refused).toBe(1);
  expect(loads).toEqual([expect.stringMatching(/\/settings\/team$/)]);
  // Alive: a client-side move works again.
  await settingsLink(page, "Security").click();
  await expect(page.getByRole("heading", { name: "Security", level: 1 })).toBeVisible();
});

test("a page that cannot come alive at all is reloaded once, not without end", async ({ page }) => {
  await onSecurityPage(page, "Rhea Reload", "reload");
  const gone = await goneTeamFile(page, Infinity);
  const loads: string[] = [];
  page.on("load", () => loads.push(page.url()));

  await settingsLink(page, "Team").click();
  // Reloaded once: the server's HTML is there to read, though it cannot hydrate.
  await expect(page.getByRole("heading", { name: "Team", level: 1 })).toBeVisible();
  await expect.poll(() => gone.refused).toBeGreaterThanOrEqual(2);
  await page.waitForLoadState("networkidle");
  expect(loads).toHaveLength(1);
  await expect(page.locator("body[data-hydrated]")).toHaveCount(0);
});

test("a page that traps while the person is leaving it does not take them back", async ({ page }) => {
  await onSecurityPage(page, "Lee Leaving", "leaving");
  // The Team page's file fails only when the test says so; the API Keys
  // page answers only when the test says so.
  let failTeamFile: () => void = () => {};
  const teamFileFails = new Promise<void>((resolve) => (failTeamFile = resolve));
  await page.route(/\/pkg\/split___team_view.*\.wasm$/, async (route) => {
    await teamFileFails;
    await route.fulfill({ status: 404, contentType: "text/plain", body: "Not Found" });
  });
  let answerApiKeys: () => void = () => {};
  const apiKeysAnswers = new Promise<void>((resolve) => (answerApiKeys = resolve));
  await page.route(/\/settings\/api-keys$/, async (route) => {
    await apiKeysAnswers;
    await route.continue();
  });
  await settingsLink(page, "Team").click();
  await expect(page.getByRole("progressbar", { name: "Loading page" })).toBeVisible();

  // The person goes elsewhere; while that page is on its way, the old
  // page's file fails and its Wasm traps.
  const asked = page.waitForRequest(/\/settings\/api-keys$/);
  const going = page.goto("/settings/api-keys");
  await asked;
  const trapped = page.waitForEvent("pageerror");
  failTeamFile();
  expect((await trapped).message).toMatch(/unreachable/);
  answerApiKeys();
  await going;
  await hydrated(page);
  await page.waitForLoadState("networkidle");
  await expect(page).toHaveURL(/\/settings\/api-keys$/);
  await expect(page.getByRole("heading", { name: "API Keys", level: 1 })).toBeVisible();
});
