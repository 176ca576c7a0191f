/**
 * Where a person reads an incident: its page, `<notify.external_url>/incidents/<id>` (the
 * explanation, charts, timeline and feedback). Alerts' `generatorURL` and every receiver's
 * message link here; the JSON is one click away on the page (and at `/api/v1/incidents/<id>`).
 */
export function incidentLink(externalUrl: string, id: string): string {
  return `${externalUrl.replace(/\/+$/, '')}/incidents/${encodeURIComponent(id)}`;
}
