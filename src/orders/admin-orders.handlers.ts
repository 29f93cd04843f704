import { authOf } from "../http/auth";
import * as admin from "./admin-orders.service";
import { createRouter } from "../http/openapi";
import * as routes from "./admin-orders.routes";

export default createRouter()
  .openapi(routes.list, async (c) => c.json(await admin.listForStaff(c.env, authOf(c), c.req.valid("query")), 200))
  .openapi(routes.get, async (c) => c.json(await admin.getForStaff(c.env, authOf(c), c.req.valid("param").id), 200))
  .openapi(routes.dispatch, async (c) => c.json(await admin.dispatchExplanation(c.env, authOf(c), c.req.valid("param").id), 200))
  .openapi(routes.assign, async (c) =>
    c.json(await admin.assign(c.env, authOf(c), c.req.valid("param").id, c.req.valid("json").technicianId), 200),
  )
  .openapi(routes.cancel, async (c) =>
    c.json(await admin.cancelByStaff(c.env, authOf(c), c.req.valid("param").id, c.req.valid("json").reason), 200),
  )
  .openapi(routes.candidates, async (c) => c.json(await admin.candidatesNow(c.env, authOf(c), c.req.valid("param").id), 200))
  .openapi(routes.contact, async (c) =>
    c.json(await admin.revealContact(c.env, authOf(c), c.req.valid("param").id, c.req.valid("json").reason), 200),
  );
