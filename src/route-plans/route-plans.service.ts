/**
 * Team route plans: a proposal to reassign a cell's day across its technicians (every fixed start kept;
 * a flexible-window job may also move inside its window),
 * requested by staff, built off the request path by the route-plans queue consumer, and accepted
 * atomically through the cell's multi-move (src/board applyOrderMoves) if the day has not changed.
 */
import { applyOrderMoves, boardOrders, cellTechnicians, MAX_PLAN_MOVES, type MoveActor } from "../board";
import { cellProfiles, cellStub } from "../cells/cells.service";
import { config } from "../config";
import { getDb, type Db } from "../db/client";
import { appendAudit } from "../db/repositories/audit.repo";
import { rosterEntries } from "../db/repositories/roster.repo";
import { shiftWindows } from "../domain/calendar";
import { isPlatform } from "../domain/roles";
import { calendarFingerprint, planTeamDay, type PlanJob, type PlanTechnician } from "../domain/team-plan";
import { addDays, parseDate, toZonedIso, zonedToUtc } from "../domain/zoned";
import type { Auth } from "../env";
import { AppError, invalid, notFound } from "../errors";
import { exactPoint } from "../lib/coordinates";
import { newId } from "../lib/ids";
import { logger } from "../lib/log";
import { Pii } from "../lib/pii";
import { insertPlan, planById, plansOf, serviceNeedsOf, transitionPlan, type RoutePlanRow, type RoutePlanStatus } from "./route-plans.repo";

/** The most technicians a plan covers (a cell's roster is far smaller). */
const MAX_TECHNICIANS = 60;
/** Not yet on the way: such a job may go to another technician. */
const MOVABLE = new Set(["confirmed", "assigned", "accepted"]);
/** Waiting for its technician's visit: its customer may be asked for another start (a time change). */
const RESCHEDULABLE = new Set(["assigned", "accepted"]);
/** Proposed starts lie this much beyond the services' lead time, so that customers have time to answer. */
const PROPOSAL_SLACK_MINUTES = 60;
/** Under way or done: stays with its technician, still part of the day's travel. */
const FIXED = new Set(["en_route", "arrived", "in_service", "completed"]);

/** A plan's status as a person reads it. */
const STATUS_TEXT: Record<RoutePlanStatus, { en: string; zh: string }> = {
  queued: { en: "still being built", zh: "生成中" },
  ready: { en: "ready", zh: "已就绪" },
  accepting: { en: "being accepted", zh: "正在采纳" },
  accepted: { en: "accepted", zh: "已采纳" },
  discarded: { en: "discarded", zh: "已放弃" },
  stale: { en: "out of date", zh: "已过期" },
  failed: { en: "failed", zh: "生成失败" },
};

/** Why a plan failed, as a person reads it (null when it did not). */
export function failureText(failure: string | null): { en: string; zh: string } | null {
  if (failure === null) return null;
  if (failure === ACCEPT_INTERRUPTED) {
    return {
      en: "its acceptance was interrupted and the day has changed since; request a new plan",
      zh: "采纳过程中断，且当天安排已有变化，请重新生成方案",
    };
  }
  if (failure === QUEUE_LOST) {
    return {
      en: "it was not built in time (its build request was lost twice); request a new plan",
      zh: "方案未能及时生成（生成请求两次丢失），请重新生成方案",
    };
  }
  // Plans failed under an earlier bound keep the number they were refused at.
  const tooMany = /^more than (\d+) moves$/.exec(failure ?? "")?.[1];
  if (tooMany) return { en: `more than ${tooMany} moves`, zh: `调整超过 ${tooMany} 处` };
  return { en: "the plan could not be built", zh: "方案无法生成" };
}

/** The failure of a plan whose accept died after the day changed (src/route-plans/accept-lease.service.ts). */
export const ACCEPT_INTERRUPTED = "accept interrupted";
/** The failure of a plan still `queued` a lease after it was sent again (src/route-plans/queue-lease.service.ts). */
export const QUEUE_LOST = "queue message lost";
const TOO_MANY_MOVES = `more than ${MAX_PLAN_MOVES} moves`;

/** The merchant a staff member's plans are limited to (undefined: any, for the platform). */
function scopeOf(auth: Auth): string | undefined {
  return isPlatform(auth.roles) ? undefined : (auth.merchantId ?? "__none__");
}

function moverOf(auth: Auth): MoveActor {
  return isPlatform(auth.roles)
    ? { type: "operator", id: auth.accountId }
    : { type: "merchant", id: auth.accountId, merchantId: auth.merchantId };
}

/** The plan as the API shows it, times in the cell's zone. */
export function planView(row: RoutePlanRow, timeZone = "UTC") {
  const at = (ms: number) => toZonedIso(ms, timeZone);
  return {
    id: row.id,
    cellId: row.cell,
    date: row.date,
    merchantId: row.merchantId,
    status: row.status,
    statusText: STATUS_TEXT[row.status],
    moves: row.moves.map((m) => ({ ...m, start: at(m.start), end: at(m.end) })),
    technicians: row.technicians,
    before: row.before,
    after: row.after,
    failure: row.failure,
    failureText: failureText(row.failure),
    moveId: row.moveId,
    proposals: row.proposals.map((p) => ({ ...p, currentStart: at(p.currentStart), start: at(p.start), end: at(p.end) })),
    withProposals: row.withProposals,
    proposalsApplied: row.proposalsApplied,
    createdAt: new Date(row.createdAt).toISOString(),
    updatedAt: new Date(row.updatedAt).toISOString(),
  };
}

export async function visiblePlan(db: Db, auth: Auth, id: string): Promise<RoutePlanRow> {
  const row = await planById(db, id);
  const scope = scopeOf(auth);
  if (!row || (scope !== undefined && row.merchantId !== scope)) throw notFound("Route plan");
  return row;
}

/** Queues a plan of `cellId` on the local `date`; a merchant_admin plans only its own team. */
export async function requestPlan(env: Env, auth: Auth, input: { cellId: string; date: string; merchantId?: string }) {
  if (parseDate(input.date) === null) throw invalid([{ path: "body.date", message: "not a real date (YYYY-MM-DD)" }]);
  const scope = scopeOf(auth);
  if (scope !== undefined && input.merchantId !== undefined && input.merchantId !== scope) throw notFound("Merchant");
  const merchantId = scope ?? input.merchantId;
  const db = getDb(env);
  const techs = await cellTechnicians(db, input.cellId, merchantId, 1);
  if (techs.length === 0) throw notFound("Technician");
  const now = Date.now();
  const row = {
    id: newId("rpl", now),
    cell: input.cellId,
    date: input.date,
    merchantId: merchantId ?? null,
    status: "queued" as const,
    requestedBy: auth.accountId,
    createdAt: now,
    updatedAt: now,
  };
  await insertPlan(db, row);
  await env.ROUTE_PLANS.send({ planId: row.id });
  return planView((await planById(db, row.id))!, techs[0]!.timeZone);
}

export async function getPlan(env: Env, auth: Auth, id: string) {
  const db = getDb(env);
  const row = await visiblePlan(db, auth, id);
  return planView(row, await zoneOf(db, row));
}

export async function listPlans(env: Env, auth: Auth, q: { cellId: string; date: string; cursor?: string; limit: number }) {
  const db = getDb(env);
  const rows = await plansOf(db, q.cellId, q.date, scopeOf(auth), q.cursor, q.limit + 1);
  const page = rows.slice(0, q.limit);
  const zone = page[0] ? await zoneOf(db, page[0]) : "UTC";
  return { items: page.map((r) => planView(r, zone)), nextCursor: rows.length > q.limit ? page[page.length - 1]!.id : null };
}

async function zoneOf(db: Db, row: RoutePlanRow): Promise<string> {
  const [t] = await cellTechnicians(db, row.cell, row.merchantId ?? undefined, 1);
  return t?.timeZone ?? "UTC";
}

/** The day as the plan sees it: technicians (home, skills, shifts), jobs and the calendar's fingerprint. */
export async function loadDay(env: Env, db: Db, cellId: string, date: string, merchantId: string | undefined) {
  const techs = await cellTechnicians(db, cellId, merchantId, MAX_TECHNICIANS);
  const timeZone = techs[0]?.timeZone ?? "UTC";
  const from = zonedToUtc(date, 0, timeZone);
  const to = zonedToUtc(addDays(date, 1), 0, timeZone);
  const ids = techs.map((t) => t.id);
  const orders = await boardOrders(db, ids, [cellId], from, to, merchantId);
  const fingerprint = calendarFingerprint(
    orders.map((o) => ({ orderId: o.id, technicianId: o.technicianId, start: o.startAt, end: o.endAt, status: o.status })),
  );
  return { techs, timeZone, from, to, orders, fingerprint };
}

/** Builds a queued plan (the queue consumer's work): solves the day and stores the proposal, or `failed`. */
export async function buildPlan(env: Env, planId: string): Promise<void> {
  const db = getDb(env);
  const row = await planById(db, planId);
  if (!row || row.status !== "queued") return;
  try {
    const merchantId = row.merchantId ?? undefined;
    const day = await loadDay(env, db, row.cell, row.date, merchantId);
    const ids = day.techs.map((t) => t.id);
    const [profiles, shifts] = await Promise.all([cellProfiles(env, await rosterEntries(db, ids)), cellStub(env, row.cell).shiftsOf(ids)]);
    const shiftsOf = new Map(shifts.shifts.map((s) => [s.technicianId, s]));
    const technicians: PlanTechnician[] = profiles.map((p) => {
      const s = shiftsOf.get(p.id);
      const windows =
        p.status !== "approved"
          ? []
          : s
            ? shiftWindows(s.weekly, new Map(s.exceptions.map((e) => [e.date, e.intervals])), row.date, s.timeZone)
            : shiftWindows(p.defaultWeekly, new Map(), row.date, p.timeZone);
      return { id: p.id, home: p.home, skills: p.skills, shifts: windows };
    });
    const onDay = day.orders.filter((o) => o.technicianId !== null && (MOVABLE.has(o.status) || FIXED.has(o.status)));
    const needs = await serviceNeedsOf(
      db,
      onDay.map((o) => o.serviceId),
    );
    const pii = await Pii.fromEnv(env);
    const jobs: PlanJob[] = await Promise.all(
      onDay.map(async (o) => ({
        orderId: o.id,
        technicianId: o.technicianId!,
        point: await exactPoint(pii, "orders", o),
        start: o.startAt,
        end: o.endAt,
        skills: needs.get(o.serviceId)?.skills ?? [],
        movable: MOVABLE.has(o.status),
        // A customer may be asked for another start while the order waits for its visit (a time change).
        reschedulable: RESCHEDULABLE.has(o.status),
        ...flexibleWindowOf(o),
      })),
    );
    const c = config(env);
    // No start is proposed inside the longest notice any of the day's services needs.
    const lead = Math.max(0, ...[...needs.values()].map((n) => n.leadTimeMinutes));
    const plan = planTeamDay(technicians, jobs, travelModel(env), {
      maxIterations: c.ROUTE_PLAN_MAX_ITERATIONS,
      seed: 1,
      timeToleranceMs: c.ROUTE_PLAN_TIME_PROPOSAL_MINUTES * 60_000,
      notBefore: Date.now() + (lead + PROPOSAL_SLACK_MINUTES) * 60_000,
    });
    const names = new Map(day.techs.map((t) => [t.id, t.name]));
    // Proposals are offered only when the moves and they fit in one multi-move together.
    const proposals = new Set([...plan.moves, ...plan.proposals].map((m) => m.orderId)).size <= MAX_PLAN_MOVES ? plan.proposals : [];
    if (plan.moves.length > MAX_PLAN_MOVES) {
      await transitionPlan(db, row.id, "queued", {
        status: "failed",
        failure: TOO_MANY_MOVES,
        fingerprint: day.fingerprint,
      });
      return;
    }
    await transitionPlan(db, row.id, "queued", {
      status: "ready",
      fingerprint: day.fingerprint,
      moves: plan.moves,
      technicians: plan.technicians.map((t) => ({ ...t, name: names.get(t.id) ?? t.id })),
      before: plan.before,
      after: plan.after,
      proposals,
      withProposals: proposals.length > 0 ? plan.withProposals : null,
    });
  } catch (err) {
    logger.error("route plan failed", { planId, error: String(err) });
    await transitionPlan(db, row.id, "queued", { status: "failed", failure: "the plan could not be built" });
  }
}

/** A flexible-window order's range of starts (docs/flexible-windows.md); nothing for a fixed-time one. */
function flexibleWindowOf(o: { startAt: number; endAt: number; windowStartAt: number | null; windowEndAt: number | null }) {
  if (o.windowStartAt === null || o.windowEndAt === null) return {};
  return { window: { earliest: o.windowStartAt, latest: o.windowEndAt - (o.endAt - o.startAt) } };
}

function travelModel(env: Env) {
  const c = config(env);
  return { roadFactor: c.TRAVEL_ROAD_FACTOR, speedKmh: c.TRAVEL_SPEED_KMH, bufferMinutes: c.TRAVEL_BUFFER_MINUTES };
}

/**
 * Accepts a ready plan: 409 PLAN_STALE (and status stale) when the day changed since it was built;
 * otherwise its moves go through the cell at once (all or nothing). Exactly one of parallel accepts
 * applies (the ready → accepting compare-and-set); a repeat of an accepted plan answers it again.
 */
export async function acceptPlan(env: Env, auth: Auth, id: string, opts: { withProposals?: boolean } = {}) {
  const db = getDb(env);
  const row = await visiblePlan(db, auth, id);
  const zone = await zoneOf(db, row);
  if (row.status === "accepted") return planView(row, zone);
  if (row.status === "stale") throw AppError.of("PLAN_STALE");
  if (row.status === "accepting") throw AppError.of("CONCURRENT_UPDATE");
  if (row.status !== "ready") throw AppError.of("PLAN_NOT_READY", { status: STATUS_TEXT[row.status] });
  const proposalsApplied = opts.withProposals === true && row.proposals.length > 0;
  if (!(await transitionPlan(db, id, "ready", { status: "accepting", proposalsApplied }))) {
    const now = await planById(db, id);
    if (now?.status === "accepted") return planView(now, zone);
    throw AppError.of("CONCURRENT_UPDATE");
  }
  const day = await loadDay(env, db, row.cell, row.date, row.merchantId ?? undefined);
  if (day.fingerprint !== row.fingerprint) {
    await transitionPlan(db, id, "accepting", { status: "stale" });
    throw AppError.of("PLAN_STALE");
  }
  let moveId: string | null = null;
  const moves = appliedMoves({ ...row, proposalsApplied });
  if (moves.length > 0) {
    try {
      const applied = await applyOrderMoves(env, moverOf(auth), row.cell, moves, undefined, MAX_PLAN_MOVES);
      moveId = applied.moveId;
    } catch (err) {
      await transitionPlan(db, id, "accepting", { status: "ready", proposalsApplied: false });
      throw err;
    }
  }
  await transitionPlan(db, id, "accepting", { status: "accepted", moveId });
  await appendAudit(db, {
    actorId: auth.accountId,
    action: "route_plan.accepted",
    targetType: "route_plan",
    targetId: id,
    data: { cell: row.cell, date: row.date, moves: row.moves.length, proposals: proposalsApplied ? row.proposals.length : 0, moveId },
  });
  return planView((await planById(db, id))!, zone);
}

/**
 * What an accept applies: the plan's moves, and with the proposals also their new starts (a proposal
 * on an order the plan moves changes that move's start; the others are moves on the same technician).
 */
export function appliedMoves(row: Pick<RoutePlanRow, "moves" | "proposals" | "proposalsApplied">) {
  const moves = new Map(
    row.moves.map((m) => [m.orderId, { orderId: m.orderId, technicianId: m.technicianId, start: m.start, end: m.end }]),
  );
  if (row.proposalsApplied)
    for (const p of row.proposals) moves.set(p.orderId, { orderId: p.orderId, technicianId: p.technicianId, start: p.start, end: p.end });
  return [...moves.values()];
}

/** Discards a plan not yet accepted; a repeat answers the discarded plan again. */
export async function discardPlan(env: Env, auth: Auth, id: string) {
  const db = getDb(env);
  const row = await visiblePlan(db, auth, id);
  const zone = await zoneOf(db, row);
  if (row.status === "discarded") return planView(row, zone);
  if (row.status === "accepted" || row.status === "accepting") throw AppError.of("INVALID_TRANSITION", { status: STATUS_TEXT[row.status] });
  if (!(await transitionPlan(db, id, row.status, { status: "discarded" }))) throw AppError.of("CONCURRENT_UPDATE");
  return planView((await planById(db, id))!, zone);
}
