/**
 * After-sales tickets: the pure rules. A ticket is about one order and one category; it moves
 * open → in_review → resolved | rejected, and a decided ticket may be reopened (back to open) by its
 * customer within the reopen window, a limited number of times. Each category has an SLA: a first
 * response (staff start the review or write to the customer) and a resolution target.
 */
import type { Localized } from "../lib/locale";

export const TICKET_CATEGORIES = ["quality", "damage", "lateness", "attitude", "overcharge", "safety"] as const;
export type TicketCategory = (typeof TICKET_CATEGORIES)[number];

export const TICKET_STATUSES = ["open", "in_review", "resolved", "rejected"] as const;
export type TicketStatus = (typeof TICKET_STATUSES)[number];

/** The statuses a ticket is still being worked in (one such ticket per order and category). */
export const OPEN_TICKET_STATUSES: readonly TicketStatus[] = ["open", "in_review"];

export const TICKET_ENTRY_KINDS = ["statement", "appeal", "note", "evidence", "event"] as const;
export type TicketEntryKind = (typeof TICKET_ENTRY_KINDS)[number];

export const TICKET_AUTHOR_TYPES = ["customer", "technician", "staff", "system"] as const;
export type TicketAuthorType = (typeof TICKET_AUTHOR_TYPES)[number];

/** The SLA of a category, in minutes from opening (or reopening). */
export interface TicketSla {
  firstResponseMinutes: number;
  resolutionMinutes: number;
}

/** Defaults: safety first (an hour to respond), lateness and attitude the slowest to need action. */
export const DEFAULT_TICKET_SLA: Record<TicketCategory, TicketSla> = {
  safety: { firstResponseMinutes: 60, resolutionMinutes: 1440 },
  damage: { firstResponseMinutes: 240, resolutionMinutes: 4320 },
  quality: { firstResponseMinutes: 480, resolutionMinutes: 4320 },
  overcharge: { firstResponseMinutes: 480, resolutionMinutes: 4320 },
  lateness: { firstResponseMinutes: 720, resolutionMinutes: 7200 },
  attitude: { firstResponseMinutes: 720, resolutionMinutes: 7200 },
};

/** Order statuses a customer may open a ticket in (any category): served, paid or not yet. */
export const AFTER_SERVICE_STATUSES = ["completed", "after_sales", "refunded"] as const;
/** Order statuses in which the visit is under way: a safety ticket may be opened by either party. */
export const DURING_VISIT_STATUSES = ["en_route", "arrived", "in_service"] as const;

/**
 * Who may open a ticket of `category` on an order in `status`, or why not: the customer after the
 * service (any category) or during the visit (safety only); the technician only for safety, during
 * the visit or after it.
 */
export function mayOpen(
  who: "customer" | "technician",
  category: TicketCategory,
  status: string,
): { ok: true } | { ok: false; reason: "status" | "category" } {
  const after = (AFTER_SERVICE_STATUSES as readonly string[]).includes(status);
  const during = (DURING_VISIT_STATUSES as readonly string[]).includes(status);
  if (who === "technician" && category !== "safety") return { ok: false, reason: "category" };
  if (after) return { ok: true };
  if (during) return category === "safety" ? { ok: true } : { ok: false, reason: "category" };
  return { ok: false, reason: "status" };
}

/** Whether a decided ticket may be reopened `now` (decided at `decidedAt`, reopened `reopened` times). */
export function mayReopen(
  t: { status: string; decidedAt: number | null; reopenCount: number },
  now: number,
  windowMs: number,
  maxReopens: number,
): boolean {
  if (t.status !== "resolved" && t.status !== "rejected") return false;
  if (t.decidedAt === null || now > t.decidedAt + windowMs) return false;
  return t.reopenCount < maxReopens;
}

/** Which SLA targets a ticket missed (or is missing) now. */
export function overdueOf(
  t: { status: string; firstResponseDueAt: number; resolutionDueAt: number; firstRespondedAt: number | null },
  now: number,
): { firstResponse: boolean; resolution: boolean } {
  const open = (OPEN_TICKET_STATUSES as readonly string[]).includes(t.status);
  return {
    firstResponse: open && t.firstRespondedAt === null && now > t.firstResponseDueAt,
    resolution: open && now > t.resolutionDueAt,
  };
}

/** A credit score after `points` (negative for a penalty), kept within 0..1000. */
export function clampScore(score: number, points: number): number {
  return Math.max(0, Math.min(1000, score + points));
}

export const CATEGORY_TEXT: Record<TicketCategory, Localized> = {
  quality: { zh: "服务质量", en: "Quality" },
  damage: { zh: "物品损坏", en: "Damage" },
  lateness: { zh: "迟到", en: "Lateness" },
  attitude: { zh: "服务态度", en: "Attitude" },
  overcharge: { zh: "乱收费", en: "Overcharge" },
  safety: { zh: "安全问题", en: "Safety" },
};
