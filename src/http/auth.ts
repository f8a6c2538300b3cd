import type { NextFunction, Request, Response } from 'express';
import { sameSecret } from '../../activities/secrets';
import { sendError } from './errors';

/** The token of an `Authorization: Bearer <token>` header; undefined without one. */
export const bearerToken = (authorization: string | undefined): string | undefined =>
  /^Bearer\s+(.+)$/i.exec(authorization ?? '')?.[1]?.trim();

/** `Authorization: Bearer $API_TOKEN`, compared in constant time. */
export function bearerAuth(token: string) {
  return (req: Request, res: Response, next: NextFunction) => {
    const given = bearerToken(req.get('authorization'));
    if (given === undefined || !sameSecret(given, token)) {
      res.set('WWW-Authenticate', 'Bearer');
      sendError(res, 401, 'unauthorized', 'Missing or invalid bearer token');
      return;
    }
    next();
  };
}
