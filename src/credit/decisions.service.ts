/**
 * Rewards and penalties staff decide for a technician, and the technician's appeals against
 * penalties. Money moves through the ledger (`credit_reward` Dr reward_expense Cr technician_payable;
 * `credit_penalty` Dr technician_payable Cr penalty_revenue; `credit_reversal` mirrors either), each
 * transaction balanced and written in the batch of the decision. A penalty may take the technician's
 * balance below zero: the debt is offset against later earnings (withdrawals need a positive
 * available balance), as a cash collection does. Points go to the credit history in the same batch.
 *
 * An appeal: at most one open per penalty; staff grant it (the money and the points come back,
 * the penalty is `reversed`) or deny it. Two staff deciding one appeal at once: the decision's
 * update matches only while the appeal is open, and the reversal is guarded on the winner's change
 * id, so exactly one decision counts and the other gets 409 CREDIT_APPEAL_DECIDED.
 */
import { getDb } from "../db/client";
import { appendAudit } from "../db/repositories/audit.repo";
import {
  appealDecidedBy,
  appealsQueue,
  decideAppealStatement,
  decisionExists,
  decisionsOf,
  factPoints,
  findAppeal,
  findDecision,
  insertAppeal,
  insertDecisionStatement,
  reverseDecisionStatement,
  type CreditAppealRow,
  type CreditDecisionRow,
} from "../db/repositories/credit.repo";
import { ledgerStatements } from "../db/repositories/ledger.repo";
import { allOf, outboxRow, runBatch } from "../db/repositories/statements";
import { findTechnician } from "../db/repositories/technicians.repo";
import { PENALTY_REASONS, REWARD_REASONS } from "../domain/credit";
import { creditDecisionTx } from "../domain/ledger";
import { AppError, notFound } from "../errors";
import { newId } from "../lib/ids";
import type { Locale } from "../lib/locale";
import { creditFactStatementsOf, reasonView } from "./credit.service";

export const CURRENCY = "CNY";

export interface DecisionInput {
  kind: "reward" | "penalty";
  reasonCode: (typeof REWARD_REASONS)[number] | (typeof PENALTY_REASONS)[number];
  /** Minor units (0: points only). */
  amount: number;
  /** Points, as a positive number (a penalty takes them off). */
  points: number;
  note?: string;
}

function appealView(a: CreditAppealRow) {
  return {
    id: a.id,
    decisionId: a.decisionId,
    reason: a.reason,
    status: a.status,
    decidedBy: a.decidedBy,
    decisionNote: a.decisionNote,
    decidedAt: a.decidedAt === null ? null : new Date(a.decidedAt).toISOString(),
    createdAt: new Date(a.createdAt).toISOString(),
  };
}

export function decisionView(d: CreditDecisionRow & { appeals?: CreditAppealRow[] }, locale: Locale) {
  return {
    id: d.id,
    technicianId: d.technicianId,
    kind: d.kind,
    amount: d.amount,
    currency: d.currency,
    points: d.points,
    reason: reasonView(d.reasonCode, locale),
    note: d.note,
    status: d.status,
    decidedBy: d.decidedBy,
    createdAt: new Date(d.createdAt).toISOString(),
    appeals: (d.appeals ?? []).map(appealView),
  };
}

/** Rewards and penalties of a technician, newest first, with their appeals. */
export async function decisionsFor(env: Env, technicianId: string, locale: Locale) {
  return { items: (await decisionsOf(getDb(env), technicianId)).map((d) => decisionView(d, locale)) };
}

/** Staff reward or penalise a technician: money through the ledger and/or points, one batch; audited. */
export async function decide(env: Env, actorId: string, technicianId: string, input: DecisionInput, locale: Locale) {
  if (input.amount === 0 && input.points === 0) throw AppError.of("CREDIT_DECISION_EMPTY");
  const reasons: readonly string[] = input.kind === "reward" ? REWARD_REASONS : PENALTY_REASONS;
  if (!reasons.includes(input.reasonCode))
    throw AppError.of("VALIDATION_FAILED", {}, { errors: [{ path: "body.reasonCode", message: `not a ${input.kind} reason` }] });
  const db = getDb(env);
  if (!(await findTechnician(db, technicianId))) throw notFound("Technician");
  const now = Date.now();
  const row: CreditDecisionRow = {
    id: newId("ccd", now),
    technicianId,
    kind: input.kind,
    amount: input.amount,
    currency: CURRENCY,
    points: input.kind === "reward" ? input.points : -input.points,
    reasonCode: input.reasonCode,
    note: input.note?.trim() || null,
    status: "in_force",
    decidedBy: actorId,
    createdAt: now,
    updatedAt: now,
  };
  const made = decisionExists(row.id);
  await runBatch(db, [
    insertDecisionStatement(db, row),
    ...(row.amount > 0 ? ledgerStatements(db, creditDecisionTx(row), now, made) : []),
    ...(row.points !== 0
      ? creditFactStatementsOf(
          db,
          {
            technicianId,
            kind: row.kind,
            sourceType: "credit_decision",
            sourceId: row.id,
            reasonCode: row.reasonCode as DecisionInput["reasonCode"],
            actorId,
            points: row.points,
          },
          made,
          now,
        )
      : []),
    // The technician is told, with the reason in words (src/domain/notifications.ts).
    outboxRow(
      db,
      {
        id: newId("msg", now),
        topic: "credit.decision",
        payload: { technicianId, decisionId: row.id, kind: row.kind, reasonCode: row.reasonCode, amount: row.amount, points: row.points },
      },
      now,
      made,
    ),
  ]);
  await appendAudit(db, {
    actorId,
    action: `credit.${row.kind}`,
    targetType: "technician",
    targetId: technicianId,
    data: { decisionId: row.id, amount: row.amount, points: row.points, reasonCode: row.reasonCode },
  });
  return decisionView(row, locale);
}

/** The technician appeals a penalty in force of theirs; 409 when one is open already. */
export async function appeal(env: Env, technicianId: string, decisionId: string, reason: string, accountId: string) {
  const db = getDb(env);
  const d = await findDecision(db, decisionId);
  if (!d || d.technicianId !== technicianId) throw notFound({ en: "Penalty", zh: "处罚" });
  if (d.kind !== "penalty" || d.status !== "in_force") throw AppError.of("CREDIT_NOT_APPEALABLE");
  const now = Date.now();
  const row: CreditAppealRow = {
    id: newId("cap", now),
    decisionId,
    technicianId,
    reason: reason.trim(),
    status: "open",
    changeId: null,
    decidedBy: null,
    decisionNote: null,
    decidedAt: null,
    createdAt: now,
  };
  if (!(await insertAppeal(db, row))) throw AppError.of("CREDIT_APPEAL_OPEN");
  await appendAudit(db, {
    actorId: accountId,
    action: "credit.appeal",
    targetType: "credit_decision",
    targetId: decisionId,
    data: { appealId: row.id },
  });
  return appealView(row);
}

/** The appeals queue (open ones oldest first, or decided ones). */
export async function appeals(env: Env, status: CreditAppealRow["status"], limit: number, locale: Locale) {
  const rows = await appealsQueue(getDb(env), status, limit);
  return {
    items: rows.map((r) => ({
      ...appealView(r.appeal),
      technicianId: r.appeal.technicianId,
      technicianName: r.technicianName,
      decision: decisionView(r.decision, locale),
    })),
  };
}

/**
 * Staff decide an open appeal. Granted: the penalty is reversed (its money back through the ledger,
 * its points back on the history), all in the batch that closes the appeal. Audited.
 */
export async function decideAppeal(env: Env, actorId: string, appealId: string, input: { outcome: "granted" | "denied"; note?: string }) {
  const db = getDb(env);
  const a = await findAppeal(db, appealId);
  if (!a) throw notFound({ en: "Appeal", zh: "申诉" });
  if (a.status !== "open") throw AppError.of("CREDIT_APPEAL_DECIDED");
  const d = (await findDecision(db, a.decisionId))!;
  const now = Date.now();
  const changeId = newId("chg", now);
  const won = appealDecidedBy(a.id, changeId);
  const decided = decideAppealStatement(db, {
    id: a.id,
    changeId,
    status: input.outcome,
    decidedBy: actorId,
    note: input.note?.trim() || null,
    now,
  });
  const statements = [decided];
  if (input.outcome === "granted") {
    // The points the penalty actually took (clamped at 0), given back.
    const taken = await factPoints(db, "credit_decision", d.id, "penalty");
    const reversed = allOf(won, {
      sql: "EXISTS (SELECT 1 FROM technician_credit_decisions WHERE id = ? AND status = 'reversed')",
      params: [d.id],
    });
    statements.push(reverseDecisionStatement(db, d.id, now, won));
    if (d.amount > 0) statements.push(...ledgerStatements(db, creditDecisionTx(d, true), now, reversed));
    if (taken !== 0)
      statements.push(
        ...creditFactStatementsOf(
          db,
          {
            technicianId: d.technicianId,
            kind: "appeal_granted",
            sourceType: "credit_decision",
            sourceId: d.id,
            reasonCode: "APPEAL_GRANTED",
            actorId,
            points: -taken,
          },
          reversed,
          now,
        ),
      );
  }
  statements.push(
    outboxRow(
      db,
      {
        id: newId("msg", now),
        topic: "credit.appeal_decided",
        payload: { technicianId: d.technicianId, appealId: a.id, decisionId: d.id, outcome: input.outcome },
      },
      now,
      won,
    ),
  );
  const [result] = await runBatch(db, statements);
  if ((result?.meta.changes ?? 0) === 0) throw AppError.of("CREDIT_APPEAL_DECIDED");
  await appendAudit(db, {
    actorId,
    action: `credit.appeal.${input.outcome}`,
    targetType: "credit_appeal",
    targetId: a.id,
    data: { decisionId: d.id, technicianId: d.technicianId },
  });
  return appealView((await findAppeal(db, a.id))!);
}
