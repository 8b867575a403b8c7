import { expect, test } from "@playwright/test";
import { hydrated, signUp, signIn } from "./support";

const IPHONE =
  "Mozilla/5.0 (iPhone; CPU iPhone OS 17_2 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.2 Mobile/15E148 Safari/604.1";
const LINUX_FIREFOX = "Mozilla/5.0 (X11; Ubuntu; Linux x86_64; rv:121.0) Gecko/20100101 Firefox/121.0";

test("two devices: the first sees both and revokes the second, which is signed out", async ({ browser }) => {
  const email = `sessions-${Date.now()}@example.com`;
  const laptop = await browser.newContext({ userAgent: LINUX_FIREFOX });
  const phone = await browser.newContext({ userAgent: IPHONE });
  const first = await laptop.newPage();
  const second = await phone.newPage();

  await signUp(first, "Sasha Sessions", email);

  await signIn(second, email);
  await expect(second).toHaveURL(/\/settings\/security$/);

  await first.reload();
  await hydrated(first);
  const rows = first.getByTestId("session-row");
  await expect(rows).toHaveCount(2);
  const thisDevice = rows.filter({ has: first.getByTestId("this-device") });
  await expect(thisDevice.getByTestId("session-device")).toHaveText("Firefox on Linux");
  await expect(thisDevice.getByTestId("session-location")).toContainText("Local network");
  const phoneRow = rows.filter({ hasText: "Safari on iPhone" });
  await expect(phoneRow).toHaveCount(1);

  // "Last active" keeps itself current without a reload.
  const lastActive = thisDevice.getByTestId("session-last-active");
  const before = await lastActive.innerText();
  await expect(lastActive).not.toHaveText(before, { timeout: 20_000 });

  await phoneRow.getByText("Revoke", { exact: true }).click();
  await phoneRow.getByRole("button", { name: "Revoke session" }).click();
  await expect(rows).toHaveCount(1);
  await expect(rows.first().getByTestId("this-device")).toBeVisible();
  await expect(first.getByTestId("active-sessions")).toHaveText("1");

  // Its very next navigation, even a client-side one, ends on the sign-in page.
  await second.getByRole("link", { name: "API Keys" }).click();
  await expect(second).toHaveURL(/\/login\?next=/);

  await first.getByRole("button", { name: "Mark as reviewed" }).click();
  await expect(first.getByTestId("review-status")).toContainText("Last reviewed");
  await first.screenshot({ path: "end2end/test-results/sessions.png", fullPage: true });

  await laptop.close();
  await phone.close();
});
