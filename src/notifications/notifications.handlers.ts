import { authOf } from "../http/auth";
import * as dead from "./dead-letters.service";
import * as devices from "./devices.service";
import * as inbox from "./inbox.service";
import { createRouter } from "../http/openapi";
import * as routes from "./notifications.routes";

export default createRouter()
  .openapi(routes.list, async (c) => c.json(await inbox.myNotifications(c.env, authOf(c).accountId, c.req.valid("query")), 200))
  .openapi(routes.readAll, async (c) => c.json(await inbox.readAllNotifications(c.env, authOf(c).accountId), 200))
  .openapi(routes.read, async (c) => c.json(await inbox.readNotification(c.env, authOf(c).accountId, c.req.valid("param").id), 200))
  .openapi(routes.registerDevice, async (c) => c.json(await devices.registerDevice(c.env, authOf(c).accountId, c.req.valid("json")), 200))
  .openapi(routes.listDevices, async (c) => c.json(await devices.myDevices(c.env, authOf(c).accountId), 200))
  .openapi(routes.deleteDevice, async (c) => {
    await devices.removeDevice(c.env, authOf(c).accountId, c.req.valid("param").id);
    return c.body(null, 204);
  })
  .openapi(routes.deadLetters, async (c) => c.json(await dead.deadLetters(c.env, c.req.valid("query")), 200))
  .openapi(routes.replay, async (c) => c.json(await dead.replayDeadLetter(c.env, authOf(c).accountId, c.req.valid("param").id), 200));
