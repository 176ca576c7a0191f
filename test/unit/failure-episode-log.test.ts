import { afterEach, describe, expect, it, vi } from 'vitest';
import { FailureEpisodeLog } from '../../src/redis/failure-episode-log.js';
import { logLines } from '../helpers/log-lines.js';

function capture() {
  const { log, lines } = logLines();
  const episode = new FailureEpisodeLog(
    log,
    {
      started: 'started',
      repeated: (n) => `repeated ${n}`,
      ended: (n) => `ended ${n}`,
    },
    { intervalMs: 1000 },
  );
  return { lines, episode };
}

afterEach(() => {
  vi.useRealTimers();
});

describe('FailureEpisodeLog', () => {
  it('logs the first failure, one summary per interval with the count, and the end once', async () => {
    vi.useFakeTimers();
    const { lines, episode } = capture();
    for (let i = 0; i < 500; i++) episode.failed(new Error('down'));
    await vi.advanceTimersByTimeAsync(1000);
    for (let i = 0; i < 200; i++) episode.failed(new Error('down'));
    await vi.advanceTimersByTimeAsync(1000);
    // An interval without failures adds no line.
    await vi.advanceTimersByTimeAsync(3000);
    episode.succeeded();
    episode.succeeded();
    expect(lines.map((l) => [l.level, l.msg])).toEqual([
      [40, 'started'],
      [40, 'repeated 499'],
      [40, 'repeated 200'],
      [30, 'ended 700'],
    ]);
    expect(lines[3]?.failures).toBe(700);
    // The next failure opens a new episode.
    episode.failed(new Error('down again'));
    expect(lines.at(-1)?.msg).toBe('started');
    episode.stop();
  });
});
