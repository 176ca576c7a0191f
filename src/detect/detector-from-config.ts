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
