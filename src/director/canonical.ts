/**
 * The canonical byte encoding an ad's signature covers, after RFC 8785 (JSON
 * Canonicalization Scheme): objects with their keys sorted by UTF-16 code units,
 * no whitespace anywhere, strings and numbers as ECMAScript's JSON.stringify writes
 * them (RFC 8785 3.2.2.2 and 3.2.2.3 define exactly that), UTF-8 bytes.
 *
 * Known gaps against RFC 8785: none for the values ads hold (strings, finite numbers,
 * booleans, null, arrays, plain objects). Anything else (undefined, NaN, Infinity,
 * functions, bigint, class instances) is refused rather than silently dropped, so the
 * signer and the verifier can never disagree about what was signed.
 */

export class CanonicalError extends Error {
  readonly code = 'CANONICAL';
  readonly kind = 'director.not_canonical';
  constructor(message: string) {
    super(message);
    this.name = 'CanonicalError';
  }
}

/** The canonical JSON text of `value`. */
export function canonicalJson(value: unknown): string {
  return encode(value, '$');
}

/** The canonical UTF-8 bytes of `value`. */
export function canonicalBytes(value: unknown): Buffer {
  return Buffer.from(canonicalJson(value), 'utf8');
}

function encode(value: unknown, path: string): string {
  if (value === null) return 'null';
  switch (typeof value) {
    case 'string':
      return JSON.stringify(value);
    case 'boolean':
      return value ? 'true' : 'false';
    case 'number':
      if (!Number.isFinite(value))
        throw new CanonicalError(`${path}: ${value} has no JSON form (RFC 8785 3.2.2.3)`);
      // ECMAScript's Number serialization is the one RFC 8785 names; -0 becomes 0.
      return JSON.stringify(value);
    case 'object': {
      if (Array.isArray(value))
        return `[${value.map((item, i) => encode(item, `${path}[${i}]`)).join(',')}]`;
      const proto = Object.getPrototypeOf(value) as unknown;
      if (proto !== Object.prototype && proto !== null)
        throw new CanonicalError(`${path}: only plain objects can be encoded`);
      const record = value as Record<string, unknown>;
      // Default sort compares UTF-16 code units, as RFC 8785 3.2.3 asks.
      const keys = Object.keys(record).sort();
      const members = keys.map((key) => {
        const member = record[key];
        if (member === undefined)
          throw new CanonicalError(`${path}.${key}: undefined has no JSON form`);
        return `${JSON.stringify(key)}:${encode(member, `${path}.${key}`)}`;
      });
      return `{${members.join(',')}}`;
    }
    default:
      throw new CanonicalError(`${path}: a ${typeof value} has no JSON form`);
  }
}
