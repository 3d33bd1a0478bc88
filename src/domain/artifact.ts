// What a browser's Playwright run left behind and stagebot kept: the reports, and the screenshots,
// traces and videos of failed tests. Names are relative to the run (`chrome/failures/1/trace.zip`).

export const ARTIFACT_KINDS = ['report-json', 'report-html', 'screenshot', 'trace', 'video', 'attachment'] as const;
export type ArtifactKind = (typeof ARTIFACT_KINDS)[number];

export interface KeptArtifact {
  kind: ArtifactKind;
  /** For `report-html`: the report's entry page (`chrome/report/index.html`); its other files sit beside it. */
  name: string;
  /** Bytes; for `report-html` the whole report folder. */
  size: number;
  /** 1-based number of the failed test it belongs to (failures[n-1]), when it belongs to one. */
  failure?: number | undefined;
}

export interface SkippedArtifact {
  kind: ArtifactKind;
  /** The file as the test run named it (not stored, so not linkable). */
  name: string;
  size: number;
  /** `over the run's 500MB cap`, `outside the run's output folder`, `could not be stored: …`. */
  reason: string;
  failure?: number | undefined;
}

/** One failed test as chat and the run page show it. */
export interface FailureDetail {
  /** `file › describe › title`. */
  title: string;
  /** `tests/login.spec.ts:12`. */
  location: string | null;
  /** First line of its first error. */
  error: string | null;
}

export interface BrowserArtifacts {
  /** `local` or `s3`: where they are kept. */
  storage: 'local' | 's3';
  /** When they were kept (ISO); retention counts from here. */
  keptAt: string;
  items: KeptArtifact[];
  skipped: SkippedArtifact[];
}
