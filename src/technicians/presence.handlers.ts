import { authOf } from "../http/auth";
import * as presence from "./presence.service";
import { ownTechnicianId } from "./shifts.service";
import { createRouter } from "../http/openapi";
import * as routes from "./presence.routes";

export default createRouter()
  .openapi(routes.status, async (c) => c.json(await presence.setStatus(c.env, ownTechnicianId(authOf(c)), c.req.valid("json").online), 200))
  .openapi(routes.presence, async (c) => c.json(await presence.reportPosition(c.env, ownTechnicianId(authOf(c)), c.req.valid("json")), 200))
  .openapi(routes.stream, async (c) => presence.openStream(c.env, c.req.raw, c.get("auth"), c.req.valid("query").ticket))
  .openapi(routes.streamTicket, async (c) => {
    const auth = authOf(c);
    ownTechnicianId(auth);
    return c.json(await presence.streamTicket(c.env, auth), 201);
  });
