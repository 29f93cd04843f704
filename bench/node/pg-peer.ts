/**
 * The PostgreSQL peers: the same booking workload (quote, then order) behind a plain Node HTTP
 * server with a pg pool, in one of two modes.
 *
 * - `minimal`: double booking prevented by an exclusion constraint (btree_gist, tstzrange &&) and
 *   nothing else: no accounts, idempotency, timeline or outbox. The floor of a booking there.
 * - `equivalent`: what a booking does in Doorstep, the classic way: the account looked up by its
 *   bearer token (sessions table, SHA-256 of the token) on every request; for an order, in one
 *   transaction, the Idempotency-Key claimed (a retry gets the stored answer), the customer's
 *   address and the technician read, the exclusion-constrained insert, both timeline rows (booked,
 *   assigned), both outbox rows (their notifications) and the answer stored with the key; a
 *   refused slot stores its 409 as the key's answer, as Doorstep does.
 *
 * Usage: node bench/node/pg-peer.ts <minimal|equivalent> <http port> <postgres port> [technicians]
 */
import { createHash, createHmac, randomBytes, timingSafeEqual } from "node:crypto";
import http from "node:http";
import pg from "pg";

const [mode, portArg, pgPortArg, techniciansArg] = process.argv.slice(2);
const port = Number(portArg);
const pgPort = Number(pgPortArg);
if ((mode !== "minimal" && mode !== "equivalent") || !port || !pgPort)
  throw new Error("usage: pg-peer.ts <minimal|equivalent> <http port> <postgres port> [technicians]");
const SECRET = "bench-peer-quote-key";
const pool = new pg.Pool({ host: "127.0.0.1", port: pgPort, user: "bench", database: "postgres", max: 20 });

await pool.query(`
  CREATE EXTENSION IF NOT EXISTS btree_gist;
  CREATE TABLE IF NOT EXISTS services (id text PRIMARY KEY, base_price integer NOT NULL, duration_minutes integer NOT NULL);
  INSERT INTO services VALUES ('svc_demoCleaning2h', 10000, 120) ON CONFLICT DO NOTHING;
  CREATE TABLE IF NOT EXISTS bookings (
    id bigserial PRIMARY KEY,
    technician_id text NOT NULL,
    customer_id text NOT NULL,
    during tstzrange NOT NULL,
    total integer NOT NULL,
    created_at timestamptz NOT NULL DEFAULT now(),
    EXCLUDE USING gist (technician_id WITH =, during WITH &&)
  );
  CREATE TABLE IF NOT EXISTS eq_accounts (id text PRIMARY KEY, phone text NOT NULL UNIQUE, created_at timestamptz NOT NULL DEFAULT now());
  CREATE TABLE IF NOT EXISTS eq_sessions (
    token_hash bytea PRIMARY KEY,
    account_id text NOT NULL REFERENCES eq_accounts,
    expires_at timestamptz NOT NULL
  );
  CREATE TABLE IF NOT EXISTS eq_addresses (
    id text PRIMARY KEY,
    account_id text NOT NULL REFERENCES eq_accounts,
    text text NOT NULL,
    lat double precision NOT NULL,
    lng double precision NOT NULL
  );
  CREATE TABLE IF NOT EXISTS eq_technicians (id text PRIMARY KEY, name text NOT NULL, status text NOT NULL, skills text[] NOT NULL);
  CREATE TABLE IF NOT EXISTS eq_idempotency (
    account_id text NOT NULL,
    key text NOT NULL,
    request_hash text NOT NULL,
    status integer,
    answer jsonb,
    created_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (account_id, key)
  );
  CREATE TABLE IF NOT EXISTS eq_orders (
    id text PRIMARY KEY,
    customer_id text NOT NULL REFERENCES eq_accounts,
    technician_id text NOT NULL REFERENCES eq_technicians,
    address_id text NOT NULL REFERENCES eq_addresses,
    service_id text NOT NULL REFERENCES services,
    during tstzrange NOT NULL,
    status text NOT NULL,
    total integer NOT NULL,
    version integer NOT NULL,
    created_at timestamptz NOT NULL DEFAULT now(),
    EXCLUDE USING gist (technician_id WITH =, during WITH &&)
  );
  CREATE TABLE IF NOT EXISTS eq_timeline (
    id bigserial PRIMARY KEY,
    order_id text NOT NULL REFERENCES eq_orders,
    actor text NOT NULL,
    from_status text,
    to_status text NOT NULL,
    reason text NOT NULL,
    at timestamptz NOT NULL DEFAULT now()
  );
  CREATE INDEX IF NOT EXISTS eq_timeline_order ON eq_timeline (order_id);
  CREATE TABLE IF NOT EXISTS eq_outbox (
    id bigserial PRIMARY KEY,
    topic text NOT NULL,
    payload jsonb NOT NULL,
    created_at timestamptz NOT NULL DEFAULT now(),
    sent_at timestamptz
  );
  CREATE INDEX IF NOT EXISTS eq_outbox_unsent ON eq_outbox (created_at) WHERE sent_at IS NULL;
`);
if (mode === "equivalent") {
  const count = Number(techniciansArg ?? 200);
  await pool.query(
    `INSERT INTO eq_technicians (id, name, status, skills)
     SELECT 'tch_peer' || i, 'Technician ' || i, 'approved', ARRAY['cleaning'] FROM generate_series(0, $1 - 1) AS i
     ON CONFLICT DO NOTHING`,
    [count],
  );
}

interface QuotePayload {
  serviceId: string;
  start: number;
  end: number;
  total: number;
  expiresAt: number;
}

const sign = (body: string) => createHmac("sha256", SECRET).update(body).digest("base64url");

function quoteId(p: QuotePayload): string {
  const body = Buffer.from(JSON.stringify(p)).toString("base64url");
  return `${body}.${sign(body)}`;
}

function readQuote(id: string): QuotePayload | null {
  const [body, mac] = id.split(".");
  if (!body || !mac) return null;
  const want = Buffer.from(sign(body));
  const got = Buffer.from(mac);
  if (want.length !== got.length || !timingSafeEqual(want, got)) return null;
  const p = JSON.parse(Buffer.from(body, "base64url").toString()) as QuotePayload;
  return p.expiresAt > Date.now() ? p : null;
}

async function readBody(req: http.IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString();
}

const parse = (raw: string) => JSON.parse(raw || "{}") as Record<string, unknown>;
const sha256 = (s: string) => createHash("sha256").update(s).digest();

type Answer = [number, unknown];

/**
 * Concurrent inserts that clash on an exclusion constraint can deadlock each other (each waits for
 * the other's transaction while checking the constraint); PostgreSQL aborts one with 40P01. Like
 * any application on PostgreSQL, the peers retry the victim's whole transaction; the audit reports
 * how often.
 */
let retries = 0;
async function retryingDeadlocks<T>(fn: () => Promise<T>): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await fn();
    } catch (err) {
      const code = (err as { code?: string }).code;
      if ((code !== "40P01" && code !== "40001") || attempt >= 5) throw err;
      retries += 1;
    }
  }
}

/** The services, read once (Doorstep prices from a per-isolate cache of them too). */
const services = new Map<string, { base_price: number; duration_minutes: number }>();
async function serviceOf(id: string) {
  if (!services.has(id)) {
    const { rows } = await pool.query<{ base_price: number; duration_minutes: number }>(
      "SELECT base_price, duration_minutes FROM services WHERE id = $1",
      [id],
    );
    if (rows[0]) services.set(id, rows[0]);
  }
  return services.get(id);
}

async function quote(body: Record<string, unknown>): Promise<Answer> {
  const start = Date.parse(String(body.start));
  const service = await serviceOf(String(body.serviceId));
  if (!service || !Number.isFinite(start)) return [400, { code: "VALIDATION_FAILED" }];
  const payload = {
    serviceId: String(body.serviceId),
    start,
    end: start + service.duration_minutes * 60_000,
    total: service.base_price,
    expiresAt: Date.now() + 900_000,
  };
  return [201, { id: quoteId(payload), start: body.start }];
}

// ---- minimal ----

function minimalOrder(body: Record<string, unknown>): Promise<Answer> {
  return retryingDeadlocks(() => minimalInsert(body));
}

async function minimalInsert(body: Record<string, unknown>): Promise<Answer> {
  const q = readQuote(String(body.quoteId));
  if (!q || typeof body.technicianId !== "string" || typeof body.customerId !== "string") return [400, { code: "QUOTE_INVALID" }];
  try {
    const { rows } = await pool.query<{ id: string }>(
      "INSERT INTO bookings (technician_id, customer_id, during, total) VALUES ($1, $2, tstzrange(to_timestamp($3 / 1000.0), to_timestamp($4 / 1000.0), '[)'), $5) RETURNING id",
      [body.technicianId, body.customerId, q.start, q.end, q.total],
    );
    return [201, { id: rows[0]!.id }];
  } catch (err) {
    if ((err as { code?: string }).code === "23P01") return [409, { code: "SLOT_UNAVAILABLE" }];
    throw err;
  }
}

// ---- equivalent ----

/** The signed-in account: the bearer token's hash looked up in the sessions table. */
async function accountOf(req: http.IncomingMessage): Promise<string | null> {
  const token = /^Bearer (\S+)$/.exec(req.headers.authorization ?? "")?.[1];
  if (!token) return null;
  const { rows } = await pool.query<{ account_id: string }>(
    "SELECT account_id FROM eq_sessions WHERE token_hash = $1 AND expires_at > now()",
    [sha256(token)],
  );
  return rows[0]?.account_id ?? null;
}

/** Sign-up for the bench: an account, its address and a session token (what buildWorld does through Doorstep's API). */
async function signUp(body: Record<string, unknown>): Promise<Answer> {
  const id = `cus_${randomBytes(8).toString("hex")}`;
  const addressId = `adr_${randomBytes(8).toString("hex")}`;
  const token = randomBytes(32).toString("base64url");
  const client = await pool.connect();
  try {
    await client.query("BEGIN");
    await client.query("INSERT INTO eq_accounts (id, phone) VALUES ($1, $2)", [id, String(body.phone)]);
    await client.query("INSERT INTO eq_addresses (id, account_id, text, lat, lng) VALUES ($1, $2, $3, $4, $5)", [
      addressId,
      id,
      String(body.text ?? ""),
      Number(body.lat ?? 0),
      Number(body.lng ?? 0),
    ]);
    await client.query("INSERT INTO eq_sessions (token_hash, account_id, expires_at) VALUES ($1, $2, now() + interval '1 day')", [
      sha256(token),
      id,
    ]);
    await client.query("COMMIT");
  } catch (err) {
    await client.query("ROLLBACK");
    throw err;
  } finally {
    client.release();
  }
  return [201, { token, accountId: id, addressId }];
}

function equivalentOrder(accountId: string, key: string | undefined, raw: string): Promise<Answer> {
  if (!key) return Promise.resolve([400, { code: "IDEMPOTENCY_KEY_REQUIRED" }]);
  return retryingDeadlocks(() => equivalentTransaction(accountId, key, raw));
}

async function equivalentTransaction(accountId: string, key: string, raw: string): Promise<Answer> {
  const body = parse(raw);
  const q = readQuote(String(body.quoteId));
  if (!q || typeof body.technicianId !== "string" || typeof body.addressId !== "string") return [400, { code: "QUOTE_INVALID" }];
  const requestHash = createHash("sha256").update(raw).digest("base64url");
  const client = await pool.connect();
  try {
    await client.query("BEGIN");
    const claimed = await client.query(
      "INSERT INTO eq_idempotency (account_id, key, request_hash) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING RETURNING 1",
      [accountId, key, requestHash],
    );
    if (claimed.rowCount === 0) {
      const { rows } = await client.query<{ request_hash: string; status: number | null; answer: unknown }>(
        "SELECT request_hash, status, answer FROM eq_idempotency WHERE account_id = $1 AND key = $2",
        [accountId, key],
      );
      await client.query("COMMIT");
      const prior = rows[0]!;
      if (prior.request_hash !== requestHash) return [422, { code: "IDEMPOTENCY_KEY_REUSED" }];
      return prior.status === null ? [409, { code: "IDEMPOTENCY_IN_FLIGHT" }] : [prior.status, prior.answer];
    }
    const [address, technician] = await Promise.all([
      client.query("SELECT id, lat, lng FROM eq_addresses WHERE id = $1 AND account_id = $2", [body.addressId, accountId]),
      client.query<{ id: string; name: string }>("SELECT id, name FROM eq_technicians WHERE id = $1 AND status = 'approved'", [
        body.technicianId,
      ]),
    ]);
    if (address.rowCount === 0 || technician.rowCount === 0) {
      await client.query("ROLLBACK");
      return [404, { code: "NOT_FOUND" }];
    }
    const orderId = `ord_${randomBytes(10).toString("hex")}`;
    await client.query("SAVEPOINT slot");
    try {
      await client.query(
        `INSERT INTO eq_orders (id, customer_id, technician_id, address_id, service_id, during, status, total, version)
         VALUES ($1, $2, $3, $4, $5, tstzrange(to_timestamp($6 / 1000.0), to_timestamp($7 / 1000.0), '[)'), 'assigned', $8, 2)`,
        [orderId, accountId, body.technicianId, body.addressId, q.serviceId, q.start, q.end, q.total],
      );
    } catch (err) {
      if ((err as { code?: string }).code !== "23P01") throw err;
      // The slot is taken: the refusal is the key's answer.
      const refused = { code: "SLOT_UNAVAILABLE" };
      await client.query("ROLLBACK TO SAVEPOINT slot");
      await client.query("UPDATE eq_idempotency SET status = 409, answer = $3 WHERE account_id = $1 AND key = $2", [
        accountId,
        key,
        JSON.stringify(refused),
      ]);
      await client.query("COMMIT");
      return [409, refused];
    }
    await client.query(
      `INSERT INTO eq_timeline (order_id, actor, from_status, to_status, reason) VALUES
         ($1, 'customer', NULL, 'confirmed', 'booked; pays after the service'),
         ($1, 'system', 'confirmed', 'assigned', 'chosen technician')`,
      [orderId],
    );
    const status = (from: string | null, to: string) =>
      JSON.stringify({ orderId, customerId: accountId, technicianId: body.technicianId, from, to });
    await client.query("INSERT INTO eq_outbox (topic, payload) VALUES ('order.status', $1), ('order.status', $2)", [
      status(null, "confirmed"),
      status("confirmed", "assigned"),
    ]);
    const answer = { id: orderId, status: "assigned", technician: technician.rows[0], start: body.start, total: q.total, version: 2 };
    await client.query("UPDATE eq_idempotency SET status = 201, answer = $3 WHERE account_id = $1 AND key = $2", [
      accountId,
      key,
      JSON.stringify(answer),
    ]);
    await client.query("COMMIT");
    return [201, answer];
  } catch (err) {
    await client.query("ROLLBACK").catch(() => undefined);
    throw err;
  } finally {
    client.release();
  }
}

// ---- audits ----

async function audit(): Promise<Answer> {
  const table = mode === "minimal" ? "bookings" : "eq_orders";
  const [count, overlaps, ids, incomplete] = await Promise.all([
    pool.query<{ n: string }>(`SELECT count(*) AS n FROM ${table}`),
    pool.query<{ n: string }>(
      `SELECT count(*) AS n FROM ${table} a JOIN ${table} b ON a.technician_id = b.technician_id AND a.id < b.id AND a.during && b.during`,
    ),
    pool.query<{ id: string }>(`SELECT id FROM ${table}`),
    // Equivalent: every order with its two timeline rows, its two messages and its stored answer.
    mode === "minimal"
      ? Promise.resolve({ rows: [{ n: "0" }] })
      : pool.query<{ n: string }>(`
          SELECT count(*) AS n FROM eq_orders o
          WHERE (SELECT count(*) FROM eq_timeline t WHERE t.order_id = o.id) <> 2
             OR (SELECT count(*) FROM eq_outbox m WHERE m.payload->>'orderId' = o.id) <> 2
             OR NOT EXISTS (SELECT 1 FROM eq_idempotency i WHERE i.status = 201 AND i.answer->>'id' = o.id)`),
  ]);
  return [
    200,
    {
      bookings: Number(count.rows[0]!.n),
      overlaps: Number(overlaps.rows[0]!.n),
      incomplete: Number(incomplete.rows[0]!.n),
      deadlockRetries: retries,
      ids: ids.rows.map((r) => r.id),
    },
  ];
}

async function route(req: http.IncomingMessage): Promise<Answer> {
  const raw = await readBody(req);
  if (req.method === "GET" && req.url === "/healthz") {
    await pool.query("SELECT 1");
    return [200, { ok: true, mode }];
  }
  if (req.method === "GET" && req.url === "/audit") return audit();
  if (mode === "minimal") {
    if (req.method === "POST" && req.url === "/quotes") return quote(parse(raw));
    if (req.method === "POST" && req.url === "/orders") return minimalOrder(parse(raw));
    return [404, { code: "ROUTE_NOT_FOUND" }];
  }
  if (req.method === "POST" && req.url === "/accounts") return signUp(parse(raw));
  if (req.method === "POST" && (req.url === "/quotes" || req.url === "/orders")) {
    const accountId = await accountOf(req);
    if (!accountId) return [401, { code: "UNAUTHENTICATED" }];
    if (req.url === "/quotes") return quote(parse(raw));
    const key = req.headers["idempotency-key"];
    return equivalentOrder(accountId, typeof key === "string" ? key : undefined, raw);
  }
  return [404, { code: "ROUTE_NOT_FOUND" }];
}

const server = http.createServer((req, res) => {
  void route(req)
    .catch((err: unknown): Answer => {
      console.error(err);
      return [500, { code: "INTERNAL" }];
    })
    .then(([status, body]) => {
      res.writeHead(status, { "Content-Type": "application/json" });
      res.end(JSON.stringify(body));
    });
});
server.keepAliveTimeout = 60_000;
server.listen(port, "127.0.0.1", () => console.log(`${mode} peer on 127.0.0.1:${port}`));
const close = () => server.close(() => void pool.end().finally(() => process.exit(0)));
process.once("SIGTERM", close);
process.once("SIGINT", close);
