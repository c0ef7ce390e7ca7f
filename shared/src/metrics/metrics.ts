import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import type { Queue } from 'bullmq';
import type { WorkerHooks } from '../jobs/factory.js';

/** A service's Prometheus metrics: process defaults, queue depth, job counts and durations. */
export interface ServiceMetrics {
  registry: Registry;
  hooks: WorkerHooks;
  /** Reports the depth of these queues on each scrape. */
  watchQueues(queues: Queue[]): void;
}

export function createMetrics(service: string): ServiceMetrics {
  const registry = new Registry();
  registry.setDefaultLabels({ service });
  collectDefaultMetrics({ register: registry });
  const jobs = new Counter({
    name: 'recs_jobs_total',
    help: 'Jobs processed, by queue, job name and outcome',
    labelNames: ['queue', 'job', 'outcome'],
    registers: [registry],
  });
  const durations = new Histogram({
    name: 'recs_job_duration_seconds',
    help: 'Time a handler took, by queue and job name',
    labelNames: ['queue', 'job'],
    buckets: [0.01, 0.05, 0.1, 0.5, 1, 5, 15, 60, 300, 1800],
    registers: [registry],
  });
  const active = new Gauge({ name: 'recs_jobs_active', help: 'Jobs being handled now', labelNames: ['queue'], registers: [registry] });
  let watched: Queue[] = [];
  new Gauge({
    name: 'recs_queue_depth',
    help: 'Jobs in a queue by state (waiting, active, delayed, failed)',
    labelNames: ['queue', 'state'],
    registers: [registry],
    async collect() {
      for (const queue of watched) {
        const counts = await queue.getJobCounts('waiting', 'active', 'delayed', 'failed', 'prioritized');
        for (const [state, n] of Object.entries(counts)) this.set({ queue: queue.name, state }, n);
      }
    },
  });
  return {
    registry,
    hooks: {
      onStart: (queue) => active.inc({ queue }),
      onEnd: (queue, job, outcome, seconds) => {
        active.dec({ queue });
        jobs.inc({ queue, job: job.name, outcome });
        durations.observe({ queue, job: job.name }, seconds);
      },
    },
    watchQueues(queues) {
      watched = queues;
    },
  };
}
