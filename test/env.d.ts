declare namespace Cloudflare {
  interface Env {
    TEST_MIGRATIONS: import("cloudflare:test").D1Migration[];
    /** Wechatpay-Serial → PKCS#8 PEM of the platform key tests sign notifications with. */
    TEST_WECHATPAY_PLATFORM_KEYS: string;
    TEST_WECHATPAY_MERCHANT_PUBLIC_KEY: string;
    TEST_ALIPAY_PRIVATE_KEY: string;
    TEST_ALIPAY_APP_PUBLIC_KEY: string;
    /** A rate limiter of 3 requests per 60 s (vitest.config.ts): tests of the limits swap it in for a binding. */
    TEST_RATE_LIMIT_LOW: RateLimit;
    /** An empty D1 database (vitest.config.ts) a backup is restored into (test/backups/backup.test.ts). */
    RESTORE_DB: D1Database;
    /** JSON: {staging, production} → the [vars] wrangler.toml gives that deployment (vitest.config.ts). */
    TEST_DEPLOYMENT_VARS: string;
  }
}

declare module "*.md?raw" {
  const text: string;
  export default text;
}

declare module "*.toml?raw" {
  const text: string;
  export default text;
}

declare module "*.txt?raw" {
  const text: string;
  export default text;
}
