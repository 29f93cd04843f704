import { authOf } from "../http/auth";
import { createRouter } from "../http/openapi";
import * as routes from "./membership.routes";
import * as pkgs from "./packages.service";
import { myMembership } from "./points.service";
import { saveMerchantRate, saveSettings, settingsView } from "./settings.service";

export default createRouter()
  .openapi(routes.offered, async (c) => c.json(await pkgs.offeredPlans(c.env, c.req.valid("query")), 200))
  .openapi(routes.buy, async (c) => c.json(await pkgs.buyPackage(c.env, authOf(c).accountId, c.req.valid("json").planId), 201))
  .openapi(routes.mine, async (c) => c.json(await pkgs.myPackages(c.env, authOf(c).accountId), 200))
  .openapi(routes.myOne, async (c) => c.json(await pkgs.myPackage(c.env, authOf(c).accountId, c.req.valid("param").id), 200))
  .openapi(routes.membership, async (c) => c.json(await myMembership(c.env, authOf(c).accountId), 200))
  .openapi(routes.createPlan, async (c) => c.json(await pkgs.createPlan(c.env, authOf(c), c.req.valid("json")), 201))
  .openapi(routes.plans, async (c) => c.json(await pkgs.staffPlans(c.env, authOf(c), c.req.valid("query")), 200))
  .openapi(routes.patchPlan, async (c) =>
    c.json(await pkgs.changePlan(c.env, authOf(c), c.req.valid("param").id, c.req.valid("json")), 200),
  )
  .openapi(routes.packages, async (c) => c.json(await pkgs.staffPackages(c.env, authOf(c), c.req.valid("query")), 200))
  .openapi(routes.packageDetail, async (c) => c.json(await pkgs.staffPackageDetail(c.env, authOf(c), c.req.valid("param").id), 200))
  .openapi(routes.recordPayment, async (c) =>
    c.json(await pkgs.recordPackagePayment(c.env, authOf(c).accountId, c.req.valid("param").id, c.req.valid("json")), 200),
  )
  .openapi(routes.refund, async (c) =>
    c.json(await pkgs.refundPackage(c.env, authOf(c).accountId, c.req.valid("param").id, c.req.valid("json").reason), 200),
  )
  .openapi(routes.settings, async (c) => c.json(await settingsView(c.env), 200))
  .openapi(routes.putSettings, async (c) => c.json(await saveSettings(c.env, authOf(c).accountId, c.req.valid("json")), 200))
  .openapi(routes.merchantRate, async (c) =>
    c.json(await saveMerchantRate(c.env, authOf(c).accountId, c.req.valid("param").id, c.req.valid("json").earnPerYuan), 200),
  );
