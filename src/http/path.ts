/** Parts of a request path, decoded: bad client input is a 400, never a 500. */
import { HttpError } from './errors.js';

/** decodeURIComponent, but a malformed %-escape (e.g. "%E0%A4%A") is a 400 naming it. */
export function decodePathSegment(segment: string, what = 'path segment'): string {
  try {
    return decodeURIComponent(segment);
  } catch {
    throw new HttpError(400, `the ${what} ${JSON.stringify(segment)} has a malformed %-escape`);
  }
}
