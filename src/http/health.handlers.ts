import { createRoute, z } from "@hono/zod-openapi";
import { getDb } from "../db/client";
import { ping } from "../db/repositories/health.repo";
import { createRouter, errorResponses, jsonContent } from "./openapi";

const health = createRoute({
  operationId: "getHealth",
  method: "get",
  path: "/healthz",
  tags: ["System"],
  summary: "Liveness and D1 reachability",
  responses: {
    200: jsonContent(z.object({ ok: z.literal(true), time: z.string() }), "Healthy"),
    ...errorResponses(),
  },
});

export default createRouter().openapi(health, async (c) => {
  await ping(getDb(c.env));
  return c.json({ ok: true as const, time: new Date().toISOString() }, 200);
});
