/** A command-line count (`--cases 2000`) read as a positive whole number, or a one-line error naming the flag. */
export function positiveWholeNumber(flag: string, value: string | undefined): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1) throw new Error(`--${flag}: '${value}' is not a positive whole number`);
  return n;
}
