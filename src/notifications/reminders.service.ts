/** Visit reminders, 24 hours and 1 hour before the start, written to the outbox by the cron trigger. */
import { getDb } from "../db/client";
import { queueReminders } from "../db/repositories/notifications.repo";
import { logger } from "../lib/log";

const HOUR = 3_600_000;

/**
 * Writes the reminders that are due: every upcoming order starting within 24 h (or 1 h) gets its
 * reminder once, also after a pause of the cron. Returns how many of each were written.
 */
export async function writeDueReminders(env: Env, now = Date.now()): Promise<{ day: number; hour: number }> {
  const db = getDb(env);
  const day = await queueReminders(db, "24h", 24 * HOUR, now);
  const hour = await queueReminders(db, "1h", HOUR, now);
  if (day || hour) logger.info("reminders.queued", { day, hour });
  return { day, hour };
}
