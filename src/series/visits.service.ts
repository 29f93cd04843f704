/**
 * The visits of a series: booking what comes into the rolling horizon, one order per visit through
 * the owner cell like any booking (src/orders), with the preferred technician where free and
 * otherwise whoever the service's dispatch picks; what cannot be booked is kept with alternatives
 * (another technician at the same time, nearby free times) and told to the customer, the second
 * contact and staff. Skipping, moving and cancelling a visit go through the order's own flows, so
 * the service's cancellation policy applies to each visit.
 *
 * Never twice: a date is claimed by inserting its row (unique per series and date) before its order
 * is placed, and the order is placed under an Idempotency-Key of the claim, with a quote whose terms
 * are a pure function of the visit, so a retry of the same claim gets the same order back.
 */
import { config } from "../config";
import { getDb } from "../db/client";
import { findOwnAddress } from "../db/repositories/addresses.repo";
import { bookableService } from "../db/repositories/booking.repo";
import { findCity } from "../db/repositories/cities.repo";
import { findIdempotencyKey, findOrder } from "../db/repositories/orders.repo";
import type { OutboxMessage } from "../domain/outbox";
import { occurrenceDates, occurrenceStart, type SeriesBounds } from "../domain/recurrence";
import { addDays, localDate } from "../domain/zoned";
import { AppError, invalid, notFound } from "../errors";
import { exactPoint } from "../lib/coordinates";
import { newId } from "../lib/ids";
import { logger } from "../lib/log";
import { Pii } from "../lib/pii";
import { cancelOrder, createQuote, placeOrderOnce, readable, readQuote, rescheduleOrder, signQuote, type Actor } from "../orders";
import { searchTechnicians } from "../technicians";
import {
  claimOccurrence,
  insertDecided,
  occurrenceOnDate,
  occurrencesOf,
  PAUSED,
  setNextRun,
  updateOccurrence,
  type OccurrenceRow,
  type SeriesRow,
  type StaffNoticeRows,
} from "./series.repo";
import { staffUnbookableNotice } from "./staff-notice";

/** A claim older than this is taken to be dead (its booker failed) and may be taken over. */
const CLAIM_LEASE_MS = 120_000;
/** How often the cron looks at an active series again (new dates come into the horizon daily). */
export const SERIES_RUN_EVERY_MS = 6 * 3_600_000;
/** Alternatives offered for a visit that could not be booked. */
const MAX_ALTERNATIVES = 5;

export const boundsOf = (s: SeriesRow): SeriesBounds => ({ startDate: s.startDate, untilDate: s.untilDate, count: s.count });

/** The series' city zone (its wall clock). */
export async function zoneOf(env: Env, s: SeriesRow): Promise<string> {
  const city = await findCity(getDb(env), s.cityId);
  return city?.timeZone ?? "Asia/Shanghai";
}

/** The notices of a visit's change: to the customer and, when there is one, to the second contact. */
export function visitMessages(
  s: SeriesRow,
  event: "booked" | "unbookable" | "skipped" | "rescheduled" | "cancelled",
  v: { start: number; orderId?: string | null; alternatives?: number; packageUsedUp?: boolean },
  timeZone: string,
): OutboxMessage[] {
  const recipients = [{ id: s.customerId, contact: false }, ...(s.contactAccountId ? [{ id: s.contactAccountId, contact: true }] : [])];
  return recipients.map((r) => ({
    id: newId("msg"),
    topic: "series.visit" as const,
    payload: {
      seriesId: s.id,
      customerId: r.id,
      event,
      start: v.start,
      timeZone,
      ...(v.orderId ? { orderId: v.orderId } : {}),
      ...(v.alternatives !== undefined ? { alternatives: v.alternatives } : {}),
      ...(v.packageUsedUp ? { packageUsedUp: true } : {}),
      contact: r.contact,
    },
  }));
}

/** The Idempotency-Key a visit's order is placed under: the claim, the start and the technician asked for. */
const visitKey = (occurrenceId: string, claimedAt: number, start: number, technicianId: string | null) =>
  `series:${occurrenceId}:${claimedAt}:${start}:${technicianId ?? "any"}`;

/**
 * Books the dates of an active series that came into the horizon (SERIES_HORIZON_DAYS, within the
 * service's own booking horizon and lead time), one after the other; dates that have a row are
 * left alone (booked, skipped, unbookable, or being booked by another run). Returns what it did.
 */
export async function generateVisits(env: Env, s: SeriesRow, now = Date.now()): Promise<{ booked: number; unbookable: number }> {
  const db = getDb(env);
  const done = { booked: 0, unbookable: 0 };
  await setNextRun(db, s.id, now + SERIES_RUN_EVERY_MS);
  if (s.status !== "active") return done;
  const found = await bookableService(db, s.serviceId);
  const timeZone = await zoneOf(env, s);
  if (!found) return done;
  const { service } = found;
  const horizonDays = Math.min(config(env).SERIES_HORIZON_DAYS, service.horizonDays);
  const today = localDate(now, timeZone);
  const from = s.startDate > today ? s.startDate : today;
  const dates = occurrenceDates(s.rule, boundsOf(s), from, addDays(today, horizonDays));
  const rows = new Map((await occurrencesOf(db, s.id, from)).map((o) => [o.date, o]));
  const earliest = now + service.leadTimeMinutes * 60_000;
  const latest = now + service.horizonDays * 86_400_000;
  for (const { date, n } of dates) {
    const start = occurrenceStart(date, s.timeOfDay, timeZone);
    if (start < earliest || start > latest) continue;
    const existing = rows.get(date);
    const stale = existing?.status === "booking" && (existing.claimedAt ?? 0) < now - CLAIM_LEASE_MS;
    const paused = existing?.status === "cancelled" && existing.problem === PAUSED;
    if (existing && !stale && !paused) continue;
    const claim: OccurrenceRow = {
      id: existing?.id ?? newId("soc"),
      seriesId: s.id,
      date,
      n,
      startAt: start,
      status: "booking",
      orderId: null,
      technicianId: null,
      movedFrom: null,
      problem: null,
      alternatives: null,
      claimedAt: now,
      createdAt: now,
      updatedAt: now,
    };
    if (!(await claimOccurrence(db, claim, now - CLAIM_LEASE_MS))) continue;
    const row = existing ? ((await occurrenceOnDate(db, s.id, date)) ?? claim) : claim;
    const earlier = stale ? await earlierOrder(env, s, existing) : null;
    const outcome = earlier
      ? await recordBooked(env, s, row, earlier, timeZone)
      : await bookVisit(env, s, row, { start, technicianId: s.preferredTechnicianId, fallback: true }, timeZone);
    done[outcome] += 1;
  }
  return done;
}

/** The order a dead claim of this visit placed before its booker failed (looked up under its keys), if any. */
async function earlierOrder(env: Env, s: SeriesRow, dead: OccurrenceRow): Promise<{ orderId: string; technicianId: string | null } | null> {
  if (dead.claimedAt === null) return null;
  const db = getDb(env);
  for (const tech of [s.preferredTechnicianId, null]) {
    const key = await findIdempotencyKey(db, s.customerId, visitKey(dead.id, dead.claimedAt, dead.startAt, tech));
    if (key?.statusCode !== 201 || !key.body) continue;
    // The stored answer is the order, or its id when the answer was rendered after the write.
    const answer = (await readable(env, key.body)) as { id?: string; pendingOrderId?: string };
    const id = answer.id ?? answer.pendingOrderId;
    const order = id ? await findOrder(db, id) : undefined;
    if (order && order.status !== "cancelled") return { orderId: order.id, technicianId: order.technicianId };
  }
  return null;
}

async function recordBooked(
  env: Env,
  s: SeriesRow,
  row: OccurrenceRow,
  order: { orderId: string; technicianId: string | null },
  timeZone: string,
): Promise<"booked"> {
  const now = Date.now();
  await updateOccurrence(
    getDb(env),
    row.id,
    ["booking"],
    { status: "booked", orderId: order.orderId, technicianId: order.technicianId, problem: null, alternatives: null, updatedAt: now },
    visitMessages(s, "booked", { start: row.startAt, orderId: order.orderId }, timeZone),
  );
  return "booked";
}

/**
 * Places the order of one claimed visit: with `technicianId` (the chosen mode) and, if that
 * technician is taken and `fallback` allows, once more without (the service's own dispatch).
 * A visit nobody can take is recorded `unbookable` with its alternatives and the reason.
 */
export async function bookVisit(
  env: Env,
  s: SeriesRow,
  row: OccurrenceRow,
  ask: { start: number; technicianId: string | null; fallback: boolean },
  timeZone: string,
): Promise<"booked" | "unbookable"> {
  const db = getDb(env);
  const address = await findOwnAddress(db, s.customerId, s.addressId);
  const attempts = ask.technicianId ? [ask.technicianId, ...(ask.fallback ? [null] : [])] : [null];
  let problem = "SLOT_UNAVAILABLE";
  if (!address) problem = "ADDRESS_GONE";
  else {
    const point = await exactPoint(await Pii.fromEnv(env), "addresses", address);
    // The series' package pays while it has visits; once it has none (or is no longer usable), per visit.
    let withPackage = s.packageId !== null;
    let packageUsedUp = false;
    for (let i = 0; i < attempts.length; i++) {
      const technicianId = attempts[i]!;
      try {
        const quoted = await createQuote(env, s.customerId, {
          serviceId: s.serviceId,
          lat: point.lat,
          lng: point.lng,
          start: new Date(ask.start).toISOString(),
          units: s.units,
          ...(withPackage ? { packageId: s.packageId! } : {}),
        });
        // Pinned to the visit (no clock): a retry of this claim signs the same quote and gets the same order.
        const quoteId = await signQuote(env, { ...(await readQuote(env, quoted.id)), expiresAt: ask.start });
        const key = `${visitKey(row.id, row.claimedAt ?? 0, ask.start, technicianId)}${withPackage ? ":package" : ""}`;
        const outcome = await placeOrderOnce(env, s.customerId, key, {
          quoteId,
          addressId: s.addressId,
          start: new Date(ask.start).toISOString(),
          ...(technicianId ? { technicianId } : {}),
          paymentPlan: "after_service",
          ...(s.notes ? { notes: s.notes } : {}),
          series: { seriesId: s.id },
        });
        const order = outcome.body as { id: string; technician?: { id: string } | null };
        const booked = await findOrder(db, order.id);
        const now = Date.now();
        await updateOccurrence(
          db,
          row.id,
          ["booking"],
          {
            status: "booked",
            startAt: ask.start,
            orderId: order.id,
            technicianId: booked?.technicianId ?? technicianId,
            problem: null,
            alternatives: null,
            updatedAt: now,
          },
          visitMessages(
            s,
            row.status === "unbookable" || row.movedFrom !== null ? "rescheduled" : "booked",
            { start: ask.start, orderId: order.id, packageUsedUp },
            timeZone,
          ),
        );
        return "booked";
      } catch (err) {
        if (!(err instanceof AppError) || err.status >= 500) throw err;
        if (withPackage && (err.code === "PACKAGE_USED_UP" || err.code === "PACKAGE_NOT_USABLE")) {
          // The same technician again, paid per visit.
          withPackage = false;
          packageUsedUp = true;
          i -= 1;
          continue;
        }
        problem = err.code;
        if (err.code !== "SLOT_UNAVAILABLE") break;
      }
    }
  }
  const alternatives = address ? await alternativesFor(env, s, ask.start, timeZone, address) : [];
  const now = Date.now();
  await updateOccurrence(
    db,
    row.id,
    ["booking"],
    { status: "unbookable", startAt: ask.start, problem, alternatives, updatedAt: now },
    visitMessages(s, "unbookable", { start: ask.start, alternatives: alternatives.length }, timeZone),
    // Staff hear of it once per visit: when the horizon's claim fails, not when a later attempt from the list does.
    row.status === "unbookable" ? undefined : staffNotice(s, row, ask.start, problem, alternatives, timeZone),
  );
  // Staff see it in the series list (dashboard "Recurring visits"); the log names ids and the reason only.
  logger.warn("series.visit_unbookable", { seriesId: s.id, occurrenceId: row.id, problem, alternatives: alternatives.length });
  return "unbookable";
}

/** The staff notice of a visit the horizon could not book (see staff-notice.ts), keyed by the visit. */
function staffNotice(
  s: SeriesRow,
  row: OccurrenceRow,
  start: number,
  problem: string,
  alternatives: { technicianId: string; start: number }[],
  timeZone: string,
): StaffNoticeRows {
  const n = staffUnbookableNotice({ seriesId: s.id, occurrenceId: row.id, date: row.date, start, problem }, alternatives, timeZone);
  return { ...n, idPrefix: `${newId("ntf")}_`, sourceId: `series-unbookable:${row.id}`, merchantId: s.merchantId };
}

/**
 * What the customer could take instead: another technician free at the very time first, then the
 * free starts nearest to it that day and the next (technician search over the owner cells).
 */
async function alternativesFor(
  env: Env,
  s: SeriesRow,
  start: number,
  timeZone: string,
  address: { id: string } & Parameters<typeof exactPoint>[2],
): Promise<{ technicianId: string; start: number }[]> {
  const point = await exactPoint(await Pii.fromEnv(env), "addresses", address);
  const date = localDate(start, timeZone);
  const found: { technicianId: string; start: number }[] = [];
  for (const day of [date, addDays(date, 1)]) {
    try {
      const result = await searchTechnicians(env, {
        serviceId: s.serviceId,
        lat: point.lat,
        lng: point.lng,
        date: day,
        units: s.units,
        limit: 10,
      });
      for (const item of result.items)
        for (const slot of item.slots) found.push({ technicianId: item.technician.id, start: Date.parse(slot.start) });
    } catch (err) {
      if (!(err instanceof AppError)) throw err;
    }
  }
  const seen = new Set<string>();
  return found
    .sort(
      (a, b) => Math.abs(a.start - start) - Math.abs(b.start - start) || a.start - b.start || a.technicianId.localeCompare(b.technicianId),
    )
    .filter((a) => {
      // One offer per start: the nearest times, each with one technician.
      if (seen.has(String(a.start))) return false;
      seen.add(String(a.start));
      return true;
    })
    .slice(0, MAX_ALTERNATIVES);
}

/** The visit of a rule date: 400 when the date is not one of the series' dates. */
export function ruleDate(s: SeriesRow, date: string): { date: string; n: number } {
  const [hit] = occurrenceDates(s.rule, boundsOf(s), date, date);
  if (!hit) throw invalid([{ path: "path.date", message: "not a visit date of this series" }]);
  return hit;
}

/**
 * Skips the visit of a date: a booked visit's order is cancelled under the service's policy (the
 * customer's actor: a late skip keeps what the policy keeps); a date not booked yet is marked
 * skipped so the horizon never books it. 409 when the visit is being booked or is over.
 */
export async function skipVisit(env: Env, s: SeriesRow, date: string, actor: Actor, reason: string): Promise<void> {
  const db = getDb(env);
  const { n } = ruleDate(s, date);
  const timeZone = await zoneOf(env, s);
  const row = await occurrenceOnDate(db, s.id, date);
  const now = Date.now();
  if (!row) {
    const start = occurrenceStart(date, s.timeOfDay, timeZone);
    if (start <= now) throw AppError.of("OCCURRENCE_NOT_CHANGEABLE", { status: VISIT_STATUS.past });
    const decided: OccurrenceRow = {
      id: newId("soc"),
      seriesId: s.id,
      date,
      n,
      startAt: start,
      status: "skipped",
      orderId: null,
      technicianId: null,
      movedFrom: null,
      problem: null,
      alternatives: null,
      claimedAt: null,
      createdAt: now,
      updatedAt: now,
    };
    if (await insertDecided(db, decided, visitMessages(s, "skipped", { start }, timeZone))) return;
    return skipVisit(env, s, date, actor, reason);
  }
  if (row.status !== "booked" && row.status !== "unbookable")
    throw AppError.of("OCCURRENCE_NOT_CHANGEABLE", { status: VISIT_STATUS[row.status] });
  await endVisit(env, s, row, "skipped", actor, reason, timeZone);
}

/**
 * Ends one visit (skipped or cancelled): its order, if any, is cancelled through the order's own
 * flow (refund by the service's policy, the technician freed), then the visit is marked.
 */
export async function endVisit(
  env: Env,
  s: SeriesRow,
  row: OccurrenceRow,
  to: "skipped" | "cancelled",
  actor: Actor,
  reason: string,
  timeZone: string,
  problem: string | null = null,
): Promise<void> {
  const db = getDb(env);
  if (row.orderId) {
    const order = await findOrder(db, row.orderId);
    if (order && order.status !== "cancelled") {
      if (!["pending_payment", "confirmed", "dispatching", "assigned", "accepted"].includes(order.status))
        throw AppError.of("OCCURRENCE_NOT_CHANGEABLE", { status: VISIT_STATUS.past });
      await cancelOrder(env, order, actor, reason);
    }
  }
  const changed = await updateOccurrence(
    db,
    row.id,
    [row.status],
    { status: to, problem, updatedAt: Date.now() },
    visitMessages(s, to, { start: row.startAt, orderId: row.orderId }, timeZone),
  );
  if (!changed) throw AppError.of("CONCURRENT_UPDATE");
}

/**
 * Moves one visit to another start: a booked visit through the order's reschedule (same
 * technician, atomic in the cell, repriced like any move: 409 PRICE_CHANGED with a quote to
 * confirm); a visit that could not be booked is booked at the new start, with `technicianId` when
 * the customer took one of the alternatives. The visit keeps its date in the series.
 */
export async function rescheduleVisit(
  env: Env,
  s: SeriesRow,
  date: string,
  actor: Actor,
  input: { start: string; technicianId?: string; quoteId?: string },
): Promise<void> {
  const db = getDb(env);
  ruleDate(s, date);
  const row = await occurrenceOnDate(db, s.id, date);
  if (!row) throw notFound("Series visit");
  const timeZone = await zoneOf(env, s);
  const start = Date.parse(input.start);
  const found = await bookableService(db, s.serviceId);
  const duration = (found?.service.durationMinutes ?? 120) * 60_000;
  // Never two visits of one series at once (another technician's calendar would not see the clash).
  const others = (await occurrencesOf(db, s.id)).filter(
    (o) =>
      o.id !== row.id && (o.status === "booked" || o.status === "booking") && o.startAt < start + duration && start < o.startAt + duration,
  );
  if (others.length > 0) throw invalid([{ path: "body.start", message: `overlaps the visit of ${others[0]!.date} of this series` }]);
  if (row.status === "booked" && row.orderId) {
    if (input.technicianId && input.technicianId !== row.technicianId)
      throw invalid([{ path: "body.technicianId", message: "a booked visit moves with its technician; skip it and book another" }]);
    const order = await findOrder(db, row.orderId);
    if (!order) throw notFound("Order");
    await rescheduleOrder(env, order, actor, start, { capRefund: actor.type === "customer", reprice: { quoteId: input.quoteId } });
    const changed = await updateOccurrence(
      db,
      row.id,
      ["booked"],
      { status: "booked", startAt: start, movedFrom: row.movedFrom ?? row.startAt, updatedAt: Date.now() },
      visitMessages(s, "rescheduled", { start, orderId: row.orderId }, timeZone),
    );
    if (!changed) throw AppError.of("CONCURRENT_UPDATE");
    return;
  }
  if (row.status !== "unbookable") throw AppError.of("OCCURRENCE_NOT_CHANGEABLE", { status: VISIT_STATUS[row.status] });
  const now = Date.now();
  const claimed = await updateOccurrence(db, row.id, ["unbookable"], {
    status: "booking",
    claimedAt: now,
    movedFrom: start === row.startAt ? row.movedFrom : (row.movedFrom ?? row.startAt),
    updatedAt: now,
  });
  if (!claimed) throw AppError.of("CONCURRENT_UPDATE");
  const outcome = await bookVisit(
    env,
    s,
    { ...row, status: "unbookable", claimedAt: now },
    { start, technicianId: input.technicianId ?? null, fallback: false },
    timeZone,
  );
  if (outcome === "unbookable") throw AppError.of("SLOT_UNAVAILABLE");
}

/** What a visit's status is called, for texts (raw codes are never shown). */
export const VISIT_STATUS = {
  booking: { zh: "预约中", en: "being booked" },
  booked: { zh: "已预约", en: "booked" },
  unbookable: { zh: "未能预约", en: "not bookable" },
  skipped: { zh: "已跳过", en: "skipped" },
  cancelled: { zh: "已取消", en: "cancelled" },
  past: { zh: "已开始或已结束", en: "started or over" },
} as const;
