/**
 * Live technician presence inside one CellDO: a compact persisted row per technician (online flag,
 * last position) plus a sampled position trail kept only while on duty and trimmed by retention.
 */
import type { PositionUpdate, PresenceView } from "./cell.types";

export interface PresenceConfig {
  /** Without a heartbeat for this long a technician counts as offline. */
  timeoutMs: number;
  /** Positions older than this are deleted. */
  retentionMs: number;
  /** At most one trail point per technician per this interval. */
  sampleMs: number;
}

interface PresenceRow {
  technician_id: string;
  online: number;
  lat: number | null;
  lng: number | null;
  accuracy: number | null;
  heading: number | null;
  battery: number | null;
  last_seen: number | null;
  [k: string]: SqlStorageValue;
}

export class PresenceStore {
  private readonly lastSample = new Map<string, number>();

  constructor(
    private readonly sql: SqlStorage,
    private readonly config: PresenceConfig,
  ) {}

  view(technicianId: string, now: number): PresenceView {
    const row = this.sql.exec<PresenceRow>("SELECT * FROM presence WHERE technician_id = ?", technicianId).toArray()[0];
    return this.toView(technicianId, row, now);
  }

  all(now: number): PresenceView[] {
    return this.sql
      .exec<PresenceRow>("SELECT * FROM presence")
      .toArray()
      .map((r) => this.toView(r.technician_id, r, now));
  }

  private toView(technicianId: string, row: PresenceRow | undefined, now: number): PresenceView {
    const fresh = row?.last_seen != null && row.last_seen > now - this.config.timeoutMs;
    return {
      technicianId,
      online: row?.online === 1 && fresh,
      lat: row?.lat ?? null,
      lng: row?.lng ?? null,
      accuracy: row?.accuracy ?? null,
      heading: row?.heading ?? null,
      battery: row?.battery ?? null,
      lastSeenAt: row?.last_seen ?? null,
    };
  }

  /** Goes on or off duty. Going on duty counts as a heartbeat. */
  setOnline(technicianId: string, online: boolean, now: number): void {
    this.sql.exec(
      `INSERT INTO presence (technician_id, online, last_seen) VALUES (?1, ?2, ?3)
       ON CONFLICT (technician_id) DO UPDATE SET online = ?2, last_seen = CASE WHEN ?2 = 1 THEN ?3 ELSE last_seen END`,
      technicianId,
      online ? 1 : 0,
      now,
    );
    this.armTimeout(technicianId, online ? now + this.config.timeoutMs : null);
  }

  /** Records a heartbeat with a position; refused while off duty (positions are kept only on duty). */
  heartbeat(technicianId: string, pos: PositionUpdate, now: number): { ok: true } | { ok: false; code: "OFF_DUTY" } {
    const row = this.sql.exec<PresenceRow>("SELECT online FROM presence WHERE technician_id = ?", technicianId).toArray()[0];
    if (!row || row.online !== 1) return { ok: false, code: "OFF_DUTY" };
    this.sql.exec(
      "UPDATE presence SET lat = ?, lng = ?, accuracy = ?, heading = ?, battery = ?, last_seen = ? WHERE technician_id = ?",
      pos.lat,
      pos.lng,
      pos.accuracy ?? null,
      pos.heading ?? null,
      pos.battery ?? null,
      now,
      technicianId,
    );
    const last = this.lastSample.get(technicianId) ?? 0;
    if (now - last >= this.config.sampleMs) {
      this.lastSample.set(technicianId, now);
      this.sql.exec(
        "INSERT OR REPLACE INTO positions (technician_id, at, lat, lng) VALUES (?, ?, ?, ?)",
        technicianId,
        now,
        pos.lat,
        pos.lng,
      );
      this.sql.exec("DELETE FROM positions WHERE technician_id = ? AND at < ?", technicianId, now - this.config.retentionMs);
    }
    this.armTimeout(technicianId, now + this.config.timeoutMs);
    return { ok: true };
  }

  trail(technicianId: string, since: number): { at: number; lat: number; lng: number }[] {
    return this.sql
      .exec<{ at: number; lat: number; lng: number }>(
        "SELECT at, lat, lng FROM positions WHERE technician_id = ? AND at >= ? ORDER BY at",
        technicianId,
        since,
      )
      .toArray();
  }

  /** Marks technicians whose heartbeat stopped as offline; returns their ids. */
  expireHeartbeats(now: number): string[] {
    const due = this.sql.exec<{ key: string }>("SELECT key FROM timers WHERE kind = 'presence' AND due_at <= ?", now).toArray();
    const offline: string[] = [];
    for (const { key } of due) {
      const technicianId = key.slice("presence:".length);
      this.sql.exec("DELETE FROM timers WHERE key = ?", key);
      const changed = this.sql.exec(
        "UPDATE presence SET online = 0 WHERE technician_id = ? AND online = 1 AND (last_seen IS NULL OR last_seen <= ?)",
        technicianId,
        now - this.config.timeoutMs,
      );
      if (changed.rowsWritten > 0) offline.push(technicianId);
    }
    this.sql.exec("DELETE FROM positions WHERE at < ?", now - this.config.retentionMs);
    return offline;
  }

  nextTimeout(): number | null {
    const row = this.sql.exec<{ t: number | null }>("SELECT MIN(due_at) AS t FROM timers WHERE kind = 'presence'").toArray()[0];
    return row?.t ?? null;
  }

  forget(technicianId: string): void {
    this.sql.exec("DELETE FROM presence WHERE technician_id = ?", technicianId);
    this.sql.exec("DELETE FROM positions WHERE technician_id = ?", technicianId);
    this.sql.exec("DELETE FROM timers WHERE key = ?", `presence:${technicianId}`);
  }

  private armTimeout(technicianId: string, dueAt: number | null): void {
    const key = `presence:${technicianId}`;
    if (dueAt === null) this.sql.exec("DELETE FROM timers WHERE key = ?", key);
    else this.sql.exec("INSERT OR REPLACE INTO timers (key, kind, due_at) VALUES (?, 'presence', ?)", key, dueAt);
  }
}
