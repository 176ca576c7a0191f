/** The scoring options the config describes (live path and replay alike). */
import type { Config } from '../config/schema.js';
import { maintenanceCheck } from '../maintenance/maintenance.js';
import type { ScoringOptions } from './score-batch.js';

export function scoringFromConfig(config: Pick<Config, 'detect' | 'maintenance'>): ScoringOptions {
  return {
    threshold: config.detect.anomaly_threshold,
    holdMs: config.detect.hold_ms,
    paused: maintenanceCheck(config.maintenance),
    // An anomaly that persists to its series' next sample says so with a second event.
    confirm: true,
  };
}
