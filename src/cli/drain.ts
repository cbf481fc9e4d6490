/**
 * `anycast-guard drain SERVICE --reason TEXT [--graceful [--wait S]] [--wait-until-withdrawn]`
 * and `anycast-guard undrain SERVICE`.
 */
import type { ServiceView, StatusView } from '../api/index.js';
import { ApiClientError, callApi, type ApiTarget } from './api-client.js';

/** What the API answers to a drain or undrain (docs/api.md). */
interface DrainAnswer {
  readonly service?: ServiceView;
  /** False when the state_dir could not be written: it holds only until a restart. */
  readonly persisted?: boolean;
  readonly persistError?: { readonly code?: string; readonly message: string };
}

export interface DrainOptions {
  /** Seconds of GRACEFUL_SHUTDOWN (RFC 8326) before the withdrawal; undefined = at once. */
  readonly graceful?: { readonly wait?: number };
  /** Return only once the withdrawal went out (every prefix withdrawn, its announcer in sync). */
  readonly untilWithdrawn?: boolean;
  /** Between two looks at the status while waiting, ms (tests shorten it). */
  readonly pollMs?: number;
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
  options: DrainOptions = {},
): Promise<void> {
  const graceful =
    options.graceful === undefined
      ? {}
      : {
          graceful: true,
          ...(options.graceful.wait === undefined ? {} : { wait: options.graceful.wait }),
        };
  const answer = (await callApi(
    target,
    'POST',
    `/v1/services/${encodeURIComponent(service)}/drain`,
    { reason, ...graceful },
  )) as DrainAnswer;
  const kept = persistence(answer, ' and stay so across restarts until undrained');
  const until = answer.service?.drainingUntil;
  print(
    until === undefined
      ? `${service} drained: its prefixes are withdrawn${kept} (state ${answer.service?.state ?? 'unknown'})`
      : `${service} draining: announced with GRACEFUL_SHUTDOWN (65535:0), withdrawn in ${Math.max(0, Math.round((until - Date.now()) / 1000))} s${kept}`,
  );
  if (options.untilWithdrawn === true) {
    await waitUntilWithdrawn(target, service, until, options.pollMs ?? 200);
    print(`${service} withdrawn`);
  }
}

/**
 * Polls the status until the service is drained and each of its prefixes is withdrawn
 * where its announcer put it; an undrain meanwhile is an error (the drain was cancelled).
 */
async function waitUntilWithdrawn(
  target: ApiTarget,
  service: string,
  until: number | undefined,
  pollMs: number,
): Promise<void> {
  // The wait, then a minute for the announcers: a stuck one is an error, not a hang.
  const giveUp = (until ?? Date.now()) + 60_000;
  for (;;) {
    const status = (await callApi(target, 'GET', '/v1/status')) as StatusView;
    const view = status.services.find((s) => s.name === service);
    if (view === undefined)
      throw new ApiClientError(`${service} is no longer configured: nothing to wait for`, 404);
    if (view.state !== 'draining' && view.state !== 'drained')
      throw new ApiClientError(
        `${service} is ${view.state}: the drain was cancelled (undrained)`,
        409,
      );
    const out = view.prefixes.every(
      (p) => !p.announced && p.synced && (p.peers === undefined || p.peers.sent === 0),
    );
    if (view.state === 'drained' && out) return;
    if (Date.now() > giveUp)
      throw new ApiClientError(
        `${service}: still ${view.state === 'drained' ? 'not withdrawn everywhere' : 'draining'} a minute after its wait; see anycast-guard status`,
        504,
      );
    await new Promise((resolve) => setTimeout(resolve, pollMs));
  }
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
