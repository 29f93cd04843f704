/**
 * Asking the customers in the app for a route plan's proposed times (docs/route-plans.md "Asking
 * the customers"): staff ask; the plan's moves are accepted and its proposals asked in groups (one
 * per technician's day, src/domain/proposal-groups.ts); a group goes through the cell's multi-move
 * (src/board applyOrderMoves, all or nothing) only once every customer of it approved, and is dropped
 * (the customers told their time stays) when one declines, when it closes unanswered, or when the
 * technician's day changed or the cell refuses the new times.
 */
import { applyOrderMoves, type MoveActor, type MoveWording } from "../board";
import { config } from "../config";
import { getDb, type Db } from "../db/client";
import { appendAudit } from "../db/repositories/audit.repo";
import { localWhen } from "../domain/notifications";
import type { OutboxMessage } from "../domain/outbox";
import { askClosesAt, dayFingerprint, DROP_REASONS, GROUP_STATUS_TEXT, proposalGroups, type DropReason } from "../domain/proposal-groups";
import { toZonedIso } from "../domain/zoned";
import type { Auth } from "../env";
import { AppError, notFound } from "../errors";
import { decodeCursor, toPage } from "../lib/cursor";
import { newId } from "../lib/ids";
import type { Localized } from "../lib/locale";
import { logger } from "../lib/log";
import {
  answerQuestion,
  claimApply,
  closeGroup,
  expiredWaiting,
  groupById,
  groupsByIds,
  groupsOfPlan,
  insertGroup,
  lapsedApplying,
  questionById,
  questionsOf,
  questionsOfCustomer,
  reclaimApply,
  type GroupRow,
  type QuestionRow,
} from "./asking.repo";
import { planById } from "./route-plans.repo";
import { acceptPlan, loadDay, visiblePlan } from "./route-plans.service";

/** Waiting for its technician's visit: its customer may be asked for another start. */
const RESCHEDULABLE = new Set(["assigned", "accepted"]);

/** The timeline of an order moved to the start its customer agreed to. */
const AGREED: MoveWording = {
  reason: "new time agreed by the customer",
  note: { en: "Moved to the new time the customer agreed to", zh: "已按客户同意的新时间调整" },
};

const ANSWER_TEXT: Record<QuestionRow["status"], Localized> = {
  pending: { en: "waiting for your answer", zh: "等待您的答复" },
  approved: { en: "approved", zh: "已同意" },
  declined: { en: "declined", zh: "已拒绝" },
};

const proposalNotFound = () => notFound({ en: "Time proposal", zh: "时间调整" });

function proposalMessage(q: QuestionRow, event: "asked" | "dropped", reason?: DropReason): OutboxMessage {
  return {
    id: newId("msg"),
    topic: "order.time_proposal",
    payload: {
      orderId: q.orderId,
      customerId: q.customerId,
      questionId: q.id,
      event,
      currentStart: q.currentStart,
      start: q.start,
      ...(reason ? { reason } : {}),
    },
  };
}

/** A group as staff read it: its state, how many of its customers approved, and its orders. */
function groupView(g: GroupRow, qs: QuestionRow[]) {
  const at = (ms: number) => toZonedIso(ms, g.timeZone);
  const reason = g.reason as DropReason | null;
  return {
    id: g.id,
    technicianId: g.technicianId,
    status: g.status,
    statusText: GROUP_STATUS_TEXT[g.status],
    reason,
    reasonText: reason ? DROP_REASONS[reason] : null,
    closesAt: at(g.expiresAt),
    size: qs.length,
    approved: qs.filter((q) => q.status === "approved").length,
    declined: qs.filter((q) => q.status === "declined").length,
    moveId: g.moveId,
    orders: qs.map((q) => ({
      questionId: q.id,
      orderId: q.orderId,
      currentStart: at(q.currentStart),
      start: at(q.start),
      end: at(q.end),
      answer: q.status,
    })),
  };
}

/** The state a customer reads: their answer until the group closes, then what became of it. */
function stateOf(q: QuestionRow, g: GroupRow): "open" | "approved" | "declined" | "applied" | "dropped" {
  if (g.status === "applied") return "applied";
  if (g.status === "dropped") return "dropped";
  return q.status === "pending" ? "open" : q.status;
}

const STATE_TEXT: Record<ReturnType<typeof stateOf>, Localized> = {
  open: { en: "waiting for your answer", zh: "等待您的答复" },
  approved: { en: "approved; waiting for the other customers of the technician's day", zh: "您已同意，等待同一师傅当天其他客户的答复" },
  declined: { en: "declined; your time stays", zh: "您已拒绝，时间不变" },
  applied: { en: "applied: your visit has the new time", zh: "已生效：上门时间已改为新时间" },
  dropped: { en: "off: your visit time stays", zh: "已取消：您的上门时间不变" },
};

/** A question as its customer reads it, times in the city's zone. */
function questionView(q: QuestionRow, g: GroupRow, all: QuestionRow[]) {
  const at = (ms: number) => toZonedIso(ms, g.timeZone);
  const now = localWhen(q.currentStart, g.timeZone);
  const next = localWhen(q.start, g.timeZone);
  const state = stateOf(q, g);
  const reason = g.status === "dropped" ? (g.reason as DropReason | null) : null;
  return {
    id: q.id,
    orderId: q.orderId,
    currentStart: at(q.currentStart),
    start: at(q.start),
    end: at(q.end),
    text: {
      zh: `为让师傅当天的路线更顺，可否将上门时间从 ${now.zh} 调整到 ${next.zh}？同一师傅当天的几位客户都同意后才会调整。`,
      en: `To smooth the technician's route that day, may we move your visit from ${now.en} to ${next.en}? It changes only once every customer of the technician's day agrees.`,
    },
    answer: q.status,
    state,
    stateText: STATE_TEXT[state],
    reason,
    reasonText: reason ? DROP_REASONS[reason] : null,
    closesAt: at(g.expiresAt),
    group: { size: all.length, approved: all.filter((x) => x.status === "approved").length },
    createdAt: new Date(q.createdAt).toISOString(),
  };
}

/** The groups asked of a plan, for staff (404 as for the plan). */
export async function planAsks(env: Env, auth: Auth, planId: string) {
  const db = getDb(env);
  const plan = await visiblePlan(db, auth, planId);
  await expireDue(env, await groupsOfPlan(db, plan.id));
  const groups = await groupsOfPlan(db, plan.id);
  const qs = await questionsOf(
    db,
    groups.map((g) => g.id),
  );
  return {
    planId: plan.id,
    groups: groups.map((g) =>
      groupView(
        g,
        qs.filter((q) => q.groupId === g.id),
      ),
    ),
  };
}

/**
 * Staff ask the customers for a plan's proposed times: a ready plan's moves are accepted first (as
 * `accept` does, with its checks), then each technician's proposals become a group waiting for its
 * customers, who are told. Repeating (or resuming an ask that died after the accept) asks only the
 * groups not asked yet.
 */
export async function askCustomers(env: Env, auth: Auth, planId: string) {
  const db = getDb(env);
  let plan = await visiblePlan(db, auth, planId);
  if (plan.proposals.length === 0 || (plan.status === "accepted" && plan.proposalsApplied)) throw AppError.of("NOTHING_TO_ASK");
  if (plan.status !== "accepted") {
    await acceptPlan(env, auth, planId, { withProposals: false });
    plan = (await planById(db, planId))!;
    // A parallel accept with the new times won: they are applied, nothing is left to ask.
    if (plan.proposalsApplied) throw AppError.of("NOTHING_TO_ASK");
  }
  const day = await loadDay(env, db, plan.cell, plan.date, plan.merchantId ?? undefined);
  const orders = new Map(day.orders.map((o) => [o.id, o]));
  const asked = new Set((await groupsOfPlan(db, plan.id)).map((g) => g.technicianId));
  const close = config(env).ROUTE_PLAN_ASK_CLOSE_MINUTES;
  const now = Date.now();
  let count = 0;
  for (const g of proposalGroups(plan.proposals)) {
    if (asked.has(g.technicianId)) continue;
    const groupId = newId("rpg", now);
    const expiresAt = askClosesAt(g.proposals, close);
    // Each order must still wait for the visit at the start the plan knew, on the technician of its day.
    const asPlanned = g.proposals.every((p) => {
      const o = orders.get(p.orderId);
      return o !== undefined && o.technicianId === g.technicianId && o.startAt === p.currentStart && RESCHEDULABLE.has(o.status);
    });
    const reason: DropReason | null = !asPlanned ? "day_changed" : expiresAt <= now ? "expired" : null;
    const questions: QuestionRow[] = g.proposals.flatMap((p) => {
      const o = orders.get(p.orderId);
      if (!o) return [];
      return [
        {
          id: newId("rpq", now),
          groupId,
          orderId: p.orderId,
          customerId: o.customerId,
          technicianId: g.technicianId,
          currentStart: p.currentStart,
          start: p.start,
          end: p.end,
          status: "pending" as const,
          decidedAt: null,
          createdAt: now,
        },
      ];
    });
    const group: GroupRow = {
      id: groupId,
      planId: plan.id,
      cell: plan.cell,
      date: plan.date,
      merchantId: plan.merchantId,
      technicianId: g.technicianId,
      timeZone: day.timeZone,
      status: reason ? "dropped" : "waiting",
      reason,
      fingerprint: dayFingerprint(day.orders.filter((o) => o.technicianId === g.technicianId)),
      expiresAt,
      moveId: null,
      askedBy: auth.accountId,
      changeId: newId("chg", now),
      createdAt: now,
      updatedAt: now,
    };
    // A group that cannot be asked is recorded as dropped, and nobody is asked.
    if (await insertGroup(db, group, questions, reason ? [] : questions.map((q) => proposalMessage(q, "asked")), now)) count++;
  }
  if (count > 0)
    await appendAudit(db, {
      actorId: auth.accountId,
      action: "route_plan.asked",
      targetType: "route_plan",
      targetId: plan.id,
      data: { groups: count, proposals: plan.proposals.length },
    });
  return planAsks(env, auth, planId);
}

/** Drops the group (from `from`) and tells every customer who did not decline that their time stays. */
async function dropGroup(
  db: Db,
  g: GroupRow,
  reason: DropReason,
  from: { status: GroupRow["status"]; updatedAt?: number; expiredBy?: number },
): Promise<boolean> {
  const qs = await questionsOf(db, [g.id]);
  const told = qs.filter((q) => q.status !== "declined").map((q) => proposalMessage(q, "dropped", reason));
  const now = Date.now();
  const dropped = await closeGroup(db, g, from, { status: "dropped", reason }, told, newId("chg", now), now);
  if (dropped) logger.info("route_plan.group_dropped", { groupId: g.id, planId: g.planId, reason });
  return dropped;
}

/**
 * Staff withdraw a group still waiting for its customers: it is dropped (`withdrawn`), every customer
 * who did not decline told their time stays, audited. The drop is the same compare-and-set on
 * `waiting` as the last approval's claim, so of the two exactly one wins. A group withdrawn already
 * answers as it is; any other closed group is 409 ASK_NOT_WAITING. 404 as for the plan, or for a
 * group not of it.
 */
export async function withdrawAsk(env: Env, auth: Auth, planId: string, groupId: string) {
  const db = getDb(env);
  const plan = await visiblePlan(db, auth, planId);
  const g = await groupById(db, groupId);
  if (!g || g.planId !== plan.id) throw notFound({ en: "Group of proposed times", zh: "新时间征询" });
  await expireDue(env, [g]);
  const won = g.status === "waiting" && (await dropGroup(db, g, "withdrawn", { status: "waiting" }));
  const now = (await groupById(db, g.id))!;
  if (!won && !(now.status === "dropped" && now.reason === "withdrawn")) {
    const reason = now.reason as DropReason | null;
    const state = now.status === "dropped" && reason ? DROP_REASONS[reason] : GROUP_STATUS_TEXT[now.status];
    throw AppError.of("ASK_NOT_WAITING", { state });
  }
  if (won)
    await appendAudit(db, {
      actorId: auth.accountId,
      action: "route_plan.ask_withdrawn",
      targetType: "route_plan",
      targetId: plan.id,
      data: { groupId: g.id, technicianId: g.technicianId },
    });
  return groupView(now, await questionsOf(db, [g.id]));
}

/** Waiting groups past their close are dropped as expired (on read, on answer and by the cron). */
async function expireDue(env: Env, groups: GroupRow[], now = Date.now()): Promise<number> {
  const db = getDb(env);
  let n = 0;
  for (const g of groups)
    if (g.status === "waiting" && g.expiresAt <= now && (await dropGroup(db, g, "expired", { status: "waiting", expiredBy: now }))) n++;
  return n;
}

/**
 * Applies a group this caller holds (`applying` since `g.updatedAt`): the technician's day must be the
 * one asked against, then the new starts go through the cell as one multi-move. Whatever refuses them
 * drops the group with its reason; nothing is half-applied (the multi-move is all or nothing). An
 * error of another kind leaves the group `applying` for the cron to take up a lease later.
 */
async function applyGroup(env: Env, g: GroupRow): Promise<"applied" | "dropped" | "left"> {
  const db = getDb(env);
  const from = { status: "applying" as const, updatedAt: g.updatedAt };
  const qs = await questionsOf(db, [g.id]);
  const day = await loadDay(env, db, g.cell, g.date, g.merchantId ?? undefined);
  const mine = day.orders.filter((o) => o.technicianId === g.technicianId);
  const close = async (patch: { status: "applied"; moveId: string | null } | { status: "dropped"; reason: DropReason }) => {
    const now = Date.now();
    if (patch.status === "dropped") return (await dropGroup(db, g, patch.reason, from)) ? "dropped" : "left";
    return (await closeGroup(db, g, from, patch, [], newId("chg", now), now)) ? "applied" : "left";
  };
  if (dayFingerprint(mine) !== g.fingerprint) {
    // An apply that died after the cell took the moves: every order is at its new start already.
    const done = qs.every((q) => mine.some((o) => o.id === q.orderId && o.startAt === q.start && o.endAt === q.end));
    return close(done ? { status: "applied", moveId: null } : { status: "dropped", reason: "day_changed" });
  }
  const actor: MoveActor = { type: "system", id: null, ...(g.merchantId ? { merchantId: g.merchantId } : {}) };
  try {
    const applied = await applyOrderMoves(
      env,
      actor,
      g.cell,
      qs.map((q) => ({ orderId: q.orderId, technicianId: g.technicianId, start: q.start, end: q.end })),
      AGREED,
    );
    return close({ status: "applied", moveId: applied.moveId });
  } catch (err) {
    if (err instanceof AppError && err.code === "MOVE_REFUSED") return close({ status: "dropped", reason: "move_refused" });
    if (err instanceof AppError && err.code === "CONCURRENT_UPDATE") return close({ status: "dropped", reason: "concurrent_update" });
    if (err instanceof AppError && err.status === 404) return close({ status: "dropped", reason: "day_changed" });
    logger.error("route_plan.group_apply_failed", { groupId: g.id, error: String(err) });
    return "left";
  }
}

/** Once every customer of the group approved: exactly one caller takes it to `applying` and applies it. */
async function applyIfAllApproved(env: Env, groupId: string): Promise<void> {
  const db = getDb(env);
  const now = Date.now();
  if (!(await claimApply(db, groupId, now))) return;
  await applyGroup(env, (await groupById(db, groupId))!);
}

/** The customer's time proposals, newest first (groups past their close are dropped first). */
export async function myTimeProposals(env: Env, customerId: string, q: { limit: number; cursor?: string }) {
  const db = getDb(env);
  const read = () => questionsOfCustomer(db, customerId, decodeCursor(q.cursor), q.limit + 1);
  let rows = await read();
  if (
    (await expireDue(
      env,
      await groupsByIds(
        db,
        rows.map((r) => r.groupId),
      ),
    )) > 0
  )
    rows = await read();
  const page = toPage(rows, q.limit);
  const groups = new Map(
    (
      await groupsByIds(
        db,
        page.items.map((r) => r.groupId),
      )
    ).map((g) => [g.id, g]),
  );
  const all = await questionsOf(db, [...groups.keys()]);
  return {
    items: page.items.map((r) =>
      questionView(
        r,
        groups.get(r.groupId)!,
        all.filter((x) => x.groupId === r.groupId),
      ),
    ),
    nextCursor: page.nextCursor,
  };
}

async function viewOf(db: Db, questionId: string) {
  const q = (await questionById(db, questionId))!;
  const g = (await groupById(db, q.groupId))!;
  return questionView(q, g, await questionsOf(db, [g.id]));
}

/**
 * The customer approves or declines a proposed time. The same answer again answers the question as
 * it is; another answer to a decided question, or any answer once the group closed, is 409
 * PROPOSAL_CLOSED. A decline drops the group; the last approval applies it.
 */
export async function answerTimeProposal(env: Env, customerId: string, questionId: string, decision: "approve" | "decline") {
  const db = getDb(env);
  const q = await questionById(db, questionId);
  if (!q || q.customerId !== customerId) throw proposalNotFound();
  await expireDue(env, [(await groupById(db, q.groupId))!]);
  const to = decision === "approve" ? "approved" : "declined";
  const won = q.status === "pending" && (await answerQuestion(db, q.id, to, Date.now()));
  const now = (await questionById(db, q.id))!;
  const g = (await groupById(db, q.groupId))!;
  if (!won && now.status !== to) {
    const closed = g.status === "waiting" ? ANSWER_TEXT[now.status] : STATE_TEXT[stateOf(now, g)];
    throw AppError.of("PROPOSAL_CLOSED", { state: closed });
  }
  if (won) {
    await appendAudit(db, {
      actorId: customerId,
      action: `order.time_proposal.${decision}`,
      targetType: "order",
      targetId: q.orderId,
      data: { questionId: q.id, groupId: q.groupId },
    });
  }
  // Approving again resumes a group whose last approval was recorded but not applied.
  if (to === "approved") await applyIfAllApproved(env, g.id);
  else if (won) await dropGroup(db, g, "declined", { status: "waiting" });
  return viewOf(db, q.id);
}

/**
 * The cron's step: drops waiting groups past their close (the customers told), and takes up groups
 * left `applying` past the lease (`ROUTE_PLAN_ACCEPT_LEASE_SECONDS`), applying them again or settling
 * them as applied when the cell already took them. Up to 20 of each per run.
 */
export async function settleAsks(env: Env, now = Date.now()) {
  const db = getDb(env);
  const expired = await expireDue(env, await expiredWaiting(db, now, 20), now);
  const lease = config(env).ROUTE_PLAN_ACCEPT_LEASE_SECONDS * 1000;
  const out = { expired, applied: 0, dropped: 0 };
  for (const g of await lapsedApplying(db, now - lease, 20)) {
    const at = Date.now();
    if (!(await reclaimApply(db, g.id, g.updatedAt, at))) continue;
    const r = await applyGroup(env, { ...g, updatedAt: at });
    if (r === "applied") out.applied++;
    if (r === "dropped") out.dropped++;
  }
  return out;
}
