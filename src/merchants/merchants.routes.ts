import { createRoute, z } from "@hono/zod-openapi";
import { ROLES } from "../domain/roles";
import { requireRole } from "../http/auth";
import { authErrors, bearer, CursorQuery, jsonBody, jsonContent, LimitQuery, page } from "../http/openapi";

const operators = requireRole("operator", "admin");
const merchantStaff = requireRole("operator", "admin", "merchant_admin");

export const Merchant = z
  .object({
    id: z.string().openapi({ example: "mch_01JD3Q8Z6X9V4M2K7T5R1N0PAB" }),
    name: z.string(),
    active: z.boolean().openapi({ description: "An inactive merchant's services are hidden from customers" }),
    platformTechnicians: z.boolean().openapi({
      description:
        "Whether dispatch may give the merchant's orders to platform technicians (those of no merchant), after its own. Default false: its own technicians only. Another merchant's technicians never get them.",
    }),
    createdAt: z.string(),
    updatedAt: z.string(),
  })
  .openapi("Merchant");

export const MerchantAdmin = z
  .object({
    accountId: z.string(),
    phone: z.string().openapi({ description: "Masked", example: "+86138****5678" }),
    name: z.string().nullable(),
    roles: z.array(z.enum(ROLES)),
  })
  .openapi("MerchantAdmin");

const MerchantName = z.string().trim().min(1).max(100);

export const CreateMerchant = z.object({ name: MerchantName }).strict().openapi("CreateMerchant");
export const PatchMerchant = z
  .object({ name: MerchantName.optional(), active: z.boolean().optional(), platformTechnicians: z.boolean().optional() })
  .strict()
  .openapi("PatchMerchant");
export const AddMerchantAdmin = z
  .object({ phone: z.string().max(32).openapi({ example: "+8613812345678" }) })
  .strict()
  .openapi("AddMerchantAdmin");

const pathId = (name: string, example: string) =>
  z
    .string()
    .min(1)
    .max(64)
    .openapi({ param: { name, in: "path" }, example });
const MerchantId = z.object({ id: pathId("id", "mch_01JD3Q8Z6X9V4M2K7T5R1N0PAB") });
const ListQuery = z.object({ limit: LimitQuery, cursor: CursorQuery });

export const createMerchant = createRoute({
  operationId: "createMerchant",
  method: "post",
  path: "/v1/admin/merchants",
  tags: ["Merchants"],
  summary: "Create a merchant (operators)",
  security: bearer,
  middleware: [operators] as const,
  request: { body: jsonBody(CreateMerchant) },
  responses: { 201: jsonContent(Merchant, "Created"), ...authErrors(413, 415) },
});

export const listMerchants = createRoute({
  operationId: "listMerchants",
  method: "get",
  path: "/v1/admin/merchants",
  tags: ["Merchants"],
  summary: "Merchants (a merchant_admin sees only its own)",
  security: bearer,
  middleware: [merchantStaff] as const,
  request: { query: ListQuery },
  responses: { 200: jsonContent(page(Merchant), "A page of merchants"), ...authErrors() },
});

export const getMerchant = createRoute({
  operationId: "getMerchant",
  method: "get",
  path: "/v1/admin/merchants/{id}",
  tags: ["Merchants"],
  summary: "One merchant (a merchant_admin: its own only)",
  security: bearer,
  middleware: [merchantStaff] as const,
  request: { params: MerchantId },
  responses: { 200: jsonContent(Merchant, "The merchant"), ...authErrors(404) },
});

export const patchMerchant = createRoute({
  operationId: "patchMerchant",
  method: "patch",
  path: "/v1/admin/merchants/{id}",
  tags: ["Merchants"],
  summary: "Rename, (de)activate a merchant, or let its orders go to platform technicians (operators, audited)",
  security: bearer,
  middleware: [operators] as const,
  request: { params: MerchantId, body: jsonBody(PatchMerchant) },
  responses: { 200: jsonContent(Merchant, "The merchant"), ...authErrors(404, 413, 415) },
});

export const addMerchantAdmin = createRoute({
  operationId: "addMerchantAdmin",
  method: "post",
  path: "/v1/admin/merchants/{id}/admins",
  tags: ["Merchants"],
  summary: "Make the account with this phone an administrator of the merchant (operators)",
  description:
    "Creates the account when the phone is new, adds the merchant_admin role and ties it to the merchant (audited). " +
    "201 when granted, 200 when it already administers this merchant, 409 MERCHANT_ADMIN_ELSEWHERE when it administers another. " +
    "The role appears in the account's tokens from its next sign-in or refresh.",
  security: bearer,
  middleware: [operators] as const,
  request: { params: MerchantId, body: jsonBody(AddMerchantAdmin) },
  responses: {
    200: jsonContent(MerchantAdmin, "Already an administrator of this merchant"),
    201: jsonContent(MerchantAdmin, "Granted"),
    ...authErrors(404, 409, 413, 415),
  },
});

export const listMerchantAdmins = createRoute({
  operationId: "listMerchantAdmins",
  method: "get",
  path: "/v1/admin/merchants/{id}/admins",
  tags: ["Merchants"],
  summary: "The merchant's administrators, phones masked",
  security: bearer,
  middleware: [merchantStaff] as const,
  request: { params: MerchantId, query: ListQuery },
  responses: { 200: jsonContent(page(MerchantAdmin), "A page of administrators"), ...authErrors(404) },
});

export const removeMerchantAdmin = createRoute({
  operationId: "removeMerchantAdmin",
  method: "delete",
  path: "/v1/admin/merchants/{id}/admins/{accountId}",
  tags: ["Merchants"],
  summary: "End an account's administration of the merchant (operators)",
  description: "Removes the merchant_admin role and the tie to the merchant (audited). 404 when the account is not its administrator.",
  security: bearer,
  middleware: [operators] as const,
  request: { params: MerchantId.extend({ accountId: pathId("accountId", "acc_01JD3Q8Z6X9V4M2K7T5R1N0PAB") }) },
  responses: { 204: { description: "Removed" }, ...authErrors(404, 409) },
});
