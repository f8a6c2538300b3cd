/**
 * Billing Portal sessions, one per link for a few minutes: each click on an email's link used to
 * create a Stripe session, so a link pasted into a loop (or a scanner fetching it over and over)
 * made Stripe API calls, and sessions, without end. A session's URL stays usable for a few minutes,
 * so clicks within them get the same one; concurrent clicks share one request. A failed attempt
 * is not kept: the next click tries again.
 */
export const PORTAL_SESSION_REUSE_MS = 3 * 60_000;
/** Links remembered at most: past this the oldest go (memory stays bounded whatever the traffic). */
const MAX_ENTRIES = 10_000;

export interface PortalSessionsOptions {
  reuseMs?: number;
  maxEntries?: number;
  /** Milliseconds since the epoch. */
  now?: () => number;
}

export class PortalSessions {
  private readonly entries = new Map<string, { at: number; url: Promise<string | undefined> }>();
  private readonly reuseMs: number;
  private readonly maxEntries: number;
  private readonly now: () => number;

  constructor(o: PortalSessionsOptions = {}) {
    this.reuseMs = o.reuseMs ?? PORTAL_SESSION_REUSE_MS;
    this.maxEntries = o.maxEntries ?? MAX_ENTRIES;
    this.now = o.now ?? Date.now;
  }

  /** The session URL made for `link` in the last few minutes, else the one `create` makes now. */
  url(link: string, create: () => Promise<string | undefined>): Promise<string | undefined> {
    const at = this.now();
    const kept = this.entries.get(link);
    if (kept && at - kept.at < this.reuseMs) return kept.url;
    this.entries.delete(link);
    for (const [key, e] of this.entries) {
      // Oldest first (insertion order): stop at the first still fresh one, unless over the bound.
      if (at - e.at < this.reuseMs && this.entries.size < this.maxEntries) break;
      this.entries.delete(key);
    }
    const url = create().then(
      (u) => {
        if (u === undefined && this.entries.get(link)?.url === url) this.entries.delete(link);
        return u;
      },
      (err: unknown) => {
        if (this.entries.get(link)?.url === url) this.entries.delete(link);
        throw err;
      },
    );
    this.entries.set(link, { at, url });
    return url;
  }

  get size(): number {
    return this.entries.size;
  }
}
