/**
 * The PostgreSQL peer: the same booking workload (quote, then order) behind a minimal Node HTTP
 * server, with double booking prevented by an exclusion constraint (btree_gist, tstzrange &&) in
 * PostgreSQL 15. No accounts, encryption or dispatch: the least a booking can cost there.
 * Usage: node bench/node/pg-peer.ts <http port> <postgres port>
 */
import { createHmac, timingSafeEqual } from "node:crypto";
import http from "node:http";
import pg from "pg";

const [port, pgPort] = process.argv.slice(2).map(Number);
if (!port || !pgPort) throw new Error("usage: pg-peer.ts <http port> <postgres port>");
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
`);

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

async function readJson(req: http.IncomingMessage): Promise<Record<string, unknown>> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  return JSON.parse(Buffer.concat(chunks).toString() || "{}") as Record<string, unknown>;
}

type Answer = [number, unknown];

async function route(req: http.IncomingMessage): Promise<Answer> {
  if (req.method === "GET" && req.url === "/healthz") {
    await pool.query("SELECT 1");
    return [200, { ok: true }];
  }
  if (req.method === "POST" && req.url === "/quotes") {
    const body = await readJson(req);
    const start = Date.parse(String(body.start));
    const { rows } = await pool.query<{ base_price: number; duration_minutes: number }>(
      "SELECT base_price, duration_minutes FROM services WHERE id = $1",
      [body.serviceId],
    );
    const service = rows[0];
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
  if (req.method === "POST" && req.url === "/orders") {
    const body = await readJson(req);
    const quote = readQuote(String(body.quoteId));
    if (!quote || typeof body.technicianId !== "string" || typeof body.customerId !== "string") return [400, { code: "QUOTE_INVALID" }];
    try {
      const { rows } = await pool.query<{ id: string }>(
        "INSERT INTO bookings (technician_id, customer_id, during, total) VALUES ($1, $2, tstzrange(to_timestamp($3 / 1000.0), to_timestamp($4 / 1000.0), '[)'), $5) RETURNING id",
        [body.technicianId, body.customerId, quote.start, quote.end, quote.total],
      );
      return [201, { id: rows[0]!.id }];
    } catch (err) {
      if ((err as { code?: string }).code === "23P01") return [409, { code: "SLOT_UNAVAILABLE" }];
      throw err;
    }
  }
  if (req.method === "GET" && req.url === "/audit") {
    const [count, overlaps, ids] = await Promise.all([
      pool.query<{ n: string }>("SELECT count(*) AS n FROM bookings"),
      pool.query<{ n: string }>(
        "SELECT count(*) AS n FROM bookings a JOIN bookings b ON a.technician_id = b.technician_id AND a.id < b.id AND a.during && b.during",
      ),
      pool.query<{ id: string }>("SELECT id FROM bookings"),
    ]);
    return [200, { bookings: Number(count.rows[0]!.n), overlaps: Number(overlaps.rows[0]!.n), ids: ids.rows.map((r) => r.id) }];
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
server.listen(port, "127.0.0.1", () => console.log(`peer on 127.0.0.1:${port}`));
const close = () => server.close(() => void pool.end().finally(() => process.exit(0)));
process.once("SIGTERM", close);
process.once("SIGINT", close);
