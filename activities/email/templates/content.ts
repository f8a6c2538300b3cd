import type { ReasonKey } from './decline-reasons';
import type { EndAction } from './email-data';
import type { TemplateName } from './template-names';

/**
 * The shapes between wording and markup. Copy only ever produces plain strings; the layouts are
 * the single place that escapes, so no sentence can forget to.
 */

/** A run of plain text, or a link inside a paragraph. */
export type Inline = string | { text: string; href: string };
export type Paragraph = string | Inline[];

/** The email's data, sanitized and formatted for one locale: what copy writes sentences from. */
export interface Facts {
  /** The business's name; undefined when BUSINESS_NAME describes rather than names (business-name.ts). */
  business?: string;
  customerName?: string;
  /** e.g. "$19.99", "499.000 ₫" */
  amount: string;
  invoice?: string;
  cardBrand?: string;
  cardLast4?: string;
  /** Paid with another of the customer's saved cards (the card above), as they allowed: the receipt says so. */
  chargedOtherCard?: boolean;
  /** Formatted days. */
  nextRetry?: string;
  endsAt?: string;
  endAction?: EndAction;
  reason?: ReasonKey;
  supportEmail?: string;
  /** card_expiring: the card's last valid month ("December 2026"), and the renewal's day. */
  cardExpires?: string;
  renewsOn?: string;
  /** The last-chance offer's terms, as the customer reads them (last_chance_offer). */
  offer?: OfferFacts;
}

/** An offer in words: the pause's length in days, the coupon's wording, the cheaper plan's name. */
export type OfferFacts =
  | { kind: 'pause'; days: number }
  | { kind: 'coupon'; percentOff?: number; months?: number }
  | { kind: 'downgrade'; planName?: string };

export interface Action {
  label: string;
  url: string;
}

/** Where an email's buttons lead. `retry` only when a retry with the same card can succeed. */
export interface Links {
  update: string;
  retry?: string;
  /** The last-chance offer's page (`/billing/offer/:token`). */
  offer?: string;
}

/** What one template says: everything between the greeting and the sign-off. */
export interface Body {
  subject: string;
  heading: string;
  /** Before the details table and the button: what happened and what to do. */
  intro: Paragraph[];
  action?: Action;
  /** A second, quieter button beside the first ("Use a different card" beside "Retry my payment now"). */
  alternative?: Action;
  /** After the button: reassurance, what happens next. */
  outro: Paragraph[];
}

export interface Detail {
  label: string;
  value: string;
}

/** A whole email, ready for the HTML and text layouts. */
export interface EmailContent extends Body {
  lang: string;
  /** Inbox preview line (hidden in the HTML body). */
  preheader: string;
  greeting: string;
  details: Detail[];
  /** "If the button doesn't work, copy this link:" */
  linkFallback: string;
  /** The same with two buttons: "If the buttons don't work, copy a link:" */
  linksFallback: string;
  signoff: string[];
  footer: Paragraph[];
}

/** Everything a language must provide. */
export interface LocaleCopy {
  templates: Record<TemplateName, (facts: Facts, links: Links) => Body>;
  /** The sentence for each kind of decline (emails, and the retry page's "declined again"). */
  reasons: Record<ReasonKey, string>;
  greeting(customerName: string | undefined): string;
  signoff(business: string | undefined): string[];
  footer(facts: Facts): Paragraph[];
  /** The offer in a phrase ("a 30-day pause of your payments"), for the email and its page. */
  offerText(offer: OfferFacts): string;
  /** The card as a table value: "Visa •••• 4242". */
  cardLabel(card: Pick<Facts, 'cardBrand' | 'cardLast4'>): string | undefined;
  labels: {
    amountDue: string;
    amountPaid: string;
    invoice: string;
    paymentMethod: string;
    nextRetry: string;
    linkFallback: string;
    linksFallback: string;
    /** The retry button, in the emails and on its confirmation page. */
    retryNow: string;
    /** The update button beside it. */
    useDifferentCard: string;
    /** card_expiring's details: the renewal's amount and the card's expiry. */
    nextPayment: string;
    cardExpires: string;
    /** The offer email's button, and its page's. */
    acceptOffer: string;
  };
}
