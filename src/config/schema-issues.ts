/**
 * Zod's issues as config problems: one per unknown key, each with the key it most likely
 * meant, found by walking the schema to the object the key is in.
 */
import { z } from 'zod';
import { didYouMean } from './did-you-mean.js';
import type { ConfigIssue } from './format-path.js';

/** The keys the schema allows at `path` (an object), or none when it is not an object. */
export function keysAt(schema: z.ZodType, path: readonly PropertyKey[]): string[] {
  let s: unknown = schema;
  let i = 0;
  for (;;) {
    if (s instanceof z.ZodDefault || s instanceof z.ZodPrefault || s instanceof z.ZodOptional) {
      s = s.unwrap();
    } else if (s instanceof z.ZodObject) {
      const shape = s.shape as Record<string, unknown>;
      if (i === path.length) return Object.keys(shape);
      const key = path[i++];
      s = typeof key === 'string' ? shape[key] : undefined;
    } else if (s instanceof z.ZodArray) {
      i++;
      s = s.element;
    } else if (s instanceof z.ZodRecord) {
      i++;
      s = s.valueType;
    } else {
      return [];
    }
  }
}

/** The issues of a failed parse against `schema`, unknown keys one by one. */
export function schemaIssues(schema: z.ZodType, error: z.ZodError): ConfigIssue[] {
  return error.issues.flatMap((issue): ConfigIssue[] => {
    if (issue.code !== 'unrecognized_keys') return [{ path: issue.path, message: issue.message }];
    const known = keysAt(schema, issue.path);
    return issue.keys.map((key) => ({
      path: issue.path,
      message: `Unrecognized key: "${key}"${didYouMean(key, known)}`,
    }));
  });
}
