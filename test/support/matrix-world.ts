/**
 * The world of the authorization matrix (test/security): two merchants A and B, each with a
 * merchant_admin and a technician, two customers, an operator and the admin, and the objects of
 * side A (orders in every stage of the visit, a change, a refund awaiting approval, a payment, a
 * withdrawal, a review with a photo, documents, a device, a notification, a dead letter, a coupon,
 * a category, …), built on first use and shared by the tests of one file unless asked afresh.
 */
import { env } from "cloudflare:test";
import { expect } from "vitest";
import { newId } from "../../src/lib/ids";
import type { Role } from "../../src/domain/roles";
import { at, book, newCustomer, orderOf, quote, type Customer } from "./booking";
import { createCategory } from "./catalog";
import { freshCenter, insertMerchant } from "./fixtures";
import { call, callBytes, signIn, signInAdmin, signInWithRoles, type Called, type Session } from "./http";
import { completeVisit, fundTechnician, pay, payInFull, pendingOrder } from "./payments";
import { askExtraCharge, JPEG, PNG, visitTo, type VisitStatus } from "./visit";
import { addTechnician, createWorld, insertService, localDay, type TestTechnician, type World } from "./world";
import { WEEKDAYS } from "../../src/domain/shifts";
import { addDays, isoWeekdayIndex } from "../../src/domain/zoned";

/** Who calls: nobody signed in, or one of the eight accounts of the world. */
export const ACTORS = ["anonymous", "customerA", "customerB", "techA", "techB", "merchantA", "merchantB", "operator", "admin"] as const;
export type Actor = (typeof ACTORS)[number];

/** The roles an actor's token carries (a technician is a customer too; so is the bootstrap admin). */
export function rolesOf(m: MatrixWorld, actor: Actor): readonly Role[] {
  return actor === "anonymous" ? [] : m.sessions[actor].roles;
}

export interface MatrixWorld {
  w: World;
  merchantA: string;
  merchantB: string;
  serviceB: string;
  techA: TestTechnician;
  techB: TestTechnician;
  customerA: Customer;
  customerB: Customer;
  sessions: Record<Exclude<Actor, "anonymous">, Session>;
  /** A's grab-mode service, made on first use. */
  grabService?: string;
}

/** Builds the actors once per test file. */
export async function buildMatrixWorld(): Promise<MatrixWorld> {
  const merchantA = await insertMerchant("Merchant A");
  const merchantB = await insertMerchant("Merchant B");
  const w = await createWorld(freshCenter(), { merchantId: merchantA, horizonDays: 30 });
  // B's technician has only the other skill: A's orders can never be offered to B's technician.
  const serviceB = await insertService({
    skills: [w.otherSkill],
    cityId: w.cityId,
    leadTimeMinutes: 60,
    horizonDays: 30,
    durationMinutes: 120,
    merchantId: merchantB,
  });
  const [techA, techB] = await Promise.all([
    addTechnician(w, w.center, { merchantId: merchantA }),
    addTechnician(w, w.center, { merchantId: merchantB, skills: [w.otherSkill] }),
  ]);
  const [customerA, customerB] = await Promise.all([newCustomer(w.center), newCustomer(w.center)]);
  const [techASession, techBSession, merchantASession, merchantBSession, operator, admin] = await Promise.all([
    techA.session(),
    techB.session(),
    signInWithRoles(["merchant_admin"], merchantA),
    signInWithRoles(["merchant_admin"], merchantB),
    signInWithRoles(["operator"]),
    signInAdmin(),
  ]);
  return {
    w,
    merchantA,
    merchantB,
    serviceB,
    techA,
    techB,
    customerA,
    customerB,
    sessions: {
      customerA: customerA.session,
      customerB: customerB.session,
      techA: techASession,
      techB: techBSession,
      merchantA: merchantASession,
      merchantB: merchantBSession,
      operator,
      admin,
    },
  };
}

/** The id of what an answer created (failing the set-up with the answer when it was refused). */
function idOf(res: Called, ok: readonly number[] = [201]): string {
  expect(ok, JSON.stringify(res.body)).toContain(res.status);
  return res.body.id as string;
}

/** Free start times of A's service for A's technician: a fresh 3-hour slot for every booking. */
let slot = 0;
function nextStart(w: World): string {
  const day = 2 + Math.floor(slot / 4);
  const hour = ["08:00", "11:00", "14:00", "17:00"][slot % 4]!;
  slot += 1;
  if (day > 28) throw new Error("the matrix world ran out of booking slots");
  return at(w, day, hour);
}

/** A weekly series for customer A on A's service, starting 29 days ahead (beyond the series horizon: no visit booked yet). */
export function seriesBody(m: MatrixWorld) {
  const startDate = localDay(m.w.timeZone, 29);
  return {
    serviceId: m.w.serviceId,
    addressId: m.customerA.addressId,
    timeOfDay: "09:00",
    rule: { freq: "weekly" as const, interval: 1, byDay: [WEEKDAYS[isoWeekdayIndex(startDate)]!] },
    startDate,
    count: 3,
  };
}

/**
 * Side A's objects. Each getter makes its object on first use and keeps it; `fresh()` answers a
 * new set whose objects are made again (for operations that change or remove their object).
 */
export class Objects {
  private readonly memo = new Map<string, Promise<unknown>>();
  constructor(readonly m: MatrixWorld) {}

  fresh(): Objects {
    return new Objects(this.m);
  }

  private once<T>(key: string, make: () => Promise<T>): Promise<T> {
    let p = this.memo.get(key) as Promise<T> | undefined;
    if (!p) {
      p = make();
      this.memo.set(key, p);
    }
    return p;
  }

  /**
   * An order of customer A in `status`, assigned to technician A (pay after service). A completed
   * one is paid in full at once: an unpaid served order would block customer A's next bookings
   * (409 UNPAID_BALANCE).
   */
  visit(status: VisitStatus = "assigned", tag = ""): Promise<{ id: string; startCode: string }> {
    return this.once(`visit:${status}:${tag}`, async () => {
      const v = await visitTo(this.m.w, this.m.sessions.techA, status, { customer: this.m.customerA, start: nextStart(this.m.w) });
      if (status === "completed") await payInFull(this.m.customerA, v.order.id);
      return v.order;
    });
  }

  /**
   * A served order of side A left unpaid (its payment due open), of a customer of its own: an open
   * due blocks its customer's bookings, and customer A must keep booking.
   */
  unpaidOrder(): Promise<string> {
    return this.once("unpaidOrder", async () => {
      const customer = await newCustomer(this.m.w.center);
      const v = await visitTo(this.m.w, this.m.sessions.techA, "completed", { customer, start: nextStart(this.m.w) });
      return v.order.id as string;
    });
  }

  async order(): Promise<string> {
    return (await this.visit("assigned")).id;
  }

  /** A pay-now order of customer A still waiting for its payment, and a sandbox payment started for it. */
  payment(): Promise<{ orderId: string; paymentId: string }> {
    return this.once("payment", async () => {
      const { order } = await pendingOrder(this.m.w, { customer: this.m.customerA, start: nextStart(this.m.w) });
      const res = await pay(this.m.customerA, order.id, { provider: "sandbox" });
      expect(res.status, JSON.stringify(res.body)).toBe(201);
      return { orderId: order.id as string, paymentId: res.body.id as string };
    });
  }

  /** A completed, paid order of customer A with a complaint: its refund awaits approval. */
  refund(): Promise<{ orderId: string; refundId: string }> {
    return this.once("refund", async () => {
      const customer = this.m.customerA;
      const { order } = await pendingOrder(this.m.w, { customer, start: nextStart(this.m.w) });
      await payInFull(customer, order.id);
      await completeVisit(this.m.w, this.m.sessions.techA, await orderOf(customer, order.id));
      const complaint = await call("POST", `/v1/orders/${order.id}/complaints`, {
        token: customer.session.token,
        headers: { "Idempotency-Key": newId("key") },
        body: { reason: "matrix complaint", amount: 1000 },
      });
      expect(complaint.status, JSON.stringify(complaint.body)).toBe(201);
      return { orderId: order.id as string, refundId: complaint.body.items[0].id as string };
    });
  }

  /** An after-sales ticket customer A opened on a completed, paid order of A, with one evidence photo. */
  ticket(): Promise<{ orderId: string; ticketId: string; photoId: string }> {
    return this.once("ticket", async () => {
      const order = await this.visit("completed", "ticket");
      const token = this.m.customerA.session.token;
      const res = await call("POST", `/v1/orders/${order.id}/tickets`, {
        token,
        body: { category: "quality", description: "matrix ticket" },
      });
      const ticketId = idOf(res);
      const photo = await callBytes("POST", `/v1/tickets/${ticketId}/photos`, { token, type: "image/jpeg", bytes: JPEG });
      return { orderId: order.id, ticketId, photoId: idOf(photo) };
    });
  }

  /** A service of merchant A offered in the world's city (one a test may remove). */
  service(): Promise<string> {
    return this.once("service", () => this.newServiceOfA("auto"));
  }

  private newServiceOfA(dispatchMode: "auto" | "grab"): Promise<string> {
    const w = this.m.w;
    return insertService({
      skills: [w.skill],
      cityId: w.cityId,
      leadTimeMinutes: 60,
      horizonDays: 30,
      durationMinutes: 120,
      merchantId: this.m.merchantA,
      dispatchMode,
    });
  }

  /** An extra charge technician A asked for on an order in service. */
  change(): Promise<{ orderId: string; changeId: string }> {
    return this.once("change", async () => {
      const order = await this.visit("in_service", "change");
      const res = await askExtraCharge(this.m.sessions.techA, order.id, [{ label: "配件", amount: 1000 }]);
      expect(res.status, JSON.stringify(res.body)).toBe(201);
      return { orderId: order.id, changeId: res.body.id as string };
    });
  }

  /** A completed order of customer A with its review (one photo) and its visit photos. */
  review(): Promise<{ orderId: string; reviewId: string; reviewPhotoId: string; visitPhotoId: string }> {
    return this.once("review", async () => {
      const order = await this.visit("completed");
      const token = this.m.customerA.session.token;
      const photo = await callBytes("POST", `/v1/orders/${order.id}/review/photos`, { token, type: "image/png", bytes: PNG });
      expect(photo.status, JSON.stringify(photo.body)).toBe(201);
      const res = await call("POST", `/v1/orders/${order.id}/review`, {
        token,
        body: { ratings: { quality: 5, punctuality: 5, attitude: 5, value: 5 }, text: "好", photoIds: [photo.body.id] },
      });
      expect(res.status, JSON.stringify(res.body)).toBe(201);
      const photos = await call("GET", `/v1/orders/${order.id}/photos`, { token });
      expect(photos.status).toBe(200);
      return {
        orderId: order.id,
        reviewId: res.body.id as string,
        reviewPhotoId: photo.body.id as string,
        visitPhotoId: photos.body.items[0].id as string,
      };
    });
  }

  /**
   * A case technician A shows from customer A's reviewed order (its arrival and completion photos),
   * consented by customer A, and technician A's profile photo.
   */
  showcase(): Promise<{ orderId: string; caseId: string; beforePhotoId: string; afterPhotoId: string }> {
    return this.once("showcase", async () => {
      const { orderId } = await this.review();
      const tech = this.m.sessions.techA.token;
      const photos = await call("GET", `/v1/orders/${orderId}/photos?limit=100`, { token: tech });
      expect(photos.status).toBe(200);
      const idOf = (kind: string) => photos.body.items.find((p: { kind: string }) => p.kind === kind).id as string;
      const proposed = await call("POST", "/v1/technician/cases", {
        token: tech,
        body: { orderId, beforePhotoId: idOf("arrive"), afterPhotoId: idOf("complete") },
      });
      expect(proposed.status, JSON.stringify(proposed.body)).toBe(201);
      const granted = await call("PUT", `/v1/orders/${orderId}/case/consent`, {
        token: this.m.customerA.session.token,
        body: { granted: true },
      });
      expect(granted.status, JSON.stringify(granted.body)).toBe(200);
      const photo = await callBytes("POST", "/v1/technician/profile/photos", { token: tech, type: "image/png", bytes: PNG });
      expect(photo.status, JSON.stringify(photo.body)).toBe(201);
      return { orderId, caseId: proposed.body.id as string, beforePhotoId: idOf("arrive"), afterPhotoId: idOf("complete") };
    });
  }

  /**
   * A pending withdrawal of a technician of merchant A (funded straight in D1, with a WeChat Pay
   * payee); each its own technician, as a technician may withdraw only a few times a day.
   */
  withdrawal(): Promise<string> {
    return this.once("withdrawal", async () => {
      const tech = await addTechnician(this.m.w, this.m.w.center, { merchantId: this.m.merchantA, skills: [this.m.w.otherSkill] });
      await fundTechnician(tech.id, 5000);
      const token = (await tech.session()).token;
      const payee = await call("PUT", "/v1/technician/payee", { token, body: { provider: "wechatpay", openId: "oMatrixOpenId0001" } });
      expect(payee.status, JSON.stringify(payee.body)).toBe(200);
      const res = await call("POST", "/v1/technician/withdrawals", {
        token,
        headers: { "Idempotency-Key": newId("key") },
        body: { amount: 1000 },
      });
      return idOf(res);
    });
  }

  /** The conversation of an accepted order of side A (customer A and technician A), with a text and an image. */
  conversation(): Promise<{ id: string; orderId: string; messageId: string; imageId: string }> {
    return this.once("conversation", async () => {
      const order = await this.visit("accepted", "chat");
      const token = this.m.customerA.session.token;
      const conv = await call("GET", `/v1/orders/${order.id}/conversation`, { token });
      expect(conv.status, JSON.stringify(conv.body)).toBe(200);
      const msg = await call("POST", `/v1/conversations/${conv.body.id}/messages`, { token, body: { text: "你好" } });
      const img = await callBytes("POST", `/v1/conversations/${conv.body.id}/images`, { token, type: "image/png", bytes: PNG });
      return { id: conv.body.id as string, orderId: order.id, messageId: idOf(msg), imageId: idOf(img) };
    });
  }

  /** A support conversation customer A opened. */
  supportConversation(): Promise<string> {
    return this.once("supportConversation", async () =>
      idOf(await call("POST", "/v1/conversations", { token: this.m.customerA.session.token, body: { text: "需要帮助" } })),
    );
  }

  /** A canned answer of the inbox. */
  cannedAnswer(): Promise<string> {
    return this.once("cannedAnswer", async () =>
      idOf(
        await call("POST", "/v1/admin/canned-answers", { token: this.m.sessions.operator.token, body: { title: "问候", body: "您好" } }),
      ),
    );
  }

  /** A qualification document technician A uploaded. */
  document(): Promise<string> {
    return this.once("document", async () => {
      const res = await callBytes("POST", "/v1/technician/documents?kind=certificate", {
        token: this.m.sessions.techA.token,
        type: "image/jpeg",
        bytes: JPEG,
      });
      return idOf(res);
    });
  }

  /** Merchant A's published course with one lesson holding an image, techA enrolled in it. */
  trainingCourse(): Promise<{ courseId: string; lessonId: string }> {
    return this.once("trainingCourse", async () => {
      const staff = this.m.sessions.merchantA.token;
      const courseId = idOf(await call("POST", "/v1/training/courses", { token: staff, body: { title: "A 的课程", published: true } }));
      const lessonId = idOf(
        await call("POST", `/v1/training/courses/${courseId}/lessons`, { token: staff, body: { title: "第一课", body: "内容" } }),
      );
      const media = await callBytes("PUT", `/v1/training/courses/${courseId}/lessons/${lessonId}/media`, {
        token: staff,
        type: "image/png",
        bytes: PNG,
      });
      expect(media.status, JSON.stringify(media.body)).toBe(200);
      const enrolled = await call("PUT", `/v1/technician/training/courses/${courseId}/enrollment`, { token: this.m.sessions.techA.token });
      expect(enrolled.status, JSON.stringify(enrolled.body)).toBe(200);
      return { courseId, lessonId };
    });
  }

  /** Merchant A's question bank of three single-choice questions (option 1 right) and one of them. */
  trainingBank(): Promise<{ bankId: string; questionId: string }> {
    return this.once("trainingBank", async () => {
      const token = this.m.sessions.merchantA.token;
      const bankId = idOf(await call("POST", "/v1/training/banks", { token, body: { title: "A 的题库" } }));
      let questionId = "";
      for (let i = 0; i < 3; i++) {
        const body = { kind: "single", prompt: `题 ${i}`, options: ["错", "对"], correct: [1] };
        questionId = idOf(await call("POST", `/v1/training/banks/${bankId}/questions`, { token, body }));
      }
      return { bankId, questionId };
    });
  }

  /** Merchant A's published exam on its bank (five attempts). */
  trainingExam(): Promise<string> {
    return this.once("trainingExam", async () => {
      const { bankId } = await this.trainingBank();
      const body = {
        title: "A 的考试",
        bankId,
        drawCount: 2,
        passPercent: 50,
        timeLimitSeconds: 600,
        maxAttempts: 5,
        validDays: 30,
        published: true,
      };
      return idOf(await call("POST", "/v1/training/exams", { token: this.m.sessions.merchantA.token, body }));
    });
  }

  /** An open attempt of techA at A's exam: its id and its questions' ids. */
  trainingAttempt(): Promise<{ id: string; questionIds: string[] }> {
    return this.once("trainingAttempt", async () => {
      const res = await call("POST", `/v1/technician/training/exams/${await this.trainingExam()}/attempts`, {
        token: this.m.sessions.techA.token,
      });
      return { id: idOf(res), questionIds: (res.body.questions as { id: string }[]).map((q) => q.id) };
    });
  }

  /**
   * A recurring series of customer A on A's service, starting 29 days ahead (beyond the series
   * horizon, so it books no visit and takes no technician's time), its first visit skipped.
   */
  series(): Promise<{ id: string; first: string; second: string }> {
    return this.once("series", async () => {
      const body = seriesBody(this.m);
      const res = await call("POST", "/v1/series", { token: this.m.customerA.session.token, body });
      const id = idOf(res);
      const skipped = await call("POST", `/v1/series/${id}/visits/${body.startDate}/skip`, {
        token: this.m.customerA.session.token,
        body: {},
      });
      expect(skipped.status).toBe(200);
      return { id, first: body.startDate, second: addDays(body.startDate, 7) };
    });
  }

  /** A saved address of customer A (not the one A books with). */
  address(): Promise<string> {
    return this.once("address", async () => {
      const res = await call("POST", "/v1/me/addresses", {
        token: this.m.customerA.session.token,
        body: {
          label: "公司",
          text: "测试路 1 号 101 室",
          lat: this.m.w.center.lat,
          lng: this.m.w.center.lng,
          contactName: "张三",
          contactPhone: "13912345678",
        },
      });
      return idOf(res);
    });
  }

  /** A push device of customer A. */
  device(): Promise<string> {
    return this.once("device", async () => {
      const res = await call("POST", "/v1/me/devices", {
        token: this.m.customerA.session.token,
        body: { platform: "ios", provider: "jpush", token: newId("jp"), appVersion: "1.0.0" },
      });
      return idOf(res, [200, 201]);
    });
  }

  /** An in-app notification of customer A (written straight to D1). */
  notification(): Promise<string> {
    return this.once("notification", async () => {
      const id = newId("ntf");
      await env.DB.prepare(
        "INSERT INTO notifications (id, account_id, kind, title, body, data, source_id, read_at, created_at) VALUES (?, ?, 'order.confirmed', ?, ?, '{}', ?, NULL, ?)",
      )
        .bind(
          id,
          this.m.customerA.session.accountId,
          JSON.stringify({ zh: "标题", en: "Title" }),
          JSON.stringify({ zh: "内容", en: "Body" }),
          id,
          Date.now(),
        )
        .run();
      return id;
    });
  }

  /** A notification the queue gave up on (written straight to D1). */
  deadLetter(): Promise<string> {
    return this.once("deadLetter", async () => {
      const id = newId("msg");
      await env.DB.prepare(
        "INSERT INTO dead_letters (id, queue, topic, payload, error, attempts, created_at) VALUES (?, 'doorstep-notifications', 'order.confirmed', '{}', 'matrix', 5, ?)",
      )
        .bind(id, Date.now())
        .run();
      return id;
    });
  }

  /** A coupon of merchant A. */
  coupon(): Promise<string> {
    return this.once("coupon", async () => {
      const res = await call("POST", "/v1/admin/coupons", {
        token: this.m.sessions.admin.token,
        body: {
          code: `MX${Math.random().toString(36).slice(2, 10)}`,
          name: "Matrix",
          kind: "fixed",
          value: 100,
          merchantId: this.m.merchantA,
          startsAt: new Date(Date.now() - 60_000).toISOString(),
          endsAt: new Date(Date.now() + 86_400_000).toISOString(),
        },
      });
      return idOf(res);
    });
  }

  /** A package plan for merchant A's service (visits), made by merchant A's admin. */
  packagePlan(): Promise<string> {
    return this.once("packagePlan", async () => {
      const res = await call("POST", "/v1/admin/package-plans", {
        token: this.m.sessions.merchantA.token,
        body: {
          serviceId: this.m.w.serviceId,
          kind: "visits",
          units: 5,
          price: 50_000,
          validDays: 90,
          nameZh: "五次卡",
          nameEn: "5 visits",
        },
      });
      return idOf(res);
    });
  }

  /** Customer A's package on that plan, waiting for payment. */
  customerPackage(): Promise<string> {
    return this.once("customerPackage", async () => {
      const res = await call("POST", "/v1/me/packages", {
        token: this.m.customerA.session.token,
        body: { planId: await this.packagePlan() },
      });
      return idOf(res);
    });
  }

  /**
   * A webhook subscription of merchant A, made by its admin and paused: replays of its deliveries answer
   * 409 and send nothing (the matrix and the fuzz replay them many times; there is no receiver).
   */
  webhook(): Promise<string> {
    return this.once("webhook", async () => {
      const res = await call("POST", "/v1/admin/webhook-subscriptions", {
        token: this.m.sessions.merchantA.token,
        body: { url: "https://hooks.matrix.test/in", events: ["order.created"] },
      });
      const id = idOf(res, [201]);
      idOf(
        await call("PATCH", `/v1/admin/webhook-subscriptions/${id}`, {
          token: this.m.sessions.merchantA.token,
          body: { status: "paused" },
        }),
        [200],
      );
      return id;
    });
  }

  /** A failed delivery of merchant A's webhook subscription (written straight to D1). */
  webhookDelivery(): Promise<string> {
    return this.once("webhookDelivery", async () => {
      const subscriptionId = await this.webhook();
      const id = newId("whd");
      await env.DB.prepare(
        "INSERT INTO webhook_deliveries (id, subscription_id, merchant_id, event_id, event_type, order_id, body, status, attempts, created_at, updated_at) VALUES (?, ?, ?, ?, 'order.created', NULL, '{}', 'failed', 8, ?, ?)",
      )
        .bind(id, subscriptionId, this.m.merchantA, newId("evt"), Date.now(), Date.now())
        .run();
      return id;
    });
  }

  category(): Promise<string> {
    return this.once("category", () => createCategory(this.m.sessions.admin));
  }

  /** A second merchant_admin of merchant A (one a test may remove). */
  merchantAdmin(): Promise<string> {
    return this.once("merchantAdmin", async () => (await signInWithRoles(["merchant_admin"], this.m.merchantA)).accountId);
  }

  /** A customer account nobody else uses (one a test may disable). */
  account(): Promise<string> {
    return this.once("account", async () => (await signIn()).accountId);
  }

  /** A customer account an operator disabled. */
  disabledAccount(): Promise<string> {
    return this.once("disabledAccount", async () => {
      const id = await this.account();
      const res = await call("POST", `/v1/admin/accounts/${id}/disable`, {
        token: this.m.sessions.operator.token,
        body: { reason: "fraud" },
      });
      expect(res.status, JSON.stringify(res.body)).toBe(200);
      return id;
    });
  }

  /**
   * A token of a new account with the actor's roles and merchant, for an operation that revokes
   * the caller's own tokens (the world's sessions must outlive it).
   */
  async standIn(actor: Exclude<Actor, "anonymous">): Promise<string> {
    const merchantId = actor === "merchantA" ? this.m.merchantA : actor === "merchantB" ? this.m.merchantB : null;
    return (await signInWithRoles([...this.m.sessions[actor].roles], merchantId)).token;
  }

  /** A technician of merchant A not yet approved. */
  applicant(): Promise<string> {
    return this.once(
      "applicant",
      async () =>
        (await addTechnician(this.m.w, this.m.w.center, { merchantId: this.m.merchantA, approve: false, skills: [this.m.w.otherSkill] }))
          .id,
    );
  }

  /** Puts `payee` on file for the actor when it is a technician (what a removal needs to find). */
  async payeeOf(actor: Actor, payee: Record<string, unknown>): Promise<void> {
    if (actor !== "techA" && actor !== "techB") return;
    const res = await call("PUT", "/v1/technician/payee", { token: this.m.sessions[actor].token, body: payee });
    expect(res.status, JSON.stringify(res.body)).toBe(200);
  }

  /** An order of A's grab-mode service waiting in the pool for a technician to take it. */
  poolOrder(): Promise<string> {
    return this.once("poolOrder", async () => {
      this.m.grabService ??= await this.newServiceOfA("grab");
      const q = await quote(this.m.w, this.m.customerA, nextStart(this.m.w), { serviceId: this.m.grabService });
      const res = await book(this.m.customerA, q);
      return idOf(res);
    });
  }

  /** Technician A served customer A; when `actor` is customer A, A is now one of A's favourites. */
  async favourite(actor: Actor): Promise<void> {
    await this.review();
    if (actor !== "customerA") return;
    const res = await call("PUT", `/v1/me/favourites/${this.m.techA.id}`, { token: this.m.customerA.session.token });
    expect(res.status, JSON.stringify(res.body)).toBe(200);
  }

  /** A fresh customer's booking slot for A's service (a quote of customer A). */
  async quote(): Promise<{ id: string; start: string }> {
    return quote(this.m.w, this.m.customerA, nextStart(this.m.w));
  }

  /** Books A's service for customer A (pay after service). */
  async book(): Promise<string> {
    const q = await this.quote();
    const res = await book(this.m.customerA, q);
    expect(res.status, JSON.stringify(res.body)).toBe(201);
    return res.body.id as string;
  }

  /** A free start time for A's service. */
  start(): string {
    return nextStart(this.m.w);
  }
}
