import { defineConfig, devices } from "@playwright/test";

const port = 3100;
// A real OpenID Connect provider (oidc-provider, end2end/oidc/provider.mjs)
// that the server offers as "Acme ID".
const idpPort = 3101;
const idpClient = {
  client_id: "statusstack-e2e",
  client_secret: "e2e-client-secret",
  redirect_uris: [`http://localhost:${port}/auth/oauth/acme/callback`],
};
// The same provider as a company's identity provider for single sign-on,
// configured by an Owner in the app (single_sign_on.spec.ts).
const ssoClient = {
  client_id: "statusstack-sso",
  client_secret: "e2e-sso-secret",
  redirect_uris: [`http://localhost:${port}/auth/sso/callback`],
};
// A DNS server on loopback whose TXT records the specs set over HTTP.
const dnsPort = 3153;
const dnsControlPort = 3154;

export default defineConfig({
  testDir: "./tests",
  outputDir: "./test-results",
  timeout: 60_000,
  expect: { timeout: 10_000 },
  fullyParallel: false,
  workers: 1,
  retries: 0,
  reporter: [["list"]],
  use: {
    baseURL: `http://127.0.0.1:${port}`,
    trace: "retain-on-failure",
    screenshot: "only-on-failure",
  },
  projects: [
    {
      name: "chromium",
      use: {
        ...devices["Desktop Chrome"],
        launchOptions: {
          executablePath: process.env.CHROMIUM_PATH ?? "/usr/bin/chromium",
          args: [
            "--no-sandbox",
            "--disable-gpu",
            "--disable-quic",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
          ],
        },
      },
    },
  ],
  webServer: [
    {
      command: "node end2end/oidc/provider.mjs",
      cwd: "..",
      url: `http://127.0.0.1:${idpPort}/.well-known/openid-configuration`,
      reuseExistingServer: false,
      timeout: 30_000,
      env: { PORT: String(idpPort), CLIENTS: JSON.stringify([idpClient, ssoClient]) },
    },
    {
      command: "node end2end/dns/server.mjs",
      cwd: "..",
      url: `http://127.0.0.1:${dnsControlPort}/healthz`,
      reuseExistingServer: false,
      timeout: 30_000,
      env: { DNS_PORT: String(dnsPort), DNS_CONTROL_PORT: String(dnsControlPort) },
    },
    {
      // A fresh SQLite database for every run of the suite.
      command: "rm -rf target/e2e-data && target/release/statusstack",
      cwd: "..",
      url: `http://127.0.0.1:${port}/healthz`,
      reuseExistingServer: false,
      timeout: 60_000,
      env: {
        BIND_ADDR: `127.0.0.1:${port}`,
        DATA_DIR: "target/e2e-data",
        SITE_ROOT: "target/site",
        LOG_LEVEL: "warn",
        // Every sensitive action asks for the password (and 2FA code) again, so
        // the suite exercises the sudo prompt instead of an open sudo window.
        SUDO_WINDOW_MINUTES: "0",
        // Specs that stand for people elsewhere say so with X-Forwarded-For
        // (connections.spec.ts), so the suite's many sign-ups from one
        // address stay within the per-address sign-up limit.
        TRUST_PROXY_HEADERS: "true",
        OIDC_PROVIDERS: `acme:http://127.0.0.1:${idpPort}:${idpClient.client_id}`,
        OIDC_ACME_CLIENT_SECRET: idpClient.client_secret,
        OIDC_ACME_LABEL: "Acme ID",
        DNS_NAMESERVER: `127.0.0.1:${dnsPort}`,
      },
    },
  ],
});
