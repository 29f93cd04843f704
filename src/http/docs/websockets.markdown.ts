/** docs/websockets.md, rendered from the socket message schemas (`npm run docs:websockets` writes it; a test keeps it in sync). */
import { z } from "zod";
import { SOCKET_PROTOCOLS } from "../../domain/socket-messages";

const schemaBlock = (schema: z.ZodType) => ["```json", JSON.stringify(z.toJSONSchema(schema, { io: "output" }), null, 2), "```"];

export function websocketsMarkdown(): string {
  const sections = SOCKET_PROTOCOLS.flatMap((p) => [
    `## ${p.name}: \`GET ${p.path}\``,
    "",
    p.about,
    "",
    `Open it with \`Upgrade: websocket\` and either the \`Authorization: Bearer …\` header or, from a browser, \`?ticket=\` from \`${p.ticket}\` (single use, valid SOCKET_TICKET_TTL_SECONDS). Every message is one JSON text frame.`,
    "",
    ...(p.client
      ? ["### Client → server", "", ...schemaBlock(p.client), ""]
      : ["### Client → server", "", "Nothing: messages from the client are ignored.", ""]),
    "### Server → client",
    "",
    ...schemaBlock(p.server),
    "",
  ]);
  return [
    "# WebSocket protocols",
    "",
    "Generated from `src/domain/socket-messages.ts` by `npm run docs:websockets`; do not edit by hand.",
    "The schemas are JSON Schema (draft 2020-12); `test/visit/socket-protocols.test.ts` checks what real",
    "sockets send against them. Failures before the upgrade are ordinary problem+json answers (401",
    "`INVALID_TICKET` / `TICKET_USED`, 403, 404, 409), listed in `/openapi.json` and [errors.md](errors.md).",
    "Coordinates are decimal degrees, see [coordinates.md](coordinates.md).",
    "",
    ...sections,
  ].join("\n");
}
