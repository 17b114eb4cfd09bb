/** A value as it may appear in a log or an error message: a URL's password replaced by `***`, anything else as it is. */
export function hidePassword(value: string): string {
  try {
    const url = new URL(value);
    if (!url.password) return value;
    url.password = '***';
    return url.toString();
  } catch {
    return value;
  }
}
