// Signed artifact links: what they cover (a file, or a report's whole folder), what breaks them (any
// change to the path, the expiry or the scope; another key), when they expire, and that the expiry a
// message carries stays the same all day and never outlives the artifacts.
import { describe, expect, it } from 'vitest';
import { ArtifactLinks } from '../../src/commands/artifact-links.ts';

const DAY = 86_400_000;
const KEY = Buffer.alloc(32, 1);
const RUN = 'stg4-20261121-a1b2c3';
const NOW = new Date('2026-11-21T10:30:00Z');
const links = new ArtifactLinks({ key: KEY, publicUrl: 'https://stagebot.acme.example', linkTtlMs: 7 * DAY, retentionMs: 14 * DAY });
const rest = (path: string) => path.replace(/^\/artifacts\//, '');

describe('ArtifactLinks', () => {
  const expires = new Date(NOW.getTime() + DAY);

  it('signs a file so that exactly that file opens until the expiry', () => {
    const path = links.path(RUN, 'chrome/failures/1/trace.zip', expires);
    expect(path).toMatch(new RegExp(`^/artifacts/\\d+\\.5\\.[\\w-]{43}/${RUN}/chrome/failures/1/trace\\.zip$`));
    expect(links.check(rest(path), NOW)).toEqual({ ok: true, runId: RUN, name: 'chrome/failures/1/trace.zip' });
    // A sibling under the same signature is refused.
    expect(links.check(rest(path).replace('trace.zip', 'video.webm'), NOW)).toMatchObject({ ok: false, status: 403 });
    expect(links.check(rest(path), new Date(expires.getTime() + 1))).toMatchObject({ ok: false, status: 410, reason: expect.stringContaining('expired') });
  });

  it('signs a folder so that the files a report page loads beside it open too, and nothing outside it', () => {
    const path = links.path(RUN, 'chrome/report/index.html', expires, { folder: true });
    const token = rest(path).split('/')[0];
    expect(links.check(`${token}/${RUN}/chrome/report/data/abc.png`, NOW)).toEqual({ ok: true, runId: RUN, name: 'chrome/report/data/abc.png' });
    expect(links.check(`${token}/${RUN}/chrome/report.json`, NOW)).toMatchObject({ ok: false, status: 403 });
    expect(links.check(`${token}/stg4-20261121-ffffff/chrome/report/index.html`, NOW)).toMatchObject({ ok: false, status: 403 });
  });

  it('refuses a changed expiry, a changed depth, another key, and what is not a link at all', () => {
    const path = rest(links.path(RUN, 'chrome/report.json', expires));
    const [token, ...tail] = path.split('/');
    const [exp, depth, sig] = token!.split('.');
    const later = `${Number(exp) + 86_400}.${depth}.${sig}/${tail.join('/')}`;
    expect(links.check(later, NOW)).toMatchObject({ ok: false, status: 403 });
    expect(links.check(`${exp}.2.${sig}/${tail.join('/')}`, NOW)).toMatchObject({ ok: false, status: 403 });
    const other = new ArtifactLinks({ key: Buffer.alloc(32, 2), linkTtlMs: DAY, retentionMs: DAY });
    expect(other.check(path, NOW)).toMatchObject({ ok: false, status: 403 });
    expect(links.check(`nonsense/${RUN}/chrome/report.json`, NOW)).toMatchObject({ ok: false, status: 403 });
    expect(links.check(`${token}/${RUN}`, NOW)).toMatchObject({ ok: false, status: 404 });
    expect(links.check('%E0%A4%A/x/y', NOW)).toMatchObject({ ok: false, status: 404 });
    expect(() => new ArtifactLinks({ key: Buffer.alloc(16), linkTtlMs: DAY, retentionMs: DAY })).toThrow(/at least 32/);
  });

  it('passes an unsigned path on to the access rules', () => {
    expect(links.check(`-/${RUN}/chrome/report.json`, NOW)).toEqual({ ok: 'unsigned', runId: RUN, name: 'chrome/report.json' });
  });

  it('expires links the same way all day, a link TTL ahead, and never after retention deletes the files', () => {
    const keptAt = new Date('2026-11-20T08:00:00Z');
    const morning = links.expiry(new Date('2026-11-21T00:00:01Z'), keptAt);
    const evening = links.expiry(new Date('2026-11-21T23:59:59Z'), keptAt);
    expect(morning).toEqual(new Date('2026-11-29T00:00:00Z'));
    expect(evening).toEqual(morning);
    expect(links.expiry(new Date('2026-11-30T12:00:00Z'), keptAt)).toEqual(new Date('2026-12-04T08:00:00Z'));
  });

  it('opens a trace in the viewer by its absolute, signed URL; absolute links only with a public URL', () => {
    const trace = links.path(RUN, 'chrome/failures/1/trace.zip', expires);
    expect(links.viewer(trace)).toBe(`/trace/index.html?trace=${encodeURIComponent(`https://stagebot.acme.example${trace}`)}`);
    expect(links.href(trace)).toBe(`https://stagebot.acme.example${trace}`);
    const local = new ArtifactLinks({ key: KEY, linkTtlMs: DAY, retentionMs: DAY });
    expect(local.absolute(trace)).toBeNull();
    expect(local.href(trace)).toBe(trace);
  });
});
