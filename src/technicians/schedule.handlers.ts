import { authOf } from "../http/auth";
import { moveHome } from "./home-move.service";
import * as shifts from "./shifts.service";
import { createRouter } from "../http/openapi";
import * as routes from "./schedule.routes";

export default createRouter()
  .openapi(routes.getOwnShifts, async (c) => c.json(await shifts.getShifts(c.env, shifts.ownTechnicianId(authOf(c))), 200))
  .openapi(routes.putOwnShifts, async (c) =>
    c.json(await shifts.putShifts(c.env, shifts.ownTechnicianId(authOf(c)), c.req.valid("json")), 200),
  )
  .openapi(routes.getTechShifts, async (c) => c.json(await shifts.getShifts(c.env, c.req.valid("param").id, authOf(c)), 200))
  .openapi(routes.putTechShifts, async (c) =>
    c.json(await shifts.putShifts(c.env, c.req.valid("param").id, c.req.valid("json"), authOf(c)), 200),
  )
  .openapi(routes.moveHome, async (c) => c.json(await moveHome(c.env, authOf(c), c.req.valid("param").id, c.req.valid("json")), 200))
  .openapi(routes.getSchedule, async (c) =>
    c.json(await shifts.getSchedule(c.env, authOf(c), c.req.valid("param").id, c.req.valid("query")), 200),
  );
