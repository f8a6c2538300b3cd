import { createHash, timingSafeEqual } from 'node:crypto';
import type { NextFunction, Request, Response } from 'express';
import { sendError } from './errors';

/** `Authorization: Bearer $API_TOKEN`, compared in constant time (hashes make lengths equal). */
export function bearerAuth(token: string) {
  const expected = createHash('sha256').update(token).digest();
  return (req: Request, res: Response, next: NextFunction) => {
    const m = /^Bearer\s+(.+)$/i.exec(req.get('authorization') ?? '');
    const given = createHash('sha256')
      .update(m?.[1]?.trim() ?? '')
      .digest();
    if (!m || !timingSafeEqual(given, expected)) {
      res.set('WWW-Authenticate', 'Bearer');
      sendError(res, 401, 'unauthorized', 'Missing or invalid bearer token');
      return;
    }
    next();
  };
}
