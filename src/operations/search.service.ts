/**
 * The search of the map and operations screens: an order by id, a technician by id or name, or
 * everything of one phone number (exact match only: the number's lookup hash, never a partial
 * number). A phone search is audited with the caller and the masked number, whether it found anyone
 * or not. A merchant admin finds only its own merchant's orders and technicians.
 */
import { getDb } from "../db/client";
import { appendAudit } from "../db/repositories/audit.repo";
import { findAccountByPhoneHash } from "../db/repositories/accounts.repo";
import { maskPhone, normalisePhone } from "../domain/phone";
import { isPlatform } from "../domain/roles";
import type { Auth } from "../env";
import { merchantScope } from "../identity/scope";
import type { LatLng } from "../domain/geo";
import { areaPoint, type StoredPoint } from "../lib/coordinates";
import { Pii } from "../lib/pii";
import {
  searchOrderById,
  searchOrdersOfCustomer,
  searchTechnicianById,
  searchTechnicianOfAccount,
  searchTechniciansByName,
} from "./search.repo";

export interface SearchHit {
  kind: "order" | "technician";
  id: string;
  /** What to show: the order id, or the technician's name. */
  label: string;
  status: string;
  cityId: string;
  cell: string;
  /** Where to centre the map: an order's ~1 km area; null for a technician (the map knows where they are). */
  position: LatLng | null;
  /** An order's start (ISO 8601); null for a technician. */
  start: string | null;
}

const LIMIT = 10;

const orderHit = (o: StoredPoint & { status: string; cityId: string; cell: string; startAt: number }): SearchHit => ({
  kind: "order",
  id: o.id,
  label: o.id,
  status: o.status,
  cityId: o.cityId,
  cell: o.cell,
  position: areaPoint(o),
  start: new Date(o.startAt).toISOString(),
});

const technicianHit = (t: { id: string; name: string; status: string; cityId: string; homeCell: string }): SearchHit => ({
  kind: "technician",
  id: t.id,
  label: t.name,
  status: t.status,
  cityId: t.cityId,
  cell: t.homeCell,
  position: null,
  start: null,
});

/** What `q` finds, and how it was read (`phone`: an exact number; `id`; `name`). */
export async function search(env: Env, auth: Auth, q: string): Promise<{ match: "phone" | "id" | "name"; items: SearchHit[] }> {
  const scope = merchantScope(auth);
  const db = getDb(env);
  const text = q.trim();
  if (/^ord_[0-9A-Za-z]+$/.test(text)) return { match: "id", items: (await searchOrderById(db, text, scope)).map(orderHit) };
  if (/^tch_[0-9A-Za-z]+$/.test(text)) return { match: "id", items: (await searchTechnicianById(db, text, scope)).map(technicianHit) };
  const phone = /^[+\d][\d\s-]{6,}$/.test(text) ? normalisePhone(text) : null;
  if (phone) {
    const pii = await Pii.fromEnv(env);
    const account = await findAccountByPhoneHash(db, await pii.lookupHash(phone));
    const [tech, orders] = account
      ? await Promise.all([searchTechnicianOfAccount(db, account.id, scope), searchOrdersOfCustomer(db, account.id, LIMIT, scope)])
      : [[], []];
    const items = [...tech.map(technicianHit), ...orders.map(orderHit)];
    await appendAudit(db, {
      actorId: auth.accountId,
      action: "search.phone",
      targetType: "phone",
      targetId: maskPhone(phone),
      data: {
        accountId: account?.id ?? null,
        results: items.length,
        role: isPlatform(auth.roles) ? "operator" : "merchant_admin",
      },
    });
    return { match: "phone", items };
  }
  return { match: "name", items: (await searchTechniciansByName(db, text, LIMIT, scope)).map(technicianHit) };
}
