import { describe, expect, it } from 'vitest';
import { SEARCH_ATTRIBUTES } from '../../domain/searchAttributes';
import { problemsLine, SEARCH_ATTRIBUTE_TYPES, searchAttributeProblems } from '../../src/temporal/searchAttributeCheck';

const all = () => Object.fromEntries(SEARCH_ATTRIBUTES.map((a) => [a.name, SEARCH_ATTRIBUTE_TYPES[a.cliType].indexed]));

describe('search attribute problems', () => {
  it('none when every attribute is registered with its type', () => {
    expect(searchAttributeProblems(all())).toEqual([]);
  });

  it('names each missing and each mistyped attribute, with the commands that fix them', () => {
    const registered: Record<string, number> = all();
    delete registered.DunningRecoveredBy;
    delete registered.DunningBlockedOn;
    registered.DunningAmountDue = SEARCH_ATTRIBUTE_TYPES.Keyword.indexed;
    const problems = searchAttributeProblems(registered);
    expect(problems).toEqual([
      { name: 'DunningAmountDue', want: 'Int', found: 'Keyword' },
      { name: 'DunningBlockedOn', want: 'Keyword' },
      { name: 'DunningRecoveredBy', want: 'Keyword' },
    ]);
    const line = problemsLine(problems, 'prod');
    expect(line).not.toContain('\n');
    expect(line).toContain(
      'namespace prod lacks the search attributes DunningBlockedOn (Keyword), DunningRecoveredBy (Keyword): register with ' +
        '`temporal operator search-attribute create --namespace prod --name DunningBlockedOn --type Keyword --name DunningRecoveredBy --type Keyword`',
    );
    expect(line).toContain(
      '`tcld namespace search-attributes add --namespace prod.<account> --sa "DunningBlockedOn=Keyword" --sa "DunningRecoveredBy=Keyword"`',
    );
    expect(line).toContain('DunningAmountDue is Keyword, must be Int');
  });

  it('an empty or unknown answer is every attribute missing', () => {
    expect(searchAttributeProblems(undefined)).toHaveLength(SEARCH_ATTRIBUTES.length);
  });
});
