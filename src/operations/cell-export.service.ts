/**
 * A city cell's calendar and live presence for operators (README "Exporting a cell"): read from the
 * cell's Durable Object (the single source of both), with times in UTC and in the city's zone.
 * Jobs' exact locations are left out (they are customers' addresses); technicians' last reported
 * positions are included, as on the live map. Every export is audited.
 */
import { getDb } from "../db/client";
import { appendAudit } from "../db/repositories/audit.repo";
import { cityOfCell } from "../db/repositories/cities.repo";
import { csvDocument } from "../domain/csv";
import { toZonedIso } from "../domain/zoned";
import type { Auth } from "../env";
import { invalid, notFound } from "../errors";
import { cellStub } from "../cells";

const DAY_MS = 86_400_000;
/** The longest window one export covers. */
export const MAX_EXPORT_DAYS = 31;

export interface CellExportQuery {
  from?: string;
  to?: string;
}

const when = (ms: number | null, timeZone: string) =>
  ms === null ? { utc: null, local: null } : { utc: new Date(ms).toISOString(), local: toZonedIso(ms, timeZone) };

export async function cellExport(env: Env, actor: Auth, cell: string, q: CellExportQuery) {
  const now = Date.now();
  const from = q.from === undefined ? now - DAY_MS : Date.parse(q.from);
  const to = q.to === undefined ? from + 15 * DAY_MS : Date.parse(q.to);
  if (!(to > from)) throw invalid([{ path: "to", message: "must be after from" }]);
  if (to - from > MAX_EXPORT_DAYS * DAY_MS) throw invalid([{ path: "to", message: `at most ${MAX_EXPORT_DAYS} days after from` }]);
  const db = getDb(env);
  const city = await cityOfCell(db, cell);
  if (!city) throw notFound({ en: "Cell", zh: "城市网格" });
  const tz = city.timeZone;
  const data = await cellStub(env, cell).exportCalendar(from, to);
  await appendAudit(db, {
    actorId: actor.accountId,
    action: "cell.export",
    targetType: "cell",
    targetId: cell,
    data: { from: new Date(from).toISOString(), to: new Date(to).toISOString(), intervals: data.items.length },
  });
  return {
    cell,
    cityId: city.id,
    timeZone: tz,
    from: when(from, tz),
    to: when(to, tz),
    exportedAt: when(data.at, tz),
    technicians: data.technicians,
    intervals: data.items.map((i) => ({
      // The cell keys an interval by its hold key: the order id, or `<order id>:<dispatch round>`.
      orderId: i.orderId.split(":")[0]!,
      holdKey: i.orderId,
      technicianId: i.technicianId,
      state: i.state,
      start: when(i.start, tz),
      end: when(i.end, tz),
      expiresAt: when(i.expiresAt, tz),
    })),
    presence: data.presence.map((p) => ({
      technicianId: p.technicianId,
      online: p.online,
      lat: p.lat,
      lng: p.lng,
      accuracy: p.accuracy,
      heading: p.heading,
      battery: p.battery,
      lastSeen: when(p.lastSeenAt, tz),
    })),
  };
}

export type CellExport = Awaited<ReturnType<typeof cellExport>>;

const COLUMNS = [
  "record",
  "technicianId",
  "technicianName",
  "orderId",
  "state",
  "startUtc",
  "startLocal",
  "endUtc",
  "endLocal",
  "expiresAtUtc",
  "online",
  "lat",
  "lng",
  "lastSeenUtc",
  "lastSeenLocal",
  "timeZone",
] as const;

/**
 * The export as one CSV: a line per interval (record `interval`: a hold or booking) and per
 * presence (record `presence`), every cell neutralised against formulas (src/domain/csv.ts).
 */
export function cellExportCsv(e: CellExport): string {
  const names = new Map(e.technicians.map((t) => [t.id, t.name]));
  const intervals = e.intervals.map((i) => [
    "interval",
    i.technicianId,
    names.get(i.technicianId) ?? null,
    i.orderId,
    i.state,
    i.start.utc,
    i.start.local,
    i.end.utc,
    i.end.local,
    i.expiresAt.utc,
    null,
    null,
    null,
    null,
    null,
    e.timeZone,
  ]);
  const presence = e.presence.map((p) => [
    "presence",
    p.technicianId,
    names.get(p.technicianId) ?? null,
    null,
    p.online ? "online" : "offline",
    null,
    null,
    null,
    null,
    null,
    p.online ? 1 : 0,
    p.lat,
    p.lng,
    p.lastSeen.utc,
    p.lastSeen.local,
    e.timeZone,
  ]);
  return csvDocument(COLUMNS, [...intervals, ...presence]);
}
