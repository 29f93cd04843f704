// The SDK (sdk/) against the API it describes: its generated files must be what `npm run sdk` makes
// from the app's current OpenAPI document, and its client must send what the API expects.
// Runs in Node (`npm run test:sdk`); test/http/operation-ids.test.ts checks the same document as the
// Worker serves it.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { openApiDocument } from "../../scripts/openapi-document.mjs";
import { generateSdk, staleFiles } from "../../scripts/sdk.mjs";
import { createDoorstepClient, idempotencyKey, problemOf, withIdempotencyKey } from "../../sdk/index.ts";

const document = await openApiDocument();
const operations = Object.entries(document.paths).flatMap(([path, item]) =>
  Object.entries(item).map(([method, op]) => ({ method, path, operationId: op.operationId })),
);

describe("the committed SDK", () => {
  it("matches what npm run sdk generates from the current OpenAPI document", async () => {
    const stale = staleFiles(await generateSdk(document));
    assert.deepEqual(stale, [], `sdk/ has drifted from the OpenAPI document (${stale.join(", ")}): run npm run sdk and commit`);
  });

  it("is found stale when an operation changes, is added, or loses its id", async () => {
    const changed = structuredClone(document);
    changed.paths["/v1/orders"].post.summary = "Book something else";
    assert.deepEqual(staleFiles(await generateSdk(changed)), ["openapi.json", "schema.d.ts"]);

    const added = structuredClone(document);
    added.paths["/v1/extra"] = { get: { operationId: "getExtra", responses: { 200: { description: "ok" } } } };
    assert.ok(staleFiles(await generateSdk(added)).includes("schema.d.ts"));

    const renamed = structuredClone(document);
    renamed.paths["/v1/orders"].post.operationId = "bookOrder";
    assert.ok(staleFiles(await generateSdk(renamed)).includes("schema.d.ts"));
  });

  it("types every operation by its operationId", async () => {
    const { "schema.d.ts": types } = await generateSdk(document);
    for (const { operationId } of operations) assert.match(types, new RegExp(`\\n    ${operationId}: \\{`), operationId);
  });
});

describe("operationIds", () => {
  it("every operation has one, camelCase and unique", () => {
    assert.ok(operations.length > 100, `only ${operations.length} operations`);
    for (const op of operations) assert.match(op.operationId ?? "", /^[a-z][A-Za-z0-9]+$/, `${op.method} ${op.path}`);
    const seen = new Map();
    for (const op of operations) {
      assert.ok(!seen.has(op.operationId), `${op.operationId} names both ${seen.get(op.operationId)} and ${op.method} ${op.path}`);
      seen.set(op.operationId, `${op.method} ${op.path}`);
    }
  });
});

/** A fetch that records each request and answers with `answer(request)`. */
function recordingFetch(answer) {
  const requests = [];
  const fetch = async (input, init) => {
    const request = new Request(input, init);
    requests.push({ request, body: request.body ? await request.clone().text() : undefined });
    return answer(request);
  };
  return { fetch, requests };
}

const json = (body, status = 200, type = "application/json") =>
  new Response(JSON.stringify(body), { status, headers: { "Content-Type": type } });

describe("createDoorstepClient", () => {
  it("sends the bearer token and language of the moment, fills in path parameters and the query", async () => {
    const { fetch, requests } = recordingFetch(() => json({ id: "ord_1" }));
    let token = "tok-1";
    const api = createDoorstepClient({ baseUrl: "https://api.example.test/", token: () => token, language: "en", fetch });
    const { data } = await api.GET("/v1/orders/{id}", { params: { path: { id: "ord_1" } } });
    assert.deepEqual(data, { id: "ord_1" });
    token = "tok-2";
    await api.GET("/v1/admin/orders", { params: { query: { status: "confirmed", limit: 5 } } });
    const [first, second] = requests.map((r) => r.request);
    assert.equal(first.url, "https://api.example.test/v1/orders/ord_1");
    assert.equal(first.headers.get("Authorization"), "Bearer tok-1");
    assert.equal(first.headers.get("Accept-Language"), "en");
    assert.equal(second.url, "https://api.example.test/v1/admin/orders?status=confirmed&limit=5");
    assert.equal(second.headers.get("Authorization"), "Bearer tok-2");
  });

  it("sends no Authorization header without a token, and a JSON body as JSON", async () => {
    const { fetch, requests } = recordingFetch(() => json({ expiresIn: 300 }));
    const api = createDoorstepClient({ baseUrl: "https://api.example.test", fetch });
    await api.POST("/v1/auth/otp", { body: { phone: "+8613800000000" } });
    const [{ request, body }] = requests;
    assert.equal(request.headers.has("Authorization"), false);
    assert.equal(request.headers.get("Content-Type"), "application/json");
    assert.deepEqual(JSON.parse(body), { phone: "+8613800000000" });
  });

  it("sends the Idempotency-Key it is given, the same on a retry, and a fresh one otherwise", async () => {
    const { fetch, requests } = recordingFetch(() => json({}, 201));
    const api = createDoorstepClient({ baseUrl: "https://api.example.test", token: "t", fetch });
    const key = idempotencyKey();
    const body = { quoteId: "q", quoteToken: "x", addressId: "adr_1" };
    await api.POST("/v1/orders", { body, ...withIdempotencyKey(key) });
    await api.POST("/v1/orders", { body, ...withIdempotencyKey(key) });
    await api.POST("/v1/orders", { body, ...withIdempotencyKey() });
    const keys = requests.map((r) => r.request.headers.get("Idempotency-Key"));
    assert.match(key, /^[0-9a-f-]{36}$/);
    assert.deepEqual(keys.slice(0, 2), [key, key]);
    assert.ok(keys[2] && keys[2] !== key);
  });

  it("hands back a problem answer as the error, with its code", async () => {
    const problem = {
      type: "about:blank",
      title: "Not found",
      status: 404,
      detail: "No such order",
      code: "NOT_FOUND",
      requestId: "req_1",
    };
    const { fetch } = recordingFetch(() => json(problem, 404, "application/problem+json"));
    const api = createDoorstepClient({ baseUrl: "https://api.example.test", token: "t", fetch });
    const { data, error, response } = await api.GET("/v1/orders/{id}", { params: { path: { id: "ord_x" } } });
    assert.equal(data, undefined);
    assert.equal(response.status, 404);
    assert.equal(problemOf(error)?.code, "NOT_FOUND");
    assert.equal(problemOf("a string"), undefined);
  });
});
