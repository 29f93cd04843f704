/** Helpers of the flexible-window tests (docs/flexible-windows.md). */
import { env } from "cloudflare:test";
import { waitFor, type Customer } from "./booking";
import { call } from "./http";
import type { World } from "./world";

/** The order's calendar-related columns as D1 has them. */
export function windowOrderRow(id: string) {
  return env.DB.prepare(
    "SELECT status, version, technician_id, start_at, end_at, booked_start_at, window_start_at, window_end_at, hold_key FROM orders WHERE id = ?",
  )
    .bind(id)
    .first<{
      status: string;
      version: number;
      technician_id: string | null;
      start_at: number;
      end_at: number;
      booked_start_at: number | null;
      window_start_at: number | null;
      window_end_at: number | null;
      hold_key: string | null;
    }>();
}

/** The customer's notices of `kind` about the order, once at least one arrived. */
export async function noticesOf(c: Customer, kind: string, orderId: string) {
  const inbox = await waitFor(
    () => call("GET", "/v1/me/notifications", { token: c.session.token }),
    (r) => r.body.items.some((n: { kind: string; data: { orderId?: string } }) => n.kind === kind && n.data.orderId === orderId),
    15_000,
  );
  return inbox.body.items.filter((n: { kind: string; data: { orderId?: string } }) => n.kind === kind && n.data.orderId === orderId);
}

/** The technician's calendar items as staff read them. */
export async function scheduleOf(w: World, technicianId: string) {
  const res = await call("GET", `/v1/admin/technicians/${technicianId}/schedule`, { token: w.admin.token });
  return res.body.items as { orderId: string; start: string; end: string }[];
}
