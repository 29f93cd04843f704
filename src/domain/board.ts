/**
 * The dispatcher's board, pure: why a move is refused (one stable code each, with its text in
 * zh-CN and en) and the late risks of a technician's day.
 */
import type { Localized } from "../lib/locale";
import { travelGapMs, type Placed, type TravelModel } from "./calendar";

/** Why a move of a multi-move is refused: the cell's reasons and the Worker's own checks. */
export const MOVE_REASONS = {
  INVALID_INTERVAL: { zh: "时间段无效", en: "the time range is not valid" },
  DUPLICATE_ORDER: { zh: "同一订单被移动了两次", en: "the same order is moved twice" },
  UNKNOWN_ORDER: { zh: "该订单在其网格中没有日程", en: "the order has no calendar entry in its cell" },
  HOLD_EXPIRED: { zh: "该订单的预留已过期", en: "the order's hold has expired" },
  ORDER_CONFLICT: { zh: "该订单已有日程", en: "the order already has a calendar entry" },
  UNKNOWN_TECHNICIAN: { zh: "技师的常驻网格不认识该技师", en: "the technician's home cell does not know them" },
  TECHNICIAN_MOVING: { zh: "技师正在迁移常驻地", en: "the technician is moving home" },
  NOT_QUALIFIED: { zh: "技师不具备该服务所需技能", en: "the technician lacks the skills the service needs" },
  OUTSIDE_SHIFT: { zh: "不在技师的排班时间内", en: "outside the technician's shifts" },
  SLOT_UNAVAILABLE: { zh: "与该技师的其他工单冲突（含路程时间）", en: "it clashes with another job of the technician (travel included)" },
  ORDER_NOT_MOVABLE: { zh: "订单当前状态不能调整", en: "the order can no longer be moved in its status" },
  ORDER_NOT_IN_CELL: { zh: "找不到订单日程所在的网格", en: "the cell of the order's calendar entry is unknown" },
  DURATION_CHANGED: { zh: "不能改变服务时长", en: "the job's duration cannot change" },
} as const satisfies Record<string, Localized>;

export type MoveReason = keyof typeof MOVE_REASONS;

/** The timeline note of an order moved on the board. */
export const MOVED_NOTE: Localized = { zh: "调度员在排班看板上调整了订单", en: "Moved by the dispatcher on the board" };

export interface BoardJob extends Placed {
  orderId: string;
}

/**
 * Consecutive jobs of one technician's day (sorted by start): the travel gap each needs after the
 * previous one, the time it really has, and whether it is at risk (the gap does not fit).
 */
export function travelGaps(
  jobs: readonly BoardJob[],
  model: TravelModel,
): { fromOrderId: string; toOrderId: string; minutes: number; availableMinutes: number; risk: boolean }[] {
  const sorted = [...jobs].sort((a, b) => a.start - b.start);
  const out = [];
  for (let i = 1; i < sorted.length; i++) {
    const a = sorted[i - 1]!;
    const b = sorted[i]!;
    const need = travelGapMs(a, b, model);
    out.push({
      fromOrderId: a.orderId,
      toOrderId: b.orderId,
      minutes: Math.round(need / 60_000),
      availableMinutes: Math.round((b.start - a.end) / 60_000),
      risk: a.end + need > b.start,
    });
  }
  return out;
}

/**
 * Whether a technician at `at` (their last known position, seen at `seenAt`) can still reach the
 * job at `job` by its start, travelling from now.
 */
export function runningLate(position: { lat: number; lng: number } | null, job: Placed, now: number, model: TravelModel): boolean {
  if (!position || job.start <= now) return false;
  return now + travelGapMs(position, job, model) - model.bufferMinutes * 60_000 > job.start;
}
