/**
 * The namespace and the contract's search attributes, checked when a worker or an API process
 * starts. Without one attribute every case that upserts it fails its workflow task over and over
 * (`BadSearchAttributes`), silently but for an SDK warning: so a missing or mistyped attribute
 * stops the start, with one line that names each and the command that registers it. Where the
 * operator allows it (TEMPORAL_REGISTER_SEARCH_ATTRIBUTES), the service registers the missing ones
 * itself. The embedded dev server and the local cluster register them through here too.
 */
import type { ConnectionLike } from '@temporalio/client';
import { SearchAttributeType } from '@temporalio/common';
import { temporal } from '@temporalio/proto';
import { SEARCH_ATTRIBUTES } from '../../domain/searchAttributes';

const { IndexedValueType } = temporal.api.enums.v1;

/**
 * Each `--search-attribute` type (what the CLI takes) as the operator service registers it
 * (`indexed`) and as @temporalio/testing's `createLocal` takes it (`sdk`).
 */
export const SEARCH_ATTRIBUTE_TYPES = {
  Keyword: { indexed: IndexedValueType.INDEXED_VALUE_TYPE_KEYWORD, sdk: SearchAttributeType.KEYWORD },
  Int: { indexed: IndexedValueType.INDEXED_VALUE_TYPE_INT, sdk: SearchAttributeType.INT },
  Datetime: { indexed: IndexedValueType.INDEXED_VALUE_TYPE_DATETIME, sdk: SearchAttributeType.DATETIME },
} as const;

type CliType = keyof typeof SEARCH_ATTRIBUTE_TYPES;

export interface AttributeProblem {
  name: string;
  want: CliType;
  /** The type it is registered with; unset: not registered. */
  found?: string;
}

/** What is missing or of another type, given the namespace's custom attributes (name → IndexedValueType). */
export function searchAttributeProblems(registered: Record<string, number | string> | null | undefined): AttributeProblem[] {
  const problems: AttributeProblem[] = [];
  for (const a of SEARCH_ATTRIBUTES) {
    const found = registered?.[a.name];
    if (found === undefined) problems.push({ name: a.name, want: a.cliType });
    else if (Number(found) !== SEARCH_ATTRIBUTE_TYPES[a.cliType].indexed) {
      problems.push({ name: a.name, want: a.cliType, found: typeName(Number(found)) });
    }
  }
  return problems;
}

function typeName(indexed: number): string {
  const entry = Object.entries(SEARCH_ATTRIBUTE_TYPES).find(([, t]) => t.indexed === indexed);
  return entry ? entry[0] : (IndexedValueType[indexed] ?? String(indexed));
}

/**
 * One line: each attribute, what is wrong, and the commands that fix it, for a self-hosted cluster
 * (the Temporal CLI) and for Temporal Cloud (tcld). A mistyped attribute cannot be changed in
 * place: it must be removed first (on Temporal Cloud, renamed), which loses what cases recorded in it.
 */
export function problemsLine(problems: AttributeProblem[], namespace: string): string {
  const missing = problems.filter((p) => p.found === undefined);
  const mistyped = problems.filter((p) => p.found !== undefined);
  const parts: string[] = [];
  if (missing.length) {
    const create = missing.map((p) => `--name ${p.name} --type ${p.want}`).join(' ');
    const cloud = missing.map((p) => `--sa "${p.name}=${p.want}"`).join(' ');
    parts.push(
      `namespace ${namespace} lacks the search attribute${missing.length > 1 ? 's' : ''} ${missing.map((p) => `${p.name} (${p.want})`).join(', ')}: ` +
        `register with \`temporal operator search-attribute create --namespace ${namespace} ${create}\`` +
        ` (Temporal Cloud: \`tcld namespace search-attributes add --namespace ${namespace}.<account> ${cloud}\`),` +
        ' or set TEMPORAL_REGISTER_SEARCH_ATTRIBUTES=true to let the service register them',
    );
  }
  if (mistyped.length) {
    parts.push(
      `search attribute${mistyped.length > 1 ? 's' : ''} of another type in namespace ${namespace}: ` +
        mistyped.map((p) => `${p.name} is ${p.found}, must be ${p.want}`).join(', ') +
        `: remove with \`temporal operator search-attribute remove --namespace ${namespace} --name <name>\` and register it again with its type`,
    );
  }
  return parts.join('; ');
}

/** The namespace cannot be used as it is: the start stops with this message. */
export class SearchAttributesUnusable extends Error {
  constructor(
    readonly problems: AttributeProblem[],
    namespace: string,
  ) {
    super(problemsLine(problems, namespace));
    this.name = 'SearchAttributesUnusable';
  }
}

/**
 * Checks the namespace's custom search attributes; registers the missing ones when `register`
 * (never changes a mistyped one: that would lose what cases recorded). Throws
 * SearchAttributesUnusable for what is still wrong; a namespace that does not exist fails with the
 * server's NotFound, which names it.
 */
export async function checkSearchAttributes(
  connection: ConnectionLike,
  namespace: string,
  opts: { register: boolean; log: (line: string) => void },
): Promise<void> {
  const { customAttributes } = await connection.operatorService.listSearchAttributes({ namespace });
  const problems = searchAttributeProblems(customAttributes);
  const missing = problems.filter((p) => p.found === undefined);
  if (opts.register && missing.length) {
    opts.log(`registering search attributes ${missing.map((p) => p.name).join(', ')} in namespace ${namespace}`);
    await connection.operatorService.addSearchAttributes({
      namespace,
      searchAttributes: Object.fromEntries(missing.map((p) => [p.name, SEARCH_ATTRIBUTE_TYPES[p.want].indexed])),
    });
  }
  const left = opts.register ? problems.filter((p) => p.found !== undefined) : problems;
  if (left.length) throw new SearchAttributesUnusable(left, namespace);
}
