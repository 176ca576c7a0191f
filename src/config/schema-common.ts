/** Field types several config sections share. */
import { z } from 'zod';

/** A service's name as the `services` map, labels and incidents spell it. */
export const serviceName = z
  .string()
  .regex(/^[a-zA-Z0-9][a-zA-Z0-9_.:-]{0,127}$/, 'service names are 1-128 of [a-zA-Z0-9_.:-]');

/** A duration in milliseconds (every duration key ends in `_ms`). */
export const durationMs = z.number().int().min(0);

/** A list whose items' `name`s must differ (they key schedules and watermarks). */
export function uniqueNames(
  items: readonly { readonly name: string }[],
  ctx: z.RefinementCtx,
): void {
  const seen = new Set<string>();
  items.forEach((item, i) => {
    if (seen.has(item.name)) {
      ctx.addIssue({ code: 'custom', path: [i, 'name'], message: `duplicate name "${item.name}"` });
    }
    seen.add(item.name);
  });
}
