/**
 * An Alertmanager is configured by its base URL (`http://am-0:9093`); the worker adds the API
 * path itself. A URL copied with the path already on it (`.../api/v2/alerts`, as curl examples
 * show it) is taken as its base, with a note, rather than posted to
 * `/api/v2/alerts/api/v2/alerts` at the first incident.
 */
import { redactUrlText } from './redact-url.js';

/** `/api/v2/alerts`, `/api/v2`, `/api/v1/alerts` and trailing slashes, at the end of the path. */
const API_PATH = /\/api\/v[12](?:\/alerts)?\/*$/;

/** The base URL of an Alertmanager given with or without its API path. */
export function alertmanagerBaseUrl(url: string): string {
  return url.replace(API_PATH, '').replace(/\/+$/, '');
}

/** The note for a URL that had to be cut to its base, or undefined when it was one already. */
export function alertmanagerUrlNote(url: string): string | undefined {
  const base = alertmanagerBaseUrl(url);
  if (base === url.replace(/\/+$/, '')) return undefined;
  return `"${redactUrlText(url)}" ends in the API path; using "${redactUrlText(base)}" (give the base URL: the worker adds /api/v2/alerts itself)`;
}
