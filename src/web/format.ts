/** How the pages write numbers and times: short, and the same on every page. */
import { plainNumber } from '../util/plain-number.js';

/** 3 significant digits, whole from 100 on (as the API's sentences write them). */
export const num = plainNumber;

/** A band `lower–upper`. */
export const band = (lower: number, upper: number): string => `${num(lower)}–${num(upper)}`;

/** `06:58:07` (UTC) of an RFC 3339 time or epoch ms. */
export function clock(t: string | number | null): string {
  if (t === null) return '';
  const d = new Date(t);
  return Number.isNaN(d.getTime()) ? '' : d.toISOString().slice(11, 19);
}

/** `2026-12-07 06:58 UTC`. */
export function dateTime(t: string | number | null): string {
  if (t === null) return '';
  const d = new Date(t);
  return Number.isNaN(d.getTime()) ? '' : `${d.toISOString().slice(0, 16).replace('T', ' ')} UTC`;
}

/** `a minute`, `3 minutes`, `40 seconds`, `2 hours`: a gap between two times. */
export function gap(ms: number): string {
  const s = Math.round(Math.abs(ms) / 1000);
  if (s < 60) return s === 1 ? 'a second' : `${s} seconds`;
  const m = Math.round(s / 60);
  if (m < 60) return m === 1 ? 'a minute' : `${m} minutes`;
  const h = Math.round(m / 60);
  return h === 1 ? 'an hour' : `${h} hours`;
}
