import { env } from "cloudflare:test";
import { exports } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { call, callBytes, expectProblem, signIn, signInWithRoles } from "../support/http";
import { freshCenter, insertMerchant } from "../support/fixtures";
import { addTechnician, createWorld } from "../support/world";
import { JPEG, PNG } from "../support/visit";

const PDF = new TextEncoder().encode("%PDF-1.4\n%\xe2\xe3\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n");

const uploadFor = (token: string | null, technicianId: string, kind: string, type = "application/pdf", bytes: Uint8Array = PDF) =>
  callBytes("POST", `/v1/admin/technicians/${technicianId}/documents?kind=${kind}`, { token, type, bytes });

async function download(token: string | null, url: string) {
  const headers: Record<string, string> = token ? { Authorization: `Bearer ${token}` } : {};
  return exports.default.fetch(new Request(`http://doorstep.test${url}`, { headers }));
}

const auditCount = async (action: string, technicianId: string) =>
  (await env.DB.prepare("SELECT count(*) AS n FROM audit_log WHERE action = ? AND target_id = ?")
    .bind(action, technicianId)
    .first<{ n: number }>())!.n;

describe("technician qualification documents", () => {
  it("stores uploads in R2 as pending, lists them, serves the bytes (audited); approving the application leaves each document to its own decision", async () => {
    const w = await createWorld(freshCenter());
    const t = await addTechnician(w, w.center, { approve: false });
    const id = await uploadFor(w.admin.token, t.id, "id_card", "image/png", PNG);
    expect(id.status).toBe(201);
    expect(id.body).toMatchObject({
      technicianId: t.id,
      kind: "id_card",
      contentType: "image/png",
      size: PNG.byteLength,
      status: "pending",
    });
    const cert = await uploadFor(w.admin.token, t.id, "certificate");
    expect(cert.status).toBe(201);
    expect(await env.PHOTOS.head(`technicians/${t.id}/documents/${cert.body.id}`)).not.toBeNull();

    const list = await call("GET", `/v1/admin/technicians/${t.id}/documents`, { token: w.admin.token });
    expect(list.body.items.map((d: { id: string }) => d.id)).toEqual([id.body.id, cert.body.id]);

    const file = await download(w.admin.token, cert.body.url);
    expect(file.status).toBe(200);
    expect(file.headers.get("Content-Type")).toBe("application/pdf");
    expect(new Uint8Array(await file.arrayBuffer())).toEqual(PDF);
    expect(await auditCount("technician.document.view", t.id)).toBe(1);
    expect(await auditCount("technician.document.upload", t.id)).toBe(2);

    expect((await call("POST", `/v1/admin/technicians/${t.id}/approve`, { token: w.admin.token, body: {} })).status).toBe(200);
    const after = await call("GET", `/v1/admin/technicians/${t.id}/documents`, { token: w.admin.token });
    expect(after.body.items.map((d: { status: string }) => d.status)).toEqual(["pending", "pending"]);
    const decided = await call("POST", `/v1/admin/technicians/${t.id}/documents/${id.body.id}/decision`, {
      token: w.admin.token,
      body: { decision: "approve" },
    });
    expect(decided.body).toMatchObject({ status: "approved", reviewedAt: expect.any(String) });
  });

  it("rejects the pending documents with the application and its reason", async () => {
    const w = await createWorld(freshCenter());
    const t = await addTechnician(w, w.center, { approve: false });
    expect((await uploadFor(w.admin.token, t.id, "health", "image/jpeg", JPEG)).status).toBe(201);
    expect((await call("POST", `/v1/admin/technicians/${t.id}/reject`, { token: w.admin.token, body: { reason: "expired" } })).status).toBe(
      200,
    );
    const list = await call("GET", `/v1/admin/technicians/${t.id}/documents`, { token: w.admin.token });
    expect(list.body.items).toMatchObject([{ status: "rejected", reviewReason: "expired" }]);
  });

  it("lets a technician upload and list their own documents", async () => {
    const w = await createWorld(freshCenter());
    const t = await addTechnician(w, w.center);
    const s = await t.session();
    const up = await callBytes("POST", "/v1/technician/documents?kind=certificate", {
      token: s.token,
      type: "application/pdf",
      bytes: PDF,
    });
    expect(up.status).toBe(201);
    const mine = await call("GET", "/v1/technician/documents", { token: s.token });
    expect(mine.body.items).toMatchObject([{ id: up.body.id, status: "pending", kind: "certificate" }]);
    expectProblem(await call("GET", "/v1/technician/documents", { token: (await signIn()).token }), 403);
    expectProblem(await call("GET", "/v1/technician/documents"), 401);
  });

  it("confines a merchant_admin to its merchant's technicians (404 for others) and refuses customers", async () => {
    const w = await createWorld(freshCenter());
    const merchantId = await insertMerchant();
    const own = await addTechnician(w, w.center, { merchantId, approve: false });
    const other = await addTechnician(w, w.center, { approve: false });
    const merchantAdmin = await signInWithRoles(["merchant_admin"], merchantId);
    expect((await uploadFor(merchantAdmin.token, own.id, "id_card")).status).toBe(201);
    const doc = await uploadFor(w.admin.token, other.id, "id_card");
    expectProblem(await uploadFor(merchantAdmin.token, other.id, "id_card"), 404);
    expectProblem(await call("GET", `/v1/admin/technicians/${other.id}/documents`, { token: merchantAdmin.token }), 404);
    const res = await download(merchantAdmin.token, doc.body.url);
    expect(res.status).toBe(404);
    expect(await auditCount("technician.document.view", other.id)).toBe(0);
    const customer = await signIn();
    expectProblem(await uploadFor(customer.token, own.id, "id_card"), 403);
    expectProblem(await uploadFor(null, own.id, "id_card"), 401);
  });

  it("refuses wrong types, bodies that are not what they claim, oversized files and unknown kinds, storing nothing", async () => {
    const w = await createWorld(freshCenter());
    const t = await addTechnician(w, w.center, { approve: false });
    expectProblem(
      await uploadFor(w.admin.token, t.id, "id_card", "text/plain", new TextEncoder().encode("hi")),
      415,
      "UNSUPPORTED_MEDIA_TYPE",
    );
    expectProblem(await uploadFor(w.admin.token, t.id, "id_card", "application/pdf", PNG), 400, "DOCUMENT_INVALID");
    expectProblem(await uploadFor(w.admin.token, t.id, "passport"), 400, "VALIDATION_FAILED");
    const big = new Uint8Array(10 * 1024 * 1024 + 1);
    big.set(PDF);
    expectProblem(await uploadFor(w.admin.token, t.id, "other", "application/pdf", big), 413, "DOCUMENT_TOO_LARGE");
    expectProblem(await uploadFor(w.admin.token, "tch_missing", "id_card"), 404);
    expectProblem(await call("GET", `/v1/admin/technicians/${t.id}/documents/doc_missing`, { token: w.admin.token }), 404);
    const list = await call("GET", `/v1/admin/technicians/${t.id}/documents`, { token: w.admin.token });
    expect(list.body.items).toEqual([]);
    expect((await env.PHOTOS.list({ prefix: `technicians/${t.id}/` })).objects).toEqual([]);
  });

  it("allows at most 30 documents per technician (409 DOCUMENT_LIMIT)", async () => {
    const w = await createWorld(freshCenter());
    const t = await addTechnician(w, w.center, { approve: false });
    for (let i = 0; i < 30; i++) expect((await uploadFor(w.admin.token, t.id, "other")).status).toBe(201);
    expectProblem(await uploadFor(w.admin.token, t.id, "other"), 409, "DOCUMENT_LIMIT");
  });
});
