/**
 * Counts what a request costs in round trips: D1 calls (a batch is one), Durable Object RPCs and
 * queue sends, by wrapping the real bindings (nothing is faked; every call still reaches them).
 * The count is deterministic, unlike a time, so tests may assert bounds on it.
 */
import { env } from "cloudflare:test";
import type { Customer } from "./booking";
import { callWith, type CallOptions, type Called } from "./http";
import type { World } from "./world";

export interface Counts {
  /** D1 round trips of the request: one per statement run on its own, one per batch (outbox drains apart). */
  d1: number;
  /** D1 round trips of the outbox drain that follows a write (in the background, after the answer). */
  drain: number;
  /** Statements inside batches (each batch counts once in `d1`). */
  batchedStatements: number;
  /** The SQL of every round trip, in order (a batch as its statements joined by " ; "). */
  sql: string[];
  /** Durable Object RPCs as `cell:method`. */
  rpc: string[];
  /** Queue sends (send or sendBatch). */
  queue: number;
}

const newCounts = (): Counts => ({ d1: 0, drain: 0, batchedStatements: 0, sql: [], rpc: [], queue: 0 });

/**
 * The drain's own statements (claim, settle, backlog). It starts before the answer is returned
 * (waitUntil is handed a running promise), so it is told apart by what it runs, not by when.
 */
const DRAIN = /^\s*(UPDATE outbox SET claimed_until|update "outbox" set|select count\(\*\), min\("created_at"\) from "outbox")/i;

function record(c: Counts, query: string): void {
  if (DRAIN.test(query)) c.drain += 1;
  else c.d1 += 1;
  c.sql.push(query);
}

const RUNS = ["first", "all", "run", "raw"] as const;

/** `env.DB` with every round trip recorded in `counts`. Statements stay the runtime's own objects, so batches accept them. */
function countingDb(db: D1Database, counts: Counts): D1Database {
  const sqlOf = new WeakMap<object, string>();
  const instrument = (stmt: D1PreparedStatement, query: string): D1PreparedStatement => {
    sqlOf.set(stmt, query);
    const bind = stmt.bind.bind(stmt);
    stmt.bind = (...args: unknown[]) => instrument(bind(...args), query);
    for (const name of RUNS) {
      const original = (stmt[name] as (...a: unknown[]) => Promise<unknown>).bind(stmt);
      (stmt as unknown as Record<string, unknown>)[name] = (...a: unknown[]) => {
        record(counts, query);
        return original(...a);
      };
    }
    return stmt;
  };
  return new Proxy(db, {
    get(target, prop) {
      if (prop === "prepare") return (query: string) => instrument(target.prepare(query), query);
      if (prop === "batch") {
        return (stmts: D1PreparedStatement[]) => {
          counts.d1 += 1;
          counts.batchedStatements += stmts.length;
          counts.sql.push(stmts.map((s) => sqlOf.get(s) ?? "?").join(" ; "));
          return target.batch(stmts);
        };
      }
      // A request's D1 session (src/http/request.ts d1Session) counts like the binding itself.
      if (prop === "withSession") {
        return (constraint?: string) => countingDb(target.withSession(constraint) as unknown as D1Database, counts);
      }
      if (prop === "exec") {
        return (query: string) => {
          record(counts, query);
          return target.exec(query);
        };
      }
      const v = Reflect.get(target, prop) as unknown;
      return typeof v === "function" ? (v as (...a: unknown[]) => unknown).bind(target) : v;
    },
  });
}

/** A Durable Object namespace whose stubs record every RPC as `name:method`. */
function countingNamespace<T extends Rpc.DurableObjectBranded>(ns: DurableObjectNamespace<T>, counts: Counts): DurableObjectNamespace<T> {
  const wrap = (stub: DurableObjectStub<T>, name: string): DurableObjectStub<T> =>
    new Proxy(stub, {
      get(target, prop) {
        const v = Reflect.get(target, prop) as unknown;
        if (typeof prop !== "string" || typeof v !== "function" || prop === "then") return v;
        return (...args: unknown[]) => {
          counts.rpc.push(`${name}:${prop}`);
          // An RPC method is itself a stub: `.apply` on it would be an RPC call named "apply".
          return (v as (...a: unknown[]) => unknown)(...args);
        };
      },
    });
  return new Proxy(ns, {
    get(target, prop) {
      if (prop === "getByName")
        return (name: string, opts?: DurableObjectNamespaceGetDurableObjectOptions) => wrap(target.getByName(name, opts), name);
      if (prop === "get")
        return (id: DurableObjectId, opts?: DurableObjectNamespaceGetDurableObjectOptions) =>
          wrap(target.get(id, opts), id.name ?? id.toString());
      const v = Reflect.get(target, prop) as unknown;
      return typeof v === "function" ? (v as (...a: unknown[]) => unknown).bind(target) : v;
    },
  });
}

function countingQueue<T>(q: Queue<T>, counts: Counts): Queue<T> {
  return new Proxy(q, {
    get(target, prop) {
      const v = Reflect.get(target, prop) as unknown;
      if (typeof v !== "function") return v;
      return (...args: unknown[]) => {
        if (prop === "send" || prop === "sendBatch") counts.queue += 1;
        return (v as (...a: unknown[]) => unknown).apply(target, args);
      };
    },
  });
}

/** The Worker's bindings, counting every round trip into `counts`. */
export function countingEnv(base: Env = env): { env: Env; counts: Counts } {
  const counts = newCounts();
  return {
    counts,
    env: {
      ...base,
      DB: countingDb(base.DB, counts),
      CELL: countingNamespace(base.CELL, counts),
      NOTIFICATIONS: countingQueue(base.NOTIFICATIONS, counts),
    } as Env,
  };
}

export interface Counted<T = any> extends Called<T> {
  /** What the request cost, including what it left running after the answer (`waitUntil`). */
  counts: Counts;
}

/**
 * Calls the Worker's own fetch handler with bindings that count, and reports what the request
 * cost, waiting for what it left running after the answer.
 */
export async function countedCall<T = any>(method: string, path: string, opts: CallOptions = {}): Promise<Counted<T>> {
  const { env: counted, counts } = countingEnv();
  return { ...(await callWith<T>(counted, method, path, opts)), counts };
}

/** A quote of the world's service at its centre, counted (0 D1 round trips: priced from the reference cache). */
export function countedQuote(w: World, c: Customer, start: string) {
  return countedCall("POST", "/v1/quotes", {
    token: c.session.token,
    body: { serviceId: w.serviceId, lat: w.center.lat, lng: w.center.lng, start },
  });
}

let keys = 0;
/** Books a quote (pay after the service unless `extra` says otherwise), counted. */
export function countedBook(c: Customer, q: { id: string; start: string }, extra: Record<string, unknown> = {}, key = `rt-${(keys += 1)}`) {
  return countedCall("POST", "/v1/orders", {
    token: c.session.token,
    headers: { "Idempotency-Key": key },
    body: { quoteId: q.id, addressId: c.addressId, start: q.start, paymentPlan: "after_service", ...extra },
  });
}
