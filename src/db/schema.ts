/**
 * D1 schema: the single source of truth. `npm run db:generate` turns changes into a migration.
 * Times are UTC epoch milliseconds; money is integer minor units (分); PII columns hold ciphertext.
 */
import { index, integer, primaryKey, real, sqliteTable, text, uniqueIndex } from "drizzle-orm/sqlite-core";
import type { Role } from "../domain/roles";
import type { CancellationPolicy, DispatchMode, Extra, PaymentOptions, PriceUnit } from "../domain/catalog";
import type { WeeklyShifts } from "../domain/shifts";

const createdAt = () => integer("created_at").notNull();
const updatedAt = () => integer("updated_at").notNull();

export const cities = sqliteTable("cities", {
  id: text("id").primaryKey(),
  name: text("name").notNull(),
  timeZone: text("time_zone").notNull(),
  centerLat: real("center_lat").notNull(),
  centerLng: real("center_lng").notNull(),
  radiusKm: real("radius_km").notNull(),
  resolution: integer("resolution").notNull(),
  createdAt: createdAt(),
});

/** Each H3 cell belongs to at most one city, which gives it its time zone. */
export const cityCells = sqliteTable(
  "city_cells",
  {
    cellId: text("cell_id").primaryKey(),
    cityId: text("city_id")
      .notNull()
      .references(() => cities.id),
  },
  (t) => [index("city_cells_city_idx").on(t.cityId)],
);

export const merchants = sqliteTable("merchants", {
  id: text("id").primaryKey(),
  name: text("name").notNull(),
  /** Weekly shifts new technicians of this merchant start with (local time). */
  defaultShifts: text("default_shifts", { mode: "json" }).$type<WeeklyShifts | null>(),
  active: integer("active", { mode: "boolean" }).notNull().default(true),
  createdAt: createdAt(),
  updatedAt: updatedAt(),
});

export const accounts = sqliteTable(
  "accounts",
  {
    id: text("id").primaryKey(),
    /** Encrypted E.164 phone. */
    phoneEnc: text("phone_enc").notNull(),
    /** Keyed hash of the E.164 phone, for look-ups. */
    phoneHash: text("phone_hash").notNull(),
    name: text("name"),
    roles: text("roles", { mode: "json" }).$type<Role[]>().notNull(),
    /** The merchant a merchant_admin acts for. */
    merchantId: text("merchant_id").references(() => merchants.id),
    status: text("status", { enum: ["active", "disabled"] })
      .notNull()
      .default("active"),
    createdAt: createdAt(),
    updatedAt: updatedAt(),
  },
  (t) => [uniqueIndex("accounts_phone_hash_uq").on(t.phoneHash)],
);

export const otpCodes = sqliteTable("otp_codes", {
  phoneHash: text("phone_hash").primaryKey(),
  codeHash: text("code_hash").notNull(),
  expiresAt: integer("expires_at").notNull(),
  attempts: integer("attempts").notNull().default(0),
  createdAt: createdAt(),
});

/** Fixed-window counters shared by every isolate. */
export const rateLimits = sqliteTable("rate_limits", {
  key: text("key").primaryKey(),
  windowStart: integer("window_start").notNull(),
  count: integer("count").notNull(),
});

export const refreshTokens = sqliteTable(
  "refresh_tokens",
  {
    id: text("id").primaryKey(),
    familyId: text("family_id").notNull(),
    accountId: text("account_id")
      .notNull()
      .references(() => accounts.id),
    tokenHash: text("token_hash").notNull(),
    expiresAt: integer("expires_at").notNull(),
    /** Set when the token was exchanged for a new one; presenting it again is reuse. */
    usedAt: integer("used_at"),
    revokedAt: integer("revoked_at"),
    createdAt: createdAt(),
  },
  (t) => [uniqueIndex("refresh_tokens_hash_uq").on(t.tokenHash), index("refresh_tokens_family_idx").on(t.familyId)],
);

export const skills = sqliteTable("skills", {
  code: text("code").primaryKey(),
  nameZh: text("name_zh").notNull(),
  nameEn: text("name_en").notNull(),
  createdAt: createdAt(),
});

export const technicians = sqliteTable(
  "technicians",
  {
    id: text("id").primaryKey(),
    accountId: text("account_id")
      .notNull()
      .references(() => accounts.id),
    merchantId: text("merchant_id").references(() => merchants.id),
    name: text("name").notNull(),
    skills: text("skills", { mode: "json" }).$type<string[]>().notNull(),
    homeLat: real("home_lat").notNull(),
    homeLng: real("home_lng").notNull(),
    homeCell: text("home_cell").notNull(),
    cityId: text("city_id")
      .notNull()
      .references(() => cities.id),
    serviceRadiusKm: real("service_radius_km").notNull(),
    status: text("status", { enum: ["pending", "approved", "rejected", "suspended"] }).notNull(),
    /** Average rating × 100 (e.g. 487 = 4.87). */
    ratingX100: integer("rating_x100").notNull().default(500),
    ratingCount: integer("rating_count").notNull().default(0),
    /** A move to another home cell in progress: its id and the cell being left (see home-move.service). */
    transferId: text("transfer_id"),
    transferFrom: text("transfer_from"),
    createdAt: createdAt(),
    updatedAt: updatedAt(),
  },
  (t) => [
    uniqueIndex("technicians_account_uq").on(t.accountId),
    index("technicians_merchant_idx").on(t.merchantId),
    index("technicians_cell_idx").on(t.homeCell),
    index("technicians_city_idx").on(t.cityId, t.status),
  ],
);

export const addresses = sqliteTable(
  "addresses",
  {
    id: text("id").primaryKey(),
    accountId: text("account_id")
      .notNull()
      .references(() => accounts.id),
    label: text("label").notNull(),
    textEnc: text("text_enc").notNull(),
    lat: real("lat").notNull(),
    lng: real("lng").notNull(),
    cell: text("cell").notNull(),
    contactNameEnc: text("contact_name_enc").notNull(),
    contactPhoneEnc: text("contact_phone_enc").notNull(),
    deletedAt: integer("deleted_at"),
    createdAt: createdAt(),
    updatedAt: updatedAt(),
  },
  (t) => [index("addresses_account_idx").on(t.accountId)],
);

export const categories = sqliteTable(
  "categories",
  {
    id: text("id").primaryKey(),
    parentId: text("parent_id"),
    nameZh: text("name_zh").notNull(),
    nameEn: text("name_en").notNull(),
    sort: integer("sort").notNull().default(0),
    createdAt: createdAt(),
    updatedAt: updatedAt(),
  },
  (t) => [index("categories_parent_idx").on(t.parentId)],
);

export const services = sqliteTable(
  "services",
  {
    id: text("id").primaryKey(),
    /** Owning merchant; null for a platform-run service. */
    merchantId: text("merchant_id").references(() => merchants.id),
    categoryId: text("category_id")
      .notNull()
      .references(() => categories.id),
    nameZh: text("name_zh").notNull(),
    nameEn: text("name_en").notNull(),
    descriptionZh: text("description_zh").notNull(),
    descriptionEn: text("description_en").notNull(),
    currency: text("currency").notNull().default("CNY"),
    basePrice: integer("base_price").notNull(),
    unitPrice: integer("unit_price").notNull(),
    unit: text("unit").$type<PriceUnit>().notNull(),
    minUnits: integer("min_units").notNull(),
    durationMinutes: integer("duration_minutes").notNull(),
    perUnitMinutes: integer("per_unit_minutes").notNull().default(0),
    requiredSkills: text("required_skills", { mode: "json" }).$type<string[]>().notNull(),
    extras: text("extras", { mode: "json" }).$type<Extra[]>().notNull(),
    cancellationPolicy: text("cancellation_policy", { mode: "json" }).$type<CancellationPolicy>().notNull(),
    dispatchMode: text("dispatch_mode").$type<DispatchMode>().notNull(),
    paymentOptions: text("payment_options", { mode: "json" }).$type<PaymentOptions>().notNull(),
    rushFee: integer("rush_fee").notNull().default(0),
    leadTimeMinutes: integer("lead_time_minutes").notNull().default(120),
    horizonDays: integer("horizon_days").notNull().default(14),
    active: integer("active", { mode: "boolean" }).notNull().default(true),
    deletedAt: integer("deleted_at"),
    createdAt: createdAt(),
    updatedAt: updatedAt(),
  },
  (t) => [index("services_category_idx").on(t.categoryId), index("services_merchant_idx").on(t.merchantId)],
);

export const serviceCities = sqliteTable(
  "service_cities",
  {
    serviceId: text("service_id")
      .notNull()
      .references(() => services.id),
    cityId: text("city_id")
      .notNull()
      .references(() => cities.id),
  },
  (t) => [primaryKey({ columns: [t.serviceId, t.cityId] }), index("service_cities_city_idx").on(t.cityId)],
);

/** Append-only, hash-chained record of sensitive actions. */
export const auditLog = sqliteTable("audit_log", {
  seq: integer("seq").primaryKey(),
  at: integer("at").notNull(),
  actorId: text("actor_id"),
  action: text("action").notNull(),
  targetType: text("target_type").notNull(),
  targetId: text("target_id").notNull(),
  data: text("data", { mode: "json" }).$type<Record<string, unknown>>().notNull(),
  prevHash: text("prev_hash").notNull(),
  hash: text("hash").notNull(),
});
