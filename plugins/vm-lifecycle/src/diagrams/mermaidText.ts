const MAX_LABEL_LENGTH = 90;

/**
 * Makes free text (event messages, AAP tracebacks) safe inside a mermaid label. Mermaid ends a
 * message at '#', ';' or a newline and treats '%%' as a comment, so an unescaped AAP message
 * could cut a diagram short or break it entirely. Long texts are shortened: a diagram is an
 * overview, the job output card has the details.
 */
export function mermaidLabel(
  text: string,
  maxLength = MAX_LABEL_LENGTH,
): string {
  const clean = text
    .replace(/[\r\n\t]+/g, ' ')
    .replace(/;/g, ',')
    .replace(/#/g, 'no. ')
    .replace(/%/g, ' percent')
    .replace(/[<>{}[\]"`]/g, '')
    .replace(/\s+/g, ' ')
    .trim();
  if (clean.length <= maxLength) return clean;
  return `${clean.slice(0, maxLength - 1).trimEnd()}…`;
}
