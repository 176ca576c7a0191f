/**
 * The plan of the NAB cross-validation and sensitivity runs (bench/nab-cv.ts), pure: the folds,
 * the parameter variants, the summaries.
 *
 * Folds: leave one NAB category out. The two artificial categories are one fold, because
 * artificialNoAnomaly has no windows and cannot be scored alone; so three folds over the
 * development subset.
 */
import { median as ssMedian } from 'simple-statistics';

export interface NabFold {
  readonly name: string;
  readonly categories: readonly string[];
}

export const NAB_FOLDS: readonly NabFold[] = [
  { name: 'artificial', categories: ['artificialNoAnomaly', 'artificialWithAnomaly'] },
  { name: 'realKnownCause', categories: ['realKnownCause'] },
  { name: 'realAWSCloudwatch', categories: ['realAWSCloudwatch'] },
];

/** The categories of every fold but `held`: what parameters and thresholds are chosen on. */
export function trainingCategories(folds: readonly NabFold[], held: NabFold): string[] {
  return folds.filter((f) => f !== held).flatMap((f) => f.categories);
}

/** One set of detector parameters to try: the defaults with at most one parameter moved. */
export interface Variant {
  /** `defaults`, or `<param> ×<factor>` (camelCase, as the detector spells it). */
  readonly label: string;
  readonly param?: string;
  readonly factor?: number;
  /** The value tried (after rounding, for integer parameters). */
  readonly value?: number;
  /** The parameters to merge over the detector's defaults. */
  readonly params: Readonly<Record<string, unknown>>;
}

export const SENSITIVITY_FACTORS = [0.8, 1.25] as const;

/**
 * The defaults, then every numeric parameter moved by each factor, one at a time. A parameter
 * at 0 (a switch that is off) has no neighbourhood to move in and is left out. A value the
 * detector refuses (`accepts` false) is rounded when the default is a whole number (an integer
 * parameter: a window, a count of samples), and left out where rounding brings it back to its
 * default; a variant the detector still refuses (out of range) is left out and named in
 * `refused`.
 */
export function sensitivityVariants(
  defaults: Readonly<Record<string, unknown>>,
  accepts: (params: Readonly<Record<string, unknown>>) => boolean,
  factors: readonly number[] = SENSITIVITY_FACTORS,
): { variants: Variant[]; refused: string[] } {
  const variants: Variant[] = [{ label: 'defaults', params: {} }];
  const refused: string[] = [];
  for (const [param, base] of Object.entries(defaults)) {
    if (typeof base !== 'number' || !Number.isFinite(base) || base === 0) continue;
    for (const factor of factors) {
      const label = `${param} ×${factor}`;
      let value: number = base * factor;
      if (!accepts({ [param]: value }) && Number.isInteger(base)) value = Math.round(value);
      if (value === base) continue;
      if (accepts({ [param]: value })) {
        variants.push({ label, param, factor, value, params: { [param]: value } });
      } else refused.push(label);
    }
  }
  return { variants, refused };
}

/** Whether a detector takes these parameters (merged over its defaults) without a RangeError. */
export function accepting(entry: {
  create(params: Readonly<Record<string, unknown>>): unknown;
}): (params: Readonly<Record<string, unknown>>) => boolean {
  return (params) => {
    try {
      entry.create(params);
      return true;
    } catch {
      return false;
    }
  };
}

/** The median (the mean of the middle two when even); NaN for an empty list. */
export function median(xs: readonly number[]): number {
  return xs.length === 0 ? Number.NaN : ssMedian(xs);
}

/** The variant with the best training score; a tie goes to the earlier one (defaults first). */
export function bestVariant<T>(scored: readonly { readonly item: T; readonly score: number }[]): T {
  let best = scored[0];
  if (best === undefined) throw new Error('bestVariant: nothing to choose from');
  for (const s of scored) if (s.score > best.score) best = s;
  return best.item;
}
