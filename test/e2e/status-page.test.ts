/**
 * The status and incident pages in a real browser (Debian's Chromium, driven by
 * playwright-core), during the login outage played through a whole worker (ingest, detect,
 * logs, correlate): `/status` shows auth as outage and routing and storage as affected, with
 * the open incident's root cause and timeline; the incident page explains it with auth as root
 * cause, the timeline, charts and the remediation hook; the feedback button records a false
 * alarm and its suppression; no page breaks its own Content-Security-Policy; the status page
 * fits a phone. Screenshots go to test-results/ (and to docs/ with AIOPS_SCREENSHOTS_TO_DOCS=1,
 * which `npm run screenshots` sets).
 */
import { copyFileSync, mkdirSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser, Page } from 'playwright-core';
import { DEMO_SERVICES, demoStory } from '../../src/demo/demo-story.js';
import type { IncidentJson } from '../../src/queues/contract.js';
import type { RunningService } from '../../src/service/service.js';
import { launchChromium } from '../helpers/chromium.js';
import { deletePrefix, randomPrefix } from '../helpers/redis.js';
import { startTestService } from '../helpers/service.js';

const MIN = 60_000;
const TOKEN = 'status-page-admin-token-0123';
const prefix = randomPrefix();
const OUT = 'test-results';
let svc: RunningService | undefined;
let base: string;
let browser: Browser;
let closeBrowser: (() => Promise<void>) | undefined;
let incident: IncidentJson;

/** Polls `fn` every 250 ms until it gives a value. */
async function until<T>(
  what: string,
  fn: () => Promise<T | undefined>,
  timeoutMs: number,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await fn().catch(() => undefined);
    if (v !== undefined) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 250));
  }
}

async function post(records: readonly object[]): Promise<void> {
  for (let i = 0; i < records.length; i += 5000) {
    const body = records
      .slice(i, i + 5000)
      .map((r) => JSON.stringify(r))
      .join('\n');
    const res = await fetch(`${base}/api/v1/samples`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-ndjson' },
      body,
    });
    expect(res.status).toBe(202);
  }
}

function screenshot(page: Page, name: string): Promise<unknown> {
  mkdirSync(OUT, { recursive: true });
  return page.screenshot({ path: `${OUT}/${name}`, fullPage: true }).then(() => {
    if (process.env.AIOPS_SCREENSHOTS_TO_DOCS === '1')
      copyFileSync(`${OUT}/${name}`, `docs/${name}`);
  });
}

/** Console errors (a CSP violation is one) collected per page. */
function watchConsole(page: Page): string[] {
  const errors: string[] = [];
  page.on('console', (m) => {
    if (m.type() === 'error') errors.push(m.text());
  });
  page.on('pageerror', (e) => errors.push(e.message));
  return errors;
}

beforeAll(async () => {
  svc = await startTestService({
    services: DEMO_SERVICES,
    redis: { prefix },
    server: { admin_token: TOKEN, status_refresh_ms: 5000 },
    remediation: {
      hooks: [
        {
          name: 'rollback-auth',
          match: { root_cause: 'auth' },
          mode: 'suggest',
          action: { type: 'http', url: 'http://127.0.0.1:9/rollback' },
        },
      ],
    },
  });
  base = svc.url;
  const story = demoStory(Math.floor(Date.now() / MIN) * MIN);
  await post([...story.records, ...story.logs].sort((a, b) => a.ts - b.ts));
  incident = await until(
    'the auth incident',
    async () => {
      const res = await fetch(`${base}/api/v1/incidents?status=open`);
      const { incidents } = (await res.json()) as { incidents: IncidentJson[] };
      return incidents.find((i) => i.root_cause?.service === 'auth');
    },
    60_000,
  );
  // The other services join the incident as their anomalies arrive.
  await until(
    'routing and storage in the incident',
    async () => {
      const res = await fetch(`${base}/api/v1/incidents/${incident.id}`);
      const inc = (await res.json()) as IncidentJson;
      return inc.services.includes('routing') && inc.services.includes('storage') ? inc : undefined;
    },
    60_000,
  );
  ({ browser, close: closeBrowser } = await launchChromium());
}, 150_000);

afterAll(async () => {
  await closeBrowser?.();
  await svc?.close();
  await deletePrefix(prefix);
});

describe('status page in Chromium during the login outage', () => {
  it('shows auth as outage, routing and storage as affected, the incident with its timeline', async () => {
    const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
    const errors = watchConsole(page);
    await page.goto(`${base}/status`);
    const state = (s: string) => page.getAttribute(`[data-service="${s}"]`, 'data-state');
    expect(await state('auth')).toBe('outage');
    expect(await state('routing')).toBe('affected');
    expect(await state('storage')).toBe('affected');
    expect(await page.textContent('[data-service="auth"] .badge')).toBe('outage');
    const open = page.locator(`[data-incident="${incident.id}"]`);
    expect(await open.locator('.root-cause').textContent()).toBe('auth');
    const rows = await open.locator('table.timeline tbody tr td:nth-child(2)').allTextContents();
    expect(rows).toEqual(expect.arrayContaining(['auth', 'routing', 'storage']));
    expect(rows[0]).toBe('auth');
    // auth's sparkline: a drawn line with the expected band and the anomalous points.
    const spark = page.locator('[data-service="auth"] svg.chart');
    expect(await spark.locator('polyline.chart-line').count()).toBe(1);
    expect(await spark.locator('polygon.chart-band').count()).toBe(1);
    expect(await spark.locator('circle.chart-dot').count()).toBeGreaterThan(0);
    await screenshot(page, 'status-page.png');
    // The page refreshes itself (every 5 s here) and says so.
    await page.locator('#updated', { hasText: /^updated/ }).waitFor({ timeout: 15_000 });
    expect(await state('auth')).toBe('outage');
    expect(errors, errors.join('\n')).toEqual([]);
    await page.close();
  });

  it('renders a hostile service name and label value as text', async () => {
    const evil = `"><img src=x onerror=alert(1)></svg><script>alert(2)</script>`;
    const now = Date.now();
    await post(
      [0, 1, 2].map((i) => ({
        ts: now - (3 - i) * MIN,
        metric: 'queue_depth',
        labels: { service: evil, path: evil },
        value: 5 + i,
      })),
    );
    const page = await browser.newPage();
    const errors = watchConsole(page);
    await until(
      'the hostile service on the status page',
      async () => {
        await page.goto(`${base}/status`);
        return (await page.locator('.card .name', { hasText: 'onerror' }).count()) > 0
          ? true
          : undefined;
      },
      30_000,
    );
    expect(await page.locator('.card .name', { hasText: 'onerror' }).textContent()).toBe(evil);
    expect(await page.locator('img').count()).toBe(0);
    const scripts: (string | null)[] = [];
    for (const el of await page.locator('script').all()) scripts.push(await el.getAttribute('src'));
    expect(scripts).toEqual(['static/status.js']);
    // The label value, in the key series' name (its quotes escaped as the series key writes them).
    const key = await page.locator('.card', { hasText: 'onerror' }).locator('code').textContent();
    expect(key).toContain('queue_depth{');
    expect(key).toContain('<img src=x onerror=alert(1)></svg><script>alert(2)</script>');
    expect(errors, errors.join('\n')).toEqual([]);
    await page.close();
  });

  it('fits a phone: no sideways scrolling', async () => {
    const page = await browser.newPage({ viewport: { width: 390, height: 844 }, isMobile: true });
    await page.goto(`${base}/status`);
    const widths = await page.evaluate<number[]>(
      '[document.documentElement.scrollWidth, document.documentElement.clientWidth]',
    );
    expect(widths[0]).toBeLessThanOrEqual(widths[1] ?? 0);
    await page.close();
  });

  it('the incident page explains it: auth root cause, the timeline, charts, the hook', async () => {
    const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
    const errors = watchConsole(page);
    await page.goto(`${base}/status`);
    await page.click(`[data-incident="${incident.id}"] a`);
    await page.waitForURL(`**/incidents/${incident.id}`);
    expect(await page.textContent('#root-cause')).toBe('auth');
    const first = await page.locator('#explanation li').first().textContent();
    expect(first).toMatch(/^auth: .+ expected .+, from \d\d:\d\d, .*before routing/);
    const services = await page.locator('#timeline tbody tr td:nth-child(2)').allTextContents();
    expect(services).toEqual(expect.arrayContaining(['auth', 'routing', 'storage']));
    expect(
      await page.locator('#candidates tbody tr').first().locator('td').nth(1).textContent(),
    ).toBe('auth');
    expect(await page.locator('.charts figure polyline.chart-line').count()).toBeGreaterThan(0);
    expect(await page.locator('svg.path rect.root').count()).toBeGreaterThan(0);
    expect(await page.locator('#remediations').textContent()).toContain('rollback-auth');
    await screenshot(page, 'incident-page.png');
    expect(errors, errors.join('\n')).toEqual([]);
    await page.close();
  });

  it('the feedback button records a false alarm and suppresses its pattern', async () => {
    const page = await browser.newPage();
    await page.goto(`${base}/incidents/${incident.id}`);
    await page.check('input[name=verdict][value=false_positive]');
    await page.fill('textarea[name=note]', 'planned failover test');
    await page.check('input[name=suppress]');
    await page.fill('input[name=token]', TOKEN);
    await page.click('form#feedback button[type=submit]');
    await page.waitForSelector('#feedback-result.ok', { timeout: 10_000 });
    const res = await fetch(`${base}/api/v1/suppressions`);
    const { suppressions } = (await res.json()) as {
      suppressions: { service: string | null; pattern: string; incident: string | null }[];
    };
    expect(suppressions).toEqual([
      expect.objectContaining({
        service: 'auth',
        // The root cause's own series, as the form suggests it (the API's default).
        pattern: incident.timeline.find(
          (a) => a.service === 'auth' && a.signal === incident.root_cause?.signal,
        )?.series,
        incident: incident.id,
      }),
    ]);
    await page.waitForSelector('#feedback-given');
    expect(await page.textContent('#feedback-given')).toContain('planned failover test');
    await page.close();
  });
});
