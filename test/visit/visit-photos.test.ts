import { env } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { PHOTO_MAX_BYTES } from "../../src/visit/photos.service";
import { task } from "../support/booking";
import { freshCenter, insertMerchant } from "../support/fixtures";
import { call, expectProblem, signIn, signInWithRoles, type Session } from "../support/http";
import { downloadPhoto, JPEG, jpegOfSize, PNG, storedKeys, uploadPhoto, visitTo, WEBP } from "../support/visit";
import { addTechnician, createWorld, merchantWorld } from "../support/world";

const photosOf = (session: Session, orderId: string, query = "") =>
  call("GET", `/v1/orders/${orderId}/photos${query}`, { token: session.token });

describe("uploading visit photos", () => {
  it("stores the arrival photo in R2 and lists and serves it to the customer, the technician and staff", async () => {
    const {
      w,
      merchantId,
      techSession: tech,
      tech: { id: techId },
    } = await merchantWorld();
    const { customer, order } = await visitTo(w, tech, "en_route");

    const up = await uploadPhoto(tech, order.id, "arrive");
    expect(up.status).toBe(201);
    expect(up.body).toMatchObject({
      orderId: order.id,
      kind: "arrive",
      contentType: "image/jpeg",
      size: JPEG.byteLength,
      url: `/v1/orders/${order.id}/photos/${up.body.id}`,
    });
    expect(up.body.id).toMatch(/^pho_/);

    // the bytes are in the bucket, under the order, with their type and who took them
    const object = await env.PHOTOS.get(`orders/${order.id}/arrive/${up.body.id}`);
    expect(object).not.toBeNull();
    expect(new Uint8Array(await object!.arrayBuffer())).toEqual(JPEG);
    expect(object!.httpMetadata?.contentType).toBe("image/jpeg");
    expect(object!.customMetadata).toEqual({ orderId: order.id, kind: "arrive", photoId: up.body.id, technicianId: techId });

    // a second one, typed in capitals with a parameter, still has to be what it says
    const second = await uploadPhoto(tech, order.id, "arrive", { type: "IMAGE/WEBP; q=1", bytes: WEBP });
    expect(second.status).toBe(201);
    expect(second.body.contentType).toBe("image/webp");

    const merchantAdmin = await signInWithRoles(["merchant_admin"], merchantId);
    for (const viewer of [customer.session, tech, w.admin, merchantAdmin]) {
      const list = await photosOf(viewer, order.id);
      expect(list.status).toBe(200);
      expect(list.body.items.map((p: { id: string }) => p.id)).toEqual([up.body.id, second.body.id]);
      expect(list.body.nextCursor).toBeNull();
      const file = await downloadPhoto(viewer, order.id, up.body.id);
      expect(file.status).toBe(200);
      expect(file.headers.get("Content-Type")).toBe("image/jpeg");
      expect(file.bytes).toEqual(JPEG);
    }
    const webp = await downloadPhoto(customer.session, order.id, second.body.id);
    expect(webp.headers.get("Content-Type")).toBe("image/webp");
    expect(webp.bytes).toEqual(WEBP);

    // pages, oldest first
    const first = await photosOf(customer.session, order.id, "?limit=1");
    expect(first.body.items.map((p: { id: string }) => p.id)).toEqual([up.body.id]);
    const next = await photosOf(customer.session, order.id, `?limit=1&cursor=${first.body.nextCursor}`);
    expect(next.body.items.map((p: { id: string }) => p.id)).toEqual([second.body.id]);
    expect(next.body.nextCursor).toBeNull();
    expectProblem(await photosOf(customer.session, order.id, "?limit=0"), 400, "VALIDATION_FAILED");
    expectProblem(await photosOf(customer.session, order.id, "?cursor=nonsense"), 400, "INVALID_CURSOR");
  });

  it("refuses bodies that are not the image they claim, other media types, empty bodies and unknown kinds, storing nothing", async () => {
    const w = await createWorld(freshCenter());
    const tech = await (await addTechnician(w, w.center)).session();
    const { customer, order } = await visitTo(w, tech, "en_route");

    expectProblem(await uploadPhoto(tech, order.id, "arrive", { type: "image/jpeg", bytes: PNG }), 400, "PHOTO_INVALID");
    expectProblem(await uploadPhoto(tech, order.id, "arrive", { type: "image/png", bytes: JPEG }), 400, "PHOTO_INVALID");
    expectProblem(await uploadPhoto(tech, order.id, "arrive", { type: "image/webp", bytes: PNG }), 400, "PHOTO_INVALID");
    expectProblem(await uploadPhoto(tech, order.id, "arrive", { bytes: new Uint8Array(0) }), 400, "PHOTO_INVALID");
    expectProblem(await uploadPhoto(tech, order.id, "arrive", { bytes: JPEG.subarray(0, 2) }), 400, "PHOTO_INVALID");
    expectProblem(await uploadPhoto(tech, order.id, "arrive", { type: "image/gif", bytes: JPEG }), 415, "UNSUPPORTED_MEDIA_TYPE");
    expectProblem(await uploadPhoto(tech, order.id, "arrive", { type: "text/plain", bytes: JPEG }), 415, "UNSUPPORTED_MEDIA_TYPE");
    expectProblem(await uploadPhoto(tech, order.id, "arrive", { type: null, bytes: JPEG }), 415, "UNSUPPORTED_MEDIA_TYPE");
    expectProblem(
      await uploadPhoto(tech, order.id, "arrive", { type: "application/json", bytes: new TextEncoder().encode('{"a":1}') }),
      415,
      "UNSUPPORTED_MEDIA_TYPE",
    );
    expectProblem(await uploadPhoto(tech, order.id, "selfie"), 400, "VALIDATION_FAILED");
    expectProblem(await uploadPhoto(tech, order.id, ""), 400, "VALIDATION_FAILED");

    expect(await storedKeys(`orders/${order.id}/`)).toEqual([]);
    expect((await photosOf(customer.session, order.id)).body.items).toEqual([]);
    // and the refusals did not count as the photo arriving needs
    expectProblem(await task(tech, order.id, "arrive", { lat: w.center.lat, lng: w.center.lng }), 409, "PHOTO_REQUIRED");
  });

  it("takes photos up to 5 MB, refuses one byte more with 413 also when streamed without a length", async () => {
    const w = await createWorld(freshCenter());
    const tech = await (await addTechnician(w, w.center)).session();
    const { order } = await visitTo(w, tech, "en_route");

    const largest = await uploadPhoto(tech, order.id, "arrive", { bytes: jpegOfSize(PHOTO_MAX_BYTES) });
    expect(largest.status).toBe(201);
    expect(largest.body.size).toBe(PHOTO_MAX_BYTES);
    const tooLarge = jpegOfSize(PHOTO_MAX_BYTES + 1);
    expectProblem(await uploadPhoto(tech, order.id, "arrive", { bytes: tooLarge }), 413, "PHOTO_TOO_LARGE");
    expectProblem(await uploadPhoto(tech, order.id, "arrive", { bytes: tooLarge, chunked: true }), 413, "PHOTO_TOO_LARGE");
    const streamed = await uploadPhoto(tech, order.id, "arrive", { bytes: JPEG, chunked: true });
    expect(streamed.status).toBe(201);

    expect(await storedKeys(`orders/${order.id}/`)).toEqual(
      [largest.body.id, streamed.body.id].map((id) => `orders/${order.id}/arrive/${id}`).sort(),
    );
    const object = await env.PHOTOS.head(`orders/${order.id}/arrive/${largest.body.id}`);
    expect(object?.size).toBe(PHOTO_MAX_BYTES);
  });

  it("takes arrival photos on the way or arrived, and completion photos arrived or in service", async () => {
    const w = await createWorld(freshCenter());
    const tech = await (await addTechnician(w, w.center)).session();
    const { order } = await visitTo(w, tech, "accepted");
    const both = async () => [(await uploadPhoto(tech, order.id, "arrive")).status, (await uploadPhoto(tech, order.id, "complete")).status];

    const refused = await uploadPhoto(tech, order.id, "arrive");
    expectProblem(refused, 409, "INVALID_STATE");
    expect(refused.body).toMatchObject({ status: 409, currentStatus: "accepted" });
    expect(await both()).toEqual([409, 409]);
    await task(tech, order.id, "depart");
    expect(await both()).toEqual([201, 409]);
    expect((await task(tech, order.id, "arrive", { lat: w.center.lat, lng: w.center.lng })).body.status).toBe("arrived");
    expect(await both()).toEqual([201, 201]);
    expect((await task(tech, order.id, "start", { code: order.startCode })).body.status).toBe("in_service");
    expect(await both()).toEqual([409, 201]);
    expect((await task(tech, order.id, "complete")).body.status).toBe("completed");
    expect(await both()).toEqual([409, 409]);

    const kinds = (await photosOf(tech, order.id)).body.items.map((p: { kind: string }) => p.kind);
    expect(kinds).toEqual(["arrive", "arrive", "complete", "complete"]);
    expect(await storedKeys(`orders/${order.id}/`)).toHaveLength(4);
  });

  it("keeps at most 10 photos of a kind, also when 12 are sent at once, with no bytes left behind", async () => {
    const w = await createWorld(freshCenter());
    const tech = await (await addTechnician(w, w.center)).session();
    const { order } = await visitTo(w, tech, "en_route");

    const results = await Promise.all(Array.from({ length: 12 }, () => uploadPhoto(tech, order.id, "arrive")));
    expect(results.filter((r) => r.status === 201)).toHaveLength(10);
    const refused = results.filter((r) => r.status !== 201);
    expect(refused).toHaveLength(2);
    for (const r of refused) expectProblem(r, 409, "PHOTO_LIMIT");

    const listed = (await photosOf(tech, order.id, "?limit=100")).body.items.map((p: { id: string }) => p.id);
    expect(listed).toHaveLength(10);
    expect(await storedKeys(`orders/${order.id}/arrive/`)).toEqual(listed.map((id: string) => `orders/${order.id}/arrive/${id}`).sort());
    expectProblem(await uploadPhoto(tech, order.id, "arrive"), 409, "PHOTO_LIMIT");
  });
});

describe("photos the visit needs", () => {
  it("arriving needs an arrival photo and completing a completion photo; a refusal changes nothing", async () => {
    const w = await createWorld(freshCenter());
    const tech = await (await addTechnician(w, w.center)).session();
    const { customer, order } = await visitTo(w, tech, "en_route");
    const status = async () => (await call("GET", `/v1/orders/${order.id}`, { token: customer.session.token })).body.status;

    const noArrival = await task(tech, order.id, "arrive", { lat: w.center.lat, lng: w.center.lng });
    expectProblem(noArrival, 409, "PHOTO_REQUIRED");
    expect(noArrival.body.kind).toBe("arrive");
    expect(await status()).toBe("en_route");

    expect((await uploadPhoto(tech, order.id, "arrive")).status).toBe(201);
    expect((await task(tech, order.id, "arrive", { lat: w.center.lat, lng: w.center.lng })).body.status).toBe("arrived");
    expect((await uploadPhoto(tech, order.id, "arrive")).status).toBe(201);
    expect((await task(tech, order.id, "start", { code: order.startCode })).body.status).toBe("in_service");
    // arrival photos do not count for completion
    const noCompletion = await task(tech, order.id, "complete");
    expectProblem(noCompletion, 409, "PHOTO_REQUIRED");
    expect(noCompletion.body.kind).toBe("complete");
    expect(await status()).toBe("in_service");
  });

  it("photos the previous technician took neither let the next one arrive nor use up their quota", async () => {
    const w = await createWorld(freshCenter());
    const a = await addTechnician(w, w.center);
    const first = await a.session();
    const { customer, order } = await visitTo(w, first, "en_route");
    // the first technician fills their quota of arrival photos, then gives the job back on the way
    const firstPhotos = await Promise.all(Array.from({ length: 10 }, () => uploadPhoto(first, order.id, "arrive")));
    expect(firstPhotos.every((r) => r.status === 201)).toBe(true);
    const b = await addTechnician(w, w.center);
    expect((await task(first, order.id, "cancel", { reason: "flat tyre" })).body).toMatchObject({ status: "assigned", technician: null });
    const now = (await call("GET", `/v1/orders/${order.id}`, { token: customer.session.token })).body;
    expect(now).toMatchObject({ status: "assigned", technician: { id: b.id } });
    const second = await b.session();
    await task(second, order.id, "accept");
    await task(second, order.id, "depart");
    expectProblem(await task(second, order.id, "arrive", { lat: w.center.lat, lng: w.center.lng }), 409, "PHOTO_REQUIRED");
    expect((await uploadPhoto(second, order.id, "arrive")).status).toBe(201);
    expect((await task(second, order.id, "arrive", { lat: w.center.lat, lng: w.center.lng })).body.status).toBe("arrived");
    // the customer sees both technicians' photos; the first technician no longer reaches the order
    expect((await photosOf(customer.session, order.id, "?limit=100")).body.items).toHaveLength(11);
    expectProblem(await photosOf(first, order.id), 404);
    expectProblem(await uploadPhoto(first, order.id, "arrive"), 404);
  });
});

describe("who reaches photos", () => {
  it("401 without a token, 403 for a customer uploading, 404 for strangers, other merchants and missing ones", async () => {
    const { w, merchantId, techSession: tech } = await merchantWorld();
    const { customer, order } = await visitTo(w, tech, "en_route");
    const photo = (await uploadPhoto(tech, order.id, "arrive")).body;
    // another order of the same world, another technician of the merchant (its orders go to its own)
    const otherTech = await (await addTechnician(w, w.center, { merchantId })).session();
    // the same time: only the other technician is free for it
    const other = await visitTo(w, otherTech, "en_route");
    const otherPhoto = (await uploadPhoto(otherTech, other.order.id, "arrive")).body;

    expectProblem(await uploadPhoto(null, order.id, "arrive"), 401);
    expectProblem(await uploadPhoto(customer.session, order.id, "arrive"), 403, "FORBIDDEN");
    expectProblem(await uploadPhoto(otherTech, order.id, "arrive"), 404);
    expectProblem(await uploadPhoto(tech, "ord_missing", "arrive"), 404);

    expectProblem(await call("GET", `/v1/orders/${order.id}/photos`), 401);
    expect((await downloadPhoto(null, order.id, photo.id)).status).toBe(401);
    const stranger = await signIn();
    const otherMerchantAdmin = await signInWithRoles(["merchant_admin"], await insertMerchant());
    for (const outsider of [stranger, otherTech, otherMerchantAdmin, other.customer.session]) {
      expectProblem(await photosOf(outsider, order.id), 404);
      const file = await downloadPhoto(outsider, order.id, photo.id);
      expect(file.status).toBe(404);
      expect(file.bytes).toBeNull();
    }
    expectProblem(await photosOf(customer.session, "ord_missing"), 404);
    // a photo is reached only under its own order
    const wrongOrder = await downloadPhoto(customer.session, order.id, otherPhoto.id);
    expect(wrongOrder.status).toBe(404);
    expectProblem(wrongOrder.problem!, 404);
    expect((await downloadPhoto(customer.session, order.id, "pho_missing")).status).toBe(404);
  });
});
