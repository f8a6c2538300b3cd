/**
 * `BUSINESS_NAME` is either a real name ("Acme") or, by default, a description of the customer's
 * own thing: "Your subscription". A description can't stand where a name does ("Your Your
 * subscription payment", "The Your subscription team", or English inside a Vietnamese sentence),
 * so the copy is written with the name optional: "your Acme payment" with a name, "your
 * subscription payment" without one, each language in its own words.
 *
 * A configured value that starts with the possessive "Your" (any case) describes rather than
 * names: the default, and the like of "Your account". Anything else is a name and is used as is.
 */
export function brandName(businessName: string): string | undefined {
  const name = businessName.trim();
  return name === '' || /^your\s/i.test(name) ? undefined : name;
}
