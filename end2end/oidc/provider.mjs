// A real OpenID Connect provider for tests: `oidc-provider` (v9, OpenID
// Certified) with its built-in development login and consent pages.
//
//   PORT=0 CLIENTS='[{"client_id":"app","client_secret":"s","redirect_uris":["http://localhost:3100/auth/oauth/acme/callback"]}]' \
//     node end2end/oidc/provider.mjs
//
// Environment:
//   PORT     port on 127.0.0.1 to listen on; 0 (the default) picks a free one.
//   CLIENTS  optional JSON array of static clients, each
//            {client_id, client_secret, redirect_uris[, token_endpoint_auth_method]}
//            (the method defaults to client_secret_basic).
//
// Once listening it prints exactly one line to stdout,
//   ISSUER=http://127.0.0.1:<port>
// and nothing else there (oidc-provider's own notices go to stderr). Clients
// can also register themselves: dynamic client registration is open at
// `registration_endpoint` (POST /reg, no initial access token).
//
// Accounts: whatever login is typed on the login page (any password) is the
// account. sub = the login; email = the login if it contains '@', else
// `<login>@example.test`; email_verified = true unless the login starts with
// `unverified`; name = the part of the email before '@'. These claims are
// granted with the `email` and `profile` scopes and appear both in the ID
// token and at the userinfo endpoint.
//
// When stdin is a pipe (as a test harness starts it), the provider exits as
// soon as stdin closes, so it never outlives the process that started it.
// PKCE (S256) is required for every authorization request. Client
// authentication: oidc-provider takes client_secret_basic and
// client_secret_post alike from any client with a secret.
//
// Cookies: oidc-provider sets `Secure` only on requests it sees as https, so
// over plain http on 127.0.0.1 its interaction and session cookies work
// without overriding `cookies.long/short.secure`.

import { randomBytes, generateKeyPairSync } from "node:crypto";
import { fstatSync } from "node:fs";
import { createServer } from "node:http";

// oidc-provider prints notices with console.info (stdout) and warnings with
// console.warn. Keep stdout for the ISSUER line alone, and drop the warnings
// that only restate what a throwaway test provider is: development
// interactions, the in-memory store, and Node 20 (v9 asks for 22, runs on 20).
const EXPECTED_WARNINGS = ["devInteractions", "in-memory adapter", "Unsupported runtime"];
console.info = (...args) => console.error(...args);
const warn = console.warn;
console.warn = (...args) => {
  if (EXPECTED_WARNINGS.some((w) => String(args[0]).includes(w))) return;
  warn(...args);
};
// Imported after the console is set up: the runtime warning fires on import.
const { default: Provider } = await import("oidc-provider");

function exitWithParent() {
  let stat;
  try {
    stat = fstatSync(0);
  } catch {
    return;
  }
  if (!stat.isFIFO() && !stat.isSocket()) return;
  process.stdin.on("end", () => process.exit(0));
  process.stdin.on("error", () => process.exit(0));
  process.stdin.resume();
}

function parseClients(text) {
  if (!text) return [];
  const clients = JSON.parse(text);
  if (!Array.isArray(clients)) throw new Error("CLIENTS must be a JSON array");
  return clients.map((c) => ({
    client_id: c.client_id,
    client_secret: c.client_secret,
    redirect_uris: c.redirect_uris,
    grant_types: ["authorization_code"],
    response_types: ["code"],
    token_endpoint_auth_method: c.token_endpoint_auth_method ?? "client_secret_basic",
  }));
}

function accountClaims(login) {
  const email = login.includes("@") ? login : `${login}@example.test`;
  return {
    sub: login,
    email,
    email_verified: !login.startsWith("unverified"),
    name: email.split("@")[0],
  };
}

async function main() {
  exitWithParent();
  const clients = parseClients(process.env.CLIENTS);
  const server = createServer();
  await new Promise((resolve, reject) => {
    server.once("error", reject);
    server.listen(Number(process.env.PORT ?? 0), "127.0.0.1", resolve);
  });
  const { port } = server.address();
  const issuer = `http://127.0.0.1:${port}`;

  // A fresh signing key per run (the built-in development key would warn).
  const { privateKey } = generateKeyPairSync("rsa", { modulusLength: 2048 });
  const jwk = { ...privateKey.export({ format: "jwk" }), kid: "test-rs256", use: "sig", alg: "RS256" };

  const provider = new Provider(issuer, {
    clients,
    jwks: { keys: [jwk] },
    cookies: { keys: [randomBytes(32).toString("base64url")] },
    claims: {
      openid: ["sub"],
      email: ["email", "email_verified"],
      profile: ["name"],
    },
    // Scope-granted claims go into the ID token too, not only to userinfo.
    conformIdTokenClaims: false,
    features: {
      devInteractions: { enabled: true },
      registration: { enabled: true },
      userinfo: { enabled: true },
    },
    pkce: { required: () => true },
    // Explicit lifetimes (seconds): the defaults work but print a notice each.
    ttl: {
      AccessToken: 3600,
      AuthorizationCode: 60,
      Grant: 3600,
      IdToken: 3600,
      Interaction: 600,
      Session: 3600,
    },
    async findAccount(_ctx, id) {
      return {
        accountId: id,
        async claims() {
          return accountClaims(id);
        },
      };
    },
    clientDefaults: {
      grant_types: ["authorization_code"],
      response_types: ["code"],
      token_endpoint_auth_method: "client_secret_basic",
      id_token_signed_response_alg: "RS256",
    },
  });
  provider.on("server_error", (_ctx, err) => console.error("oidc-provider server_error:", err));
  server.on("request", provider.callback());
  process.stdout.write(`ISSUER=${issuer}\n`);
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
