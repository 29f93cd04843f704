import { config } from "../config";
import { getDb } from "../db/client";
import {
  insertAddressWithin,
  listAddresses,
  softDeleteAddress,
  updateAddress,
  type AddressPatch,
  type AddressRow,
} from "../db/repositories/addresses.repo";
import { cellOf } from "../domain/geo";
import { AppError, notFound } from "../errors";
import { exactPoint, pointColumns } from "../lib/coordinates";
import { newId } from "../lib/ids";
import { Pii } from "../lib/pii";
import { requirePhone } from "./auth.service";

/** Live addresses one account may keep. */
export const MAX_ADDRESSES = 50;

export interface AddressInput {
  label: string;
  text: string;
  lat: number;
  lng: number;
  contactName: string;
  contactPhone: string;
}

/** The owner's view: everything decrypted, the contact phone unmasked. */
export interface AddressView extends AddressInput {
  id: string;
  cell: string;
  createdAt: string;
  updatedAt: string;
}

async function view(pii: Pii, row: AddressRow): Promise<AddressView> {
  const [text, contactName, contactPhone, point] = await Promise.all([
    pii.decrypt("address", row.textEnc),
    pii.decrypt("contact_name", row.contactNameEnc),
    pii.decrypt("phone", row.contactPhoneEnc),
    exactPoint(pii, "addresses", row),
  ]);
  return {
    id: row.id,
    label: row.label,
    text,
    lat: point.lat,
    lng: point.lng,
    cell: row.cell,
    contactName,
    contactPhone,
    createdAt: new Date(row.createdAt).toISOString(),
    updatedAt: new Date(row.updatedAt).toISOString(),
  };
}

/** The caller's live addresses, oldest first (at most MAX_ADDRESSES, so never paged). */
export async function getAddresses(env: Env, accountId: string): Promise<{ items: AddressView[] }> {
  const [rows, pii] = await Promise.all([listAddresses(getDb(env), accountId), Pii.fromEnv(env)]);
  return { items: await Promise.all(rows.map((r) => view(pii, r))) };
}

/**
 * Saves an address for the caller. The text, contact name and contact phone are encrypted at rest,
 * the exact point sealed for this row (src/lib/coordinates.ts); the point's H3 cell (H3_RESOLUTION)
 * and its ~1 km area are stored in the clear. 409 ADDRESS_LIMIT past
 * MAX_ADDRESSES live addresses.
 */
export async function createAddress(env: Env, accountId: string, input: AddressInput): Promise<AddressView> {
  const contactPhone = requirePhone(input.contactPhone, "body.contactPhone");
  const pii = await Pii.fromEnv(env);
  const now = Date.now();
  const id = newId("adr", now);
  const row: AddressRow = {
    id,
    accountId,
    label: input.label,
    textEnc: await pii.encrypt("address", input.text),
    ...(await pointColumns(pii, "addresses", id, input)),
    cell: cellOf(input, config(env).H3_RESOLUTION),
    contactNameEnc: await pii.encrypt("contact_name", input.contactName),
    contactPhoneEnc: await pii.encrypt("phone", contactPhone),
    deletedAt: null,
    createdAt: now,
    updatedAt: now,
  };
  if (!(await insertAddressWithin(getDb(env), row, MAX_ADDRESSES))) {
    throw AppError.of("ADDRESS_LIMIT", { max: MAX_ADDRESSES }, { extra: { limit: MAX_ADDRESSES } });
  }
  return view(pii, row);
}

/**
 * Changes some fields of the caller's address (lat and lng together, which moves its cell).
 * Another account's or a deleted address is 404.
 */
export async function patchAddress(env: Env, accountId: string, id: string, input: Partial<AddressInput>): Promise<AddressView> {
  const contactPhone = input.contactPhone === undefined ? undefined : requirePhone(input.contactPhone, "body.contactPhone");
  const pii = await Pii.fromEnv(env);
  const patch: AddressPatch = {};
  if (input.label !== undefined) patch.label = input.label;
  if (input.text !== undefined) patch.textEnc = await pii.encrypt("address", input.text);
  if (input.contactName !== undefined) patch.contactNameEnc = await pii.encrypt("contact_name", input.contactName);
  if (contactPhone !== undefined) patch.contactPhoneEnc = await pii.encrypt("phone", contactPhone);
  if (input.lat !== undefined && input.lng !== undefined) {
    Object.assign(patch, await pointColumns(pii, "addresses", id, { lat: input.lat, lng: input.lng }));
    patch.cell = cellOf({ lat: input.lat, lng: input.lng }, config(env).H3_RESOLUTION);
  }
  const row = await updateAddress(getDb(env), accountId, id, patch);
  if (!row) throw notFound("Address");
  return view(pii, row);
}

/** Soft-deletes the caller's address; it is gone from every answer afterwards. */
export async function deleteAddress(env: Env, accountId: string, id: string): Promise<void> {
  if (!(await softDeleteAddress(getDb(env), accountId, id))) throw notFound("Address");
}
