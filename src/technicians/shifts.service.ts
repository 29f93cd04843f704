import type { ShiftsView } from "../../durable/cell.types";
import { checkIntervals, checkWeekly, type ShiftException } from "../domain/calendar";
import { isPlatform } from "../domain/roles";
import type { WeeklyShifts } from "../domain/shifts";
import { parseDate, toZonedIso } from "../domain/zoned";
import type { Auth } from "../env";
import { type FieldError, notFound, invalid } from "../errors";
import { atOwnerCell, cellProfiles, cellStub } from "../cells/cells.service";
import { getDb } from "../db/client";
import { rosterEntries, type RosterEntry } from "../db/repositories/roster.repo";

/** Throws 404 unless the caller may manage this technician (platform roles, or the technician's merchant). */
export function assertManages(auth: Auth, entry: RosterEntry): void {
  if (isPlatform(auth.roles)) return;
  if (auth.roles.includes("merchant_admin") && auth.merchantId !== null && entry.profile.merchantId === auth.merchantId) return;
  throw notFound("Technician");
}

/** The technician profile of a technician's own token, or 404. */
export function ownTechnicianId(auth: Auth): string {
  if (!auth.technicianId) throw notFound("Technician");
  return auth.technicianId;
}

/** Shifts as stored in the technician's owner cell. */
export async function getShifts(env: Env, technicianId: string, auth?: Auth): Promise<ShiftsView> {
  const { result } = await atOwnerCell(env, technicianId, async (stub, entry) => {
    if (auth) assertManages(auth, entry);
    return stub.getShifts(technicianId);
  });
  return result.shifts;
}

/**
 * The shifts of many technicians as stored in their home cells (`homeCell` as D1 has it): one call
 * per cell, all cells in parallel, however many technicians. A cell that does not know some of them
 * yet gets their profiles from D1 (one read for all of them) and is asked again; one it still does
 * not know is a 404, as for a single technician.
 */
export async function shiftsOfMany(env: Env, technicians: { id: string; homeCell: string }[]): Promise<Map<string, ShiftsView>> {
  const byCell = new Map<string, string[]>();
  for (const t of technicians) byCell.set(t.homeCell, [...(byCell.get(t.homeCell) ?? []), t.id]);
  const out = new Map<string, ShiftsView>();
  await Promise.all(
    [...byCell].map(async ([cell, ids]) => {
      const stub = cellStub(env, cell);
      let r = await stub.shiftsOf(ids);
      if (r.unknown.length > 0) {
        const found = r.shifts;
        await stub.syncRoster(await cellProfiles(env, await rosterEntries(getDb(env), r.unknown)), 0);
        r = await stub.shiftsOf(r.unknown);
        r.shifts.push(...found);
      }
      if (r.unknown.length > 0) throw notFound("Technician");
      for (const s of r.shifts) out.set(s.technicianId, s);
    }),
  );
  return out;
}

/**
 * Replaces a technician's weekly template (null = the default) and dated exceptions (an empty
 * list of intervals = a day off; otherwise the day's hours, e.g. extra hours).
 */
export async function putShifts(
  env: Env,
  technicianId: string,
  input: { weekly: WeeklyShifts | null; exceptions: ShiftException[] },
  auth?: Auth,
): Promise<ShiftsView> {
  const problems: FieldError[] = input.weekly ? checkWeekly(input.weekly, "body.weekly") : [];
  const seen = new Set<string>();
  input.exceptions.forEach((ex, i) => {
    if (parseDate(ex.date) === null) problems.push({ path: `body.exceptions.${i}.date`, message: "not a real date (YYYY-MM-DD)" });
    if (seen.has(ex.date)) problems.push({ path: `body.exceptions.${i}.date`, message: "duplicate date" });
    seen.add(ex.date);
    problems.push(...checkIntervals(ex.intervals, `body.exceptions.${i}.intervals`));
  });
  if (problems.length > 0) throw invalid(problems);
  const exceptions = [...input.exceptions].sort((a, b) => a.date.localeCompare(b.date));
  const { result } = await atOwnerCell(env, technicianId, async (stub, entry) => {
    if (auth) assertManages(auth, entry);
    return stub.setShifts(technicianId, input.weekly, exceptions);
  });
  return result.shifts;
}

const MAX_RANGE_MS = 62 * 86_400_000;

/** A calendar names an interval by its hold key, `<order id>:<dispatch round>`: the order and the round apart. */
export function orderOfHoldKey(holdKey: string): { orderId: string; dispatchRound: number | null } {
  const m = /^(.+):(\d+)$/.exec(holdKey);
  return m ? { orderId: m[1]!, dispatchRound: Number(m[2]) } : { orderId: holdKey, dispatchRound: null };
}

/** The audit view of one calendar, read from the owner cell, times in the technician's zone. */
export async function getSchedule(env: Env, auth: Auth, technicianId: string, range: { from?: string; to?: string }) {
  const from = range.from ? Date.parse(range.from) : Date.now() - 86_400_000;
  const to = range.to ? Date.parse(range.to) : from + 15 * 86_400_000;
  if (!(to > from) || to - from > MAX_RANGE_MS) {
    throw invalid([{ path: "query.to", message: "to must be after from, at most 62 days later" }]);
  }
  const { entry, result } = await atOwnerCell(env, technicianId, async (stub, e) => {
    assertManages(auth, e);
    return stub.schedule(technicianId, from, to);
  });
  const tz = entry.profile.timeZone;
  return {
    technicianId,
    timeZone: tz,
    items: result.items.map((i) => ({
      ...orderOfHoldKey(i.orderId),
      start: toZonedIso(i.start, tz),
      end: toZonedIso(i.end, tz),
      state: i.state,
      expiresAt: i.expiresAt === null ? null : new Date(i.expiresAt).toISOString(),
    })),
  };
}
