/**
 * `/api/quarantine`: the verified Stripe events the webhook refused (invalid fields), for an
 * operator. Replay runs the stored body through today's checks and mapping (typically after a fix
 * was deployed) and carries it out as the webhook would have; discard lets it go. Mounted inside
 * the signal API's router: same bearer token, same error shape.
 */
import express, { type Router } from 'express';
import { z } from 'zod';
import { carryOut, type CarryOutDeps } from './carryOutEvent';
import { HttpError } from './errors';
import { parseInput } from './parseInput';
import { interpretStripeEvent } from './stripeEvents';
import { stripeId } from './stripeIds';
import type { QuarantineDetails, QuarantineStore } from '../quarantine/quarantineStore';

/** Stripe's event id, or `body_<sha256>` for an event that had no usable id (see quarantineKey). */
const eventIdParam = z.union([stripeId('evt'), z.string().regex(/^body_[0-9a-f]{64}$/)], {
  errorMap: () => ({ message: 'must be an event id (evt_…) or body_<sha256>' }),
});
const decisionBody = z
  .object({ by: z.string().trim().min(1).max(200).default('api') })
  .strict()
  .default({});
const listQuery = z.object({ limit: z.coerce.number().int().min(1).max(1000).default(100) }).strict();

export function quarantineRouter(deps: CarryOutDeps & { quarantine: QuarantineStore }): Router {
  const { quarantine } = deps;
  const router = express.Router();

  /** The event, still in quarantine: 404 unknown, 409 already replayed or discarded. */
  const pending = async (eventId: string): Promise<QuarantineDetails> => {
    const found = await quarantine.get(eventId);
    if (!found) throw new HttpError(404, 'not_found', `No quarantined event ${eventId}`);
    if (found.status !== 'quarantined')
      throw new HttpError(409, 'already_resolved', `Event ${eventId} was ${found.status} already`);
    return found;
  };
  const resolve = async (eventId: string, action: 'replayed' | 'discarded', by: string) => {
    // Resolved by someone else in the meantime.
    if (!(await quarantine.resolve(eventId, { action, by })))
      throw new HttpError(409, 'already_resolved', `Event ${eventId} was resolved already`);
  };

  router.get('/api/quarantine', async (req, res) => {
    const q = parseInput(listQuery, req.query, 'query');
    res.json({ events: await quarantine.list(q.limit) });
  });

  router.get('/api/quarantine/:eventId', async (req, res) => {
    const eventId = parseInput(eventIdParam, req.params.eventId, 'eventId');
    const found = await quarantine.get(eventId);
    if (!found) throw new HttpError(404, 'not_found', `No quarantined event ${eventId}`);
    res.json(found);
  });

  router.post('/api/quarantine/:eventId/replay', async (req, res) => {
    const eventId = parseInput(eventIdParam, req.params.eventId, 'eventId');
    const { by } = parseInput(decisionBody, req.body ?? {}, 'body');
    const stored = await pending(eventId);
    let body: unknown;
    try {
      body = JSON.parse(stored.rawBody);
    } catch {
      throw new HttpError(422, 'still_invalid', 'body: not valid JSON');
    }
    const event = interpretStripeEvent(body);
    // Still refused by the code running now: it stays in quarantine, nothing is carried out.
    if (event.kind === 'invalid') throw new HttpError(422, 'still_invalid', event.problem.reason);
    const detail = await carryOut(deps, event.action);
    await resolve(eventId, 'replayed', by);
    deps.log('quarantined stripe event replayed', { eventId, type: event.type, by, action: event.action.kind });
    res.json({ replayed: eventId, ...detail });
  });

  router.post('/api/quarantine/:eventId/discard', async (req, res) => {
    const eventId = parseInput(eventIdParam, req.params.eventId, 'eventId');
    const { by } = parseInput(decisionBody, req.body ?? {}, 'body');
    await pending(eventId);
    await resolve(eventId, 'discarded', by);
    deps.log('quarantined stripe event discarded', { eventId, by });
    res.json({ discarded: eventId });
  });
  return router;
}
