import { test, expect, type Page } from "@playwright/test";
const STRONG = "quantum marmalade orbits silently";
async function hyd(p: Page) { await p.locator("body[data-hydrated=true]").waitFor({ state: "attached" }); }
for (const [name, vp, scheme] of [["desktop", {width:1280,height:900}, "light"], ["phone", {width:375,height:800}, "dark"]] as const) {
test(`history ${name}`, async ({ browser }) => {
  const ctx = await browser.newContext({ viewport: vp, colorScheme: scheme });
  const page = await ctx.newPage();
  const email = `h-${name}-${Date.now()}@example.com`;
  await page.goto("http://127.0.0.1:3200/signup"); await hyd(page);
  await page.getByLabel("Full name").fill("Ada Lovelace"); await page.getByLabel("Work email").fill(email);
  await page.getByLabel("Password", { exact: true }).fill(STRONG);
  await page.getByRole("button", { name: "Create account" }).click();
  await expect(page).toHaveURL(/security$/); await hyd(page);
  await page.evaluate(async (email) => { for (let i = 0; i < 4; i++) { await fetch("/api/sign_in", { method: "POST", headers: { "content-type": "application/x-www-form-urlencoded" }, body: new URLSearchParams({ email, password: "wrong wrong wrong wrong" }) }); } await fetch("/api/sign_in", { method: "POST", headers: { "content-type": "application/x-www-form-urlencoded" }, body: new URLSearchParams({ email, password: "quantum marmalade orbits silently" }) }); }, email);
  await page.reload(); await hyd(page);
  await page.locator("#login-history").screenshot({ path: `/tmp/shots/history-${name}.png` });
});
}
