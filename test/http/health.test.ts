/** `/healthz` (liveness, no I/O) and `/readyz` (D1, a cell, the queue producer, R2). */
import { env } from "cloudflare:test";
import { afterEach, describe, expect, it, vi } from "vitest";
import { PROBE_TIMEOUT_MS } from "../../src/http/health.handlers";
import { call, callWith } from "../support/http";
import { capturingQueue, consume } from "../support/queue";

afterEach(() => vi.restoreAllMocks());

describe("/healthz", () => {
  it("answers from the isolate alone: no D1, no cell, no queue, no R2", async () => {
    const prepare = vi.spyOn(env.DB, "prepare");
    const session = vi.spyOn(env.DB, "withSession");
    const head = vi.spyOn(env.PHOTOS, "head");
    const send = vi.spyOn(env.NOTIFICATIONS, "send");
    const res = await call("GET", "/healthz");
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ ok: true, time: expect.any(String) });
    expect(prepare).not.toHaveBeenCalled();
    expect(session).not.toHaveBeenCalled();
    expect(head).not.toHaveBeenCalled();
    expect(send).not.toHaveBeenCalled();
  });
});

describe("/readyz", () => {
  it("checks D1, a cell, the queue producer and R2, each with its latency", async () => {
    const res = await call("GET", "/readyz");
    expect(res.status).toBe(200);
    expect(res.headers.get("Cache-Control")).toBe("no-store");
    expect(res.body.ok).toBe(true);
    for (const name of ["d1", "cell", "queue", "r2"]) {
      expect(res.body.checks[name], name).toEqual({ ok: true, ms: expect.any(Number) });
    }
  });

  it("really sends through the producer, and the consumer acknowledges the probe without writing anything", async () => {
    const { queue, sent } = capturingQueue();
    const res = await callWith({ ...env, NOTIFICATIONS: queue } as Env, "GET", "/readyz");
    expect(res.body.checks.queue.ok).toBe(true);
    expect(sent).toHaveLength(1);
    const prepare = vi.spyOn(env.DB, "prepare");
    const session = vi.spyOn(env.DB, "batch");
    const settled = await consume("doorstep-notifications", [{ id: "probe-1", body: sent[0] }]);
    expect(settled.explicitAcks).toEqual(["probe-1"]);
    expect(settled.retryMessages).toEqual([]);
    expect(prepare).not.toHaveBeenCalled();
    expect(session).not.toHaveBeenCalled();
  });

  it("answers 503 naming the dependency that failed, with the detail only in the log", async () => {
    // R2 refusing (as an outage answers: the binding's promise rejects).
    const broken = { head: () => Promise.reject(new Error("R2 internal error: bucket unavailable")) } as unknown as R2Bucket;
    const logged = vi.spyOn(console, "error").mockImplementation(() => {});
    const res = await callWith({ ...env, PHOTOS: broken } as Env, "GET", "/readyz");
    expect(res.status).toBe(503);
    expect(res.body.ok).toBe(false);
    expect(res.body.checks.r2).toMatchObject({ ok: false, error: "failed" });
    expect(res.body.checks.d1.ok).toBe(true);
    expect(res.body.checks.cell.ok).toBe(true);
    expect(JSON.stringify(res.body)).not.toContain("bucket unavailable");
    const lines = logged.mock.calls.map((a) => JSON.parse(String(a[0])) as Record<string, unknown>);
    expect(lines).toContainEqual(
      expect.objectContaining({ msg: "readyz.failed", check: "r2", error: expect.stringContaining("bucket unavailable") }),
    );
  });

  it("answers 503 with `timeout` when a dependency hangs, within the probe's time limit", async () => {
    const hanging = { head: () => new Promise(() => {}) } as unknown as R2Bucket;
    vi.spyOn(console, "error").mockImplementation(() => {});
    const started = Date.now();
    const res = await callWith({ ...env, PHOTOS: hanging } as Env, "GET", "/readyz");
    expect(res.status).toBe(503);
    expect(res.body.checks.r2).toMatchObject({ ok: false, error: "timeout" });
    expect(res.body.checks.r2.ms).toBeGreaterThanOrEqual(PROBE_TIMEOUT_MS - 50);
    expect(Date.now() - started).toBeLessThan(PROBE_TIMEOUT_MS + 3_000);
  });

  it("a D1 that fails is named too", async () => {
    vi.spyOn(env.DB, "prepare").mockImplementation(() => {
      throw new Error("D1_ERROR: database unavailable");
    });
    vi.spyOn(console, "error").mockImplementation(() => {});
    const res = await call("GET", "/readyz");
    expect(res.status).toBe(503);
    expect(res.body.checks.d1).toMatchObject({ ok: false, error: "failed" });
    expect(res.body.checks.r2.ok).toBe(true);
  });
});
