import { authOf } from "../../src/http/auth";
import * as bench from "./bench.service";
import { createRouter } from "../../src/http/openapi";
import * as routes from "./bench.routes";
import { readCounters, resetCounters } from "./counters";

export default createRouter()
  .openapi(routes.noop, async (c) => c.json({ ok: true as const }, 200))
  .openapi(routes.ping, async (c) => c.json(await bench.pingCell(c.env, c.req.valid("param").cell), 200))
  .openapi(routes.naiveOrder, async (c) => c.json(await bench.placeNaiveOrder(c.env, authOf(c).accountId, c.req.valid("json")), 201))
  .openapi(routes.naiveAudit, async (c) => c.json(await bench.naiveOrderAudit(c.env), 200))
  .openapi(routes.fill, async (c) => c.json(await bench.fillCell(c.env, c.req.valid("param").cell, c.req.valid("json").items), 200))
  .openapi(routes.presence, async (c) => c.json(await bench.cellPresence(c.env, c.req.valid("param").cell), 200))
  .openapi(routes.counters, async (c) => c.json(readCounters(), 200))
  .openapi(routes.resetCounters, async (c) => {
    resetCounters();
    return c.json({ since: readCounters().since }, 200);
  });
