import path from "node:path";
import { cloudflareTest, readD1Migrations } from "@cloudflare/vitest-plugin";
import { defineConfig } from "vitest/config";

// Tests run inside workerd with the real D1 (migrations applied in test/setup.ts).
export default defineConfig(async () => {
  const migrations = await readD1Migrations(path.join(import.meta.dirname, "migrations"));
  return {
    plugins: [
      cloudflareTest({
        wrangler: { configPath: "./wrangler.toml" },
        miniflare: {
          bindings: {
            TEST_MIGRATIONS: migrations,
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
            SMS_PROVIDER: "console",
          },
        },
      }),
    ],
    test: {
      setupFiles: ["./test/setup.ts"],
      include: ["test/**/*.test.ts"],
      testTimeout: 30_000,
      // Info log lines (requests, console SMS and push, drains) are noise in test output; set DOORSTEP_TEST_LOGS=1 to see them.
      onConsoleLog: (log: string) => process.env.DOORSTEP_TEST_LOGS === "1" || !/"level":"info"/.test(log),
    },
  };
});
