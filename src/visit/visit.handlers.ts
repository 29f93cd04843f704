import { authOf } from "../http/auth";
import { ownTechnicianId } from "../technicians/shifts.service";
import * as visit from "./visit.service";
import * as changes from "./changes.service";
import * as photos from "./photos.service";
import { createRouter, fileHeaders } from "../http/openapi";
import * as changeRoutes from "./changes.routes";
import * as liveRoutes from "./live.routes";
import * as photoRoutes from "./photos.routes";
import * as startCode from "./start-code.service";
import * as startCodeRoutes from "./start-code.routes";

export default createRouter()
  .openapi(photoRoutes.uploadPhoto, async (c) => {
    const { orderId } = c.req.valid("param");
    const upload = { kind: c.req.valid("query").kind, contentType: c.req.header("Content-Type"), body: await c.req.arrayBuffer() };
    return c.json(await photos.uploadPhoto(c.env, ownTechnicianId(authOf(c)), orderId, upload), 201);
  })
  .openapi(photoRoutes.listPhotos, async (c) =>
    c.json(await photos.orderPhotos(c.env, authOf(c), c.req.valid("param").id, c.req.valid("query")), 200),
  )
  .openapi(photoRoutes.getPhoto, async (c) => {
    const { id, photoId } = c.req.valid("param");
    const file = await photos.photoFile(c.env, authOf(c), id, photoId);
    return c.body(file.body, 200, fileHeaders(file, "private, max-age=3600"));
  })
  .openapi(changeRoutes.requestExtraCharge, async (c) =>
    c.json(await changes.requestExtraCharge(c.env, ownTechnicianId(authOf(c)), c.req.valid("param").orderId, c.req.valid("json")), 201),
  )
  .openapi(changeRoutes.requestTimeChange, async (c) =>
    c.json(await changes.requestTimeChange(c.env, ownTechnicianId(authOf(c)), c.req.valid("param").orderId, c.req.valid("json")), 201),
  )
  .openapi(changeRoutes.withdrawChange, async (c) => {
    const { orderId, changeId } = c.req.valid("param");
    return c.json(await changes.withdrawChange(c.env, ownTechnicianId(authOf(c)), orderId, changeId), 200);
  })
  .openapi(changeRoutes.listChanges, async (c) =>
    c.json(await changes.orderChanges(c.env, authOf(c), c.req.valid("param").id, c.req.valid("query")), 200),
  )
  .openapi(changeRoutes.approveChange, async (c) => {
    const { id, changeId } = c.req.valid("param");
    return c.json(await changes.decideOwnChange(c.env, authOf(c).accountId, id, changeId, "approve"), 200);
  })
  .openapi(changeRoutes.rejectChange, async (c) => {
    const { id, changeId } = c.req.valid("param");
    const reason = c.req.valid("json")?.reason;
    return c.json(await changes.decideOwnChange(c.env, authOf(c).accountId, id, changeId, "reject", reason), 200);
  })
  .openapi(startCodeRoutes.renewStartCode, async (c) =>
    c.json(await startCode.renewStartCode(c.env, authOf(c).accountId, c.req.valid("param").id), 200),
  )
  .openapi(startCodeRoutes.unlockStartCode, async (c) =>
    c.json(await startCode.unlockStartCode(c.env, authOf(c), c.req.valid("param").id, c.req.valid("json").reason), 200),
  )
  .openapi(liveRoutes.track, async (c) =>
    visit.openTracking(c.env, c.req.raw, c.get("auth"), c.req.valid("param").id, c.req.valid("query").ticket),
  )
  .openapi(liveRoutes.trackTicket, async (c) => c.json(await visit.trackTicket(c.env, authOf(c), c.req.valid("param").id), 201))
  .openapi(liveRoutes.listFavourites, async (c) => c.json(await visit.favourites(c.env, authOf(c).accountId, c.req.valid("query")), 200))
  .openapi(liveRoutes.putFavourite, async (c) =>
    c.json(await visit.addFavourite(c.env, authOf(c).accountId, c.req.valid("param").technicianId), 200),
  )
  .openapi(liveRoutes.deleteFavourite, async (c) => {
    await visit.deleteFavourite(c.env, authOf(c).accountId, c.req.valid("param").technicianId);
    return c.body(null, 204);
  });
