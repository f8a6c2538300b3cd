/** The floor's activity: nothing but the time it ran (the floor's "email was sent" moment). */
export async function noop(): Promise<number> {
  return Date.now();
}
