// What a promotion did, as its teardown tells it. A promotion whose publish step named the release in
// the manifest but whose deprecate step never ended (its process stopped in between, or it was
// cancelled there) gets the deprecation now, by the deprecate step's own logic (safe to repeat), so a
// promotion ends the same whichever way it ends after publishing. A publish that opened a pull
// request deprecates nothing: the manifest is unchanged until it is merged. The line returned is the
// run's message when it was interrupted (TeardownOutputs.completed); null: it published nothing.
import { errorLine, RunAbandoned } from '../run-errors.ts';
import type { RunContext } from '../run-context.ts';
import type { DeprecateOutputs } from '../step-outputs.ts';
import { promotionOf } from './helpers/promotion.ts';
import { deprecateReplaced } from './promote-publish.ts';

/** The deprecate step's outputs when it ended (succeeded or skipped); null when it never did. */
function deprecateEnded(ctx: RunContext): DeprecateOutputs | null {
  const d = ctx.outputOf('deprecate');
  return d && Array.isArray(d.deprecated) ? d : null;
}

function deprecation(to: string, d: Partial<DeprecateOutputs>): string {
  const { deprecated = [], failed = [] } = d;
  const parts: string[] = [];
  if (deprecated.length > 0) parts.push(`the previous ${to} ${deprecated.map((r) => `${r.ami} in ${r.region}`).join(', ')} deprecated at ${d.deprecateAt}`);
  if (failed.length > 0) parts.push(`could not deprecate the previous ${to} ${failed.join('; ')}`);
  return parts.length > 0 ? parts.join('; ') : `nothing to deprecate (the images it replaced are still named, or it replaced none)`;
}

export async function settlePromotion(ctx: RunContext): Promise<string | null> {
  const published = ctx.outputOf('publish');
  if (!published || !Array.isArray(published.regions)) return null;
  const { image, to } = promotionOf(ctx);
  if (published.pullRequest) {
    const pr = published.pullRequest;
    return `${image}@${to} was proposed in pull request #${pr.number} (${pr.url}); nothing is deprecated until it is merged`;
  }
  const release = `${image}@${to} was published (${published.regions.map((r) => `${r.ami} in ${r.region}`).join(', ')})`;
  let d: Partial<DeprecateOutputs> | null = deprecateEnded(ctx);
  if (d === null) {
    ctx.log(`the manifest names this release but the deprecate step never ended: deprecating the images ${image}@${to} replaced now`);
    try {
      d = (await deprecateReplaced(ctx)).outputs;
    } catch (err) {
      if (err instanceof RunAbandoned) throw err;
      const why = `the previous ${to} was not deprecated: ${errorLine(err)}`;
      ctx.warn(why);
      return `${release}; ${why}`;
    }
  }
  return `${release}; ${deprecation(to, d)}`;
}
