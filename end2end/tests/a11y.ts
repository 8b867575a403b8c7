// What the accessibility specs share: axe-core at WCAG 2.2 AA in light and
// dark mode at desktop and phone width, the keyboard's focus checks, and the
// check that text which changes by itself is not read out on every change.
import AxeBuilder from "@axe-core/playwright";
import { source as axeSource } from "axe-core";
import { expect, type Locator, type Page } from "@playwright/test";

const TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa"];

/** Every page is checked in both colour schemes at desktop and phone width. */
export const MODES = [
  { colorScheme: "light", width: 1280 },
  { colorScheme: "dark", width: 1280 },
  { colorScheme: "light", width: 375 },
  { colorScheme: "dark", width: 375 },
] as const;

/** Collects axe-core's violations over many views, to report them all at once. */
export class Audit {
  private readonly found: string[] = [];
  readonly views: string[] = [];

  /** Runs axe-core on the page as it is now, in every mode; the page ends in light mode at 1280 px. */
  async check(page: Page, view: string) {
    for (const mode of MODES) {
      await page.setViewportSize({ width: mode.width, height: 900 });
      await page.emulateMedia({ colorScheme: mode.colorScheme });
      const results = await new AxeBuilder({ page, axeSource }).withTags(TAGS).analyze();
      this.views.push(`${view} (${mode.colorScheme}, ${mode.width}px)`);
      for (const violation of results.violations) {
        const nodes = violation.nodes
          .map((node) => `      ${node.target.join(" ")}\n        ${(node.failureSummary ?? "").replace(/\n/g, "\n        ")}`)
          .join("\n");
        this.found.push(
          `${view} (${mode.colorScheme}, ${mode.width}px): ${violation.id} [${violation.impact}] ${violation.help}` +
            ` (${violation.nodes.length} element${violation.nodes.length === 1 ? "" : "s"})\n${nodes}`,
        );
      }
    }
    await page.setViewportSize({ width: 1280, height: 900 });
    await page.emulateMedia({ colorScheme: "light" });
  }

  /** Fails with every violation found, readably. */
  expectClean() {
    expect(this.found, `axe-core found violations:\n\n${this.found.join("\n\n")}\n`).toEqual([]);
  }
}

/** Text that changes by itself: relative times and countdowns. */
const TICKING = "time, [data-testid$=countdown], [data-testid=challenge-expiry], [data-testid=resend]";

/**
 * Where each ticking element on the page would be read out from: the nearest
 * ancestor (or itself) that makes a live region, unless that region is off.
 * Returns the offenders; an empty list is what we want.
 */
export async function tickingTextInLiveRegions(page: Page): Promise<string[]> {
  return page.evaluate((selector) => {
    const politeness = (element: Element): string | null => {
      const explicit = element.getAttribute("aria-live");
      if (explicit) return explicit;
      const role = element.getAttribute("role");
      if (role === "alert") return "assertive";
      if (role === "status" || role === "log" || element.tagName === "OUTPUT") return "polite";
      if (role === "timer" || role === "marquee") return "off";
      return null;
    };
    const offenders: string[] = [];
    for (const ticking of Array.from(document.querySelectorAll(selector))) {
      for (let node: Element | null = ticking; node; node = node.parentElement) {
        const live = politeness(node);
        if (live === null) continue;
        if (live !== "off") offenders.push(`${ticking.outerHTML.slice(0, 120)} inside aria-live=${live}`);
        break;
      }
    }
    return offenders;
  }, TICKING);
}

/**
 * Watches the page untouched for `ms` and returns every change of text made
 * inside a live region meanwhile: whatever changes by itself must not be
 * announced on every change.
 */
export async function selfChangesAnnounced(page: Page, ms: number): Promise<string[]> {
  await page.evaluate(() => {
    const seen: string[] = [];
    (window as unknown as { __liveChanges: string[] }).__liveChanges = seen;
    new MutationObserver((records) => {
      for (const record of records) {
        const target = record.target instanceof Element ? record.target : record.target.parentElement;
        const live = target?.closest("[aria-live]:not([aria-live=off]), [role=status], [role=alert], [role=log]");
        if (live && live.getAttribute("aria-live") !== "off") seen.push(`${live.outerHTML.slice(0, 160)}`);
      }
    }).observe(document.body, { subtree: true, childList: true, characterData: true });
  });
  await page.waitForTimeout(ms);
  return page.evaluate(() => (window as unknown as { __liveChanges: string[] }).__liveChanges);
}

/** What has focus, and whether it shows: an outline, or a ring (a box-shadow with a spread). */
export async function focusState(page: Page) {
  return page.evaluate(() => {
    const element = document.activeElement;
    if (!element || element === document.body) return { onBody: true, visible: false, description: "body" };
    const style = getComputedStyle(element);
    const outline = style.outlineStyle !== "none" && parseFloat(style.outlineWidth) > 0;
    // "oklab(0.58 0.03 -0.21 / 0.5) 0px 0px 0px 2px, rgba(0, 0, 0, 0.1) 0px 1px 3px 0px": a ring
    // is a shadow with a spread (the fourth length) in a colour that is not transparent.
    const shadows: string[] = [];
    let depth = 0;
    let current = "";
    for (const char of style.boxShadow === "none" ? "" : style.boxShadow) {
      if (char === "(") depth++;
      if (char === ")") depth--;
      if (char === "," && depth === 0) {
        shadows.push(current);
        current = "";
      } else current += char;
    }
    if (current.trim()) shadows.push(current);
    const ring = shadows.some((shadow) => {
      const color = shadow.match(/[a-z-]+\([^)]*\)|transparent/)?.[0] ?? "";
      const alpha = color.match(/\/\s*([\d.]+)\)$/) ?? color.match(/^rgba\([^)]*,\s*([\d.]+)\)$/);
      const opaque = color !== "transparent" && (alpha ? parseFloat(alpha[1]) > 0 : true);
      const lengths = shadow.replace(color, "").trim().split(/\s+/).map(parseFloat);
      return opaque && (lengths[3] ?? 0) >= 1;
    });
    const name = (element.getAttribute("aria-label") ?? element.textContent ?? "").trim().replace(/\s+/g, " ");
    const description = `<${element.tagName.toLowerCase()}${element.id ? `#${element.id}` : ""}> ${name.slice(0, 50)}`;
    return { onBody: false, visible: outline || ring, description };
  });
}

/** Asserts that something other than the page has focus and that it shows. */
export async function expectVisibleFocus(page: Page, step: string) {
  const state = await focusState(page);
  expect(state.onBody, `${step}: focus was lost (on <body>)`).toBe(false);
  expect(state.visible, `${step}: focus is not visible on ${state.description}`).toBe(true);
}

/** Whether `locator`'s element has focus or contains it. */
export async function holdsFocus(locator: Locator): Promise<boolean> {
  return locator.evaluate((element) => element === document.activeElement || element.contains(document.activeElement));
}

/**
 * Presses Tab (or Shift+Tab) until `target` has focus, checking at every
 * step that focus moved and shows. Fails if it takes more than `max` presses.
 */
export async function tabTo(page: Page, target: Locator, options: { back?: boolean; max?: number } = {}) {
  const key = options.back ? "Shift+Tab" : "Tab";
  const max = options.max ?? 80;
  let previous = "";
  for (let press = 1; press <= max; press++) {
    await page.keyboard.press(key);
    const state = await focusState(page);
    if (state.onBody) continue; // Past the last control the browser's own UI has focus; go round again.
    expect(state.visible, `${key} #${press}: focus is not visible on ${state.description}`).toBe(true);
    const moved = await page.evaluate(() => {
      const memory = window as unknown as { __lastFocus?: Element | null };
      const same = memory.__lastFocus === document.activeElement;
      memory.__lastFocus = document.activeElement;
      return !same;
    });
    expect(moved, `${key} #${press} did not move focus from ${previous}: a trap`).toBe(true);
    previous = state.description;
    if (await target.evaluate((element) => element === document.activeElement)) return;
  }
  throw new Error(`${key} pressed ${max} times without reaching ${target}`);
}

/** Tabs out of `container` (which holds focus) within `max` presses, and back in with Shift+Tab: no trap. */
export async function expectNoTrap(page: Page, container: Locator, max = 30) {
  for (let press = 1; press <= max; press++) {
    await page.keyboard.press("Tab");
    if (!(await holdsFocus(container))) {
      await expectVisibleFocus(page, "leaving the panel");
      await page.keyboard.press("Shift+Tab");
      expect(await holdsFocus(container), "Shift+Tab goes back into the panel").toBe(true);
      return;
    }
    await expectVisibleFocus(page, `Tab #${press} inside the panel`);
  }
  throw new Error(`focus stayed inside ${container} for ${max} presses of Tab`);
}

/** The text of every live region on the page (aria-live, status, alert). */
export async function liveText(page: Page): Promise<string> {
  return page.evaluate(() =>
    Array.from(document.querySelectorAll("[aria-live]:not([aria-live=off]), [role=status], [role=alert]"))
      .map((element) => element.textContent ?? "")
      .join(" | "),
  );
}
