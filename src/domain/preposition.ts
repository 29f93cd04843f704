/**
 * Pre-positioning: per hour, cells where forecast demand exceeds the technicians on shift there
 * (a shortfall) get technicians from cells with more on shift than their demand (a surplus). A
 * greedy transport by distance between cell centres: the largest shortfall first takes from the
 * nearest surplus, then the next nearest, until it is met or no surplus within `maxKm` is left.
 * Not optimal (a transport problem solved exactly would move fewer kilometres); simple, fast and
 * predictable, which a suggestion needs.
 */
import { haversineKm, type LatLng } from "./geo";

export interface CellHour {
  cell: string;
  center: LatLng;
  /** Forecast orders starting in the hour (not rounded). */
  demand: number;
  /** Technicians on shift homed in the cell. */
  supply: number;
}

export interface Balance {
  cell: string;
  /** Technicians the forecast needs: the demand rounded up (each starts at most one job an hour). */
  needed: number;
  shortfall: number;
  surplus: number;
}

export interface Move {
  from: string;
  to: string;
  technicians: number;
  distanceKm: number;
}

/** What a cell needs and has to spare in the hour. */
export function balanceOf(c: CellHour): Balance {
  const needed = Math.ceil(Math.max(0, c.demand) - 1e-9);
  return { cell: c.cell, needed, shortfall: Math.max(0, needed - c.supply), surplus: Math.max(0, c.supply - needed) };
}

/** The suggested moves of one hour (never more than a cell's surplus out or its shortfall in, never beyond `maxKm`). */
export function planMoves(cells: readonly CellHour[], maxKm: number): Move[] {
  const centre = new Map(cells.map((c) => [c.cell, c.center]));
  const balances = cells.map(balanceOf);
  const spare = new Map(balances.filter((b) => b.surplus > 0).map((b) => [b.cell, b.surplus]));
  const short = balances.filter((b) => b.shortfall > 0).sort((a, b) => b.shortfall - a.shortfall || a.cell.localeCompare(b.cell));
  const moves: Move[] = [];
  for (const s of short) {
    let need = s.shortfall;
    const to = centre.get(s.cell)!;
    const nearest = [...spare.keys()]
      .map((cell) => ({ cell, km: haversineKm(centre.get(cell)!, to) }))
      .filter((x) => x.km <= maxKm)
      .sort((a, b) => a.km - b.km || a.cell.localeCompare(b.cell));
    for (const n of nearest) {
      if (need === 0) break;
      const k = Math.min(need, spare.get(n.cell) ?? 0);
      if (k === 0) continue;
      moves.push({ from: n.cell, to: s.cell, technicians: k, distanceKm: Math.round(n.km * 10) / 10 });
      need -= k;
      const left = (spare.get(n.cell) ?? 0) - k;
      if (left > 0) spare.set(n.cell, left);
      else spare.delete(n.cell);
    }
  }
  return moves;
}

const DIRECTIONS: { zh: string; en: string }[] = [
  { zh: "北", en: "N" },
  { zh: "东北", en: "NE" },
  { zh: "东", en: "E" },
  { zh: "东南", en: "SE" },
  { zh: "南", en: "S" },
  { zh: "西南", en: "SW" },
  { zh: "西", en: "W" },
  { zh: "西北", en: "NW" },
];

/** Where a cell lies as a person reads it: distance and direction from the city centre, e.g. 3.2 km NE of the centre. */
export function placeLabel(centre: LatLng, p: LatLng): { zh: string; en: string } {
  const km = Math.round(haversineKm(centre, p) * 10) / 10;
  if (km < 1) return { zh: "市中心", en: "the centre" };
  const dy = p.lat - centre.lat;
  const dx = (p.lng - centre.lng) * Math.cos((centre.lat * Math.PI) / 180);
  const bearing = (Math.atan2(dx, dy) * 180) / Math.PI;
  const d = DIRECTIONS[Math.round(((bearing + 360) % 360) / 45) % 8]!;
  return { zh: `市中心以${d.zh} ${km} 公里`, en: `${km} km ${d.en} of the centre` };
}
