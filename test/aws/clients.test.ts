import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, beforeEach, describe, expect, test } from 'vitest';
import { DescribeInstancesCommand } from '@aws-sdk/client-ec2';
import { GetCallerIdentityCommand } from '@aws-sdk/client-sts';
import { createAwsClients, DEFAULT_MAX_ATTEMPTS } from '../../src/aws/clients.ts';
import { ConfigError } from '../../src/errors.ts';

const creds = { accessKeyId: 'AKIATEST', secretAccessKey: 'secret' };

describe('createAwsClients', () => {
  test('one client per service and region, reused', async () => {
    const aws = createAwsClients({ credentials: creds });
    expect(aws.ec2('us-east-1')).toBe(aws.ec2('us-east-1'));
    expect(aws.ec2('eu-west-1')).not.toBe(aws.ec2('us-east-1'));
    expect(await aws.ec2('eu-west-1').config.region()).toBe('eu-west-1');
    expect(await aws.elbv2('eu-west-1').config.region()).toBe('eu-west-1');
    expect(await aws.tagging('ap-south-1').config.region()).toBe('ap-south-1');
    expect(await aws.pricing().config.region()).toBe('us-east-1');
    aws.destroy();
  });

  test('adaptive retries with 5 attempts unless told otherwise', async () => {
    const ec2 = createAwsClients({ credentials: creds }).ec2('us-east-1');
    expect(await ec2.config.maxAttempts()).toBe(DEFAULT_MAX_ATTEMPTS);
    expect(DEFAULT_MAX_ATTEMPTS).toBe(5);
    expect((await ec2.config.retryStrategy()) as { mode?: string }).toMatchObject({ mode: 'adaptive' });
    const three = createAwsClients({ credentials: creds, maxAttempts: 3 }).sts('us-east-1');
    expect(await three.config.maxAttempts()).toBe(3);
  });

  test('refuses a region that is not a region name, and a nonsense maxAttempts', () => {
    const aws = createAwsClients({ credentials: creds });
    expect(() => aws.ec2('eu-west')).toThrow(ConfigError);
    expect(() => aws.ec2('')).toThrow(/is not a region name/);
    expect(() => createAwsClients({ maxAttempts: 0 })).toThrow(ConfigError);
  });

  test('onClient sees every client once, with its service and region', () => {
    const seen: string[] = [];
    const aws = createAwsClients({ credentials: creds, onClient: (_c, { service, region }) => seen.push(`${service}/${region}`) });
    aws.ec2('us-east-1');
    aws.ec2('us-east-1');
    aws.sts('eu-west-1');
    expect(seen).toEqual(['ec2/us-east-1', 'sts/eu-west-1']);
  });
});

// The SDK, not stagebot, reads AWS_ENDPOINT_URL(_<SERVICE>): prove our factory leaves it able to.
describe('AWS_ENDPOINT_URL', () => {
  const saved = { ...process.env };
  let server: Server;
  let hits: { path: string; body: string; auth: string }[];

  const DESCRIBE_INSTANCES = `<?xml version="1.0" encoding="UTF-8"?>
<DescribeInstancesResponse xmlns="http://ec2.amazonaws.com/doc/2016-11-15/"><requestId>req-1</requestId>
<reservationSet><item><reservationId>r-1</reservationId><ownerId>123456789012</ownerId><instancesSet><item>
<instanceId>i-0123456789abcdef0</instanceId><instanceState><code>16</code><name>running</name></instanceState>
</item></instancesSet></item></reservationSet></DescribeInstancesResponse>`;
  const CALLER_IDENTITY = `<GetCallerIdentityResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/"><GetCallerIdentityResult>
<Arn>arn:aws:iam::210987654321:user/local</Arn><UserId>AIDALOCAL</UserId><Account>210987654321</Account>
</GetCallerIdentityResult><ResponseMetadata><RequestId>req-2</RequestId></ResponseMetadata></GetCallerIdentityResponse>`;

  beforeEach(async () => {
    hits = [];
    server = createServer((req: IncomingMessage, res) => {
      let body = '';
      req.on('data', (chunk: Buffer) => (body += chunk.toString()));
      req.on('end', () => {
        hits.push({ path: req.url ?? '', body, auth: String(req.headers.authorization ?? '') });
        res.writeHead(200, { 'content-type': 'text/xml' });
        res.end(body.includes('Action=GetCallerIdentity') ? CALLER_IDENTITY : DESCRIBE_INSTANCES);
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  });

  afterEach(async () => {
    process.env = { ...saved };
    await new Promise((resolve) => server.close(resolve));
  });

  test('a client from our factory sends its requests to the endpoint in the environment', async () => {
    const { port } = server.address() as AddressInfo;
    process.env.AWS_ENDPOINT_URL = `http://127.0.0.1:${port}/all`;
    process.env.AWS_ENDPOINT_URL_EC2 = `http://127.0.0.1:${port}/ec2-only`;
    // The default credential chain, from the environment.
    process.env.AWS_ACCESS_KEY_ID = 'AKIAFROMENV';
    process.env.AWS_SECRET_ACCESS_KEY = 'secret-from-env';
    const aws = createAwsClients();

    const out = await aws.ec2('eu-west-1').send(new DescribeInstancesCommand({ InstanceIds: ['i-0123456789abcdef0'] }));
    expect(out.Reservations?.[0]?.Instances?.[0]?.State?.Name).toBe('running');
    const who = await aws.sts('eu-west-1').send(new GetCallerIdentityCommand({}));
    expect(who.Account).toBe('210987654321');

    expect(hits).toHaveLength(2);
    expect(hits[0]?.path).toMatch(/^\/ec2-only\/?$/);
    expect(hits[0]?.body).toContain('Action=DescribeInstances');
    expect(hits[0]?.auth).toContain('Credential=AKIAFROMENV/');
    expect(hits[1]?.path).toMatch(/^\/all\/?$/);
    expect(hits[1]?.body).toContain('Action=GetCallerIdentity');
    aws.destroy();
  });
});
