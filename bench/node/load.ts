/**
 * The load generator: a fixed number of clients, each running operations back to back (closed
 * loop), bounded by a count and by a deadline. Loopback only: every URL it is given is checked.
 */

export interface LoadBounds {
  /** Concurrent clients. */
  concurrency: number;
  /** Operations in all; a client stops when none is left. */
  maxOps: number;
  /** Wall-clock bound; clients start no operation after it. */
  maxMs: number;
}

/** What one operation came to; `kind` is free-form ("ok", "conflict", "error", …). */
export interface Outcome {
  kind: string;
}

export interface Percentiles {
  p50: number;
  p95: number;
  p99: number;
  max: number;
}

export interface LoadResult<O extends Outcome> {
  concurrency: number;
  ops: number;
  elapsedMs: number;
  /** Operations per second, all kinds. */
  opsPerSecond: number;
  /** Count per outcome kind. */
  kinds: Record<string, number>;
  /** Latency of every operation, ms. */
  latencyMs: Percentiles;
  /** Latency per outcome kind, ms. */
  latencyByKindMs: Record<string, Percentiles>;
  outcomes: { index: number; client: number; ms: number; outcome: O }[];
}

const round = (x: number, digits = 1) => Math.round(x * 10 ** digits) / 10 ** digits;

/** Nearest-rank percentiles of a sample, ms. */
export function percentiles(sample: number[]): Percentiles {
  if (sample.length === 0) return { p50: 0, p95: 0, p99: 0, max: 0 };
  const s = [...sample].sort((a, b) => a - b);
  const q = (p: number) => s[Math.min(s.length - 1, Math.max(0, Math.ceil(p * s.length) - 1))]!;
  return { p50: round(q(0.5)), p95: round(q(0.95)), p99: round(q(0.99)), max: round(s[s.length - 1]!) };
}

/**
 * Runs `op(index, client)` for index 0, 1, 2, … across `concurrency` clients until `maxOps` have
 * started, `maxMs` has passed, or `stop()` says so. An operation that throws counts as kind "error".
 */
export async function runLoad<O extends Outcome>(
  bounds: LoadBounds,
  op: (index: number, client: number) => Promise<O>,
  stop: () => boolean = () => false,
): Promise<LoadResult<O>> {
  let next = 0;
  const outcomes: LoadResult<O>["outcomes"] = [];
  const t0 = performance.now();
  const deadline = t0 + bounds.maxMs;
  const client = async (c: number) => {
    for (;;) {
      if (next >= bounds.maxOps || performance.now() > deadline || stop()) return;
      const index = next++;
      const started = performance.now();
      let outcome: O;
      try {
        outcome = await op(index, c);
      } catch (err) {
        outcome = { kind: "error", error: err instanceof Error ? err.message : String(err) } as unknown as O;
      }
      outcomes.push({ index, client: c, ms: performance.now() - started, outcome });
    }
  };
  await Promise.all(Array.from({ length: bounds.concurrency }, (_, c) => client(c)));
  const elapsedMs = performance.now() - t0;
  const kinds: Record<string, number> = {};
  const byKind: Record<string, number[]> = {};
  for (const o of outcomes) {
    kinds[o.outcome.kind] = (kinds[o.outcome.kind] ?? 0) + 1;
    (byKind[o.outcome.kind] ??= []).push(o.ms);
  }
  return {
    concurrency: bounds.concurrency,
    ops: outcomes.length,
    elapsedMs: Math.round(elapsedMs),
    opsPerSecond: round((outcomes.length / elapsedMs) * 1000),
    kinds,
    latencyMs: percentiles(outcomes.map((o) => o.ms)),
    latencyByKindMs: Object.fromEntries(Object.entries(byKind).map(([k, v]) => [k, percentiles(v)])),
    outcomes,
  };
}

/** The summary of a load result without the per-operation list (what goes into the results file). */
export function summary<O extends Outcome>(r: LoadResult<O>) {
  const { outcomes: _outcomes, ...rest } = r;
  return rest;
}

/** Refuses any target that is not on this machine's loopback. */
export function assertLoopback(url: string): void {
  const host = new URL(url).hostname;
  if (!(host === "localhost" || host === "[::1]" || /^127\.\d+\.\d+\.\d+$/.test(host))) {
    throw new Error(`the bench only sends load to loopback addresses, not ${host}`);
  }
}
