/**
 * Renders every dunning email in every language with sample data, so the copy can be read in a
 * browser before it reaches a customer (the samples of retryable declines show both buttons,
 * "Retry my payment now" and "Use a different card").
 *
 *   npx tsx tools/cli/preview-emails.ts [outDir]     (default .data/email-preview)
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import escapeHtml from 'escape-html';
import { EMAIL_LOCALES, renderEmail, TEMPLATE_NAMES } from '../../activities/email/templates';
import { sampleEmailData } from '../../activities/email/templates/sample-data';

function main(): void {
  const outDir = resolve(process.argv[2] ?? '.data/email-preview');
  mkdirSync(outDir, { recursive: true });

  const rows: string[] = [];
  for (const name of TEMPLATE_NAMES) {
    for (const locale of EMAIL_LOCALES) {
      const email = renderEmail(name, locale, sampleEmailData(name, locale));
      const base = `${name}.${locale}`;
      writeFileSync(join(outDir, `${base}.html`), email.html);
      writeFileSync(join(outDir, `${base}.txt`), `Subject: ${email.subject}\n\n${email.text}`);
      rows.push(
        `<tr><td><code>${escapeHtml(name)}</code></td><td>${locale}</td><td>${escapeHtml(email.subject)}</td>` +
          `<td><a href="${escapeHtml(base)}.html">HTML</a> · <a href="${escapeHtml(base)}.txt">text</a></td></tr>`,
      );
    }
  }

  const index = `<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>Dunning email preview</title>
<style>body{font-family:system-ui,sans-serif;margin:2rem}td,th{padding:.4rem .8rem;text-align:left;border-bottom:1px solid #ddd}</style>
</head><body>
<h1>Dunning email preview</h1>
<table><thead><tr><th>Template</th><th>Locale</th><th>Subject</th><th>Files</th></tr></thead>
<tbody>
${rows.join('\n')}
</tbody></table>
</body></html>
`;
  const indexPath = join(outDir, 'index.html');
  writeFileSync(indexPath, index);
  console.log(indexPath);
}

main();
