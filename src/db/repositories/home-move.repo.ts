import { and, eq } from "drizzle-orm";
import type { StoredHome } from "../../lib/coordinates";
import type { Db } from "../client";
import { technicians } from "../schema";

/**
 * Points a technician at a new home (cell, city, position) only if they still live in `fromCell`,
 * recording the transfer in flight. Returns false when someone else moved them first.
 */
export async function repointHome(
  db: Db,
  technicianId: string,
  fromCell: string,
  to: { home: Omit<StoredHome, "id">; cell: string; cityId: string; serviceRadiusKm: number; transferId: string },
  now = Date.now(),
): Promise<boolean> {
  const rows = await db
    .update(technicians)
    .set({
      ...to.home,
      homeCell: to.cell,
      cityId: to.cityId,
      serviceRadiusKm: to.serviceRadiusKm,
      transferId: to.transferId,
      transferFrom: fromCell,
      updatedAt: now,
    })
    .where(and(eq(technicians.id, technicianId), eq(technicians.homeCell, fromCell)))
    .returning({ id: technicians.id });
  return rows.length > 0;
}

/** Updates the home position (its sealed and clear columns) within the same cell. */
export async function updateHomeInCell(
  db: Db,
  technicianId: string,
  to: { home: Omit<StoredHome, "id">; serviceRadiusKm: number },
  now = Date.now(),
) {
  await db
    .update(technicians)
    .set({ ...to.home, serviceRadiusKm: to.serviceRadiusKm, updatedAt: now })
    .where(eq(technicians.id, technicianId));
}

export async function clearTransfer(db: Db, technicianId: string, transferId: string) {
  await db
    .update(technicians)
    .set({ transferId: null, transferFrom: null })
    .where(and(eq(technicians.id, technicianId), eq(technicians.transferId, transferId)));
}

export async function pendingTransfer(db: Db, technicianId: string) {
  const row = await db.query.technicians.findFirst({
    where: eq(technicians.id, technicianId),
    columns: { transferId: true, transferFrom: true, homeCell: true },
  });
  return row?.transferId && row.transferFrom ? { transferId: row.transferId, fromCell: row.transferFrom, toCell: row.homeCell } : undefined;
}
