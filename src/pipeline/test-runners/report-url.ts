// `tests.reportUrl` is a template: `https://reports.acme.example/{runId}/{browser}/`.

import { runIdEnv } from '../../domain/run-id.ts';

export function expandReportUrl(template: string | undefined, runId: string, browser: string): string | null {
  if (!template) return null;
  const values: Record<string, string> = { runId, browser, env: runIdEnv(runId) ?? '' };
  // Values are URL-encoded: a run id or browser name is never allowed to change the URL's shape.
  return template.replace(/\{(runId|browser|env)\}/g, (_m, key: string) => encodeURIComponent(values[key] ?? ''));
}
