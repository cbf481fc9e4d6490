/** `anycast-guard drain SERVICE --reason TEXT` and `anycast-guard undrain SERVICE`. */
import type { ServiceView } from '../api/index.js';
import { callApi, type ApiTarget } from './api-client.js';

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
  )) as { service?: ServiceView };
  print(
    `${service} drained: its prefixes are withdrawn and stay so across restarts until undrained (state ${answer.service?.state ?? 'unknown'})`,
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
  )) as { service?: ServiceView };
  print(
    `${service} undrained: announced again once healthy (state ${answer.service?.state ?? 'unknown'})`,
  );
}
