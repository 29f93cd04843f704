/**
 * The staff list of visits that could not be booked and are still ahead, with their alternatives:
 * operators see every one (optionally of one city or merchant), a merchant_admin its merchant's
 * only. Taking an alternative goes through the series' reschedule route (visits.service
 * rescheduleVisit), which books it and so takes the visit off this list.
 */
import { getDb } from "../db/client";
import { isPlatform } from "../domain/roles";
import { toZonedIso } from "../domain/zoned";
import type { Auth } from "../env";
import { AppError } from "../errors";
import { decodeCursor, toPage } from "../lib/cursor";
import { unbookableForStaff } from "./series.repo";
import { problemText } from "./staff-notice";
import { zoneOf } from "./visits.service";

export async function listUnbookable(env: Env, auth: Auth, q: { cityId?: string; merchantId?: string; cursor?: string; limit: number }) {
  let merchantId = q.merchantId;
  if (!isPlatform(auth.roles)) {
    if (!auth.roles.includes("merchant_admin") || auth.merchantId === null) throw AppError.of("FORBIDDEN");
    if (merchantId !== undefined && merchantId !== auth.merchantId) throw AppError.of("FORBIDDEN");
    merchantId = auth.merchantId;
  }
  const rows = await unbookableForStaff(getDb(env), {
    merchantId,
    cityId: q.cityId,
    since: Date.now(),
    after: decodeCursor(q.cursor),
    limit: q.limit + 1,
  });
  const zones = new Map<string, string>();
  const items = [];
  for (const { occurrence: v, series: s } of rows) {
    const timeZone = zones.get(s.cityId) ?? (await zoneOf(env, s));
    zones.set(s.cityId, timeZone);
    items.push({
      id: v.id,
      seriesId: s.id,
      customerId: s.customerId,
      serviceId: s.serviceId,
      cityId: s.cityId,
      merchantId: s.merchantId,
      date: v.date,
      start: toZonedIso(v.startAt, timeZone),
      timeZone,
      problem: v.problem,
      problemText: v.problem ? problemText(v.problem) : null,
      alternatives: (v.alternatives ?? []).map((a) => ({ technicianId: a.technicianId, start: toZonedIso(a.start, timeZone) })),
    });
  }
  return toPage(items, q.limit);
}
