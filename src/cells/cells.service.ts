/**
 * How the Worker talks to CellDOs: addressing, turning RPC failures into AppErrors, and keeping
 * each cell's copy of its technicians' profiles in step with D1 (self-healing on demand).
 */
import { logger } from "../lib/log";
import type { CellDO } from "../../durable/cell.do";
import type { CellFailure, TechnicianProfile } from "../../durable/cell.types";
import { getDb } from "../db/client";
import { clearTransfer, pendingTransfer } from "../db/repositories/home-move.repo";
import { rosterEntry, rosterOfCell, type RosterEntry } from "../db/repositories/roster.repo";
import { AppError, notFound } from "../errors";
import { exactPoint } from "../lib/coordinates";
import { Pii } from "../lib/pii";
import { forgetCellVersions } from "./roster-versions";

export function cellStub(env: Env, cell: string): DurableObjectStub<CellDO> {
  return env.CELL.getByName(cell);
}

/** The AppError a cell's refusal means to a client. */
export function cellError(f: CellFailure): AppError {
  switch (f.code) {
    case "UNKNOWN_TECHNICIAN":
      return notFound("Technician");
    case "UNKNOWN_ORDER":
      return AppError.of("UNKNOWN_ORDER");
    case "TECHNICIAN_MOVING":
    case "TECHNICIAN_MOVED":
      return AppError.of("TECHNICIAN_MOVING", {}, { headers: { "Retry-After": "1" } });
    case "SLOT_UNAVAILABLE":
      return AppError.of("SLOT_UNAVAILABLE");
    case "OUTSIDE_SHIFT":
      return AppError.of("OUTSIDE_SHIFT");
    case "HOLD_EXPIRED":
      return AppError.of("HOLD_EXPIRED");
    case "ORDER_CONFLICT":
      return AppError.of("ORDER_CONFLICT");
    case "INVALID_INTERVAL":
      return AppError.of("INVALID_INTERVAL");
  }
}

/**
 * The profiles a cell keeps for `entries`, each with its exact home opened from its sealed column
 * (travel from home and day routes are worked out in the cell). A sealed home that does not open
 * for its row (copied from another technician) throws: the profile is not sent.
 */
export async function cellProfiles(env: Env, entries: RosterEntry[]): Promise<TechnicianProfile[]> {
  const pii = await Pii.fromEnv(env);
  return Promise.all(entries.map(async (e) => ({ ...e.profile, home: await exactPoint(pii, "technicians", e.home) })));
}

/** Pushes one technician's profile from D1 to their home cell. */
export async function pushTechnician(env: Env, technicianId: string): Promise<RosterEntry> {
  const entry = await rosterEntry(getDb(env), technicianId);
  if (!entry) throw notFound("Technician");
  const r = await cellStub(env, entry.homeCell).syncRoster(await cellProfiles(env, [entry]), 0);
  forgetCellVersions();
  if (!r.ok) throw new Error("roster sync refused");
  return entry;
}

/**
 * Reloads a cell's whole roster from D1 (when the cell reports its copy is older than `version`). A
 * technician whose sealed home does not open (a value copied from another row) is left out and
 * logged, so one bad row cannot keep the rest of the cell from being dispatched.
 */
export async function syncCellRoster(env: Env, cell: string, version: number): Promise<void> {
  const entries = await rosterOfCell(getDb(env), cell);
  const profiles = await Promise.all(
    entries.map((e) =>
      cellProfiles(env, [e]).then(
        ([p]) => p!,
        () => {
          logger.error("technician.home_unreadable", { technicianId: e.profile.id, cell });
          return null;
        },
      ),
    ),
  );
  await cellStub(env, cell).syncRoster(
    profiles.filter((p): p is TechnicianProfile => p !== null),
    version,
  );
}

/**
 * Runs `call` against the technician's owner cell. When the cell does not know the technician yet
 * (a profile push was lost, or data came from elsewhere) it is synced from D1 and the call retried
 * once; a refusal becomes the matching AppError.
 */
export async function atOwnerCell<R extends { ok: boolean }>(
  env: Env,
  technicianId: string,
  call: (stub: DurableObjectStub<CellDO>, entry: RosterEntry) => Promise<R>,
): Promise<{ entry: RosterEntry; result: Extract<R, { ok: true }> }> {
  const entry = await rosterEntry(getDb(env), technicianId);
  if (!entry) throw notFound("Technician");
  if (entry.transferPending) await completePendingTransfer(env, technicianId);
  const stub = cellStub(env, entry.homeCell);
  let r = await call(stub, entry);
  const code = r.ok ? null : (r as unknown as CellFailure).code;
  if (code === "UNKNOWN_TECHNICIAN") {
    await stub.syncRoster(await cellProfiles(env, [entry]), 0);
    r = await call(stub, entry);
  } else if (code === "TECHNICIAN_MOVING" && (await completePendingTransfer(env, technicianId))) {
    r = await call(stub, entry);
  }
  if (!r.ok) throw cellError(r as unknown as CellFailure);
  return { entry, result: r as Extract<R, { ok: true }> };
}

/**
 * Finishes a home move (technicians/home-move.service) whose D1 switch already happened: activate
 * the technician in the new cell, release them in the old.
 */
export async function completePendingTransfer(env: Env, technicianId: string): Promise<boolean> {
  const db = getDb(env);
  const pending = await pendingTransfer(db, technicianId);
  if (!pending) return false;
  const activated = await cellStub(env, pending.toCell).activateTechnician(technicianId, pending.transferId);
  if (!activated.ok) throw cellError(activated);
  const finished = await cellStub(env, pending.fromCell).finishExport(technicianId, pending.transferId, pending.toCell);
  if (!finished.ok && finished.code !== "UNKNOWN_TECHNICIAN") throw cellError(finished);
  await clearTransfer(db, technicianId, pending.transferId);
  return true;
}
