import { getDb } from "../db/client";
import { authOf } from "../http/auth";
import { createRouter } from "../http/openapi";
import { afterAnswer } from "../http/request";
import { endTracking } from "../visit";
import { clientOf, consentsOf, recordConsent } from "./consents.service";
import { cancelDeletionByStaff, cancelMyDeletion, myDeletion, requestDeletion } from "./deletion.service";
import { downloadExport, myRequest, requestExport, requestView } from "./export.service";
import { findRequest, listRequests, technicianOfAccount, trackedOrdersOf, trailOf } from "./privacy.repo";
import { retentionSettings } from "./retention.service";
import * as r from "./privacy.routes";
import { notFound } from "../errors";

export default createRouter()
  .openapi(r.getConsents, async (c) => c.json(await consentsOf(c.env, authOf(c).accountId), 200))
  .openapi(r.putConsent, async (c) => {
    const auth = authOf(c);
    const { purpose } = c.req.valid("param");
    const body = c.req.valid("json");
    const state = await recordConsent(c.env, auth.accountId, { purpose, ...body, client: clientOf(c.req.raw.headers) });
    if (purpose === "location_sharing" && !state.granted) {
      // Sharing stops now: the customers watching this technician lose the socket at once.
      const db = getDb(c.env);
      const technicianId = await technicianOfAccount(db, auth.accountId);
      if (technicianId) for (const orderId of await trackedOrdersOf(db, technicianId)) await endTracking(c.env, technicianId, orderId);
    }
    return c.json(state, 200);
  })
  .openapi(r.postExport, async (c) =>
    c.json(await requestExport(c.env, authOf(c).accountId, clientOf(c.req.raw.headers), afterAnswer(c)), 202),
  )
  .openapi(r.getMyRequest, async (c) => c.json(await myRequest(c.env, authOf(c).accountId, c.req.valid("param").id), 200))
  .openapi(r.download, async (c) => {
    const file = await downloadExport(c.env, c.req.valid("query").token);
    return c.body(file.body, 200, {
      "Content-Type": "application/json; charset=utf-8",
      "Content-Disposition": `attachment; filename="${file.filename}"`,
      "Cache-Control": "private, no-store",
    });
  })
  .openapi(r.postDeletion, async (c) => {
    const out = await requestDeletion(c.env, authOf(c).accountId, clientOf(c.req.raw.headers));
    return out.created ? c.json(out.request, 202) : c.json(out.request, 200);
  })
  .openapi(r.getDeletion, async (c) => c.json(await myDeletion(c.env, authOf(c).accountId), 200))
  .openapi(r.deleteDeletion, async (c) => c.json(await cancelMyDeletion(c.env, authOf(c).accountId), 200))
  .openapi(r.listRequests, async (c) => {
    const q = c.req.valid("query");
    const rows = await listRequests(getDb(c.env), { ...q, before: q.cursor, limit: q.limit + 1 });
    const items = await Promise.all(rows.slice(0, q.limit).map((row) => requestView(c.env, row)));
    return c.json({ items, nextCursor: rows.length > q.limit ? items[items.length - 1]!.id : null }, 200);
  })
  .openapi(r.getRequest, async (c) => {
    const db = getDb(c.env);
    const id = c.req.valid("param").id;
    const row = await findRequest(db, id);
    if (!row) throw notFound({ en: "Data request", zh: "数据申请" });
    const trail = (await trailOf(db, id)).map((t) => ({
      at: new Date(t.at).toISOString(),
      action: t.action,
      actorId: t.actorId,
      data: JSON.parse(t.data) as Record<string, unknown>,
    }));
    return c.json({ ...(await requestView(c.env, row)), trail }, 200);
  })
  .openapi(r.cancelRequest, async (c) =>
    c.json(await cancelDeletionByStaff(c.env, authOf(c), c.req.valid("param").id, c.req.valid("json").reason), 200),
  )
  .openapi(r.retention, async (c) => c.json(await retentionSettings(c.env), 200));
