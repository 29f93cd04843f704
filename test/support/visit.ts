/** Visit helpers for tests: image bytes, photo uploads, and walking an order to a status. */
import { expect } from "vitest";
import { book, newCustomer, quote, task, type Customer } from "./booking";
import { call, callBytes, type Called, type Session } from "./http";
import { localDay, type World } from "./world";

/** The smallest bodies that carry each format's signature. */
export const JPEG = new Uint8Array([0xff, 0xd8, 0xff, 0xe0, 0x00, 0x10, 0x4a, 0x46, 0x49, 0x46, 0x00, 0x01, 0xff, 0xd9]);
export const PNG = new Uint8Array([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0x00, 0x00, 0x00, 0x0d, 0x49, 0x48, 0x44, 0x52]);
export const WEBP = new Uint8Array([0x52, 0x49, 0x46, 0x46, 0x1a, 0x00, 0x00, 0x00, 0x57, 0x45, 0x42, 0x50, 0x56, 0x50, 0x38, 0x4c]);

/** Sends raw bytes as a technician's photo of `kind` (Content-Type image/jpeg unless given). */
export async function uploadPhoto(
  session: Session | null,
  orderId: string,
  kind: string,
  opts: { type?: string; bytes?: Uint8Array } = {},
): Promise<Called> {
  return callBytes("POST", `/v1/technician/tasks/${orderId}/photos?kind=${encodeURIComponent(kind)}`, {
    token: session?.token,
    type: opts.type ?? "image/jpeg",
    bytes: opts.bytes ?? JPEG,
  });
}

export type VisitStatus = "assigned" | "accepted" | "en_route" | "arrived" | "in_service" | "completed";

const STEPS: VisitStatus[] = ["assigned", "accepted", "en_route", "arrived", "in_service", "completed"];

export interface Visit {
  customer: Customer;
  order: { id: string; startCode: string; start: string; total: { amount: number } };
}

/**
 * Books the world's service at `start` (pay after service, so it is dispatched at once) and walks
 * the order to `status` as `tech`, uploading the photos the visit needs on the way.
 */
export async function visitTo(
  w: World,
  tech: Session,
  status: VisitStatus,
  opts: { start?: string; customer?: Customer } = {},
): Promise<Visit> {
  const customer = opts.customer ?? (await newCustomer(w.center));
  const q = await quote(w, customer, opts.start ?? `${localDay(w.timeZone, 2)}T10:00:00+08:00`);
  const res = await book(customer, q);
  expect(res.status).toBe(201);
  const order = res.body;
  const upTo = STEPS.indexOf(status);
  const step = async (i: number, action: string, body: Record<string, unknown> = {}) => {
    if (upTo < i) return;
    const r = await task(tech, order.id, action, body);
    expect(r.status, JSON.stringify(r.body)).toBe(200);
    expect(r.body.status).toBe(STEPS[i]);
  };
  await step(1, "accept");
  await step(2, "depart");
  if (upTo >= 3) expect((await uploadPhoto(tech, order.id, "arrive")).status).toBe(201);
  await step(3, "arrive", { lat: w.center.lat, lng: w.center.lng });
  await step(4, "start", { code: order.startCode });
  if (upTo >= 5) expect((await uploadPhoto(tech, order.id, "complete", { type: "image/png", bytes: PNG })).status).toBe(201);
  await step(5, "complete");
  return { customer, order };
}

/** The technician's calendar as the admin sees it: [orderId, start, state] per interval. */
export async function scheduleOf(w: World, technicianId: string): Promise<[string, string, string][]> {
  const res = await call("GET", `/v1/admin/technicians/${technicianId}/schedule`, { token: w.admin.token });
  expect(res.status).toBe(200);
  return res.body.items.map((i: { orderId: string; start: string; state: string }) => [i.orderId, i.start, i.state]);
}
