import { describe, expect, it } from 'vitest';
import { seriesLabel } from '../../src/detect/score-metrics.js';

describe('series label on /metrics', () => {
  it('keeps short keys as they are and cuts long ones to a bounded, still distinct label', () => {
    expect(seriesLabel('m{service="auth"}')).toBe('m{service="auth"}');
    const a = seriesLabel(`m{service="auth",x="${'a'.repeat(5000)}1"}`);
    const b = seriesLabel(`m{service="auth",x="${'a'.repeat(5000)}2"}`);
    expect(a.length).toBeLessThanOrEqual(200);
    expect(a).not.toBe(b);
  });
});
