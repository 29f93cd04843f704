/**
 * Daily D1 backups to R2 (README "Backups"). A Worker cannot run `wrangler d1 export`, so the job does
 * the same in bounded steps: the 02:30 UTC cron starts the day's backup, and every cron run (the
 * every-minute one too) works on an unfinished one for a bounded number of pages, so a backup of any
 * size fits the CPU and memory limits and an interrupted run carries on where it stopped.
 *
 * Under `backups/<date>/` (UTC date of the start): `0000-schema.<run>.sql` (the CREATE TABLE statements,
 * parents before the tables that point at them), then the rows of each table in rowid order as
 * INSERT statements (`0001-<table>.<run>.sql`, …; a large table spans several parts), then
 * `NNNN-indexes.<run>.sql` (indexes, triggers and views, after the rows so no trigger fires on a
 * restore), and `manifest.json`: the tables with their row counts and every part with its size and
 * SHA-256 (R2 checks the SHA-256 on upload and keeps it). The manifest also holds the progress
 * (the cursor) and a lease, taken and renewed with conditional writes, so two runs never write one
 * backup at once; `<run>` is the writer's token, so a part written by a run that lost its lease never
 * replaces one the manifest names (such leftovers are deleted when the backup completes).
 *
 * Logs say which table and how many rows, never a value.
 */
import { logger } from "../lib/log";
import { getDb } from "../db/client";
import { appendAudit } from "../db/repositories/audit.repo";
import { config } from "../config";
import type { Auth } from "../env";
import { AppError, notFound } from "../errors";
import { toHex } from "../lib/encoding";
import { columnsOf, parentTables, quoteIdent, rowsPage, schemaObjects, type SchemaObject } from "./backups.repo";

export const BACKUP_PREFIX = "backups/";
/** The daily cron of wrangler.toml that starts a backup; every other cron run only continues one. */
export const BACKUP_CRON = "30 2 * * *";

/** Rows read by one query (one bounded statement). */
const PAGE_ROWS = 500;
/** Rows in one part file at most (a bigger table spans several parts). */
const PART_ROWS = 20_000;
/** Pages one cron run reads at most before it saves its progress and stops. */
const PAGES_PER_RUN = 200;
/** How long a run may hold the backup without renewing its lease. */
const LEASE_MS = 5 * 60_000;
const DAY_MS = 86_400_000;
const DATE_RE = /^\d{4}-\d{2}-\d{2}$/;

export interface BackupPart {
  key: string;
  kind: "schema" | "rows" | "indexes";
  table: string | null;
  rows: number;
  bytes: number;
  sha256: string;
}

export interface BackupManifest {
  format: 1;
  date: string;
  status: "running" | "complete";
  startedAt: string;
  finishedAt: string | null;
  /** The tables in restore order, with the rows written so far (all of them once complete). */
  tables: { name: string; rows: number }[];
  parts: BackupPart[];
  /** Where the next page starts: a table of `tables` and the last rowid written. */
  cursor: { table: number; afterRowid: number };
  lease: { token: string; until: number } | null;
}

export interface BackupOptions {
  /** Start today's backup if there is none (the daily cron); otherwise only continue an unfinished one. */
  start?: boolean;
  /** Pages this run may read (default PAGES_PER_RUN). */
  maxPages?: number;
  pageRows?: number;
  partRows?: number;
}

export interface BackupRunResult {
  date: string | null;
  status: "complete" | "running" | "busy" | "none";
  pages: number;
  deleted: string[];
}

const utcDate = (ms: number) => new Date(ms).toISOString().slice(0, 10);
const manifestKey = (date: string) => `${BACKUP_PREFIX}${date}/manifest.json`;
const log = (msg: string, fields: Record<string, unknown>) => logger.info(msg, fields);

async function digestHex(bytes: Uint8Array): Promise<string> {
  return toHex(new Uint8Array(await crypto.subtle.digest("SHA-256", bytes)));
}

async function readManifest(bucket: R2Bucket, date: string): Promise<{ manifest: BackupManifest; etag: string } | null> {
  const obj = await bucket.get(manifestKey(date));
  if (!obj) return null;
  return { manifest: await obj.json<BackupManifest>(), etag: obj.etag };
}

/** Writes the manifest only if nobody wrote it since `etag`; the new etag, or null when another run did. */
async function saveManifest(bucket: R2Bucket, m: BackupManifest, etag: string | null): Promise<string | null> {
  const put = await bucket.put(manifestKey(m.date), JSON.stringify(m, null, 1), {
    httpMetadata: { contentType: "application/json" },
    ...(etag === null ? {} : { onlyIf: { etagMatches: etag } }),
  });
  return put?.etag ?? null;
}

/** Tables ordered so that every table comes after the tables its foreign keys point at (cycles keep schema order). */
async function restoreOrder(db: ReturnType<typeof getDb>, tables: SchemaObject[]): Promise<SchemaObject[]> {
  const parents = new Map(await Promise.all(tables.map(async (t) => [t.name, await parentTables(db, t.name)] as const)));
  const done = new Set<string>();
  const ordered: SchemaObject[] = [];
  const visit = (t: SchemaObject, path: Set<string>) => {
    if (done.has(t.name) || path.has(t.name)) return;
    path.add(t.name);
    for (const p of parents.get(t.name) ?? []) {
      const parent = tables.find((x) => x.name === p);
      if (parent && p !== t.name) visit(parent, path);
    }
    done.add(t.name);
    ordered.push(t);
  };
  for (const t of tables) visit(t, new Set());
  return ordered;
}

const header = (date: string, what: string) => `-- Doorstep D1 backup ${date}: ${what}\n`;

/** Puts one part; R2 refuses it if the bytes do not match their SHA-256. */
async function putPart(
  bucket: R2Bucket,
  key: string,
  text: string,
  part: Omit<BackupPart, "key" | "bytes" | "sha256">,
): Promise<BackupPart> {
  const bytes = new TextEncoder().encode(text);
  const sha256 = await digestHex(bytes);
  await bucket.put(key, bytes, { sha256, httpMetadata: { contentType: "application/sql; charset=utf-8" } });
  return { key, bytes: bytes.byteLength, sha256, ...part };
}

const partKey = (date: string, n: number, name: string, token: string) =>
  `${BACKUP_PREFIX}${date}/${String(n).padStart(4, "0")}-${name.replace(/[^A-Za-z0-9_-]/g, "_")}.${token}.sql`;

/**
 * The backup to work on: today's if it is unfinished, else yesterday's if that is unfinished; with
 * `start`, today's is created when missing. A complete one of today is returned as it is (nothing to do).
 */
async function backupToWork(env: Env, now: number, start: boolean, token: string) {
  const today = utcDate(now);
  const found = await readManifest(env.BACKUPS, today);
  if (found?.manifest.status === "running") return found;
  if (found || !start) {
    const yesterday = await readManifest(env.BACKUPS, utcDate(now - DAY_MS));
    return yesterday?.manifest.status === "running" ? yesterday : found;
  }
  // A new backup: the schema part first, then a manifest that owns it.
  const db = getDb(env);
  const objects = await schemaObjects(db);
  const tables = await restoreOrder(
    db,
    objects.filter((o) => o.type === "table"),
  );
  const schema = await putPart(
    env.BACKUPS,
    partKey(today, 0, "schema", token),
    header(today, "schema") + tables.map((t) => `${t.sql};\n`).join(""),
    { kind: "schema", table: null, rows: 0 },
  );
  const manifest: BackupManifest = {
    format: 1,
    date: today,
    status: "running",
    startedAt: new Date(now).toISOString(),
    finishedAt: null,
    tables: tables.map((t) => ({ name: t.name, rows: 0 })),
    parts: [schema],
    cursor: { table: 0, afterRowid: 0 },
    lease: null,
  };
  const etag = await saveManifest(env.BACKUPS, manifest, null);
  log("backup.started", { date: today, tables: tables.length });
  return etag ? { manifest, etag } : null;
}

/**
 * One cron run's share of the backup: starts today's (with `start`), or continues an unfinished one,
 * for at most `maxPages` pages; completes it when the last table is written, then deletes backups
 * older than BACKUP_RETENTION_DAYS. A finished backup is left as it is (a second run the same day does nothing).
 */
export async function runBackup(env: Env, now = Date.now(), opts: BackupOptions = {}): Promise<BackupRunResult> {
  const token = toHex(crypto.getRandomValues(new Uint8Array(4)));
  // The run's clock: `now` (the cron's scheduled time) moved on by the time this run has taken.
  const started = Date.now();
  const clock = () => now + (Date.now() - started);
  const work = await backupToWork(env, now, opts.start === true, token);
  if (!work) return { date: null, status: "none", pages: 0, deleted: [] };
  let { manifest: m, etag } = work;
  if (m.status === "complete") {
    const deleted = opts.start ? await pruneBackups(env, now) : [];
    return { date: m.date, status: "complete", pages: 0, deleted };
  }
  if (m.lease && m.lease.token !== token && m.lease.until > now) return { date: m.date, status: "busy", pages: 0, deleted: [] };

  // Take the lease: only the run whose conditional write wins goes on.
  m = { ...m, lease: { token, until: now + LEASE_MS } };
  const taken = await saveManifest(env.BACKUPS, m, etag);
  if (!taken) return { date: m.date, status: "busy", pages: 0, deleted: [] };
  etag = taken;

  const db = getDb(env);
  const maxPages = opts.maxPages ?? PAGES_PER_RUN;
  const pageRows = opts.pageRows ?? PAGE_ROWS;
  const partRows = opts.partRows ?? PART_ROWS;
  let pages = 0;
  let lines: string[] = [];
  let columns = null as { table: string; names: string[] } | null;

  /** Writes the rows gathered so far as one part and saves the progress; false when the lease was lost. */
  const flush = async (release = false): Promise<boolean> => {
    const table = m.tables[m.cursor.table];
    if (lines.length > 0 && table) {
      const part = await putPart(
        env.BACKUPS,
        partKey(m.date, m.parts.length, table.name, token),
        header(m.date, `rows of ${table.name}`) + "PRAGMA defer_foreign_keys = on;\n" + lines.join(""),
        { kind: "rows", table: table.name, rows: lines.length },
      );
      m = {
        ...m,
        parts: [...m.parts, part],
        tables: m.tables.map((t, i) => (i === m.cursor.table ? { ...t, rows: t.rows + lines.length } : t)),
      };
      log("backup.progress", { date: m.date, table: table.name, rows: lines.length, part: m.parts.length - 1 });
      lines = [];
    }
    m = { ...m, lease: release ? null : { token, until: clock() + LEASE_MS } };
    const saved = await saveManifest(env.BACKUPS, m, etag);
    if (!saved) log("backup.lease_lost", { date: m.date });
    etag = saved ?? etag;
    return saved !== null;
  };

  while (m.cursor.table < m.tables.length) {
    if (pages >= maxPages) {
      // This run's share is done: save the progress and let the next run take over at once.
      if (!(await flush(true))) return { date: m.date, status: "busy", pages, deleted: [] };
      return { date: m.date, status: "running", pages, deleted: [] };
    }
    const table = m.tables[m.cursor.table]!;
    if (columns?.table !== table.name) columns = { table: table.name, names: await columnsOf(db, table.name) };
    const rows = await rowsPage(db, table.name, columns.names, m.cursor.afterRowid, pageRows);
    pages++;
    const into = `INSERT INTO ${quoteIdent(table.name)} (${columns.names.map(quoteIdent).join(", ")}) VALUES `;
    for (const r of rows) lines.push(`${into}(${r.tuple});\n`);
    const last = rows[rows.length - 1];
    if (last) m = { ...m, cursor: { ...m.cursor, afterRowid: last.rowid } };
    if (rows.length < pageRows) {
      // The table is done: its last part, then the next table.
      if (!(await flush())) return { date: m.date, status: "busy", pages, deleted: [] };
      m = { ...m, cursor: { table: m.cursor.table + 1, afterRowid: 0 } };
    } else if (lines.length >= partRows && !(await flush())) return { date: m.date, status: "busy", pages, deleted: [] };
  }

  // Every table written: indexes, triggers and views last, then the manifest says complete.
  const rest = (await schemaObjects(db)).filter((o) => o.type !== "table");
  const indexes = await putPart(
    env.BACKUPS,
    partKey(m.date, m.parts.length, "indexes", token),
    header(m.date, "indexes, triggers and views") + rest.map((o) => `${o.sql};\n`).join(""),
    { kind: "indexes", table: null, rows: 0 },
  );
  m = { ...m, parts: [...m.parts, indexes], status: "complete", finishedAt: new Date(clock()).toISOString(), lease: null };
  if (!(await saveManifest(env.BACKUPS, m, etag))) {
    log("backup.lease_lost", { date: m.date });
    return { date: m.date, status: "busy", pages, deleted: [] };
  }
  await deleteLeftovers(env.BACKUPS, m);
  log("backup.complete", {
    date: m.date,
    tables: m.tables.length,
    rows: m.tables.reduce((n, t) => n + t.rows, 0),
    bytes: m.parts.reduce((n, p) => n + p.bytes, 0),
    parts: m.parts.length,
  });
  return { date: m.date, status: "complete", pages, deleted: await pruneBackups(env, now) };
}

/** Every key under a prefix (R2 lists 1000 at a time). */
async function keysUnder(bucket: R2Bucket, prefix: string): Promise<string[]> {
  const keys: string[] = [];
  let cursor: string | undefined;
  do {
    const page = await bucket.list({ prefix, cursor });
    keys.push(...page.objects.map((o) => o.key));
    cursor = page.truncated ? page.cursor : undefined;
  } while (cursor);
  return keys;
}

async function deleteKeys(bucket: R2Bucket, keys: string[]): Promise<void> {
  for (let i = 0; i < keys.length; i += 1000) await bucket.delete(keys.slice(i, i + 1000));
}

/** Parts under the backup's folder that its manifest does not name (written by a run that lost its lease). */
async function deleteLeftovers(bucket: R2Bucket, m: BackupManifest): Promise<void> {
  const named = new Set([manifestKey(m.date), ...m.parts.map((p) => p.key)]);
  const stray = (await keysUnder(bucket, `${BACKUP_PREFIX}${m.date}/`)).filter((k) => !named.has(k));
  if (stray.length) await deleteKeys(bucket, stray);
}

/** The dates that have a backup folder, oldest first. */
async function backupDates(bucket: R2Bucket): Promise<string[]> {
  const dates: string[] = [];
  let cursor: string | undefined;
  do {
    const page = await bucket.list({ prefix: BACKUP_PREFIX, delimiter: "/", cursor });
    for (const p of page.delimitedPrefixes) {
      const date = p.slice(BACKUP_PREFIX.length, -1);
      if (DATE_RE.test(date)) dates.push(date);
    }
    cursor = page.truncated ? page.cursor : undefined;
  } while (cursor);
  return dates.sort();
}

/**
 * Deletes every backup whose date is more than BACKUP_RETENTION_DAYS before today (UTC), except the
 * newest complete backup, which is kept whatever its age. The dates deleted.
 */
export async function pruneBackups(env: Env, now = Date.now()): Promise<string[]> {
  const cutoff = utcDate(now - config(env).BACKUP_RETENTION_DAYS * DAY_MS);
  const dates = await backupDates(env.BACKUPS);
  let newestComplete: string | null = null;
  for (const date of [...dates].reverse()) {
    if ((await readManifest(env.BACKUPS, date))?.manifest.status === "complete") {
      newestComplete = date;
      break;
    }
  }
  const old = dates.filter((d) => d < cutoff && d !== newestComplete);
  for (const date of old) await deleteKeys(env.BACKUPS, await keysUnder(env.BACKUPS, `${BACKUP_PREFIX}${date}/`));
  if (old.length) log("backup.pruned", { dates: old, retentionDays: config(env).BACKUP_RETENTION_DAYS });
  return old;
}

/** The backups in the bucket, newest first, with their size (what the parts add up to). */
export async function listBackups(env: Env) {
  const dates = (await backupDates(env.BACKUPS)).reverse();
  const manifests = await Promise.all(dates.map((d) => readManifest(env.BACKUPS, d)));
  return {
    retentionDays: config(env).BACKUP_RETENTION_DAYS,
    items: manifests.flatMap((found) => {
      if (!found) return [];
      const m = found.manifest;
      return [
        {
          date: m.date,
          status: m.status,
          startedAt: m.startedAt,
          finishedAt: m.finishedAt,
          tables: m.tables.length,
          rows: m.tables.reduce((n, t) => n + t.rows, 0),
          bytes: m.parts.reduce((n, p) => n + p.bytes, 0),
          parts: m.parts.map((p) => ({
            name: p.key.slice(p.key.lastIndexOf("/") + 1),
            kind: p.kind,
            table: p.table,
            rows: p.rows,
            bytes: p.bytes,
            sha256: p.sha256,
          })),
        },
      ];
    }),
  };
}

/**
 * A complete backup as one SQL file (its parts in order, streamed from R2), for an operator; the
 * download is audited. 404 for an unknown date, 409 BACKUP_INCOMPLETE while it is still being written.
 */
export async function backupDownload(
  env: Env,
  actor: Auth,
  date: string,
): Promise<{ body: ReadableStream; bytes: number; filename: string }> {
  const found = DATE_RE.test(date) ? await readManifest(env.BACKUPS, date) : null;
  if (!found) throw notFound({ en: "Backup", zh: "备份" });
  const m = found.manifest;
  if (m.status !== "complete") throw AppError.of("BACKUP_INCOMPLETE", { date });
  const objects = await Promise.all(m.parts.map((p) => env.BACKUPS.get(p.key)));
  if (objects.some((o) => o === null)) throw AppError.of("BACKUP_INCOMPLETE", { date });
  const bytes = m.parts.reduce((n, p) => n + p.bytes, 0);
  await appendAudit(getDb(env), {
    actorId: actor.accountId,
    action: "backup.download",
    targetType: "backup",
    targetId: date,
    data: { bytes, parts: m.parts.length },
  });
  const { readable, writable } = new FixedLengthStream(bytes);
  void (async () => {
    for (const o of objects) await o!.body.pipeTo(writable, { preventClose: true });
    await writable.close();
  })().catch((err: unknown) => writable.abort(err));
  return { body: readable, bytes, filename: `doorstep-d1-${date}.sql` };
}
