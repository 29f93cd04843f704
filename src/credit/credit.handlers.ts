import type { Context } from "hono";
import type { AppEnv, Auth } from "../env";
import { notFound } from "../errors";
import { authOf } from "../http/auth";
import { createRouter } from "../http/openapi";
import { merchantScope } from "../identity";
import { pickLocale } from "../lib/locale";
import * as credit from "./credit.service";
import * as decisions from "./decisions.service";
import * as routes from "./credit.routes";

const localeOf = (c: Context<AppEnv>) => pickLocale(c.req.header("Accept-Language"));

function own(auth: Auth): string {
  if (!auth.technicianId) throw notFound("Technician");
  return auth.technicianId;
}

/** The technician as staff may see them: 404 outside a merchant admin's merchant. */
async function reachable(c: Context<AppEnv>, id: string) {
  return credit.creditSummary(c.env, id, localeOf(c), merchantScope(authOf(c)));
}

export default createRouter()
  .openapi(routes.ownSummary, async (c) => c.json(await credit.creditSummary(c.env, own(authOf(c)), localeOf(c)), 200))
  .openapi(routes.ownHistory, async (c) =>
    c.json(await credit.creditHistoryPage(c.env, own(authOf(c)), c.req.valid("query"), localeOf(c)), 200),
  )
  .openapi(routes.ownDecisions, async (c) => c.json(await decisions.decisionsFor(c.env, own(authOf(c)), localeOf(c)), 200))
  .openapi(routes.appealDecision, async (c) => {
    const auth = authOf(c);
    return c.json(await decisions.appeal(c.env, own(auth), c.req.valid("param").id, c.req.valid("json").reason, auth.accountId), 201);
  })
  .openapi(routes.staffSummary, async (c) => c.json(await reachable(c, c.req.valid("param").id), 200))
  .openapi(routes.staffHistory, async (c) => {
    const { id } = c.req.valid("param");
    await reachable(c, id);
    return c.json(await credit.creditHistoryPage(c.env, id, c.req.valid("query"), localeOf(c)), 200);
  })
  .openapi(routes.staffDecisions, async (c) => {
    const { id } = c.req.valid("param");
    await reachable(c, id);
    return c.json(await decisions.decisionsFor(c.env, id, localeOf(c)), 200);
  })
  .openapi(routes.createDecision, async (c) =>
    c.json(await decisions.decide(c.env, authOf(c).accountId, c.req.valid("param").id, c.req.valid("json"), localeOf(c)), 201),
  )
  .openapi(routes.appealQueue, async (c) => {
    const q = c.req.valid("query");
    return c.json(await decisions.appeals(c.env, q.status, q.limit, localeOf(c)), 200);
  })
  .openapi(routes.decideAppeal, async (c) =>
    c.json(await decisions.decideAppeal(c.env, authOf(c).accountId, c.req.valid("param").id, c.req.valid("json")), 200),
  )
  .openapi(routes.getSettings, async (c) => c.json(await credit.levelSettings(c.env), 200))
  .openapi(routes.putSettings, async (c) => c.json(await credit.setLevelRules(c.env, authOf(c).accountId, c.req.valid("json")), 200));
