// npm run bootstrap (scripts/bootstrap.mjs) against a real local Doorstep with an empty database, as a
// new deployment starts: the first run makes the admin, city, merchant and merchant admin; a re-run
// makes nothing new and says so; racing runs make one admin; a wrong secret is refused.
// (With the browser tests because it needs the same throw-away local server; it opens no browser.)
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { after, before, describe, it } from "node:test";
import { bootstrap, planOf } from "../../scripts/bootstrap.mjs";
import { Client } from "../../scripts/demo-client.mjs";
import { startLocalServer } from "../../scripts/local-server.mjs";

const PORT = Number(process.env.BROWSER_TEST_PORT ?? 8800) + 23;
const TOKEN = "local-bootstrap-secret-0123456789abcdef";

let server;
before(async () => {
  server = await startLocalServer({ port: PORT, empty: true, vars: { BOOTSTRAP_TOKEN: TOKEN } });
});
after(async () => {
  await server?.stop();
});

const plan = (adminPhone) =>
  planOf({
    "admin-phone": adminPhone,
    "admin-name": "First Admin",
    "city-name": "深圳",
    "time-zone": "Asia/Shanghai",
    lat: "22.5431",
    lng: "114.0579",
    "radius-km": "20",
    "merchant-name": "首家商户",
    "merchant-admin-phone": "+8613600000101",
  });

function run(p, token = TOKEN) {
  const lines = [];
  const done = bootstrap({
    url: server.url,
    env: "local",
    plan: p,
    token,
    log: (l) => lines.push(l),
    ask: async () => assert.fail("asked for a code"),
  });
  return done.then(
    (ids) => ({ ids, lines }),
    (error) => ({ error, lines }),
  );
}

describe("npm run bootstrap", () => {
  it("refuses a wrong secret and a plan with missing parts before anything is made", async () => {
    const wrong = await run(plan("+8613600000001"), "not-the-secret-0123456789abcdefghijkl");
    assert.match(wrong.error.message, /refused BOOTSTRAP_TOKEN/);
    assert.throws(() => planOf({ "admin-phone": "+8613600000001" }), /missing: --city-name/);
    const cli = spawnSync(process.execPath, ["scripts/bootstrap.mjs", "--url", server.url, "--admin-phone", "+8613600000001"], {
      encoding: "utf8",
      env: { ...process.env, BOOTSTRAP_TOKEN: TOKEN },
    });
    assert.equal(cli.status, 1);
    assert.match(cli.stderr, /✗ missing: --city-name/);
    const cities = await new Client(server.url).call("GET", "/v1/cities");
    assert.deepEqual(cities.body.items, []);
  });

  it("racing first runs make exactly one admin; the run then sets up the city, merchant and merchant admin; a re-run makes nothing", async () => {
    const [a, b] = await Promise.all([run(plan("+8613600000001")), run(plan("+8613600000002"))]);
    const winner = [a, b].find((r) => r.ids);
    const loser = [a, b].find((r) => r.error);
    assert.ok(winner && loser, `one run wins, one fails: ${JSON.stringify([a.lines, b.lines, a.error?.message, b.error?.message])}`);
    assert.ok(winner.lines.some((l) => /✓ first admin created/.test(l)));
    assert.ok(loser.lines.some((l) => /an admin exists already/.test(l)));
    assert.match(loser.error.message, /not an operator or admin/);
    assert.ok(winner.lines.some((l) => /✓ city created: cty_\w+ 深圳 \(Asia\/Shanghai, \d+ cells\)/.test(l)));
    assert.ok(winner.lines.some((l) => /✓ merchant created: mch_\w+ 首家商户/.test(l)));
    assert.ok(winner.lines.some((l) => /✓ merchant admin added/.test(l)));
    // No full phone number is printed.
    assert.ok(!winner.lines.join("\n").includes("13600000001"));

    const winnerPhone = winner === a ? "+8613600000001" : "+8613600000002";
    // The re-run (no secret needed any more; the development Worker echoes the code).
    const again = await run(plan(winnerPhone), undefined);
    assert.equal(again.error, undefined, again.error?.message);
    assert.deepEqual(again.ids, winner.ids);
    assert.ok(again.lines.some((l) => /• city exists/.test(l)));
    assert.ok(again.lines.some((l) => /• merchant exists/.test(l)));
    assert.ok(again.lines.some((l) => /• merchant admin exists/.test(l)));
    assert.ok(!again.lines.some((l) => /✓ .*created|added/.test(l)));
    // With the secret again: 409 from the route, then the same.
    const third = await run(plan(winnerPhone));
    assert.deepEqual(third.ids, winner.ids);

    // The merchant admin signs in with the role and sees the merchant.
    const client = new Client(server.url);
    const merchantAdmin = await client.signIn("+8613600000101");
    assert.ok(merchantAdmin.me.roles.includes("merchant_admin"));
    const cities = await client.call("GET", "/v1/cities");
    assert.equal(cities.body.items.length, 1);
  });
});
