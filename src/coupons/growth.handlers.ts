import { authOf } from "../http/auth";
import { createRouter, fileHeaders } from "../http/openapi";
import { profilePhotoFile } from "../technicians";
import * as campaigns from "./campaigns.service";
import * as routes from "./growth.routes";
import * as referrals from "./referrals.service";
import * as share from "./share.service";
import * as wallet from "./wallet.service";
import { setBirthday } from "../db/repositories/growth.repo";
import { getDb } from "../db/client";

const originOf = (url: string) => new URL(url).origin;

export default createRouter()
  .openapi(routes.myCoupons, async (c) => c.json(await wallet.wallet(c.env, authOf(c).accountId, c.req.valid("query")), 200))
  .openapi(routes.issueToAccount, async (c) =>
    c.json(await wallet.issueByStaff(c.env, authOf(c).accountId, c.req.valid("param").id, c.req.valid("json")), 201),
  )
  .openapi(routes.accountCoupons, async (c) => c.json(await wallet.wallet(c.env, c.req.valid("param").id, c.req.valid("query")), 200))
  .openapi(routes.putLimits, async (c) =>
    c.json(await campaigns.setLimits(c.env, authOf(c).accountId, c.req.valid("param").id, c.req.valid("json")), 200),
  )
  .openapi(routes.createCampaign, async (c) => c.json(await campaigns.createCampaign(c.env, authOf(c), c.req.valid("json")), 201))
  .openapi(routes.listCampaigns, async (c) => c.json(await campaigns.campaignsFor(c.env, authOf(c), c.req.valid("query")), 200))
  .openapi(routes.patchCampaign, async (c) =>
    c.json(await campaigns.changeCampaign(c.env, authOf(c), c.req.valid("param").id, c.req.valid("json")), 200),
  )
  .openapi(routes.issueCampaign, async (c) =>
    c.json(await campaigns.issueFromCampaign(c.env, authOf(c), c.req.valid("param").id, c.req.valid("json").accountIds), 200),
  )
  .openapi(routes.putBirthday, async (c) => {
    const { monthDay } = c.req.valid("json");
    await setBirthday(getDb(c.env), authOf(c).accountId, monthDay, Date.now());
    return c.json({ monthDay }, 200);
  })
  .openapi(routes.myReferral, async (c) =>
    c.json(await referrals.myReferral(c.env, authOf(c).accountId, c.req.valid("header")["x-device-id"]), 200),
  )
  .openapi(routes.acceptReferral, async (c) =>
    c.json(await referrals.acceptReferral(c.env, authOf(c).accountId, c.req.valid("json").code, c.req.valid("header")["x-device-id"]), 200),
  )
  .openapi(routes.createShareLink, async (c) =>
    c.json(await share.createShareLink(c.env, authOf(c).accountId, c.req.valid("json"), originOf(c.req.url)), 201),
  )
  .openapi(routes.shareCard, async (c) => c.json(await share.shareCard(c.env, c.req.valid("param").token, originOf(c.req.url)), 200))
  .openapi(routes.sharePage, async (c) => {
    const asked = c.req.valid("query").lang;
    const lang = asked ?? (/^en\b/i.test(c.req.header("Accept-Language") ?? "") ? "en" : "zh");
    const html = await share.sharePage(c.env, c.req.valid("param").token, originOf(c.req.url), lang);
    return c.html(html, 200, { "Cache-Control": "public, max-age=300" });
  })
  .openapi(routes.shareImage, async (c) => {
    const file = await profilePhotoFile(c.env, await share.sharedTechnician(c.env, c.req.valid("param").token));
    return c.body(file.body, 200, fileHeaders(file, "public, max-age=300"));
  });
