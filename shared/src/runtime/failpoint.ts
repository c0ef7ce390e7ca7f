/**
 * Failpoints let the crash tests kill a worker at an exact moment that no signal could hit
 * reliably (e.g. between the warehouse commit and the metadata update). `RECS_FAILPOINT` names
 * one point; when the process reaches it, it dies at once, as SIGKILL would leave it. Unset in
 * production, where `failpoint()` is a comparison and nothing more.
 */
const armed = process.env.RECS_FAILPOINT;

/** The moments a crash test can stop a process at. */
export type FailpointName = 'extract:after-progress' | 'extract:before-queuing-load' | 'load:after-warehouse-commit' | 'load:before-warehouse-commit';

export function failpoint(name: FailpointName): void {
  if (armed === name) process.kill(process.pid, 'SIGKILL');
}
