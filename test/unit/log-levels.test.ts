import { describe, expect, it } from 'vitest';
import { isErrorLevel, levelRank, normaliseLevel } from '../../src/logs/levels.js';

describe('log levels', () => {
  it.each([
    ['ERROR', 'error'],
    ['Warning', 'warn'],
    ['EMERGENCY', 'fatal'],
    ['emerg', 'fatal'],
    ['CRITICAL', 'fatal'],
    ['SEVERE', 'error'],
    ['notice', 'info'],
    ['FINE', 'debug'],
    ['FINEST', 'trace'],
    ['VERBOSE', 'trace'],
    // One letter: glog, klog, logcat.
    ['E', 'error'],
    ['W', 'warn'],
    ['I', 'info'],
    ['D', 'debug'],
    ['V', 'trace'],
    ['F', 'fatal'],
    ['banana', 'other'],
  ])('%s is %s', (level, normalised) => {
    expect(normaliseLevel(level)).toBe(normalised);
  });

  it('orders them, other as info; error and fatal are errors', () => {
    expect(levelRank('trace')).toBeLessThan(levelRank('debug'));
    expect(levelRank('other')).toBe(levelRank('info'));
    expect(isErrorLevel(normaliseLevel('EMERGENCY'))).toBe(true);
    expect(isErrorLevel(normaliseLevel('W'))).toBe(false);
  });
});
