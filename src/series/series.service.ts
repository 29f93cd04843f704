/**
 * Recurring visits: a customer's series (service, address, wall-clock time, an RRULE subset, start,
 * end date or count, preferred technician, a second contact), its life (pause, resume, change from
 * a date onwards, cancel the rest) and the views. The visits themselves: visits.service.ts.
 *
 * Who may act: the series' customer, and staff for a customer (operators every series, a
 * merchant_admin those of its merchant's services); anyone else gets 404.
 */
import { findPackage } from "../db/repositories/membership.repo";
import { config } from "../config";
import { getDb } from "../db/client";
import { findOrCreateAccount } from "../db/repositories/accounts.repo";
import { findOwnAddress } from "../db/repositories/addresses.repo";
import { bookableService } from "../db/repositories/booking.repo";
import { cityOfCell } from "../db/repositories/cities.repo";
import { rosterEntry } from "../db/repositories/roster.repo";
import { cellOf } from "../domain/geo";
import { normalisePhone } from "../domain/phone";
import { checkRule, rruleOf, visitsBefore, type RecurrenceRule } from "../domain/recurrence";
import { isPlatform } from "../domain/roles";
import { addDays, localDate, parseDate, parseHhMm, toZonedIso } from "../domain/zoned";
import type { Auth } from "../env";
import { AppError, invalid, notFound } from "../errors";
import { exactPoint } from "../lib/coordinates";
import { newId } from "../lib/ids";
import { Pii } from "../lib/pii";
import type { Actor } from "../orders";
import {
  bookedFrom,
  findSeries,
  insertSeries,
  occurrencesOf,
  occurrencesOfMany,
  PAUSED,
  seriesForStaff,
  seriesOfCustomer,
  updateSeries,
  type OccurrenceRow,
  type SeriesRow,
} from "./series.repo";
import { endVisit, generateVisits, rescheduleVisit, skipVisit, VISIT_STATUS, zoneOf } from "./visits.service";
import { problemText } from "./staff-notice";

export interface SeriesInput {
  /** Staff only: the customer the series is for (absent: the caller's own). */
  customerId?: string;
  serviceId: string;
  addressId: string;
  timeOfDay: string;
  rule: RecurrenceRule;
  startDate: string;
  untilDate?: string | null;
  count?: number | null;
  units?: number;
  preferredTechnicianId?: string | null;
  /** The customer's package of the service each visit draws a visit from, while it has one. */
  packageId?: string | null;
  contact?: { name: string; phone: string } | null;
  notes?: string | null;
}

const isStaff = (auth: Auth) => isPlatform(auth.roles) || auth.roles.includes("merchant_admin");

function actorOf(auth: Auth, s: SeriesRow): Actor {
  if (s.customerId === auth.accountId) return { type: "customer", id: auth.accountId };
  return { type: isPlatform(auth.roles) ? "operator" : "merchant", id: auth.accountId };
}

/** The series when the caller may see and change it (404 otherwise). */
export async function accessibleSeries(env: Env, auth: Auth, id: string): Promise<SeriesRow> {
  const s = await findSeries(getDb(env), id);
  if (!s) throw notFound("Series");
  if (s.customerId === auth.accountId) return s;
  if (isPlatform(auth.roles)) return s;
  if (auth.roles.includes("merchant_admin") && auth.merchantId !== null && s.merchantId === auth.merchantId) return s;
  throw notFound("Series");
}

/**
 * Creates a series and books its visits within the horizon at once (each visit an order; one that
 * cannot be booked is kept with alternatives). The service must offer paying after the service
 * (each visit is paid after it: 400 SERIES_PAYMENT_PLAN otherwise). The second contact is the
 * account of their phone (made as a first sign-in would): they get the series' notices too.
 */
export async function createSeries(
  env: Env,
  auth: Auth,
  input: SeriesInput,
  now = Date.now(),
  carry?: Pick<SeriesRow, "previousSeriesId" | "contactAccountId" | "contactName">,
) {
  const db = getDb(env);
  if (input.customerId !== undefined && input.customerId !== auth.accountId && !isStaff(auth)) throw AppError.of("FORBIDDEN");
  const customerId = input.customerId ?? auth.accountId;
  const problems: { path: string; message: string }[] = [];
  const timeOfDay = parseHhMm(input.timeOfDay);
  if (timeOfDay === null || timeOfDay >= 1440) problems.push({ path: "body.timeOfDay", message: "HH:MM, 00:00–23:59" });
  const bounds = { startDate: input.startDate, untilDate: input.untilDate ?? null, count: input.count ?? null };
  problems.push(...checkRule(input.rule, bounds));
  const address = await findOwnAddress(db, customerId, input.addressId);
  if (!address) throw notFound("Address");
  const found = await bookableService(db, input.serviceId);
  if (!found) throw notFound("Service");
  const point = await exactPoint(await Pii.fromEnv(env), "addresses", address);
  const city = await cityOfCell(db, cellOf(point, config(env).H3_RESOLUTION));
  if (!city || !found.cityIds.includes(city.id)) throw AppError.of("SERVICE_NOT_OFFERED");
  const { service } = found;
  // A merchant_admin acts only for its own merchant's services.
  if (customerId !== auth.accountId && !isPlatform(auth.roles) && service.merchantId !== auth.merchantId) throw notFound("Service");
  if (!service.paymentOptions.afterService) throw AppError.of("SERIES_PAYMENT_PLAN");
  const units = input.units ?? service.minUnits;
  if (units < service.minUnits) problems.push({ path: "body.units", message: `at least ${service.minUnits}` });
  if (input.startDate < localDate(now, city.timeZone)) problems.push({ path: "body.startDate", message: "in the past" });
  if (input.preferredTechnicianId) {
    const entry = await rosterEntry(db, input.preferredTechnicianId);
    if (!entry || entry.profile.status !== "approved" || !service.requiredSkills.every((k) => entry.profile.skills.includes(k)))
      problems.push({ path: "body.preferredTechnicianId", message: "no approved technician with the service's skills" });
  }
  if (input.packageId) {
    const pkg = await findPackage(db, input.packageId);
    if (!pkg || pkg.customerId !== customerId || pkg.serviceId !== service.id || pkg.status !== "active")
      problems.push({ path: "body.packageId", message: "no active package of the customer for this service" });
  }
  let contactAccountId: string | null = null;
  if (input.contact) {
    const phone = normalisePhone(input.contact.phone);
    if (!phone) problems.push({ path: "body.contact.phone", message: "not a phone number" });
    else if (problems.length === 0) {
      const pii = await Pii.fromEnv(env);
      const account = await findOrCreateAccount(db, {
        id: newId("acc"),
        phoneHash: await pii.lookupHash(phone),
        phoneEnc: await pii.encrypt("phone", phone),
        roles: ["customer"],
      });
      contactAccountId = account.id;
    }
  }
  if (problems.length) throw invalid(problems);
  const row: SeriesRow = {
    id: newId("ser"),
    customerId,
    serviceId: service.id,
    merchantId: service.merchantId,
    addressId: address.id,
    cityId: city.id,
    timeOfDay: timeOfDay!,
    rule: normaliseRule(input.rule),
    startDate: input.startDate,
    untilDate: bounds.untilDate,
    count: bounds.count,
    units,
    preferredTechnicianId: input.preferredTechnicianId ?? null,
    packageId: input.packageId ?? null,
    contactAccountId: carry ? carry.contactAccountId : contactAccountId,
    contactName: carry ? carry.contactName : (input.contact?.name ?? null),
    notes: input.notes ?? null,
    status: "active",
    previousSeriesId: carry?.previousSeriesId ?? null,
    nextRunAt: now,
    createdAt: now,
    updatedAt: now,
  };
  await insertSeries(db, row);
  await generateVisits(env, row, now);
  return viewOf(env, row);
}

function normaliseRule(rule: RecurrenceRule): RecurrenceRule {
  return rule.freq === "weekly" ? { ...rule, byDay: [...new Set(rule.byDay)] } : rule;
}

/** The caller's series (a customer's own; staff: those in their scope), newest first, each with its visits. */
export async function listSeries(env: Env, auth: Auth, q: { limit: number; mine?: boolean }) {
  const db = getDb(env);
  const rows =
    isStaff(auth) && !q.mine
      ? await seriesForStaff(db, isPlatform(auth.roles) ? undefined : (auth.merchantId ?? "-"), q.limit)
      : await seriesOfCustomer(db, auth.accountId, q.limit);
  const visits = await occurrencesOfMany(
    db,
    rows.map((r) => r.id),
  );
  return {
    items: await Promise.all(
      rows.map((r) =>
        viewOf(
          env,
          r,
          visits.filter((v) => v.seriesId === r.id),
        ),
      ),
    ),
  };
}

export async function getSeries(env: Env, auth: Auth, id: string) {
  return viewOf(env, await accessibleSeries(env, auth, id));
}

/**
 * Pauses a series from a date on (default today): no visit is booked while paused, and the visits
 * booked from that date are cancelled, each under the service's cancellation policy. Resume books
 * them again where free.
 */
export async function pauseSeries(env: Env, auth: Auth, id: string, input: { from?: string; reason?: string }) {
  const s = await accessibleSeries(env, auth, id);
  if (s.status !== "active") throw AppError.of("SERIES_NOT_ACTIVE", { status: SERIES_STATUS[s.status] });
  const timeZone = await zoneOf(env, s);
  const from = fromDate(input.from, timeZone);
  const db = getDb(env);
  if (!(await updateSeries(db, s.id, ["active"], { status: "paused", updatedAt: Date.now() }))) throw AppError.of("CONCURRENT_UPDATE");
  const paused = { ...s, status: "paused" as const };
  await endFrom(env, paused, from, actorOf(auth, s), input.reason ?? "series paused", timeZone, PAUSED);
  return viewOf(env, paused);
}

/** Resumes a paused series: visits from today on (those the pause cancelled too) are booked again within the horizon. */
export async function resumeSeries(env: Env, auth: Auth, id: string) {
  const s = await accessibleSeries(env, auth, id);
  if (s.status !== "paused") throw AppError.of("SERIES_NOT_ACTIVE", { status: SERIES_STATUS[s.status] });
  const db = getDb(env);
  const now = Date.now();
  if (!(await updateSeries(db, s.id, ["paused"], { status: "active", nextRunAt: now, updatedAt: now })))
    throw AppError.of("CONCURRENT_UPDATE");
  const active = { ...s, status: "active" as const };
  await generateVisits(env, active, now);
  return viewOf(env, active);
}

/**
 * Cancels the rest of a series from a date on (default today): its visits from then are cancelled
 * under the policy, one by one, and the series ends the day before (ended at once when that is today).
 */
export async function cancelSeries(env: Env, auth: Auth, id: string, input: { from?: string; reason?: string }) {
  const s = await accessibleSeries(env, auth, id);
  if (s.status === "ended") throw AppError.of("SERIES_NOT_ACTIVE", { status: SERIES_STATUS.ended });
  const timeZone = await zoneOf(env, s);
  const from = fromDate(input.from, timeZone);
  const ended = await closeBefore(env, s, from, timeZone);
  await endFrom(env, ended, from, actorOf(auth, s), input.reason ?? "series cancelled", timeZone, null);
  return viewOf(env, ended);
}

/**
 * Changes a series from a date onwards (RRULE's "this and following"): the series ends the day
 * before, its visits from the date are cancelled under the policy, and a new series with the
 * changes (time, rule, technician, units, end) continues from the date, linked to it
 * (`previousSeriesId`); with a count, the new one has the visits the old had left.
 */
export async function changeSeriesFrom(
  env: Env,
  auth: Auth,
  id: string,
  input: {
    from: string;
    timeOfDay?: string;
    rule?: RecurrenceRule;
    untilDate?: string | null;
    count?: number | null;
    units?: number;
    preferredTechnicianId?: string | null;
  },
) {
  const s = await accessibleSeries(env, auth, id);
  if (s.status === "ended") throw AppError.of("SERIES_NOT_ACTIVE", { status: SERIES_STATUS.ended });
  const timeZone = await zoneOf(env, s);
  const from = fromDate(input.from, timeZone);
  const startDate = from > s.startDate ? from : s.startDate;
  const left =
    s.count === null ? null : s.count - visitsBefore(s.rule, { startDate: s.startDate, untilDate: s.untilDate, count: s.count }, startDate);
  // The series ends before the date already (ended there by an earlier change or cancellation): nothing to change.
  if ((s.untilDate !== null && startDate > s.untilDate) || (left !== null && left < 1))
    throw AppError.of("SERIES_NOT_ACTIVE", { status: SERIES_STATUS.ended });
  const count = input.count !== undefined ? input.count : input.untilDate ? null : left;
  const next: SeriesInput = {
    customerId: s.customerId,
    serviceId: s.serviceId,
    addressId: s.addressId,
    timeOfDay: input.timeOfDay ?? hhmm(s.timeOfDay),
    rule: input.rule ?? s.rule,
    startDate,
    untilDate: input.untilDate !== undefined ? input.untilDate : count === null ? s.untilDate : null,
    count,
    units: input.units ?? s.units,
    preferredTechnicianId: input.preferredTechnicianId !== undefined ? input.preferredTechnicianId : s.preferredTechnicianId,
    notes: s.notes,
  };
  // Checked before anything ends: a change that is not valid leaves the series as it was.
  const checked = checkRule(next.rule, { startDate, untilDate: next.untilDate ?? null, count: next.count ?? null });
  const time = parseHhMm(next.timeOfDay);
  if (time === null || time >= 1440) checked.push({ path: "body.timeOfDay", message: "HH:MM, 00:00–23:59" });
  if (checked.length) throw invalid(checked);
  const ended = await closeBefore(env, s, from, timeZone);
  await endFrom(env, ended, from, actorOf(auth, s), "series changed from this date", timeZone, null);
  // As the customer: the checks of a new series apply, the new one is theirs, with the same second contact.
  return createSeries(env, { ...auth, accountId: s.customerId, roles: ["customer"] }, next, Date.now(), {
    previousSeriesId: s.id,
    contactAccountId: s.contactAccountId,
    contactName: s.contactName,
  });
}

/** The series ends the day before `from` (at once, status ended, when `from` is today or earlier than its start). */
async function closeBefore(env: Env, s: SeriesRow, from: string, timeZone: string): Promise<SeriesRow> {
  const today = localDate(Date.now(), timeZone);
  const endsNow = from <= today || from <= s.startDate;
  const patch = endsNow
    ? { status: "ended" as const, updatedAt: Date.now() }
    : { untilDate: addDays(from, -1), count: s.count === null ? null : visitsBefore(s.rule, boundsOfRow(s), from), updatedAt: Date.now() };
  if (!(await updateSeries(getDb(env), s.id, ["active", "paused"], patch))) throw AppError.of("CONCURRENT_UPDATE");
  return { ...s, ...patch };
}

const boundsOfRow = (s: SeriesRow) => ({ startDate: s.startDate, untilDate: s.untilDate, count: s.count });

/** Cancels (under the policy) every visit of the series from `from` that is booked or waiting. */
async function endFrom(env: Env, s: SeriesRow, from: string, actor: Actor, reason: string, timeZone: string, problem: string | null) {
  for (const row of await bookedFrom(getDb(env), s.id, from)) {
    if (row.status === "booking") continue;
    await endVisit(env, s, row, "cancelled", actor, reason, timeZone, problem);
  }
}

function fromDate(from: string | undefined, timeZone: string): string {
  const today = localDate(Date.now(), timeZone);
  if (from === undefined) return today;
  if (parseDate(from) === null) throw invalid([{ path: "body.from", message: "not a real date (YYYY-MM-DD)" }]);
  if (from < today) throw invalid([{ path: "body.from", message: "in the past" }]);
  return from;
}

const hhmm = (minutes: number) => `${String(Math.floor(minutes / 60)).padStart(2, "0")}:${String(minutes % 60).padStart(2, "0")}`;

/** What a series' status is called, for texts. */
export const SERIES_STATUS = {
  active: { zh: "进行中", en: "active" },
  paused: { zh: "已暂停", en: "paused" },
  ended: { zh: "已结束", en: "ended" },
} as const;

/** The series as clients see it, with its visits (zoned times, texts in both languages). */
export async function viewOf(env: Env, s: SeriesRow, visits?: OccurrenceRow[]) {
  const timeZone = await zoneOf(env, s);
  const rows = visits ?? (await occurrencesOf(getDb(env), s.id));
  return {
    id: s.id,
    customerId: s.customerId,
    serviceId: s.serviceId,
    addressId: s.addressId,
    status: s.status,
    statusText: SERIES_STATUS[s.status],
    timeZone,
    timeOfDay: hhmm(s.timeOfDay),
    rule: s.rule,
    rrule: rruleOf(s.rule, { untilDate: s.untilDate, count: s.count }),
    startDate: s.startDate,
    untilDate: s.untilDate,
    count: s.count,
    units: s.units,
    preferredTechnicianId: s.preferredTechnicianId,
    packageId: s.packageId,
    contact: s.contactAccountId ? { name: s.contactName } : null,
    notes: s.notes,
    previousSeriesId: s.previousSeriesId,
    createdAt: new Date(s.createdAt).toISOString(),
    visits: rows.map((v) => ({
      id: v.id,
      date: v.date,
      n: v.n,
      start: toZonedIso(v.startAt, timeZone),
      status: v.status,
      statusText: VISIT_STATUS[v.status],
      orderId: v.orderId,
      technicianId: v.technicianId,
      movedFrom: v.movedFrom === null ? null : toZonedIso(v.movedFrom, timeZone),
      problem: v.problem,
      problemText: v.problem ? problemText(v.problem) : null,
      alternatives: (v.alternatives ?? []).map((a) => ({ technicianId: a.technicianId, start: toZonedIso(a.start, timeZone) })),
    })),
  };
}

export type SeriesView = Awaited<ReturnType<typeof viewOf>>;

/** Skips one visit of the series (see visits.service skipVisit) and answers the series. */
export async function skipSeriesVisit(env: Env, auth: Auth, id: string, date: string, reason?: string) {
  const s = await accessibleSeries(env, auth, id);
  await skipVisit(env, s, date, actorOf(auth, s), reason ?? "visit skipped");
  return viewOf(env, s);
}

/** Moves one visit of the series, or books an unbookable one (see visits.service rescheduleVisit), and answers the series. */
export async function rescheduleSeriesVisit(
  env: Env,
  auth: Auth,
  id: string,
  date: string,
  input: { start: string; technicianId?: string; quoteId?: string },
) {
  const s = await accessibleSeries(env, auth, id);
  if (s.status === "ended" && s.untilDate === null) throw AppError.of("SERIES_NOT_ACTIVE", { status: SERIES_STATUS.ended });
  await rescheduleVisit(env, s, date, actorOf(auth, s), input);
  return viewOf(env, s);
}
