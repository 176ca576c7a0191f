/**
 * What the NAB benches share: finding a NAB tree, scoring every CSV of it with one detector
 * (the `score` CLI's code) into a results tree, and running the independent scorer
 * (../shared/tools/nab-score.mjs) on such a tree.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Detector } from '../detectors/contract.js';
import { scoreCsv } from '../src/cli/score-csv.js';

/** The independent scorer beside the project (../shared/tools), wherever the bench runs from. */
export const DEFAULT_SCORER = fileURLToPath(
  new URL('../../shared/tools/nab-score.mjs', import.meta.url),
);

/** The three NAB profiles the scorer reports. */
export const NAB_PROFILES = ['standard', 'reward_low_FP_rate', 'reward_low_FN_rate'] as const;
export type NabProfile = (typeof NAB_PROFILES)[number];

export interface NabTree {
  /** `data/<category>/*.csv` (or the tree itself when it has no `data/`). */
  readonly dataDir: string;
  /** `labels/combined_windows.json`. */
  readonly labels: string;
}

/** The NAB tree at `dir`, or undefined when `dir` does not hold one. */
export function nabTree(dir: string | undefined): NabTree | undefined {
  if (dir === undefined) return undefined;
  const root = resolve(dir);
  const dataDir = existsSync(join(root, 'data')) ? join(root, 'data') : root;
  const labels = join(root, 'labels', 'combined_windows.json');
  return existsSync(dataDir) && existsSync(labels) ? { dataDir, labels } : undefined;
}

export function csvFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
    e.isDirectory()
      ? csvFiles(join(dir, e.name))
      : e.name.endsWith('.csv')
        ? [join(dir, e.name)]
        : [],
  );
}

/**
 * Scores every CSV of the tree with a fresh detector from `detectorFor` (one per file, as a
 * series starts afresh) into `out`, mirroring the tree. Returns the rows scored.
 */
export async function scoreCorpus(
  tree: NabTree,
  detectorFor: () => Detector<unknown>,
  out: string,
  progress?: (done: number, of: number) => void,
): Promise<number> {
  const files = csvFiles(tree.dataDir);
  let rows = 0;
  for (const [i, file] of files.entries()) {
    const target = join(out, relative(tree.dataDir, file));
    mkdirSync(dirname(target), { recursive: true });
    const chunks: string[] = [];
    rows += (await scoreCsv(file, detectorFor(), (c) => chunks.push(c))).rows;
    writeFileSync(target, chunks.join(''));
    progress?.(i + 1, files.length);
  }
  return rows;
}

export interface ScorerRun {
  readonly scorer: string;
  readonly tree: NabTree;
  readonly results: string;
  /** Categories to score (all when absent). */
  readonly only?: readonly string[];
  /** A fixed threshold for every profile (the scorer optimises when absent). */
  readonly threshold?: number;
  /** Fixed thresholds from an earlier run's JSON (a file path). */
  readonly thresholdsFrom?: string;
}

export interface ProfileResult {
  readonly threshold: number;
  readonly normalized: number;
  readonly windows: number;
  readonly windowsDetected: number;
  readonly fpRows: number;
}

export interface ScorerResult {
  readonly files: number;
  readonly windows: number;
  readonly profiles: Readonly<Record<NabProfile, ProfileResult>>;
  /** The scorer's JSON as printed, for `--thresholds-from`. */
  readonly json: string;
}

function scorerArgs(run: ScorerRun): string[] {
  const args = [
    run.scorer,
    '--data',
    run.tree.dataDir,
    '--labels',
    run.tree.labels,
    '--results',
    run.results,
  ];
  if (run.only) args.push('--only', run.only.join(','));
  if (run.threshold !== undefined) args.push('--threshold', String(run.threshold));
  if (run.thresholdsFrom !== undefined) args.push('--thresholds-from', run.thresholdsFrom);
  return args;
}

/** The scorer's tables, as it prints them. */
export function scoreTables(run: ScorerRun): string {
  return execFileSync(process.execPath, scorerArgs(run), { encoding: 'utf8' });
}

/** The scorer's figures for all three profiles. */
export function scoreJson(run: ScorerRun): ScorerResult {
  const json = execFileSync(process.execPath, [...scorerArgs(run), '--profile', 'all', '--json'], {
    encoding: 'utf8',
  });
  const parsed = JSON.parse(json) as Omit<ScorerResult, 'json'>;
  return { files: parsed.files, windows: parsed.windows, profiles: parsed.profiles, json };
}
