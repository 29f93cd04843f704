import { createRoute, z } from "@hono/zod-openapi";
import { requireRole } from "../http/auth";
import { authErrors, bearer, CursorQuery, jsonContent, LimitQuery, page } from "../http/openapi";
import { Task } from "../orders/orders.schemas";

const technician = requireRole("technician");
const TaskId = z.object({
  orderId: z
    .string()
    .min(1)
    .max(64)
    .openapi({ param: { name: "orderId", in: "path" }, example: "ord_01JD3Q8Z6X9V4M2K7T5R1N0PAB" }),
});

export const listTasks = createRoute({
  operationId: "listTasks",
  method: "get",
  path: "/v1/technician/tasks",
  tags: ["Technicians"],
  summary: "My current and upcoming jobs",
  security: bearer,
  middleware: [technician] as const,
  request: { query: z.object({ limit: LimitQuery, cursor: CursorQuery }) },
  responses: { 200: jsonContent(page(Task), "Tasks"), ...authErrors(404) },
});

export const getTask = createRoute({
  operationId: "getTask",
  method: "get",
  path: "/v1/technician/tasks/{orderId}",
  tags: ["Technicians"],
  summary: "One of my jobs",
  security: bearer,
  middleware: [technician] as const,
  request: { params: TaskId },
  responses: { 200: jsonContent(Task, "Task"), ...authErrors(404) },
});

export const pool = createRoute({
  operationId: "listGrabPool",
  method: "get",
  path: "/v1/technician/pool",
  tags: ["Technicians"],
  summary: "Jobs open for grabbing near me",
  security: bearer,
  middleware: [technician] as const,
  responses: { 200: jsonContent(z.object({ items: z.array(Task.extend({ distanceKm: z.number() })) }), "Pool"), ...authErrors(404) },
});

export const grab = createRoute({
  operationId: "grabTask",
  method: "post",
  path: "/v1/technician/tasks/{orderId}/grab",
  tags: ["Technicians"],
  summary: "Grab an open job: the first wins, the rest get 409 ALREADY_TAKEN",
  security: bearer,
  middleware: [technician] as const,
  request: { params: TaskId },
  responses: { 200: jsonContent(Task, "Yours"), ...authErrors(404, 409) },
});

export const ActionBody = z
  .object({
    lat: z.number().min(-90).max(90).optional(),
    lng: z.number().min(-180).max(180).optional(),
    code: z
      .string()
      .regex(/^\d{4}$/, "4 digits")
      .optional(),
    reason: z.string().trim().min(1).max(500).optional(),
  })
  .strict()
  .openapi("TaskAction");

export const act = createRoute({
  operationId: "actOnTask",
  method: "post",
  path: "/v1/technician/tasks/{orderId}/{action}",
  tags: ["Technicians"],
  summary: "A step of the visit: accept, decline, depart, arrive, start, complete, cancel",
  description:
    "accept/decline an offered job (decline re-dispatches); depart; arrive needs `lat`/`lng` within GEOFENCE_METERS of the address (the timeline keeps the distance and that position's ~1 km area only); start needs the customer's 4-digit `code` (a wrong one is 400 START_CODE_INVALID with `attemptsLeft`; 5 wrong codes lock it, 409 START_CODE_LOCKED, until the customer issues a new code or staff unlock it); complete; cancel (re-dispatches, with `reason`).",
  security: bearer,
  middleware: [technician] as const,
  request: {
    params: TaskId.extend({
      action: z
        .enum(["accept", "decline", "depart", "arrive", "start", "complete", "cancel"])
        .openapi({ param: { name: "action", in: "path" } }),
    }),
    body: { required: false, content: { "application/json": { schema: ActionBody } } },
  },
  responses: { 200: jsonContent(Task, "Task"), ...authErrors(404, 409, 413, 415) },
});
