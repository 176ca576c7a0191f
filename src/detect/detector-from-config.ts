import type { Detector } from '../../detectors/contract.js';
import { createEwmaDetector, defaultEwmaParams, type EwmaState } from '../../detectors/ewma.js';
import type { Config } from '../config/schema.js';

/** The configured detector; the same one for the live path and replay. */
export function detectorFromConfig(detect: Config['detect']): Detector<EwmaState> {
  return createEwmaDetector({
    ...defaultEwmaParams,
    alpha: detect.ewma.alpha,
    warmup: detect.ewma.warmup,
    zStart: detect.ewma.z_start,
    zScale: detect.ewma.z_scale,
  });
}

const factories: Record<string, (detect: Config['detect']) => Detector<unknown>> = {
  default: (d) => detectorFromConfig(d),
  ewma: (d) => detectorFromConfig(d),
};

export function detectorNames(): string[] {
  return Object.keys(factories).filter((n) => n !== 'default');
}

/** A detector by name (`default` = the configured default); throws naming the valid ones. */
export function detectorByName(name: string, detect: Config['detect']): Detector<unknown> {
  const make = factories[name];
  if (!make)
    throw new Error(
      `unknown detector "${name}": use default or one of ${detectorNames().join(', ')}`,
    );
  return make(detect);
}
