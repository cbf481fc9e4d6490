/**
 * A peer's `bfd` key and its rules: `bfd = true` or `bfd = { min_rx, min_tx, multiplier,
 * required }` (seconds). The BGP area calls parseBfdSetting for each peer, so the key's
 * problems are reported under the peer's path (`bgp.peers[0].bfd.min_rx: …`).
 */
import { z } from 'zod';
import { validate, wholeNumber, type IssueList, type KeyPath } from '../validation/index.js';

export interface BfdOptions {
  /** Seconds: the slowest rate we accept packets at (Required Min RX). */
  readonly minRx: number;
  /** Seconds: the rate we would like to send at once Up (Desired Min TX). */
  readonly minTx: number;
  /** Detect Mult: packets missed before the session is declared down. */
  readonly multiplier: number;
  /** Hold BGP down until BFD is Up (default: BGP runs while the router does not answer BFD). */
  readonly required: boolean;
}

export const BFD_DEFAULTS: BfdOptions = {
  minRx: 0.3,
  minTx: 0.3,
  multiplier: 3,
  required: false,
};

/** 10 ms: the worker polls in milliseconds, and below this a busy host flaps. */
export const MIN_INTERVAL = 0.01;
export const MAX_INTERVAL = 60;

const interval = z.custom<number>(
  (v) => typeof v === 'number' && Number.isFinite(v) && v >= MIN_INTERVAL && v <= MAX_INTERVAL,
  `must be a number of seconds from ${MIN_INTERVAL} to ${MAX_INTERVAL}`,
);

export const bfdSchema = z
  .union([
    z.boolean(),
    z.strictObject({
      min_rx: interval.optional(),
      min_tx: interval.optional(),
      multiplier: wholeNumber(1, 255).optional(),
      required: z.boolean().optional(),
    }),
  ])
  .describe(
    'true, false, or a table { min_rx = 0.3, min_tx = 0.3, multiplier = 3, required = false }',
  );

/** The `bfd` key as the file writes it, for code that checks options built in code. */
export type BfdTable =
  | boolean
  | {
      readonly min_rx?: number;
      readonly min_tx?: number;
      readonly multiplier?: number;
      readonly required?: boolean;
    };

/**
 * The key checked: `undefined` when it is absent or false (no BFD), the options with
 * defaults filled in otherwise. Problems go to `issues` under `at`; then `null`.
 */
export function parseBfdSetting(
  raw: unknown,
  at: KeyPath,
  issues: IssueList,
): BfdOptions | undefined | null {
  if (raw === undefined) return undefined;
  const value = validate(bfdSchema, raw, at, issues);
  if (value === undefined) return null;
  if (value === false) return undefined;
  if (value === true) return BFD_DEFAULTS;
  return {
    minRx: value.min_rx ?? BFD_DEFAULTS.minRx,
    minTx: value.min_tx ?? BFD_DEFAULTS.minTx,
    multiplier: value.multiplier ?? BFD_DEFAULTS.multiplier,
    required: value.required ?? BFD_DEFAULTS.required,
  };
}

/** Options back in the file's names (for the same checks on options built in code). */
export function bfdTable(options: BfdOptions): BfdTable {
  return {
    min_rx: options.minRx,
    min_tx: options.minTx,
    multiplier: options.multiplier,
    required: options.required,
  };
}

/** Seconds to the protocol's microseconds. */
export function toMicros(seconds: number): number {
  return Math.round(seconds * 1_000_000);
}
