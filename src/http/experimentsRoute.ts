/**
 * `GET /api/experiments`: the results of the policy experiments per arm (src/experiments/), as
 * JSON, behind the `/api` token. `npm run cases -- experiments` prints it; the dashboard shows it.
 */
import express, { type Router } from 'express';
import type { ExperimentReport } from '../../domain/experimentResults';
import { bearerAuth } from './auth';
import { isTemporalUnavailable, sendError } from './errors';

export function experimentsRouter(o: {
  apiToken: string;
  /** Unset: no store of end records, so no experiment to show. */
  read?: () => Promise<ExperimentReport[]>;
}): Router {
  const router = express.Router();
  router.get('/api/experiments', bearerAuth(o.apiToken), async (_req, res, next) => {
    try {
      res.json({ experiments: o.read ? await o.read() : [] });
    } catch (err) {
      // The open counts come from visibility: without Temporal, try again (as every /api route says).
      if (isTemporalUnavailable(err)) return sendError(res, 503, 'temporal_unavailable', 'Temporal is unreachable; try again');
      next(err);
    }
  });
  return router;
}
