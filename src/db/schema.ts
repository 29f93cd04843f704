/**
 * D1 schema: the single source of truth. `npm run db:generate` turns changes into a migration.
 * Times are UTC epoch milliseconds; money is integer minor units (分); PII columns hold ciphertext.
 */
import { isNull } from "drizzle-orm";
import { TICKET_AUTHOR_TYPES, TICKET_CATEGORIES, TICKET_ENTRY_KINDS, TICKET_STATUSES } from "../domain/tickets";
import type { OutboxMessage } from "../domain/outbox";
import { sql } from "drizzle-orm";
import { check, index, integer, primaryKey, real, sqliteTable, text, uniqueIndex } from "drizzle-orm/sqlite-core";
import type { Role } from "../domain/roles";
import { DISABLE_REASONS } from "../domain/account-status";
import type { CancellationPolicy, DispatchMode, Extra, PaymentOptions, PriceUnit } from "../domain/catalog";
import type { WeeklyShifts } from "../domain/shifts";
import type { RecurrenceRule } from "../domain/recurrence";
import { ORDER_STATUSES } from "../domain/order-state";
import { CAMPAIGN_KINDS, COUPON_SOURCES } from "../domain/coupons";
import type { SurchargeRules } from "../domain/pricing";
import {
  LEDGER_ACCOUNT_KINDS,
  LEDGER_TX_KINDS,
  PAYMENT_PROVIDERS,
  PAYMENT_STAGES,
  PAYMENT_STATUSES,
  REFUND_KINDS,
  REFUND_STATUSES,
  WITHDRAWAL_STATUSES,
} from "../domain/money";

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
  /**
   * Whether dispatch may give this merchant's orders to platform technicians (no merchant) when none
   * of its own fits; its own always come first, other merchants' technicians never.
   */
  platformTechnicians: integer("platform_technicians", { mode: "boolean" }).notNull().default(false),
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
    /**
     * Carried in every access token (`ver`) and compared on each request: bumping it revokes every
     * access token issued before (sign-out everywhere, a role taken away, a ban, the merchant deactivated).
     */
    tokenVersion: integer("token_version").notNull().default(0),
    /** Why staff disabled the account (a DISABLE_REASONS code), when and with what note; null while active. */
    disabledReason: text("disabled_reason", { enum: DISABLE_REASONS }),
    disabledNote: text("disabled_note"),
    disabledAt: integer("disabled_at"),
    createdAt: createdAt(),
    updatedAt: updatedAt(),
  },
  (t) => [
    uniqueIndex("accounts_phone_hash_uq").on(t.phoneHash),
    // Staff list the disabled accounts.
    index("accounts_status_idx").on(t.status, t.id),
  ],
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
  (t) => [
    uniqueIndex("refresh_tokens_hash_uq").on(t.tokenHash),
    index("refresh_tokens_family_idx").on(t.familyId),
    // Signing out everywhere and disabling an account revoke every token of the account.
    index("refresh_tokens_account_idx").on(t.accountId),
  ],
);

export const skills = sqliteTable("skills", {
  code: text("code").primaryKey(),
  nameZh: text("name_zh").notNull(),
  nameEn: text("name_en").notNull(),
  createdAt: createdAt(),
});

/**
 * A technician whose exact home is still (or again) in the clear: never sealed, or its clear
 * columns written by a Worker older than `home_enc` after it was. The backfill seals these.
 */
export const HOME_PENDING_SQL =
  "home_enc IS NULL OR home_area_lat IS NULL OR home_area_lng IS NULL OR home_lat <> home_area_lat OR home_lng <> home_area_lng";

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
    /**
     * The home rounded to ~1 km (`areaOf`); the exact one only sealed in `homeEnc`. Rows from
     * before `home_enc` kept the exact home here until the backfill sealed them (HOME_PENDING).
     */
    homeLat: real("home_lat").notNull(),
    homeLng: real("home_lng").notNull(),
    /** The exact home, sealed for its row (table, field `home`, technician id); null until the backfill. */
    homeEnc: text("home_enc"),
    /** What `home_lat`/`home_lng` hold once sealed; a differing clear column was written in the clear. */
    homeAreaLat: real("home_area_lat"),
    homeAreaLng: real("home_area_lng"),
    homeCell: text("home_cell").notNull(),
    cityId: text("city_id")
      .notNull()
      .references(() => cities.id),
    serviceRadiusKm: real("service_radius_km").notNull(),
    /** `removed` is final: no offers, not in availability, never reinstated (src/technicians lifecycle). */
    status: text("status", { enum: ["pending", "approved", "rejected", "suspended", "removed"] }).notNull(),
    /** The real (legal) name given when applying, sealed for its row (table, field `real_name`, technician id). */
    realNameEnc: text("real_name_enc"),
    /** Why the technician was last suspended or removed (shown to staff). */
    statusReason: text("status_reason"),
    /** A suspension ends here (the cron reinstates the technician); null while not suspended. */
    suspendedUntil: integer("suspended_until"),
    /**
     * Skills no longer offered because a required document (configured per skill in
     * skill_required_documents) expired or was not approved; dispatch and the cells see `skills`
     * without these until a renewed document is approved.
     */
    lapsedSkills: text("lapsed_skills", { mode: "json" }).$type<string[]>().notNull().default([]),
    /** Average rating × 100 (e.g. 487 = 4.87). */
    ratingX100: integer("rating_x100").notNull().default(500),
    ratingCount: integer("rating_count").notNull().default(0),
    /** Credit score 0–1000 (src/technicians credit: the formula and every change in technician_credit_events). */
    creditScore: integer("credit_score").notNull().default(600),
    /** Level from score and completed jobs: trainee (见习), standard (标准), gold (金牌), diamond (钻石). */
    level: text("level", { enum: ["trainee", "standard", "gold", "diamond"] })
      .notNull()
      .default("trainee"),
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
    index("technicians_home_pending_idx").on(t.id).where(sql.raw(HOME_PENDING_SQL)),
    index("technicians_suspended_idx")
      .on(t.suspendedUntil)
      .where(sql`${t.suspendedUntil} IS NOT NULL`),
  ],
);

/**
 * Where an address or an order is (src/lib/coordinates.ts reads and writes them). The exact point
 * is kept only sealed for its row (`coords_enc`: AES-GCM under PII_KEY, bound to the table, the
 * field and the row id); the clear columns hold the point coarsened to ~1 km (`areaOf`), for maps
 * and reports. `lat`/`lng` are the old clear columns: written with the area point now, they held
 * the exact one in rows from before `coords_enc` until the backfill (coordinates-backfill.service)
 * sealed them, and are dropped once it has (README "Coordinates at rest").
 */
function coordinateColumns() {
  return {
    /** The exact point, sealed for its row; null in a row the backfill has not sealed yet. */
    coordsEnc: text("coords_enc"),
    /** The point rounded to ~1 km; null in a row the backfill has not reached yet. */
    areaLat: real("area_lat"),
    areaLng: real("area_lng"),
    /** Legacy: the area point (exact in rows not backfilled yet); dropped after the backfill. */
    lat: real("lat").notNull(),
    lng: real("lng").notNull(),
  };
}

/**
 * A row whose exact point is still (or again) in the clear: never sealed, or its clear columns
 * written by a Worker older than `coords_enc` after it was sealed. The backfill seals these.
 */
export const COORDS_PENDING_SQL = "coords_enc IS NULL OR area_lat IS NULL OR area_lng IS NULL OR lat <> area_lat OR lng <> area_lng";
const COORDS_PENDING = sql.raw(COORDS_PENDING_SQL);

export const addresses = sqliteTable(
  "addresses",
  {
    id: text("id").primaryKey(),
    accountId: text("account_id")
      .notNull()
      .references(() => accounts.id),
    label: text("label").notNull(),
    textEnc: text("text_enc").notNull(),
    ...coordinateColumns(),
    cell: text("cell").notNull(),
    contactNameEnc: text("contact_name_enc").notNull(),
    contactPhoneEnc: text("contact_phone_enc").notNull(),
    deletedAt: integer("deleted_at"),
    createdAt: createdAt(),
    updatedAt: updatedAt(),
  },
  (t) => [index("addresses_account_idx").on(t.accountId), index("addresses_coords_pending_idx").on(t.id).where(COORDS_PENDING)],
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
    /** Night, holiday and distance surcharge rules (see domain/pricing). */
    surcharges: text("surcharges", { mode: "json" }).$type<SurchargeRules>().notNull().default({}),
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
/**
 * The append-only, hash-chained audit log. An entry is written with the next sequence number and
 * no hash, then sealed: its hash chains it to the entry before it (see audit.repo), so appends never
 * contend for the head of the chain.
 */
export const auditLog = sqliteTable(
  "audit_log",
  {
    seq: integer("seq").primaryKey(),
    at: integer("at").notNull(),
    actorId: text("actor_id"),
    action: text("action").notNull(),
    targetType: text("target_type").notNull(),
    targetId: text("target_id").notNull(),
    data: text("data", { mode: "json" }).$type<Record<string, unknown>>().notNull(),
    /** Null until the entry is sealed (moments after it is written). */
    prevHash: text("prev_hash"),
    hash: text("hash"),
  },
  // Only the entries still to seal (a handful at any time): sealing finds them without reading the sealed chain.
  (t) => [
    index("audit_log_unsealed_idx").on(t.seq).where(isNull(t.hash)),
    // A data request's trail on the personal-data screen (src/privacy) reads one target's entries.
    index("audit_log_target_idx").on(t.targetType, t.targetId, t.seq),
  ],
);

// ——— Orders ———

export const orders = sqliteTable(
  "orders",
  {
    id: text("id").primaryKey(),
    customerId: text("customer_id")
      .notNull()
      .references(() => accounts.id),
    serviceId: text("service_id")
      .notNull()
      .references(() => services.id),
    merchantId: text("merchant_id").references(() => merchants.id),
    cityId: text("city_id")
      .notNull()
      .references(() => cities.id),
    /** The H3 cell of the address: the cell that runs this order's dispatch timers. */
    cell: text("cell").notNull(),
    addressId: text("address_id")
      .notNull()
      .references(() => addresses.id),
    /** The address as it was when booked (text and contact), encrypted: later edits do not move the visit. */
    addressEnc: text("address_enc").notNull(),
    ...coordinateColumns(),
    startAt: integer("start_at").notNull(),
    endAt: integer("end_at").notNull(),
    /** The start as booked; a reschedule moves `startAt`, never this (null: booked before it was kept). */
    bookedStartAt: integer("booked_start_at"),
    /** A flexible-window order: the window the customer accepted (UTC ms; null: a fixed-time order). docs/flexible-windows.md */
    windowStartAt: integer("window_start_at"),
    windowEndAt: integer("window_end_at"),
    /**
     * The most a cancellation may refund (percent) after the customer rescheduled: the policy's tier
     * at the moment of each reschedule, the lowest kept (null: never rescheduled).
     */
    refundCapPercent: integer("refund_cap_percent"),
    units: integer("units").notNull(),
    extras: text("extras", { mode: "json" }).$type<string[]>().notNull(),
    /** `fundedBy: "merchant"` marks a merchant-funded discount (off the merchant's share in the split, src/money/money-writes.ts). */
    lines: text("lines", { mode: "json" }).$type<{ code: string; label: string; amount: number; fundedBy?: "merchant" }[]>().notNull(),
    total: integer("total").notNull(),
    currency: text("currency").notNull(),
    paymentPlan: text("payment_plan", { enum: ["full", "deposit", "after_service"] }).notNull(),
    status: text("status", { enum: ORDER_STATUSES }).notNull(),
    dispatchMode: text("dispatch_mode").$type<DispatchMode>().notNull(),
    /** The technician whose calendar holds this order's interval. */
    technicianId: text("technician_id").references(() => technicians.id),
    /** The calendar key of that interval (one per dispatch round, so two rounds never collide). */
    holdKey: text("hold_key"),
    /** The technicians already offered this order (re-dispatch skips them). */
    triedTechnicians: text("tried_technicians", { mode: "json" }).$type<string[]>().notNull().default([]),
    /** How many technicians have been tried. */
    dispatchRound: integer("dispatch_round").notNull().default(0),
    /** Why the order waits in the operator exception queue (null = not there). */
    exception: text("exception"),
    holdExpiresAt: integer("hold_expires_at"),
    acceptBy: integer("accept_by"),
    /** Shown to the customer; the technician needs it to start the work. Encrypted. */
    startCodeEnc: text("start_code_enc").notNull(),
    /** Wrong start codes tried since the code was issued; START_CODE_MAX_ATTEMPTS of them lock it. */
    startCodeFailures: integer("start_code_failures").notNull().default(0),
    /** When wrong codes locked the start code (null: not locked); a new code or staff unlock it. */
    startCodeLockedAt: integer("start_code_locked_at"),
    notes: text("notes"),
    cancelReason: text("cancel_reason"),
    /** When the technician completed the visit (the reveal grace runs from here). */
    completedAt: integer("completed_at"),
    /** The refund the cancellation policy grants, decided at cancellation. */
    refundDecision: text("refund_decision", { mode: "json" }).$type<{
      percent: number;
      amount: number;
      visitFee: number;
      reason: string;
    } | null>(),
    /** Optimistic concurrency: every change bumps it; writes name the version they read. */
    version: integer("version").notNull().default(1),
    /** The timeline entry of the last change: the batch writes the entry only if its change won. */
    lastEventId: text("last_event_id").notNull(),
    createdAt: createdAt(),
    updatedAt: updatedAt(),
  },
  (t) => [
    index("orders_customer_idx").on(t.customerId, t.id),
    // The caps on a customer's unpaid orders (booking.repo fewerOpenOrders) count by status, not through their history.
    index("orders_customer_status_idx").on(t.customerId, t.status, t.paymentPlan),
    index("orders_technician_idx").on(t.technicianId, t.startAt),
    index("orders_merchant_idx").on(t.merchantId, t.id),
    index("orders_status_idx").on(t.status, t.startAt),
    index("orders_exception_idx").on(t.exception),
    // Costs that do not grow with history: a cell's hold key names one order (its expiry and its
    // payment find it), dispatch reads a technician's completed orders of the last week, reports
    // read one city's orders of a date range.
    index("orders_hold_key_idx").on(t.holdKey),
    index("orders_technician_status_idx").on(t.technicianId, t.status, t.updatedAt),
    index("orders_city_start_idx").on(t.cityId, t.startAt),
    index("orders_coords_pending_idx").on(t.id).where(COORDS_PENDING),
    // The operator metrics screen counts a city's bookings per hour of the last day.
    index("orders_city_created_idx").on(t.cityId, t.createdAt),
  ],
);

/**
 * Number privacy (隐私号): the virtual number X binding an order's contact (A) and its technician
 * (B) at the provider, one row per binding for one technician of the order. `pending` wants a
 * binding not made yet (retried at `next_attempt_at`), `active` is bound (until `unbound_at`),
 * `released` ended (or never bound), `skipped` cannot be bound (a number the provider refuses).
 * No real phone number is stored here: they are read from the order and the account when binding.
 */
export const numberBindings = sqliteTable(
  "number_bindings",
  {
    id: text("id").primaryKey(),
    orderId: text("order_id")
      .notNull()
      .references(() => orders.id),
    technicianId: text("technician_id")
      .notNull()
      .references(() => technicians.id),
    status: text("status", { enum: ["pending", "active", "released", "skipped"] }).notNull(),
    provider: text("provider", { enum: ["aliyun"] }).notNull(),
    /** The provider's pool the binding was made in (unbinding names it). */
    poolKey: text("pool_key").notNull(),
    /** The provider's id of the binding (Aliyun SubsId). */
    subsId: text("subs_id"),
    /** The virtual number X as the provider writes it. */
    secretNo: text("secret_no"),
    /** When the provider drops the binding by itself. */
    expiresAt: integer("expires_at"),
    /** Calls to the provider for this row (bind and unbind). */
    attempts: integer("attempts").notNull().default(0),
    /** When a failed bind or unbind is tried again (null: at once). */
    nextAttemptAt: integer("next_attempt_at"),
    /** A worker owns the row until then (one call to the provider at a time). */
    leaseUntil: integer("lease_until"),
    /** The provider's last error code (never a number). */
    lastError: text("last_error"),
    createdAt: createdAt(),
    updatedAt: updatedAt(),
    boundAt: integer("bound_at"),
    unboundAt: integer("unbound_at"),
  },
  (t) => [
    index("number_bindings_order_idx").on(t.orderId, t.status),
    index("number_bindings_due_idx").on(t.status, t.nextAttemptAt),
    // At most one live binding per order and technician, however many workers try at once.
    uniqueIndex("number_bindings_live_uq")
      .on(t.orderId, t.technicianId)
      .where(sql`status in ('pending', 'active')`),
  ],
);

/** The order timeline: every status change with actor, time and reason. */
export const orderEvents = sqliteTable(
  "order_events",
  {
    id: text("id").primaryKey(),
    orderId: text("order_id")
      .notNull()
      .references(() => orders.id),
    at: integer("at").notNull(),
    actorType: text("actor_type", { enum: ["customer", "technician", "operator", "merchant", "system"] }).notNull(),
    actorId: text("actor_id"),
    fromStatus: text("from_status"),
    toStatus: text("to_status").notNull(),
    reason: text("reason").notNull(),
    data: text("data", { mode: "json" }).$type<Record<string, unknown>>().notNull(),
  },
  (t) => [
    index("order_events_order_idx").on(t.orderId, t.at),
    // Dispatch reads a technician's recent accepts and declines (acceptance rate) by actor and time.
    index("order_events_actor_idx").on(t.actorId, t.at),
  ],
);

/** Every dispatch decision with its candidates and their score breakdown. */
export const dispatchDecisions = sqliteTable(
  "dispatch_decisions",
  {
    id: text("id").primaryKey(),
    // No foreign key: the booking decision is recorded before the order row is written.
    orderId: text("order_id").notNull(),
    round: integer("round").notNull(),
    mode: text("mode").notNull(),
    chosenTechnicianId: text("chosen_technician_id"),
    reason: text("reason").notNull(),
    candidates: text("candidates", { mode: "json" }).$type<unknown[]>().notNull(),
    createdAt: createdAt(),
  },
  (t) => [
    index("dispatch_decisions_order_idx").on(t.orderId, t.round),
    // The operator metrics screen counts dispatch outcomes per hour of the last day.
    index("dispatch_decisions_created_idx").on(t.createdAt),
  ],
);

/** Stored answers of idempotent requests, per caller and key. */
export const idempotencyKeys = sqliteTable(
  "idempotency_keys",
  {
    accountId: text("account_id").notNull(),
    key: text("key").notNull(),
    requestHash: text("request_hash").notNull(),
    state: text("state", { enum: ["in_flight", "done"] }).notNull(),
    statusCode: integer("status_code"),
    body: text("body"),
    createdAt: createdAt(),
    /**
     * The request running under the key (in flight): only it may answer or release the key, and an
     * order write it makes is guarded on still holding it. Null for keys claimed before leases.
     */
    claimId: text("claim_id"),
    /** Past this a claim still in flight is taken to have died: a retry may take the key over. */
    leaseUntil: integer("lease_until"),
  },
  (t) => [primaryKey({ columns: [t.accountId, t.key] })],
);

/** Messages written in the same batch as the change that caused them, then sent to the queue. */
export const outbox = sqliteTable(
  "outbox",
  {
    id: text("id").primaryKey(),
    topic: text("topic").notNull(),
    payload: text("payload", { mode: "json" }).$type<OutboxMessage["payload"]>().notNull(),
    createdAt: createdAt(),
    /** When the notifications consumer took the message (or the cron's backstop sent it); null until then. */
    sentAt: integer("sent_at"),
    /** A drain that took the message owns it until then; past it, another drain may send it. */
    claimedUntil: integer("claimed_until"),
    /** Failed delivery attempts so far, and the last failure (for operators and dead letters). */
    attempts: integer("attempts").notNull().default(0),
    lastError: text("last_error"),
  },

  (t) => [index("outbox_unsent_idx").on(t.sentAt, t.createdAt)],
);

/** A change asked for during a visit that the other side must approve: an extra charge, a new time. */
export const orderChanges = sqliteTable(
  "order_changes",
  {
    id: text("id").primaryKey(),
    orderId: text("order_id")
      .notNull()
      .references(() => orders.id),
    kind: text("kind", { enum: ["extra_charge", "time_change"] }).notNull(),
    requestedBy: text("requested_by").notNull(),
    payload: text("payload", { mode: "json" }).$type<Record<string, unknown>>().notNull(),
    status: text("status", { enum: ["pending", "approved", "rejected", "withdrawn"] }).notNull(),
    decidedAt: integer("decided_at"),
    createdAt: createdAt(),
  },
  (t) => [index("order_changes_order_idx").on(t.orderId, t.status)],
);

/** Photos taken during a visit (check-in, completion), stored in R2. */
export const orderPhotos = sqliteTable(
  "order_photos",
  {
    id: text("id").primaryKey(),
    orderId: text("order_id")
      .notNull()
      .references(() => orders.id),
    /** arrive, complete: the technician's; review: the customer's, for their review. */
    kind: text("kind", { enum: ["arrive", "complete", "review"] }).notNull(),
    r2Key: text("r2_key").notNull(),
    contentType: text("content_type").notNull(),
    size: integer("size").notNull(),
    createdBy: text("created_by").notNull(),
    createdAt: createdAt(),
  },
  (t) => [
    index("order_photos_order_idx").on(t.orderId),
    // Retention (src/privacy) deletes the oldest visit photos first, a bounded page per run.
    index("order_photos_created_idx").on(t.createdAt),
  ],
);

/** The in-app notification centre. */
export const notifications = sqliteTable(
  "notifications",
  {
    id: text("id").primaryKey(),
    accountId: text("account_id").notNull(),
    kind: text("kind").notNull(),
    title: text("title", { mode: "json" }).$type<{ zh: string; en: string }>().notNull(),
    body: text("body", { mode: "json" }).$type<{ zh: string; en: string }>().notNull(),
    data: text("data", { mode: "json" }).$type<Record<string, unknown>>().notNull(),
    /** The outbox message and notice it came from (`<messageId>#<kind>`): a redelivered message adds nothing. */
    sourceId: text("source_id").notNull(),
    readAt: integer("read_at"),
    createdAt: createdAt(),
  },
  (t) => [index("notifications_account_idx").on(t.accountId, t.id), uniqueIndex("notifications_source_uq").on(t.sourceId, t.accountId)],
);

/**
 * An account's devices for push notices: one row per provider token (a token re-registered by
 * another account moves to it). Several devices per account.
 */
export const pushDevices = sqliteTable(
  "push_devices",
  {
    id: text("id").primaryKey(),
    accountId: text("account_id").notNull(),
    platform: text("platform", { enum: ["ios", "android", "web"] }).notNull(),
    provider: text("provider", { enum: ["jpush", "fcm"] }).notNull(),
    token: text("token").notNull(),
    appVersion: text("app_version").notNull(),
    createdAt: createdAt(),
    updatedAt: integer("updated_at").notNull(),
  },
  (t) => [index("push_devices_account_idx").on(t.accountId, t.id), uniqueIndex("push_devices_token_uq").on(t.provider, t.token)],
);

/**
 * WeChat identities bound to accounts: the openid a mini program (`appid`) knows the person by, and
 * the unionid when the app belongs to an open-platform account. One openid per app and account;
 * an openid belongs to one account. `lang` is the language the person used when they last signed
 * in or bound (subscribe messages go out in it). The session key is never stored.
 */
export const wechatBindings = sqliteTable(
  "wechat_bindings",
  {
    appid: text("appid").notNull(),
    openid: text("openid").notNull(),
    accountId: text("account_id")
      .notNull()
      .references(() => accounts.id),
    unionid: text("unionid"),
    lang: text("lang", { enum: ["zh", "en"] })
      .notNull()
      .default("zh"),
    createdAt: createdAt(),
    updatedAt: updatedAt(),
  },
  (t) => [
    primaryKey({ columns: [t.appid, t.openid] }),
    uniqueIndex("wechat_bindings_account_app_uq").on(t.accountId, t.appid),
    index("wechat_bindings_unionid_idx").on(t.unionid),
  ],
);

/** Messages a queue (notifications or cell events) gave up on, kept for operators to replay. */
export const deadLetters = sqliteTable("dead_letters", {
  id: text("id").primaryKey(),
  /** The queue that gave up on the message: notifications, or cell events (then topic is the event type). */
  queue: text("queue").notNull().default("doorstep-notifications"),
  topic: text("topic").notNull(),
  payload: text("payload", { mode: "json" }).$type<Record<string, unknown>>().notNull(),
  error: text("error").notNull(),
  attempts: integer("attempts").notNull(),
  createdAt: createdAt(),
  replayedAt: integer("replayed_at"),
});

/** Technicians a customer likes: dispatch prefers them. */
export const favourites = sqliteTable(
  "favourites",
  {
    accountId: text("account_id").notNull(),
    technicianId: text("technician_id").notNull(),
    createdAt: createdAt(),
  },
  (t) => [primaryKey({ columns: [t.accountId, t.technicianId] })],
);

// ——— Money ———

/**
 * One attempt to pay an order (a stage: full, deposit or balance) through one provider. Its id is
 * the provider's `out_trade_no` (WeChat Pay, Alipay) or the PaymentIntent's `metadata.paymentId`.
 */
export const payments = sqliteTable(
  "payments",
  {
    id: text("id").primaryKey(),
    /** What is paid for: an order, or a customer's package (exactly one of the two; CHECK). */
    orderId: text("order_id").references(() => orders.id),
    packageId: text("package_id"),
    customerId: text("customer_id").notNull(),
    merchantId: text("merchant_id"),
    provider: text("provider", { enum: PAYMENT_PROVIDERS }).notNull(),
    /** How the app pays: WeChat `jsapi`/`app`, Alipay `app`, Stripe and sandbox `default`. */
    channel: text("channel").notNull(),
    stage: text("stage", { enum: PAYMENT_STAGES }).notNull(),
    amount: integer("amount").notNull(),
    currency: text("currency").notNull(),
    status: text("status", { enum: PAYMENT_STATUSES }).notNull(),
    /** The provider's handle of the pending payment: prepay_id, PaymentIntent id, Alipay order string hash. */
    providerRef: text("provider_ref"),
    /** The provider's transaction id once paid (transaction_id, trade_no, charge/PaymentIntent id). */
    providerTxnId: text("provider_txn_id"),
    /** What the app needs to pay, as returned when the payment was created. */
    clientParams: text("client_params", { mode: "json" }).$type<Record<string, unknown>>().notNull(),
    /** The provider event (or query) that marked it paid: later writes of that change are guarded by it. */
    successEventId: text("success_event_id"),
    succeededAt: integer("succeeded_at"),
    /**
     * What the paid money did: `applied` to its order, or refunded in full because it came too late
     * (`refunded_late`) or paid a stage twice (`refunded_duplicate`). Null until decided.
     */
    disposition: text("disposition", { enum: ["applied", "refunded_late", "refunded_duplicate"] }),
    /** The order event or refund that decided the disposition (guards the writes of that decision). */
    dispositionRef: text("disposition_ref"),
    createdAt: createdAt(),
    updatedAt: updatedAt(),
  },
  (t) => [
    index("payments_order_idx").on(t.orderId, t.createdAt),
    index("payments_status_idx").on(t.status, t.createdAt),
    index("payments_disposition_idx").on(t.status, t.disposition),
    index("payments_package_idx").on(t.packageId, t.createdAt),
    check("payments_subject_ck", sql`(${t.orderId} IS NULL) <> (${t.packageId} IS NULL)`),
  ],
);

/** Every verified provider notification (and reconciliation query) applied: the deduplication record. */
export const providerEvents = sqliteTable(
  "provider_events",
  {
    provider: text("provider").notNull(),
    eventId: text("event_id").notNull(),
    type: text("type").notNull(),
    paymentId: text("payment_id"),
    refundId: text("refund_id"),
    /** The verified (decrypted) content the decision was made on. */
    data: text("data", { mode: "json" }).$type<Record<string, unknown>>().notNull(),
    receivedAt: integer("received_at").notNull(),
  },
  (t) => [primaryKey({ columns: [t.provider, t.eventId] }), index("provider_events_payment_idx").on(t.paymentId)],
);

/** Money going back to a customer through the provider that took it. Its id is the provider's out_refund_no. */
export const refunds = sqliteTable(
  "refunds",
  {
    id: text("id").primaryKey(),
    /** What the refund gives back money of: an order, or a customer's package (as its payment). */
    orderId: text("order_id").references(() => orders.id),
    packageId: text("package_id"),
    paymentId: text("payment_id")
      .notNull()
      .references(() => payments.id),
    customerId: text("customer_id").notNull(),
    merchantId: text("merchant_id"),
    provider: text("provider", { enum: PAYMENT_PROVIDERS }).notNull(),
    kind: text("kind", { enum: REFUND_KINDS }).notNull(),
    amount: integer("amount").notNull(),
    currency: text("currency").notNull(),
    status: text("status", { enum: REFUND_STATUSES }).notNull(),
    reason: text("reason").notNull(),
    requestedBy: text("requested_by"),
    decidedBy: text("decided_by"),
    decidedAt: integer("decided_at"),
    providerRefundId: text("provider_refund_id"),
    /** Whether the order's split had already happened: then the refund takes back the shares. */
    afterSplit: integer("after_split", { mode: "boolean" }).notNull().default(false),
    /** The id of its last change (a provider event, an approval): the writes of that change guard on it. */
    changeId: text("change_id"),
    succeededAt: integer("succeeded_at"),
    failureReason: text("failure_reason"),
    createdAt: createdAt(),
    updatedAt: updatedAt(),
  },
  (t) => [
    index("refunds_order_idx").on(t.orderId, t.createdAt),
    index("refunds_status_idx").on(t.status, t.createdAt),
    index("refunds_merchant_idx").on(t.merchantId, t.id),
    index("refunds_package_idx").on(t.packageId, t.createdAt),
    check("refunds_subject_ck", sql`(${t.orderId} IS NULL) <> (${t.packageId} IS NULL)`),
  ],
);

/** Ledger accounts, created on first use. Codes: `kind` or `kind:owner` (e.g. `technician_payable:tch_…`). */
export const ledgerAccounts = sqliteTable("ledger_accounts", {
  code: text("code").primaryKey(),
  kind: text("kind", { enum: LEDGER_ACCOUNT_KINDS }).notNull(),
  type: text("type", { enum: ["asset", "liability", "revenue", "expense"] }).notNull(),
  ownerId: text("owner_id"),
  createdAt: createdAt(),
});

/** One balanced double-entry transaction. `(kind, ref)` is unique: the same money moves once. */
export const ledgerTransactions = sqliteTable(
  "ledger_transactions",
  {
    id: text("id").primaryKey(),
    kind: text("kind", { enum: LEDGER_TX_KINDS }).notNull(),
    /** The thing that moved the money: a payment, refund, order (split) or withdrawal id. */
    ref: text("ref").notNull(),
    orderId: text("order_id"),
    merchantId: text("merchant_id"),
    serviceId: text("service_id"),
    technicianId: text("technician_id"),
    provider: text("provider"),
    currency: text("currency").notNull(),
    memo: text("memo").notNull(),
    createdAt: createdAt(),
  },
  (t) => [
    uniqueIndex("ledger_tx_ref_uq").on(t.kind, t.ref),
    index("ledger_tx_order_idx").on(t.orderId),
    index("ledger_tx_created_idx").on(t.createdAt),
    index("ledger_tx_merchant_idx").on(t.merchantId, t.createdAt),
  ],
);

/** Entries: debit positive, credit negative; the entries of one transaction sum to zero. */
export const ledgerEntries = sqliteTable(
  "ledger_entries",
  {
    id: text("id").primaryKey(),
    txId: text("tx_id")
      .notNull()
      .references(() => ledgerTransactions.id),
    account: text("account")
      .notNull()
      .references(() => ledgerAccounts.code),
    amount: integer("amount").notNull(),
    orderId: text("order_id"),
    /** When the amount may be withdrawn (technician earnings wait a settlement delay). */
    availableAt: integer("available_at").notNull(),
    createdAt: createdAt(),
  },
  (t) => [
    index("ledger_entries_tx_idx").on(t.txId),
    index("ledger_entries_account_idx").on(t.account, t.availableAt),
    index("ledger_entries_order_idx").on(t.orderId, t.account),
  ],
);

/** A technician asking for their available earnings; operators approve, the payout provider pays. */
export const withdrawals = sqliteTable(
  "withdrawals",
  {
    id: text("id").primaryKey(),
    technicianId: text("technician_id")
      .notNull()
      .references(() => technicians.id),
    merchantId: text("merchant_id"),
    amount: integer("amount").notNull(),
    currency: text("currency").notNull(),
    status: text("status", { enum: WITHDRAWAL_STATUSES }).notNull(),
    payoutProvider: text("payout_provider").notNull(),
    payoutRef: text("payout_ref"),
    /** WeChat Pay's package_info of a transfer waiting for the technician to confirm it (WAIT_USER_CONFIRM). */
    confirmationPackage: text("confirmation_package"),
    /** The id of its last change: the writes of that change (the payout's ledger entries) guard on it. */
    changeId: text("change_id"),
    reason: text("reason"),
    decidedBy: text("decided_by"),
    decidedAt: integer("decided_at"),
    paidAt: integer("paid_at"),
    createdAt: createdAt(),
    updatedAt: updatedAt(),
  },
  (t) => [index("withdrawals_technician_idx").on(t.technicianId, t.createdAt), index("withdrawals_status_idx").on(t.status, t.createdAt)],
);

/**
 * Commission configuration. `scope` is `default`, `merchant:<id>` or `service:<id>`; a null rate
 * falls back to the wider scope (service → merchant → default → the Worker variables).
 */
export const commissionRules = sqliteTable("commission_rules", {
  scope: text("scope").primaryKey(),
  /** Platform take rate in basis points of the gross (2000 = 20 %). */
  takeRateBps: integer("take_rate_bps"),
  /** The technician's share of what is left after the platform, in basis points; the merchant keeps the rest. */
  technicianShareBps: integer("technician_share_bps"),
  updatedBy: text("updated_by"),
  createdAt: createdAt(),
  updatedAt: updatedAt(),
});

/**
 * The local payment provider client's own records (development, tests, demos): what a provider's
 * servers would know about a trade, refund or payout. Production clients ask the providers instead.
 */
export const localProviderRecords = sqliteTable("local_provider_records", {
  ref: text("ref").primaryKey(),
  provider: text("provider").notNull(),
  kind: text("kind", { enum: ["trade", "refund", "payout"] }).notNull(),
  amount: integer("amount").notNull(),
  state: text("state").notNull(),
  providerId: text("provider_id").notNull(),
  data: text("data", { mode: "json" }).$type<Record<string, unknown>>().notNull(),
  createdAt: createdAt(),
  updatedAt: updatedAt(),
});

/**
 * Each notice sent on an outside channel (SMS, push), so a redelivered queue message never sends
 * the same text twice. In-app notices are deduplicated by their own unique index.
 */
export const notificationDeliveries = sqliteTable(
  "notification_deliveries",
  {
    /** `<outbox message id>#<notice kind>`: one message may say two things to one person. */
    messageId: text("message_id").notNull(),
    accountId: text("account_id").notNull(),
    channel: text("channel", { enum: ["push", "sms", "wechat"] }).notNull(),
    kind: text("kind").notNull(),
    sentAt: integer("sent_at").notNull(),
  },
  (t) => [
    primaryKey({ columns: [t.messageId, t.accountId, t.channel] }),
    // Retention (src/privacy) deletes the oldest records first, a bounded page per run.
    index("notification_deliveries_sent_idx").on(t.sentAt),
  ],
);

/** Qualification documents of a technician (ID, certificates, health papers), bytes in R2. */
export const technicianDocuments = sqliteTable(
  "technician_documents",
  {
    id: text("id").primaryKey(),
    technicianId: text("technician_id")
      .notNull()
      .references(() => technicians.id),
    kind: text("kind", { enum: ["id_card", "certificate", "health", "other"] }).notNull(),
    r2Key: text("r2_key").notNull(),
    contentType: text("content_type").notNull(),
    size: integer("size").notNull(),
    /** Decided together with the technician's application (approve/reject), or one by one. */
    status: text("status", { enum: ["pending", "approved", "rejected"] }).notNull(),
    reviewReason: text("review_reason"),
    reviewedBy: text("reviewed_by"),
    reviewedAt: integer("reviewed_at"),
    uploadedBy: text("uploaded_by").notNull(),
    /** When the certificate stops being valid (ms); null: it does not expire. */
    expiresAt: integer("expires_at"),
    /** When the 30-day and the 7-day expiry reminders were written to the outbox (each once). */
    reminded30At: integer("reminded30_at"),
    reminded7At: integer("reminded7_at"),
    /** When the cron found it expired and took the skills it proves out of dispatch. */
    expiredAt: integer("expired_at"),
    createdAt: createdAt(),
  },
  (t) => [
    index("technician_documents_technician_idx").on(t.technicianId, t.id),
    index("technician_documents_expiry_idx")
      .on(t.expiresAt)
      .where(sql`${t.expiresAt} IS NOT NULL AND ${t.expiredAt} IS NULL`),
  ],
);

/** The document kinds a skill requires (e.g. `health` for nursing); operators edit them. */
export const skillRequiredDocuments = sqliteTable(
  "skill_required_documents",
  {
    skillCode: text("skill_code").notNull(),
    kind: text("kind", { enum: ["id_card", "certificate", "health", "other"] }).notNull(),
    createdBy: text("created_by").notNull(),
    createdAt: createdAt(),
  },
  (t) => [primaryKey({ columns: [t.skillCode, t.kind] })],
);

/**
 * A technician's proposed profile change (name, skills, service radius, service area): staff
 * approve or reject it. At most one pending per technician.
 */
export const technicianChangeRequests = sqliteTable(
  "technician_change_requests",
  {
    id: text("id").primaryKey(),
    technicianId: text("technician_id")
      .notNull()
      .references(() => technicians.id),
    /** The proposed values: name, skills, serviceRadiusKm, home (the new service area's centre, ~1 km). */
    changes: text("changes", { mode: "json" }).$type<Record<string, unknown>>().notNull(),
    /** The exact new home when the area changes, sealed for its row (table, field `home`, request id). */
    homeEnc: text("home_enc"),
    status: text("status", { enum: ["pending", "approved", "rejected", "withdrawn"] }).notNull(),
    reason: text("reason"),
    decidedBy: text("decided_by"),
    decidedAt: integer("decided_at"),
    createdAt: createdAt(),
  },
  (t) => [
    index("technician_change_requests_status_idx").on(t.status, t.id),
    uniqueIndex("technician_change_requests_pending_uq")
      .on(t.technicianId)
      .where(sql`${t.status} = 'pending'`),
  ],
);

/**
 * Where a technician's earnings are paid: one current account per technician and payout provider
 * (a WeChat openid, or an Alipay login id / user id with the real name). The account and the name
 * are PII ciphertext (fields `payee_account`, `payee_name`).
 */
export const technicianPayees = sqliteTable(
  "technician_payees",
  {
    technicianId: text("technician_id")
      .notNull()
      .references(() => technicians.id),
    provider: text("provider", { enum: ["wechatpay", "alipay"] }).notNull(),
    accountEnc: text("account_enc").notNull(),
    /** Alipay: ALIPAY_LOGON_ID or ALIPAY_USER_ID; WeChat Pay: null (an openid under WECHATPAY_APPID). */
    accountType: text("account_type", { enum: ["ALIPAY_LOGON_ID", "ALIPAY_USER_ID"] }),
    nameEnc: text("name_enc"),
    createdAt: createdAt(),
    updatedAt: updatedAt(),
  },
  (t) => [primaryKey({ columns: [t.technicianId, t.provider] })],
);

/**
 * A customer's review of a completed order (one per order): ratings in several dimensions, text
 * and photos. The overall score feeds the technician's rating, which dispatch scores on.
 */
export const reviews = sqliteTable(
  "reviews",
  {
    id: text("id").primaryKey(),
    orderId: text("order_id")
      .notNull()
      .references(() => orders.id),
    customerId: text("customer_id").notNull(),
    technicianId: text("technician_id")
      .notNull()
      .references(() => technicians.id),
    merchantId: text("merchant_id"),
    serviceId: text("service_id").notNull(),
    /** Each dimension 1–5. */
    ratings: text("ratings", { mode: "json" }).$type<{ quality: number; punctuality: number; attitude: number; value: number }>().notNull(),
    /** The mean of the dimensions × 100 (e.g. 475 = 4.75). */
    overallX100: integer("overall_x100").notNull(),
    text: text("text"),
    photoIds: text("photo_ids", { mode: "json" }).$type<string[]>().notNull(),
    /** Hidden by an operator (abuse, personal data): out of public lists and of the rating. */
    hiddenAt: integer("hidden_at"),
    hiddenReason: text("hidden_reason"),
    createdAt: createdAt(),
  },
  (t) => [
    uniqueIndex("reviews_order_uq").on(t.orderId),
    index("reviews_technician_idx").on(t.technicianId, t.id),
    index("reviews_merchant_idx").on(t.merchantId, t.id),
  ],
);

/**
 * Coupons customers enter when they ask for a quote: a fixed amount or a percentage off (capped),
 * for the whole platform or one merchant's or some services, within a window and usage limits.
 * The platform pays the discount (the ledger's coupon expense).
 */
export const coupons = sqliteTable(
  "coupons",
  {
    id: text("id").primaryKey(),
    /** Upper case, unique. */
    code: text("code").notNull(),
    name: text("name").notNull(),
    kind: text("kind", { enum: ["fixed", "percent"] }).notNull(),
    /** 分 off for `fixed`; percent off (1–100) for `percent`. */
    value: integer("value").notNull(),
    /** The most a `percent` coupon takes off, 分 (null: no cap). */
    maxDiscount: integer("max_discount"),
    /** The order subtotal it needs, 分. */
    minTotal: integer("min_total").notNull().default(0),
    /** Only this merchant's services (null: any). */
    merchantId: text("merchant_id"),
    /** Only these services (empty: any). */
    serviceIds: text("service_ids", { mode: "json" }).$type<string[]>().notNull(),
    startsAt: integer("starts_at").notNull(),
    endsAt: integer("ends_at").notNull(),
    /** Orders it may discount in all (null: no limit), and per customer. */
    totalLimit: integer("total_limit"),
    perCustomerLimit: integer("per_customer_limit").notNull().default(1),
    /** Orders it discounts now (cancelled orders give theirs back). */
    redeemed: integer("redeemed").notNull().default(0),
    active: integer("active", { mode: "boolean" }).notNull().default(true),
    createdBy: text("created_by").notNull(),
    /** The account whose wallet holds it: only that account may use it (null: a code anyone may enter). */
    accountId: text("account_id"),
    /** The campaign it was issued by; its discounts count against the campaign's budget. */
    campaignId: text("campaign_id"),
    /** How it came to be: a typed code, a campaign (by staff or by rule), staff, a ticket, a referral. */
    source: text("source", { enum: COUPON_SOURCES }).notNull().default("code"),
    /** Who pays its discounts: the platform, or its merchant (taken off the merchant's share; its campaign's funding). */
    fundedBy: text("funded_by", { enum: ["platform", "merchant"] })
      .notNull()
      .default("platform"),
    /** Makes issuing idempotent (e.g. `<campaign>:<account>`; a birthday adds the year); null: not keyed. */
    issueKey: text("issue_key"),
    createdAt: createdAt(),
    updatedAt: updatedAt(),
  },
  (t) => [
    uniqueIndex("coupons_code_uq").on(t.code),
    uniqueIndex("coupons_issue_key_uq").on(t.issueKey),
    index("coupons_account_idx").on(t.accountId, t.id),
    index("coupons_campaign_idx").on(t.campaignId, t.id),
  ],
);

/**
 * A campaign: coupons on the same terms issued to accounts by a rule (`new_customer`: no order yet;
 * `win_back`: no order in `winBackDays`; `birthday`: the account's birthday, once a year), by staff
 * (`POST /v1/campaigns/{id}/issue`), or, for a `promotion`, one public code any customer may use
 * (满减: `minTotal` with a fixed value; or a discount on some services). A merchant's campaigns stay
 * within the limits operators set for that merchant (`campaign_limits`). Every redemption adds its
 * discount to `spent` in the order's batch, only while `spent` stays within `budget`.
 */
export const campaigns = sqliteTable(
  "campaigns",
  {
    id: text("id").primaryKey(),
    /** The merchant that runs it (only its services); null: the platform's. */
    merchantId: text("merchant_id"),
    kind: text("kind", { enum: CAMPAIGN_KINDS }).notNull(),
    nameZh: text("name_zh").notNull(),
    nameEn: text("name_en").notNull(),
    couponKind: text("coupon_kind", { enum: ["fixed", "percent"] }).notNull(),
    value: integer("value").notNull(),
    maxDiscount: integer("max_discount"),
    minTotal: integer("min_total").notNull().default(0),
    serviceIds: text("service_ids", { mode: "json" }).$type<string[]>().notNull(),
    /** How long an issued coupon stays valid, days. */
    validDays: integer("valid_days").notNull(),
    /** `win_back`: the days without an order that make a customer eligible. */
    winBackDays: integer("win_back_days"),
    /** The most its coupons may take off in all, 分, and what they take off now (cancelled orders give theirs back). */
    budget: integer("budget").notNull(),
    spent: integer("spent").notNull().default(0),
    /** A `promotion`'s public coupon (its code). */
    couponId: text("coupon_id"),
    /** Who pays its coupons' discounts: the platform, or the campaign's merchant (off its share in the split). */
    fundedBy: text("funded_by", { enum: ["platform", "merchant"] })
      .notNull()
      .default("platform"),
    startsAt: integer("starts_at").notNull(),
    endsAt: integer("ends_at").notNull(),
    active: integer("active", { mode: "boolean" }).notNull().default(true),
    createdBy: text("created_by").notNull(),
    createdAt: createdAt(),
    updatedAt: updatedAt(),
  },
  (t) => [index("campaigns_merchant_idx").on(t.merchantId, t.id), index("campaigns_kind_idx").on(t.kind, t.active)],
);

/** What a merchant's campaigns may do, set by operators; a merchant without a row runs none. */
export const campaignLimits = sqliteTable("campaign_limits", {
  merchantId: text("merchant_id").primaryKey(),
  /** The largest budget of one campaign, 分. */
  maxBudget: integer("max_budget").notNull(),
  /** The largest fixed discount, 分, and the largest percentage. */
  maxValue: integer("max_value").notNull(),
  maxPercent: integer("max_percent").notNull(),
  updatedBy: text("updated_by").notNull(),
  updatedAt: updatedAt(),
});

/** A customer's birthday (month and day, `MM-DD`), for birthday campaigns. */
export const birthdays = sqliteTable(
  "birthdays",
  {
    accountId: text("account_id").primaryKey(),
    monthDay: text("month_day").notNull(),
    updatedAt: updatedAt(),
  },
  (t) => [index("birthdays_month_day_idx").on(t.monthDay)],
);

/** Each account's share code (made the first time it is asked for). */
export const referralCodes = sqliteTable(
  "referral_codes",
  {
    accountId: text("account_id").primaryKey(),
    code: text("code").notNull(),
    createdAt: createdAt(),
  },
  (t) => [uniqueIndex("referral_codes_code_uq").on(t.code)],
);

/**
 * A new customer who signed up with someone's share code. Decided once, by the cron, after the
 * new customer's first completed order: `rewarded` (both get a coupon) or `refused` with the fraud
 * guard's reason (`same_device`, `same_address`, `same_payment_account`).
 */
export const referrals = sqliteTable(
  "referrals",
  {
    refereeId: text("referee_id").primaryKey(),
    referrerId: text("referrer_id").notNull(),
    status: text("status", { enum: ["pending", "rewarded", "refused"] }).notNull(),
    reason: text("reason"),
    orderId: text("order_id"),
    createdAt: createdAt(),
    decidedAt: integer("decided_at"),
  },
  (t) => [index("referrals_referrer_idx").on(t.referrerId), index("referrals_status_idx").on(t.status, t.createdAt)],
);

/** The devices (keyed hash of the app's `X-Device-Id`) an account used its share code or claimed one from. */
export const referralDevices = sqliteTable(
  "referral_devices",
  {
    accountId: text("account_id").notNull(),
    deviceHash: text("device_hash").notNull(),
    createdAt: createdAt(),
  },
  (t) => [primaryKey({ columns: [t.accountId, t.deviceHash] }), index("referral_devices_hash_idx").on(t.deviceHash)],
);

/** A coupon applied to an order: written with the order, released when the order is cancelled. */
export const couponRedemptions = sqliteTable(
  "coupon_redemptions",
  {
    orderId: text("order_id").primaryKey(),
    couponId: text("coupon_id")
      .notNull()
      .references(() => coupons.id),
    customerId: text("customer_id").notNull(),
    /** The discount, 分. */
    amount: integer("amount").notNull(),
    status: text("status", { enum: ["applied", "released"] }).notNull(),
    createdAt: createdAt(),
    releasedAt: integer("released_at"),
  },
  (t) => [index("coupon_redemptions_coupon_idx").on(t.couponId, t.customerId, t.status)],
);

/**
 * One reconciliation of a provider's daily statement (对账单) against our payments and refunds: one
 * row per provider and day (Asia/Shanghai), replaced by every rerun. `failed` keeps the error and
 * is tried again by the cron; the mismatches of the last good run stay until a run replaces them.
 */
export const statementRuns = sqliteTable(
  "statement_runs",
  {
    id: text("id").primaryKey(),
    provider: text("provider", { enum: PAYMENT_PROVIDERS }).notNull(),
    /** YYYY-MM-DD, the statement's day in Asia/Shanghai. */
    day: text("day").notNull(),
    /** Where the lines came from: the provider's bill, or the local provider's own records. */
    source: text("source", { enum: ["wechatpay_bill", "alipay_bill", "local"] }).notNull(),
    status: text("status", { enum: ["succeeded", "failed"] }).notNull(),
    /** Lines of the statement: payments and refunds, and their totals (分), of the last good run. */
    payments: integer("payments").notNull().default(0),
    refunds: integer("refunds").notNull().default(0),
    paidTotal: integer("paid_total").notNull().default(0),
    refundedTotal: integer("refunded_total").notNull().default(0),
    /** The provider had no statement for the day (no trades): compared as an empty one. */
    empty: integer("empty", { mode: "boolean" }).notNull().default(false),
    /** Why the last attempt failed (a provider failure or an unreadable file); null after a good run. */
    error: text("error"),
    attempts: integer("attempts").notNull().default(0),
    attemptedAt: integer("attempted_at").notNull(),
    completedAt: integer("completed_at"),
    /** The operator who ran it last; null for the cron. */
    triggeredBy: text("triggered_by"),
    createdAt: createdAt(),
    updatedAt: updatedAt(),
  },
  (t) => [uniqueIndex("statement_runs_provider_day_idx").on(t.provider, t.day), index("statement_runs_day_idx").on(t.day)],
);

/** A difference the statement of a provider and day showed: one row per kind, subject and ref. */
export const statementMismatches = sqliteTable(
  "statement_mismatches",
  {
    id: text("id").primaryKey(),
    provider: text("provider", { enum: PAYMENT_PROVIDERS }).notNull(),
    day: text("day").notNull(),
    kind: text("kind", { enum: ["missing_here", "missing_at_provider", "amount_mismatch", "status_mismatch"] }).notNull(),
    subject: text("subject", { enum: ["payment", "refund"] }).notNull(),
    /** Our payment or refund id (the provider's out_trade_no / out_refund_no / out_request_no). */
    ref: text("ref").notNull(),
    orderId: text("order_id"),
    ourAmount: integer("our_amount"),
    ourStatus: text("our_status"),
    theirAmount: integer("their_amount"),
    theirStatus: text("their_status"),
    createdAt: createdAt(),
  },
  (t) => [
    uniqueIndex("statement_mismatches_key_idx").on(t.provider, t.day, t.subject, t.ref, t.kind),
    index("statement_mismatches_ref_idx").on(t.provider, t.kind, t.subject, t.ref),
  ],
);

/**
 * What a served order still waits to be paid: one row per completed order whose total was not
 * collected at completion (pay after service, an unpaid balance, approved extras). While a row is
 * unsettled the customer cannot book again; the reminder and the exception queue run from it.
 */
export const paymentDues = sqliteTable(
  "payment_dues",
  {
    orderId: text("order_id")
      .primaryKey()
      .references(() => orders.id),
    customerId: text("customer_id").notNull(),
    merchantId: text("merchant_id"),
    /** Since when it is due (the completion). */
    createdAt: createdAt(),
    remindedAt: integer("reminded_at"),
    /** When it went to the operators' exception queue (PAYMENT_DUE_EXCEPTION_HOURS after completion). */
    escalatedAt: integer("escalated_at"),
    /** When the order's total was collected in full, or the rest waived. */
    settledAt: integer("settled_at"),
    /** Staff waived what was still due (audited `due.waive`): when, who, why, and how much. */
    waivedAt: integer("waived_at"),
    waivedBy: text("waived_by"),
    waiveReason: text("waive_reason"),
    waivedAmount: integer("waived_amount"),
  },
  (t) => [index("payment_dues_customer_idx").on(t.customerId, t.settledAt), index("payment_dues_open_idx").on(t.settledAt, t.createdAt)],
);

/** Cash a technician collected for an order where its service allows cash (audited). */
export const cashCollections = sqliteTable(
  "cash_collections",
  {
    id: text("id").primaryKey(),
    orderId: text("order_id")
      .notNull()
      .references(() => orders.id),
    technicianId: text("technician_id").notNull(),
    amount: integer("amount").notNull(),
    currency: text("currency").notNull(),
    /** The account that recorded it (the technician's). */
    recordedBy: text("recorded_by").notNull(),
    createdAt: createdAt(),
  },
  (t) => [index("cash_collections_order_idx").on(t.orderId)],
);

/**
 * Settings operators change from the dashboard, overriding a Worker variable until cleared: `key`
 * names it (`dispatch.weights` for DISPATCH_WEIGHTS), `value` is its JSON.
 */
export const settings = sqliteTable("settings", {
  key: text("key").primaryKey(),
  value: text("value", { mode: "json" }).$type<unknown>().notNull(),
  updatedBy: text("updated_by"),
  updatedAt: updatedAt(),
});
// ——— Outbound webhooks ———

/**
 * An integrator's subscription: a URL that hears some event types, for one merchant's orders
 * (`merchantId`) or for every order (null: the platform's). The signing secret is sealed to its row
 * (Pii); during a rotation's overlap the previous secret signs too, until `previousSecretUntil`.
 */
export const webhookSubscriptions = sqliteTable(
  "webhook_subscriptions",
  {
    id: text("id").primaryKey(),
    merchantId: text("merchant_id"),
    url: text("url").notNull(),
    events: text("events", { mode: "json" }).$type<string[]>().notNull(),
    description: text("description"),
    status: text("status", { enum: ["active", "paused", "deleted"] }).notNull(),
    secretEnc: text("secret_enc").notNull(),
    previousSecretEnc: text("previous_secret_enc"),
    previousSecretUntil: integer("previous_secret_until"),
    createdBy: text("created_by").notNull(),
    createdAt: createdAt(),
    updatedAt: updatedAt(),
  },
  (t) => [index("webhook_subscriptions_merchant_idx").on(t.merchantId, t.status)],
);

/**
 * One event for one subscription, and what sending it did: `attempts` counts every send (retries and
 * replays), the `last*` columns describe the latest; bodies are kept truncated.
 */
export const webhookDeliveries = sqliteTable(
  "webhook_deliveries",
  {
    id: text("id").primaryKey(),
    subscriptionId: text("subscription_id").notNull(),
    /** The subscription's merchant (null: a platform subscription), so lists are scoped without a join. */
    merchantId: text("merchant_id"),
    eventId: text("event_id").notNull(),
    eventType: text("event_type").notNull(),
    orderId: text("order_id"),
    /** The exact JSON body sent (every attempt sends the same bytes). */
    body: text("body").notNull(),
    status: text("status", { enum: ["pending", "retrying", "succeeded", "failed", "held"] }).notNull(),
    attempts: integer("attempts").notNull().default(0),
    lastStatusCode: integer("last_status_code"),
    lastLatencyMs: integer("last_latency_ms"),
    lastError: text("last_error"),
    lastResponse: text("last_response"),
    lastAttemptAt: integer("last_attempt_at"),
    nextRetryAt: integer("next_retry_at"),
    deliveredAt: integer("delivered_at"),
    createdAt: createdAt(),
    updatedAt: updatedAt(),
  },
  (t) => [
    uniqueIndex("webhook_deliveries_event_uq").on(t.subscriptionId, t.eventId),
    index("webhook_deliveries_merchant_idx").on(t.merchantId, t.id),
    index("webhook_deliveries_subscription_idx").on(t.subscriptionId, t.status, t.createdAt),
  ],
);

/**
 * Alerts sent to the operators' channel (ALERT_WEBHOOK_URL and their notification centre), one row
 * per alert key (`dead_letter:doorstep-notifications`, `exception_queue:<city>`, …): an alert whose
 * key was sent less than ALERT_DEDUP_MINUTES ago is only counted, not sent again.
 */
export const alerts = sqliteTable(
  "alerts",
  {
    key: text("key").primaryKey(),
    kind: text("kind").notNull(),
    cityId: text("city_id"),
    /** What the last occurrence said (no PII: ids, counts, names of queues and providers). */
    details: text("details", { mode: "json" }).$type<Record<string, unknown>>().notNull(),
    /** Occurrences since the row was made, sent or not. */
    occurrences: integer("occurrences").notNull().default(1),
    /** Occurrences not sent since the last send (de-duplicated). */
    suppressed: integer("suppressed").notNull().default(0),
    firstAt: integer("first_at").notNull(),
    lastAt: integer("last_at").notNull(),
    sentAt: integer("sent_at").notNull(),
  },
  (t) => [index("alerts_last_idx").on(t.lastAt)],
);

/**
 * The operator metrics screen's rollup, per hour (UTC epoch ms of the hour's start), city ('' for
 * none) and metric: how many, their sum and the largest. The same points go to Workers Analytics
 * Engine (METRICS); this table is what the screen reads, since Analytics Engine's SQL API is not
 * reachable from the Worker locally. Bookings and dispatch outcomes are counted from their own
 * tables instead.
 */
export const metricsHourly = sqliteTable(
  "metrics_hourly",
  {
    hour: integer("hour").notNull(),
    cityId: text("city_id").notNull().default(""),
    name: text("name").notNull(),
    count: integer("count").notNull().default(0),
    total: real("total").notNull().default(0),
    max: real("max").notNull().default(0),
  },
  (t) => [primaryKey({ columns: [t.hour, t.cityId, t.name] }), index("metrics_hourly_name_idx").on(t.name, t.hour)],
);

/**
 * What moves a technician's credit score, one row per fact (a rating, an upheld complaint, a cancellation
 * by the technician, a no-show, lateness, an offer declined or expired, a reward or penalty decided by
 * staff). `points` is the change it made; the same fact (source type, source id, kind) counts once.
 */
export const technicianCreditEvents = sqliteTable(
  "technician_credit_events",
  {
    id: text("id").primaryKey(),
    technicianId: text("technician_id")
      .notNull()
      .references(() => technicians.id),
    kind: text("kind", {
      enum: [
        "rating",
        "complaint_upheld",
        "technician_cancelled",
        "no_show",
        "late",
        "offer_missed",
        "reward",
        "penalty",
        "appeal_granted",
        "recalculated",
      ],
    }).notNull(),
    points: integer("points").notNull(),
    /** What the fact is about: an order, a review, a ticket, a staff decision. */
    sourceType: text("source_type").notNull(),
    sourceId: text("source_id").notNull(),
    /** Catalogue code of the reason shown on the history (zh-CN and en text in the catalogue). */
    reasonCode: text("reason_code").notNull(),
    scoreAfter: integer("score_after").notNull(),
    actorId: text("actor_id"),
    createdAt: createdAt(),
  },
  (t) => [
    index("technician_credit_events_technician_idx").on(t.technicianId, t.createdAt),
    uniqueIndex("technician_credit_events_source_uq").on(t.sourceType, t.sourceId, t.kind),
  ],
);

// ——— Personal data (src/privacy, README "Personal data") ———

/**
 * Every consent a person gave or withdrew, one row per change and never edited: the purpose, the
 * version of the policy text they were shown, the choice, when and from which client. A purpose's
 * current state is its newest row (the highest `seq`); without a row the purpose's documented default applies.
 */
export const consentEvents = sqliteTable(
  "consent_events",
  {
    seq: integer("seq").primaryKey({ autoIncrement: true }),
    accountId: text("account_id").notNull(),
    /** location_sharing (a technician's live position shown to their order's customer), contact_sharing (a customer's contact phone shown to the technician). */
    purpose: text("purpose").notNull(),
    granted: integer("granted", { mode: "boolean" }).notNull(),
    policyVersion: text("policy_version").notNull(),
    /** What the client said it was (`X-Client`, e.g. `ios/3.2.0`), else the start of its User-Agent; never an IP. */
    client: text("client").notNull(),
    at: integer("at").notNull(),
  },
  (t) => [index("consent_events_account_idx").on(t.accountId, t.purpose, t.seq)],
);

/**
 * A person's request about their data: an export (built in the background into R2, downloadable
 * once through a signed link, then deleted) or an account deletion (carried out by the daily cron
 * after the cooling-off period, cancellable until then). At most one deletion waits per account and
 * one export is being built per account (the partial unique indexes), however many requests race.
 */
export const dataRequests = sqliteTable(
  "data_requests",
  {
    id: text("id").primaryKey(),
    accountId: text("account_id").notNull(),
    kind: text("kind", { enum: ["export", "deletion"] }).notNull(),
    /**
     * export: queued → running → ready → downloaded | expired, or failed;
     * deletion: pending → completed, or cancelled.
     */
    status: text("status", {
      enum: ["queued", "running", "ready", "downloaded", "expired", "failed", "pending", "completed", "cancelled"],
    }).notNull(),
    /** Export: the contributors done so far (resumes there) and how many there are. */
    progress: text("progress", { mode: "json" }).$type<{ done: string[]; total: number }>().notNull(),
    r2Key: text("r2_key"),
    bytes: integer("bytes"),
    /** Export: the download link works until then (and once). */
    expiresAt: integer("expires_at"),
    downloadedAt: integer("downloaded_at"),
    /** Deletion: carried out by the first daily cron from then on. */
    dueAt: integer("due_at"),
    /** Who cancelled a deletion (the person, or a member of staff) and why. */
    cancelledBy: text("cancelled_by"),
    cancelReason: text("cancel_reason"),
    /** Why an export failed or a deletion is held back at its due time (a code, never personal data). */
    lastError: text("last_error"),
    /** A worker owns the request until then (one builder at a time; a dead one's lease runs out). */
    leaseUntil: integer("lease_until"),
    client: text("client").notNull(),
    completedAt: integer("completed_at"),
    createdAt: createdAt(),
    updatedAt: updatedAt(),
  },
  (t) => [
    index("data_requests_account_idx").on(t.accountId, t.createdAt),
    index("data_requests_status_idx").on(t.kind, t.status, t.createdAt),
    uniqueIndex("data_requests_one_deletion_uq")
      .on(t.accountId)
      .where(sql`kind = 'deletion' and status = 'pending'`),
    uniqueIndex("data_requests_one_export_uq")
      .on(t.accountId)
      .where(sql`kind = 'export' and status in ('queued', 'running')`),
  ],
);
/**
 * Conversations (src/conversations): one per order between its customer and its technician
 * (`kind = 'order'`, open from acceptance until completion + CHAT_GRACE_HOURS), and support
 * conversations between any account and the platform's staff (`kind = 'support'`, optionally about an
 * order and/or an after-sales ticket). `assigneeId` is the staff member who claimed a support
 * conversation; `waitingSince` the user's first message staff have not answered yet (the SLA timer).
 */
export const conversations = sqliteTable(
  "conversations",
  {
    id: text("id").primaryKey(),
    kind: text("kind", { enum: ["order", "support"] }).notNull(),
    orderId: text("order_id").references(() => orders.id),
    /** An after-sales ticket the support conversation is about (not checked: tickets are their own area). */
    ticketId: text("ticket_id"),
    /** The account that opened a support conversation (null for order conversations). */
    requesterId: text("requester_id"),
    assigneeId: text("assignee_id"),
    /** The Durable Object that fans out its live messages (see README "Conversations"). */
    cell: text("cell").notNull(),
    waitingSince: integer("waiting_since"),
    lastMessageAt: integer("last_message_at"),
    createdAt: createdAt(),
  },
  (t) => [
    uniqueIndex("conversations_order_uq")
      .on(t.orderId)
      .where(sql`kind = 'order'`),
    index("conversations_support_idx").on(t.kind, t.assigneeId, t.lastMessageAt),
    index("conversations_requester_idx").on(t.requesterId),
    index("conversations_last_idx").on(t.lastMessageAt),
  ],
);

/** Who takes part in a conversation, and the last message each has read (the read receipt). */
export const conversationParticipants = sqliteTable(
  "conversation_participants",
  {
    conversationId: text("conversation_id")
      .notNull()
      .references(() => conversations.id),
    accountId: text("account_id").notNull(),
    role: text("role", { enum: ["customer", "technician", "requester", "staff"] }).notNull(),
    lastReadMessageId: text("last_read_message_id"),
    lastReadAt: integer("last_read_at"),
    joinedAt: integer("joined_at").notNull(),
    /** When this participant was last sent an offline notice (push/SMS) about the conversation: the throttle. */
    lastNoticeAt: integer("last_notice_at"),
  },
  (t) => [primaryKey({ columns: [t.conversationId, t.accountId] }), index("conversation_participants_account_idx").on(t.accountId)],
);

/**
 * The messages of a conversation, ids in time order (the cursor). `text` is stored masked (phone
 * numbers, WeChat ids, payment requests); an image's bytes are in R2 at `r2Key`; an order card names
 * `orderRef`.
 */
export const conversationMessages = sqliteTable(
  "conversation_messages",
  {
    id: text("id").primaryKey(),
    conversationId: text("conversation_id")
      .notNull()
      .references(() => conversations.id),
    senderId: text("sender_id").notNull(),
    kind: text("kind", { enum: ["text", "image", "order"] }).notNull(),
    text: text("text"),
    r2Key: text("r2_key"),
    contentType: text("content_type"),
    orderRef: text("order_ref"),
    masked: integer("masked", { mode: "boolean" }).notNull().default(false),
    createdAt: createdAt(),
  },
  (t) => [
    index("conversation_messages_conversation_idx").on(t.conversationId, t.id),
    index("conversation_messages_created_idx").on(t.createdAt),
  ],
);

/** A message the abuse keyword list flagged for staff (CHAT_ABUSE_WORDS). */
export const conversationFlags = sqliteTable(
  "conversation_flags",
  {
    id: text("id").primaryKey(),
    conversationId: text("conversation_id")
      .notNull()
      .references(() => conversations.id),
    messageId: text("message_id").notNull(),
    words: text("words", { mode: "json" }).$type<string[]>().notNull(),
    createdAt: createdAt(),
  },
  (t) => [index("conversation_flags_conversation_idx").on(t.conversationId), index("conversation_flags_created_idx").on(t.id)],
);

/** Canned answers staff pick in the inbox; operators edit them. */
export const cannedAnswers = sqliteTable("canned_answers", {
  id: text("id").primaryKey(),
  title: text("title").notNull(),
  body: text("body").notNull(),
  updatedBy: text("updated_by"),
  createdAt: createdAt(),
  updatedAt: updatedAt(),
});

/** What a ticket's decision did (src/tickets): each part recorded as it was decided. */
export interface TicketResolution {
  kind: "resolved" | "rejected";
  reason: string;
  rework?: { orderId: string; technicianId: string | null; start: number };
  refund?: { amount: number; refundIds: string[] };
  coupon?: { couponId: string; code: string; amount: number; endsAt: number };
  penalty?: { amount: number; points: number; technicianId: string };
}

/**
 * After-sales tickets (src/tickets): a customer's (or, for safety, a technician's) case about one
 * order, with its SLA targets, the staff decision and what it did. One open ticket per order and
 * category (the partial unique index).
 */
export const tickets = sqliteTable(
  "tickets",
  {
    id: text("id").primaryKey(),
    orderId: text("order_id")
      .notNull()
      .references(() => orders.id),
    customerId: text("customer_id").notNull(),
    technicianId: text("technician_id"),
    merchantId: text("merchant_id"),
    cityId: text("city_id").notNull(),
    category: text("category", { enum: TICKET_CATEGORIES }).notNull(),
    status: text("status", { enum: TICKET_STATUSES }).notNull(),
    openedBy: text("opened_by").notNull(),
    openedByRole: text("opened_by_role", { enum: ["customer", "technician"] }).notNull(),
    description: text("description").notNull(),
    /** The support conversation about it (src/conversations), when there is one. */
    conversationId: text("conversation_id"),
    firstResponseDueAt: integer("first_response_due_at").notNull(),
    resolutionDueAt: integer("resolution_due_at").notNull(),
    firstRespondedAt: integer("first_responded_at"),
    /** The staff member deciding it now, until `claim_until` (two decisions: exactly one wins). */
    claimId: text("claim_id"),
    claimUntil: integer("claim_until"),
    decisionId: text("decision_id"),
    decidedBy: text("decided_by"),
    decidedAt: integer("decided_at"),
    resolution: text("resolution", { mode: "json" }).$type<TicketResolution>(),
    reworkOrderId: text("rework_order_id"),
    reopenCount: integer("reopen_count").notNull().default(0),
    version: integer("version").notNull().default(1),
    createdAt: createdAt(),
    updatedAt: updatedAt(),
  },
  (t) => [
    index("tickets_order_idx").on(t.orderId),
    index("tickets_status_due_idx").on(t.status, t.resolutionDueAt),
    index("tickets_technician_idx").on(t.technicianId, t.createdAt),
    uniqueIndex("tickets_open_per_category_uq")
      .on(t.orderId, t.category)
      .where(sql`status in ('open', 'in_review')`),
  ],
);

/** A ticket's log: statements, the technician's appeal, staff notes (staff only), evidence photos, events. */
export const ticketEntries = sqliteTable(
  "ticket_entries",
  {
    id: text("id").primaryKey(),
    ticketId: text("ticket_id")
      .notNull()
      .references(() => tickets.id),
    authorType: text("author_type", { enum: TICKET_AUTHOR_TYPES }).notNull(),
    authorId: text("author_id"),
    kind: text("kind", { enum: TICKET_ENTRY_KINDS }).notNull(),
    body: text("body"),
    /** Evidence: the photo in R2 (PHOTOS bucket, `tickets/<ticketId>/<entryId>`). */
    r2Key: text("r2_key"),
    contentType: text("content_type"),
    size: integer("size"),
    createdAt: createdAt(),
  },
  (t) => [index("ticket_entries_ticket_idx").on(t.ticketId, t.id)],
);
/**
 * A reward or penalty staff decided for a technician: money through the ledger (`credit_reward` /
 * `credit_penalty`, ref = this id) and/or credit points (a `reward`/`penalty` credit event, source
 * `credit_decision`). `status` turns `reversed` when an appeal is granted (ledger `credit_reversal`).
 */
export const technicianCreditDecisions = sqliteTable(
  "technician_credit_decisions",
  {
    id: text("id").primaryKey(),
    technicianId: text("technician_id")
      .notNull()
      .references(() => technicians.id),
    kind: text("kind", { enum: ["reward", "penalty"] }).notNull(),
    /** Minor units moved (0: points only). */
    amount: integer("amount").notNull(),
    currency: text("currency").notNull(),
    /** Points asked for (positive for a reward, negative for a penalty, 0: money only). */
    points: integer("points").notNull(),
    reasonCode: text("reason_code").notNull(),
    note: text("note"),
    status: text("status", { enum: ["in_force", "reversed"] }).notNull(),
    decidedBy: text("decided_by").notNull(),
    createdAt: createdAt(),
    updatedAt: updatedAt(),
  },
  (t) => [index("technician_credit_decisions_technician_idx").on(t.technicianId, t.createdAt)],
);

/** A technician's appeal against a penalty: at most one open per decision; staff grant or deny it once. */
export const technicianCreditAppeals = sqliteTable(
  "technician_credit_appeals",
  {
    id: text("id").primaryKey(),
    decisionId: text("decision_id")
      .notNull()
      .references(() => technicianCreditDecisions.id),
    technicianId: text("technician_id")
      .notNull()
      .references(() => technicians.id),
    reason: text("reason").notNull(),
    status: text("status", { enum: ["open", "granted", "denied"] }).notNull(),
    /** The id of the decision on the appeal: the reversal's writes guard on it (one decider wins). */
    changeId: text("change_id"),
    decidedBy: text("decided_by"),
    decisionNote: text("decision_note"),
    decidedAt: integer("decided_at"),
    createdAt: createdAt(),
  },
  (t) => [
    uniqueIndex("technician_credit_appeals_open_uq")
      .on(t.decisionId)
      .where(sql`status = 'open'`),
    index("technician_credit_appeals_status_idx").on(t.status, t.createdAt),
  ],
);

/**
 * Training (src/training): courses of lessons (text, an image or a video in R2 under `training/`),
 * for every technician (`merchant_id` null, run by operators) or for one merchant's technicians only.
 */
export const trainingCourses = sqliteTable(
  "training_courses",
  {
    id: text("id").primaryKey(),
    /** Null: a platform course, open to every technician; else only that merchant's technicians see it. */
    merchantId: text("merchant_id").references(() => merchants.id),
    /** The skill the course teaches (optional). */
    skill: text("skill").references(() => skills.code),
    title: text("title").notNull(),
    description: text("description").notNull(),
    published: integer("published", { mode: "boolean" }).notNull().default(false),
    createdBy: text("created_by").notNull(),
    createdAt: createdAt(),
    updatedAt: updatedAt(),
  },
  (t) => [index("training_courses_merchant_idx").on(t.merchantId, t.createdAt)],
);

export const trainingLessons = sqliteTable(
  "training_lessons",
  {
    id: text("id").primaryKey(),
    courseId: text("course_id")
      .notNull()
      .references(() => trainingCourses.id),
    position: integer("position").notNull(),
    title: text("title").notNull(),
    body: text("body").notNull(),
    /** The lesson's image or video in R2 (PHOTOS bucket, key `training/<courseId>/<lessonId>`), if any. */
    mediaKey: text("media_key"),
    mediaType: text("media_type"),
    mediaSize: integer("media_size"),
    createdAt: createdAt(),
    updatedAt: updatedAt(),
  },
  (t) => [index("training_lessons_course_idx").on(t.courseId, t.position)],
);

export const trainingEnrollments = sqliteTable(
  "training_enrollments",
  {
    technicianId: text("technician_id")
      .notNull()
      .references(() => technicians.id),
    courseId: text("course_id")
      .notNull()
      .references(() => trainingCourses.id),
    enrolledAt: integer("enrolled_at").notNull(),
  },
  (t) => [primaryKey({ columns: [t.technicianId, t.courseId] }), index("training_enrollments_course_idx").on(t.courseId)],
);

/** A lesson a technician completed (once). */
export const trainingProgress = sqliteTable(
  "training_progress",
  {
    technicianId: text("technician_id")
      .notNull()
      .references(() => technicians.id),
    lessonId: text("lesson_id")
      .notNull()
      .references(() => trainingLessons.id),
    courseId: text("course_id")
      .notNull()
      .references(() => trainingCourses.id),
    completedAt: integer("completed_at").notNull(),
  },
  (t) => [primaryKey({ columns: [t.technicianId, t.lessonId] }), index("training_progress_course_idx").on(t.courseId, t.technicianId)],
);

export const trainingBanks = sqliteTable(
  "training_banks",
  {
    id: text("id").primaryKey(),
    merchantId: text("merchant_id").references(() => merchants.id),
    title: text("title").notNull(),
    createdAt: createdAt(),
  },
  (t) => [index("training_banks_merchant_idx").on(t.merchantId, t.createdAt)],
);

export const TRAINING_QUESTION_KINDS = ["single", "multiple", "true_false"] as const;

export const trainingQuestions = sqliteTable(
  "training_questions",
  {
    id: text("id").primaryKey(),
    bankId: text("bank_id")
      .notNull()
      .references(() => trainingBanks.id),
    kind: text("kind", { enum: TRAINING_QUESTION_KINDS }).notNull(),
    prompt: text("prompt").notNull(),
    options: text("options", { mode: "json" }).$type<string[]>().notNull(),
    /** Indexes into `options` of the right answers; never sent to a technician. */
    correct: text("correct", { mode: "json" }).$type<number[]>().notNull(),
    createdAt: createdAt(),
  },
  (t) => [index("training_questions_bank_idx").on(t.bankId, t.createdAt)],
);

export const trainingExams = sqliteTable(
  "training_exams",
  {
    id: text("id").primaryKey(),
    merchantId: text("merchant_id").references(() => merchants.id),
    bankId: text("bank_id")
      .notNull()
      .references(() => trainingBanks.id),
    /** The skill a pass certifies (optional). */
    skill: text("skill").references(() => skills.code),
    title: text("title").notNull(),
    /** Questions drawn at random from the bank for each attempt. */
    drawCount: integer("draw_count").notNull(),
    /** Percentage of the drawn questions answered right that passes (0–100). */
    passPercent: integer("pass_percent").notNull(),
    timeLimitSeconds: integer("time_limit_seconds").notNull(),
    maxAttempts: integer("max_attempts").notNull(),
    /** Days a certification from this exam stays valid. */
    validDays: integer("valid_days").notNull(),
    published: integer("published", { mode: "boolean" }).notNull().default(false),
    createdAt: createdAt(),
    updatedAt: updatedAt(),
  },
  (t) => [index("training_exams_merchant_idx").on(t.merchantId, t.createdAt)],
);

export const trainingAttempts = sqliteTable(
  "training_attempts",
  {
    id: text("id").primaryKey(),
    examId: text("exam_id")
      .notNull()
      .references(() => trainingExams.id),
    technicianId: text("technician_id")
      .notNull()
      .references(() => technicians.id),
    /** The drawn questions, in the order shown. */
    questionIds: text("question_ids", { mode: "json" }).$type<string[]>().notNull(),
    status: text("status", { enum: ["open", "passed", "failed", "expired"] }).notNull(),
    startedAt: integer("started_at").notNull(),
    deadlineAt: integer("deadline_at").notNull(),
    submittedAt: integer("submitted_at"),
    /** Right answers out of the drawn questions (set when graded). */
    score: integer("score"),
    createdAt: createdAt(),
  },
  (t) => [index("training_attempts_exam_tech_idx").on(t.examId, t.technicianId, t.startedAt)],
);

/** A certification issued by a passed attempt; it proves `skill` (when the exam names one) until `expires_at`. */
export const trainingCertifications = sqliteTable(
  "training_certifications",
  {
    id: text("id").primaryKey(),
    technicianId: text("technician_id")
      .notNull()
      .references(() => technicians.id),
    examId: text("exam_id")
      .notNull()
      .references(() => trainingExams.id),
    attemptId: text("attempt_id").notNull(),
    skill: text("skill"),
    issuedAt: integer("issued_at").notNull(),
    expiresAt: integer("expires_at").notNull(),
    /** Set by the sweep once the technician's roster was refreshed after expiry. */
    lapsedAt: integer("lapsed_at"),
  },
  (t) => [
    uniqueIndex("training_certifications_attempt_uq").on(t.attemptId),
    index("training_certifications_tech_idx").on(t.technicianId, t.skill, t.expiresAt),
    index("training_certifications_lapse_idx").on(t.lapsedAt, t.expiresAt),
  ],
);

/** Skills dispatch offers only to technicians holding a valid certification of that skill. */
export const trainingSkillRequirements = sqliteTable("training_skill_requirements", {
  skill: text("skill")
    .primaryKey()
    .references(() => skills.code),
  createdBy: text("created_by").notNull(),
  createdAt: createdAt(),
});

/**
 * The photo a technician shows on their public profile (one per technician, replaced on upload):
 * bytes in R2 under `technicians/<id>/profile/<photoId>`, checked like visit photos.
 */
export const technicianProfilePhotos = sqliteTable("technician_profile_photos", {
  technicianId: text("technician_id")
    .primaryKey()
    .references(() => technicians.id),
  photoId: text("photo_id").notNull(),
  r2Key: text("r2_key").notNull(),
  contentType: text("content_type").notNull(),
  size: integer("size").notNull(),
  updatedAt: updatedAt(),
});

/**
 * A case on a technician's public profile: a before and an after photo of one of their completed
 * visits (an arrival and a completion photo of the order). Shown only while the order's customer
 * has granted consent and staff have not hidden it; refusing or revoking takes it off at once.
 */
export const technicianCases = sqliteTable(
  "technician_cases",
  {
    id: text("id").primaryKey(),
    technicianId: text("technician_id")
      .notNull()
      .references(() => technicians.id),
    orderId: text("order_id")
      .notNull()
      .references(() => orders.id),
    customerId: text("customer_id").notNull(),
    serviceId: text("service_id").notNull(),
    beforePhotoId: text("before_photo_id").notNull(),
    afterPhotoId: text("after_photo_id").notNull(),
    caption: text("caption"),
    /** pending until the customer decides; granted shows it; refused and revoked never show it. */
    consent: text("consent", { enum: ["pending", "granted", "refused", "revoked"] })
      .notNull()
      .default("pending"),
    consentAt: integer("consent_at"),
    /** Hidden by staff (showcase moderation). */
    hiddenAt: integer("hidden_at"),
    hiddenReason: text("hidden_reason"),
    createdAt: createdAt(),
    updatedAt: updatedAt(),
  },
  (t) => [uniqueIndex("technician_cases_order_uq").on(t.orderId), index("technician_cases_technician_idx").on(t.technicianId, t.id)],
);

/**
 * Recurring visits (src/series): a customer's rule for repeat visits of one service at one address,
 * at a wall-clock time in the city's zone. Occurrences are booked a rolling horizon ahead as orders.
 */
export const series = sqliteTable(
  "series",
  {
    id: text("id").primaryKey(),
    customerId: text("customer_id")
      .notNull()
      .references(() => accounts.id),
    serviceId: text("service_id")
      .notNull()
      .references(() => services.id),
    /** The service's merchant when created (null: the platform's), for staff scope. */
    merchantId: text("merchant_id"),
    addressId: text("address_id").notNull(),
    cityId: text("city_id").notNull(),
    /** Minutes after local midnight in the city's zone. */
    timeOfDay: integer("time_of_day").notNull(),
    rule: text("rule", { mode: "json" }).$type<RecurrenceRule>().notNull(),
    startDate: text("start_date").notNull(),
    untilDate: text("until_date"),
    count: integer("count"),
    units: integer("units").notNull(),
    preferredTechnicianId: text("preferred_technician_id"),
    /** The customer's package (次卡) each visit draws from while it has visits; then the visits are paid per visit. */
    packageId: text("package_id"),
    /** The second contact (e.g. the family member) who gets the series' notices too: their account. */
    contactAccountId: text("contact_account_id"),
    contactName: text("contact_name"),
    notes: text("notes"),
    status: text("status", { enum: ["active", "paused", "ended"] }).notNull(),
    /** The series this one continues ("change from a date onwards"). */
    previousSeriesId: text("previous_series_id"),
    /** When the cron next books what came into the horizon (indexed: the cron reads only due series). */
    nextRunAt: integer("next_run_at").notNull(),
    createdAt: createdAt(),
    updatedAt: updatedAt(),
  },
  (t) => [
    index("series_customer_idx").on(t.customerId, t.id),
    index("series_due_idx").on(t.status, t.nextRunAt),
    index("series_merchant_idx").on(t.merchantId, t.id),
  ],
);

/**
 * One visit of a series, one row per local date of the rule (unique: a series never books a date
 * twice). `booking` is the claim while its order is being placed; `unbookable` carries the
 * alternatives offered.
 */
export const seriesOccurrences = sqliteTable(
  "series_occurrences",
  {
    id: text("id").primaryKey(),
    seriesId: text("series_id")
      .notNull()
      .references(() => series.id),
    /** The rule's local date (YYYY-MM-DD); stays the key when the visit is moved. */
    date: text("date").notNull(),
    /** Ordinal in the series (1 = first), for COUNT. */
    n: integer("n").notNull(),
    startAt: integer("start_at").notNull(),
    status: text("status", { enum: ["booking", "booked", "unbookable", "skipped", "cancelled"] }).notNull(),
    orderId: text("order_id"),
    technicianId: text("technician_id"),
    /** The start the rule gave, when the visit was moved to another time. */
    movedFrom: integer("moved_from"),
    /** Why it could not be booked (an error code of the catalogue). */
    problem: text("problem"),
    alternatives: text("alternatives", { mode: "json" }).$type<{ technicianId: string; start: number }[]>(),
    claimedAt: integer("claimed_at"),
    createdAt: createdAt(),
    updatedAt: updatedAt(),
  },
  (t) => [uniqueIndex("series_occurrences_date_uq").on(t.seriesId, t.date), index("series_occurrences_status_idx").on(t.status, t.startAt)],
);

// ——— Packages (次卡 / 套餐) and membership (points, levels): src/membership ———

/** A package a merchant (or the platform) sells: N visits of a service, or an amount of credit, at a price, valid for some days. */
export const packagePlans = sqliteTable(
  "package_plans",
  {
    id: text("id").primaryKey(),
    merchantId: text("merchant_id"),
    /** The service its visits (or credit) are for. */
    serviceId: text("service_id").notNull(),
    kind: text("kind", { enum: ["visits", "credit"] }).notNull(),
    /** Visits (`visits`) or 分 of credit (`credit`) it holds. */
    units: integer("units").notNull(),
    price: integer("price").notNull(),
    currency: text("currency").notNull(),
    validDays: integer("valid_days").notNull(),
    /** What share of the unused value a refund gives back (the rest is earned). */
    refundPercent: integer("refund_percent").notNull().default(100),
    nameZh: text("name_zh").notNull(),
    nameEn: text("name_en").notNull(),
    active: integer("active", { mode: "boolean" }).notNull().default(true),
    createdBy: text("created_by").notNull(),
    createdAt: createdAt(),
    updatedAt: updatedAt(),
  },
  (t) => [index("package_plans_service_idx").on(t.serviceId, t.active)],
);

/**
 * A package a customer bought: its balance (`unitsLeft`) and the money not yet earned
 * (`deferredLeft`, the balance of ledger account deferred_revenue:<id>). Both never go below zero
 * (CHECK), and every draw is a guarded update in the batch of the order it pays for.
 */
export const customerPackages = sqliteTable(
  "customer_packages",
  {
    id: text("id").primaryKey(),
    planId: text("plan_id")
      .notNull()
      .references(() => packagePlans.id),
    customerId: text("customer_id").notNull(),
    merchantId: text("merchant_id"),
    serviceId: text("service_id").notNull(),
    kind: text("kind", { enum: ["visits", "credit"] }).notNull(),
    unitsTotal: integer("units_total").notNull(),
    unitsLeft: integer("units_left").notNull(),
    price: integer("price").notNull(),
    currency: text("currency").notNull(),
    deferredLeft: integer("deferred_left").notNull().default(0),
    refundPercent: integer("refund_percent").notNull(),
    /** `expired`: its days ran out; the nightly job earned what it left unused (breakage). */
    status: text("status", { enum: ["pending_payment", "active", "refunded", "expired"] }).notNull(),
    /** Counted from payment. */
    validUntil: integer("valid_until"),
    validDays: integer("valid_days").notNull(),
    paidAt: integer("paid_at"),
    paymentRef: text("payment_ref"),
    refundedAt: integer("refunded_at"),
    createdAt: createdAt(),
    updatedAt: updatedAt(),
  },
  (t) => [
    index("customer_packages_customer_idx").on(t.customerId, t.createdAt),
    check("customer_packages_units_left_ck", sql`${t.unitsLeft} >= 0`),
    check("customer_packages_deferred_left_ck", sql`${t.deferredLeft} >= 0`),
  ],
);

/** A package's history: purchase, each draw by an order (given back when the order is cancelled), refund, expiry. */
export const packageEntries = sqliteTable(
  "package_entries",
  {
    id: text("id").primaryKey(),
    packageId: text("package_id")
      .notNull()
      .references(() => customerPackages.id),
    kind: text("kind", { enum: ["purchase", "draw", "refund", "expire"] }).notNull(),
    orderId: text("order_id"),
    /** Visits or 分 of credit taken (positive for a draw). */
    units: integer("units").notNull(),
    /** The deferred revenue it recognised (draw) or paid back (refund). */
    amount: integer("amount").notNull(),
    releasedAt: integer("released_at"),
    createdAt: createdAt(),
  },
  (t) => [index("package_entries_package_idx").on(t.packageId, t.createdAt), uniqueIndex("package_entries_order_uq").on(t.orderId)],
);

/** An account's points balance: never below zero (CHECK and guarded updates). */
export const pointsAccounts = sqliteTable(
  "points_accounts",
  {
    accountId: text("account_id").primaryKey(),
    balance: integer("balance").notNull().default(0),
    updatedAt: updatedAt(),
  },
  (t) => [check("points_accounts_balance_ck", sql`${t.balance} >= 0`)],
);

/** The points ledger: every change of a balance, with the order that caused it; the entries of an account sum to its balance. */
export const pointsEntries = sqliteTable(
  "points_entries",
  {
    id: text("id").primaryKey(),
    accountId: text("account_id").notNull(),
    kind: text("kind", { enum: ["earn", "spend", "release", "expire", "adjust"] }).notNull(),
    delta: integer("delta").notNull(),
    orderId: text("order_id"),
    /** Unique per (order, kind): an order earns once and spends once. */
    ref: text("ref").notNull(),
    releasedAt: integer("released_at"),
    createdAt: createdAt(),
  },
  (t) => [index("points_entries_account_idx").on(t.accountId, t.createdAt), uniqueIndex("points_entries_ref_uq").on(t.ref)],
);

/** Membership settings: one `global` row and optional rows per merchant (`merchant:<id>`, earn rate only). */
export const membershipSettings = sqliteTable("membership_settings", {
  scope: text("scope").primaryKey(),
  settings: text("settings", { mode: "json" }).$type<Record<string, unknown>>().notNull(),
  updatedBy: text("updated_by").notNull(),
  updatedAt: updatedAt(),
});

/** Each customer's level as last recalculated (nightly), with what it was measured on. */
export const memberLevels = sqliteTable("member_levels", {
  accountId: text("account_id").primaryKey(),
  level: text("level").notNull(),
  spend: integer("spend").notNull(),
  points: integer("points").notNull(),
  computedAt: integer("computed_at").notNull(),
});

/**
 * The satisfaction survey's configured questions (src/surveys), asked after every completed order
 * next to the NPS question. Operators add, edit and retire them; a retired question stays so that
 * old answers keep their text. Texts in both languages.
 */
export const surveyQuestions = sqliteTable(
  "survey_questions",
  {
    id: text("id").primaryKey(),
    kind: text("kind", { enum: ["choice", "rating", "text"] }).notNull(),
    promptZh: text("prompt_zh").notNull(),
    promptEn: text("prompt_en").notNull(),
    /** The choices of a `choice` question (ids stable, texts in both languages); [] otherwise. */
    options: text("options", { mode: "json" }).$type<{ id: string; zh: string; en: string }[]>().notNull(),
    required: integer("required", { mode: "boolean" }).notNull().default(false),
    /** Order in the survey (ascending). */
    position: integer("position").notNull().default(0),
    /** Retired questions are no longer asked; their answers stay. */
    active: integer("active", { mode: "boolean" }).notNull().default(true),
    createdBy: text("created_by").notNull(),
    createdAt: createdAt(),
    updatedAt: updatedAt(),
  },
  (t) => [index("survey_questions_active_idx").on(t.active, t.position)],
);

/**
 * One answered survey per completed order (unique on the order), by the order's customer: the NPS
 * score 0–10 and the answers to the questions asked. Merchant, service, technician, city and the
 * visit's start are copied from the order so the reports read one table.
 */
export const surveyResponses = sqliteTable(
  "survey_responses",
  {
    id: text("id").primaryKey(),
    orderId: text("order_id")
      .notNull()
      .references(() => orders.id),
    customerId: text("customer_id").notNull(),
    cityId: text("city_id").notNull(),
    merchantId: text("merchant_id"),
    serviceId: text("service_id").notNull(),
    technicianId: text("technician_id"),
    /** The visit's start (reports place a response on the visit's local date, like the other reports). */
    startAt: integer("start_at").notNull(),
    nps: integer("nps").notNull(),
    answers: text("answers", { mode: "json" })
      .$type<{ questionId: string; kind: "choice" | "rating" | "text"; value: string | number }[]>()
      .notNull(),
    createdAt: createdAt(),
  },
  (t) => [
    uniqueIndex("survey_responses_order_uq").on(t.orderId),
    index("survey_responses_city_start_idx").on(t.cityId, t.startAt),
    index("survey_responses_merchant_start_idx").on(t.merchantId, t.startAt),
  ],
);

// ---- Dispatcher's board: multi-moves (src/board) ----

/**
 * One multi-move as applied (POST /v1/admin/cells/{cellId}/moves): who, in which cell, and the moves.
 * Written in the batch that brings the orders in step, last and only when every order of it won
 * (a NOT NULL `created_at` otherwise fails the whole batch, so no order is changed alone).
 */
export const cellMoves = sqliteTable(
  "cell_moves",
  {
    id: text("id").primaryKey(),
    cell: text("cell").notNull(),
    actorId: text("actor_id"),
    moves: text("moves", { mode: "json" })
      .$type<{ orderId: string; technicianId: string; start: number; end: number; fromTechnicianId: string | null; fromStart: number }[]>()
      .notNull(),
    createdAt: integer("created_at").notNull(),
  },
  (t) => [index("cell_moves_cell_idx").on(t.cell, t.createdAt)],
);

// ---- Surge and forecasts (src/surge) ----

/** Each cell's surge state as its last `surge.changed` event said (a cell never reported is normal). */
export const surgeStates = sqliteTable(
  "surge_states",
  {
    cellId: text("cell_id").primaryKey(),
    cityId: text("city_id"),
    state: text("state", { enum: ["normal", "surging"] }).notNull(),
    /** When the cell entered this state (the event's time, so a late delivery does not move it). */
    since: integer("since").notNull(),
    demand: integer("demand").notNull(),
    supply: integer("supply").notNull(),
    ratio: real("ratio").notNull(),
  },
  (t) => [index("surge_states_city_idx").on(t.cityId)],
);

/** Every surge state change a cell reported; `id` is the cell event's id (a redelivery adds nothing). */
export const surgeChanges = sqliteTable(
  "surge_changes",
  {
    id: text("id").primaryKey(),
    cellId: text("cell_id").notNull(),
    cityId: text("city_id"),
    fromState: text("from_state").notNull(),
    toState: text("to_state").notNull(),
    at: integer("at").notNull(),
    demand: integer("demand").notNull(),
    supply: integer("supply").notNull(),
    ratio: real("ratio").notNull(),
  },
  (t) => [index("surge_changes_city_at_idx").on(t.cityId, t.at)],
);

/**
 * Forecast demand (orders starting) per cell and local hour, written by the nightly cron for the next
 * days. `forecastX100` hundredths of an order; `known` the orders already booked for the hour then.
 */
export const demandForecasts = sqliteTable(
  "demand_forecasts",
  {
    cityId: text("city_id").notNull(),
    cellId: text("cell_id").notNull(),
    hourStart: integer("hour_start").notNull(),
    forecastX100: integer("forecast_x100").notNull(),
    known: integer("known").notNull(),
    computedAt: integer("computed_at").notNull(),
  },
  (t) => [primaryKey({ columns: [t.cellId, t.hourStart] }), index("demand_forecasts_city_hour_idx").on(t.cityId, t.hourStart)],
);

// ——— Growth (referral fraud guard): who paid ———

/**
 * Who paid a payment, as the provider's notification names the payer (WeChat Pay `payer.openid`,
 * Alipay `buyer_id`/`buyer_open_id`, Stripe the card fingerprint or customer), stored only as a
 * keyed hash of `provider:id` (the raw id is never kept nor logged). The referral fraud guard
 * refuses a reward when the referrer and the new customer share one.
 */
export const paymentPayers = sqliteTable(
  "payment_payers",
  {
    paymentId: text("payment_id")
      .primaryKey()
      .references(() => payments.id),
    accountId: text("account_id").notNull(),
    provider: text("provider", { enum: PAYMENT_PROVIDERS }).notNull(),
    payerHash: text("payer_hash").notNull(),
    createdAt: createdAt(),
  },
  (t) => [index("payment_payers_hash_idx").on(t.payerHash, t.accountId), index("payment_payers_account_idx").on(t.accountId)],
);

// ---- Team route plans (src/route-plans) ----

/** Figures of a cell's day under one assignment of jobs to technicians. */
export interface RoutePlanFigures {
  travelMinutes: number;
  distanceKm: number;
  lateRisks: number;
  jobs: number;
}

/**
 * A proposed reassignment of a cell's day across its technicians (every start kept), built by the
 * route-plans queue consumer and accepted through the cell's atomic multi-move.
 * `status`: queued → ready | failed; ready → accepting → accepted | ready; ready → discarded | stale.
 * `fingerprint`: the day's calendar (orders, technicians, times) the proposal was built from.
 */
export const routePlans = sqliteTable(
  "route_plans",
  {
    id: text("id").primaryKey(),
    cell: text("cell").notNull(),
    date: text("date").notNull(),
    merchantId: text("merchant_id"),
    status: text("status", { enum: ["queued", "ready", "accepting", "accepted", "discarded", "stale", "failed"] }).notNull(),
    requestedBy: text("requested_by"),
    fingerprint: text("fingerprint"),
    moves: text("moves", { mode: "json" })
      .$type<{ orderId: string; technicianId: string; fromTechnicianId: string; start: number; end: number }[]>()
      .notNull()
      .default([]),
    /** Per technician: the jobs before and after, and the figures of each. */
    technicians: text("technicians", { mode: "json" })
      .$type<{ id: string; name: string; before: RoutePlanFigures; after: RoutePlanFigures; jobs: string[] }[]>()
      .notNull()
      .default([]),
    before: text("before", { mode: "json" }).$type<RoutePlanFigures>(),
    after: text("after", { mode: "json" }).$type<RoutePlanFigures>(),
    failure: text("failure"),
    moveId: text("move_id"),
    /** Start changes to ask customers for after the moves (docs/route-plans.md "Time proposals"). */
    proposals: text("proposals", { mode: "json" })
      .$type<{ orderId: string; technicianId: string; currentStart: number; start: number; end: number }[]>()
      .notNull()
      .default([]),
    /** The day's figures after the moves and every proposal; null without proposals. */
    withProposals: text("with_proposals", { mode: "json" }).$type<RoutePlanFigures>(),
    /** The accept applies (or applied) the proposals together with the moves. */
    proposalsApplied: integer("proposals_applied", { mode: "boolean" }).notNull().default(false),
    createdAt: integer("created_at").notNull(),
    updatedAt: integer("updated_at").notNull(),
  },
  (t) => [
    index("route_plans_cell_date_idx").on(t.cell, t.date, t.id),
    // The cron finds plans whose acceptance lease lapsed (status `accepting`, oldest first).
    index("route_plans_status_updated_idx").on(t.status, t.updatedAt),
  ],
);

// ---- Surge notices to technicians (src/surge/surge-notices.service.ts) ----

/**
 * The last surge notice each technician was sent: a technician hears of a surge at most once per
 * the city's cooldown, whichever cell surged. `eventId` is the cell event that sent it (the guard of
 * its outbox row in the same batch).
 */
export const surgeTechnicianNotices = sqliteTable("surge_technician_notices", {
  technicianId: text("technician_id").primaryKey(),
  cellId: text("cell_id").notNull(),
  eventId: text("event_id").notNull(),
  notifiedAt: integer("notified_at").notNull(),
});

// ---- Route plans: time proposals asked in the app (src/route-plans/asking.service.ts) ----

/**
 * A group of a route plan's time proposals asked of the customers together (docs/route-plans.md
 * "Asking the customers"): the proposals on one technician's day after the moves. Applied through
 * the cell's multi-move only when every customer approved. `status`: waiting → applying → applied |
 * dropped (reason `declined`, `expired`, `day_changed`, `move_refused`, `concurrent_update`);
 * waiting → dropped. `fingerprint`: the technician's day when asked; `changeId`: the guard of the
 * outbox rows of its last change.
 */
export const routePlanGroups = sqliteTable(
  "route_plan_groups",
  {
    id: text("id").primaryKey(),
    planId: text("plan_id").notNull(),
    cell: text("cell").notNull(),
    date: text("date").notNull(),
    merchantId: text("merchant_id"),
    technicianId: text("technician_id").notNull(),
    /** The city's zone, for the times customers read. */
    timeZone: text("time_zone").notNull(),
    status: text("status", { enum: ["waiting", "applying", "applied", "dropped"] }).notNull(),
    reason: text("reason"),
    fingerprint: text("fingerprint").notNull(),
    expiresAt: integer("expires_at").notNull(),
    moveId: text("move_id"),
    askedBy: text("asked_by").notNull(),
    changeId: text("change_id").notNull(),
    createdAt: integer("created_at").notNull(),
    updatedAt: integer("updated_at").notNull(),
  },
  (t) => [
    uniqueIndex("route_plan_groups_plan_tech_idx").on(t.planId, t.technicianId),
    // The cron finds waiting groups past their expiry and applying groups past their lease.
    index("route_plan_groups_status_expires_idx").on(t.status, t.expiresAt),
    index("route_plan_groups_status_updated_idx").on(t.status, t.updatedAt),
  ],
);

/** One customer's question of a group: their order's proposed start, and their answer. */
export const routePlanQuestions = sqliteTable(
  "route_plan_questions",
  {
    id: text("id").primaryKey(),
    groupId: text("group_id").notNull(),
    orderId: text("order_id").notNull(),
    customerId: text("customer_id").notNull(),
    technicianId: text("technician_id").notNull(),
    currentStart: integer("current_start").notNull(),
    start: integer("start").notNull(),
    end: integer("end").notNull(),
    status: text("status", { enum: ["pending", "approved", "declined"] }).notNull(),
    decidedAt: integer("decided_at"),
    createdAt: integer("created_at").notNull(),
  },
  (t) => [index("route_plan_questions_group_idx").on(t.groupId), index("route_plan_questions_customer_idx").on(t.customerId, t.id)],
);

// ---- Multi-moves across cells (src/board/moves.service.ts) ----

/**
 * A multi-move that touches several cells while it runs: written before the first cell is touched
 * and deleted once every cell agrees with D1 again. The move's D1 batch counts only while
 * `lease_token` is its own and the lease has not lapsed; the cron settles a row whose lease lapsed
 * (a crash between the steps) by bringing each cell in `cells` to what D1 says of `orders`.
 */
export const cellMoveIntents = sqliteTable(
  "cell_move_intents",
  {
    id: text("id").primaryKey(),
    /** The cell the move was asked of (its record's cell). */
    cell: text("cell").notNull(),
    /** Every cell the move touches. */
    cells: text("cells", { mode: "json" }).$type<string[]>().notNull(),
    /** Each order of the move with its calendar key. */
    orders: text("orders", { mode: "json" }).$type<{ orderId: string; key: string }[]>().notNull(),
    leaseToken: text("lease_token").notNull(),
    leaseUntil: integer("lease_until").notNull(),
    attempts: integer("attempts").notNull().default(0),
    createdAt: integer("created_at").notNull(),
  },
  (t) => [index("cell_move_intents_lease_idx").on(t.leaseUntil)],
);

// ---- Technicians' day plans (src/routing/day-plans.service.ts) ----

/**
 * One technician's day with its flexible-window jobs placed by the day plan, built by the
 * route-plans queue consumer (never on a request) and kept for the day as it was (`basis`, the
 * calendar fingerprint of the day's jobs). A read whose day no longer matches `basis` asks for a
 * new build: `queued` until the consumer stores `ready` (its `moves`, empty: nothing would move)
 * or `failed`. `appliedBasis`: the basis whose moves the technician applied (a repeat changes nothing).
 */
export const dayPlans = sqliteTable(
  "day_plans",
  {
    technicianId: text("technician_id").notNull(),
    date: text("date").notNull(),
    status: text("status", { enum: ["queued", "ready", "failed"] }).notNull(),
    basis: text("basis").notNull(),
    moves: text("moves", { mode: "json" }).$type<{ id: string; start: number; end: number }[]>().notNull().default([]),
    appliedBasis: text("applied_basis"),
    createdAt: integer("created_at").notNull(),
    updatedAt: integer("updated_at").notNull(),
  },
  (t) => [
    primaryKey({ columns: [t.technicianId, t.date] }),
    // The cron finds builds whose queue message was lost (status `queued`, oldest first).
    index("day_plans_status_updated_idx").on(t.status, t.updatedAt),
    // Retention deletes the oldest dates first (DAY_PLAN_RETENTION_DAYS).
    index("day_plans_date_idx").on(t.date),
  ],
);
