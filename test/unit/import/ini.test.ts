// configparser's reading rules that anycast-healthchecker's files rely on.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  IniDocument,
  IniError,
  interpolate,
  parseIniBoolean,
  parseIniFloat,
  parseIniInt,
} from '../../../src/import/ini.js';

function read(text: string, source = 'a.conf'): IniDocument {
  const doc = new IniDocument();
  doc.read(text, source);
  return doc;
}

function value(doc: IniDocument, section: string, key: string): string | undefined {
  const map = doc.sections.get(section);
  const raw = map?.get(key) ?? doc.defaults.get(key);
  return raw === undefined || map === undefined ? undefined : interpolate([map, doc.defaults], raw);
}

describe('IniDocument', () => {
  it('sections, "=" and ":", keys lowercased, values stripped, DEFAULT as fallback', () => {
    const doc = read(`[DEFAULT]
interface = lo
[foo.bar]
Check_Cmd = /bin/true
ip_prefix:10.0.0.1/32
empty =
`);
    assert.equal(value(doc, 'foo.bar', 'check_cmd'), '/bin/true');
    assert.equal(value(doc, 'foo.bar', 'ip_prefix'), '10.0.0.1/32');
    assert.equal(value(doc, 'foo.bar', 'interface'), 'lo');
    assert.equal(value(doc, 'foo.bar', 'empty'), '');
    assert.equal(doc.sections.has('DEFAULT'), false);
    assert.deepEqual(doc.origins.get('foo.bar'), { source: 'a.conf', line: 3 });
  });

  it('split at the first delimiter, whichever it is', () => {
    const doc = read('[s]\nurl = http://x:80/a=b\nk: v = w\n');
    assert.equal(value(doc, 's', 'url'), 'http://x:80/a=b');
    assert.equal(value(doc, 's', 'k'), 'v = w');
  });

  it('full-line comments with # or ; (indented too); no inline comments', () => {
    const doc = read(
      '# c\n; c\n[s]\n  # indented comment\ncmd = curl http://x/#frag ; not a comment\n',
    );
    assert.equal(value(doc, 's', 'cmd'), 'curl http://x/#frag ; not a comment');
    assert.deepEqual([...(doc.sections.get('s')?.keys() ?? [])], ['cmd']);
  });

  it('continuation lines: deeper indent, "\\n"-joined, inner empty lines kept, comments skipped, trailing dropped', () => {
    const doc = read('[s]\ncmd = a\n  b\n\n  # skipped\n  c\n\nnext = 1\n');
    assert.equal(value(doc, 's', 'cmd'), 'a\nb\n\nc');
    assert.equal(value(doc, 's', 'next'), '1');
  });

  it('an option line indented like its predecessor is a new option', () => {
    const doc = read('[s]\n  a = 1\n  b = 2\n');
    assert.equal(value(doc, 's', 'a'), '1');
    assert.equal(value(doc, 's', 'b'), '2');
  });

  it('strict within a file, merged across files (later wins)', () => {
    assert.throws(() => read('[s]\na = 1\n[s]\n'), /a\.conf:3: section \[s\] appears twice/);
    assert.throws(() => read('[s]\na = 1\nA = 2\n'), /a\.conf:3: option a appears twice in \[s\]/);
    const doc = new IniDocument();
    doc.read('[s]\na = 1\nb = 1\n', 'one.conf');
    doc.read('[s]\na = 2\n', 'two.conf');
    assert.equal(value(doc, 's', 'a'), '2');
    assert.equal(value(doc, 's', 'b'), '1');
    assert.equal(doc.sections.get('s')?.get('a')?.source, 'two.conf');
    // …and the repeat is kept, so the importer can refuse it.
    assert.deepEqual(doc.origins.get('s'), { source: 'one.conf', line: 1 });
    assert.deepEqual(doc.repeats.get('s'), [{ source: 'two.conf', line: 1 }]);
  });

  it('errors name the file and line', () => {
    assert.throws(
      () => read('a = 1\n'),
      (e: unknown) =>
        e instanceof IniError && e.line === 1 && /before any \[section\]/.test(e.message),
    );
    assert.throws(() => read('[s]\njust words\n'), /a\.conf:2: "just words" is not "key = value"/);
    assert.throws(() => read('[s]\n= 1\n'), /a\.conf:2/);
  });

  it('BasicInterpolation: %% and %(name)s, from the section or DEFAULT', () => {
    const doc = read(
      '[DEFAULT]\nhost = 203.0.113.80\n[s]\nport = 80\nurl = http://%(host)s:%(PORT)s/\nfmt = -w %%{http_code}\n',
    );
    assert.equal(value(doc, 's', 'url'), 'http://203.0.113.80:80/');
    assert.equal(value(doc, 's', 'fmt'), '-w %{http_code}');
  });

  it('a lone %, a missing reference and a loop are errors', () => {
    assert.throws(
      () => value(read('[s]\nfmt = -w %{http_code}\n'), 's', 'fmt'),
      /a\.conf:2: "%" must be followed by "%" or "\("/,
    );
    assert.throws(
      () => value(read('[s]\nx = %(nope)s\n'), 's', 'x'),
      /%\(nope\)s refers to an option that is not set/,
    );
    assert.throws(
      () => value(read('[s]\nx = %(y)s\ny = %(x)s\n'), 's', 'x'),
      /nested more than 10 deep/,
    );
  });
});

describe('getboolean, int(), float()', () => {
  it('booleans', () => {
    for (const t of ['1', 'yes', 'TRUE', 'On']) assert.equal(parseIniBoolean(t), true);
    for (const t of ['0', 'no', 'false', 'OFF']) assert.equal(parseIniBoolean(t), false);
    assert.equal(parseIniBoolean('enabled'), undefined);
  });
  it('numbers', () => {
    assert.equal(parseIniInt(' 3 '), 3);
    assert.equal(parseIniInt('1_000'), 1000);
    assert.equal(parseIniInt('2.0'), undefined);
    assert.equal(parseIniFloat('0.5'), 0.5);
    assert.equal(parseIniFloat('10'), 10);
    assert.equal(parseIniFloat('.5'), 0.5);
    assert.equal(parseIniFloat('1e1'), 10);
    assert.equal(parseIniFloat('inf'), undefined);
    assert.equal(parseIniFloat('2s'), undefined);
  });
});
