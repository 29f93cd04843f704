/** Personal-data helpers (src/privacy): exports asked for and waited on, deletions asked for, the daily cron. */
import { createScheduledController, env } from "cloudflare:test";
import worker from "../../src/index";
import { expect } from "vitest";
import { BACKUP_CRON } from "../../src/backups";
import { call, signIn } from "./http";
import { waitFor } from "./booking";

/** The current policy version as configured for tests. */
export const POLICY = env.PRIVACY_POLICY_VERSION;

/** Asks for an export with `token` and waits until it is ready; the request as its owner sees it. */
export async function readyExport(token: string): Promise<{ id: string; downloadUrl: string; [k: string]: unknown }> {
  const asked = await call("POST", "/v1/me/data-exports", { token, headers: { "X-Client": "test/1.0" } });
  expect(asked.status, JSON.stringify(asked.body)).toBe(202);
  const done = await waitFor(
    () => call("GET", `/v1/me/data-requests/${asked.body.id}`, { token }),
    (r) => r.body.status === "ready",
  );
  expect(done.body.status).toBe("ready");
  return done.body;
}

/** Downloads through a signed link, as a browser would (no Authorization header). */
export function download(url: string) {
  return call("GET", url);
}

/** A fresh account's ready export link (each download consumes one). */
export async function freshExportLink(): Promise<string> {
  return (await readyExport((await signIn()).token)).downloadUrl;
}

/** A fresh account's waiting deletion request id. */
export async function freshDeletionId(): Promise<string> {
  const s = await signIn();
  const res = await call("POST", "/v1/me/deletion", { token: s.token });
  expect(res.status).toBe(202);
  return res.body.id;
}

/** Runs the Worker's daily cron (backup, then deletions and retention) as the trigger would at `at`. */
export async function runDailyCron(at: number): Promise<void> {
  await worker.scheduled(createScheduledController({ scheduledTime: at, cron: BACKUP_CRON }), env);
}
