import { getDb, type Db } from "../db/client";
import { existingSkillCodes, findCategory } from "../db/repositories/catalog.repo";
import { findMerchant } from "../db/repositories/merchants.repo";
import {
  citiesOfServices,
  existingCityIds,
  findService,
  insertService,
  listServices,
  softDeleteService,
  updateService,
  type ServiceFilter,
  type ServiceRow,
} from "../db/repositories/services.repo";
import { checkServiceRules } from "../domain/catalog";
import { isPlatform } from "../domain/roles";
import type { Auth } from "../env";
import { type FieldError, AppError, notFound, invalid } from "../errors";
import { decodeCursor, toPage } from "../lib/cursor";
import { newId } from "../lib/ids";
import { cityAt } from "./cities.service";
import { forgetService } from "./reference.service";
import {
  columns,
  fieldsOf,
  view,
  type CreateServiceInput,
  type ServiceFields,
  type ServicePatch,
  type ServiceView,
} from "./service-offers.view";

export type { CreateServiceInput, ServiceFields, ServicePatch, ServiceView } from "./service-offers.view";

type Page<T> = { items: T[]; nextCursor: string | null };

async function viewOne(db: Db, row: ServiceRow): Promise<ServiceView> {
  return view(row, (await citiesOfServices(db, [row.id])).get(row.id) ?? []);
}

async function viewPage(db: Db, rows: ServiceRow[], limit: number): Promise<Page<ServiceView>> {
  const page = toPage(rows, limit);
  const cities = await citiesOfServices(
    db,
    page.items.map((s) => s.id),
  );
  return { items: page.items.map((s) => view(s, cities.get(s.id) ?? [])), nextCursor: page.nextCursor };
}

/** The rules spanning several values of a complete service (400 VALIDATION_FAILED). */
function checkRules(f: ServiceFields): void {
  const problems = checkServiceRules(f, "body");
  if (problems.length > 0) throw invalid(problems);
}

/**
 * Checks that what the written fields name exists: the category (400 UNKNOWN_CATEGORY), skills
 * (UNKNOWN_SKILL) and cities (UNKNOWN_CITY).
 */
async function checkReferences(db: Db, changed: Partial<ServiceFields>): Promise<void> {
  if (changed.categoryId !== undefined && !(await findCategory(db, changed.categoryId))) {
    throw AppError.of("UNKNOWN_CATEGORY", {}, { errors: [{ path: "body.categoryId", message: "no such category" }] });
  }
  if (changed.requiredSkills !== undefined && changed.requiredSkills.length > 0) {
    const known = await existingSkillCodes(db, changed.requiredSkills);
    const errors = unknownAt(changed.requiredSkills, known, "body.requiredSkills", "skill");
    if (errors.length > 0) {
      throw AppError.of("UNKNOWN_SKILL", {}, { errors });
    }
  }
  if (changed.cityIds !== undefined) {
    const known = await existingCityIds(db, changed.cityIds);
    const errors = unknownAt(changed.cityIds, known, "body.cityIds", "city");
    if (errors.length > 0) {
      throw AppError.of("UNKNOWN_CITY", {}, { errors });
    }
  }
}

function unknownAt(values: string[], known: Set<string>, path: string, what: string): FieldError[] {
  return values.flatMap((v, i) => (known.has(v) ? [] : [{ path: `${path}.${i}`, message: `no such ${what} ${v}` }]));
}

/** Whose services the caller manages: all (operators) or one merchant's (merchant_admin). */
type Scope = { platform: true } | { platform: false; merchantId: string };

function scopeOf(auth: Auth): Scope {
  if (isPlatform(auth.roles)) return { platform: true };
  if (auth.roles.includes("merchant_admin") && auth.merchantId) return { platform: false, merchantId: auth.merchantId };
  throw AppError.of("FORBIDDEN");
}

const serviceNotFound = () => notFound("Service");

/** A service (not deleted) the caller manages, else 404. */
async function managedService(db: Db, scope: Scope, id: string): Promise<ServiceRow> {
  const row = await findService(db, id, { publicOnly: false });
  if (!row || (!scope.platform && row.merchantId !== scope.merchantId)) throw serviceNotFound();
  return row;
}

/**
 * Services customers can book: active, not deleted, of an active merchant. `category` includes its
 * subcategories; `q` matches names and descriptions in either language, case-insensitively;
 * `lat`/`lng` (together) keep the services offered in the city containing that point.
 */
export async function listPublicServices(
  env: Env,
  query: { category?: string; q?: string; lat?: number; lng?: number; limit: number; cursor?: string },
): Promise<Page<ServiceView>> {
  if ((query.lat === undefined) !== (query.lng === undefined)) {
    const missing = query.lat === undefined ? "lat" : "lng";
    throw invalid([{ path: `query.${missing}`, message: "lat and lng must be given together" }]);
  }
  const afterId = decodeCursor(query.cursor);
  // An empty search box means no text filter.
  const filter: ServiceFilter = { publicOnly: true, categoryId: query.category, q: query.q || undefined, afterId, limit: query.limit };
  if (query.lat !== undefined && query.lng !== undefined) {
    const city = await cityAt(env, { lat: query.lat, lng: query.lng });
    if (!city) return { items: [], nextCursor: null };
    filter.cityId = city.id;
  }
  const db = getDb(env);
  return viewPage(db, await listServices(db, filter), query.limit);
}

/** One bookable service; 404 when inactive, deleted, or its merchant is inactive. */
export async function getPublicService(env: Env, id: string): Promise<ServiceView> {
  const db = getDb(env);
  const row = await findService(db, id, { publicOnly: true });
  if (!row) throw serviceNotFound();
  return viewOne(db, row);
}

/** Services the caller manages, inactive ones included: all for operators, its own for a merchant_admin. */
export async function listManagedServices(
  env: Env,
  auth: Auth,
  query: { merchantId?: string; category?: string; q?: string; limit: number; cursor?: string },
): Promise<Page<ServiceView>> {
  const scope = scopeOf(auth);
  const afterId = decodeCursor(query.cursor);
  if (!scope.platform && query.merchantId !== undefined && query.merchantId !== scope.merchantId) return { items: [], nextCursor: null };
  const db = getDb(env);
  const rows = await listServices(db, {
    publicOnly: false,
    merchantId: scope.platform ? query.merchantId : scope.merchantId,
    categoryId: query.category,
    q: query.q || undefined,
    afterId,
    limit: query.limit,
  });
  return viewPage(db, rows, query.limit);
}

/** One service the caller manages (inactive included); 404 for another merchant's. */
export async function getManagedService(env: Env, auth: Auth, id: string): Promise<ServiceView> {
  const db = getDb(env);
  return viewOne(db, await managedService(db, scopeOf(auth), id));
}

/**
 * Creates a service. Operators may set any merchant or none (a platform service); a
 * merchant_admin's service always belongs to its merchant (naming another is 404). The service
 * and its cities are written in one atomic batch.
 */
export async function createService(env: Env, auth: Auth, input: CreateServiceInput): Promise<ServiceView> {
  const scope = scopeOf(auth);
  const db = getDb(env);
  let merchantId: string | null;
  if (scope.platform) {
    merchantId = input.merchantId ?? null;
    if (merchantId !== null && !(await findMerchant(db, merchantId))) {
      throw AppError.of("UNKNOWN_MERCHANT", {}, { errors: [{ path: "body.merchantId", message: "no such merchant" }] });
    }
  } else {
    if (input.merchantId !== undefined && input.merchantId !== scope.merchantId) throw notFound("Merchant");
    merchantId = scope.merchantId;
  }
  const { merchantId: _ignored, ...fields } = input;
  checkRules(fields);
  await checkReferences(db, fields);
  const now = Date.now();
  const row: ServiceRow = {
    ...(columns(fields) as Omit<ServiceRow, "id" | "merchantId" | "deletedAt" | "createdAt" | "updatedAt">),
    id: newId("svc"),
    merchantId,
    deletedAt: null,
    createdAt: now,
    updatedAt: now,
  };
  await writeChecked(db, fields, () => insertService(db, row, fields.cityIds));
  return view(row, fields.cityIds);
}

/**
 * Changes part of a service. The merged result passes the same checks as a new service; only the
 * fields given are written, so concurrent edits of different fields do not undo each other.
 */
export async function patchService(env: Env, auth: Auth, id: string, patch: ServicePatch): Promise<ServiceView> {
  const db = getDb(env);
  const current = await managedService(db, scopeOf(auth), id);
  const before = fieldsOf(current, (await citiesOfServices(db, [id])).get(id) ?? []);
  const changed: Partial<ServiceFields> = {
    ...patch,
    name: patch.name && { ...before.name, ...patch.name },
    description: patch.description && { ...before.description, ...patch.description },
    price: patch.price && { ...before.price, ...patch.price },
    cancellationPolicy: patch.cancellationPolicy && { ...before.cancellationPolicy, ...patch.cancellationPolicy },
    paymentOptions: patch.paymentOptions && { ...before.paymentOptions, ...patch.paymentOptions },
  };
  const merged: ServiceFields = { ...before, ...definedOnly(changed) };
  checkRules(merged);
  await checkReferences(db, changed);
  // Strictly later than the version read: a booking validated against that version must see a change.
  const updatedAt = Math.max(Date.now(), current.updatedAt + 1);
  const updated = await writeChecked(db, changed, () => updateService(db, id, { ...columns(changed), updatedAt }, changed.cityIds));
  forgetService(id);
  if (!updated) throw serviceNotFound();
  return view(updated, merged.cityIds);
}

/** Soft-deletes a service: it leaves every list; orders keep pointing at it. */
export async function deleteService(env: Env, auth: Auth, id: string): Promise<void> {
  const db = getDb(env);
  await managedService(db, scopeOf(auth), id);
  const deleted = await softDeleteService(db, id);
  forgetService(id);
  if (!deleted) throw serviceNotFound();
}

function definedOnly<T extends object>(o: T): Partial<T> {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as Partial<T>;
}

/**
 * Runs a write whose references were just checked. Should a category or city vanish in between,
 * the foreign key refuses the write; checking again turns that into the same 400 as before.
 */
async function writeChecked<T>(db: Db, fields: Partial<ServiceFields>, write: () => Promise<T>): Promise<T> {
  try {
    return await write();
  } catch (err) {
    if (!/FOREIGN KEY/i.test(String(err))) throw err;
    await checkReferences(db, fields);
    throw err;
  }
}
