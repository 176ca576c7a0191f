/**
 * `--detector NAME --params JSON` of the detector benches: the parameters are snake_case as in
 * the YAML file and go through the same config checks, so a bench run means what the same
 * `detect.detectors.params` would mean in a deployment. Throws an Error whose message is the
 * usage error to print.
 */
import type { Detector } from '../detectors/contract.js';
import type { Config } from '../src/config/schema.js';
import { parseConfig } from '../src/config/load.js';
import { detectorByName } from '../src/detect/detector-choice.js';
import { configIssues } from '../src/service/config-checks.js';

export interface BenchDetector {
  /** The detect section the parameters give (its anomaly_threshold is the default's). */
  readonly detect: Config['detect'];
  /** A fresh detector of that name and those parameters. */
  create(): Detector<unknown>;
}

export function benchDetector(detector: string, paramsJson: string | undefined): BenchDetector {
  let params: Record<string, unknown> = {};
  if (paramsJson !== undefined) {
    try {
      params = JSON.parse(paramsJson) as Record<string, unknown>;
    } catch (err) {
      throw new Error(`--params is not JSON: ${err instanceof Error ? err.message : String(err)}`);
    }
  }
  const name = detector === 'default' ? 'ensemble' : detector;
  const config = parseConfig(
    { detect: { detectors: { params: { [name]: params } } } },
    { source: '(--params)', check: configIssues },
  );
  // An unknown detector is named here, before any work.
  detectorByName(detector, config.detect);
  return { detect: config.detect, create: () => detectorByName(detector, config.detect) };
}
