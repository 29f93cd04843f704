/**
 * The person's recurring visits for src/privacy: their part of the data export, and what their
 * account deletion changes (see personal-data.repo.ts `seriesErasureStatements`).
 */
import { getDb } from "../db/client";
import { occurrenceRowsOfCustomer, seriesErasureStatements, seriesRowsOfContact, seriesRowsOfCustomer } from "./personal-data.repo";

const iso = (at: unknown) => (typeof at === "number" ? new Date(at).toISOString() : null);
const json = (v: unknown) => (typeof v === "string" ? (JSON.parse(v) as unknown) : v);
const hhmm = (minutes: number) => `${String(Math.floor(minutes / 60)).padStart(2, "0")}:${String(minutes % 60).padStart(2, "0")}`;

/**
 * The export's `series` part: the series the person booked with their visits (the address by its id:
 * its text is in the `addresses` part; the second contact by the name the person gave), and the
 * series of others that name the person as their second contact (without the customer's data).
 */
export async function seriesOfAccount(env: Env, accountId: string) {
  const db = getDb(env);
  const [rows, visits, asContact] = await Promise.all([
    seriesRowsOfCustomer(db, accountId),
    occurrenceRowsOfCustomer(db, accountId),
    seriesRowsOfContact(db, accountId),
  ]);
  return {
    series: rows.map((s) => ({
      id: s.id,
      serviceId: s.service_id,
      addressId: s.address_id,
      cityId: s.city_id,
      timeOfDay: hhmm(s.time_of_day as number),
      rule: json(s.rule),
      startDate: s.start_date,
      untilDate: s.until_date,
      count: s.count,
      units: s.units,
      preferredTechnicianId: s.preferred_technician_id,
      contact: s.contact_account_id || s.contact_name ? { name: s.contact_name } : null,
      notes: s.notes,
      status: s.status,
      previousSeriesId: s.previous_series_id,
      createdAt: iso(s.created_at),
      updatedAt: iso(s.updated_at),
      visits: visits
        .filter((v) => v.series_id === s.id)
        .map((v) => ({
          date: v.date,
          n: v.n,
          start: iso(v.start_at),
          status: v.status,
          orderId: v.order_id,
          technicianId: v.technician_id,
          movedFrom: iso(v.moved_from),
          problem: v.problem,
        })),
    })),
    asContact: asContact.map((s) => ({
      seriesId: s.id,
      serviceId: s.service_id,
      nameGiven: s.contact_name,
      status: s.status,
      startDate: s.start_date,
    })),
  };
}

/** The account deletion's part (src/privacy): statements for its one batch (no files). */
export function seriesErasure(env: Env, accountId: string, now: number): { statements: D1PreparedStatement[]; keys: string[] } {
  return { statements: seriesErasureStatements(getDb(env), accountId, now), keys: [] };
}
