/** Zod schemas of the catalog: skills, categories and services (input and output). */
import { z } from "@hono/zod-openapi";
import { DISPATCH_MODES, PRICE_UNITS, SKILL_CODE } from "../domain/catalog";
import { CursorQuery, LimitQuery, LocalizedSchema, MoneySchema } from "../http/openapi";

const Id = z.string().min(1).max(64);

/** The `{id}` path parameter. */
export const IdPath = (example: string) => z.object({ id: Id.openapi({ param: { name: "id", in: "path" }, example }) });

// ——— Skills ———

export const Skill = z
  .object({ code: z.string().openapi({ example: "deep_cleaning" }), name: LocalizedSchema })
  .openapi("Skill", { example: { code: "deep_cleaning", name: { zh: "深度保洁", en: "Deep cleaning" } } });

export const CreateSkill = z
  .object({
    code: z.string().regex(SKILL_CODE, "lowercase letters, digits and _, 2–32 characters").openapi({ example: "deep_cleaning" }),
    name: LocalizedSchema,
  })
  .strict()
  .openapi("CreateSkill");

export const PatchSkill = z.object({ name: LocalizedSchema }).strict().openapi("PatchSkill");

/** The `{code}` path parameter of a skill. */
export const SkillCodePath = z.object({
  code: z
    .string()
    .min(1)
    .max(64)
    .openapi({ param: { name: "code", in: "path" }, example: "deep_cleaning" }),
});

// ——— Categories ———

export const Category = z
  .object({
    id: z.string().openapi({ example: "cat_01JD3Q8Z6X9V4M2K7T5R1N0PAB" }),
    parentId: z.string().nullable(),
    name: LocalizedSchema,
    sort: z.number().int(),
    createdAt: z.string(),
    updatedAt: z.string(),
  })
  .openapi("Category");

export interface CategoryNodeShape {
  id: string;
  name: { zh: string; en: string };
  sort: number;
  children: CategoryNodeShape[];
}

export const CategoryNode: z.ZodType<CategoryNodeShape> = z
  .object({
    id: z.string(),
    name: LocalizedSchema,
    sort: z.number().int().openapi({ description: "Siblings are ordered by sort, then creation" }),
    get children() {
      return z.array(CategoryNode);
    },
  })
  .openapi("CategoryNode");

const Sort = z.number().int().min(-1_000_000).max(1_000_000);

export const CreateCategory = z
  .object({
    parentId: Id.nullable().optional().openapi({ description: "Omitted or null for a top-level category" }),
    name: LocalizedSchema,
    sort: Sort.default(0),
  })
  .strict()
  .openapi("CreateCategory");

export const PatchCategory = z
  .object({
    parentId: Id.nullable().optional().openapi({ description: "Move under another category; null moves it to the top" }),
    name: LocalizedSchema.partial().optional(),
    sort: Sort.optional(),
  })
  .strict()
  .openapi("PatchCategory");

// ——— Services ———

/** Minor units (分), up to ¥1,000,000. */
const Minor = z.number().int().min(0).max(100_000_000);
const Minutes = z.number().int().min(0).max(1440);

const LocalizedText = z.object({ zh: z.string().min(1).max(4000), en: z.string().min(1).max(4000) }).strict();

const PriceModel = z
  .object({
    base: Minor.openapi({ description: "Charged once, in minor units" }),
    perUnit: Minor.openapi({ description: "Charged per unit, in minor units" }),
    unit: z.enum(PRICE_UNITS),
    minUnits: z.number().int().min(1).max(1000),
  })
  .strict();

const ExtraInput = z
  .object({
    code: z.string().regex(/^[a-z0-9_]{1,32}$/, "lowercase letters, digits and _, up to 32 characters"),
    name: LocalizedSchema,
    price: Minor,
    durationMinutes: Minutes,
  })
  .strict();

const Tier = z
  .object({ hoursBefore: z.number().min(0).max(8760), refundPercent: z.number().int().min(0).max(100) })
  .strict()
  .openapi("CancellationTier");

const CancellationPolicyInput = z
  .object({
    tiers: z.array(Tier).max(10).openapi({ description: "Strictly decreasing hoursBefore; refundPercent never increasing" }),
    visitFee: Minor.openapi({ description: "Kept once the technician is on the way, in minor units" }),
  })
  .strict();

const PaymentOptionsSchema = z
  .object({
    full: z.boolean(),
    depositPercent: z.number().int().min(1).max(99).nullable(),
    afterService: z.boolean(),
    cash: z
      .boolean()
      .optional()
      .openapi({ description: "The technician may take cash and record it (POST /v1/technician/orders/{id}/cash); default false" }),
  })
  .strict()
  .openapi("PaymentOptions");

const HhMmText = z.string().regex(/^([01]\d|2[0-3]):[0-5]\d$/, "HH:MM");
const SurchargesSchema = z
  .object({
    night: z
      .object({ start: HhMmText, end: HhMmText, percent: z.number().int().min(1).max(200) })
      .strict()
      .optional(),
    holiday: z
      .object({ dates: z.array(z.string().regex(/^\d{4}-\d{2}-\d{2}$/, "YYYY-MM-DD")).max(366), percent: z.number().int().min(1).max(300) })
      .strict()
      .optional(),
    distance: z
      .object({ freeKm: z.number().min(0).max(500), perKm: Minor })
      .strict()
      .optional(),
  })
  .strict()
  .openapi("Surcharges", {
    description:
      "Night (start local time in the window, may wrap midnight) and holiday (local dates) percentages on the subtotal; distance per started km beyond freeKm from the city centre.",
  });

/** The writable fields of a service, without defaults (shared by create and patch). */
const fields = {
  categoryId: Id,
  name: LocalizedSchema,
  description: LocalizedText,
  price: PriceModel,
  currency: z.string().regex(/^[A-Z]{3}$/, "an ISO 4217 code such as CNY"),
  durationMinutes: z.number().int().min(15).max(1440),
  perUnitMinutes: Minutes.openapi({ description: "Working time each unit beyond minUnits adds" }),
  requiredSkills: z.array(z.string().min(1).max(32)).max(20),
  extras: z.array(ExtraInput).max(30),
  cancellationPolicy: CancellationPolicyInput,
  dispatchMode: z.enum(DISPATCH_MODES),
  paymentOptions: PaymentOptionsSchema,
  rushFee: Minor,
  surcharges: SurchargesSchema,
  leadTimeMinutes: z.number().int().min(0).max(10080),
  horizonDays: z.number().int().min(1).max(90),
  cityIds: z.array(Id).min(1).max(200),
  active: z.boolean(),
};

export const CreateService = z
  .object({
    merchantId: Id.nullable()
      .optional()
      .openapi({ description: "Operators: the owning merchant, or null for a platform service. Merchant admins: their own (default)." }),
    ...fields,
    currency: fields.currency.default("CNY"),
    perUnitMinutes: fields.perUnitMinutes.default(0),
    requiredSkills: fields.requiredSkills.default([]),
    extras: fields.extras.default([]),
    dispatchMode: fields.dispatchMode.default("auto"),
    paymentOptions: fields.paymentOptions.default({ full: true, depositPercent: null, afterService: false }),
    rushFee: fields.rushFee.default(0),
    surcharges: fields.surcharges.default({}),
    leadTimeMinutes: fields.leadTimeMinutes.default(120),
    horizonDays: fields.horizonDays.default(14),
    active: fields.active.default(true),
  })
  .strict()
  .openapi("CreateService");

export const PatchService = z
  .object({
    ...fields,
    name: LocalizedSchema.partial(),
    description: LocalizedText.partial(),
    price: PriceModel.partial(),
    cancellationPolicy: CancellationPolicyInput.partial(),
    paymentOptions: PaymentOptionsSchema.partial(),
  })
  .partial()
  .strict()
  .openapi("PatchService", {
    description: "Objects (name, description, price, cancellationPolicy, paymentOptions) merge one level deep; lists replace.",
  });

export const Service = z
  .object({
    id: z.string().openapi({ example: "svc_01JD3Q8Z6X9V4M2K7T5R1N0PAB" }),
    merchantId: z.string().nullable().openapi({ description: "Null for a platform service" }),
    categoryId: z.string(),
    name: LocalizedSchema,
    description: LocalizedText,
    price: z.object({ base: MoneySchema, perUnit: MoneySchema, unit: z.enum(PRICE_UNITS), minUnits: z.number().int() }),
    durationMinutes: z.number().int(),
    perUnitMinutes: z.number().int(),
    requiredSkills: z.array(z.string()),
    extras: z.array(z.object({ code: z.string(), name: LocalizedSchema, price: MoneySchema, durationMinutes: z.number().int() })),
    cancellationPolicy: z.object({ tiers: z.array(Tier), visitFee: MoneySchema }),
    dispatchMode: z.enum(DISPATCH_MODES),
    paymentOptions: PaymentOptionsSchema,
    rushFee: MoneySchema,
    surcharges: SurchargesSchema,
    leadTimeMinutes: z.number().int(),
    horizonDays: z.number().int(),
    cityIds: z.array(z.string()),
    active: z.boolean(),
    createdAt: z.string(),
    updatedAt: z.string(),
  })
  .openapi("Service");

const Coordinate = (min: number, max: number) => z.coerce.number().min(min).max(max).optional();

export const PublicServicesQuery = z.object({
  category: Id.optional().openapi({ description: "A category id; its subcategories are included" }),
  q: z.string().trim().max(100).optional().openapi({ description: "Text in the name or description (Chinese or English)" }),
  lat: Coordinate(-90, 90).openapi({ description: "With lng: only services offered in the city at this point" }),
  lng: Coordinate(-180, 180).openapi({ description: "With lat" }),
  limit: LimitQuery,
  cursor: CursorQuery,
});

export const AdminServicesQuery = z.object({
  merchantId: Id.optional().openapi({ description: "Only this merchant's services" }),
  category: Id.optional().openapi({ description: "A category id; its subcategories are included" }),
  q: z.string().trim().max(100).optional(),
  limit: LimitQuery,
  cursor: CursorQuery,
});
