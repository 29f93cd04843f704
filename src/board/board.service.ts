/**
 * The dispatcher's board of one cell and day: technicians × time, each with their shifts, jobs,
 * the travel gaps between consecutive jobs and late risks, and the jobs waiting for a technician.
 * Read-only: D1 for orders and technicians (bounded by the day), the cell for shifts, exact job
 * points and presence.
 */
import { gridDisk, isValidCell } from "h3-js";
import { cellStub } from "../cells/cells.service";
import { getDb, type Db } from "../db/client";
import { runningLate, travelGaps } from "../domain/board";
import { shiftWindows, travelModelOf } from "../domain/calendar";
import { addDays, zonedToUtc } from "../domain/zoned";
import { areaPoint } from "../lib/coordinates";
import { boardOrders, cellTechnicians } from "./board.repo";

/** The most technicians one board shows (a cell's roster is far smaller). */
export const BOARD_MAX_TECHNICIANS = 200;
/** The most technicians of the neighbouring cells one board adds. */
export const BOARD_MAX_NEIGHBOURS = 60;

const iso = (t: number) => new Date(t).toISOString();

/** Statuses of a job whose technician still has to get there. */
const BEFORE_ARRIVAL = new Set(["assigned", "accepted", "en_route"]);

/**
 * The board of `cellId` on the local `date` (YYYY-MM-DD in the technicians' city zone). `merchantId`:
 * only that merchant's. With `neighbours`, the technicians homed in the six neighbouring cells too
 * (rows of their own cells' calendars, with their `homeCell`), for moves across cells.
 */
export async function cellBoard(
  env: Env,
  cellId: string,
  date: string,
  merchantId: string | undefined,
  opts: { neighbours?: boolean } = {},
) {
  const db = getDb(env);
  const techs = await cellTechnicians(db, cellId, merchantId, BOARD_MAX_TECHNICIANS);
  const timeZone = techs[0]?.timeZone ?? "UTC";
  const from = zonedToUtc(date, 0, timeZone);
  const to = zonedToUtc(addDays(date, 1), 0, timeZone);
  const { rows, orders, job, view } = await cellRows(env, db, cellId, techs, { date, from, to, merchantId, waiting: true });
  const onRows = new Set(techs.map((t) => t.id));
  const unassigned = orders
    .filter((o) => !o.technicianId || !onRows.has(o.technicianId) || o.status === "dispatching")
    .filter((o) => o.status === "confirmed" || o.status === "dispatching")
    .map(job)
    .sort((a, b) => a.start - b.start)
    .map((j) => ({ ...view(j), exception: j.exception }));
  const neighbours = opts.neighbours ? await neighbourRows(env, db, cellId, { date, from, to, merchantId }) : undefined;
  return { cellId, date, timeZone, from: iso(from), to: iso(to), technicians: rows, unassigned, ...(neighbours ? { neighbours } : {}) };
}

/** Rows of the technicians homed in the cells around `cellId` (ring 1), each with its home cell. */
async function neighbourRows(env: Env, db: Db, cellId: string, day: Omit<Day, "waiting">) {
  const around = isValidCell(cellId) ? gridDisk(cellId, 1).filter((c) => c !== cellId) : [];
  const out = [];
  let room = BOARD_MAX_NEIGHBOURS;
  for (const cell of around) {
    if (room <= 0) break;
    const techs = await cellTechnicians(db, cell, day.merchantId, room);
    if (!techs.length) continue;
    room -= techs.length;
    const { rows } = await cellRows(env, db, cell, techs, { ...day, waiting: false });
    out.push(...rows.map((r) => ({ ...r, homeCell: cell })));
  }
  return out;
}

interface Day {
  date: string;
  from: number;
  to: number;
  merchantId: string | undefined;
  /** Read the cell's jobs waiting for a technician too. */
  waiting: boolean;
}

/** The rows of `techs` (all homed in `cell`) on the day, from D1's orders and the cell's calendar, shifts and presence. */
async function cellRows(env: Env, db: Db, cellId: string, techs: Awaited<ReturnType<typeof cellTechnicians>>, day: Day) {
  const { date, from, to, merchantId } = day;
  const stub = cellStub(env, cellId);
  const ids = techs.map((t) => t.id);
  const [orders, calendar, shifts] = await Promise.all([
    boardOrders(db, ids, day.waiting ? [cellId] : [], from, to, merchantId),
    stub.exportCalendar(from, to),
    stub.shiftsOf(ids),
  ]);
  const model = travelModelOf(env as unknown as Partial<Record<string, string>>);
  const items = new Map(calendar.items.map((i) => [i.orderId, i]));
  const presence = new Map(calendar.presence.map((p) => [p.technicianId, p]));
  const shiftsOf = new Map(shifts.shifts.map((s) => [s.technicianId, s]));
  const now = calendar.at;

  const job = (o: (typeof orders)[number]) => {
    const item = o.holdKey ? items.get(o.holdKey) : undefined;
    const where = item ?? areaPoint(o);
    return {
      orderId: o.id,
      service: o.serviceName,
      area: areaPoint(o),
      start: o.startAt,
      end: o.endAt,
      status: o.status,
      exception: o.exception,
      lat: where.lat,
      lng: where.lng,
    };
  };
  const view = (j: ReturnType<typeof job>) => ({
    orderId: j.orderId,
    service: j.service,
    area: j.area,
    start: iso(j.start),
    end: iso(j.end),
    status: j.status,
  });

  const rows = techs.map((t) => {
    const mine = orders
      .filter((o) => o.technicianId === t.id && o.status !== "dispatching")
      .map(job)
      .sort((a, b) => a.start - b.start);
    const gaps = travelGaps(mine, model);
    const p = presence.get(t.id);
    const position = p && p.online && p.lat !== null && p.lng !== null ? { lat: p.lat, lng: p.lng } : null;
    const next = mine.find((j) => BEFORE_ARRIVAL.has(j.status) && j.start > now);
    const late = next && runningLate(position, next, now, model) ? next.orderId : null;
    const s = shiftsOf.get(t.id);
    const windows = s ? shiftWindows(s.weekly, new Map(s.exceptions.map((e) => [e.date, e.intervals])), date, s.timeZone) : [];
    return {
      id: t.id,
      name: t.name,
      merchantId: t.merchantId,
      status: t.status,
      online: p?.online ?? false,
      lastSeenAt: p?.lastSeenAt ? iso(p.lastSeenAt) : null,
      shifts: windows.map(([a, b]) => ({ start: iso(a), end: iso(b) })),
      jobs: mine.map((j) => ({
        ...view(j),
        risk: gaps.some((g) => g.risk && (g.toOrderId === j.orderId || g.fromOrderId === j.orderId)) || late === j.orderId,
      })),
      gaps,
      runningLate: late,
    };
  });
  return { rows, orders, job, view };
}
