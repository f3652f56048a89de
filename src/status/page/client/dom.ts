// A tiny element builder: text goes in as text nodes (never parsed as HTML), so every value is escaped by
// construction; the page's Content-Security-Policy (require-trusted-types-for 'script') forbids HTML sinks anyway.

export type Child = Node | string | number | false | null | undefined;
export type Attrs = Record<string, string | number | boolean | undefined>;

export function h(tag: string, attrs: Attrs = {}, ...children: Child[]): HTMLElement {
  const el = document.createElement(tag);
  for (const [name, value] of Object.entries(attrs)) {
    if (value === undefined || value === false) continue;
    el.setAttribute(name, value === true ? '' : String(value));
  }
  append(el, children);
  return el;
}

export function append(el: Node, children: Child[]): void {
  for (const c of children) {
    if (c === null || c === undefined || c === false || c === '') continue;
    el.appendChild(typeof c === 'string' || typeof c === 'number' ? document.createTextNode(String(c)) : c);
  }
}

/** A definition list from [term, value, wide?] entries, leaving out empty values. */
export function facts(pairs: Array<[string, Child, boolean?]>, cls = 'facts'): HTMLElement {
  const dl = h('dl', { class: cls });
  for (const [term, value, wide] of pairs) {
    if (value === undefined || value === null || value === '' || value === false) continue;
    append(dl, [h('div', { class: wide ? 'wide' : undefined }, h('dt', {}, term), h('dd', {}, value))]);
  }
  return dl;
}
