/** Visit helpers for tests: image bytes, photo uploads, and walking an order to a status. */
import { env } from "cloudflare:test";
import { exports } from "cloudflare:workers";
import { expect } from "vitest";
import { at, book, newCustomer, quote, task, type Customer } from "./booking";
import { call, readAnswer, type Called, type Session } from "./http";
import { payInFull } from "./payments";
import { type World } from "./world";

/** The smallest bodies that carry each format's signature. */
export const JPEG = new Uint8Array([0xff, 0xd8, 0xff, 0xe0, 0x00, 0x10, 0x4a, 0x46, 0x49, 0x46, 0x00, 0x01, 0xff, 0xd9]);
export const PNG = new Uint8Array([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0x00, 0x00, 0x00, 0x0d, 0x49, 0x48, 0x44, 0x52]);
export const WEBP = new Uint8Array([0x52, 0x49, 0x46, 0x46, 0x1a, 0x00, 0x00, 0x00, 0x57, 0x45, 0x42, 0x50, 0x56, 0x50, 0x38, 0x4c]);

/**
 * Sends raw bytes as a technician's photo of `kind` (Content-Type image/jpeg unless given; `type:
 * null` sends none). `chunked` streams the body without a Content-Length.
 */
export async function uploadPhoto(
  session: Session | null,
  orderId: string,
  kind: string,
  opts: { type?: string | null; bytes?: Uint8Array; chunked?: boolean } = {},
): Promise<Called> {
  const headers: Record<string, string> = {};
  if (opts.type !== null) headers["Content-Type"] = opts.type ?? "image/jpeg";
  if (session) headers.Authorization = `Bearer ${session.token}`;
  const bytes = opts.bytes ?? JPEG;
  const body = opts.chunked
    ? new ReadableStream<Uint8Array>({
        start(controller) {
          for (let i = 0; i < bytes.byteLength; i += 1 << 20) controller.enqueue(bytes.slice(i, i + (1 << 20)));
          controller.close();
        },
      })
    : bytes;
  const query = kind ? `?kind=${encodeURIComponent(kind)}` : "";
  return readAnswer(
    await exports.default.fetch(
      new Request(`http://doorstep.test/v1/technician/tasks/${orderId}/photos${query}`, { method: "POST", headers, body }),
    ),
  );
}

/** A JPEG of exactly `size` bytes (the signature, then filler). */
export function jpegOfSize(size: number): Uint8Array {
  const bytes = new Uint8Array(size);
  bytes.set(JPEG.subarray(0, 3));
  return bytes;
}

/** Downloads one photo: the status, headers and the bytes (or the problem when it is one). */
export async function downloadPhoto(session: Session | null, orderId: string, photoId: string) {
  const headers: Record<string, string> = session ? { Authorization: `Bearer ${session.token}` } : {};
  const res = await exports.default.fetch(new Request(`http://doorstep.test/v1/orders/${orderId}/photos/${photoId}`, { headers }));
  if (res.headers.get("Content-Type")?.startsWith("image/")) {
    return { status: res.status, headers: res.headers, bytes: new Uint8Array(await res.arrayBuffer()), problem: null };
  }
  return { status: res.status, headers: res.headers, bytes: null, problem: await readAnswer(res) };
}

/** The keys stored in the PHOTOS bucket under `prefix`. */
export async function storedKeys(prefix: string): Promise<string[]> {
  const keys: string[] = [];
  let cursor: string | undefined;
  do {
    const page = await env.PHOTOS.list({ prefix, cursor });
    keys.push(...page.objects.map((o) => o.key));
    cursor = page.truncated ? page.cursor : undefined;
  } while (cursor);
  return keys.sort();
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
  opts: { start?: string; customer?: Customer; paid?: boolean } = {},
): Promise<Visit> {
  const customer = opts.customer ?? (await newCustomer(w.center));
  const q = await quote(w, customer, opts.start ?? at(w, 2, "10:00"));
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
  // Paid in full afterwards, so the customer may book again (a served order left unpaid blocks that).
  if (opts.paid && upTo >= 5) await payInFull(customer, order.id);
  return { customer, order };
}

/** The technician's calendar as the admin sees it: [orderId, start, end, state] per interval. */
export async function scheduleOf(w: World, technicianId: string): Promise<[string, string, string, string][]> {
  const res = await call("GET", `/v1/admin/technicians/${technicianId}/schedule`, { token: w.admin.token });
  expect(res.status).toBe(200);
  return res.body.items.map((i: { orderId: string; start: string; end: string; state: string }) => [i.orderId, i.start, i.end, i.state]);
}

/** The technician asks for extra charges on their job. */
export function askExtraCharge(tech: Session, orderId: string, items: { label: string; amount: number }[], reason = "更换配件") {
  return call("POST", `/v1/technician/tasks/${orderId}/extra-charges`, { token: tech.token, body: { items, reason } });
}

/** The technician asks to move their job to `start` (ISO). */
export function askTimeChange(tech: Session, orderId: string, start: string, reason = "前一单延误") {
  return call("POST", `/v1/technician/tasks/${orderId}/time-change`, { token: tech.token, body: { start, reason } });
}

/** The customer approves or rejects a change of their order. */
export function decide(customer: Session, orderId: string, changeId: string, decision: "approve" | "reject", reason?: string) {
  return call("POST", `/v1/orders/${orderId}/changes/${changeId}/${decision}`, {
    token: customer.token,
    body: reason === undefined ? undefined : { reason },
  });
}

/** The changes of an order as `session` sees them. */
export async function changesOf(
  session: Session,
  orderId: string,
): Promise<{ id: string; status: string; decisionReason: string | null }[]> {
  const res = await call("GET", `/v1/orders/${orderId}/changes`, { token: session.token });
  expect(res.status).toBe(200);
  return res.body.items;
}

/**
 * Opens the customer's tracking socket of an order through the Worker: the token as a bearer header,
 * or `{ ticket }` (from `trackTicket`) in the query as a browser does; `upgrade: false` sends a plain GET.
 */
export function openTracking(token: string | null, orderId: string, opts: { ticket?: string; upgrade?: boolean } = {}) {
  const headers: Record<string, string> = opts.upgrade === false ? {} : { Upgrade: "websocket" };
  if (token) headers.Authorization = `Bearer ${token}`;
  const query = opts.ticket === undefined ? "" : `?ticket=${encodeURIComponent(opts.ticket)}`;
  return exports.default.fetch(new Request(`http://doorstep.test/v1/orders/${orderId}/track${query}`, { headers }));
}

/** A single-use ticket for the order's tracking socket, asked for with the customer's token. */
export async function trackTicket(token: string, orderId: string): Promise<string> {
  const res = await call("POST", `/v1/orders/${orderId}/track/ticket`, { token });
  if (res.status !== 201) throw new Error(`track ticket: ${res.status} ${JSON.stringify(res.body)}`);
  return res.body.ticket;
}

/** The messages a client socket received, and a way to wait for the next ones or for its close. */
export function listen(ws: WebSocket) {
  const messages: any[] = [];
  let closed: { code: number; reason: string } | null = null;
  ws.addEventListener("message", (e) => {
    messages.push(JSON.parse(e.data as string));
  });
  ws.addEventListener("close", (e) => {
    closed = { code: e.code, reason: e.reason };
  });
  ws.accept();
  const until = async (ok: () => boolean, timeoutMs = 3_000) => {
    const deadline = Date.now() + timeoutMs;
    while (!ok() && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10));
  };
  return {
    messages,
    closed: () => closed,
    /** Waits until `count` messages arrived (or the time runs out) and returns the last one. */
    async nth(count: number) {
      await until(() => messages.length >= count);
      return messages[count - 1];
    },
    async close() {
      await until(() => closed !== null);
      return closed;
    },
  };
}
