// What several specs share: the test password, waiting for hydration, the
// authenticator app's codes and links read from the e2e server's outbox.
import { createHmac } from "node:crypto";
import * as fs from "fs";
import * as path from "path";
import { expect, type Page } from "@playwright/test";

export const STRONG = "quantum marmalade orbits silently";
// The server of this suite writes mail to its outbox (see playwright.config.ts).
const OUTBOX = path.join(__dirname, "..", "..", "target", "e2e-data", "outbox");

/** Waits until the Wasm has hydrated the page. */
export async function hydrated(page: Page) {
  await page.locator("body[data-hydrated=true]").waitFor({ state: "attached" });
}

/** RFC 4648 base32 (no padding) to bytes. */
export function base32Decode(text: string): Buffer {
  const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
  let bits = 0;
  let value = 0;
  const out: number[] = [];
  for (const char of text.replace(/\s+/g, "")) {
    const index = alphabet.indexOf(char);
    if (index < 0) throw new Error(`not base32: ${char}`);
    value = (value << 5) | index;
    bits += 5;
    if (bits >= 8) {
      bits -= 8;
      out.push((value >> bits) & 0xff);
    }
  }
  return Buffer.from(out);
}

/** The current 30 s time step. */
export function currentStep(): number {
  return Math.floor(Date.now() / 1000 / 30);
}

/** The 6-digit TOTP code (RFC 6238, SHA-1, 30 s) for a time step, as an authenticator app computes it. */
export function totp(secret: Buffer, step: number = currentStep()): string {
  const counter = Buffer.alloc(8);
  counter.writeBigUInt64BE(BigInt(step));
  const mac = createHmac("sha1", secret).update(counter).digest();
  const offset = mac[mac.length - 1] & 0x0f;
  const binary =
    ((mac[offset] & 0x7f) << 24) | (mac[offset + 1] << 16) | (mac[offset + 2] << 8) | mac[offset + 3];
  return String(binary % 1_000_000).padStart(6, "0");
}

/** The token of the newest outbox message to `to` that links to `linkPath`. */
export async function linkFromOutbox(to: string, linkPath: string): Promise<string> {
  for (let attempt = 0; attempt < 100; attempt++) {
    const files = fs.existsSync(OUTBOX) ? fs.readdirSync(OUTBOX).filter((f) => f.endsWith(".eml")) : [];
    for (const file of files.sort().reverse()) {
      // Undo quoted-printable line folding before searching.
      const text = fs.readFileSync(path.join(OUTBOX, file), "utf8").replace(/=\r?\n/g, "").replace(/=3D/g, "=");
      if (!text.includes(`To: ${to}`)) continue;
      const match = text.match(new RegExp(`${linkPath}\\?token=([A-Za-z0-9_-]{43})`));
      if (match) return match[1];
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error(`no ${linkPath} link for ${to} in ${OUTBOX}`);
}

/**
 * Finishes a sign-up the page just submitted, as a new user does: the sign-in
 * page says to check the inbox, the link from the outbox confirms the address,
 * then signing in lands on `landing`.
 */
export async function confirmAndSignIn(
  page: Page,
  email: string,
  password: string = STRONG,
  landing: RegExp = /\/settings\/security$/,
) {
  await expect(page).toHaveURL(/\/login\?signup=sent/);
  await expect(page.getByTestId("sign-up-sent")).toBeVisible();
  const token = await linkFromOutbox(email, "/verify-email");
  const next = new URL(page.url()).searchParams.get("next");
  await page.goto(`/verify-email?token=${token}${next ? `&next=${encodeURIComponent(next)}` : ""}`);
  await page.getByRole("button", { name: "Confirm my address" }).click();
  // With the Wasm the page says so in place; a plain form post goes on to
  // the sign-in page, which says so there.
  await expect(page.getByTestId("email-verified").or(page.getByTestId("address-confirmed"))).toBeVisible();
  if (await page.getByTestId("email-verified").isVisible()) {
    await page.getByRole("link", { name: "Continue to your account" }).click();
  }
  await expect(page).toHaveURL(/\/login/);
  await page.getByLabel("Email address").fill(email);
  await page.getByLabel("Password", { exact: true }).fill(password);
  await page.getByRole("button", { name: "Sign in" }).click();
  await expect(page).toHaveURL(landing);
}

/** Opens the sign-up page once its Wasm is running and fills in the form, without submitting it. */
export async function fillSignUp(page: Page, name: string, email: string, password: string = STRONG) {
  await page.goto("/signup");
  await hydrated(page);
  await page.getByLabel("Full name").fill(name);
  await page.getByLabel("Work email").fill(email);
  await page.getByLabel("Password", { exact: true }).fill(password);
}

/** Creates an account as a new user does and signs in with it: lands on the Security page. */
export async function signUp(page: Page, name: string, email: string) {
  await fillSignUp(page, name, email);
  await page.getByRole("button", { name: "Create account" }).click();
  await confirmAndSignIn(page, email);
}

/** Fills in and submits the sign-in form already on screen. */
export async function submitSignIn(page: Page, email: string, password: string = STRONG) {
  await page.getByLabel("Email address").fill(email);
  await page.getByLabel("Password", { exact: true }).fill(password);
  await page.getByRole("button", { name: "Sign in" }).click();
}

/** Opens the sign-in page once its Wasm is running and signs in; where it lands is the caller's to check. */
export async function signIn(page: Page, email: string, password: string = STRONG) {
  await page.goto("/login");
  await hydrated(page);
  await submitSignIn(page, email, password);
}
