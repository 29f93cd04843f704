/**
 * What staff are told when a visit of a series could not be booked: the operators and the admins of
 * the series' merchant get one notice per visit in their notification centre, with the reason and
 * the alternatives as local times. Pure: texts only (no phone, no address, no raw code).
 */
import { localWhen } from "../domain/notifications";
import type { Localized } from "../lib/locale";

/** Why a visit could not be booked, as people read it (the code stays for clients). */
export const PROBLEM_TEXT: Record<string, Localized> = {
  SLOT_UNAVAILABLE: { zh: "该时段没有空闲的师傅", en: "no technician is free at that time" },
  UNPAID_BALANCE: { zh: "有已完成的订单尚未付款", en: "a completed order is still unpaid" },
  SERVICE_NOT_OFFERED: { zh: "该地址已不提供此服务", en: "the service is no longer offered at the address" },
  ADDRESS_GONE: { zh: "上门地址已删除", en: "the address was deleted" },
  SERIES_PAUSED: { zh: "周期预约已暂停", en: "the series was paused" },
};
export const OTHER_PROBLEM: Localized = { zh: "暂时无法预约", en: "it could not be booked" };

export const problemText = (code: string): Localized => PROBLEM_TEXT[code] ?? OTHER_PROBLEM;

/** The notice kind staff see (dashboard and notification centre). */
export const STAFF_UNBOOKABLE_KIND = "series.staff_unbookable";

export interface StaffNotice {
  kind: string;
  title: Localized;
  body: Localized;
  data: Record<string, unknown>;
}

/** The staff notice of one visit that could not be booked. */
export function staffUnbookableNotice(
  v: { seriesId: string; occurrenceId: string; date: string; start: number; problem: string },
  alternatives: { technicianId: string; start: number }[],
  timeZone: string,
): StaffNotice {
  const when = localWhen(v.start, timeZone);
  const reason = problemText(v.problem);
  const times = alternatives.map((a) => localWhen(a.start, timeZone));
  const offer: Localized =
    times.length === 0
      ? { zh: "暂无可选的其他时间或师傅。", en: "There is no other time or technician to offer." }
      : {
          zh: `可选：${times.map((t) => t.zh).join("、")}。`,
          en: `Alternatives: ${times.map((t) => t.en).join(", ")}.`,
        };
  return {
    kind: STAFF_UNBOOKABLE_KIND,
    title: { zh: "周期上门未能预约", en: "A repeat visit could not be booked" },
    body: {
      zh: `${when.zh} 的周期上门未能预约：${reason.zh}。${offer.zh}`,
      en: `The repeat visit on ${when.en} could not be booked: ${reason.en}. ${offer.en}`,
    },
    data: {
      seriesId: v.seriesId,
      occurrenceId: v.occurrenceId,
      date: v.date,
      start: new Date(v.start).toISOString(),
      alternatives: alternatives.map((a) => ({ technicianId: a.technicianId, start: new Date(a.start).toISOString() })),
    },
  };
}
