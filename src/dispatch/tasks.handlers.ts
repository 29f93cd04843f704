import { authOf } from "../http/auth";
import { ownTechnicianId } from "../technicians/shifts.service";
import * as tasks from "./tasks.service";
import { createRouter } from "../http/openapi";
import * as routes from "./tasks.routes";

export default createRouter()
  .openapi(routes.listTasks, async (c) => c.json(await tasks.listTasks(c.env, ownTechnicianId(authOf(c)), c.req.valid("query")), 200))
  .openapi(routes.pool, async (c) => c.json(await tasks.pool(c.env, ownTechnicianId(authOf(c))), 200))
  .openapi(routes.getTask, async (c) => c.json(await tasks.getTask(c.env, ownTechnicianId(authOf(c)), c.req.valid("param").orderId), 200))
  .openapi(routes.grab, async (c) => c.json(await tasks.grab(c.env, ownTechnicianId(authOf(c)), c.req.valid("param").orderId), 200))
  .openapi(routes.act, async (c) => {
    const { orderId, action } = c.req.valid("param");
    return c.json(await tasks.act(c.env, ownTechnicianId(authOf(c)), orderId, action, c.req.valid("json") ?? {}), 200);
  });
