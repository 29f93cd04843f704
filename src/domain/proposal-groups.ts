/**
 * How a route plan's time proposals are asked of the customers (docs/route-plans.md "Asking the
 * customers"): in groups that are applied together or not at all, each open until a close time.
 *
 * A group is the proposals on one technician's day after the plan's moves. The proposals of a day
 * are one reordering of that technician's jobs (the other jobs kept at their starts), so they may
 * depend on each other (two visits trading places) but never on another technician's day: with the
 * moves applied first, applying one technician's group leaves every other day as it is, and the
 * cell checks the group's starts against that day as it is then.
 */
import type { TimeProposal } from "./team-plan";

/** The proposals grouped by the technician of their day, technicians and each group's jobs in a stable order. */
export function proposalGroups<P extends TimeProposal>(proposals: readonly P[]): { technicianId: string; proposals: P[] }[] {
  const by = new Map<string, P[]>();
  for (const p of proposals) by.set(p.technicianId, [...(by.get(p.technicianId) ?? []), p]);
  return [...by]
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([technicianId, ps]) => ({
      technicianId,
      proposals: [...ps].sort((a, b) => a.currentStart - b.currentStart || a.orderId.localeCompare(b.orderId)),
    }));
}

/** Answers are taken until `closeMinutes` before the earliest start the group touches (current or proposed). */
export function askClosesAt(proposals: readonly TimeProposal[], closeMinutes: number): number {
  return Math.min(...proposals.flatMap((p) => [p.currentStart, p.start])) - closeMinutes * 60_000;
}

/** Waiting for its technician's visit: still movable to a new start. Such statuses count as one in a day's fingerprint. */
const WAITING = new Set(["assigned", "accepted"]);

/**
 * A technician's day as the group was asked against: each order's technician, start, end and whether
 * it still waits for the visit (a technician accepting a job is no change to the day's times).
 */
export function dayFingerprint(
  orders: readonly { id: string; technicianId: string | null; startAt: number; endAt: number; status: string }[],
): string {
  const text = orders
    .map((o) => `${o.id}|${o.technicianId ?? ""}|${o.startAt}|${o.endAt}|${WAITING.has(o.status) ? "waiting" : o.status}`)
    .sort()
    .join("\n");
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) h = Math.imul(h ^ text.charCodeAt(i), 16777619);
  return `${orders.length}:${(h >>> 0).toString(16)}`;
}

export type GroupStatus = "waiting" | "applying" | "applied" | "dropped";
export type DropReason = "declined" | "expired" | "day_changed" | "move_refused" | "concurrent_update" | "withdrawn";

/** Why a group was dropped, as people read it. */
export const DROP_REASONS: Record<DropReason, { en: string; zh: string }> = {
  declined: { en: "a customer declined", zh: "有客户不同意" },
  expired: { en: "not every customer answered in time", zh: "未在截止前收到全部客户的答复" },
  day_changed: { en: "the technician's day changed meanwhile", zh: "期间师傅当天的安排有变化" },
  move_refused: { en: "the new times no longer fit the technician's day", zh: "新的时间已无法排入师傅当天的日程" },
  concurrent_update: { en: "an order changed while the new times were applied", zh: "应用新时间时订单发生了变化" },
  withdrawn: { en: "the dispatcher withdrew the proposed times", zh: "调度员已撤回新时间的征询" },
};

export const GROUP_STATUS_TEXT: Record<GroupStatus, { en: string; zh: string }> = {
  waiting: { en: "waiting for the customers", zh: "等待客户答复" },
  applying: { en: "being applied", zh: "正在应用" },
  applied: { en: "applied", zh: "已应用" },
  dropped: { en: "dropped", zh: "已放弃" },
};
