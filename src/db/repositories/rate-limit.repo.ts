import type { Db } from "../client";

/** A fixed-window limit: at most `limit` events per `windowSeconds` for one key. */
export interface WindowLimit {
  key: string;
  limit: number;
  windowSeconds: number;
}

export interface LimitVerdict {
  allowed: boolean;
  /** Seconds until the window resets (when not allowed). */
  retryAfter: number;
}

/**
 * Counts one event against each limit in a single D1 round trip. Each upsert is one atomic
 * statement, so concurrent isolates never lose a count.
 */
export async function hitLimits(db: Db, limits: WindowLimit[], now = Date.now()): Promise<LimitVerdict> {
  const statements = limits.map((l) =>
    db.$client
      .prepare(
        `INSERT INTO rate_limits (key, window_start, count) VALUES (?1, ?2, 1)
         ON CONFLICT(key) DO UPDATE SET
           count = CASE WHEN rate_limits.window_start + ?3 <= ?2 THEN 1 ELSE rate_limits.count + 1 END,
           window_start = CASE WHEN rate_limits.window_start + ?3 <= ?2 THEN ?2 ELSE rate_limits.window_start END
         RETURNING count, window_start`,
      )
      .bind(l.key, now, l.windowSeconds * 1000),
  );
  const results = await db.$client.batch<{ count: number; window_start: number }>(statements);
  let retryAfter = 0;
  results.forEach((r, i) => {
    const row = r.results[0];
    const limit = limits[i]!;
    if (row && row.count > limit.limit) {
      retryAfter = Math.max(retryAfter, (row.window_start + limit.windowSeconds * 1000 - now) / 1000);
    }
  });
  return { allowed: retryAfter === 0, retryAfter: Math.ceil(retryAfter) };
}
