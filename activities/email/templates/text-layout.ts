import type { EmailContent, Inline, Paragraph } from './content';

/** The plain-text part: the same content, paragraphs separated by blank lines, links spelled out. */

function inline(part: Inline): string {
  if (typeof part === 'string') return part;
  // A mailto link reads as the address itself; other links need their URL visible.
  return part.href === `mailto:${part.text}` ? part.text : `${part.text} (${part.href})`;
}

const paragraph = (p: Paragraph): string => (typeof p === 'string' ? p : p.map(inline).join(''));

export function renderText(c: EmailContent): string {
  const blocks: string[] = [c.greeting, ...c.intro.map(paragraph)];
  if (c.details.length > 0) blocks.push(c.details.map((d) => `${d.label}: ${d.value}`).join('\n'));
  for (const a of [c.action, c.alternative]) if (a) blocks.push(`${a.label}:\n${a.url}`);
  blocks.push(...c.outro.map(paragraph), c.signoff.join('\n'), ...c.footer.map(paragraph));
  return `${blocks.join('\n\n')}\n`;
}
