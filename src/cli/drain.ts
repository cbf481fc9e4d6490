/** `anycast-guard drain SERVICE --reason TEXT` and `anycast-guard undrain SERVICE`. */
import type { ServiceView } from '../api/index.js';
import { callApi, type ApiTarget } from './api-client.js';

/** What the API answers to a drain or undrain (docs/api.md). */
interface DrainAnswer {
  readonly service?: ServiceView;
  /** False when the state_dir could not be written: it holds only until a restart. */
  readonly persisted?: boolean;
  readonly persistError?: { readonly code?: string; readonly message: string };
}

/** The second sentence: whether the state survives a restart, and why not. */
function persistence(answer: DrainAnswer, kept: string): string {
  return answer.persisted === false
    ? `; NOT saved: ${answer.persistError?.message ?? 'the state could not be written'}`
    : kept;
}

export async function runDrain(
  target: ApiTarget,
  service: string,
  reason: string,
  print: (text: string) => void,
): Promise<void> {
  const answer = (await callApi(
    target,
    'POST',
    `/v1/services/${encodeURIComponent(service)}/drain`,
    { reason },
  )) as DrainAnswer;
  print(
    `${service} drained: its prefixes are withdrawn${persistence(answer, ' and stay so across restarts until undrained')} (state ${answer.service?.state ?? 'unknown'})`,
  );
}

export async function runUndrain(
  target: ApiTarget,
  service: string,
  print: (text: string) => void,
): Promise<void> {
  const answer = (await callApi(
    target,
    'POST',
    `/v1/services/${encodeURIComponent(service)}/undrain`,
  )) as DrainAnswer;
  print(
    `${service} undrained: announced again once healthy${persistence(answer, '')} (state ${answer.service?.state ?? 'unknown'})`,
  );
}
