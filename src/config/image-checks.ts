// Checks that span an image's fields or the whole file: a base says where it comes from exactly one
// way (an AMI id, a name filter with owners, or an AWS public SSM parameter), and an environment's `ami: image:NAME@CHANNEL` names a configured image.
import type * as z from 'zod';

type Ctx = z.RefinementCtx;

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** AWS's public parameters (`/aws/service/...`): the only ones the IAM policy lets stagebot read. */
export const SSM_PUBLIC_PARAMETER = /^\/aws\/service\/[A-Za-z0-9_.\/-]{1,2000}$/;

/** `base: ssm:/aws/service/...` and `base: ami-...` as the map they are short for; anything else as is. */
export function baseShorthand(base: unknown): unknown {
  if (typeof base !== 'string') return base;
  const value = base.trim();
  if (value.startsWith('ssm:')) return { ssm: value.slice('ssm:'.length) };
  if (value.startsWith('ami-')) return { ami: value };
  return base;
}

export function checkImageBase(base: unknown, ctx: Ctx): void {
  if (!isRecord(base)) return;
  const given = (['ami', 'name', 'ssm'] as const).filter((k) => base[k] !== undefined);
  if (given.length !== 1) {
    ctx.addIssue({
      code: 'custom',
      message: given.length === 0 ? 'needs ami, name or ssm (where the builder starts from)' : `gives ${given.join(' and ')}; give one of ami, name or ssm`,
      input: base,
    });
  }
  if (base.owners !== undefined && base.name === undefined) {
    ctx.addIssue({ code: 'custom', path: ['owners'], message: 'owners only goes with name (a name filter); remove it or use name', input: base.owners });
  }
  if (base.name !== undefined && base.owners === undefined) {
    ctx.addIssue({ code: 'custom', path: ['owners'], message: 'a name filter needs owners, e.g. ["099720109477"] (Canonical): anyone may publish an AMI with any name', input: base });
  }
}

export function checkImageReferences(config: unknown, ctx: Ctx): void {
  if (!isRecord(config) || !isRecord(config.environments)) return;
  const images = isRecord(config.images) ? Object.keys(config.images) : [];
  for (const [name, env] of Object.entries(config.environments)) {
    if (!isRecord(env) || typeof env.ami !== 'string' || !env.ami.startsWith('image:')) continue;
    const image = env.ami.slice('image:'.length).split('@')[0] ?? '';
    if (images.includes(image)) continue;
    ctx.addIssue({
      code: 'custom',
      path: ['environments', name, 'ami'],
      message: `names image ${image}, which is not under images (${images.length ? `known: ${images.join(', ')}` : 'no images are configured'})`,
      input: env.ami,
    });
  }
}
