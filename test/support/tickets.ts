/** After-sales ticket helpers: a world with a technician, orders at each stage, tickets over HTTP. */
import { env } from "cloudflare:test";
import { expect } from "vitest";
import { freshCenter } from "./fixtures";
import { call, signIn, type Session } from "./http";
import { visitTo, type VisitStatus } from "./visit";
import { addTechnician, createWorld, type TestTechnician, type World } from "./world";
import { at, type Customer } from "./booking";

export interface TicketWorld {
  w: World;
  tech: TestTechnician;
  techSession: Session;
}

/** A city with one service and one approved technician living at its centre. */
export async function ticketWorld(): Promise<TicketWorld> {
  const w = await createWorld(freshCenter());
  const tech = await addTechnician(w, w.center);
  return { w, tech, techSession: await tech.session() };
}

let slot = 0;
/** The next free two-hour slot of the world's technician: 12 days from the day after tomorrow, then later hours. */
export function nextSlot(w: World): string {
  const n = slot++;
  return at(w, 2 + (n % 12), ["08:00", "11:00", "14:00", "17:00"][Math.floor(n / 12) % 4]!);
}

/** An order walked to `status` by the world's technician, each in a slot of its own (paid in full when `paid`). */
export async function orderAt(t: TicketWorld, status: VisitStatus, paid = false) {
  return visitTo(t.w, t.techSession, status, { start: nextSlot(t.w), paid });
}

export function openTicket(session: Session, orderId: string, body: Record<string, unknown>) {
  return call("POST", `/v1/orders/${orderId}/tickets`, { token: session.token, body });
}

/** A ticket the customer opened on the order (201 checked). */
export async function openedTicket(customer: Customer, orderId: string, category = "quality") {
  const res = await openTicket(customer.session, orderId, { category, description: "没有打扫干净" });
  expect(res.status, JSON.stringify(res.body)).toBe(201);
  return res.body as { id: string; status: string; orderId: string };
}

let keys = 0;
export function resolve(staff: Session, ticketId: string, body: Record<string, unknown>, key = `tk-${Date.now()}-${(keys += 1)}`) {
  return call("POST", `/v1/admin/tickets/${ticketId}/resolve`, { token: staff.token, headers: { "Idempotency-Key": key }, body });
}

/** Row counts of what a decision may write, for "nothing changed" checks. */
export async function decisionCounts(orderId: string) {
  const one = async (sql: string, ...params: unknown[]) =>
    Number(
      (
        await env.DB.prepare(sql)
          .bind(...params)
          .first<{ n: number }>()
      )?.n ?? 0,
    );
  return {
    refunds: await one("SELECT count(*) AS n FROM refunds WHERE order_id = ?", orderId),
    coupons: await one("SELECT count(*) AS n FROM coupons WHERE name LIKE '工单补偿%'"),
    penalties: await one("SELECT count(*) AS n FROM ledger_transactions WHERE kind = 'penalty' AND order_id = ?", orderId),
    credit: await one("SELECT count(*) AS n FROM technician_credit_events WHERE source_type = 'ticket'"),
    orders: await one("SELECT count(*) AS n FROM orders WHERE notes LIKE 'rework for ticket%'"),
  };
}

export { signIn };
