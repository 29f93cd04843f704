import { z } from "@hono/zod-openapi";
import { MoneySchema } from "../http/openapi";
import { Order } from "../orders/orders.schemas";

const Id = (name: string, example: string) =>
  z
    .string()
    .min(1)
    .max(64)
    .openapi({ param: { name, in: "path" }, example });

export const OrderParam = z.object({ id: Id("id", "ord_01JD3Q8Z6X9V4M2K7T5R1N0PAB") });
export const PhotoParam = OrderParam.extend({ photoId: Id("photoId", "pho_01JD3Q8Z6X9V4M2K7T5R1N0PAB") });
export const ChangeParam = OrderParam.extend({ changeId: Id("changeId", "chg_01JD3Q8Z6X9V4M2K7T5R1N0PAB") });
export const TaskParam = z.object({ orderId: Id("orderId", "ord_01JD3Q8Z6X9V4M2K7T5R1N0PAB") });
export const TaskChangeParam = TaskParam.extend({ changeId: Id("changeId", "chg_01JD3Q8Z6X9V4M2K7T5R1N0PAB") });
export const TechnicianParam = z.object({ technicianId: Id("technicianId", "tch_01JD3Q8Z6X9V4M2K7T5R1N0PAB") });

export const PhotoKind = z
  .enum(["arrive", "complete"])
  .openapi({ description: "arrive: check-in at the address; complete: the finished work" });

export const Photo = z
  .object({
    id: z.string(),
    orderId: z.string(),
    kind: PhotoKind,
    contentType: z.enum(["image/jpeg", "image/png", "image/webp"]),
    size: z.number().int().openapi({ description: "bytes" }),
    url: z.string().openapi({ description: "GET it with the same access token" }),
    createdAt: z.string(),
  })
  .openapi("Photo");

const Reason = z.string().trim().min(1).max(500);

export const ExtraChargeRequest = z
  .object({
    items: z
      .array(
        z
          .object({
            label: z.string().trim().min(1).max(60).openapi({ example: "更换水龙头阀芯" }),
            amount: z.number().int().min(1).max(10_000_000).openapi({ description: "Integer minor units (分), > 0" }),
          })
          .strict(),
      )
      .min(1)
      .max(10),
    reason: Reason,
  })
  .strict()
  .openapi("ExtraChargeRequest");

export const TimeChangeRequest = z
  .object({
    start: z.iso.datetime({ offset: true }).openapi({ example: "2026-11-26T14:00:00+08:00" }),
    reason: Reason,
  })
  .strict()
  .openapi("TimeChangeRequest");

export const RejectChange = z.object({ reason: Reason.optional() }).strict().openapi("RejectChange");

export const Change = z
  .object({
    id: z.string(),
    orderId: z.string(),
    kind: z.enum(["extra_charge", "time_change"]),
    status: z.enum(["pending", "approved", "rejected", "withdrawn"]),
    requestedBy: z.object({ type: z.literal("technician"), id: z.string() }),
    reason: z.string(),
    decisionReason: z.string().nullable().openapi({ description: "Why it was rejected or withdrawn, e.g. `slot no longer free`" }),
    decidedAt: z.string().nullable(),
    createdAt: z.string(),
    items: z
      .array(z.object({ label: z.string(), amount: MoneySchema }))
      .optional()
      .openapi({ description: "extra_charge only" }),
    amount: MoneySchema.optional().openapi({ description: "extra_charge only: the sum of the items" }),
    start: z.string().optional().openapi({ description: "time_change only: the proposed start" }),
    end: z.string().optional().openapi({ description: "time_change only" }),
    previousStart: z.string().optional().openapi({ description: "time_change only: the start when it was proposed" }),
  })
  .openapi("OrderChange");

export const ChangeDecision = z.object({ change: Change, order: Order }).openapi("OrderChangeDecision");

export const Favourite = z
  .object({
    technician: z.object({ id: z.string(), name: z.string(), rating: z.number() }),
    createdAt: z.string(),
  })
  .openapi("Favourite");
