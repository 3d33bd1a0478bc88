// A small HTTP proxy between stagebot and moto (stagebot's AWS_ENDPOINT_URL points here). It keeps a log
// of every request with moto's answer, lets a test answer some requests itself (an AWS error moto cannot
// produce, like InsufficientInstanceCapacity in one subnet), and runs hooks before a request (to note the
// state a request acts on, for the IAM check) and after it (to play a part of AWS moto does not, like
// cloud-init putting a launch's key pair on the host).
import { createServer, request, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { errorCodeOf, parseAwsRequest, type AwsRequest } from './aws-wire.ts';

export interface ProxyEntry {
  request: AwsRequest;
  status: number;
  /** moto's (or the fault's) response body. */
  body: string;
  errorCode: string | null;
  /** Answered by a fault rule, not by moto. */
  injected: boolean;
  /** What a `before` hook noted about the state the request acted on. */
  notes: Record<string, unknown>;
}

export interface Fault {
  status: number;
  body: string;
}

export type BeforeHook = (req: AwsRequest) => Promise<Record<string, unknown> | Fault | void>;
export type AfterHook = (entry: ProxyEntry) => Promise<void>;

export interface AwsProxy {
  url: string;
  log: ProxyEntry[];
  /** Hooks run in order; a hook that returns a Fault answers the request instead of moto. */
  before(hook: BeforeHook): () => void;
  after(hook: AfterHook): () => void;
  /** The log of requests signed with this access key. */
  requestsBy(accessKey: string): ProxyEntry[];
  stop(): Promise<void>;
}

export function ec2ErrorXml(code: string, message: string): string {
  return `<?xml version="1.0" encoding="UTF-8"?>\n<Response><Errors><Error><Code>${code}</Code><Message>${message}</Message></Error></Errors><RequestID>stagebot-suite-fault</RequestID></Response>`;
}

function isFault(x: unknown): x is Fault {
  return typeof x === 'object' && x !== null && typeof (x as Fault).status === 'number' && typeof (x as Fault).body === 'string';
}

function forward(target: URL, method: string, path: string, headers: IncomingHttpHeaders, body: Buffer): Promise<{ status: number; headers: IncomingHttpHeaders; body: Buffer }> {
  return new Promise((resolve, reject) => {
    const req = request({ host: target.hostname, port: target.port, method, path, headers: { ...headers, host: target.host } }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 502, headers: res.headers, body: Buffer.concat(chunks) }));
      res.on('error', reject);
    });
    req.setTimeout(30_000, () => req.destroy(new Error('moto did not answer within 30 s')));
    req.on('error', reject);
    req.end(body);
  });
}

export async function startProxy(motoUrl: string): Promise<AwsProxy> {
  const target = new URL(motoUrl);
  const log: ProxyEntry[] = [];
  const befores: BeforeHook[] = [];
  const afters: AfterHook[] = [];
  const sockets = new Set<Socket>();

  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      void (async () => {
        const body = Buffer.concat(chunks);
        const parsed = parseAwsRequest(req.headers, body.toString('utf8'));
        let notes: Record<string, unknown> = {};
        let fault: Fault | null = null;
        if (parsed) {
          for (const hook of befores) {
            const out = await hook(parsed);
            if (isFault(out)) {
              fault = out;
              break;
            }
            if (out) notes = { ...notes, ...out };
          }
        }
        const answer = fault
          ? { status: fault.status, headers: { 'content-type': 'text/xml' } as IncomingHttpHeaders, body: Buffer.from(fault.body) }
          : await forward(target, req.method ?? 'POST', req.url ?? '/', req.headers, body);
        if (parsed) {
          const text = answer.body.toString('utf8');
          const entry: ProxyEntry = { request: parsed, status: answer.status, body: text, errorCode: answer.status >= 300 ? errorCodeOf(text) : null, injected: fault !== null, notes };
          log.push(entry);
          for (const hook of afters) await hook(entry);
        }
        const headers = { ...answer.headers };
        delete headers['transfer-encoding'];
        headers['content-length'] = String(answer.body.length);
        res.writeHead(answer.status, headers);
        res.end(answer.body);
      })().catch((err: unknown) => {
        res.writeHead(502, { 'content-type': 'text/plain' });
        res.end(`stagebot suite proxy: ${err instanceof Error ? err.message : String(err)}`);
      });
    });
  });
  server.on('connection', (s) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  const remove = <T>(list: T[], item: T) => () => {
    const i = list.indexOf(item);
    if (i >= 0) list.splice(i, 1);
  };
  return {
    url: `http://127.0.0.1:${port}`,
    log,
    before: (hook) => (befores.push(hook), remove(befores, hook)),
    after: (hook) => (afters.push(hook), remove(afters, hook)),
    requestsBy: (accessKey) => log.filter((e) => e.request.accessKey === accessKey),
    stop: () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      }),
  };
}
