/* global document -- inside page functions, which run in the browser */
// The technician lifecycle screens in real Chromium against a real local Doorstep: a person applies
// as a technician through the API and uploads a certificate; an operator makes the certificate
// required for the skill in "documents required per skill", finds the application in the queue,
// is refused the approval while the certificate is undecided, approves the certificate, then the
// application; later approves the technician's proposed change of name.
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { openBrowser } from "../../scripts/browser.mjs";
import { Client } from "../../scripts/demo-client.mjs";
import { startLocalServer } from "../../scripts/local-server.mjs";
import { signInThroughUi } from "./ui.mjs";

// its own port, far from the other browser tests' servers
const PORT = Number(process.env.BROWSER_TEST_PORT ?? 8800) + 67;
const OPERATOR = "+8613800000001";
const APPLICANT = "+8613700006701";
const SKILL = "manicure";
/** Smallest JPEG signature, as the certificate's scan. */
const JPEG = new Uint8Array([0xff, 0xd8, 0xff, 0xe0, 0x00, 0x10, 0x4a, 0x46, 0x49, 0x46, 0x00, 0x01, 0xff, 0xd9]);

let server;
let browser;
let api;
let operator;
/** The application and its uploaded certificate. */
const world = {};

before(async () => {
  server = await startLocalServer({ port: PORT });
  api = new Client(server.url);
  operator = await api.signIn(OPERATOR);
  // nothing is required for the skill yet
  const required = await api.ok("GET", "/v1/admin/skill-documents", { token: operator.token });
  assert.equal(required.items.find((r) => r.skill === SKILL)?.kinds.length ?? 0, 0);
  const person = await api.signIn(APPLICANT);
  const applied = await api.ok("POST", "/v1/me/technician-application", {
    token: person.token,
    body: { realName: "李小红", name: "小李美甲", skills: [SKILL], home: { lat: 31.2304, lng: 121.4737 }, serviceRadiusKm: 8 },
  });
  assert.equal(applied.technician.status, "pending");
  assert.deepEqual(applied.missing, []);
  world.technicianId = applied.technician.id;
  world.certificate = await api.ok("POST", "/v1/me/technician-application/documents?kind=certificate", {
    token: person.token,
    raw: JPEG,
    type: "image/jpeg",
  });
  assert.equal(world.certificate.status, "pending");
  browser = await openBrowser();
});

after(async () => {
  await browser?.close();
  await server?.stop();
});

describe("operator", () => {
  it("requires a certificate for the skill, decides the document, then approves the application", async () => {
    const page = await browser.context.newPage();
    page.setDefaultTimeout(15_000);
    await signInThroughUi(page, server.url, OPERATOR);
    await page.click('a[data-nav="lifecycle"]');
    await page.waitForSelector('[data-screen="lifecycle"]');

    // documents required per skill: the skill by its label, the kinds as labelled checkboxes
    await page.click('[data-tab="requirements"]');
    const row = `[data-testid="skill-documents-table"] tr[data-skill="${SKILL}"]`;
    await page.waitForSelector(row);
    const label = (await page.textContent(`${row} td:first-child`)).trim();
    assert.ok(label.length > 0 && label !== SKILL, `the skill shows by its name, not its code: ${label}`);
    const boxes = await page.$$eval(`${row} label.check`, (ls) => ls.map((l) => l.textContent.trim()));
    assert.equal(boxes.length, 4);
    assert.ok(!boxes.includes("certificate") && !boxes.includes("id_card"), `kinds are labelled: ${boxes}`);
    assert.equal(await page.isChecked(`input[name="kind-${SKILL}-certificate"]`), false);
    await page.check(`input[name="kind-${SKILL}-certificate"]`);
    await page.click(`[data-testid="save-skill-documents-${SKILL}"]`);
    await page.waitForSelector(`[data-testid="saved-skill-documents-${SKILL}"]`);
    const required = await api.ok("GET", "/v1/admin/skill-documents", { token: operator.token });
    assert.deepEqual(
      required.items.find((r) => r.skill === SKILL),
      { skill: SKILL, kinds: ["certificate"] },
    );
    const waiting = await api.ok("GET", `/v1/admin/technicians/${world.technicianId}/application`, { token: operator.token });
    assert.deepEqual(waiting.missing, [{ skill: SKILL, kind: "certificate" }]);

    // the queue of applications: open the drawer
    await page.click('[data-tab="applications"]');
    await page.click(`[data-testid="open-application-${world.technicianId}"]`);
    await page.waitForSelector('[role="dialog"] [data-testid="technician-status"] .s-pending');
    // the certificate is required and undecided: approval is refused, nothing changes
    await page.click('[role="dialog"] [data-testid="approve"]');
    await page.waitForSelector('[role="dialog"] .error[role="alert"]');
    const still = await api.ok("GET", `/v1/admin/technicians/${world.technicianId}`, { token: operator.token });
    assert.equal(still.status, "pending");

    await page.click(`[data-testid="approve-doc-${world.certificate.id}"]`);
    await page.waitForSelector(`[data-testid="approve-doc-${world.certificate.id}"]`, { state: "detached" });
    await page.click('[role="dialog"] [data-testid="approve"]');
    await page.waitForSelector('[role="dialog"] [data-testid="technician-status"] .s-approved');
    // the drawer names the skill from the catalogue in the interface language, not by its code
    await page.waitForFunction(() =>
      /美甲|Manicure/.test(document.querySelector('[role="dialog"] [data-testid="technician-skills"]')?.textContent ?? ""),
    );
    assert.doesNotMatch(await page.textContent('[role="dialog"] [data-testid="technician-skills"]'), /manicure/);

    const approved = await api.ok("GET", `/v1/admin/technicians/${world.technicianId}`, { token: operator.token });
    assert.equal(approved.status, "approved");
    assert.deepEqual(approved.skills, [SKILL]);
    const review = await api.ok("GET", `/v1/admin/technicians/${world.technicianId}/application`, { token: operator.token });
    assert.deepEqual(review.missing, []);
    assert.deepEqual(
      review.documents.map((d) => [d.kind, d.status]),
      [["certificate", "approved"]],
    );
    // the queue no longer holds it
    await page.click('[role="dialog"] header button');
    await page.waitForSelector(`tr[data-application="${world.technicianId}"]`, { state: "detached" });
    await page.close();
  });

  it("approves a technician's proposed change of name", async () => {
    // signed in again, the person now holds the technician role
    const tech = await api.signIn(APPLICANT);
    const proposal = await api.ok("POST", "/v1/technician/profile-changes", { token: tech.token, body: { name: "李师傅美甲" } });
    assert.equal(proposal.status, "pending");

    const page = await browser.context.newPage();
    page.setDefaultTimeout(15_000);
    await signInThroughUi(page, server.url, OPERATOR);
    await page.click('a[data-nav="lifecycle"]');
    await page.click('[data-tab="changes"]');
    const row = `[data-testid="changes-table"] tr[data-change="${proposal.id}"]`;
    await page.waitForSelector(row);
    const text = await page.textContent(row);
    assert.match(text, /小李美甲/);
    assert.match(text, /李师傅美甲/);
    // rejecting needs a reason
    assert.equal(await page.isDisabled(`[data-testid="reject-change-${proposal.id}"]`), true);
    await page.click(`[data-testid="approve-change-${proposal.id}"]`);
    await page.waitForSelector(row, { state: "detached" });

    const renamed = await api.ok("GET", `/v1/admin/technicians/${world.technicianId}`, { token: operator.token });
    assert.equal(renamed.name, "李师傅美甲");
    const mine = await api.ok("GET", "/v1/technician/profile-changes", { token: tech.token });
    assert.equal(mine.items.find((c) => c.id === proposal.id)?.status, "approved");
    await page.close();
  });
});
