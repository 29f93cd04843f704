import path from "node:path";
import { cloudflareTest, readD1Migrations } from "@cloudflare/vitest-plugin";
import { defineConfig } from "vitest/config";

// Benchmarks that must run inside workerd (in-DO loops), on the benchmark Worker (bench/wrangler.toml).
// Started by `npm run bench`, never by `npm test`.
// D1 suites apply the migrations themselves (TEST_MIGRATIONS), as the tests do.
export default defineConfig(async () => ({
  plugins: [
    cloudflareTest({
      wrangler: { configPath: path.join(import.meta.dirname, "wrangler.toml") },
      miniflare: {
        bindings: {
          BENCH_QUICK: process.env.BENCH_QUICK ?? "0",
          TEST_MIGRATIONS: await readD1Migrations(path.join(import.meta.dirname, "..", "migrations")),
        },
      },
    }),
  ],
  test: {
    root: import.meta.dirname,
    include: ["**/*.bench.test.ts"],
    testTimeout: 600_000,
    onConsoleLog: (log: string) => log.startsWith("BENCH "),
  },
}));
