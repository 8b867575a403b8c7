// `make bench` only: the first-load measurement on a throttled network,
// against the same release server and settings as the end-to-end suite.
import { defineConfig } from "@playwright/test";
import suite from "./playwright.config";

export default defineConfig({
  ...suite,
  testDir: "./bench",
  outputDir: "./bench-results",
  timeout: 180_000,
});
