// The SSH adapter waits between retries with the domain's abortable sleep (a cancel rejects with
// the caller's own reason).
export { abortableSleep, type Sleep } from '../domain/clock.ts';
