/**
 * The Workers Rate Limiting binding (wrangler.toml `[[ratelimits]]`): a counter per key kept by
 * Cloudflare at the edge, no D1 statement. Every binding of this Worker counts per 60 seconds
 * (test/http/rate-limit.test.ts checks wrangler.toml against this constant).
 */
import { rateLimited } from "../errors";

export const RATE_LIMIT_PERIOD_SECONDS = 60;

/**
 * Seconds until the counting window rolls over: at most one period. Windows follow the clock
 * (one every `period` seconds), so this is when the next request is counted afresh.
 */
export function retryAfterSeconds(now = Date.now(), period = RATE_LIMIT_PERIOD_SECONDS): number {
  return Math.max(1, period - (Math.floor(now / 1000) % period));
}

/** Counts one request against `key`; over the limit, fails with 429 RATE_LIMITED and Retry-After. */
export async function enforceLimit(limiter: RateLimit, key: string): Promise<void> {
  const { success } = await limiter.limit({ key });
  if (!success) throw rateLimited(retryAfterSeconds());
}
