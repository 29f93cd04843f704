/**
 * Data exports (README "Personal data"): a person asks, the export is built after the answer (the
 * request's waitUntil; the cron picks up any whose builder died), part by part from the
 * contributors of export.registry.ts, each part written to R2 and recorded as done (progress), then
 * assembled into one JSON file under `exports/` in the BACKUPS bucket. A signed link valid
 * EXPORT_LINK_TTL_MINUTES downloads it once: the download marks the request downloaded (a guarded
 * write, so of two racing downloads one wins) and deletes the file. The cron deletes files whose
 * link ran out.
 */
import { config } from "../config";
import { getDb } from "../db/client";
import { appendAudit } from "../db/repositories/audit.repo";
import { AppError, notFound } from "../errors";
import { newId } from "../lib/ids";
import { logger } from "../lib/log";
import { sign, verify } from "../lib/signed";
import { EXPORT_CONTRIBUTORS } from "./export.registry";
import {
  claimExport,
  expiredExports,
  exportsToBuild,
  findRequest,
  insertRequest,
  moveRequest,
  requestOfAccount,
  technicianOfAccount,
  type DataRequestRow,
} from "./privacy.repo";

/** A builder owns an export this long; past it another (the cron) may take it over. */
const LEASE_MS = 5 * 60_000;
const PURPOSE = "data-export";
const PREFIX = "dx_";

const partKey = (id: string, name: string) => `exports/${id}/parts/${name}.json`;
const fileKey = (id: string) => `exports/${id}.json`;

/** A request as its owner and staff see it (the link only for its owner, while it works). */
export async function requestView(env: Env, r: DataRequestRow, withLink = false) {
  const iso = (ms: number | null) => (ms === null ? null : new Date(ms).toISOString());
  const link = withLink && r.kind === "export" && r.status === "ready" && r.expiresAt !== null ? await downloadPath(env, r) : null;
  return {
    id: r.id,
    accountId: r.accountId,
    kind: r.kind,
    status: r.status,
    progress: { done: r.progress.done.length, total: r.progress.total },
    bytes: r.bytes,
    dueAt: iso(r.dueAt),
    expiresAt: iso(r.expiresAt),
    downloadedAt: iso(r.downloadedAt),
    cancelledBy: r.cancelledBy,
    cancelReason: r.cancelReason,
    lastError: r.lastError,
    client: r.client,
    completedAt: iso(r.completedAt),
    createdAt: iso(r.createdAt)!,
    downloadUrl: link,
  };
}

async function downloadPath(env: Env, r: DataRequestRow): Promise<string> {
  const token = await sign(config(env).JWT_SECRET, PURPOSE, PREFIX, { id: r.id, exp: r.expiresAt });
  return `/v1/data-exports/download?token=${encodeURIComponent(token)}`;
}

/**
 * Starts an export of the caller's data: 202 with the request (queued). One export is built per
 * account at a time (409 EXPORT_IN_PROGRESS with its id). `defer` runs the build after the answer.
 */
export async function requestExport(env: Env, accountId: string, client: string, defer: (p: Promise<unknown>) => void, now = Date.now()) {
  const db = getDb(env);
  const row = await insertRequest(db, {
    id: newId("dex", now),
    accountId,
    kind: "export",
    status: "queued",
    progress: { done: [], total: EXPORT_CONTRIBUTORS.length },
    r2Key: null,
    bytes: null,
    expiresAt: null,
    downloadedAt: null,
    dueAt: null,
    cancelledBy: null,
    cancelReason: null,
    lastError: null,
    leaseUntil: null,
    client,
    completedAt: null,
    createdAt: now,
    updatedAt: now,
  });
  if (!row) {
    const running = await requestOfAccount(db, accountId, "export", ["queued", "running"]);
    throw AppError.of("EXPORT_IN_PROGRESS", {}, { extra: { requestId: running?.id ?? null } });
  }
  await appendAudit(
    db,
    { actorId: accountId, action: "privacy.export_requested", targetType: "data_request", targetId: row.id, data: { client } },
    now,
  );
  defer(buildExport(env, row.id).catch((err: unknown) => logger.error("privacy.export_failed", { requestId: row.id, error: String(err) })));
  return requestView(env, row, true);
}

/**
 * Builds an export it can take the lease of: each contributor not done yet writes its part to R2
 * and is recorded as done; then the parts become one file, ready to download. Returns the status.
 */
export async function buildExport(env: Env, id: string, now = Date.now()): Promise<string> {
  const db = getDb(env);
  let row = await claimExport(db, id, now, LEASE_MS);
  if (!row) return (await findRequest(db, id))?.status ?? "missing";
  const subject = { accountId: row.accountId, technicianId: await technicianOfAccount(db, row.accountId) };
  const bucket = env.BACKUPS;
  try {
    for (const c of EXPORT_CONTRIBUTORS) {
      if (row.progress.done.includes(c.name)) continue;
      const part = await c.collect(env, subject);
      await bucket.put(partKey(id, c.name), JSON.stringify(part ?? null));
      const progress: DataRequestRow["progress"] = { done: [...row.progress.done, c.name], total: EXPORT_CONTRIBUTORS.length };
      const moved = await moveRequest(db, id, ["running"], { progress, leaseUntil: Date.now() + LEASE_MS, updatedAt: Date.now() });
      if (!moved) return (await findRequest(db, id))?.status ?? "missing";
      row = moved;
    }
    const parts: string[] = [];
    for (const c of EXPORT_CONTRIBUTORS) {
      const obj = await bucket.get(partKey(id, c.name));
      parts.push(`${JSON.stringify(c.name)}:${obj ? await obj.text() : "null"}`);
    }
    const meta = {
      requestId: id,
      accountId: row.accountId,
      generatedAt: new Date().toISOString(),
      policyVersion: config(env).PRIVACY_POLICY_VERSION,
    };
    const body = `{"export":${JSON.stringify(meta)},${parts.join(",")}}`;
    const bytes = new TextEncoder().encode(body).byteLength;
    await bucket.put(fileKey(id), body, { httpMetadata: { contentType: "application/json" } });
    await bucket.delete(EXPORT_CONTRIBUTORS.map((c) => partKey(id, c.name)));
    const done = Date.now();
    const ready = await moveRequest(db, id, ["running"], {
      status: "ready",
      r2Key: fileKey(id),
      bytes,
      expiresAt: done + config(env).EXPORT_LINK_TTL_MINUTES * 60_000,
      leaseUntil: null,
      completedAt: done,
      updatedAt: done,
    });
    logger.info("privacy.export_ready", { requestId: id, bytes, parts: EXPORT_CONTRIBUTORS.length });
    return ready?.status ?? "running";
  } catch (err) {
    // The lease runs out and the cron resumes at the next part; the error code is kept for staff.
    await moveRequest(db, id, ["running"], { lastError: String(err).slice(0, 200), updatedAt: Date.now() });
    throw err;
  }
}

/** The caller's own request (404 for anyone else's). */
export async function myRequest(env: Env, accountId: string, id: string) {
  const row = await findRequest(getDb(env), id);
  if (!row || row.accountId !== accountId) throw notFound({ en: "Data request", zh: "数据申请" });
  return requestView(env, row, true);
}

/**
 * The export file for a signed link, once: an altered link is 403 EXPORT_LINK_INVALID, an expired
 * one 409 EXPORT_LINK_EXPIRED, a second download 409 EXPORT_ALREADY_DOWNLOADED. The file is deleted
 * as it is handed over.
 */
export async function downloadExport(env: Env, token: string, now = Date.now()): Promise<{ body: string; filename: string }> {
  const claim = await verify<{ id: string; exp: number }>(config(env).JWT_SECRET, PURPOSE, PREFIX, token);
  if (!claim || typeof claim.id !== "string" || typeof claim.exp !== "number") throw AppError.of("EXPORT_LINK_INVALID");
  const db = getDb(env);
  const row = await findRequest(db, claim.id);
  if (!row || row.expiresAt !== claim.exp) throw AppError.of("EXPORT_LINK_INVALID");
  if (row.status === "downloaded") throw AppError.of("EXPORT_ALREADY_DOWNLOADED");
  if (row.status === "expired" || now > claim.exp) throw AppError.of("EXPORT_LINK_EXPIRED");
  if (row.status !== "ready" || !row.r2Key) throw AppError.of("EXPORT_NOT_READY", { status: row.status });
  const obj = await env.BACKUPS.get(row.r2Key);
  if (!obj) throw AppError.of("EXPORT_ALREADY_DOWNLOADED");
  const body = await obj.text();
  const won = await moveRequest(db, row.id, ["ready"], { status: "downloaded", downloadedAt: now, updatedAt: now });
  if (!won) throw AppError.of("EXPORT_ALREADY_DOWNLOADED");
  await env.BACKUPS.delete(row.r2Key);
  await appendAudit(
    db,
    {
      actorId: row.accountId,
      action: "privacy.export_downloaded",
      targetType: "data_request",
      targetId: row.id,
      data: { bytes: row.bytes },
    },
    now,
  );
  return { body, filename: `doorstep-export-${row.id}.json` };
}

/** The cron's share: exports whose builder died are built, expired files deleted. */
export async function runExportBackstop(env: Env, now: number) {
  const db = getDb(env);
  let built = 0;
  for (const id of await exportsToBuild(db, now, 5)) {
    await buildExport(env, id, now);
    built++;
  }
  let expired = 0;
  for (const r of await expiredExports(db, now, 50)) {
    if (r.r2Key) await env.BACKUPS.delete(r.r2Key);
    if (await moveRequest(db, r.id, ["ready"], { status: "expired", updatedAt: now })) expired++;
  }
  return { built, expired };
}
