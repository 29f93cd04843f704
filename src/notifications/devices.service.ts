/** The devices an account registered for push notices. Tokens are stored but never shown or logged. */
import { getDb } from "../db/client";
import { deleteDevice, listDevices, upsertDevice, type PushDeviceRow } from "../db/repositories/devices.repo";
import { notFound } from "../errors";
import { newId } from "../lib/ids";

function view(row: PushDeviceRow) {
  return {
    id: row.id,
    platform: row.platform,
    provider: row.provider,
    appVersion: row.appVersion,
    createdAt: new Date(row.createdAt).toISOString(),
    updatedAt: new Date(row.updatedAt).toISOString(),
  };
}

/** Registers the device, or moves an already known token to the account and refreshes it. */
export async function registerDevice(
  env: Env,
  accountId: string,
  d: { platform: PushDeviceRow["platform"]; provider: PushDeviceRow["provider"]; token: string; appVersion: string },
) {
  return view(await upsertDevice(getDb(env), { id: newId("dev"), accountId, ...d }));
}

export async function myDevices(env: Env, accountId: string) {
  return { items: (await listDevices(getDb(env), accountId)).map(view) };
}

/** Removes one of the account's devices; 404 for anyone else's. */
export async function removeDevice(env: Env, accountId: string, id: string): Promise<void> {
  if (!(await deleteDevice(getDb(env), accountId, id))) throw notFound({ en: "Device", zh: "设备" });
}
