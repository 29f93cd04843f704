import { applyD1Migrations, env } from "cloudflare:test";
import { afterAll } from "vitest";
import { assertNoLeaks, captureConsole, forbiddenFrom } from "./support/log-scan";

// Every console line of this test file is kept from here on; after its last test none may hold a
// phone number, a code, a token, a secret or an address (test/support/log-scan.ts).
const captured = captureConsole();

// Setup files may run more than once; applyD1Migrations skips what is already applied.
await applyD1Migrations(env.DB, env.TEST_MIGRATIONS);

afterAll(() => {
  assertNoLeaks(captured.take(), forbiddenFrom(env as unknown as Record<string, unknown>));
});
