import { createRoute, z } from "@hono/zod-openapi";
import { errorResponses, jsonBody, jsonContent } from "../http/openapi";
import { TokenResponse } from "./auth.routes";

export const BootstrapRequest = z
  .object({
    phone: z.string().min(1).max(32).openapi({ example: "+8613800000000", description: "The first administrator's phone" }),
    name: z.string().trim().min(1).max(60).optional(),
  })
  .strict()
  .openapi("BootstrapRequest");

export const bootstrap = createRoute({
  operationId: "bootstrapFirstAdmin",
  method: "post",
  path: "/v1/bootstrap",
  tags: ["Accounts"],
  summary: "Make the first administrator of a new deployment (npm run bootstrap)",
  description:
    "Needs the one-time secret BOOTSTRAP_TOKEN in the `Bootstrap-Token` header (not `Authorization`). The phone's account (created when missing) gets operator and admin and is signed in: the answer is its token pair. Works only while no account holds admin: afterwards, and for the loser of two racing calls, 409 BOOTSTRAP_DONE. 404 BOOTSTRAP_DISABLED when the secret is not set, 401 BOOTSTRAP_TOKEN_INVALID for another token. Audited (`account.bootstrap_admin`). Rate limited per IP like sign-in.",
  request: {
    headers: z.object({ "bootstrap-token": z.string().max(200).optional().openapi({ description: "The BOOTSTRAP_TOKEN secret" }) }),
    body: jsonBody(BootstrapRequest),
  },
  responses: { 201: jsonContent(TokenResponse, "The first administrator, signed in"), ...errorResponses(401, 404, 409, 413, 415, 429) },
});
