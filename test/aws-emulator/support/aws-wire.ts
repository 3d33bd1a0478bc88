// AWS requests as they go over the wire, read back: who signed it (access key), the service and region
// of its SigV4 scope, the action, and its parameters (the EC2/query protocols' form fields, or the JSON
// protocols' body). One reader for moto's recording and for the suite's proxy log.

export interface AwsRequest {
  accessKey: string;
  /** The SigV4 signing name: ec2, elasticloadbalancing, tagging, sts, pricing. */
  service: string;
  region: string;
  action: string;
  /** Query-protocol form fields as sent (`TagSpecification.1.Tag.2.Key`...); empty for JSON protocols. */
  params: Record<string, string>;
  /** JSON-protocol body; null for query protocols. */
  json: Record<string, unknown> | null;
}

const SCOPE = /Credential=([^/]+)\/\d{8}\/([^/]+)\/([^/]+)\/aws4_request/;

function header(headers: Record<string, string | string[] | undefined>, name: string): string | undefined {
  for (const [k, v] of Object.entries(headers)) if (k.toLowerCase() === name) return Array.isArray(v) ? v[0] : v;
  return undefined;
}

export function parseAwsRequest(headers: Record<string, string | string[] | undefined>, body: string): AwsRequest | null {
  const scope = SCOPE.exec(header(headers, 'authorization') ?? '');
  if (!scope) return null;
  const [, accessKey, region, service] = scope as unknown as [string, string, string, string];
  const target = header(headers, 'x-amz-target');
  if (target) {
    let json: Record<string, unknown> = {};
    try {
      json = body ? (JSON.parse(body) as Record<string, unknown>) : {};
    } catch {
      // a body that is not JSON is kept out; the action still counts
    }
    return { accessKey, service, region, action: target.slice(target.lastIndexOf('.') + 1), params: {}, json };
  }
  const params = Object.fromEntries(new URLSearchParams(body));
  return { accessKey, service, region, action: params.Action ?? 'unknown', params, json: null };
}

/** moto's recording (one JSON object per line: headers, method, url, body, body_encoded). */
export function parseRecorded(text: string): AwsRequest[] {
  const out: AwsRequest[] = [];
  for (const line of text.split('\n')) {
    if (!line.trim()) continue;
    const entry = JSON.parse(line) as { headers: Record<string, string>; body: string | null; body_encoded: boolean };
    const body = entry.body_encoded ? Buffer.from(entry.body ?? '', 'base64').toString('utf8') : (entry.body ?? '');
    const parsed = parseAwsRequest(entry.headers, body);
    if (parsed) out.push(parsed);
  }
  return out;
}

/** `Prefix.1`, `Prefix.2`... (or `Prefix.member.1`...) in order. */
export function listParam(params: Record<string, string>, prefix: string): string[] {
  const out: string[] = [];
  for (let i = 1; i < 10_000; i++) {
    const value = params[`${prefix}.${i}`] ?? params[`${prefix}.member.${i}`];
    if (value === undefined) break;
    out.push(value);
  }
  return out;
}

/** `Tag.1.Key` / `Tag.1.Value` pairs under `prefix` as a record. */
export function tagsParam(params: Record<string, string>, prefix = 'Tag'): Record<string, string> {
  const tags: Record<string, string> = {};
  for (let i = 1; i < 1_000; i++) {
    const key = params[`${prefix}.${i}.Key`];
    if (key === undefined) break;
    tags[key] = params[`${prefix}.${i}.Value`] ?? '';
  }
  return tags;
}

/** TagSpecification.N as resource type -> tags. */
export function tagSpecifications(params: Record<string, string>): Map<string, Record<string, string>> {
  const specs = new Map<string, Record<string, string>>();
  for (let i = 1; i < 100; i++) {
    const type = params[`TagSpecification.${i}.ResourceType`];
    if (type === undefined) break;
    specs.set(type, { ...(specs.get(type) ?? {}), ...tagsParam(params, `TagSpecification.${i}.Tag`) });
  }
  return specs;
}

/** The error code of an AWS error response (EC2's and the query protocols' XML, or JSON's __type). */
export function errorCodeOf(body: string): string | null {
  const xml = /<Code>([^<]+)<\/Code>/.exec(body);
  if (xml) return xml[1]!;
  try {
    const type = (JSON.parse(body) as { __type?: string }).__type;
    return type ? type.slice(type.lastIndexOf('#') + 1) : null;
  } catch {
    return null;
  }
}
