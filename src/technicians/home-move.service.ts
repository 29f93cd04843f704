/**
 * Moving a technician's home, and so their home cell, without a moment where two cells accept
 * writes for them and without losing a booking:
 *   1. the old cell freezes them and exports their calendar (holds answer TECHNICIAN_MOVING);
 *   2. the new cell imports it, inactive;
 *   3. D1 points the technician at the new cell, remembering the transfer;
 *   4. the new cell activates them; the old cell forgets them and redirects (TECHNICIAN_MOVED).
 * Each step is idempotent per transfer id. A move cut short after step 3 is finished by the next
 * call that reaches the technician's owner cell (D1 records the pending transfer). One cut short
 * before step 3 leaves the technician frozen in the old cell (bookings answer 409
 * TECHNICIAN_MOVING) until the same move is requested again, which resumes it: unfreezing on a
 * guess could let two cells accept bookings if the first request were still running.
 */
import { config } from "../config";
import { getDb } from "../db/client";
import { appendAudit } from "../db/repositories/audit.repo";
import { repointHome, updateHomeInCell } from "../db/repositories/home-move.repo";
import { rosterEntry } from "../db/repositories/roster.repo";
import { cellOf, type LatLng } from "../domain/geo";
import type { Auth } from "../env";
import { AppError, notFound } from "../errors";
import { cellError, cellProfiles, cellStub, completePendingTransfer } from "../cells/cells.service";
import { cityAt } from "../catalog/cities.service";
import { homeColumns } from "../lib/coordinates";
import { Pii } from "../lib/pii";
import { assertManages } from "./shifts.service";

export async function moveHome(env: Env, auth: Auth, technicianId: string, input: { home: LatLng; serviceRadiusKm?: number }) {
  const db = getDb(env);
  let entry = await rosterEntry(db, technicianId);
  if (!entry) throw notFound("Technician");
  assertManages(auth, entry);
  await completePendingTransfer(env, technicianId);
  entry = (await rosterEntry(db, technicianId))!;

  const city = await cityAt(env, input.home);
  if (!city) {
    throw AppError.of("HOME_OUTSIDE_CITIES", {}, { errors: [{ path: "body.home", message: "outside every city" }] });
  }
  const toCell = cellOf(input.home, config(env).H3_RESOLUTION);
  const fromCell = entry.homeCell;
  const serviceRadiusKm = input.serviceRadiusKm ?? entry.profile.serviceRadiusKm;

  // Stored sealed for the technician's row, ~1 km in the clear (src/lib/coordinates.ts).
  const home = await homeColumns(await Pii.fromEnv(env), technicianId, input.home);
  if (toCell === fromCell) {
    await updateHomeInCell(db, technicianId, { home, serviceRadiusKm });
  } else {
    const transferId = `xfr_${technicianId}_${toCell}_${entry.updatedAt}`;
    const from = cellStub(env, fromCell);
    let exported = await from.exportTechnician(technicianId, transferId, fromCell);
    if (!exported.ok && exported.code === "UNKNOWN_TECHNICIAN") {
      await from.syncRoster(await cellProfiles(env, [entry]), 0);
      exported = await from.exportTechnician(technicianId, transferId, fromCell);
    }
    if (!exported.ok) throw cellError(exported);
    const profile = { ...entry.profile, home: input.home, serviceRadiusKm, timeZone: city.timeZone };
    const imported = await cellStub(env, toCell).importTechnician(exported.snapshot, profile);
    if (!imported.ok) {
      await from.abortExport(technicianId, transferId);
      throw cellError(imported);
    }
    const switched = await repointHome(db, technicianId, fromCell, {
      home,
      cell: toCell,
      cityId: city.id,
      serviceRadiusKm,
      transferId,
    });
    if (!switched) {
      await from.abortExport(technicianId, transferId);
      throw AppError.of("CONCURRENT_UPDATE");
    }
    await completePendingTransfer(env, technicianId);
  }
  await appendAudit(db, {
    actorId: auth.accountId,
    action: "technician.move_home",
    targetType: "technician",
    targetId: technicianId,
    data: { fromCell, toCell },
  });
  const updated = await rosterEntry(db, technicianId);
  // The new profile (home, radius, zone) reaches the owner cell; calendars already moved.
  await cellStub(env, updated!.homeCell).syncRoster(await cellProfiles(env, [updated!]), 0);
  return { technicianId, homeCell: updated!.homeCell, cityId: city.id, home: input.home, serviceRadiusKm, moved: toCell !== fromCell };
}
