// The GoBGP announcer's gRPC client against a stand-in gobgpd: a grpc-js server on a unix
// socket serving the same proto subset. What goes over the wire (one AddPathStream, 1,000
// paths a message; exact-prefix ListPath with binary attributes), and how its failures
// become codes: nothing listening, a refused call, attributes that do not decode, a
// server that comes back.
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import * as grpc from '@grpc/grpc-js';
import * as protoLoader from '@grpc/proto-loader';
import { AnnouncerFailure } from '../../../src/announcers/index.js';
import { GrpcGobgp, PROTO_FILE } from '../../../src/announcers/gobgp/client.js';
import { encodePath, type ApiPath, type GobgpPath } from '../../../src/announcers/gobgp/paths.js';

const BARE: GobgpPath = { origin: 'igp', asPath: [], communities: [], largeCommunities: [] };

interface Recorded {
  streams: { paths: number[] }[];
  lists: { family: unknown; prefixes: string[] }[];
}

function fakeGobgpd(behaviour: {
  listAnswer?: (prefixes: string[]) => object[];
  refuse?: string;
}): { server: grpc.Server; recorded: Recorded } {
  const definition = protoLoader.loadSync(PROTO_FILE, {
    keepCase: true,
    longs: Number,
    enums: Number,
    defaults: true,
  });
  const apipb = grpc.loadPackageDefinition(definition).apipb as grpc.GrpcObject;
  const service = (apipb.GobgpApi as grpc.ServiceClientConstructor).service;
  const recorded: Recorded = { streams: [], lists: [] };
  const server = new grpc.Server();
  server.addService(service, {
    GetBgp: (_call: unknown, callback: grpc.sendUnaryData<object>) =>
      callback(null, { global: { asn: 65001, router_id: '198.18.0.1' } }),
    ListPath: (
      call: grpc.ServerWritableStream<{ family: unknown; prefixes: { prefix: string }[] }, object>,
    ) => {
      const prefixes = call.request.prefixes.map((p) => p.prefix);
      recorded.lists.push({ family: call.request.family, prefixes });
      for (const destination of behaviour.listAnswer?.(prefixes) ?? []) call.write({ destination });
      call.end();
    },
    AddPathStream: (
      call: grpc.ServerReadableStream<{ paths: ApiPath[] }, object>,
      callback: grpc.sendUnaryData<object>,
    ) => {
      const stream = { paths: [] as number[] };
      recorded.streams.push(stream);
      call.on('data', (message: { paths: ApiPath[] }) => stream.paths.push(message.paths.length));
      call.on('end', () => {
        if (behaviour.refuse !== undefined)
          callback({ code: grpc.status.UNKNOWN, details: behaviour.refuse }, null);
        else callback(null, {});
      });
    },
  });
  return { server, recorded };
}

function listen(server: grpc.Server, target: string): Promise<void> {
  return new Promise((resolve, reject) => {
    server.bindAsync(target, grpc.ServerCredentials.createInsecure(), (error) => {
      if (error) reject(error);
      else resolve();
    });
  });
}

let dir = '';
before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'ag-gobgp-grpc-'));
});
after(async () => {
  await rm(dir, { recursive: true, force: true });
});

let sockets = 0;
function target(): { api: { kind: 'unix'; target: string }; address: string } {
  const address = `unix://${join(dir, `s${sockets++}.sock`)}`;
  return { api: { kind: 'unix', target: address }, address };
}

describe('GoBGP gRPC client', () => {
  it('one AddPathStream for a sync, 1,000 paths a message; ListPath names the prefixes', async () => {
    const { api, address } = target();
    const { server, recorded } = fakeGobgpd({
      listAnswer: (prefixes) => [
        {
          prefix: prefixes[0],
          paths: [{ ...encodePath(prefixes[0] ?? '', { ...BARE, med: 7 }), neighbor_ip: '<nil>' }],
        },
      ],
    });
    await listen(server, address);
    const client = new GrpcGobgp(api, 5_000);
    try {
      assert.equal(await client.globalAsn(), 65001);
      const paths = Array.from({ length: 2500 }, (_, i) =>
        encodePath(`198.18.${16 + (i >> 8)}.${i & 255}/32`, BARE),
      );
      await client.change(paths);
      assert.deepEqual(recorded.streams, [{ paths: [1000, 1000, 500] }]);
      const local = await client.localPaths('ipv4', ['203.0.113.1/32', '203.0.113.2/32']);
      assert.deepEqual(recorded.lists, [
        { family: { afi: 1, safi: 1 }, prefixes: ['203.0.113.1/32', '203.0.113.2/32'] },
      ]);
      assert.deepEqual(Object.fromEntries(local), { '203.0.113.1/32': { ...BARE, med: 7 } });
    } finally {
      client.close();
      server.forceShutdown();
    }
  });

  it('failures: nothing listening, a refusal, bad attributes; a server that comes back is reached', async () => {
    const { api, address } = target();
    const client = new GrpcGobgp(api, 2_000);
    let server: grpc.Server | undefined;
    try {
      await assert.rejects(client.globalAsn(), (error: unknown) => {
        assert.ok(error instanceof AnnouncerFailure);
        assert.equal(error.code, 'ANNOUNCER_DAEMON_UNREACHABLE');
        assert.match(error.message, /^gobgpd does not answer on unix:\/\/.*\(GetBgp: /);
        return true;
      });
      server = fakeGobgpd({
        refuse: 'duplicated path attribute type: 4',
        listAnswer: (prefixes) => [
          {
            prefix: prefixes[0],
            paths: [{ neighbor_ip: '<nil>', pattrs_binary: [Uint8Array.of(0x40, 1, 9)] }],
          },
        ],
      }).server;
      await listen(server, address);
      // The channel was dropped after the failure: this call dials afresh.
      assert.equal(await client.globalAsn(), 65001);
      await assert.rejects(client.change([encodePath('203.0.113.1/32', BARE)]), {
        code: 'ANNOUNCER_REJECTED',
        message: 'gobgpd refused AddPathStream: duplicated path attribute type: 4',
      });
      await assert.rejects(client.localPaths('ipv4', ['203.0.113.1/32']), {
        code: 'ANNOUNCER_BAD_OUTPUT',
      });
    } finally {
      client.close();
      server?.forceShutdown();
    }
  });
});
