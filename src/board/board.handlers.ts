import { authOf } from "../http/auth";
import { isPlatform } from "../domain/roles";
import type { Auth } from "../env";
import { createRouter } from "../http/openapi";
import * as routes from "./board.routes";
import { cellBoard } from "./board.service";
import { stuckMoves } from "./move-repair.service";
import { applyOrderMoves, type MoveActor } from "./moves.service";

/** Staff as a mover: operators any order, a merchant_admin its own merchant's. */
function moverOf(auth: Auth): MoveActor {
  return isPlatform(auth.roles)
    ? { type: "operator", id: auth.accountId }
    : { type: "merchant", id: auth.accountId, merchantId: auth.merchantId };
}

const scopeOf = (auth: Auth) => (isPlatform(auth.roles) ? undefined : (auth.merchantId ?? "__none__"));

export default createRouter()
  .openapi(routes.board, async (c) => {
    const q = c.req.valid("query");
    return c.json(await cellBoard(c.env, q.cellId, q.date, scopeOf(authOf(c)), { neighbours: q.neighbours === "true" }), 200);
  })
  .openapi(routes.moves, async (c) => {
    const body = c.req.valid("json");
    const moves = body.moves.map((m) => ({ ...m, start: Date.parse(m.start), end: Date.parse(m.end) }));
    return c.json(await applyOrderMoves(c.env, moverOf(authOf(c)), c.req.valid("param").cellId, moves), 200);
  })
  .openapi(routes.stuckMoves, async (c) => c.json(await stuckMoves(c.env, c.req.valid("param").cellId), 200));
