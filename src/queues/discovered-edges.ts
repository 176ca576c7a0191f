/**
 * Dependency edges discovered from OpenTelemetry service-graph metrics, as the OTel Collector's
 * servicegraph connector and Tempo's metrics generator write them:
 * `traces_service_graph_request_total{client="routing",server="auth"}` and its `_failed_total`,
 * `_server_seconds*` and `_client_seconds*` variants. Each says the client calls the server: the
 * client depends on the server. Configured edges win (graph.ts).
 */
export interface Edge {
  /** The caller (it depends on `to`). */
  readonly from: string;
  readonly to: string;
}

const SERVICE_GRAPH =
  /^traces_service_graph_request(_failed)?(_total|_(server|client)_seconds(_bucket|_sum|_count)?)$/;

export function edgeFromSeries(meta: {
  readonly metric: string;
  readonly labels: Readonly<Record<string, string>>;
}): Edge | undefined {
  if (!SERVICE_GRAPH.test(meta.metric)) return undefined;
  const from = meta.labels.client;
  const to = meta.labels.server;
  if (!from || !to || from === to) return undefined;
  return { from, to };
}

export const edgeKey = (e: Edge): string => `${e.from}>${e.to}`;

export function parseEdgeKey(key: string): Edge | undefined {
  const i = key.indexOf('>');
  return i <= 0 || i === key.length - 1
    ? undefined
    : { from: key.slice(0, i), to: key.slice(i + 1) };
}
