/**
 * gobgpd's gRPC API (gobgp-api.proto, GoBGP 3.x) through @grpc/grpc-js: the three calls
 * the GoBGP announcer makes, each bounded by the configured timeout, errors as
 * AnnouncerFailures. One channel, opened at the first call and dropped after any failure,
 * so a restarted gobgpd is dialled afresh at the next try instead of after grpc-js's own
 * reconnect backoff (up to 120 s).
 *
 * grpc-js and proto-loader (~13 MB of a daemon's RSS) are loaded at the first call, so a
 * daemon without a GoBGP announcer never loads them.
 */
import { fileURLToPath } from 'node:url';
import type * as grpc from '@grpc/grpc-js';
import { AnnouncerFailure } from '../errors.js';
import {
  apiFamily,
  localPaths,
  type ApiDestination,
  type ApiPath,
  type Family,
  type GobgpPath,
} from './paths.js';
import { describeApi, type GobgpApi } from './settings.js';

/** The subset of GoBGP's API, beside the sources (package.json ships it with dist/). */
export const PROTO_FILE = fileURLToPath(
  new URL('../../../../src/announcers/gobgp/gobgp-api.proto', import.meta.url),
);

/** Paths per AddPathStreamRequest: gRPC's default message limit is 4 MB. */
export const PATHS_PER_MESSAGE = 1000;

/** What the GoBGP backend asks of gobgpd (tests substitute their own). */
export interface GobgpConnection {
  /** gobgpd's global AS, or undefined while it has none. */
  globalAsn(): Promise<number | undefined>;
  /** The local paths gobgpd holds for these prefixes of a family. */
  localPaths(family: Family, prefixes: readonly string[]): Promise<Map<string, GobgpPath>>;
  /** Adds and withdraws paths, all in one AddPathStream; resolves once gobgpd's RIB has them. */
  change(paths: readonly ApiPath[]): Promise<void>;
  close(): void;
}

type Callback<T> = (error: grpc.ServiceError | null, response?: T) => void;

interface RawClient extends grpc.Client {
  GetBgp(
    request: object,
    options: grpc.CallOptions,
    callback: Callback<{ global?: { asn?: number } | null }>,
  ): grpc.ClientUnaryCall;
  ListPath(
    request: object,
    options: grpc.CallOptions,
  ): grpc.ClientReadableStream<{ destination?: ApiDestination | null }>;
  AddPathStream(
    options: grpc.CallOptions,
    callback: Callback<object>,
  ): grpc.ClientWritableStream<object>;
}

interface GrpcService {
  readonly Service: grpc.ServiceClientConstructor;
  readonly insecure: grpc.ChannelCredentials;
}

let loading: Promise<GrpcService> | undefined;

/** The GobgpApi client constructor, grpc-js and the .proto loaded at the first need. */
function service(): Promise<GrpcService> {
  loading ??= (async () => {
    const [grpcJs, protoLoader] = await Promise.all([
      import('@grpc/grpc-js'),
      import('@grpc/proto-loader'),
    ]);
    const definition = protoLoader.loadSync(PROTO_FILE, {
      keepCase: true,
      longs: Number,
      enums: Number,
      defaults: true,
    });
    const apipb = grpcJs.loadPackageDefinition(definition).apipb as grpc.GrpcObject;
    return {
      Service: apipb.GobgpApi as grpc.ServiceClientConstructor,
      insecure: grpcJs.credentials.createInsecure(),
    };
  })();
  // A failed load is tried again at the next call, as a failed call is.
  loading.catch(() => (loading = undefined));
  return loading;
}

/** grpc-js's status codes that mean "gobgpd is not there" (grpc.status, without loading it). */
const UNREACHABLE_STATUS: ReadonlySet<number> = new Set([
  1, // CANCELLED
  4, // DEADLINE_EXCEEDED
  14, // UNAVAILABLE
]);

/** The grpc-js target for an API address: "host:port", "[v6]:port" or "unix:///path". */
export function grpcTarget(api: GobgpApi): string {
  return describeApi(api);
}

/** A failed call as an AnnouncerFailure; gobgpd's texts are GoBGP 3.10's. */
export function callFailure(api: GobgpApi, method: string, error: unknown): AnnouncerFailure {
  const where = describeApi(api);
  const status = (error as Partial<grpc.ServiceError>).code;
  const details = (error as Partial<grpc.ServiceError>).details ?? String(error);
  if (/hasn't started yet|has not started/i.test(details))
    return new AnnouncerFailure(
      'ANNOUNCER_DAEMON_UNREACHABLE',
      `gobgpd on ${where} has no global configuration yet (${method}: ${details}): give it a [global.config] with as and router-id`,
    );
  if (status !== undefined && UNREACHABLE_STATUS.has(status))
    return new AnnouncerFailure(
      'ANNOUNCER_DAEMON_UNREACHABLE',
      `gobgpd does not answer on ${where} (${method}: ${details}): is it running with --api-hosts ${where}?`,
    );
  return new AnnouncerFailure('ANNOUNCER_REJECTED', `gobgpd refused ${method}: ${details}`);
}

export class GrpcGobgp implements GobgpConnection {
  private client: RawClient | undefined;

  constructor(
    private readonly api: GobgpApi,
    private readonly timeoutMs: number,
  ) {}

  private async connect(): Promise<RawClient> {
    if (this.client !== undefined) return this.client;
    const { Service, insecure } = await service();
    this.client ??= new Service(grpcTarget(this.api), insecure) as unknown as RawClient;
    return this.client;
  }

  private options(): grpc.CallOptions {
    return { deadline: Date.now() + this.timeoutMs };
  }

  /** Runs one call; a failure drops the channel and becomes an AnnouncerFailure. */
  private async call<T>(method: string, work: (client: RawClient) => Promise<T>): Promise<T> {
    try {
      return await work(await this.connect());
    } catch (error) {
      this.close();
      throw error instanceof AnnouncerFailure ? error : callFailure(this.api, method, error);
    }
  }

  globalAsn(): Promise<number | undefined> {
    return this.call(
      'GetBgp',
      (client) =>
        new Promise<number | undefined>((resolve, reject) => {
          client.GetBgp({}, this.options(), (error, response) => {
            if (error !== null) reject(error);
            else {
              const asn = response?.global?.asn ?? 0;
              resolve(asn > 0 ? asn : undefined);
            }
          });
        }),
    );
  }

  localPaths(family: Family, prefixes: readonly string[]): Promise<Map<string, GobgpPath>> {
    if (prefixes.length === 0) return Promise.resolve(new Map<string, GobgpPath>());
    return this.call(
      'ListPath',
      (client) =>
        new Promise<Map<string, GobgpPath>>((resolve, reject) => {
          const destinations: ApiDestination[] = [];
          const stream = client.ListPath(
            {
              table_type: 0, // GLOBAL
              family: apiFamily(family),
              prefixes: prefixes.map((prefix) => ({ prefix, type: 0 })), // EXACT
              enable_nlri_binary: true,
              enable_attribute_binary: true,
              enable_only_binary: true,
            },
            this.options(),
          );
          stream.on('data', (response: { destination?: ApiDestination | null }) => {
            if (response.destination) destinations.push(response.destination);
          });
          stream.on('error', reject);
          stream.on('end', () => {
            try {
              resolve(localPaths(destinations, `gobgpd's ListPath on ${describeApi(this.api)}`));
            } catch (error) {
              reject(error instanceof Error ? error : new Error(String(error)));
            }
          });
        }),
    );
  }

  change(paths: readonly ApiPath[]): Promise<void> {
    if (paths.length === 0) return Promise.resolve();
    return this.call(
      'AddPathStream',
      (client) =>
        new Promise<void>((resolve, reject) => {
          const stream = client.AddPathStream(this.options(), (error) => {
            if (error !== null) reject(error);
            else resolve();
          });
          stream.on('error', () => {
            // The call's callback reports it.
          });
          for (let i = 0; i < paths.length; i += PATHS_PER_MESSAGE)
            stream.write({ table_type: 0, paths: paths.slice(i, i + PATHS_PER_MESSAGE) });
          stream.end();
        }),
    );
  }

  close(): void {
    this.client?.close();
    this.client = undefined;
  }
}
