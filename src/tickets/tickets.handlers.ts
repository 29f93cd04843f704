import { authOf } from "../http/auth";
import { afterAnswer } from "../http/request";
import { createRouter } from "../http/openapi";
import { idempotent, parseIdempotencyKey, type Seal } from "../orders";
import { noSeal, rejectTicket, resolveTicket } from "./decisions.service";
import * as tickets from "./tickets.service";
import * as routes from "./tickets.routes";

type TicketAnswer = ReturnType<typeof tickets.ticketView>;

export default createRouter()
  .openapi(routes.open, async (c) => c.json(await tickets.openTicket(c.env, authOf(c), c.req.valid("param").id, c.req.valid("json")), 201))
  .openapi(routes.ofOrder, async (c) => c.json(await tickets.orderTickets(c.env, authOf(c), c.req.valid("param").id), 200))
  .openapi(routes.get, async (c) => c.json(await tickets.getTicket(c.env, authOf(c), c.req.valid("param").id), 200))
  .openapi(routes.addEntry, async (c) =>
    c.json(await tickets.addEntry(c.env, authOf(c), c.req.valid("param").id, c.req.valid("json")), 201),
  )
  .openapi(routes.addEvidence, async (c) => {
    const upload = { contentType: c.req.header("Content-Type"), body: await c.req.arrayBuffer() };
    return c.json(await tickets.addEvidence(c.env, authOf(c), c.req.valid("param").id, upload), 201);
  })
  .openapi(routes.evidence, async (c) => {
    const { id, entryId } = c.req.valid("param");
    const file = await tickets.evidenceFile(c.env, authOf(c), id, entryId);
    const headers: Record<string, string> = { "Content-Type": file.contentType, "Cache-Control": "private, max-age=300" };
    if (file.size !== undefined) headers["Content-Length"] = String(file.size);
    return c.body(file.body, 200, headers);
  })
  .openapi(routes.postMessage, async (c) =>
    c.json(await tickets.postMessage(c.env, authOf(c), c.req.valid("param").id, c.req.valid("json")), 201),
  )
  .openapi(routes.reopen, async (c) =>
    c.json(await tickets.reopenTicket(c.env, authOf(c), c.req.valid("param").id, c.req.valid("json")), 200),
  )
  .openapi(routes.list, async (c) => {
    const q = c.req.valid("query");
    return c.json(await tickets.staffTickets(c.env, authOf(c), { ...q, cityId: q.city }), 200);
  })
  .openapi(routes.review, async (c) => c.json(await tickets.startReview(c.env, authOf(c), c.req.valid("param").id), 200))
  .openapi(routes.resolve, async (c) => {
    const auth = authOf(c);
    const id = c.req.valid("param").id;
    const body = c.req.valid("json");
    const key = parseIdempotencyKey(c.req.header("Idempotency-Key"), true)!;
    const outcome = await idempotent(c.env, auth.accountId, key, { resolveTicket: id, ...body }, async (seal: Seal) => ({
      status: 200,
      body: await resolveTicket(c.env, auth, id, body, seal, afterAnswer(c)),
    }));
    if (outcome.replayed) c.header("Idempotent-Replayed", "true");
    return c.json(outcome.body as TicketAnswer, 200);
  })
  .openapi(routes.reject, async (c) => {
    const auth = authOf(c);
    const id = c.req.valid("param").id;
    const body = c.req.valid("json");
    const key = parseIdempotencyKey(c.req.header("Idempotency-Key"), false);
    const run = async (seal: Seal) => ({ status: 200, body: await rejectTicket(c.env, auth, id, body, seal) });
    const outcome = key
      ? await idempotent(c.env, auth.accountId, key, { rejectTicket: id, ...body }, run)
      : { ...(await run(noSeal(c.env))), replayed: false };
    if (outcome.replayed) c.header("Idempotent-Replayed", "true");
    return c.json(outcome.body as TicketAnswer, 200);
  });
