/** `services`: the services and their dependency graph, and the graph's own checks. */
import { z } from 'zod';
import { serviceName } from './schema-common.js';

const service = z.strictObject({
  depends_on: z
    .array(z.string())
    .default([])
    .describe('Services this one calls: when they fail, this one shows symptoms.'),
  description: z.string().optional().describe('Free text shown in incidents.'),
  key_signal: z
    .string()
    .min(1)
    .optional()
    .describe(
      'The signal (metric name; `*` matches any run of characters) whose sparkline the status page shows while none of its signals is anomalous. Unset: an error signal, else the first by name.',
    ),
});

export const servicesSchema = z
  .record(serviceName, service.default({ depends_on: [] }))
  .default({})
  .describe(
    'The services and their dependency graph, by name. The only key without a default that matters: a file holding only `services:` is a complete configuration.',
  );

export interface GraphIssue {
  readonly path: (string | number)[];
  readonly message: string;
}

/** Dependency-graph problems: references to unknown services and self-dependencies. */
export function graphIssues(services: z.output<typeof servicesSchema>): GraphIssue[] {
  const issues: GraphIssue[] = [];
  for (const [name, svc] of Object.entries(services)) {
    svc.depends_on.forEach((dep, i) => {
      const path = ['services', name, 'depends_on', i];
      if (dep === name) issues.push({ path, message: `service "${name}" cannot depend on itself` });
      else if (!Object.hasOwn(services, dep))
        issues.push({ path, message: `unknown service "${dep}"` });
    });
  }
  return issues;
}
