/**
 * The detector registry: every detector by name, with its default parameters. The one
 * deliberate barrel of the project: the service and the CLI pick detectors by name from here.
 */
import { createBurnRateDetector, defaultBurnRateParams } from './burn-rate.js';
import type { Detector } from './contract.js';
import { createCusumDetector, defaultCusumParams } from './cusum.js';
import { createEnsembleDetector, defaultEnsembleParams } from './ensemble.js';
import { createEwmaDetector, defaultEwmaParams } from './ewma.js';
import { createHoltWintersDetector, defaultHoltWintersParams } from './holt-winters.js';
import { createRobustMedianDetector, defaultRobustMedianParams } from './robust-median.js';
import { createSeasonalDetector, defaultSeasonalParams } from './seasonal-profile.js';
import { createTrendForecastDetector, defaultTrendForecastParams } from './trend-forecast.js';

export type DetectorParams = Readonly<Record<string, unknown>>;

export interface DetectorEntry {
  /** Every parameter the detector takes, with its default (NaN: required). */
  readonly defaults: DetectorParams;
  /** Builds the detector from parameters merged over the defaults; throws RangeError on bad ones. */
  create(params: DetectorParams): Detector<unknown>;
}

function entry<P extends object, S>(defaults: P, create: (p: P) => Detector<S>): DetectorEntry {
  return {
    defaults: defaults as DetectorParams,
    create: (params) => {
      const merged = { ...defaults, ...params };
      const detector: Detector<unknown> = create(merged);
      return { ...detector, fingerprint: `${detector.name}:${JSON.stringify(merged)}` };
    },
  };
}

export const detectorRegistry: Readonly<Record<string, DetectorEntry>> = Object.freeze({
  ensemble: entry(defaultEnsembleParams, createEnsembleDetector),
  ewma: entry(defaultEwmaParams, createEwmaDetector),
  robust_median: entry(defaultRobustMedianParams, createRobustMedianDetector),
  seasonal: entry(defaultSeasonalParams, createSeasonalDetector),
  holt_winters: entry(defaultHoltWintersParams, createHoltWintersDetector),
  cusum: entry(defaultCusumParams, createCusumDetector),
  trend_forecast: entry(
    { ...defaultTrendForecastParams, threshold: Number.NaN },
    createTrendForecastDetector,
  ),
  burn_rate: entry(defaultBurnRateParams, createBurnRateDetector),
});

/** The detector `default` names. */
export const DEFAULT_DETECTOR = 'ensemble';
