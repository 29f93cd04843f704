/**
 * Counts what a request costs in round trips: D1 calls (a batch is one), Durable Object RPCs and
 * queue sends, by wrapping the real bindings (counting-bindings.ts; every call still reaches them).
 * The count is deterministic, unlike a time, so tests may assert bounds on it.
 */
import { createExecutionContext, env, waitOnExecutionContext } from "cloudflare:test";
import worker from "../../src/index";
import type { Customer } from "./booking";
import { readAnswer, requestOf, type CallOptions, type Called } from "./http";
import type { World } from "./world";
import { countingBindings, DRAIN, type CountSink } from "./counting-bindings";

export interface Counts {
  /** D1 round trips of the request: one per statement run on its own, one per batch (outbox drains apart). */
  d1: number;
  /** D1 round trips of the outbox backstop's drain (claim, settle, backlog); 0 for a request, which sends what it collected. */
  drain: number;
  /** Statements inside batches (each batch counts once in `d1`). */
  batchedStatements: number;
  /** The SQL of every round trip, in order (a batch as its statements joined by " ; "). */
  sql: string[];
  /** Durable Object RPCs as `cell:method`. */
  rpc: string[];
  /** Queue sends (send or sendBatch). */
  queue: number;
  /**
   * Sequential remote round trips (D1 calls and RPCs): the longest chain of calls each started
   * after the one before it had answered. Calls made in parallel count once; a call started and
   * left running (not awaited) counts like one awaited.
   */
  sequential: number;
}

const newCounts = (): Counts => ({ d1: 0, drain: 0, batchedStatements: 0, sql: [], rpc: [], queue: 0, sequential: 0 });

/** A sink that fills `c`: drain statements apart, a batch as one round trip. */
function sinkOf(c: Counts): CountSink {
  // The deepest chain of calls that has answered so far: a call started now comes one after it.
  let answered = 0;
  return {
    started(done) {
      const depth = answered + 1;
      c.sequential = Math.max(c.sequential, depth);
      const end = () => {
        answered = Math.max(answered, depth);
      };
      Promise.resolve(done).then(end, end);
    },
    statement(query) {
      if (DRAIN.test(query)) c.drain += 1;
      else c.d1 += 1;
      c.sql.push(query);
    },
    batch(queries) {
      c.d1 += 1;
      c.batchedStatements += queries.length;
      c.sql.push(queries.join(" ; "));
    },
    rpc(object, method) {
      c.rpc.push(`${object}:${method}`);
    },
    queue() {
      c.queue += 1;
    },
  };
}

/** The Worker's bindings, counting every round trip into `counts`. */
export function countingEnv(base: Env = env): { env: Env; counts: Counts } {
  const counts = newCounts();
  return {
    counts,
    env: {
      ...base,
      ...countingBindings(base, sinkOf(counts)),
    } as Env,
  };
}

export interface Counted<T = any> extends Called<T> {
  /** What the request cost, including what it left running after the answer (`waitUntil`). */
  counts: Counts;
  /** What it had cost when its answer came: the round trips the client waited for. */
  beforeAnswer: Counts;
}

/**
 * Calls the Worker's own fetch handler with bindings that count, and reports what the request
 * cost, waiting for what it left running after the answer.
 */
export async function countedCall<T = any>(method: string, path: string, opts: CallOptions = {}): Promise<Counted<T>> {
  const { env: counted, counts } = countingEnv();
  const ctx = createExecutionContext();
  const answer = await readAnswer<T>(await worker.fetch(requestOf(method, path, opts), counted, ctx));
  const beforeAnswer = structuredClone(counts);
  await waitOnExecutionContext(ctx);
  return { ...answer, counts, beforeAnswer };
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
