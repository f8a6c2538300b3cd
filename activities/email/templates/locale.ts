// One rule for the emails and the case's summaries in the Web UI: defined in domain/presentation.ts.
export { EMAIL_LOCALES, pickLocale, type EmailLocale } from '../../../domain/presentation';
