/**
 * The live dashboard served at `/`: one static HTML page with inline CSS and
 * vanilla JS (no build step, no external requests). It polls GET /v1/status and
 * GET /v1/transitions every second; check latency sparklines keep the last 60
 * durations per check in the page (from polling, de-duplicated by result time).
 * Drain/undrain POST with a reason prompt; over TCP a 401 prompts for the bearer
 * token (kept in sessionStorage), a 403 shows that the TCP API is read-only.
 * Every piece of data goes into the DOM through textContent or attributes.
 */
import { createHash } from 'node:crypto';

const STYLE = `
:root { color-scheme: light dark; --ok: #1a7f37; --bad: #cf222e; --warn: #9a6700; --mute: #6e7781; }
body { font: 14px/1.4 system-ui, sans-serif; margin: 0 1.5rem 2rem; }
header { display: flex; gap: 1rem; align-items: baseline; flex-wrap: wrap; }
h1 { font-size: 1.3rem; margin: 1rem 0 0.5rem; }
h2 { font-size: 1.05rem; margin: 1.4rem 0 0.4rem; }
#banner { padding: 0.4rem 0.7rem; border-radius: 4px; background: #fff8c5; color: #4d2d00; }
#banner:empty { display: none; }
#stale { padding: 0.6rem 0.8rem; margin: 0.5rem 0; border-radius: 4px; background: var(--bad); color: #fff; font-weight: 600; font-size: 1.05rem; }
#stale:empty { display: none; }
body.stale main { opacity: 0.4; filter: grayscale(1); }
#conn { color: var(--mute); }
table { border-collapse: collapse; width: 100%; }
th, td { text-align: left; padding: 0.3rem 0.6rem; border-bottom: 1px solid #d0d7de; vertical-align: top; }
th { font-weight: 600; color: var(--mute); }
.state { font-weight: 600; }
.state.up, .state.established, .yes { color: var(--ok); }
.state.down, .state.idle, .no { color: var(--bad); }
.state.drained, .state.draining, .state.guarded, .state.held-down, .state.connect, .state.active, .state.opensent, .state.openconfirm { color: var(--warn); }
.mute { color: var(--mute); }
svg.spark { vertical-align: middle; }
svg.spark polyline { fill: none; stroke: currentColor; stroke-width: 1.5; }
button { font: inherit; padding: 0.15rem 0.6rem; cursor: pointer; }
`;

const SCRIPT = `
'use strict';
(function () {
  var HISTORY = 60;
  var latency = new Map();
  var busy = false;
  function el(tag, text, cls) {
    var node = document.createElement(tag);
    if (text !== undefined && text !== null) node.textContent = String(text);
    if (cls) node.className = cls;
    return node;
  }
  function ago(ms) {
    var s = Math.max(0, Math.round(ms / 1000));
    if (s < 120) return s + 's';
    if (s < 7200) return Math.round(s / 60) + 'm';
    if (s < 172800) return Math.round(s / 3600) + 'h';
    return Math.round(s / 86400) + 'd';
  }
  function clock(ms) { return new Date(ms).toLocaleTimeString(); }
  function row(cells) {
    var tr = el('tr');
    cells.forEach(function (c) {
      var td = el('td');
      if (c instanceof Node) td.appendChild(c); else td.textContent = c === undefined ? '' : String(c);
      tr.appendChild(td);
    });
    return tr;
  }
  function fill(id, rows, empty) {
    var body = document.getElementById(id);
    body.replaceChildren();
    rows.forEach(function (r) { body.appendChild(r); });
    if (rows.length === 0) {
      var tr = row([empty]);
      tr.firstChild.colSpan = 9;
      tr.firstChild.className = 'mute';
      body.appendChild(tr);
    }
  }
  function spark(values) {
    var ns = 'http://www.w3.org/2000/svg';
    var w = 120, h = 20;
    var svg = document.createElementNS(ns, 'svg');
    svg.setAttribute('class', 'spark');
    svg.setAttribute('width', String(w));
    svg.setAttribute('height', String(h));
    svg.setAttribute('viewBox', '0 0 ' + w + ' ' + h);
    var max = Math.max.apply(null, values.concat([1]));
    var step = w / (HISTORY - 1);
    var points = values.map(function (v, i) {
      var x = (HISTORY - values.length + i) * step;
      var y = h - 1 - (v / max) * (h - 2);
      return x.toFixed(1) + ',' + y.toFixed(1);
    });
    var line = document.createElementNS(ns, 'polyline');
    line.setAttribute('points', points.join(' '));
    svg.appendChild(line);
    var title = document.createElementNS(ns, 'title');
    title.textContent = 'max ' + max.toFixed(1) + ' ms over the last ' + values.length;
    svg.appendChild(title);
    return svg;
  }
  function remember(service, check) {
    var key = JSON.stringify([service, check.name]);
    var h = latency.get(key);
    if (!h) { h = { at: 0, values: [] }; latency.set(key, h); }
    if (check.last && check.last.at !== h.at) {
      h.at = check.last.at;
      h.values.push(check.last.durationMs);
      if (h.values.length > HISTORY) h.values.shift();
    }
    return h.values;
  }
  function banner(text) { document.getElementById('banner').textContent = text; }
  async function post(name, action, reason) {
    for (;;) {
      var headers = { 'content-type': 'application/json' };
      var token = sessionStorage.getItem('anycast-guard-token');
      if (token) headers.authorization = 'Bearer ' + token;
      var res = await fetch('/v1/services/' + encodeURIComponent(name) + '/' + action, {
        method: 'POST', headers: headers,
        body: JSON.stringify(reason === undefined ? {} : { reason: reason }),
      });
      if (res.status === 401) {
        var given = window.prompt('A bearer token is needed to ' + action + ' over TCP (api.token_file). Token:');
        if (!given) { banner('not changed: no token given'); return; }
        sessionStorage.setItem('anycast-guard-token', given.trim());
        continue;
      }
      if (res.status === 403) {
        banner('read-only: configure token_file (api.token_file) to drain from here, or use the CLI on the unix socket');
        return;
      }
      if (!res.ok) {
        var detail = await res.json().catch(function () { return {}; });
        banner(action + ' ' + name + ' failed: ' + (detail.error || res.status));
        return;
      }
      banner('');
      return;
    }
  }
  async function act(name, action) {
    var reason;
    if (action === 'drain') {
      reason = window.prompt('Why drain ' + name + '?', 'drained from the dashboard');
      if (reason === null) return;
      if (reason.trim() === '') reason = 'drained from the dashboard';
    }
    try { await post(name, action, reason); } catch (e) { banner(action + ' failed: ' + e); }
    refresh();
  }
  function render(status, transitions) {
    var now = status.time;
    document.getElementById('node').textContent = status.node;
    var services = [], checks = [], prefixes = [];
    status.services.forEach(function (s) {
      var out = s.state === 'drained' || s.state === 'draining';
      var button = el('button', out ? 'undrain' : 'drain');
      button.dataset.service = s.name;
      button.dataset.action = out ? 'undrain' : 'drain';
      button.addEventListener('click', function () { act(s.name, button.dataset.action); });
      var reason = s.drained ? s.drained.reason : s.reason;
      // A graceful drain shows the time left before its withdrawal.
      var shown = s.drainingUntil ? s.state + ' (' + Math.max(0, Math.ceil((s.drainingUntil - now) / 1000)) + ' s left)' : s.state;
      // Guarded: kept announced though sick, so the fleet keeps its minimum; the count says how close.
      if (s.state === 'guarded' && s.guard) {
        shown = 'guarded (' + (s.guard.announcing === undefined ? 'no director answered'
          : s.guard.announcing + ' of ' + s.guard.total + ' announcing, min ' + s.guard.min) + ')';
      }
      var tr = row([s.name, el('span', shown, 'state ' + s.state), ago(now - s.since), reason, button]);
      tr.dataset.service = s.name;
      tr.children[1].dataset.field = 'state';
      services.push(tr);
      s.checks.forEach(function (c) {
        var values = remember(s.name, c);
        var last = c.last;
        checks.push(row([
          s.name, c.name, el('span', c.up ? 'up' : 'down', 'state ' + (c.up ? 'up' : 'down')),
          last ? (last.ok ? 'ok' : last.fault === 'daemon' ? 'daemon fault' : 'fail') + ': ' + last.reason +
            // An event ran it (held connection, process exit, file, unit change), not the interval.
            (last.trigger === 'watch' ? (last.failFast ? ' [event, fail fast]' : ' [event]') : '') : '—',
          last ? last.durationMs.toFixed(1) + ' ms' : '', spark(values),
          last ? ago(now - last.at) + ' ago' : '',
        ]));
      });
      s.prefixes.forEach(function (p) {
        // "yes" only means the daemon wants it out: say how many routers really have it.
        var announced = el('span', p.announced ? 'yes' : 'no', p.announced ? 'yes' : 'no');
        if (p.peers && p.announced) {
          announced = el('span', null, p.peers.sent > 0 ? 'yes' : 'no');
          announced.textContent = p.peers.sent > 0
            ? 'yes, to ' + p.peers.sent + ' of ' + p.peers.of + ' peers'
            : 'wanted, but no peer has it (0 of ' + p.peers.of + ')';
        }
        prefixes.push(row([
          s.name, p.vrf ? p.prefix + ' (vrf ' + p.vrf + ')' : p.prefix, p.announcer, announced,
        ]));
      });
    });
    fill('services', services, 'no services configured');
    fill('checks', checks, 'no checks');
    fill('prefixes', prefixes, 'no prefixes');
    function bfdText(b) {
      return b.state + (b.answering
        ? ', ' + b.txIntervalMs + '/' + b.rxIntervalMs + ' ms x ' + b.remoteMultiplier
        : ', router not answering')
        + (b.holdsBgpDown ? ', holding BGP down' : '')
        + ', ' + b.flaps + ' flaps' + (b.lastDiagnostic ? ', last: ' + b.lastDiagnostic : '');
    }
    fill('peers', status.peers.map(function (p) {
      var up = p.state === 'established';
      var error = !up && p.connectProblem ? p.connectProblem
        : p.lastErrorReceived ? 'received ' + p.lastErrorReceived.description + (p.lastErrorReceived.shutdownMessage ? ': ' + p.lastErrorReceived.shutdownMessage : '') + ', ' + ago(now - p.lastErrorReceived.at) + ' ago'
        : p.lastErrorSent ? 'sent ' + p.lastErrorSent.description + ', ' + ago(now - p.lastErrorSent.at) + ' ago'
        : '';
      return row([
        p.name, p.address + (p.port && p.port !== 179 ? ':' + p.port : ''), p.asn,
        el('span', p.state, 'state ' + p.state),
        (up ? 'up ' : 'for ') + ago(now - p.since) + ', since ' + utc(p.since), p.prefixesSent,
        p.bfd ? el('span', bfdText(p.bfd), 'state ' + (p.bfd.state === 'up' ? 'up' : 'down')) : '',
        p.lastDownReason || '', error,
      ]);
    }), 'no BGP peers');
    fill('announcers', (status.announcers || []).map(function (a) {
      var failing = a.state === 'failing' && a.lastError;
      return row([
        a.kind, el('span', a.state, 'state ' + (a.state === 'in-sync' ? 'up' : a.state === 'failing' ? 'down' : a.state)),
        a.applied + '/' + a.wanted, a.failures,
        failing ? a.lastError.message : '',
        failing && a.retryAt ? 'in ' + ago(Date.parse(a.retryAt) - now) : '',
      ]);
    }), 'no announcers');
    fill('transitions', transitions.slice().reverse().map(function (t) {
      return row([ago(now - t.at) + ' ago, ' + stamp(t.at), t.service, t.from + ' → ' + t.to, t.reason]);
    }), 'no transitions yet');
    fill('addresses', (status.addresses || []).map(function (a) {
      var bound = a.present === undefined ? 'unknown' : a.present ? 'bound' : 'not bound';
      return row([
        a.address, a.device || a.configuredDevice, a.services.join(', '),
        el('span', bound, a.present ? 'yes' : a.present === false && a.wanted ? 'no' : 'mute'),
        a.addedBy === 'anycast-guard' ? 'this daemon' : a.addedBy === 'other' ? 'someone else' : '',
        a.problem || '',
      ]);
    }), 'no addresses managed');
    var ads = status.directors;
    fill('directors', ads ? ads.directors.map(function (d) {
      return row([
        d.peer || d.url, d.url, el('span', d.healthy ? 'reachable' : 'failing', d.healthy ? 'yes' : 'no'),
        d.sent, d.lastSentAt ? ago(now - d.lastSentAt) + ' ago, ' + utc(d.lastSentAt) : 'never',
        d.failures + (d.lastError ? ': ' + d.lastError : ''), d.queued,
      ]);
    }) : [], ads ? 'no directors known' + (ads.discoveryError ? ': ' + ads.discoveryError : '') : 'no [directors] configured');
    document.getElementById('outside').textContent = ads && ads.outside
      ? 'From outside: ' + ads.outside.summary + (ads.outside.unreachableFrom.length ? ' (' + ads.outside.unreachableFrom.join(', ') + ')' : '')
      : '';
  }
  async function getJson(path) {
    var res = await fetch(path, { cache: 'no-store' });
    if (!res.ok) throw new Error(path + ': HTTP ' + res.status);
    return res.json();
  }
  // Since when the daemon has not answered: the data on the page is that old. It is
  // greyed out under a banner nobody can miss, so a dead daemon never looks healthy.
  var staleSince = null;
  function utc(ms) { return new Date(ms).toISOString().replace('T', ' ').replace(/\\.\\d+Z$/, ' UTC'); }
  function stamp(ms) { return utc(ms) + ' (' + clock(ms) + ' local)'; }
  function showStale(error) {
    if (staleSince === null) staleSince = Date.now();
    document.body.classList.add('stale');
    document.getElementById('stale').textContent =
      'Cannot reach the daemon since ' + stamp(staleSince) + ', ' + ago(Date.now() - staleSince) +
      ' ago: everything below is from before then and may be wrong (' + error.message + ')';
  }
  function showFresh() {
    staleSince = null;
    document.body.classList.remove('stale');
    document.getElementById('stale').textContent = '';
  }
  async function refresh() {
    if (busy) return;
    busy = true;
    try {
      var both = await Promise.all([getJson('/v1/status'), getJson('/v1/transitions')]);
      render(both[0], both[1].transitions);
      showFresh();
      document.getElementById('conn').textContent = 'updated ' + clock(Date.now());
    } catch (e) {
      showStale(e);
      document.getElementById('conn').textContent = 'cannot reach the daemon: ' + e.message;
    } finally {
      busy = false;
    }
  }
  refresh();
  setInterval(refresh, 1000);
})();
`;

const BODY = `
<header><h1>anycast-guard</h1><span>node <b id="node">…</b></span><span id="conn">loading…</span></header>
<div id="stale" role="alert"></div>
<div id="banner" role="status"></div>
<main>
<h2>Services</h2>
<table><thead><tr><th>Service</th><th>State</th><th>Since</th><th>Reason</th><th></th></tr></thead><tbody id="services"></tbody></table>
<h2>Checks</h2>
<table><thead><tr><th>Service</th><th>Check</th><th>State</th><th>Last result</th><th>Took</th><th>Latency (last 60)</th><th>At</th></tr></thead><tbody id="checks"></tbody></table>
<h2>Prefixes</h2>
<table><thead><tr><th>Service</th><th>Prefix</th><th>Announcer</th><th>Announced</th></tr></thead><tbody id="prefixes"></tbody></table>
<h2>Announcers</h2>
<table><thead><tr><th>Announcer</th><th>State</th><th>Routes (applied/wanted)</th><th>Failures</th><th>Last error</th><th>Retry</th></tr></thead><tbody id="announcers"></tbody></table>
<h2>BGP peers</h2>
<table><thead><tr><th>Peer</th><th>Address</th><th>AS</th><th>State</th><th>Uptime</th><th>Prefixes sent</th><th>BFD</th><th>Last down reason</th><th>Last error</th></tr></thead><tbody id="peers"></tbody></table>
<h2>Anycast addresses</h2>
<table><thead><tr><th>Address</th><th>Device</th><th>Services</th><th>On the device</th><th>Added by</th><th>Problem</th></tr></thead><tbody id="addresses"></tbody></table>
<h2>Directors</h2>
<table><thead><tr><th>Director</th><th>URL</th><th>State</th><th>Ads sent</th><th>Last ad</th><th>Failures</th><th>Queued</th></tr></thead><tbody id="directors"></tbody></table>
<p id="outside"></p>
<h2>Recent transitions</h2>
<table><thead><tr><th>Time</th><th>Service</th><th>Change</th><th>Reason</th></tr></thead><tbody id="transitions"></tbody></table>
</main>
`;

const sha256 = (text: string): string =>
  `'sha256-${createHash('sha256').update(text).digest('base64')}'`;

export const DASHBOARD_HTML = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>anycast-guard</title>
<style>${STYLE}</style>
</head>
<body>${BODY}<script>${SCRIPT}</script>
</body>
</html>
`;

/** Headers for the page: only its own inline script and style, requests only to this origin. */
export const DASHBOARD_HEADERS: Readonly<Record<string, string>> = {
  'content-security-policy': [
    "default-src 'none'",
    `script-src ${sha256(SCRIPT)}`,
    `style-src ${sha256(STYLE)}`,
    "connect-src 'self'",
    "base-uri 'none'",
    "form-action 'none'",
    "frame-ancestors 'none'",
  ].join('; '),
  'x-content-type-options': 'nosniff',
  'x-frame-options': 'DENY',
  'referrer-policy': 'no-referrer',
};
