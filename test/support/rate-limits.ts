/** Helpers for tests of the rate limits (the Workers Rate Limiting binding, counting per 60 s). */
import { env } from "cloudflare:test";
import { RATE_LIMIT_PERIOD_SECONDS } from "../../src/lib/rate-limit";

/** The limit of TEST_RATE_LIMIT_LOW (vitest.config.ts). */
export const LOW_LIMIT = 3;

/** The Worker's bindings with `binding` replaced by the low test limiter (3 per 60 s). */
export function withLowLimit(binding: keyof Env, base: Env = env): Env {
  return { ...base, [binding]: env.TEST_RATE_LIMIT_LOW } as Env;
}

/**
 * Waits, when the counting window rolls over within `margin` seconds, until it has: the local
 * limiter's windows follow the clock, so a test's requests then all fall in one window.
 */
export async function freshWindow(margin = 12): Promise<void> {
  const left = RATE_LIMIT_PERIOD_SECONDS - ((Date.now() / 1000) % RATE_LIMIT_PERIOD_SECONDS);
  if (left < margin) await new Promise((resolve) => setTimeout(resolve, left * 1000 + 200));
}

let n = 0;
/** An IP no other test uses. */
export function uniqueIp(): string {
  n += 1;
  return `198.18.${(Date.now() >> 10) % 250}.${(n * 37 + Math.floor(Math.random() * 200)) % 250}`;
}
