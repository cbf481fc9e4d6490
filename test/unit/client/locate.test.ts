import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { locate, LocateError } from '../../../src/client/locate.js';
import type { JsonResponse } from '../../../src/director/http.js';

const discovery = {
  directors: ['http://d1.test', 'http://d2.test'],
  services: { web: { anycast_url: 'http://203.0.113.80/' } },
};

function fakeGet(up: Set<string>, log: string[] = []) {
  return (url: string): Promise<JsonResponse> => {
    log.push(url);
    const parsed = new URL(url);
    if (!up.has(parsed.host)) return Promise.reject(new Error('connection refused'));
    if (parsed.pathname === '/.well-known/anycast-guard')
      return Promise.resolve({ status: 200, body: discovery });
    return Promise.resolve({
      status: 200,
      body: {
        nodes: [
          { name: 'a', url: 'http://a.test/', load: 0, sameSite: true },
          { name: 'b', url: 'http://b.test/', load: 1, sameSite: false },
        ],
        anycast: 'http://203.0.113.80/',
        client: parsed.searchParams.get('client'),
      },
    });
  };
}

describe('locate', () => {
  it('asks the directors in turn and returns the ranked nodes, anycast last', async () => {
    const log: string[] = [];
    const result = await locate('web', {
      discovery: 'http://disc.test/.well-known/anycast-guard',
      client: '10.1.2.3',
      get: fakeGet(new Set(['disc.test', 'd2.test']), log),
    });
    assert.equal(result.source, 'director');
    assert.equal(result.director, 'http://d2.test');
    assert.deepEqual(result.urls, ['http://a.test/', 'http://b.test/', 'http://203.0.113.80/']);
    assert.deepEqual(
      result.tried.map((t) => t.url),
      ['http://d1.test'],
    );
    assert.ok(log.includes('http://d2.test/v1/locate/web?client=10.1.2.3'));
  });

  it('prefer-anycast puts the anycast URL first', async () => {
    const result = await locate('web', {
      directors: ['http://d1.test'],
      preferAnycast: true,
      get: fakeGet(new Set(['d1.test'])),
    });
    assert.deepEqual(result.urls, ['http://203.0.113.80/', 'http://a.test/', 'http://b.test/']);
  });

  it('falls back to the anycast URL when no director answers', async () => {
    const result = await locate('web', {
      discovery: 'http://disc.test/.well-known/anycast-guard',
      get: fakeGet(new Set(['disc.test'])),
    });
    assert.equal(result.source, 'anycast');
    assert.deepEqual(result.urls, ['http://203.0.113.80/']);
    assert.deepEqual(
      result.tried.map((t) => t.url),
      ['http://d1.test', 'http://d2.test'],
    );
    const offline = await locate('web', {
      discovery: 'http://disc.test/x',
      directors: ['http://d1.test'],
      anycast: 'http://203.0.113.80/',
      get: fakeGet(new Set()),
    });
    assert.deepEqual(offline.urls, ['http://203.0.113.80/']);
  });

  it('says what it tried when there is nothing at all', async () => {
    await assert.rejects(
      locate('web', { directors: ['http://d1.test'], get: fakeGet(new Set()) }),
      (error: LocateError) =>
        /no director answered for web with a node \(http:\/\/d1\.test: connection refused\) and no anycast URL is known/.test(
          error.message,
        ),
    );
  });

  it('treats a 503, an empty list and a timeout alike: the next director, then anycast', async () => {
    const answers: Record<string, () => Promise<JsonResponse>> = {
      'd1.test': () =>
        Promise.resolve({ status: 503, body: { error: 'director d1 is still catching up' } }),
      'd2.test': () => Promise.resolve({ status: 200, body: { nodes: [] } }),
      'd3.test': () => Promise.reject(new Error('no answer within 1000 ms')),
      'd4.test': () =>
        Promise.resolve({
          status: 200,
          body: { nodes: [{ name: 'a', url: 'http://a.test/', load: 0, sameSite: true }] },
        }),
    };
    const get = (url: string): Promise<JsonResponse> => answers[new URL(url).host]!();
    const directors = ['http://d1.test', 'http://d2.test', 'http://d3.test'];
    const fallback = await locate('web', { directors, anycast: 'http://203.0.113.80/', get });
    assert.equal(fallback.source, 'anycast');
    assert.deepEqual(fallback.urls, ['http://203.0.113.80/']);
    assert.deepEqual(
      fallback.tried.map((t) => t.error),
      [
        'HTTP 503: director d1 is still catching up',
        'no node is up for web there',
        'no answer within 1000 ms',
      ],
    );
    const found = await locate('web', { directors: [...directors, 'http://d4.test'], get });
    assert.equal(found.director, 'http://d4.test');
    assert.deepEqual(found.urls, ['http://a.test/']);
  });

  it('names the discovery URL and the reason when the document cannot be read', async () => {
    await assert.rejects(
      locate('web', {
        discovery: 'http://disc.test/.well-known/anycast-guard',
        get: () =>
          Promise.reject(
            new Error('http://disc.test/.well-known/anycast-guard: connection refused'),
          ),
      }),
      (error: LocateError) => {
        assert.match(
          error.message,
          /^no director to ask for web: cannot read the discovery document http:\/\/disc\.test\/\.well-known\/anycast-guard: .*connection refused; and no anycast URL is known/,
        );
        assert.doesNotMatch(error.message, /give --discovery/);
        return true;
      },
    );
  });
});
