/**
 * What the benchmark Worker does with its bindings, counted per source (a route, a queue, the
 * cron) for the whole isolate: D1 round trips and statements, cell calls by method, queue sends.
 * Every invocation runs with bindings that count (test/support/counting-bindings.ts, the same code
 * the round-trip tests use), including what it leaves running after the answer (`waitUntil`: the
 * outbox messages handed to the queue) and the queue consumers (notifications delivered). The bench reads and resets the
 * counts through `GET` / `DELETE /v1/bench/counters` (bench.routes.ts) around a workload, and
 * divides by the bookings it acknowledged: counted, not estimated.
 */
import { deriveEnv } from "../../src/config";
import { countingBindings, DRAIN, type CountSink } from "../../test/support/counting-bindings";
import type { SourceCounts } from "./counters.types";

export type { SourceCounts };

/** Distinct statement shapes kept per source; anything beyond is counted under "(other)". */
const MAX_SHAPES = 200;

let since = Date.now();
const sources = new Map<string, SourceCounts>();

function countsOf(source: string): SourceCounts {
  let c = sources.get(source);
  if (!c) {
    c = { invocations: 0, messages: 0, d1RoundTrips: 0, d1Statements: 0, drainStatements: 0, cellCalls: {}, queueSends: 0, statements: {} };
    sources.set(source, c);
  }
  return c;
}

function shapeOf(c: SourceCounts, query: string): string {
  const shape = query.replace(/\s+/g, " ").trim().slice(0, 72);
  return shape in c.statements || Object.keys(c.statements).length < MAX_SHAPES ? shape : "(other)";
}

function sinkOf(c: SourceCounts): CountSink {
  const one = (query: string) => {
    c.d1Statements += 1;
    if (DRAIN.test(query)) c.drainStatements += 1;
    const shape = shapeOf(c, query);
    c.statements[shape] = (c.statements[shape] ?? 0) + 1;
  };
  return {
    statement(query) {
      c.d1RoundTrips += 1;
      one(query);
    },
    batch(queries) {
      c.d1RoundTrips += 1;
      for (const q of queries) one(q);
    },
    rpc(_object, method) {
      c.cellCalls[method] = (c.cellCalls[method] ?? 0) + 1;
    },
    queue() {
      c.queueSends += 1;
    },
  };
}

/** A path with its ids folded (`/v1/admin/orders/ord_x` → `/v1/admin/orders/{id}`), so sources stay few. */
export function routeOf(method: string, path: string): string {
  const folded = path
    .split("/")
    .map((seg) => (seg === "" || /^(v\d+|[a-z][a-z-]*)$/.test(seg) ? seg : "{id}"))
    .join("/");
  return `${method} ${folded}`;
}

/** Where a request is counted; null for the counters' own route (reading the counts does not change them). */
export function sourceOfRequest(req: Request): string | null {
  const path = new URL(req.url).pathname;
  return path === "/v1/bench/counters" ? null : routeOf(req.method, path);
}

/** `env` with bindings that count into `source` (the parsed configuration is shared with `env`). */
export function countedEnv(env: Env, source: string, messages = 0): Env {
  const c = countsOf(source);
  c.invocations += 1;
  c.messages += messages;
  return deriveEnv(env, countingBindings(env, sinkOf(c)));
}

/** Every source's counts since the last reset. */
export function readCounters(): { since: number; now: number; sources: Record<string, SourceCounts> } {
  return { since, now: Date.now(), sources: Object.fromEntries(structuredClone([...sources.entries()])) };
}

export function resetCounters(): void {
  sources.clear();
  since = Date.now();
}
