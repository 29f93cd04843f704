/** A small complete backup written straight to R2 (the matrix and the fuzz need one to download). */
import { env } from "cloudflare:test";

const DATE = "2000-01-02";

/** Writes (once per file) a complete backup of one part under backups/2000-01-02/ and returns its date. */
export async function completeBackupFixture(): Promise<string> {
  if (await env.BACKUPS.head(`backups/${DATE}/manifest.json`)) return DATE;
  const text = "-- Doorstep D1 backup 2000-01-02: schema\nCREATE TABLE t (x);\n";
  const bytes = new TextEncoder().encode(text);
  const sha256 = [...new Uint8Array(await crypto.subtle.digest("SHA-256", bytes))].map((b) => b.toString(16).padStart(2, "0")).join("");
  const key = `backups/${DATE}/0000-schema.fixture.sql`;
  await env.BACKUPS.put(key, bytes);
  const manifest = {
    format: 1,
    date: DATE,
    status: "complete",
    startedAt: `${DATE}T02:30:00.000Z`,
    finishedAt: `${DATE}T02:30:01.000Z`,
    tables: [{ name: "t", rows: 0 }],
    parts: [{ key, kind: "schema", table: null, rows: 0, bytes: bytes.byteLength, sha256 }],
    cursor: { table: 1, afterRowid: 0 },
    lease: null,
  };
  await env.BACKUPS.put(`backups/${DATE}/manifest.json`, JSON.stringify(manifest));
  return DATE;
}
