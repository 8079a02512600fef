/** A piece of plain text: words as they are, or a web address to show as a link. */
export type TextPart = { kind: "text"; text: string } | { kind: "link"; text: string; href: string };

// http(s) addresses and bare www. ones; the text stays text (React escapes it), never HTML.
const ADDRESS = /\b(?:https?:\/\/|www\.)[^\s<>"']+/giu;
// Punctuation that ends a sentence rather than the address: "see https://example.com."
const TRAILING = /[.,;:!?)\]}'"»”’]+$/u;

/**
 * Splits plain text into text and links. Only http and https addresses become links (a
 * `javascript:` or `data:` address stays text); a closing parenthesis is kept when the address
 * opened one (Wikipedia's).
 */
export function linkify(text: string): TextPart[] {
  const parts: TextPart[] = [];
  let at = 0;
  for (const match of text.matchAll(ADDRESS)) {
    let address = match[0];
    const start = match.index;
    const trail = TRAILING.exec(address)?.[0] ?? "";
    address = address.slice(0, address.length - trail.length);
    // Give back a ")" that closes one in the address.
    if (trail.startsWith(")") && address.split("(").length > address.split(")").length) address += ")";
    const href = address.toLowerCase().startsWith("www.") ? `https://${address}` : address;
    let url: URL;
    try {
      url = new URL(href);
    } catch {
      continue;
    }
    if (url.protocol !== "http:" && url.protocol !== "https:") continue;
    if (start > at) parts.push({ kind: "text", text: text.slice(at, start) });
    parts.push({ kind: "link", text: address, href: url.href });
    at = start + address.length;
  }
  if (at < text.length) parts.push({ kind: "text", text: text.slice(at) });
  return parts;
}
