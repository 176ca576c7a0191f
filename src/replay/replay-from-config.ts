/** Replay's options as the config describes them: the live path's detectors, scoring, correlator and limits. */
import type { Config } from '../config/schema.js';
import { correlatorFromConfig } from '../correlate/from-config.js';
import { signalPatternsOf } from '../correlate/signal-kind.js';
import { maintenanceCheck } from '../maintenance/maintenance.js';
import { detectorChoiceOrThrow } from '../detect/detector-choice.js';
import { scoringFromConfig } from '../detect/scoring-options.js';
import { limitsFromConfig } from '../ingest/records.js';
import type { ReplayOptions } from './replay.js';
import { logSettingsFromConfig } from '../logs/log-settings.js';

export function replaySettingsFromConfig(
  config: Config,
): Pick<ReplayOptions, 'detectorOf' | 'scoring' | 'correlatorFor' | 'limits' | 'logs' | 'hooks'> {
  const inMaintenance = maintenanceCheck(config.maintenance);
  return {
    hooks: {
      settings: config.remediation,
      patterns: signalPatternsOf(config.correlate.signals),
      inMaintenance: (service, ts) => inMaintenance?.(service, ts) ?? false,
    },
    detectorOf: detectorChoiceOrThrow(config.detect).forSeries,
    scoring: scoringFromConfig(config),
    correlatorFor: (discovered) => correlatorFromConfig(config, discovered),
    limits: limitsFromConfig(config.ingest),
    logs: logSettingsFromConfig(config),
  };
}
