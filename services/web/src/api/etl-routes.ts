import type { Router } from 'express';
import {
  cancelRun,
  createEtlJob,
  deleteEtlJob,
  etlJobView,
  etlRunView,
  getEtlJob,
  getRun,
  listEtlJobs,
  listRejectedRows,
  listRuns,
  startRun,
  updateEtlJob,
} from '@b2b-recs/shared';
import type { WebDeps } from '../context.js';

/** ETL jobs and their runs. */
export function etlRoutes(api: Router, deps: WebDeps): void {
  const queues = { extractor: deps.queues.extractor, loader: deps.queues.loader };

  api.get('/projects/:pid/etl-jobs', async (req, res) => {
    res.json({ jobs: (await listEtlJobs(req.em, req.scope!, req.params.pid)).map(etlJobView) });
  });
  api.post('/projects/:pid/etl-jobs', async (req, res) => {
    const job = await createEtlJob(req.em, req.scope!, req.params.pid, req.body, deps.connections);
    res.status(201).location(`/api/v1/etl-jobs/${job.id}`).json(etlJobView(job));
  });
  api.get('/etl-jobs/:id', async (req, res) => {
    res.json(etlJobView(await getEtlJob(req.em, req.scope!, req.params.id)));
  });
  api.patch('/etl-jobs/:id', async (req, res) => {
    res.json(etlJobView(await updateEtlJob(req.em, req.scope!, req.params.id, req.body, deps.connections)));
  });
  api.delete('/etl-jobs/:id', async (req, res) => {
    await deleteEtlJob(req.em, req.scope!, req.params.id);
    res.status(204).end();
  });
  api.post('/etl-jobs/:id/runs', async (req, res) => {
    const run = await startRun(req.em, req.scope!, req.params.id, queues, 'manual');
    res.status(202).location(`/api/v1/etl-runs/${run.id}`).json({ runId: run.id });
  });
  api.get('/etl-jobs/:id/runs', async (req, res) => {
    res.json({ runs: (await listRuns(req.em, req.scope!, req.params.id)).map(etlRunView) });
  });
  api.get('/etl-runs/:id', async (req, res) => {
    res.json(etlRunView(await getRun(req.em, req.scope!, req.params.id)));
  });
  api.post('/etl-runs/:id/cancel', async (req, res) => {
    res.json(etlRunView(await cancelRun(req.em, req.scope!, req.params.id, queues)));
  });
  api.get('/etl-runs/:id/rejected-rows', async (req, res) => {
    res.json({ rows: await listRejectedRows(req.em, req.scope!, req.params.id) });
  });
}
