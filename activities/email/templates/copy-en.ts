import type { Body, Facts, Links, LocaleCopy, OfferFacts, Paragraph } from './content';
import type { ReasonKey } from './decline-reasons';

/** English wording. Sentences are plain text; the layouts escape them. */

const REASONS: Record<ReasonKey, string> = {
  insufficient_funds: "Your bank declined it because there weren't enough funds available.",
  limit_exceeded: 'The card has reached its spending or transaction limit.',
  expired: 'The card has expired.',
  incorrect_number: 'The card number on file is incorrect.',
  incorrect_cvc: "The card's security code (CVC) was incorrect.",
  incorrect_expiry: "The card's expiry date on file is incorrect.",
  incorrect_postal_code: "The postal code didn't match the one your bank has on file.",
  not_supported: "The card doesn't support this kind of payment.",
  authentication: 'Your bank asked you to confirm the payment.',
  temporary: 'There was a temporary problem processing the card at your bank.',
  generic: 'Your bank declined the payment without giving a specific reason.',
};

const reason = (f: Facts): string => REASONS[f.reason ?? 'generic'];

const capitalise = (s: string): string => s.charAt(0).toUpperCase() + s.slice(1);

/** "your Visa ending in 4242", or as much of it as we know. */
function card(f: Facts): string {
  if (f.cardBrand && f.cardLast4) return `your ${f.cardBrand} ending in ${f.cardLast4}`;
  if (f.cardBrand) return `your ${f.cardBrand} card`;
  if (f.cardLast4) return `your card ending in ${f.cardLast4}`;
  return 'your payment method';
}

/**
 * The business's name is optional (business-name.ts): these put it where it reads naturally and
 * leave it out cleanly. `named(f, 'service')`: "Acme service", or "service" after "your".
 */
const named = (f: Facts, noun: string): string => (f.business ? `${f.business} ${noun}` : noun);
/** "Acme payment", or "subscription payment": after "your" in the subjects. */
const payment = (f: Facts): string => (f.business ? `${f.business} payment` : 'subscription payment');
/** "your access to Acme", or "your access". */
const access = (f: Facts): string => (f.business ? `your access to ${f.business}` : 'your access');
/** " for Acme", or nothing. */
const forBusiness = (f: Facts): string => (f.business ? ` for ${f.business}` : '');

const forInvoice = (f: Facts): string => (f.invoice ? `for invoice ${f.invoice}` : `for your ${named(f, 'subscription')}`);

/** What the policy will do, and when: "your subscription will be cancelled on March 14, 2025". */
function endAhead(f: Facts): string | undefined {
  if (!f.endAction && !f.endsAt) return undefined;
  const on = f.endsAt ? ` on ${f.endsAt}` : '';
  switch (f.endAction) {
    case 'cancel_subscription':
      return `your subscription will be cancelled${on}`;
    case 'pause_collection':
      return `your subscription will be paused${on}`;
    default:
      return `${access(f)} will be suspended${on}`;
  }
}

/** The same, once it has happened. */
function endDone(f: Facts): string {
  switch (f.endAction) {
    case 'cancel_subscription':
      return f.endsAt ? `your subscription was cancelled on ${f.endsAt}` : 'your subscription has been cancelled';
    case 'pause_collection':
      return f.endsAt ? `your subscription was paused on ${f.endsAt}` : 'your subscription has been paused';
    default:
      return f.endsAt ? `${access(f)} was suspended on ${f.endsAt}` : `${access(f)} has been suspended`;
  }
}

/** During the grace period the customer keeps the service: saying so keeps the tone calm. */
function graceOutro(f: Facts): Paragraph[] {
  const ahead = endAhead(f);
  const out: Paragraph[] = [`Your ${named(f, 'service')} keeps running as normal while we sort this out.`];
  if (ahead) out.push(`If we still can't collect the payment, ${ahead}.`);
  return out;
}

const nextTry = (f: Facts): string =>
  f.nextRetry ? `We'll try again automatically on ${f.nextRetry}.` : "We'll try again automatically in a few days.";

const update = (url: string, label = 'Update payment method') => ({ label, url });

const RETRY_NOW = 'Retry my payment now';
const USE_DIFFERENT_CARD = 'Use a different card';

/** With a retry link, "Retry my payment now" and "Use a different card" beside it; else the update button alone. */
const buttons = (links: Links): Pick<Body, 'action' | 'alternative'> =>
  links.retry
    ? { action: { label: RETRY_NOW, url: links.retry }, alternative: { label: USE_DIFFERENT_CARD, url: links.update } }
    : { action: update(links.update) };

const ACCEPT_OFFER = 'See the offer';

function offerText(o: OfferFacts): string {
  switch (o.kind) {
    case 'pause':
      return `a ${o.days}-day pause of your payments`;
    case 'coupon':
      if (o.percentOff === undefined) return 'a discount on your subscription';
      return `${o.percentOff}% off your subscription${o.months ? ` for ${o.months} month${o.months === 1 ? '' : 's'}` : ''}`;
    case 'downgrade':
      return o.planName ? `a move to the ${o.planName} plan, at a lower price` : 'a move to a cheaper plan';
  }
}

export const en: LocaleCopy = {
  templates: {
    'payment_failed.insufficient_funds': (f, links): Body => ({
      subject: `Your ${payment(f)} of ${f.amount} didn't go through`,
      heading: "Your payment didn't go through",
      intro: [
        `We tried to charge ${f.amount} to ${card(f)} ${forInvoice(f)}, but your bank declined it because there weren't enough funds available.`,
        links.retry
          ? `${nextTry(f)} If the funds will be there by then, you don't need to do anything. If they're there already, you can retry the payment now with the same card, or switch to a different card.`
          : `${nextTry(f)} If the funds will be there by then, you don't need to do anything. You can also switch to a different card now.`,
      ],
      ...buttons(links),
      outro: graceOutro(f),
    }),
    // A card that can't be charged again: no retry button, whatever the links.
    'payment_failed.card_invalid': (f, { update: url }): Body => ({
      subject: `Please update your payment method${forBusiness(f)}`,
      heading: "Your card can't be charged",
      intro: [
        `We couldn't charge ${f.amount} to ${card(f)} ${forInvoice(f)}. ${reason(f)}`,
        "This card can't be used for further payments, so we won't try it again. Please add a new card or another payment method: it takes about a minute, and we'll retry the payment as soon as you do.",
      ],
      action: update(url),
      outro: graceOutro(f),
    }),
    // The bank wants the customer to confirm: a retry from here would only be declined again.
    'payment_failed.authentication': (f, { update: url }): Body => ({
      subject: `Please confirm your ${payment(f)} of ${f.amount}`,
      heading: 'Your bank needs you to confirm this payment',
      intro: [
        `Your bank asked for an extra confirmation step before it lets us charge ${f.amount} to ${card(f)} ${forInvoice(f)}. This is a routine security check, such as a code sent to your phone or an approval in your banking app.`,
        'Use the button below to confirm the payment, or to choose a different payment method.',
      ],
      action: update(url, 'Confirm payment'),
      outro: graceOutro(f),
    }),
    'payment_failed.generic': (f, links): Body => ({
      subject: `There was a problem with your ${payment(f)}`,
      heading: "Your payment didn't go through",
      intro: [
        `We couldn't charge ${f.amount} to ${card(f)} ${forInvoice(f)}. ${reason(f)}`,
        links.retry
          ? `${nextTry(f)} You can also retry the payment now. If it keeps failing, using a different card or contacting your bank usually fixes it.`
          : `${nextTry(f)} If it keeps failing, updating your payment method or contacting your bank usually fixes it.`,
      ],
      ...buttons(links),
      outro: graceOutro(f),
    }),
    reminder: (f, links): Body => ({
      subject: `Reminder: your ${payment(f)} of ${f.amount} is still due`,
      heading: 'Your payment is still outstanding',
      intro: [
        `We still haven't been able to collect ${f.amount} ${forInvoice(f)}.`,
        (links.retry
          ? "If your card can take the payment now, retry it with the button below. Or use a different card: it takes about a minute, and we'll retry the payment straight away."
          : "Updating your payment method takes about a minute, and we'll retry the payment straight away.") +
          (f.nextRetry ? ` Otherwise, we'll try your current payment method again on ${f.nextRetry}.` : ''),
      ],
      ...buttons(links),
      outro: graceOutro(f),
    }),
    final_notice: (f, links): Body => {
      const ahead = endAhead(f);
      return {
        subject: ahead ? `Final notice: ${ahead}` : `Final notice: your ${payment(f)} is overdue`,
        heading: 'Final notice: please update your payment method',
        intro: [
          `We've tried several times but still couldn't collect ${f.amount} ${forInvoice(f)}.`,
          ahead
            ? `Unless the payment goes through, ${ahead}.`
            : 'Unless the payment goes through soon, your service may be interrupted.',
          links.retry
            ? `To keep your ${named(f, 'service')}, retry the payment now if your card can take it, or use a different card as soon as possible: we'll retry the payment as soon as you add it.`
            : `To keep your ${named(f, 'service')}, please update your payment method as soon as possible. We'll retry the payment as soon as you do.`,
        ],
        ...buttons(links),
        outro: f.endsAt ? ['Your service keeps running as normal until then.'] : [],
      };
    },
    // The last-chance offer: its page shows it again and takes the answer; a new card still works.
    last_chance_offer: (f, links): Body => {
      const ahead = endAhead(f);
      const what = f.offer ? offerText(f.offer) : 'a way to keep your subscription';
      return {
        subject: `Before your ${named(f, 'subscription')} ends: an offer for you`,
        heading: 'One more option before your subscription ends',
        intro: [
          `We still couldn't collect ${f.amount} ${forInvoice(f)}${ahead ? `, and ${ahead}` : ''}.`,
          `We'd rather keep you with us, so we'd like to offer you ${what}. If you accept, we stop collecting the unpaid amount and your subscription goes on.`,
        ],
        ...(links.offer
          ? { action: { label: ACCEPT_OFFER, url: links.offer }, alternative: { label: USE_DIFFERENT_CARD, url: links.update } }
          : { action: update(links.update) }),
        outro: ['If you would rather pay, a new card settles it: we charge it as soon as you add it.'],
      };
    },
    new_card_declined: (f, links): Body => ({
      subject: `Your new payment method${forBusiness(f)} was declined`,
      heading: 'Your new card was declined too',
      intro: [
        `Thanks for updating your payment method. Unfortunately, when we tried to charge ${f.amount} to ${card(f)} ${forInvoice(f)}, it was declined too.`,
        reason(f),
        links.retry
          ? 'Once the card can take the payment, you can retry it with the button below. Or try another card or payment method, or contact your bank to find out more.'
          : 'Please try another card or payment method, or contact your bank to find out more.',
      ],
      ...buttons(links),
      outro: graceOutro(f),
    }),
    // The case is closed: no button, nothing to do.
    payment_recovered: (f): Body => ({
      subject: `Thank you! Your ${payment(f)} went through`,
      heading: 'Thanks, your payment went through',
      intro: [
        `We've received your payment of ${f.amount} ${forInvoice(f)}. Your subscription is fully up to date and there's nothing else you need to do.`,
        // Another saved card paid (the customer allowed it): which one, so the charge is no surprise.
        ...(f.chargedOtherCard
          ? [
              `As you allowed us to, we charged ${card(f)}, another card saved on your account, after your usual card was declined.`,
            ]
          : []),
      ],
      outro: ['We appreciate having you with us.'],
    }),
    // Before any failure: the card expires before the next renewal. Nothing has gone wrong yet.
    card_expiring: (f, { update: url }): Body => ({
      subject: `Your card for your ${named(f, 'subscription')} expires soon`,
      heading: 'Your card is about to expire',
      intro: [
        `${capitalise(card(f))} ${f.cardExpires ? `expires at the end of ${f.cardExpires}` : 'expires soon'}, before your next payment of ${f.amount}${f.renewsOn ? ` on ${f.renewsOn}` : ''}.`,
        'To keep your subscription running without interruption, please update your card: it takes about a minute.',
      ],
      action: update(url, 'Update my card'),
      outro: ['If your bank has already sent you a new card and you have added it, there is nothing else to do.'],
    }),
    // The case is over: the customer's retry is no longer offered (the dunning has stopped).
    subscription_ended: (f, { update: url }): Body => {
      const cancelled = f.endAction === 'cancel_subscription';
      const subject =
        f.endAction === 'cancel_subscription'
          ? `Your ${named(f, 'subscription')} has been cancelled`
          : f.endAction === 'pause_collection'
            ? `Your ${named(f, 'subscription')} has been paused`
            : `Your access${f.business ? ` to ${f.business}` : ''} has been suspended`;
      return {
        subject,
        heading: subject,
        intro: [
          `We weren't able to collect ${f.amount} ${forInvoice(f)}, so ${endDone(f)}.`,
          cancelled
            ? "We'd love to have you back. Update your payment method with the button below, then reply to this email and we'll help you restart your subscription."
            : 'To restore your access, update your payment method with the button below. As soon as the outstanding payment goes through, everything is back to normal.',
        ],
        action: update(url),
        outro: [],
      };
    },
  },
  reasons: REASONS,
  greeting: (name) => (name ? `Hi ${name},` : 'Hi there,'),
  signoff: (business) => ['Thanks,', business ? `The ${business} team` : 'The billing team'],
  footer: (f) => [
    `You're receiving this email about your ${named(f, 'subscription')}.`,
    f.supportEmail
      ? ['Questions? Reply to this email or write to ', { text: f.supportEmail, href: `mailto:${f.supportEmail}` }, '.']
      : 'Questions? Just reply to this email.',
  ],
  offerText,
  cardLabel: (f) =>
    f.cardBrand || f.cardLast4 ? `${f.cardBrand ?? 'Card'}${f.cardLast4 ? ` •••• ${f.cardLast4}` : ''}` : undefined,
  labels: {
    amountDue: 'Amount due',
    amountPaid: 'Amount paid',
    invoice: 'Invoice',
    paymentMethod: 'Payment method',
    nextRetry: 'Next attempt',
    linkFallback: "If the button doesn't work, copy this link into your browser:",
    linksFallback: "If the buttons don't work, copy a link into your browser:",
    retryNow: RETRY_NOW,
    useDifferentCard: USE_DIFFERENT_CARD,
    acceptOffer: ACCEPT_OFFER,
    nextPayment: 'Next payment',
    cardExpires: 'Card expires',
  },
};
