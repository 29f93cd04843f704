import { authOf } from "../http/auth";
import { createRouter } from "../http/openapi";
import { ownTechnicianId } from "../technicians";
import * as routes from "./day-route.routes";
import { applyDayRoute, technicianDayRoute } from "./day-route.service";

export default createRouter()
  .openapi(routes.getOwnRoute, async (c) =>
    c.json(await technicianDayRoute(c.env, ownTechnicianId(authOf(c)), c.req.valid("query").date), 200),
  )
  .openapi(routes.applyOwnRoute, async (c) => {
    const body = c.req.valid("json");
    return c.json(await applyDayRoute(c.env, ownTechnicianId(authOf(c)), body.date, body.basis), 200);
  })
  .openapi(routes.getTechnicianRoute, async (c) =>
    c.json(await technicianDayRoute(c.env, c.req.valid("param").id, c.req.valid("query").date, authOf(c)), 200),
  );
