// What a first visit of the signed-in /settings/security costs on a slow
// connection (CDP: 1.6 Mbit/s down, 750 kbit/s up, 150 ms round trip): bytes
// on the wire, first paint of the server's HTML, and time until the Wasm has
// hydrated the page; then a repeat visit with the browser's cache.
import { test, type CDPSession, type Page } from "@playwright/test";
import * as fs from "fs";
import * as path from "path";
import { signUp } from "../tests/support";

const SLOW = { offline: false, latency: 150, downloadThroughput: 1_600_000 / 8, uploadThroughput: 750_000 / 8 };

type Visit = { bytes: number; firstPaintMs: number; hydratedMs: number };

/** Loads the page and measures; `cached` lets the browser use its cache. */
async function visit(page: Page, cdp: CDPSession, cached: boolean): Promise<Visit> {
  await cdp.send("Network.setCacheDisabled", { cacheDisabled: !cached });
  let bytes = 0;
  const onFinished = (event: { encodedDataLength: number }) => {
    bytes += event.encodedDataLength;
  };
  cdp.on("Network.loadingFinished", onFinished);
  await page.goto("/settings/security", { waitUntil: "commit" });
  await page.locator("body[data-hydrated=true]").waitFor({ state: "attached", timeout: 120_000 });
  const timing = await page.evaluate(() => {
    const paint = performance.getEntriesByName("first-contentful-paint")[0];
    return { firstPaintMs: paint ? paint.startTime : NaN, hydratedMs: performance.now() };
  });
  // Let the last responses finish counting.
  await page.waitForLoadState("networkidle");
  cdp.off("Network.loadingFinished", onFinished);
  return { bytes, ...timing };
}

test("first load of the signed-in security page on a slow connection", async ({ page, context }) => {
  await signUp(page, "Bench First Load", `first-load-${Date.now()}@example.com`);
  const cdp = await context.newCDPSession(page);
  await cdp.send("Network.enable");
  await cdp.send("Network.emulateNetworkConditions", SLOW);
  // The baseline, in the same run: the same first visit with nothing compressed.
  await cdp.send("Network.setExtraHTTPHeaders", { headers: { "Accept-Encoding": "identity" } });
  const uncompressed = await visit(page, cdp, false);
  await cdp.send("Network.setExtraHTTPHeaders", { headers: {} });
  const first = await visit(page, cdp, false);
  const repeat = await visit(page, cdp, true);
  const rows = [
    "| visit | transferred | first paint | hydrated | target |",
    "| --- | ---: | ---: | ---: | --- |",
    `| first, nothing compressed (baseline) | ${uncompressed.bytes} B | ${uncompressed.firstPaintMs.toFixed(0)} ms | ${uncompressed.hydratedMs.toFixed(0)} ms | |`,
    `| first (cache disabled) | ${first.bytes} B | ${first.firstPaintMs.toFixed(0)} ms | ${first.hydratedMs.toFixed(0)} ms | ≤ 300 KB, hydrated ≤ 3 s |`,
    `| repeat (cached) | ${repeat.bytes} B | ${repeat.firstPaintMs.toFixed(0)} ms | ${repeat.hydratedMs.toFixed(0)} ms | hydrated ≤ 1 s |`,
  ];
  const ratio = (first.hydratedMs / uncompressed.hydratedMs).toFixed(2);
  const bytesRatio = (first.bytes / uncompressed.bytes).toFixed(2);
  const report =
    `First load of /settings/security, 1.6 Mbit/s down, 150 ms RTT\n\n${rows.join("\n")}\n\n` +
    `compressed/baseline: bytes ${bytesRatio}, time to hydrated ${ratio}\n`;
  console.log(`\n${report}`);
  const results = path.join(__dirname, "..", "..", "bench-results");
  fs.mkdirSync(results, { recursive: true });
  fs.writeFileSync(path.join(results, "first-load.md"), report);
});
