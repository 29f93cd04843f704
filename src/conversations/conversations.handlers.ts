import { authOf } from "../http/auth";
import { createRouter, fileHeaders } from "../http/openapi";
import * as routes from "./conversations.routes";
import * as chat from "./conversations.service";

export default createRouter()
  .openapi(routes.list, async (c) => c.json(await chat.myConversations(c.env, authOf(c), c.req.valid("query")), 200))
  .openapi(routes.start, async (c) => c.json(await chat.startSupport(c.env, authOf(c), c.req.valid("json")), 201))
  .openapi(routes.ofOrder, async (c) => c.json(await chat.orderConversation(c.env, authOf(c), c.req.valid("param").id), 200))
  .openapi(routes.get, async (c) =>
    c.json(await chat.getConversation(c.env, authOf(c), c.req.valid("param").id, c.req.valid("query").reason), 200),
  )
  .openapi(routes.messages, async (c) => c.json(await chat.messages(c.env, authOf(c), c.req.valid("param").id, c.req.valid("query")), 200))
  .openapi(routes.send, async (c) => c.json(await chat.sendMessage(c.env, authOf(c), c.req.valid("param").id, c.req.valid("json")), 201))
  .openapi(routes.sendImage, async (c) => {
    const upload = { contentType: c.req.header("Content-Type"), body: await c.req.arrayBuffer() };
    return c.json(await chat.sendImage(c.env, authOf(c), c.req.valid("param").id, upload), 201);
  })
  .openapi(routes.image, async (c) => {
    const { id, messageId } = c.req.valid("param");
    const file = await chat.imageFile(c.env, authOf(c), id, messageId, c.req.valid("query").reason);
    return c.body(file.body, 200, fileHeaders(file, "private, max-age=3600"));
  })
  .openapi(routes.read, async (c) =>
    c.json(await chat.markRead(c.env, authOf(c), c.req.valid("param").id, c.req.valid("json").messageId), 200),
  )
  .openapi(routes.live, async (c) => chat.openLive(c.env, c.req.raw, c.get("auth"), c.req.valid("param").id, c.req.valid("query").ticket))
  .openapi(routes.liveTicket, async (c) => c.json(await chat.liveTicket(c.env, authOf(c), c.req.valid("param").id), 201))
  .openapi(routes.inboxLive, async (c) => chat.openInboxLive(c.env, c.req.raw, c.get("auth"), c.req.valid("query").ticket))
  .openapi(routes.inboxLiveTicket, async (c) => c.json(await chat.inboxTicket(c.env, authOf(c)), 201))
  .openapi(routes.inbox, async (c) => c.json(await chat.inbox(c.env, authOf(c), c.req.valid("query")), 200))
  .openapi(routes.claim, async (c) => c.json(await chat.claim(c.env, authOf(c), c.req.valid("param").id), 200))
  .openapi(routes.handOff, async (c) =>
    c.json(await chat.handOff(c.env, authOf(c), c.req.valid("param").id, c.req.valid("json").staffId), 200),
  )
  .openapi(routes.flags, async (c) => c.json(await chat.flagged(c.env, c.req.valid("query")), 200))
  .openapi(routes.listCanned, async (c) => c.json(await chat.cannedAnswers(c.env), 200))
  .openapi(routes.createCanned, async (c) => c.json(await chat.createCanned(c.env, authOf(c), c.req.valid("json")), 201))
  .openapi(routes.updateCanned, async (c) =>
    c.json(await chat.updateCanned(c.env, authOf(c), c.req.valid("param").id, c.req.valid("json")), 200),
  )
  .openapi(routes.deleteCanned, async (c) => {
    await chat.deleteCanned(c.env, c.req.valid("param").id);
    return c.body(null, 204);
  });
