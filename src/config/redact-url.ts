/** The text of a URL with any password replaced by `***`, also when it does not parse as one. */
export function redactUrlText(text: string): string {
  return text.replace(/^([a-z][a-z0-9+.-]*:\/*[^/@:]*:)[^/]*@/i, '$1***@');
}
