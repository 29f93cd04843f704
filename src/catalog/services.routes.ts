import { createRoute } from "@hono/zod-openapi";
import { requireRole } from "../http/auth";
import { authErrors, bearer, errorResponses, jsonBody, jsonContent, page } from "../http/openapi";
import { AdminServicesQuery, CreateService, IdPath, PatchService, PublicServicesQuery, Service } from "./catalog.schemas";

const managers = requireRole("operator", "admin", "merchant_admin");
const ServiceId = IdPath("svc_01JD3Q8Z6X9V4M2K7T5R1N0PAB");

export const listServices = createRoute({
  operationId: "listServices",
  method: "get",
  path: "/v1/services",
  tags: ["Catalog"],
  summary: "Services customers can book",
  description:
    "Active services of active merchants. `category` includes its subcategories; `q` searches names and descriptions in Chinese and English; " +
    "`lat` and `lng` (together) keep the services offered in the city at that point (none outside every city).",
  request: { query: PublicServicesQuery },
  responses: { 200: jsonContent(page(Service), "A page of services"), ...errorResponses() },
});

export const getService = createRoute({
  operationId: "getService",
  method: "get",
  path: "/v1/services/{id}",
  tags: ["Catalog"],
  summary: "One bookable service: price model, duration, skills, cancellation policy, dispatch mode, payment options",
  request: { params: ServiceId },
  responses: { 200: jsonContent(Service, "The service"), ...errorResponses(404) },
});

export const listManagedServices = createRoute({
  operationId: "listManagedServices",
  method: "get",
  path: "/v1/admin/services",
  tags: ["Catalog"],
  summary: "Services, inactive ones included (a merchant_admin sees only its own)",
  security: bearer,
  middleware: [managers] as const,
  request: { query: AdminServicesQuery },
  responses: { 200: jsonContent(page(Service), "A page of services"), ...authErrors() },
});

export const getManagedService = createRoute({
  operationId: "getManagedService",
  method: "get",
  path: "/v1/admin/services/{id}",
  tags: ["Catalog"],
  summary: "One service, inactive included (a merchant_admin: its own only)",
  security: bearer,
  middleware: [managers] as const,
  request: { params: ServiceId },
  responses: { 200: jsonContent(Service, "The service"), ...authErrors(404) },
});

export const createService = createRoute({
  operationId: "createService",
  method: "post",
  path: "/v1/admin/services",
  tags: ["Catalog"],
  summary: "Create a service",
  description:
    "Operators set any merchantId, or null for a platform service; a merchant_admin's service is its merchant's (another merchantId is 404). " +
    "400 VALIDATION_FAILED for a policy that breaks the rules, UNKNOWN_CATEGORY, UNKNOWN_SKILL, UNKNOWN_CITY, UNKNOWN_MERCHANT for names that do not exist.",
  security: bearer,
  middleware: [managers] as const,
  request: { body: jsonBody(CreateService) },
  responses: { 201: jsonContent(Service, "Created"), ...authErrors(404, 413, 415) },
});

export const patchService = createRoute({
  operationId: "patchService",
  method: "patch",
  path: "/v1/admin/services/{id}",
  tags: ["Catalog"],
  summary: "Change part of a service",
  description: "The merged result is checked like a new service. A merchant_admin may change only its own (404 otherwise).",
  security: bearer,
  middleware: [managers] as const,
  request: { params: ServiceId, body: jsonBody(PatchService) },
  responses: { 200: jsonContent(Service, "The service"), ...authErrors(404, 413, 415) },
});

export const deleteService = createRoute({
  operationId: "deleteService",
  method: "delete",
  path: "/v1/admin/services/{id}",
  tags: ["Catalog"],
  summary: "Delete a service (it leaves every list; past orders keep it)",
  security: bearer,
  middleware: [managers] as const,
  request: { params: ServiceId },
  responses: { 204: { description: "Deleted" }, ...authErrors(404) },
});
