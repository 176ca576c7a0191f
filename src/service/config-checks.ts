/**
 * The config checks that need the stages' own knowledge: detector names and parameters (the
 * registry builds each detector), maintenance windows (cron and time zone). They live here,
 * where the stages are composed, so src/config/ imports no stage. Pass `configIssues` wherever
 * a config is loaded for real use: `loadConfig(file, env, configIssues)`,
 * `parseConfig(raw, { check: configIssues })`.
 */
import type { ConfigCheck } from '../config/load.js';
import type { ConfigIssue } from '../config/format-path.js';
import { detectorChoice } from '../detect/detector-choice.js';
import { checkWindow } from '../maintenance/maintenance.js';

export const configIssues: ConfigCheck = (config) => {
  const issues: ConfigIssue[] = [];
  if (config.detect) issues.push(...detectorChoice(config.detect).issues);
  config.maintenance?.forEach((w, i) => {
    const problem = checkWindow(w);
    if (problem) issues.push({ path: ['maintenance', i, problem.field], message: problem.message });
  });
  return issues;
};
