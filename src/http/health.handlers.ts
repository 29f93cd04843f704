import { createRoute, z } from "@hono/zod-openapi";
import { getDb } from "../db/client";
import { ping } from "../db/repositories/health.repo";
import { READINESS_PROBE } from "../domain/outbox";
import { logger } from "../lib/log";
import { createRouter, errorResponses, jsonContent } from "./openapi";

/** How long one dependency may take before readiness calls it down. */
export const PROBE_TIMEOUT_MS = 2_000;
/** The cell `/readyz` asks: any name reaches a Durable Object; this one holds nothing. */
export const PROBE_CELL = "readyz-probe";
/** The R2 key `/readyz` looks up (it need not exist: an answer, even "not there", proves R2 works). */
export const PROBE_OBJECT = "readyz-probe";

const Check = z
  .object({
    ok: z.boolean(),
    ms: z.number().int().openapi({ description: "How long the probe took, in milliseconds." }),
    error: z.enum(["timeout", "failed"]).optional().openapi({ description: "Why the dependency is down (details go to the log)." }),
  })
  .openapi("ReadinessCheck");

const Readiness = z
  .object({
    ok: z.boolean(),
    time: z.string(),
    checks: z.object({ d1: Check, cell: Check, queue: Check, r2: Check }),
  })
  .openapi("Readiness");

const health = createRoute({
  operationId: "getHealth",
  method: "get",
  path: "/healthz",
  tags: ["System"],
  summary: "Liveness: the Worker runs (no I/O)",
  description:
    "Answers from the isolate alone, touching no binding: for a load balancer's liveness check. `/readyz` checks the dependencies.",
  responses: {
    200: jsonContent(z.object({ ok: z.literal(true), time: z.string() }), "The Worker runs"),
    ...errorResponses(),
  },
});

const ready = createRoute({
  operationId: "getReadiness",
  method: "get",
  path: "/readyz",
  tags: ["System"],
  summary: "Readiness: D1, a cell, the queue producer and R2, each with its latency",
  description: `Probes every dependency in parallel, each within ${PROBE_TIMEOUT_MS} ms: D1 (\`select 1\`), a cell Durable Object (\`ping\`, no storage), the notifications queue producer (one probe message, acknowledged unread by the consumer) and R2 (a \`head\` of a key that need not exist). 200 when all answer, 503 when any does not; the body names each check with \`ok\`, \`ms\` and, when down, \`error\` (\`timeout\` or \`failed\`; the detail is in the log line \`readyz.failed\`).`,
  responses: {
    200: jsonContent(Readiness, "Every dependency answered"),
    503: jsonContent(Readiness, "At least one dependency did not answer"),
    ...errorResponses(),
  },
});

type CheckResult = z.infer<typeof Check>;

/** Runs one probe within PROBE_TIMEOUT_MS; a failure is logged with its detail and answered as `failed` or `timeout`. */
async function probe(name: string, work: () => Promise<unknown>): Promise<CheckResult> {
  const started = Date.now();
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timeout = new Promise<"timeout">((resolve) => {
    timer = setTimeout(() => resolve("timeout"), PROBE_TIMEOUT_MS);
  });
  try {
    const outcome = await Promise.race([work().then(() => "ok" as const), timeout]);
    const ms = Date.now() - started;
    if (outcome === "ok") return { ok: true, ms };
    logger.error("readyz.failed", { check: name, ms, error: "timeout" });
    return { ok: false, ms, error: "timeout" };
  } catch (err) {
    const ms = Date.now() - started;
    logger.error("readyz.failed", { check: name, ms, error: String(err) });
    return { ok: false, ms, error: "failed" };
  } finally {
    clearTimeout(timer);
  }
}

/** Probes D1, a cell, the queue producer and R2 in parallel. */
export async function readiness(env: Env) {
  const [d1, cell, queue, r2] = await Promise.all([
    probe("d1", () => ping(getDb(env))),
    probe("cell", () => env.CELL.getByName(PROBE_CELL).ping()),
    probe("queue", () => env.NOTIFICATIONS.send(READINESS_PROBE, { contentType: "json" })),
    probe("r2", () => env.PHOTOS.head(PROBE_OBJECT)),
  ]);
  const checks = { d1, cell, queue, r2 };
  return { ok: Object.values(checks).every((c) => c.ok), time: new Date().toISOString(), checks };
}

export default createRouter()
  .openapi(health, (c) => c.json({ ok: true as const, time: new Date().toISOString() }, 200))
  .openapi(ready, async (c) => {
    const body = await readiness(c.env);
    c.header("Cache-Control", "no-store");
    return body.ok ? c.json(body, 200) : c.json(body, 503);
  });
