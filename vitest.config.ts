import { availableParallelism } from "node:os";
import path from "node:path";
import { isDeepStrictEqual } from "node:util";
import { cloudflareTest, readD1Migrations } from "@cloudflare/vitest-plugin";
import { defineConfig } from "vitest/config";
import { unstable_readConfig } from "wrangler";

/** A fresh RSA key pair (WebCrypto), as PEM: SPKI public, PKCS#8 private. */
async function rsaPair(): Promise<{ publicPem: string; privatePem: string }> {
  const pair = await crypto.subtle.generateKey(
    { name: "RSASSA-PKCS1-v1_5", modulusLength: 2048, publicExponent: new Uint8Array([1, 0, 1]), hash: "SHA-256" },
    true,
    ["sign", "verify"],
  );
  const pem = (der: ArrayBuffer, label: string) =>
    `-----BEGIN ${label}-----\n${Buffer.from(der)
      .toString("base64")
      .match(/.{1,64}/g)!
      .join("\n")}\n-----END ${label}-----\n`;
  return {
    publicPem: pem(await crypto.subtle.exportKey("spki", pair.publicKey), "PUBLIC KEY"),
    privatePem: pem(await crypto.subtle.exportKey("pkcs8", pair.privateKey), "PRIVATE KEY"),
  };
}

const randomText = (n: number) =>
  Buffer.from(crypto.getRandomValues(new Uint8Array(n)))
    .toString("base64url")
    .slice(0, n);

// Tests run inside workerd with the real D1 (migrations applied in test/setup.ts).
export default defineConfig(async () => {
  const migrations = await readD1Migrations(path.join(import.meta.dirname, "migrations"));
  // Provider keys are made afresh for every run: tests sign notifications with the private halves
  // (TEST_*), the Worker verifies with the public ones exactly as configured in production.
  const [wechatOld, wechatNew, wechatMerchant, alipayPlatform, alipayApp] = await Promise.all([
    rsaPair(),
    rsaPair(),
    rsaPair(),
    rsaPair(),
    rsaPair(),
  ]);
  // The variables of wrangler.toml's deployments, as wrangler resolves them: tests run the Worker with
  // them (test/http/config.test.ts) to prove what a deployment refuses to serve with.
  const deployments = Object.fromEntries(
    ["staging", "production"].map((env) => [
      env,
      unstable_readConfig({ config: path.join(import.meta.dirname, "wrangler.toml"), env }).vars,
    ]),
  );
  const bindings = {
    TEST_MIGRATIONS: migrations,
    TEST_DEPLOYMENT_VARS: JSON.stringify(deployments),
    // The stand-ins tests rely on (local payments, the sandbox, console SMS, OTP echo) are development-only.
    ENVIRONMENT: "development",
    JWT_SECRET: "test-jwt-secret-0123456789abcdefghijklmnop",
    PII_KEY: "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=",
    PII_LOOKUP_KEY: "",
    OTP_DEV_ECHO: "1",
    BOOTSTRAP_ADMIN_PHONES: "+8613800000000",
    CORS_ORIGINS: "https://app.example.test",
    OTP_TTL_SECONDS: "300",
    OTP_MAX_ATTEMPTS: "5",
    OTP_PHONE_LIMIT: "5/3600",
    OTP_IP_LIMIT: "1000/3600",
    OTP_PHONE_COOLDOWN_SECONDS: "0",
    // Tests that count D1 round trips (test/orders/booking-roundtrips.test.ts, …) need a token check that
    // stays cached while a slow machine runs them; the staleness itself is tested with its own value
    // (test/identity/token-revocation.test.ts passes TOKEN_VERSION_CACHE_SECONDS through callWith).
    TOKEN_VERSION_CACHE_SECONDS: "300",
    // Many tests book several orders for one customer; test/orders/open-order-caps.test.ts sets the caps it tests.
    MAX_OPEN_UNPAID_HOLDS: "100",
    MAX_UNPAID_AFTER_SERVICE_ORDERS: "100",
    SMS_PROVIDER: "console",
    STRIPE_WEBHOOK_SECRET: `whsec_${randomText(32)}`,
    SANDBOX_WEBHOOK_SECRET: `whsec_${randomText(32)}`,
    WECHATPAY_MCHID: "1900000109",
    WECHATPAY_APPID: "wxd678efh567hg6787",
    WECHATPAY_APIV3_KEY: randomText(32),
    // Two platform serials at once, as during a key switch.
    WECHATPAY_PUBLIC_KEYS: JSON.stringify({
      PUB_KEY_ID_0114232134912410000001: wechatOld.publicPem,
      "5157F09EFDC096DE15EBE81A47057A7232F1B8E1": wechatNew.publicPem,
    }),
    WECHATPAY_MERCHANT_PRIVATE_KEY: wechatMerchant.privatePem,
    ALIPAY_APP_ID: "2021004100000001",
    ALIPAY_PUBLIC_KEY: alipayPlatform.publicPem,
    ALIPAY_APP_PRIVATE_KEY: alipayApp.privatePem,
    PAYMENT_QUERY_AFTER_SECONDS: "0",
    // A failing cell event is retried at once, so it reaches the dead-letter queue within seconds.
    CELL_EVENTS_RETRY_SECONDS: "0",
    // A failed webhook delivery is retried at once by the real queue (test/webhooks/*); the backoff itself is
    // asserted with its own WEBHOOK_RETRY_SECONDS through the consumer.
    WEBHOOK_RETRY_SECONDS: "0",
    TEST_WECHATPAY_PLATFORM_KEYS: JSON.stringify({
      PUB_KEY_ID_0114232134912410000001: wechatOld.privatePem,
      "5157F09EFDC096DE15EBE81A47057A7232F1B8E1": wechatNew.privatePem,
    }),
    TEST_WECHATPAY_MERCHANT_PUBLIC_KEY: wechatMerchant.publicPem,
    TEST_ALIPAY_PRIVATE_KEY: alipayPlatform.privatePem,
    TEST_ALIPAY_APP_PUBLIC_KEY: alipayApp.publicPem,
  };
  // The test suite fires many requests from one IP or account within a minute: every rate limit of
  // wrangler.toml is raised out of reach here. Tests of the limits themselves swap in
  // TEST_RATE_LIMIT_LOW (3 per 60 s) for the binding they exercise (test/http/rate-limit.test.ts).
  const unreachable = { limit: 1_000_000_000, period: 60 as const };
  const ratelimits = {
    RATE_LIMIT_WRITE: { namespace_id: "1301", simple: unreachable },
    RATE_LIMIT_EXPENSIVE: { namespace_id: "1302", simple: unreachable },
    RATE_LIMIT_SIGNIN: { namespace_id: "1303", simple: unreachable },
    RATE_LIMIT_SIGNIN_PHONE: { namespace_id: "1304", simple: unreachable },
    TEST_RATE_LIMIT_LOW: { namespace_id: "1399", simple: { limit: 3, period: 60 as const } },
  };
  const root = import.meta.dirname;
  assertSameBindings(path.join(root, "wrangler.toml"), path.join(root, "bench", "wrangler.toml"));
  const workerProject = (name: string, configPath: string, include: string[]) => ({
    // RESTORE_DB: an empty D1 database of the tests only, where test/backups/backup.test.ts restores a backup.
    plugins: [cloudflareTest({ wrangler: { configPath }, miniflare: { bindings, ratelimits, d1Databases: ["RESTORE_DB"] } })],
    test: {
      name,
      setupFiles: ["./test/setup.ts"],
      include,
      testTimeout: 30_000,
    },
  });
  return {
    test: {
      // Test files run two at a time at least: a file spends most of its time starting (modules, migrations)
      // and waiting on workerd, so on a two-core machine two files in parallel take about half the time of
      // one after the other (vitest's default there is one). More cores: one file per core but one.
      maxWorkers: Math.max(2, availableParallelism() - 1),
      // Info log lines (requests, console SMS and push, drains) and the security warnings the webhook,
      // cell-event and number-privacy retries the tests provoke on purpose are noise in test output; set DOORSTEP_TEST_LOGS=1 to see them.
      onConsoleLog: (log: string) =>
        process.env.DOORSTEP_TEST_LOGS === "1" ||
        !/"level":"info"|"msg":"payment\.security"|"msg":"cell\.event_(retry|dead_letter)"|"msg":"number_privacy\.retry"/.test(log),
      projects: [
        // The production Worker (src/index.ts).
        workerProject("api", "./wrangler.toml", ["test/**/*.test.ts"]),
        // The benchmark Worker (bench/worker.ts): the same app plus the benchmark routes.
        workerProject("bench-worker", "./bench/wrangler.toml", ["bench/worker/**/*.test.ts"]),
      ],
    },
  };
});

/**
 * What may differ between the two Wrangler configurations: the Worker's name and entry point, where the
 * file is, and the deployments it defines (the benchmark Worker is never deployed; the top-level
 * bindings and variables compared here are what both run locally).
 */
const PER_WORKER = new Set(["name", "topLevelName", "main", "configPath", "userConfigPath", "definedEnvironments"]);

/**
 * Fails unless the two Wrangler configurations declare the same bindings, variables, triggers and
 * runtime (only the name, the entry point, paths relative to each file and the rate limits' counts
 * may differ), so the benchmark Worker always measures what production runs. The benchmark keeps
 * every rate-limit binding (same name, namespace and period: the same cost per request) with a
 * count it never reaches.
 */
function assertSameBindings(productionPath: string, benchPath: string): void {
  const comparable = (configPath: string): Record<string, unknown> => {
    const config = unstable_readConfig({ config: configPath });
    const dir = path.dirname(path.resolve(configPath));
    return {
      ...Object.fromEntries(Object.entries(config).filter(([key]) => !PER_WORKER.has(key))),
      d1_databases: config.d1_databases.map((d) => ({ ...d, migrations_dir: d.migrations_dir && path.resolve(dir, d.migrations_dir) })),
      assets: config.assets && { ...config.assets, directory: config.assets.directory && path.resolve(dir, config.assets.directory) },
      ratelimits: config.ratelimits.map((r) => ({ ...r, simple: { period: r.simple.period } })),
    };
  };
  const production = comparable(productionPath);
  const bench = comparable(benchPath);
  const differing = Object.keys({ ...production, ...bench }).filter((key) => !isDeepStrictEqual(production[key], bench[key]));
  if (differing.length) throw new Error(`${benchPath} differs from ${productionPath} in: ${differing.join(", ")}`);
}
