import { AppError } from "../errors";
import { authOf } from "../http/auth";
import * as presence from "./presence.service";
import { ownTechnicianId } from "./shifts.service";
import { createRouter } from "../http/openapi";
import * as routes from "./presence.routes";

export default createRouter()
  .openapi(routes.status, async (c) => c.json(await presence.setStatus(c.env, ownTechnicianId(authOf(c)), c.req.valid("json").online), 200))
  .openapi(routes.presence, async (c) => c.json(await presence.reportPosition(c.env, ownTechnicianId(authOf(c)), c.req.valid("json")), 200))
  .openapi(routes.stream, async (c) => {
    const auth = c.get("auth");
    if (auth && !auth.roles.includes("technician")) throw AppError.of("FORBIDDEN");
    return presence.openStream(c.env, c.req.raw, auth ? ownTechnicianId(auth) : null);
  });
