/**
 * Durations as anycastd writes them: a number of seconds, or an ISO-8601 duration
 * ("PT1S", "PT1M30S", "P1DT2H", "PT0.5S"), which anycastd's pydantic `timedelta` also
 * reads. Years and months are refused: they have no fixed length.
 */
import { z } from 'zod';
import { seconds } from '../validation/index.js';

const ISO =
  /^P(?:(\d+(?:[.,]\d+)?)W)?(?:(\d+(?:[.,]\d+)?)D)?(?:T(?:(\d+(?:[.,]\d+)?)H)?(?:(\d+(?:[.,]\d+)?)M)?(?:(\d+(?:[.,]\d+)?)S)?)?$/i;

/** Seconds in an ISO-8601 duration, or undefined when `text` is not one. */
export function parseIsoDuration(text: string): number | undefined {
  const match = ISO.exec(text.trim());
  // "P" and "PT" alone match the pattern but say nothing.
  if (match === null || match.slice(1).every((part) => part === undefined)) return undefined;
  if (/T$/i.test(text.trim())) return undefined;
  const [w, d, h, m, s] = match.slice(1).map((part) => Number((part ?? '0').replace(',', '.')));
  return (w ?? 0) * 604_800 + (d ?? 0) * 86_400 + (h ?? 0) * 3600 + (m ?? 0) * 60 + (s ?? 0);
}

/** `seconds()`, also read from an ISO-8601 duration string. */
export function duration(options: { zero?: boolean; max?: number } = {}): z.ZodType<number> {
  return z
    .unknown()
    .transform((value, ctx): unknown => {
      if (typeof value !== 'string') return value;
      const parsed = parseIsoDuration(value);
      if (parsed === undefined) {
        ctx.addIssue({
          code: 'custom',
          message: /^P[^T]*[YM]/i.test(value)
            ? 'must be a number of seconds or an ISO-8601 duration in weeks, days, hours, minutes and seconds ("PT1S"); years and months have no fixed length'
            : 'must be a number of seconds or an ISO-8601 duration ("PT1S", "PT1M30S")',
        });
        return z.NEVER;
      }
      return parsed;
    })
    .pipe(seconds(options));
}
