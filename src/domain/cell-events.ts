/**
 * What a cell hands to the Worker when something of its clock falls due: the contract of the
 * `doorstep-cell-events` queue. The cell decides when; the Worker's consumer decides what.
 */

import type { SurgeState } from "./surge";

/** The queue cells send their events to, as configured in wrangler.toml, and its dead-letter queue. */
export const CELL_EVENTS_QUEUE = "doorstep-cell-events";
export const CELL_EVENTS_DLQ = "doorstep-cell-events-dlq";

/** What a queue the Worker consumes carries, whatever the deployment calls it. */
export type QueueRole = "cell-events" | "cell-events-dlq" | "notifications" | "notifications-dlq" | "webhooks" | "route-plans";

/**
 * The role of a consumed queue, from its name: each wrangler environment names its queues
 * `doorstep[-<environment>]-<role>` (queue names are unique per account), so the role is the name's
 * ending. Null for a queue the Worker does not know.
 */
export function queueRole(name: string): QueueRole | null {
  for (const role of ["cell-events-dlq", "notifications-dlq", "cell-events", "notifications", "webhooks", "route-plans"] as const) {
    if (name === `doorstep-${role}` || (name.startsWith("doorstep-") && name.endsWith(`-${role}`))) return role;
  }
  return null;
}

/** The dispatch deadlines a cell keeps for an order. */
export type DeadlineKind = "accept" | "grab" | "enroute";

export const DEADLINE_KINDS: readonly DeadlineKind[] = ["accept", "grab", "enroute"];

/** An event as the cell records it in its outbox (the cell adds its name and the event id on sending). */
export type CellEventBody =
  /** A hold lapsed unpaid or unbooked. `holdKey` is the calendar key (`<orderId>:<round>`). */
  | { type: "hold.expired"; holdKey: string }
  /** A dispatch deadline of an order passed; `version` is the order version it was set for. */
  | { type: "deadline"; orderId: string; kind: DeadlineKind; version: number }
  /** The cell's batch of waiting auto jobs is due for a tick. */
  | { type: "batch.due" }
  /**
   * The cell's alarm failed `failures` times in a row since `since` (ms): its events could not be
   * handed to the queue, or its work threw. Sent once the cell can send again; the Worker alerts.
   */
  | { type: "alarm.failed"; failures: number; since: number; error: string }
  /**
   * The cell's surge state changed (src/domain/surge.ts): the window's demand, free supply and their
   * ratio then, and the skills the searches that found nobody asked for (most asked first).
   */
  | {
      type: "surge.changed";
      from: SurgeState;
      to: SurgeState;
      at: number;
      demand: number;
      supply: number;
      ratio: number;
      skills?: string[];
    };

/** One message of the cell-events queue: `id` is unique per cell event, `cell` the cell's name. */
export type CellEvent = CellEventBody & { id: string; cell: string };

/** A dispatch deadline as a cell's timer keeps it. */
export interface DeadlineTimer {
  orderId: string;
  kind: DeadlineKind;
  version: number;
}

/** Consecutive alarm failures after which a cell reports them (an `alarm.failed` event). */
export const ALARM_FAILURES_REPORTED = 3;
