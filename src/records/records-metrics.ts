/**
 * What the records side reports to metrics; implemented in src/metrics.ts so this folder never
 * imports prom-client.
 */
export type WebhookOutcome = 'delivered' | 'failed' | 'dropped';

export interface RecordsMetrics {
  /** A batch of records was written in `durationMs`. */
  recordsWritten(count: number, durationMs: number): void;
  recordWriteFailed(): void;
  /** Records deleted by the retention sweep. */
  recordsExpired(count: number): void;
  webhookDelivery(outcome: WebhookOutcome): void;
  /** A delivery attempt failed and will be retried. */
  webhookRetry(): void;
  /** A call recording could not be written (or finished). */
  recordingFailed(): void;
}

export const NO_RECORDS_METRICS: RecordsMetrics = {
  recordsWritten: () => {},
  recordWriteFailed: () => {},
  recordsExpired: () => {},
  webhookDelivery: () => {},
  webhookRetry: () => {},
  recordingFailed: () => {},
};
