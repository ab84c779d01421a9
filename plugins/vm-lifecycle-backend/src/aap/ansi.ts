/**
 * Job output comes from AAP with Ansible's colours (ANSI SGR sequences). The portal renders them;
 * a download or a plain-text client gets the text without them, as AWX's `format=txt` has it.
 */
export function stripAnsi(text: string): string {
  // eslint-disable-next-line no-control-regex
  return text.replace(/\u001b\[[0-9;?]*[A-Za-z]/g, '');
}
