/**
 * What the documentation must cover, found in the code, and the checks that it does: every env key
 * production code reads, every route the app registers, every npm script, every custom search
 * attribute, and every signal, Update and query a workflow defines, named in README.md or docs/**;
 * and every relative link and anchor of the Markdown files leading somewhere. The lists come from
 * the code (a new item needs no edit here), the checks are pure functions of (names, docs), so a
 * test can show each failing on a doc set that leaves one out.
 */
import { readdirSync, readFileSync, existsSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import type Stripe from 'stripe';
import type { DunningClient } from '../../src/dunningClient';
import { createApp } from '../../src/http/app';
import { SearchAttributeType, type PayloadCodec } from '@temporalio/common';

export const ROOT = resolve(__dirname, '..', '..');

export interface Doc {
  /** Relative to the repo root, `/`-separated. */
  path: string;
  text: string;
}

/** README.md and every Markdown file under docs/: where a user looks. */
export function docSet(root = ROOT): Doc[] {
  const docs = readdirSync(join(root, 'docs'), { recursive: true, withFileTypes: true })
    .filter((e) => e.isFile() && e.name.endsWith('.md'))
    .map((e) => relative(root, join(e.parentPath, e.name)).split('\\').join('/'));
  return ['README.md', ...docs.sort()].map((path) => ({ path, text: readFileSync(join(root, path), 'utf8') }));
}

/** The Markdown files whose links are checked: the doc set and the other top-level guides. */
export function markdownFiles(root = ROOT): Doc[] {
  const top = ['CONTRIBUTING.md', 'CHANGELOG.md'].filter((p) => existsSync(join(root, p)));
  return [...docSet(root), ...top.map((path) => ({ path, text: readFileSync(join(root, path), 'utf8') }))];
}

const escape = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

/** One kind of item: how its names are found in a text. */
export interface Kind {
  kind: string;
  mentioned: (name: string, text: string) => boolean;
}

/** `API_TOKEN` as a whole word: not inside `CODEC_API_TOKEN` or `API_TOKENS`. */
export const ENV: Kind = {
  kind: 'env key',
  mentioned: (name, text) => new RegExp(`(?<![A-Za-z0-9_])${escape(name)}(?![A-Za-z0-9_])`).test(text),
};

/**
 * A route's path, each `:param` standing for any segment (`/codec/:operation` is documented as
 * `/codec/encode`, `/codec/decode`), not followed by more path (`/api/dunning` is not documented by
 * `/api/dunning/stalled`). The method is not checked: the docs write it in too many ways
 * (`GET`/`POST /codec/login`, "`POST` from its page").
 */
export const ROUTE: Kind = {
  kind: 'route',
  mentioned: (path, text) => {
    const pattern = path
      .split('/')
      .map((segment) => (segment.startsWith(':') ? '(?::[A-Za-z]+|[A-Za-z0-9_.-]+)' : escape(segment)))
      .join('/');
    return new RegExp(`${pattern}(?![A-Za-z0-9_/-])`).test(text);
  },
};

/** `npm run NAME` (`npm start`, `npm test` too); a lifecycle script (`prepare`, `pretest`) named in backticks. */
export const NPM_SCRIPT: Kind = {
  kind: 'npm script',
  mentioned: (name, text) =>
    new RegExp(`npm (?:run )?${escape(name)}(?![A-Za-z0-9_:-])`).test(text) ||
    (/^(pre|post|prepare$)/.test(name) && text.includes(`\`${name}\``)),
};

/**
 * A search attribute, signal, Update or query: its name as a word of inline code (`` `status` ``,
 * `` `DunningState = 'active'` ``), since plain prose says "status" without meaning the query.
 */
export const CODE_NAME = (kind: string): Kind => ({
  kind,
  mentioned: (name, text) => {
    const word = new RegExp(`(?<![A-Za-z0-9_])${escape(name)}(?![A-Za-z0-9_])`);
    return [...text.matchAll(/`([^`\n]+)`/g)].some((m) => word.test(m[1]!));
  },
});

/** The names no document mentions, as `kind name`. */
export function undocumented(kind: Kind, names: readonly string[], docs: readonly Doc[]): string[] {
  return names.filter((n) => !docs.some((d) => kind.mentioned(n, d.text))).map((n) => `${kind.kind} ${n}`);
}

// ---- the lists, from the code ----------------------------------------------------------------

interface RouteLayer {
  route?: { path: string; methods: Record<string, boolean> };
  name?: string;
  slash?: boolean;
  handle?: { stack?: RouteLayer[] };
}

/** Every path the app registers (`METHOD path` pairs deduplicated to paths), from a real app. */
export function appRoutes(): string[] {
  const app = createApp({
    stripe: {} as Stripe,
    cases: { taskQueue: 'dunning', client: { options: { namespace: 'default' } } } as unknown as DunningClient,
    webhookSecret: 'whsec_ZG9jcw==',
    apiToken: 'docs-coverage-token-0123456789abcdef',
    linkSecret: 'docs-coverage-link-secret-0123456789abcdef',
    publicBaseUrl: 'http://localhost:3000',
    businessName: 'Docs',
    log: () => undefined,
    // With a codec the app registers the codec server's routes too: every route it can have.
    codec: { codec: {} as PayloadCodec, namespace: 'default', allowedOrigins: [] },
  });
  const paths = new Set<string>();
  const walk = (stack: RouteLayer[]) => {
    for (const layer of stack) {
      if (layer.route) paths.add(layer.route.path);
      else if (layer.handle?.stack) {
        // Routers are mounted at the root (`app.use(router)`); one mounted at a path would need
        // its prefix added here, so say so rather than list its routes without it.
        if (!layer.slash) throw new Error('a router is mounted at a path: add its prefix in appRoutes()');
        walk(layer.handle.stack);
      }
    }
  };
  walk((app as unknown as { router: { stack: RouteLayer[] } }).router.stack);
  return [...paths];
}

export function npmScripts(root = ROOT): string[] {
  const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { scripts: Record<string, string> };
  return Object.keys(pkg.scripts);
}

const SEARCH_ATTRIBUTE_TYPES = new Set<unknown>(Object.values(SearchAttributeType));

interface Definitions {
  searchAttributes: string[];
  signals: string[];
  updates: string[];
  queries: string[];
}

/**
 * The search attribute keys and the signal, Update and query definitions exported by the modules
 * of `domain/` (where every workflow's names are defined), found by what they are, not by name.
 */
export async function definitions(root = ROOT): Promise<Definitions> {
  const found: Definitions = { searchAttributes: [], signals: [], updates: [], queries: [] };
  const files = readdirSync(join(root, 'domain'), { recursive: true, withFileTypes: true })
    .filter((e) => e.isFile() && e.name.endsWith('.ts'))
    .map((e) => join(e.parentPath, e.name));
  for (const file of files) {
    const exports = (await import(file)) as Record<string, unknown>;
    for (const value of Object.values(exports)) {
      if (typeof value !== 'object' || value === null) continue;
      const v = value as { name?: unknown; type?: unknown };
      if (typeof v.name !== 'string') continue;
      if (SEARCH_ATTRIBUTE_TYPES.has(v.type)) found.searchAttributes.push(v.name);
      else if (v.type === 'signal') found.signals.push(v.name);
      else if (v.type === 'update') found.updates.push(v.name);
      else if (v.type === 'query') found.queries.push(v.name);
    }
  }
  for (const list of Object.values(found)) list.sort();
  return found;
}

// ---- links -----------------------------------------------------------------------------------

/** GitHub's anchor of a heading: lower case, punctuation dropped, spaces to hyphens. */
export function slug(heading: string): string {
  return heading
    .trim()
    .toLowerCase()
    .replace(/[^\p{L}\p{N}\s_-]/gu, '')
    .replace(/ /g, '-');
}

/** Prose without fenced code blocks or inline code, where links and headings live. */
function prose(text: string): string {
  return text.replace(/^```[\s\S]*?^```/gm, '').replace(/`[^`\n]*`/g, '');
}

/** The anchors a Markdown text has: its headings' (a repeated one gets -1, -2) and explicit ids. */
export function anchorsOf(text: string): Set<string> {
  const anchors = new Set<string>();
  const seen = new Map<string, number>();
  for (const m of text.replace(/^```[\s\S]*?^```/gm, '').matchAll(/^#{1,6} (.+)$/gm)) {
    const base = slug(m[1]!.replace(/`/g, ''));
    const n = seen.get(base) ?? 0;
    seen.set(base, n + 1);
    anchors.add(n === 0 ? base : `${base}-${n}`);
  }
  for (const m of text.matchAll(/<a (?:id|name)="([^"]+)"/g)) anchors.add(m[1]!);
  return anchors;
}

/**
 * Relative links that lead nowhere: a missing file or folder, or an anchor its Markdown target
 * does not have. `exists` and `read` default to the file system (a test passes a fake one).
 */
export function brokenLinks(
  docs: readonly Doc[],
  fs: { exists: (path: string) => boolean; read: (path: string) => string | undefined } = {
    exists: (p) => existsSync(join(ROOT, p)),
    read: (p) =>
      existsSync(join(ROOT, p)) && statSync(join(ROOT, p)).isFile() ? readFileSync(join(ROOT, p), 'utf8') : undefined,
  },
): string[] {
  const broken: string[] = [];
  for (const doc of docs) {
    for (const m of prose(doc.text).matchAll(/\]\(([^)\s]+)\)/g)) {
      const url = m[1]!;
      if (/^[a-z][a-z0-9+.-]*:/i.test(url)) continue; // http:, https:, mailto:
      const [path, anchor] = url.split('#') as [string, string | undefined];
      const target = path === '' ? doc.path : join(dirname(doc.path), path).split('\\').join('/');
      if (path !== '' && !fs.exists(target)) {
        broken.push(`${doc.path}: ${url} (no such file)`);
        continue;
      }
      if (anchor === undefined || !target.endsWith('.md')) continue;
      const text = path === '' ? doc.text : fs.read(target);
      if (text !== undefined && !anchorsOf(text).has(anchor)) broken.push(`${doc.path}: ${url} (no such anchor)`);
    }
  }
  return broken;
}
