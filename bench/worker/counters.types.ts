/** What the benchmark Worker counts per source (bench/worker/counters.ts); read by the bench in Node too. */
export interface SourceCounts {
  /** Requests (or queue batches, or cron runs) that came in through this source. */
  invocations: number;
  /** Queue messages handed to this source (queue consumers only). */
  messages: number;
  /** D1 round trips: one per statement run on its own, one per batch. */
  d1RoundTrips: number;
  /** D1 statements: each statement run on its own, and each statement inside a batch. */
  d1Statements: number;
  /** Of `d1Statements`, those of the outbox backstop's drain (claim, settle, backlog; the cron runs it, a request never does). */
  drainStatements: number;
  /** Durable Object (cell) RPCs by method. */
  cellCalls: Record<string, number>;
  /** Queue sends (send or sendBatch). */
  queueSends: number;
  /** Statements by the start of their SQL (whitespace folded, first 72 characters). */
  statements: Record<string, number>;
}
