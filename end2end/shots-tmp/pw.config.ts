import { defineConfig } from "@playwright/test";
export default defineConfig({ testDir: ".", timeout: 60000, workers: 1, use: { launchOptions: { executablePath: "/usr/bin/chromium", args: ["--no-sandbox"] } } });
