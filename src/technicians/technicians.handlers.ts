import { authOf } from "../http/auth";
import * as technicians from "./technicians.service";
import { createRouter } from "../http/openapi";
import * as routes from "./technicians.routes";

export default createRouter()
  .openapi(routes.createTechnician, async (c) => c.json(await technicians.createTechnician(c.env, authOf(c), c.req.valid("json")), 201))
  .openapi(routes.listTechnicians, async (c) => c.json(await technicians.queryTechnicians(c.env, authOf(c), c.req.valid("query")), 200))
  .openapi(routes.getTechnician, async (c) => c.json(await technicians.getTechnician(c.env, authOf(c), c.req.valid("param").id), 200))
  .openapi(routes.patchTechnician, async (c) =>
    c.json(await technicians.updateTechnician(c.env, authOf(c), c.req.valid("param").id, c.req.valid("json")), 200),
  )
  .openapi(routes.approveTechnician, async (c) =>
    c.json(await technicians.approveTechnician(c.env, authOf(c), c.req.valid("param").id), 200),
  )
  .openapi(routes.rejectTechnician, async (c) =>
    c.json(await technicians.rejectTechnician(c.env, authOf(c), c.req.valid("param").id, c.req.valid("json").reason), 200),
  );
