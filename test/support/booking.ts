/** Booking helpers for order tests: a customer with an address, quotes and orders over HTTP. */
import { expect } from "vitest";
import { call, signIn, type Session } from "./http";
import { localDay, type World } from "./world";

export interface Customer {
  session: Session;
  addressId: string;
}

export async function newCustomer(at: { lat: number; lng: number }): Promise<Customer> {
  const session = await signIn();
  const res = await call("POST", "/v1/me/addresses", {
    token: session.token,
    body: { label: "家", text: "测试路 1 号 101 室", lat: at.lat, lng: at.lng, contactName: "张三", contactPhone: "13912345678" },
  });
  if (res.status !== 201) throw new Error(`address: ${res.status} ${JSON.stringify(res.body)}`);
  return { session, addressId: res.body.id };
}

/** A quote for the world's service at `start` (ISO), at the world's centre. */
export async function quote(w: World, c: Customer, start: string, extra: Record<string, unknown> = {}) {
  const res = await call("POST", "/v1/quotes", {
    token: c.session.token,
    body: { serviceId: w.serviceId, lat: w.center.lat, lng: w.center.lng, start, ...extra },
  });
  if (res.status !== 201) throw new Error(`quote: ${res.status} ${JSON.stringify(res.body)}`);
  return res.body;
}

let keys = 0;
export function book(
  c: Customer,
  q: { id: string; start: string },
  extra: Record<string, unknown> = {},
  key = `k-${Date.now()}-${(keys += 1)}-${Math.random()}`,
) {
  return call("POST", "/v1/orders", {
    token: c.session.token,
    headers: { "Idempotency-Key": key },
    body: { quoteId: q.id, addressId: c.addressId, start: q.start, paymentPlan: "after_service", ...extra },
  });
}

/** A flexible-window order (`from`–`to`, ISO) of the world's service at point `p`, by a new customer there. */
export async function bookWindow(w: World, p: { lat: number; lng: number }, from: string, to: string) {
  const customer = await newCustomer(p);
  const q = await call("POST", "/v1/quotes", {
    token: customer.session.token,
    body: { serviceId: w.serviceId, lat: p.lat, lng: p.lng, window: { start: from, end: to } },
  });
  expect(q.status).toBe(201);
  const res = await book(customer, q.body);
  expect(res.status).toBe(201);
  return { order: res.body, customer };
}

/** A fixed-time order at `start` (ISO) of the world's service at point `p`, by a new customer there. */
export async function bookFixed(w: World, p: { lat: number; lng: number }, start: string) {
  const customer = await newCustomer(p);
  const res = await book(customer, await quote(w, customer, start, p));
  expect(res.status).toBe(201);
  return res.body;
}

/** The order as its customer sees it. */
export async function orderOf(customer: Customer, orderId: string) {
  const res = await call("GET", `/v1/orders/${orderId}`, { token: customer.session.token });
  expect(res.status).toBe(200);
  return res.body;
}

export function task(session: Session, orderId: string, action: string, body: Record<string, unknown> = {}) {
  return call("POST", `/v1/technician/tasks/${orderId}/${action}`, { token: session.token, body });
}

/** `HH:MM` local time `days` ahead in the world's zone (+08:00 worlds), as ISO 8601. */
export function at(w: { timeZone: string }, days: number, hhmm: string): string {
  return `${localDay(w.timeZone, days)}T${hhmm}:00+08:00`;
}

/** Polls `probe` until `ok` holds or the time runs out; returns the last value either way. */
export async function waitFor<T>(probe: () => Promise<T>, ok: (v: T) => boolean, timeoutMs = 8_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await probe();
    if (ok(v) || Date.now() > deadline) return v;
    await new Promise((r) => setTimeout(r, 50));
  }
}
