/**
 * Bindings that count what a Worker does with them: D1 statements and round trips (a batch is one
 * round trip of several statements), Durable Object RPCs and queue sends. Nothing is faked: every
 * call still reaches the real binding. Free of `cloudflare:test`, so the benchmark Worker
 * (bench/worker/counters.ts) counts with the same code as the tests (test/support/counting.ts).
 */

/** Where the counts go. */
export interface CountSink {
  /** One statement run on its own (first, all, run, raw, exec): one round trip. */
  statement(query: string): void;
  /** One batch: one round trip of `queries.length` statements. */
  batch(queries: string[]): void;
  /** One RPC to the Durable Object named `object`. */
  rpc(object: string, method: string): void;
  /** One queue send (send or sendBatch). */
  queue(): void;
  /** A D1 round trip or RPC just started; `done` settles when its answer is back (for sequential depth). */
  started?(done: PromiseLike<unknown>): void;
}

/**
 * The outbox backstop's own statements (claim, settle, backlog: src/notifications/outbox.service.ts
 * drainOutbox, run by the cron). Requests no longer drain (they send what they collected, with no
 * D1 statement), so on a request's count this stays 0; it is told apart by what it runs, not by when.
 */
export const DRAIN = /^\s*(UPDATE outbox SET claimed_until|update "outbox" set|select count\(\*\), min\("created_at"\) from "outbox")/i;

const RUNS = ["first", "all", "run", "raw"] as const;

/** `db` with every round trip reported to `sink`. Statements stay the runtime's own objects, so batches accept them. */
export function countingDb(db: D1Database, sink: CountSink): D1Database {
  const sqlOf = new WeakMap<object, string>();
  const instrument = (stmt: D1PreparedStatement, query: string): D1PreparedStatement => {
    sqlOf.set(stmt, query);
    const bind = stmt.bind.bind(stmt);
    stmt.bind = (...args: unknown[]) => instrument(bind(...args), query);
    for (const name of RUNS) {
      const original = (stmt[name] as (...a: unknown[]) => Promise<unknown>).bind(stmt);
      (stmt as unknown as Record<string, unknown>)[name] = (...a: unknown[]) => {
        sink.statement(query);
        const done = original(...a);
        sink.started?.(done);
        return done;
      };
    }
    return stmt;
  };
  return new Proxy(db, {
    get(target, prop) {
      if (prop === "prepare") return (query: string) => instrument(target.prepare(query), query);
      if (prop === "batch") {
        return (stmts: D1PreparedStatement[]) => {
          sink.batch(stmts.map((s) => sqlOf.get(s) ?? "?"));
          const done = target.batch(stmts);
          sink.started?.(done);
          return done;
        };
      }
      // A request's D1 session (src/http/request.ts d1Session) counts like the binding itself.
      if (prop === "withSession") {
        return (constraint?: string) => countingDb(target.withSession(constraint) as unknown as D1Database, sink);
      }
      if (prop === "exec") {
        return (query: string) => {
          sink.statement(query);
          return target.exec(query);
        };
      }
      const v = Reflect.get(target, prop) as unknown;
      return typeof v === "function" ? (v as (...a: unknown[]) => unknown).bind(target) : v;
    },
  });
}

/** A Durable Object namespace whose stubs report every RPC as (object name, method). */
export function countingNamespace<T extends Rpc.DurableObjectBranded>(
  ns: DurableObjectNamespace<T>,
  sink: CountSink,
): DurableObjectNamespace<T> {
  const wrap = (stub: DurableObjectStub<T>, name: string): DurableObjectStub<T> =>
    new Proxy(stub, {
      get(target, prop) {
        const v = Reflect.get(target, prop) as unknown;
        if (typeof prop !== "string" || typeof v !== "function" || prop === "then") return v;
        return (...args: unknown[]) => {
          sink.rpc(name, prop);
          // An RPC method is itself a stub: `.apply` on it would be an RPC call named "apply".
          const done = (v as (...a: unknown[]) => unknown)(...args);
          sink.started?.(done as PromiseLike<unknown>);
          return done;
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

/** A queue producer whose sends are reported to `sink`. */
export function countingQueue<T>(q: Queue<T>, sink: CountSink): Queue<T> {
  return new Proxy(q, {
    get(target, prop) {
      const v = Reflect.get(target, prop) as unknown;
      if (typeof v !== "function") return v;
      return (...args: unknown[]) => {
        if (prop === "send" || prop === "sendBatch") sink.queue();
        return (v as (...a: unknown[]) => unknown).apply(target, args);
      };
    },
  });
}

/** The bindings a request's round trips go through, counting into `sink` (put them over the real ones). */
export function countingBindings(env: Env, sink: CountSink): Pick<Env, "DB" | "CELL" | "NOTIFICATIONS" | "CELL_EVENTS"> {
  return {
    DB: countingDb(env.DB, sink),
    CELL: countingNamespace(env.CELL, sink),
    NOTIFICATIONS: countingQueue(env.NOTIFICATIONS, sink),
    CELL_EVENTS: countingQueue(env.CELL_EVENTS, sink),
  };
}
