/**
 * Twilio's error body, as the REST API (2010-04-01) answers it and twilio-node's `RestException`
 * reads it (`code`, `message`, `more_info`, `status`): https://www.twilio.com/docs/usage/twilios-response.
 * The codes are Twilio's own (https://www.twilio.com/docs/api/errors), so a caller sees what the
 * real API would say.
 */
export class TwilioHttpError extends Error {
  constructor(
    readonly status: number,
    readonly code: number,
    message: string,
  ) {
    super(message);
  }

  body(): { code: number; message: string; more_info: string; status: number } {
    return {
      code: this.code,
      message: this.message,
      more_info: `https://www.twilio.com/docs/errors/${this.code}`,
      status: this.status,
    };
  }
}

/** The codes the sandbox answers with. */
export const TWILIO_ERRORS = {
  /** HTTP 401, wrong or missing credentials. */
  authenticate: 20003,
  /** HTTP 404, "The requested resource ... was not found". */
  notFound: 20404,
  /** "A 'To' phone number is required." */
  toRequired: 21604,
  /** "The 'To' number ... is not a valid phone number." */
  invalidTo: 21211,
  /** "A 'From' phone number is required." (neither From nor MessagingServiceSid) */
  fromRequired: 21603,
  /** "Message body is required." */
  bodyRequired: 21602,
  /** "Attempt to send to unsubscribed recipient": the number replied STOP to this sender. */
  unsubscribed: 21610,
  /** "The concatenated message body exceeds the 1600 character limit." */
  bodyTooLong: 21617,
  /** HTTP 429 "Too Many Requests". */
  tooManyRequests: 20429,
  /** HTTP 500 (an injected fault). */
  internal: 20500,
} as const;
