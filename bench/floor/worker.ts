/**
 * The runtime floor (bench/floor/wrangler.toml, `npm run bench` only, never deployed): the least a
 * booking can cost on this runtime with this design, as a fourth system beside Doorstep and the two
 * PostgreSQL peers. It speaks the equivalent peer's HTTP contract (bench/node/pg-peer.ts: `POST
 * /accounts`, `/quotes`, `/orders`, `GET /audit`, `/healthz`) and does, per order, only what the
 * design cannot drop: one Durable Object call that checks the technician's calendar and holds the
 * interval in one SQLite transaction, then one D1 batch (the Idempotency-Key's record with its
 * answer, the order, both timeline rows, both outbox rows). A refused slot writes the key's 409.
 *
 * It does less than a booking must, which makes it a floor and not a peer:
 * - the session is an HMAC-signed token checked in memory (no revocation or version check);
 * - no Hono, no validation beyond what the contract needs, no rate limiting, no log line;
 * - no travel gap, no shift or skill check, no quote re-pricing, no encryption of personal data;
 * - the key is not claimed before the work (a retried key is a 500 here, never exercised by W1);
 * - no queue, no notification delivery, no cron.
 * If the floor is slower than a target, no Doorstep code can meet that target on this runtime.
 */
import { DurableObject } from "cloudflare:workers";

interface Env {
  DB: D1Database;
  CALENDAR: DurableObjectNamespace<Calendar>;
}

const SECRET = "bench-floor-key";
const SERVICE = { id: "svc_demoCleaning2h", price: 10_000, minutes: 120 };

/** One calendar for every technician of the bench, as Doorstep's storm technicians share one cell. */
export class Calendar extends DurableObject<Env> {
  constructor(ctx: DurableObjectState, env: Env) {
    super(ctx, env);
    ctx.storage.sql.exec(
      `CREATE TABLE IF NOT EXISTS intervals (technician_id TEXT NOT NULL, start INTEGER NOT NULL, end INTEGER NOT NULL, order_id TEXT NOT NULL);
       CREATE INDEX IF NOT EXISTS intervals_technician_start ON intervals (technician_id, start)`,
    );
  }

  /** Holds [start, end) for the technician unless it overlaps an interval held already. */
  hold(technicianId: string, start: number, end: number, orderId: string): boolean {
    const sql = this.ctx.storage.sql;
    return this.ctx.storage.transactionSync(() => {
      const clash = sql
        .exec("SELECT 1 FROM intervals WHERE technician_id = ? AND start < ? AND end > ? LIMIT 1", technicianId, end, start)
        .toArray();
      if (clash.length > 0) return false;
      sql.exec("INSERT INTO intervals (technician_id, start, end, order_id) VALUES (?, ?, ?, ?)", technicianId, start, end, orderId);
      return true;
    });
  }

  /** Nothing: the ceiling of a call into the object. */
  ping(): number {
    return Date.now();
  }

  /** For the audit: pairs of overlapping intervals on one technician, and every held order. */
  audit(): { overlaps: number; orderIds: string[] } {
    const sql = this.ctx.storage.sql;
    const [row] = sql
      .exec<{ n: number }>(
        `SELECT count(*) AS n FROM intervals a JOIN intervals b
           ON a.technician_id = b.technician_id AND a.rowid < b.rowid AND a.start < b.end AND b.start < a.end`,
      )
      .toArray();
    const orderIds = sql
      .exec<{ order_id: string }>("SELECT order_id FROM intervals")
      .toArray()
      .map((r) => r.order_id);
    return { overlaps: row?.n ?? 0, orderIds };
  }
}

const SCHEMA = [
  "CREATE TABLE IF NOT EXISTS accounts (id TEXT PRIMARY KEY, phone TEXT NOT NULL UNIQUE, created_at INTEGER NOT NULL)",
  "CREATE TABLE IF NOT EXISTS addresses (id TEXT PRIMARY KEY, account_id TEXT NOT NULL, text TEXT NOT NULL, lat REAL NOT NULL, lng REAL NOT NULL)",
  `CREATE TABLE IF NOT EXISTS idempotency (account_id TEXT NOT NULL, key TEXT NOT NULL, request_hash TEXT NOT NULL,
     status INTEGER NOT NULL, answer TEXT NOT NULL, created_at INTEGER NOT NULL, PRIMARY KEY (account_id, key))`,
  `CREATE TABLE IF NOT EXISTS orders (id TEXT PRIMARY KEY, customer_id TEXT NOT NULL, technician_id TEXT NOT NULL,
     address_id TEXT NOT NULL, service_id TEXT NOT NULL, start INTEGER NOT NULL, end INTEGER NOT NULL, status TEXT NOT NULL,
     total INTEGER NOT NULL, version INTEGER NOT NULL, created_at INTEGER NOT NULL)`,
  `CREATE TABLE IF NOT EXISTS timeline (id INTEGER PRIMARY KEY, order_id TEXT NOT NULL, actor TEXT NOT NULL, from_status TEXT,
     to_status TEXT NOT NULL, reason TEXT NOT NULL, at INTEGER NOT NULL)`,
  "CREATE INDEX IF NOT EXISTS timeline_order ON timeline (order_id)",
  "CREATE TABLE IF NOT EXISTS outbox (id INTEGER PRIMARY KEY, topic TEXT NOT NULL, order_id TEXT NOT NULL, payload TEXT NOT NULL, created_at INTEGER NOT NULL)",
  "CREATE INDEX IF NOT EXISTS outbox_order ON outbox (order_id)",
];

const encoder = new TextEncoder();
let macKey: Promise<CryptoKey> | null = null;
/** The signing key, imported once per isolate (as Doorstep imports its token keys). */
const key = () =>
  (macKey ??= crypto.subtle.importKey("raw", encoder.encode(SECRET), { name: "HMAC", hash: "SHA-256" }, false, ["sign", "verify"]));

const b64 = (bytes: ArrayBuffer | Uint8Array) =>
  btoa(String.fromCharCode(...new Uint8Array(bytes)))
    .replaceAll("+", "-")
    .replaceAll("/", "_")
    .replace(/=+$/, "");
const unb64 = (s: string) => Uint8Array.from(atob(s.replaceAll("-", "+").replaceAll("_", "/")), (c) => c.charCodeAt(0));

async function signed(payload: unknown): Promise<string> {
  const body = b64(encoder.encode(JSON.stringify(payload)));
  return `${body}.${b64(await crypto.subtle.sign("HMAC", await key(), encoder.encode(body)))}`;
}

async function opened<T>(token: string): Promise<T | null> {
  const [body, mac] = token.split(".");
  if (!body || !mac) return null;
  const ok = await crypto.subtle.verify("HMAC", await key(), unb64(mac), encoder.encode(body));
  return ok ? (JSON.parse(new TextDecoder().decode(unb64(body))) as T) : null;
}

interface Quote {
  serviceId: string;
  start: number;
  end: number;
  total: number;
  expiresAt: number;
}

const json = (status: number, body: unknown) => Response.json(body, { status });
const id = (prefix: string) => `${prefix}_${crypto.randomUUID().replaceAll("-", "")}`;

let schemaReady: Promise<unknown> | null = null;
const ensureSchema = (env: Env) => (schemaReady ??= env.DB.batch(SCHEMA.map((s) => env.DB.prepare(s))));

async function signUp(env: Env, body: Record<string, unknown>): Promise<Response> {
  const accountId = id("cus");
  const addressId = id("adr");
  const now = Date.now();
  await env.DB.batch([
    env.DB.prepare("INSERT INTO accounts (id, phone, created_at) VALUES (?, ?, ?)").bind(accountId, String(body.phone), now),
    env.DB.prepare("INSERT INTO addresses (id, account_id, text, lat, lng) VALUES (?, ?, ?, ?, ?)").bind(
      addressId,
      accountId,
      String(body.text ?? ""),
      Number(body.lat ?? 0),
      Number(body.lng ?? 0),
    ),
  ]);
  return json(201, { token: await signed({ sub: accountId, addressId }), accountId, addressId });
}

async function quote(body: Record<string, unknown>): Promise<Response> {
  const start = Date.parse(String(body.start));
  if (body.serviceId !== SERVICE.id || !Number.isFinite(start)) return json(400, { code: "VALIDATION_FAILED" });
  const payload: Quote = {
    serviceId: SERVICE.id,
    start,
    end: start + SERVICE.minutes * 60_000,
    total: SERVICE.price,
    expiresAt: Date.now() + 900_000,
  };
  return json(201, { id: await signed(payload), start: body.start });
}

async function order(env: Env, accountId: string, idempotencyKey: string, raw: string): Promise<Response> {
  const body = JSON.parse(raw || "{}") as Record<string, unknown>;
  const q = typeof body.quoteId === "string" ? await opened<Quote>(body.quoteId) : null;
  if (!q || q.expiresAt < Date.now() || typeof body.technicianId !== "string" || typeof body.addressId !== "string")
    return json(400, { code: "QUOTE_INVALID" });
  const requestHash = b64(await crypto.subtle.digest("SHA-256", encoder.encode(raw)));
  const orderId = id("ord");
  const now = Date.now();
  const calendar = env.CALENDAR.get(env.CALENDAR.idFromName("storm"));
  const keyRow = (status: number, answer: unknown) =>
    env.DB.prepare("INSERT INTO idempotency (account_id, key, request_hash, status, answer, created_at) VALUES (?, ?, ?, ?, ?, ?)").bind(
      accountId,
      idempotencyKey,
      requestHash,
      status,
      JSON.stringify(answer),
      now,
    );
  if (!(await calendar.hold(body.technicianId, q.start, q.end, orderId))) {
    const refused = { code: "SLOT_UNAVAILABLE" };
    await keyRow(409, refused).run();
    return json(409, refused);
  }
  const answer = { id: orderId, status: "assigned", technicianId: body.technicianId, start: body.start, total: q.total, version: 2 };
  const status = (from: string | null, to: string) =>
    JSON.stringify({ orderId, customerId: accountId, technicianId: body.technicianId, from, to });
  await env.DB.batch([
    keyRow(201, answer),
    env.DB.prepare(
      `INSERT INTO orders (id, customer_id, technician_id, address_id, service_id, start, end, status, total, version, created_at)
       VALUES (?, ?, ?, ?, ?, ?, ?, 'assigned', ?, 2, ?)`,
    ).bind(orderId, accountId, body.technicianId, body.addressId, q.serviceId, q.start, q.end, q.total, now),
    env.DB.prepare(
      `INSERT INTO timeline (order_id, actor, from_status, to_status, reason, at) VALUES
         (?1, 'customer', NULL, 'confirmed', 'booked; pays after the service', ?2),
         (?1, 'system', 'confirmed', 'assigned', 'chosen technician', ?2)`,
    ).bind(orderId, now),
    env.DB.prepare(
      "INSERT INTO outbox (topic, order_id, payload, created_at) VALUES ('order.status', ?1, ?2, ?4), ('order.status', ?1, ?3, ?4)",
    ).bind(orderId, status(null, "confirmed"), status("confirmed", "assigned"), now),
  ]);
  return json(201, answer);
}

async function audit(env: Env): Promise<Response> {
  const calendar = await env.CALENDAR.get(env.CALENDAR.idFromName("storm")).audit();
  const [count, incomplete, ids] = await env.DB.batch<{ n?: number; id?: string }>([
    env.DB.prepare("SELECT count(*) AS n FROM orders"),
    env.DB.prepare(
      `SELECT count(*) AS n FROM orders o
       WHERE (SELECT count(*) FROM timeline t WHERE t.order_id = o.id) <> 2
          OR (SELECT count(*) FROM outbox m WHERE m.order_id = o.id) <> 2
          OR NOT EXISTS (SELECT 1 FROM idempotency i WHERE i.status = 201 AND json_extract(i.answer, '$.id') = o.id)`,
    ),
    env.DB.prepare("SELECT id FROM orders"),
  ]);
  const stored = (ids?.results ?? []).map((r) => r.id!);
  const held = new Set(calendar.orderIds);
  return json(200, {
    bookings: count?.results[0]?.n ?? 0,
    overlaps: calendar.overlaps,
    // An order in D1 whose interval the calendar does not hold is as incomplete as one without its rows.
    incomplete: (incomplete?.results[0]?.n ?? 0) + stored.filter((o) => !held.has(o)).length,
    deadlockRetries: 0,
    ids: stored,
  });
}

export default {
  async fetch(req, env) {
    await ensureSchema(env);
    const { pathname } = new URL(req.url);
    if (req.method === "GET" && pathname === "/healthz") return json(200, { ok: true, mode: "floor" });
    if (req.method === "GET" && pathname === "/audit") return audit(env);
    const raw = req.method === "POST" ? await req.text() : "";
    if (req.method === "POST" && pathname === "/accounts") return signUp(env, JSON.parse(raw || "{}") as Record<string, unknown>);
    const token = /^Bearer (\S+)$/.exec(req.headers.get("authorization") ?? "")?.[1];
    const session = token ? await opened<{ sub: string }>(token) : null;
    if (!session) return json(401, { code: "UNAUTHENTICATED" });
    // The ceilings, at the paths the bench measures Doorstep's: a signed-in no-op and one call into the object.
    if (req.method === "GET" && pathname === "/v1/bench/noop") return json(200, { ok: true });
    if (req.method === "GET" && pathname === "/v1/bench/cells/ceiling/ping")
      return json(200, { at: await env.CALENDAR.get(env.CALENDAR.idFromName("storm")).ping() });
    if (req.method !== "POST" || (pathname !== "/quotes" && pathname !== "/orders")) return json(404, { code: "ROUTE_NOT_FOUND" });
    if (pathname === "/quotes") return quote(JSON.parse(raw || "{}") as Record<string, unknown>);
    const idempotencyKey = req.headers.get("idempotency-key");
    if (!idempotencyKey) return json(400, { code: "IDEMPOTENCY_KEY_REQUIRED" });
    return order(env, session.sub, idempotencyKey, raw);
  },
} satisfies ExportedHandler<Env>;
