/**
 * The live Stripe client against a local fake of Stripe's REST API (the endpoints the client uses).
 * The fake keeps Stripe's contract: it checks `Authorization: Bearer <secret key>` (a wrong key gets
 * Stripe's 401 error), takes form-encoded bodies, answers Stripe's JSON objects and error shapes,
 * and replays the first answer for a repeated Idempotency-Key, as Stripe does.
 */
import { env } from "cloudflare:test";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { providerClient, type PrepayRequest, type RefundRequest } from "../../src/adapters/payment-provider";
import { ProviderError } from "../../src/adapters/provider-error";
import { paymentIdempotencyKey, refundIdempotencyKey, stripeClient, stripeConnection } from "../../src/adapters/stripe";
import { ConfigError, parseConfig } from "../../src/config";
import { providerConfigured } from "../../src/money/providers";
import { submitRefunds } from "../../src/money/refund-flow.service";
import { freshCenter } from "../support/fixtures";
import { at } from "../support/booking";
import { pay, pendingOrder } from "../support/payments";
import { addTechnician, createWorld, type World } from "../support/world";

const BASE = "https://stripe.fake.test";
const SECRET = "sk_test_doorstep_fake_0123456789";
const live = { ...env, PAYMENT_PROVIDER_CLIENT: "live", STRIPE_API_BASE: BASE, STRIPE_SECRET_KEY: SECRET } as Env;

type Json = Record<string, unknown>;
interface Intent extends Json {
  id: string;
  object: "payment_intent";
  amount: number;
  amount_received: number;
  currency: string;
  status: string;
  client_secret: string;
  latest_charge: string | null;
  metadata: Record<string, string>;
}
interface Refund extends Json {
  id: string;
  object: "refund";
  amount: number;
  payment_intent: string;
  charge: string | null;
  status: string;
  metadata: Record<string, string>;
}

const rand = (n: number) => crypto.randomUUID().replaceAll("-", "").slice(0, n);

/** A small Stripe prepay of `amount` for a fresh payment id (the failure cases). */
const smallPrepay = (amount: number): PrepayRequest => ({
  paymentId: `pay_${rand(20)}`,
  provider: "stripe",
  channel: "default",
  amount,
  currency: "CNY",
  description: "x",
  notifyUrl: "https://x.test/n",
});
const error = (status: number, type: string, message: string, code?: string) =>
  Response.json({ error: { type, message, ...(code ? { code } : {}) } }, { status, headers: { "Request-Id": `req_${rand(14)}` } });

/** Stripe's REST API as documented, for the endpoints the client uses. */
class FakeStripe {
  intents = new Map<string, Intent>();
  refunds = new Map<string, Refund>();
  /** Idempotency-Key → the answer first given (status, body). */
  replays = new Map<string, { status: number; body: string; path: string }>();
  calls: string[] = [];
  keys: string[] = [];
  status = 200;

  /** The payer completed the PaymentIntent. */
  succeed(id: string) {
    const pi = this.intents.get(id)!;
    Object.assign(pi, { status: "succeeded", amount_received: pi.amount, latest_charge: `ch_${rand(24)}` });
  }

  async handle(req: Request): Promise<Response> {
    const url = new URL(req.url);
    const form = Object.fromEntries(new URLSearchParams(req.method === "POST" ? await req.text() : url.search));
    this.calls.push(`${req.method} ${url.pathname}`);
    if (this.status >= 500) return error(this.status, "api_error", "An unknown error occurred");
    if (req.headers.get("authorization") !== `Bearer ${SECRET}`) {
      return error(401, "invalid_request_error", "Invalid API Key provided: sk_test_****");
    }
    const key = req.headers.get("idempotency-key");
    if (req.method === "POST" && key) {
      this.keys.push(key);
      const first = this.replays.get(key);
      if (first) {
        if (first.path !== url.pathname) {
          return error(400, "idempotency_error", "Keys for idempotent requests can only be used for the same endpoint.");
        }
        return new Response(first.body, { status: first.status, headers: { "Idempotent-Replayed": "true" } });
      }
    }
    const res = this.route(req.method, url.pathname, form);
    if (req.method === "POST" && key) this.replays.set(key, { status: res.status, body: await res.clone().text(), path: url.pathname });
    return res;
  }

  private route(method: string, path: string, form: Record<string, string>): Response {
    const parts = path.split("/").filter(Boolean); // v1, resource, id?, action?
    if (parts[0] !== "v1") return error(404, "invalid_request_error", `Unrecognized request URL (${method}: ${path}).`);
    const missing = (what: string, id: string) => error(404, "invalid_request_error", `No such ${what}: '${id}'`, "resource_missing");
    if (parts[1] === "payment_intents") {
      if (method === "POST" && parts.length === 2) {
        const amount = Number(form.amount);
        if (!Number.isSafeInteger(amount) || amount < 1 || !/^[a-z]{3}$/.test(form.currency ?? "")) {
          return error(400, "invalid_request_error", "Invalid amount or currency.", "parameter_invalid_integer");
        }
        const id = `pi_${rand(24)}`;
        const metadata = Object.fromEntries(
          Object.entries(form)
            .filter(([k]) => k.startsWith("metadata["))
            .map(([k, v]) => [k.slice(9, -1), v]),
        );
        const pi: Intent = {
          id,
          object: "payment_intent",
          amount,
          amount_received: 0,
          currency: form.currency!,
          description: form.description ?? null,
          status: "requires_payment_method",
          client_secret: `${id}_secret_${rand(24)}`,
          latest_charge: null,
          metadata,
          livemode: false,
          created: Math.floor(Date.now() / 1000),
        };
        this.intents.set(id, pi);
        return Response.json(pi);
      }
      const pi = this.intents.get(parts[2] ?? "");
      if (!pi) return missing("payment_intent", parts[2] ?? "");
      if (method === "GET" && parts.length === 3) return Response.json(pi);
      if (method === "POST" && parts[3] === "cancel") {
        if (pi.status === "succeeded" || pi.status === "canceled") {
          return error(
            400,
            "invalid_request_error",
            `You cannot cancel this PaymentIntent because it has a status of ${pi.status}.`,
            "payment_intent_unexpected_state",
          );
        }
        pi.status = "canceled";
        return Response.json(pi);
      }
    }
    if (parts[1] === "refunds") {
      if (method === "POST" && parts.length === 2) {
        const pi = this.intents.get(form.payment_intent ?? "");
        if (!pi) return missing("payment_intent", form.payment_intent ?? "");
        if (pi.status !== "succeeded") {
          return error(400, "invalid_request_error", `This PaymentIntent (${pi.id}) does not have a successful charge to refund.`);
        }
        const amount = Number(form.amount ?? pi.amount);
        const refunded = [...this.refunds.values()].filter((r) => r.payment_intent === pi.id).reduce((s, r) => s + r.amount, 0);
        if (refunded + amount > pi.amount_received) {
          return error(
            400,
            "invalid_request_error",
            `Refund amount (${amount}) is greater than unrefunded amount on charge`,
            "amount_too_large",
          );
        }
        const metadata = Object.fromEntries(
          Object.entries(form)
            .filter(([k]) => k.startsWith("metadata["))
            .map(([k, v]) => [k.slice(9, -1), v]),
        );
        const r: Refund = {
          id: `re_${rand(24)}`,
          object: "refund",
          amount,
          payment_intent: pi.id,
          charge: pi.latest_charge,
          currency: pi.currency,
          status: "pending",
          metadata,
          created: Math.floor(Date.now() / 1000),
        };
        this.refunds.set(r.id, r);
        return Response.json(r);
      }
      const r = this.refunds.get(parts[2] ?? "");
      if (!r) return missing("refund", parts[2] ?? "");
      if (method === "GET") return Response.json(r);
    }
    return error(404, "invalid_request_error", `Unrecognized request URL (${method}: ${path}).`);
  }
}

let fake: FakeStripe;
beforeEach(() => {
  fake = new FakeStripe();
  const original = globalThis.fetch.bind(globalThis);
  vi.spyOn(globalThis, "fetch").mockImplementation(async (input, init) => {
    const req = new Request(input, init);
    return new URL(req.url).origin === BASE ? fake.handle(req) : original(input, init);
  });
});
afterEach(() => {
  vi.restoreAllMocks();
});

let world: World | undefined;
async function getWorld(): Promise<World> {
  if (!world) {
    world = await createWorld(freshCenter());
    await addTechnician(world, world.center);
  }
  return world;
}
let bookings = 0;

/** A pending Stripe payment of the app, and its PaymentIntent made by the live client (as a live deployment records it). */
async function livePayment(amountOverride?: number) {
  const w = await getWorld();
  // Each payment books its own day of the world's one technician.
  const n = (bookings += 1);
  const { customer, order } = await pendingOrder(w, { start: at(w, 1 + n, "10:00") });
  const res = await pay(customer, order.id, { provider: "stripe" });
  expect(res.status, JSON.stringify(res.body)).toBe(201);
  const payment = res.body as { id: string };
  const p = (await env.DB.prepare("SELECT * FROM payments WHERE id = ?").bind(payment.id).first<Json>())!;
  const amount = amountOverride ?? Number(p.amount);
  const prepared = await stripeClient(live).prepay({
    paymentId: String(p.id),
    provider: "stripe",
    channel: "default",
    amount,
    currency: String(p.currency),
    description: "上门服务",
    notifyUrl: "https://x.test/v1/webhooks/stripe",
  });
  await env.DB.prepare("UPDATE payments SET provider_ref = ? WHERE id = ?").bind(prepared.providerRef, p.id).run();
  return { payment: p, amount, prepared, intentId: prepared.providerRef! };
}

/** A processing refund row of `payment`, as the refund flow records it before sending. */
async function refundRow(p: Json, amount: number): Promise<string> {
  const id = `rfd_${rand(20)}`;
  const now = Date.now();
  await env.DB.prepare(
    `INSERT INTO refunds (id, order_id, payment_id, customer_id, provider, kind, amount, currency, status, reason, created_at, updated_at)
     VALUES (?, ?, ?, ?, 'stripe', 'operator', ?, ?, 'processing', '退款', ?, ?)`,
  )
    .bind(id, p.order_id, p.id, p.customer_id, amount, p.currency, now, now)
    .run();
  return id;
}
const refundRowOf = (id: string) => env.DB.prepare("SELECT * FROM refunds WHERE id = ?").bind(id).first<Json>();

const refundReq = (p: Json, refundId: string, amount: number): RefundRequest => ({
  refundId,
  paymentId: String(p.id),
  provider: "stripe",
  providerTxnId: null,
  amount,
  paymentAmount: Number(p.amount),
  currency: String(p.currency),
  reason: "退款",
});

describe("configuration of the live Stripe client", () => {
  const base = { JWT_SECRET: env.JWT_SECRET, ENVIRONMENT: "development" };
  it("defaults to Stripe's API with no key, and refuses a base that is not an http(s) URL", () => {
    const c = parseConfig(base);
    expect(c.PAYMENT_PROVIDER_CLIENT).toBe("local");
    expect(c.STRIPE_API_BASE).toBe("https://api.stripe.com");
    expect(c.STRIPE_SECRET_KEY).toBe("");
    expect(() => parseConfig({ ...base, STRIPE_API_BASE: "api.stripe.com" })).toThrow(ConfigError);
    expect(() => parseConfig({ ...base, STRIPE_API_BASE: "ftp://api.stripe.com" })).toThrow(/STRIPE_API_BASE/);
  });
  it("reads the SDK's protocol, host and port from the base URL", () => {
    expect(stripeConnection("https://api.stripe.com")).toEqual({ protocol: "https", host: "api.stripe.com", port: 443 });
    expect(stripeConnection("http://127.0.0.1:12111/")).toEqual({ protocol: "http", host: "127.0.0.1", port: 12111 });
  });
  it("offers Stripe in live mode only with its secret key", () => {
    expect(providerConfigured(live, "stripe")).toBe(true);
    expect(providerConfigured({ ...live, STRIPE_SECRET_KEY: "" } as Env, "stripe")).toBe(false);
    expect(providerConfigured({ ...env, STRIPE_SECRET_KEY: "" } as Env, "stripe")).toBe(true);
  });
});

describe("live Stripe client: PaymentIntents", () => {
  it("creates a PaymentIntent with metadata.paymentId and an Idempotency-Key from our payment id, and hands back the client secret", async () => {
    const paymentId = `pay_${rand(20)}`;
    const req = {
      paymentId,
      provider: "stripe" as const,
      channel: "default",
      amount: 12_801,
      currency: "CNY",
      description: "上门保洁",
      notifyUrl: "https://x.test/n",
    };
    const prepared = await providerClient(live).prepay(req);
    const pi = fake.intents.get(prepared.providerRef!)!;
    expect(pi).toMatchObject({ amount: 12_801, currency: "cny", metadata: { paymentId }, status: "requires_payment_method" });
    expect(prepared).toEqual({ providerRef: pi.id, clientSecret: pi.client_secret });
    expect(fake.keys).toEqual([paymentIdempotencyKey(paymentId)]);
    // Sent again (a retry): the same key, the same PaymentIntent, no second one.
    expect(await providerClient(live).prepay(req)).toEqual(prepared);
    expect(fake.keys).toEqual([paymentIdempotencyKey(paymentId), paymentIdempotencyKey(paymentId)]);
    expect(fake.intents.size).toBe(1);
  });

  it("queries by the recorded PaymentIntent: unpaid, then paid with the latest charge and amount_received", async () => {
    const { payment, intentId, amount } = await livePayment();
    const client = providerClient(live);
    expect(await client.queryPayment("stripe", String(payment.id))).toEqual({ state: "unpaid" });
    fake.succeed(intentId);
    expect(await client.queryPayment("stripe", String(payment.id))).toEqual({
      state: "paid",
      transactionId: fake.intents.get(intentId)!.latest_charge,
      amount,
    });
    expect(fake.calls.filter((c) => c.startsWith("GET"))).toEqual([
      `GET /v1/payment_intents/${intentId}`,
      `GET /v1/payment_intents/${intentId}`,
    ]);
    // A payment without a PaymentIntent (its create failed) was never payable.
    expect(await client.queryPayment("stripe", `pay_${rand(20)}`)).toEqual({ state: "unpaid" });
  });

  it("cancels to close; a paid or already canceled PaymentIntent is nothing to close", async () => {
    const client = providerClient(live);
    const open = await livePayment();
    await client.closePayment("stripe", String(open.payment.id));
    expect(fake.intents.get(open.intentId)!.status).toBe("canceled");
    expect(await client.queryPayment("stripe", String(open.payment.id))).toEqual({ state: "closed" });
    await client.closePayment("stripe", String(open.payment.id));
    const paid = await livePayment();
    fake.succeed(paid.intentId);
    await client.closePayment("stripe", String(paid.payment.id));
    expect((await client.queryPayment("stripe", String(paid.payment.id))).state).toBe("paid");
  });

  it("keeps the local client when PAYMENT_PROVIDER_CLIENT is unset", async () => {
    const prepared = await providerClient(env).prepay({
      paymentId: `pay_${rand(20)}`,
      provider: "stripe",
      channel: "default",
      amount: 100,
      currency: "CNY",
      description: "x",
      notifyUrl: "https://x.test/n",
    });
    expect(prepared.providerRef).toMatch(/^pi_/);
    expect(fake.calls).toEqual([]);
  });
});

describe("live Stripe client: refunds", () => {
  it("refunds with an Idempotency-Key from our refund id: pending (processing), then succeeded", async () => {
    const { payment, intentId, amount } = await livePayment();
    fake.succeed(intentId);
    const refundId = await refundRow(payment, 3_001);
    await submitRefunds(live, [refundId]);
    const [r] = [...fake.refunds.values()];
    expect(r).toMatchObject({ amount: 3_001, payment_intent: intentId, status: "pending", metadata: { refundId, paymentId: payment.id } });
    expect(fake.keys.at(-1)).toBe(refundIdempotencyKey(refundId));
    expect(await refundRowOf(refundId)).toMatchObject({ status: "processing", provider_refund_id: r!.id });

    const client = providerClient(live);
    expect(await client.queryRefund("stripe", refundId, String(payment.id))).toEqual({ status: "processing", providerRefundId: r!.id });
    // Sent again (reconciliation): the same refund, no money moves twice.
    expect(await client.refund(refundReq(payment, refundId, 3_001))).toEqual({ status: "processing", providerRefundId: r!.id });
    expect(fake.refunds.size).toBe(1);
    r!.status = "succeeded";
    expect(await client.queryRefund("stripe", refundId, String(payment.id))).toEqual({ status: "succeeded", providerRefundId: r!.id });
    r!.status = "failed";
    expect(await client.queryRefund("stripe", refundId, String(payment.id))).toEqual({
      status: "failed",
      reason: expect.stringContaining("failed"),
    });
    // More than is left is refused: the refund fails.
    const refused = await client.refund(refundReq(payment, `rfd_${rand(20)}`, amount - 3_000));
    expect(refused).toEqual({ status: "failed", reason: expect.stringContaining("amount_too_large") });
  });

  it("pays no technicians out", async () => {
    const state = await providerClient(live).payout({
      withdrawalId: `wdr_${rand(20)}`,
      provider: "stripe",
      technicianId: "tch_1",
      amount: 10_000,
      currency: "CNY",
    });
    expect(state).toEqual({ status: "failed", reason: expect.stringContaining("Stripe does not pay technicians out") });
    expect(fake.calls).toEqual([]);
  });
});

describe("live Stripe client: failures", () => {
  it("a 5xx is a retryable ProviderError and nothing is recorded", async () => {
    const { payment, intentId } = await livePayment();
    fake.succeed(intentId);
    const refundId = await refundRow(payment, 500);
    fake.status = 500;
    const err = await providerClient(live)
      .prepay(smallPrepay(100))
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ProviderError);
    expect(err).toMatchObject({ retryable: true, status: 500 });
    await expect(providerClient(live).queryPayment("stripe", String(payment.id))).rejects.toMatchObject({ retryable: true });
    const warn = vi.spyOn(console, "warn").mockImplementation(() => {});
    await submitRefunds(live, [refundId]);
    expect(warn).toHaveBeenCalledWith(expect.stringContaining("payment.provider_failed"));
    expect(await refundRowOf(refundId)).toMatchObject({ status: "processing", provider_refund_id: null });
    expect(fake.refunds.size).toBe(0);
    expect(fake.intents.size).toBe(1);
  });

  it("a wrong secret key gets Stripe's 401 and is not retryable", async () => {
    const err = await providerClient({ ...live, STRIPE_SECRET_KEY: "sk_test_wrong" } as Env)
      .prepay(smallPrepay(100))
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ProviderError);
    expect(err).toMatchObject({ retryable: false, status: 401, message: expect.stringContaining("Invalid API Key") });
    expect(fake.intents.size).toBe(0);
  });

  it("an invalid request is refused, not retried", async () => {
    const err = await stripeClient(live)
      .prepay(smallPrepay(0))
      .catch((e: unknown) => e);
    expect(err).toMatchObject({ name: "ProviderError", retryable: false, status: 400 });
  });
});
