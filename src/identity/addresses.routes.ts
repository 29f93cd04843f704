import { createRoute, z } from "@hono/zod-openapi";
import { requireAuth } from "../http/auth";
import { authErrors, bearer, jsonBody, jsonContent } from "../http/openapi";

const fields = {
  label: z.string().trim().min(1).max(30).openapi({ example: "家" }),
  text: z.string().trim().min(1).max(200).openapi({ example: "上海市黄浦区南京东路 100 号 8 楼" }),
  lat: z
    .number()
    .min(-90)
    .max(90)
    .openapi({ description: "Stored encrypted for this address; only its area (about 1 km) and cell in the clear", example: 31.2304 }),
  lng: z.number().min(-180).max(180).openapi({ description: "With lat", example: 121.4737 }),
  contactName: z.string().trim().min(1).max(40).openapi({ example: "王女士" }),
  contactPhone: z.string().min(1).max(32).openapi({ description: "E.164 or an 11-digit mainland number", example: "+8615912341234" }),
};

export const Address = z
  .object({
    id: z.string().openapi({ example: "adr_01JD3Y2Q8X0000000000000000" }),
    label: z.string(),
    text: z.string(),
    lat: z.number().openapi({ description: "Exact: the owner reads the point back from its encrypted copy" }),
    lng: z.number(),
    cell: z.string().openapi({ description: "H3 cell of the point at H3_RESOLUTION" }),
    contactName: z.string(),
    contactPhone: z.string().openapi({ description: "E.164, unmasked: the caller owns it" }),
    createdAt: z.string(),
    updatedAt: z.string(),
  })
  .openapi("Address");

export const CreateAddress = z.object(fields).strict().openapi("CreateAddress");

export const PatchAddress = z
  .object({
    label: fields.label.optional(),
    text: fields.text.optional(),
    lat: fields.lat.optional(),
    lng: fields.lng.optional(),
    contactName: fields.contactName.optional(),
    contactPhone: fields.contactPhone.optional(),
  })
  .strict()
  .superRefine((patch, ctx) => {
    if (Object.keys(patch).length === 0) ctx.addIssue({ code: "custom", message: "give at least one field to change", path: [] });
    if ((patch.lat === undefined) !== (patch.lng === undefined)) {
      const missing = patch.lat === undefined ? "lat" : "lng";
      ctx.addIssue({ code: "custom", message: "lat and lng change together", path: [missing] });
    }
  })
  .openapi("PatchAddress", { description: "At least one field; lat and lng only together" });

const AddressId = z.object({
  id: z
    .string()
    .min(1)
    .max(64)
    .openapi({ param: { name: "id", in: "path" }, example: "adr_01JD3Y2Q8X0000000000000000" }),
});

export const listAddresses = createRoute({
  operationId: "listAddresses",
  method: "get",
  path: "/v1/me/addresses",
  tags: ["Accounts"],
  summary: "The caller's saved addresses (all of them, at most 50)",
  security: bearer,
  middleware: [requireAuth] as const,
  responses: { 200: jsonContent(z.object({ items: z.array(Address) }), "Addresses, oldest first"), ...authErrors() },
});

export const createAddress = createRoute({
  operationId: "createAddress",
  method: "post",
  path: "/v1/me/addresses",
  tags: ["Accounts"],
  summary: "Save an address",
  description: "Text, contact name and contact phone are encrypted at rest. 409 ADDRESS_LIMIT past 50 live addresses.",
  security: bearer,
  middleware: [requireAuth] as const,
  request: { body: jsonBody(CreateAddress) },
  responses: { 201: jsonContent(Address, "Saved"), ...authErrors(409, 413, 415) },
});

export const patchAddress = createRoute({
  operationId: "patchAddress",
  method: "patch",
  path: "/v1/me/addresses/{id}",
  tags: ["Accounts"],
  summary: "Change some fields of a saved address",
  security: bearer,
  middleware: [requireAuth] as const,
  request: { params: AddressId, body: jsonBody(PatchAddress) },
  responses: { 200: jsonContent(Address, "Changed"), ...authErrors(404, 413, 415) },
});

export const deleteAddress = createRoute({
  operationId: "deleteAddress",
  method: "delete",
  path: "/v1/me/addresses/{id}",
  tags: ["Accounts"],
  summary: "Delete a saved address",
  description: "The address disappears from every answer afterwards (404).",
  security: bearer,
  middleware: [requireAuth] as const,
  request: { params: AddressId },
  responses: { 204: { description: "Deleted" }, ...authErrors(404) },
});
