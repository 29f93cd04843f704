/**
 * The CellDO's own SQLite schema. Each entry is one migration, applied in order inside
 * blockConcurrencyWhile in the constructor; the applied version lives in `meta`.
 */
export const CELL_MIGRATIONS: string[] = [
  `CREATE TABLE technicians (
     id TEXT PRIMARY KEY,
     profile TEXT NOT NULL,
     weekly TEXT,
     state TEXT NOT NULL,          -- active | frozen (moving out) | incoming (moving in) | moved
     moved_to TEXT,
     transfer_id TEXT,
     updated_at INTEGER NOT NULL
   );
   CREATE TABLE shift_exceptions (
     technician_id TEXT NOT NULL,
     date TEXT NOT NULL,
     intervals TEXT NOT NULL,
     PRIMARY KEY (technician_id, date)
   );
   CREATE TABLE intervals (
     order_id TEXT PRIMARY KEY,
     technician_id TEXT NOT NULL,
     start_ms INTEGER NOT NULL,
     end_ms INTEGER NOT NULL,
     lat REAL NOT NULL,
     lng REAL NOT NULL,
     state TEXT NOT NULL,          -- held | booked
     expires_at INTEGER,
     created_at INTEGER NOT NULL,
     updated_at INTEGER NOT NULL
   );
   CREATE INDEX intervals_tech_start ON intervals (technician_id, start_ms);
   CREATE INDEX intervals_expiry ON intervals (expires_at) WHERE expires_at IS NOT NULL;
   CREATE TABLE timers (
     key TEXT PRIMARY KEY,
     kind TEXT NOT NULL,           -- presence (heartbeat timeout) | dispatch (payload: DeadlineTimer) | batch
     due_at INTEGER NOT NULL
   );
   CREATE INDEX timers_due ON timers (due_at);
   CREATE TABLE events (
     seq INTEGER PRIMARY KEY AUTOINCREMENT,
     kind TEXT NOT NULL,
     order_id TEXT,
     technician_id TEXT,
     data TEXT NOT NULL,
     created_at INTEGER NOT NULL,
     delivered_at INTEGER
   );
   CREATE INDEX events_order ON events (order_id);
   CREATE TABLE presence (
     technician_id TEXT PRIMARY KEY,
     online INTEGER NOT NULL,
     lat REAL,
     lng REAL,
     accuracy REAL,
     heading REAL,
     battery REAL,
     last_seen INTEGER
   );
   CREATE TABLE positions (
     technician_id TEXT NOT NULL,
     at INTEGER NOT NULL,
     lat REAL NOT NULL,
     lng REAL NOT NULL,
     PRIMARY KEY (technician_id, at)
   );
   CREATE TABLE transfers (
     transfer_id TEXT PRIMARY KEY,
     technician_id TEXT NOT NULL,
     snapshot TEXT NOT NULL,
     created_at INTEGER NOT NULL
   );`,
  // Batch dispatch: jobs whose interval this cell holds, waiting for the next tick (timer key
  // 'batch'); `decision` is set by the tick and the row removed once the order service acted on it.
  `CREATE TABLE batch_queue (
     hold_key TEXT PRIMARY KEY,
     order_id TEXT NOT NULL,
     customer_id TEXT NOT NULL,
     skills TEXT NOT NULL,
     exclude TEXT NOT NULL,
     enqueued_at INTEGER NOT NULL,
     decision TEXT
   );`,
  // The cell's outbox: what falls due on its clock (hold expiries, dispatch deadlines, batch ticks)
  // is written here in the same transaction as the change and handed to the cell-events queue;
  // `sent_at` once the queue took it. Expired holds not yet reported move over from `events`.
  // Timers get a typed JSON payload: a dispatch deadline was `accept|<version>` in `kind`.
  `CREATE TABLE outbox (
     seq INTEGER PRIMARY KEY AUTOINCREMENT,
     body TEXT NOT NULL,
     created_at INTEGER NOT NULL,
     sent_at INTEGER
   );
   CREATE INDEX outbox_unsent ON outbox (seq) WHERE sent_at IS NULL;
   INSERT INTO outbox (body, created_at)
     SELECT json_object('type', 'hold.expired', 'holdKey', order_id), created_at FROM events
     WHERE kind = 'hold.expired' AND delivered_at IS NULL ORDER BY seq;
   UPDATE events SET delivered_at = created_at WHERE kind = 'hold.expired' AND delivered_at IS NULL;
   ALTER TABLE timers ADD COLUMN payload TEXT;
   UPDATE timers SET
     payload = json_object(
       'orderId', substr(key, length('dispatch:') + 1),
       'kind', substr(kind, 1, instr(kind, '|') - 1),
       'version', CAST(substr(kind, instr(kind, '|') + 1) AS INTEGER)
     ),
     kind = 'dispatch'
   WHERE key LIKE 'dispatch:%' AND instr(kind, '|') > 0;`,
  // Costs that do not grow with history: every hot read is a range on an index. Intervals by start
  // (availability and candidates read one window of the whole cell; an interval is at most a day
  // long, so the window is bounded on both sides), positions by time (the alarm trims expired
  // ones), sent outbox rows by when they were sent (pruned after every send).
  `CREATE INDEX intervals_start ON intervals (start_ms);
   CREATE INDEX positions_at ON positions (at);
   CREATE INDEX outbox_sent ON outbox (sent_at) WHERE sent_at IS NOT NULL;`,
  // WebSocket tickets this cell opened a socket with, kept until they expire: a ticket opens one socket.
  `CREATE TABLE used_tickets (
     id TEXT PRIMARY KEY,
     expires_at INTEGER NOT NULL
   );
   CREATE INDEX used_tickets_expiry ON used_tickets (expires_at);`,
  // Surge detection (durable/surge.store.ts): demand counted per time bucket of the rolling window.
  // IF NOT EXISTS: a cell rebuilt to an earlier version (schema tests) may keep the table.
  `CREATE TABLE IF NOT EXISTS surge_demand (
     bucket INTEGER PRIMARY KEY,
     count INTEGER NOT NULL
   );`,
  // The operators' live map (durable/ops.feed.ts): the cell's open orders and its technicians on a visit, as the Worker reported them.
  `CREATE TABLE ops_orders (
     order_id TEXT PRIMARY KEY,
     body TEXT NOT NULL
   );
   CREATE TABLE ops_busy (
     technician_id TEXT PRIMARY KEY
   );`,
  // Priority dispatch: a job of a customer whose membership level carries it is matched first.
  `ALTER TABLE batch_queue ADD COLUMN priority INTEGER NOT NULL DEFAULT 0;`,
  // Surge detection: the skills asked for by the searches that found nobody, per bucket (what the surge notice names).
  `CREATE TABLE IF NOT EXISTS surge_demand_skills (
     bucket INTEGER NOT NULL,
     skill TEXT NOT NULL,
     count INTEGER NOT NULL,
     PRIMARY KEY (bucket, skill)
   );`,
  // Flexible-window jobs in a batch: the starts they may take, JSON { start, latestStart } (null: a fixed-time job).
  `ALTER TABLE batch_queue ADD COLUMN window_starts TEXT;`,
];

/** Applies pending migrations; returns the resulting schema version. */
export function migrate(sql: SqlStorage, storage: DurableObjectStorage): number {
  sql.exec("CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL)");
  const row = sql.exec<{ value: string }>("SELECT value FROM meta WHERE key = 'schema_version'").toArray()[0];
  let version = row ? Number(row.value) : 0;
  while (version < CELL_MIGRATIONS.length) {
    const ddl = CELL_MIGRATIONS[version]!;
    storage.transactionSync(() => {
      sql.exec(ddl);
      sql.exec("INSERT OR REPLACE INTO meta (key, value) VALUES ('schema_version', ?)", String(version + 1));
    });
    version += 1;
  }
  return version;
}
