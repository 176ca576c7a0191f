/**
 * The pages' stylesheet and scripts, served from `/static/` (the Content-Security-Policy allows
 * no inline style or script). No build step: plain CSS and plain browser JavaScript. The
 * scripts only improve: every page works and reads the same without them.
 */

export const STYLESHEET = `
:root { color-scheme: light dark; --bg: #fff; --fg: #1b1f24; --muted: #5b6570; --line: #d5dae0;
  --card: #f6f8fa; --outage: #c62828; --affected: #e46a00; --degraded: #b58900; --maintenance: #1e63c6;
  --learning: #6b7280; --ok: #1f883d; --band: rgba(31, 99, 198, .16); --series: #1e63c6; }
@media (prefers-color-scheme: dark) { :root { --bg: #0f1216; --fg: #e6e9ed; --muted: #9aa4ae;
  --line: #2a3139; --card: #161b22; --band: rgba(88, 166, 255, .2); --series: #58a6ff; } }
* { box-sizing: border-box; }
body { margin: 0; font: 15px/1.45 system-ui, -apple-system, "Segoe UI", sans-serif; background: var(--bg); color: var(--fg); }
header.top { display: flex; flex-wrap: wrap; gap: .5rem 1rem; align-items: baseline; padding: .8rem 1rem; border-bottom: 1px solid var(--line); }
header.top h1 { font-size: 1.2rem; margin: 0; }
header.top .meta { color: var(--muted); font-size: .85rem; }
main { padding: 1rem; max-width: 1200px; margin: 0 auto; }
h2 { font-size: 1.05rem; margin: 1.4rem 0 .6rem; }
a { color: var(--series); }
.summary { font-size: 1.05rem; margin: .2rem 0 1rem; }
.grid { display: grid; grid-template-columns: repeat(auto-fill, minmax(270px, 1fr)); gap: .7rem; }
.card { background: var(--card); border: 1px solid var(--line); border-left: 5px solid var(--state, var(--line)); border-radius: 6px; padding: .6rem .7rem; min-width: 0; }
.card h3 { margin: 0; font-size: 1rem; display: flex; justify-content: space-between; gap: .5rem; overflow-wrap: anywhere; }
.card .reason { color: var(--muted); font-size: .85rem; margin: .25rem 0; overflow-wrap: anywhere; }
.card code { overflow-wrap: anywhere; font-size: .78rem; }
.badge { display: inline-block; border-radius: 999px; padding: 0 .55rem; font-size: .78rem; font-weight: 600; color: #fff; background: var(--state, var(--learning)); white-space: nowrap; }
.s-outage { --state: var(--outage); } .s-affected { --state: var(--affected); } .s-degraded { --state: var(--degraded); }
.s-maintenance { --state: var(--maintenance); } .s-learning { --state: var(--learning); } .s-ok { --state: var(--ok); }
.s-open, .s-acknowledged { --state: var(--outage); } .s-resolved { --state: var(--ok); } .s-candidate { --state: var(--learning); }
.chart { display: block; width: 100%; height: auto; max-height: 80px; }
.chart-band { fill: var(--band); stroke: none; }
.chart-line { fill: none; stroke: var(--series); stroke-width: 1.4; }
.chart-dot { fill: var(--outage); }
.chart-marker { stroke: var(--outage); stroke-dasharray: 3 3; stroke-width: 1; }
.chart-empty { stroke: var(--line); stroke-dasharray: 4 4; }
.incident { background: var(--card); border: 1px solid var(--line); border-left: 5px solid var(--state); border-radius: 6px; padding: .7rem .8rem; margin-bottom: .7rem; }
.incident h3 { margin: 0 0 .3rem; font-size: 1rem; overflow-wrap: anywhere; }
table { border-collapse: collapse; width: 100%; font-size: .88rem; }
th, td { text-align: left; padding: .3rem .45rem; border-bottom: 1px solid var(--line); vertical-align: top; overflow-wrap: break-word; }
th { white-space: nowrap; }
th { color: var(--muted); font-weight: 600; }
.scroll { overflow-x: auto; }
.muted { color: var(--muted); }
code, pre { font: .85rem/1.4 ui-monospace, SFMono-Regular, Menlo, monospace; }
pre { background: var(--card); border: 1px solid var(--line); padding: .5rem; overflow-x: auto; white-space: pre-wrap; overflow-wrap: anywhere; }
ol.explain { padding-left: 1.2rem; } ol.explain li { margin: .2rem 0; }
ol.explain li:first-child { font-weight: 600; font-size: 1.05rem; }
.charts { display: grid; grid-template-columns: repeat(auto-fill, minmax(300px, 1fr)); gap: .7rem; }
.charts figure { margin: 0; background: var(--card); border: 1px solid var(--line); border-radius: 6px; padding: .5rem; }
.charts figcaption { font-size: .82rem; color: var(--muted); overflow-wrap: anywhere; }
.path { display: block; max-width: 100%; height: auto; }
.path rect { fill: var(--card); stroke: var(--line); } .path rect.root { stroke: var(--outage); stroke-width: 2; }
.path text { fill: var(--fg); font: 13px system-ui, sans-serif; } .path line { stroke: var(--muted); stroke-width: 1.4; }
.path polygon { fill: var(--muted); }
form.feedback { display: grid; gap: .5rem; max-width: 560px; }
form.feedback label { display: grid; gap: .2rem; font-size: .9rem; }
form.feedback input, form.feedback textarea, form.feedback select, form.feedback button { font: inherit; padding: .35rem .5rem; }
form.feedback .row { display: flex; flex-wrap: wrap; gap: .8rem; }
form.feedback input:not([type=radio]):not([type=checkbox]), form.feedback select, form.feedback textarea { width: 100%; box-sizing: border-box; } form.feedback .row > label { flex: 1 1 180px; }
form.feedback label.check { display: flex; gap: .4rem; align-items: center; }
.notice { padding: .5rem .7rem; border-radius: 6px; border: 1px solid var(--line); background: var(--card); }
.notice.error { border-color: var(--outage); } .notice.ok { border-color: var(--ok); }
@media (max-width: 560px) { main { padding: .6rem; } .grid { grid-template-columns: 1fr; } th, td { padding: .25rem .3rem; } }
`;

/**
 * The status page refreshes its main part every `data-refresh-s` seconds (the server renders
 * it; this only swaps it in), and says when it last did. Without JavaScript the page's
 * `<noscript>` refresh reloads it whole.
 */
export const STATUS_SCRIPT = `
(() => {
  const main = document.getElementById('status-main');
  const stamp = document.getElementById('updated');
  if (!main) return;
  const every = Math.max(5, Number(main.dataset.refreshS || 15)) * 1000;
  async function refresh() {
    try {
      const res = await fetch(location.pathname + '?part=main', { headers: { accept: 'text/html' }, cache: 'no-store' });
      if (res.ok) {
        const tpl = document.createElement('template');
        tpl.innerHTML = await res.text();
        main.replaceChildren(tpl.content);
        if (stamp) stamp.textContent = 'updated ' + new Date().toISOString().slice(11, 19) + ' UTC';
      } else if (stamp) stamp.textContent = 'update failed (' + res.status + '), retrying';
    } catch {
      if (stamp) stamp.textContent = 'worker unreachable, retrying';
    }
    setTimeout(refresh, every);
  }
  setTimeout(refresh, every);
})();
`;

/**
 * The incident page's feedback form: sends the verdict (and the suppression, when asked) to
 * `POST /api/v1/incidents/{id}/feedback` with the admin token as a bearer token, which a plain
 * form cannot carry. The token is kept in this tab's session storage only.
 */
export const INCIDENT_SCRIPT = `
(() => {
  const form = document.getElementById('feedback');
  if (!form) return;
  form.hidden = false;
  const out = document.getElementById('feedback-result');
  const token = form.querySelector('[name=token]');
  try { token.value = sessionStorage.getItem('aiops-admin-token') || ''; } catch {}
  const say = (text, ok) => { out.textContent = text; out.className = 'notice ' + (ok ? 'ok' : 'error'); out.hidden = false; };
  form.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    const f = new FormData(form);
    const body = { verdict: f.get('verdict'), note: String(f.get('note') || '') };
    const by = String(f.get('by') || '').trim();
    if (by) body.by = by;
    if (f.get('suppress') === 'on' && body.verdict === 'false_positive') {
      const expires = Number(f.get('expires_in_ms') || 0);
      const pattern = String(f.get('pattern') || '').trim();
      body.suppress = { service: String(f.get('service') || '').trim() || null };
      if (pattern) body.suppress.pattern = pattern;
      if (expires > 0) body.suppress.expires_in_ms = expires;
    }
    try { sessionStorage.setItem('aiops-admin-token', String(f.get('token') || '')); } catch {}
    try {
      const res = await fetch(form.dataset.action, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: 'Bearer ' + String(f.get('token') || '') },
        body: JSON.stringify(body),
      });
      const answer = await res.json().catch(() => ({}));
      if (res.ok) { say('Thank you: recorded as ' + body.verdict.replace('_', ' ') + (answer.suppression ? ', and the pattern is suppressed.' : '.'), true); setTimeout(() => location.reload(), 800); }
      else say((answer.code || res.status) + ': ' + (answer.message || 'refused'), false);
    } catch (err) { say('could not reach the worker: ' + err, false); }
  });
})();
`;
