/**
 * The node's side of withdrawal permits (permit.ts, docs/fleet-guard.md): one signed
 * request, POSTed to every known director at once, each bounded by the timeout, and
 * one reply per director: its answer, or why there is none. A director that cannot be
 * reached, is not ready (503), refuses the request (4xx) or answers nonsense gives an
 * error reply; decideWithdrawal then reads them all.
 */
import type { KeyObject } from 'node:crypto';
import type { Logger } from 'pino';
import type { Clock } from '../clock/index.js';
import { errorText, requestJson, type ClientTls } from './http.js';
import {
  PERMIT_PATH,
  PERMIT_VERSION,
  permitAnswerSchema,
  signPermitRequest,
  type PermitAsker,
  type PermitEnvelope,
  type PermitMinimum,
  type PermitReply,
  type PermitRequest,
} from './permit.js';
import { errorMessage } from '../util/index.js';

export interface PermitClientOptions {
  /** This node's origin name (as in its ads). */
  readonly origin: string;
  /** The node's ad key: directors verify with the trusted `node` key of the origin. */
  readonly key: KeyObject;
  /** The directors known now (e.g. NodeAdvertiser.directorUrls()). */
  readonly directors: () => readonly string[];
  /** Per director; the [directors] timeout. */
  readonly timeoutMs: number;
  readonly tls?: ClientTls;
  readonly clock: Clock;
  readonly log?: Logger;
}

/** Answers are small: a director's reason is at most 512 characters. */
const MAX_ANSWER_BYTES = 16 * 1024;

export class PermitClient implements PermitAsker {
  private readonly options: PermitClientOptions;
  /**
   * Each request's issuedAt is later than the one before: directors order a node's
   * releases and ads against its acquires by it (a release issued before an acquire
   * does not free that acquire's permit), so two requests never share a millisecond.
   */
  private lastIssuedAt = 0;

  constructor(options: PermitClientOptions) {
    this.options = options;
  }

  async acquire(service: string, minimum: PermitMinimum): Promise<PermitReply[]> {
    return this.ask({ action: 'acquire', service, minimum });
  }

  async release(service: string): Promise<void> {
    const replies = await this.ask({ action: 'release', service });
    for (const reply of replies)
      if ('error' in reply)
        this.options.log?.debug(
          { event: 'guard.release_failed', service, director: reply.director, err: reply.error },
          'a director did not take a permit release (its permit expires on its own)',
        );
  }

  knownDirectors(): number {
    return this.options.directors().length;
  }

  private async ask(
    what: Pick<PermitRequest, 'action' | 'service' | 'minimum'>,
  ): Promise<PermitReply[]> {
    const { origin, key, clock } = this.options;
    this.lastIssuedAt = Math.max(clock.now(), this.lastIssuedAt + 1);
    const request: PermitRequest = {
      v: PERMIT_VERSION,
      action: what.action,
      origin,
      service: what.service,
      ...(what.minimum === undefined ? {} : { minimum: what.minimum }),
      issuedAt: this.lastIssuedAt,
    };
    const envelope = signPermitRequest(request, key);
    const directors = [...new Set(this.options.directors())];
    return Promise.all(directors.map((director) => this.post(director, envelope)));
  }

  private async post(director: string, envelope: PermitEnvelope): Promise<PermitReply> {
    const { timeoutMs, tls } = this.options;
    let url: string;
    try {
      url = new URL(PERMIT_PATH, director).toString();
    } catch {
      return { director, error: `not a URL: ${director}` };
    }
    try {
      const response = await requestJson(url, {
        method: 'POST',
        body: envelope,
        timeoutMs,
        maxBytes: MAX_ANSWER_BYTES,
        ...(tls === undefined ? {} : { tls }),
      });
      if (response.status === 503) return { director, error: `not ready (${errorText(response)})` };
      if (response.status !== 200) return { director, error: errorText(response) };
      const answer = permitAnswerSchema.safeParse(response.body);
      if (!answer.success)
        return {
          director,
          error: `not a permit answer: ${answer.error.issues[0]?.message ?? 'bad shape'}`,
        };
      if (answer.data.service !== envelope.request.service)
        return { director, error: `answered for service ${answer.data.service}` };
      return { director, answer: answer.data };
    } catch (error) {
      return { director, error: errorMessage(error) };
    }
  }
}
