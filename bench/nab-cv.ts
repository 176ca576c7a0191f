/**
 * NAB judged as an outsider would: cross-validation (`--cv`) and parameter sensitivity
 * (`--sensitivity`) over the development subset, for one detector (the default ensemble unless
 * `--detector` names another).
 *
 * Candidates are the detector's defaults and every numeric parameter ×0.8 and ×1.25, one at a
 * time (nab-cv-plan.ts). Each candidate scores the whole corpus once; the independent scorer
 * then reads the results per fold.
 *
 * `--cv`: leave one category out (three folds: artificial, realKnownCause, realAWSCloudwatch).
 * For each fold, the candidate with the best standard score on the other two folds is chosen,
 * with the scorer's thresholds optimised on those two; the held-out fold is scored with that
 * candidate at those thresholds. Printed beside it, two references: the defaults with thresholds
 * chosen on the other two folds, and the defaults at the default alert threshold (what a
 * deployment gets, with no threshold chosen on any data). Each: every fold, the mean, the worst.
 *
 * `--sensitivity`: every candidate scored in-sample (thresholds optimised on the whole corpus),
 * against the defaults; the median and the worst of the moved parameters.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { mean } from 'simple-statistics';
import { join } from 'node:path';
import type { Detector } from '../detectors/contract.js';
import { DEFAULT_DETECTOR, detectorRegistry } from '../detectors/registry.js';
import {
  NAB_PROFILES,
  scoreCorpus,
  type NabProfile,
  scoreJson,
  type NabTree,
  type ScorerResult,
} from './nab-corpus.js';
import {
  NAB_FOLDS,
  accepting,
  bestVariant,
  median,
  sensitivityVariants,
  trainingCategories,
  type Variant,
} from './nab-cv-plan.js';
import { progress, progressDone } from './progress.js';

export interface CvOptions {
  readonly tree: NabTree;
  readonly scorer: string;
  readonly out: string;
  /** `default` or a detector of the registry. */
  readonly detector: string;
  /** The default alert threshold (`detect.anomaly_threshold`). */
  readonly threshold: number;
  readonly cv: boolean;
  readonly sensitivity: boolean;
}

const PROFILE_HEAD = 'standard  low_FP  low_FN';
const pct = (x: number): string => x.toFixed(2).padStart(6);
const cells = (value: (p: NabProfile) => number): string =>
  NAB_PROFILES.map((p, i) => pct(value(p)).padStart(i === 0 ? 8 : 7)).join(' ');
const profileCells = (r: ScorerResult): string => cells((p) => r.profiles[p].normalized);

/** One row: `label`, then `f` of the results' scores, per profile. */
function aggregateRow(
  label: string,
  width: number,
  results: readonly ScorerResult[],
  f: (xs: number[]) => number,
): string {
  return `${label.padEnd(width)}${cells((p) => f(results.map((r) => r.profiles[p].normalized)))}`;
}

/** Mean and worst, per profile, of the held-out folds' figures. */
function summaryRows(results: readonly ScorerResult[], width: number): string {
  return [
    aggregateRow('mean', width, results, mean),
    aggregateRow('worst', width, results, (xs) => Math.min(...xs)),
  ].join('\n');
}

export async function runCv(opts: CvOptions): Promise<void> {
  const name = opts.detector === 'default' ? DEFAULT_DETECTOR : opts.detector;
  const entry = detectorRegistry[name];
  if (!entry) throw new Error(`bench nab: unknown detector "${opts.detector}"`);
  const { variants, refused } = sensitivityVariants(entry.defaults, accepting(entry));
  process.stdout.write(
    `detector ${name}: ${variants.length - 1} variants of its ${Object.keys(entry.defaults).length} parameters (each numeric one ×0.8 and ×1.25)${refused.length > 0 ? `; refused by the detector: ${refused.join(', ')}` : ''}\n`,
  );

  // Each candidate scores the corpus once.
  const dirs = new Map<Variant, string>();
  const started = performance.now();
  for (const [i, v] of variants.entries()) {
    const dir = join(opts.out, `variant-${i}`);
    const detectorFor = (): Detector<unknown> => entry.create(v.params);
    await scoreCorpus(opts.tree, detectorFor, dir, (done, of) => {
      progress(
        `bench nab: scoring ${variants.length} candidates`,
        `${i + 1} (${v.label}), file ${done}/${of}`,
      );
    });
    dirs.set(v, dir);
  }
  progressDone();
  const defaults = variants[0] as Variant;
  const dirOf = (v: Variant): string => dirs.get(v) as string;
  const inSample = scoreJson({ scorer: opts.scorer, tree: opts.tree, results: dirOf(defaults) });
  process.stdout.write(
    `scored ${variants.length} candidates in ${((performance.now() - started) / 1000).toFixed(0)} s; results under ${opts.out}\n\n`,
  );
  process.stdout.write(
    `in-sample (defaults, thresholds optimised on all ${inSample.windows} windows):   ${PROFILE_HEAD}\n${' '.repeat(67)}${profileCells(inSample)}\n\n`,
  );

  if (opts.sensitivity) sensitivity(opts, variants, dirOf, inSample);
  if (opts.cv) crossValidation(opts, variants, dirOf);
}

function sensitivity(
  opts: CvOptions,
  variants: readonly Variant[],
  dirOf: (v: Variant) => string,
  inSample: ScorerResult,
): void {
  process.stdout.write(`== sensitivity: one parameter moved, in-sample ==\n`);
  process.stdout.write(`${'variant'.padEnd(34)}${'value'.padStart(10)}  ${PROFILE_HEAD}\n`);
  const moved: ScorerResult[] = [];
  for (const [i, v] of variants.entries()) {
    if (i === 0) continue;
    progress('bench nab: sensitivity', `${i}/${variants.length - 1}`);
    const r = scoreJson({ scorer: opts.scorer, tree: opts.tree, results: dirOf(v) });
    moved.push(r);
    process.stdout.write(
      `${v.label.padEnd(34)}${String(Number((v.value ?? 0).toPrecision(6))).padStart(10)}  ${profileCells(r)}\n`,
    );
  }
  progressDone();
  process.stdout.write(`${'defaults (in-sample)'.padEnd(46)}${profileCells(inSample)}\n`);
  process.stdout.write(
    `${aggregateRow(`median of the ${moved.length} moved`, 46, moved, median)}\n`,
  );
  process.stdout.write(
    `${aggregateRow(`worst of the ${moved.length} moved`, 46, moved, (xs) => Math.min(...xs))}\n`,
  );
  const below = moved.filter(
    (r) => r.profiles.standard.normalized < inSample.profiles.standard.normalized,
  ).length;
  process.stdout.write(
    `${below} of ${moved.length} moved variants score below the defaults (standard)\n\n`,
  );
}

function crossValidation(
  opts: CvOptions,
  variants: readonly Variant[],
  dirOf: (v: Variant) => string,
): void {
  const defaults = variants[0] as Variant;
  const chosen: { fold: string; variant: Variant; train: number; held: ScorerResult }[] = [];
  const defaultsCv: ScorerResult[] = [];
  const deployed: ScorerResult[] = [];
  const thresholdsDir = join(opts.out, 'thresholds');
  mkdirSync(thresholdsDir, { recursive: true });
  for (const fold of NAB_FOLDS) {
    const train = trainingCategories(NAB_FOLDS, fold);
    const trained = variants.map((v, i) => {
      progress(`bench nab: fold ${fold.name}`, `training candidate ${i + 1}/${variants.length}`);
      const r = scoreJson({ scorer: opts.scorer, tree: opts.tree, results: dirOf(v), only: train });
      return { item: { v, r }, score: r.profiles.standard.normalized };
    });
    const best = bestVariant(trained);
    const heldOut = (v: Variant, r: ScorerResult): ScorerResult => {
      const file = join(thresholdsDir, `${fold.name}-${variants.indexOf(v)}.json`);
      writeFileSync(file, r.json);
      return scoreJson({
        scorer: opts.scorer,
        tree: opts.tree,
        results: dirOf(v),
        only: fold.categories,
        thresholdsFrom: file,
      });
    };
    chosen.push({
      fold: fold.name,
      variant: best.v,
      train: best.r.profiles.standard.normalized,
      held: heldOut(best.v, best.r),
    });
    const trainedDefaults = (trained[0] as { item: { r: ScorerResult } }).item.r;
    defaultsCv.push(heldOut(defaults, trainedDefaults));
    deployed.push(
      scoreJson({
        scorer: opts.scorer,
        tree: opts.tree,
        results: dirOf(defaults),
        only: fold.categories,
        threshold: opts.threshold,
      }),
    );
  }
  progressDone();
  const w = 20;
  const foldHead = 'held-out fold'.padEnd(w);
  process.stdout.write(
    `== cross-validation: leave one category out (${NAB_FOLDS.length} folds), held-out scores ==\n\n`,
  );
  process.stdout.write(`parameters and thresholds chosen on the other two folds:\n`);
  process.stdout.write(
    `${foldHead}${PROFILE_HEAD}   windows  chosen (its standard score on the two)\n`,
  );
  for (const c of chosen) {
    process.stdout.write(
      `${c.fold.padEnd(w)}${profileCells(c.held)}  ${String(c.held.windows).padStart(8)}  ${c.variant.label} (${c.train.toFixed(2)})\n`,
    );
  }
  process.stdout.write(
    `${summaryRows(
      chosen.map((c) => c.held),
      w,
    )}\n\n`,
  );
  process.stdout.write(`default parameters, thresholds chosen on the other two folds:\n`);
  process.stdout.write(`${foldHead}${PROFILE_HEAD}   threshold (standard)\n`);
  NAB_FOLDS.forEach((f, i) => {
    const r = defaultsCv[i] as ScorerResult;
    process.stdout.write(
      `${f.name.padEnd(w)}${profileCells(r)}   ${r.profiles.standard.threshold.toFixed(4)}\n`,
    );
  });
  process.stdout.write(`${summaryRows(defaultsCv, w)}\n`);
  process.stdout.write(
    `(the defaults themselves were chosen on all three folds: held out here is the threshold, not the parameters;\n the table above, with the parameters chosen on two folds, is the one to compare with unseen data)\n\n`,
  );
  process.stdout.write(
    `default parameters at the default alert threshold ${opts.threshold} (what a deployment gets):\n`,
  );
  process.stdout.write(`${foldHead}${PROFILE_HEAD}   windows detected, false-positive rows\n`);
  NAB_FOLDS.forEach((f, i) => {
    const r = deployed[i] as ScorerResult;
    const s = r.profiles.standard;
    process.stdout.write(
      `${f.name.padEnd(w)}${profileCells(r)}   ${s.windowsDetected}/${s.windows}, ${s.fpRows}\n`,
    );
  });
  process.stdout.write(`${summaryRows(deployed, w)}\n`);
}
