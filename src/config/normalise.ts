/**
 * Slips the config takes without complaint but not in silence: each is fixed before the
 * schema sees it and leaves a note (`check-config` prints them, `start` logs them). Today one:
 * an Alertmanager URL with the API path on it.
 */
import { alertmanagerBaseUrl, alertmanagerUrlNote } from './alertmanager-url.js';
import type { ConfigIssue } from './format-path.js';

const isMap = (v: unknown): v is Record<string, unknown> =>
  v !== null && typeof v === 'object' && !Array.isArray(v);

/** `tree` with the slips fixed (copied where one is), and a note for each. */
export function normalised(tree: unknown, notes: ConfigIssue[]): unknown {
  if (!isMap(tree) || !isMap(tree.notify) || !Array.isArray(tree.notify.alertmanagers)) {
    return tree;
  }
  const alertmanagers = tree.notify.alertmanagers.map((url: unknown, i) => {
    if (typeof url !== 'string') return url;
    const note = alertmanagerUrlNote(url);
    if (note === undefined) return url;
    notes.push({ path: ['notify', 'alertmanagers', i], message: note });
    return alertmanagerBaseUrl(url);
  });
  return { ...tree, notify: { ...tree.notify, alertmanagers } };
}
