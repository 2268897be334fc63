/** A mistake in what the user gave (argument, file, field): reported as one line, exit status 2. */
export class UsageError extends Error {}
