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

/** Each query text's shape, worked out once per isolate (the same few texts come again and again). */
const shapes = new Map<string, string>();

function shapeOf(c: SourceCounts, query: string): string {
  let shape = shapes.get(query);
  if (shape === undefined) {
    shape = query.replace(/\s+/g, " ").trim().slice(0, 72);
    if (shapes.size >= 2_000) shapes.clear();
    shapes.set(query, shape);
  }
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
  // The path without a URL object: the text between the authority and the query.
  const url = req.url;
  const from = url.indexOf("/", url.indexOf("//") + 2);
  const end = url.search(/[?#]/);
  const path = from < 0 ? "/" : url.slice(from, end < 0 ? undefined : end);
  return path === "/v1/bench/counters" ? null : routeOf(req.method, path);
}

/** Each source's counting env, made once per source and counts (a reset starts new ones). */
const envs = new Map<string, { env: Env; c: SourceCounts; counted: Env }>();

/** `env` with bindings that count into `source` (the parsed configuration is shared with `env`). */
export function countedEnv(env: Env, source: string, messages = 0): Env {
  const c = countsOf(source);
  c.invocations += 1;
  c.messages += messages;
  const made = envs.get(source);
  if (made && made.env === env && made.c === c) return made.counted;
  const counted = deriveEnv(env, countingBindings(env, sinkOf(c)));
  if (envs.size >= 1_000) envs.clear();
  envs.set(source, { env, c, counted });
  return counted;
}

/** Every source's counts since the last reset. */
export function readCounters(): { since: number; now: number; sources: Record<string, SourceCounts> } {
  return { since, now: Date.now(), sources: Object.fromEntries(structuredClone([...sources.entries()])) };
}

export function resetCounters(): void {
  sources.clear();
  since = Date.now();
}
