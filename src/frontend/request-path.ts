/**
 * Splits an encoded URL path into segments, each decoded exactly once. Returns undefined when a
 * segment could step out of its folder or hide: `.` or `..` (in any encoding), a dotfile, an
 * encoded `/`, a backslash, a control character, a `%` left after decoding (double encoding),
 * an empty segment, or bad percent-encoding.
 */
export function decodeRequestPath(encoded: string): string[] | undefined {
  if (encoded === '') return [];
  const segments: string[] = [];
  for (const raw of encoded.split('/')) {
    let segment: string;
    try {
      segment = decodeURIComponent(raw);
    } catch {
      return undefined;
    }
    if (segment === '' || segment.startsWith('.') || /[/\\%\u0000-\u001f\u007f]/.test(segment)) return undefined;
    segments.push(segment);
  }
  return segments;
}

/** The still-encoded path of a request URL after `prefix`, without the query; undefined when it does not start so. */
export function encodedPathAfter(url: string, prefix: string): string | undefined {
  const path = url.split(/[?#]/, 1)[0];
  return path.startsWith(prefix) ? path.slice(prefix.length) : undefined;
}
