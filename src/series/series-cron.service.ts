/** The cron's step for recurring visits: series whose next run fell due book what came into the horizon. */
import { getDb } from "../db/client";
import { logger } from "../lib/log";
import { dueSeries } from "./series.repo";
import { generateVisits } from "./visits.service";

/** Series one cron run looks at, at most (the rest are due on the next run, a minute later). */
const PER_RUN = 20;

/**
 * Books the visits of the active series that are due (`next_run_at`, set SERIES_RUN_EVERY_MS ahead
 * at each run, and to now on create and resume). A series that fails is logged and left for the
 * next run; the others go on. Returns the counts.
 */
export async function runDueSeries(
  env: Env,
  now = Date.now(),
): Promise<{ series: number; booked: number; unbookable: number; failed: number }> {
  const summary = { series: 0, booked: 0, unbookable: 0, failed: 0 };
  for (const s of await dueSeries(getDb(env), now, PER_RUN)) {
    summary.series += 1;
    try {
      const done = await generateVisits(env, s, now);
      summary.booked += done.booked;
      summary.unbookable += done.unbookable;
    } catch (err) {
      summary.failed += 1;
      logger.error("series.run_failed", { seriesId: s.id, error: String(err) });
    }
  }
  return summary;
}
