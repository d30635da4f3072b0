// Markdown (of LLM messages, so hostile) as a small tree of safe nodes for Markdown.tsx to turn
// into React elements. marked only tokenizes; nothing here or there ever produces an HTML
// string. Raw HTML in the source stays visible text, links keep their target only for http(s)
// and mailto, and images become links (nothing is loaded from a URL a model wrote). Character
// references ("&amp;") are shown as written. Pure.

import { lexer, type Token, type Tokens } from 'marked';

export type MdNode =
  | { t: 'text'; text: string }
  | { t: 'paragraph' | 'strong' | 'em' | 'del' | 'blockquote'; children: MdNode[] }
  | { t: 'heading'; depth: number; children: MdNode[] }
  | { t: 'code'; text: string; lang: string }
  | { t: 'codespan'; text: string }
  | { t: 'link'; href: string | null; children: MdNode[] } // href null: not a safe URL, shown as text
  | { t: 'list'; ordered: boolean; start: number; items: { checked: boolean | null; children: MdNode[] }[] }
  | { t: 'table'; header: MdNode[][]; rows: MdNode[][][] }
  | { t: 'br' }
  | { t: 'hr' };

const kSafeProtocols = new Set(['http:', 'https:', 'mailto:']);

// `href` when it is an absolute http(s) or mailto URL, else null.
export function safeHref(href: string): string | null {
  let url: URL;
  try {
    url = new URL(href.trim());
  } catch {
    return null;
  }
  return kSafeProtocols.has(url.protocol) ? url.href : null;
}

// Nesting deeper than this is shown as its source text (no stack overflow on "> > > …").
const kMaxDepth = 40;

function convert(tokens: Token[] | undefined, depth: number): MdNode[] {
  const out: MdNode[] = [];
  for (const token of tokens ?? []) {
    const node = convertOne(token as Tokens.Generic, depth);
    if (node === null) continue;
    // Adjacent text joins, so "a" "*" "b" (escapes) read as one string.
    const last = out[out.length - 1];
    if (node.t === 'text' && last?.t === 'text') last.text += node.text; else out.push(node);
  }
  return out;
}

function convertOne(token: Tokens.Generic, depth: number): MdNode | null {
  if (depth > kMaxDepth) return { t: 'text', text: token.raw };
  const children = () => convert(token.tokens, depth + 1);
  switch (token.type) {
    case 'space':
    case 'def': // link definitions are resolved by the lexer; the definition itself shows nothing
    case 'checkbox': // carried by its list item
      return null;
    case 'paragraph':
    case 'strong':
    case 'em':
    case 'del':
    case 'blockquote':
      return { t: token.type, children: children() };
    case 'heading':
      return { t: 'heading', depth: Math.min(6, Math.max(1, Number(token.depth) || 1)), children: children() };
    case 'text':
      return token.tokens ? { t: 'paragraph', children: children() } : { t: 'text', text: String(token.text) };
    case 'escape':
      return { t: 'text', text: String(token.text) };
    case 'html':
      return { t: 'text', text: String(token.raw) };
    case 'code':
      return { t: 'code', text: String(token.text), lang: String(token.lang ?? '') };
    case 'codespan':
      return { t: 'codespan', text: String(token.text) };
    case 'br':
      return { t: 'br' };
    case 'hr':
      return { t: 'hr' };
    case 'link':
      return { t: 'link', href: safeHref(String(token.href)), children: children() };
    case 'image':
      return { t: 'link', href: safeHref(String(token.href)), children: [{ t: 'text', text: `[image: ${String(token.text)}]` }] };
    case 'list': {
      const list = token as unknown as Tokens.List;
      return {
        t: 'list', ordered: list.ordered, start: typeof list.start === 'number' ? list.start : 1,
        items: list.items.map((item) => ({
          checked: item.task ? Boolean(item.checked) : null,
          children: unwrapTight(convert(item.tokens, depth + 1)),
        })),
      };
    }
    case 'table': {
      const table = token as unknown as Tokens.Table;
      return {
        t: 'table',
        header: table.header.map((cell) => convert(cell.tokens, depth + 1)),
        rows: table.rows.map((row) => row.map((cell) => convert(cell.tokens, depth + 1))),
      };
    }
    default:
      return { t: 'text', text: String(token.raw ?? '') };
  }
}

// A tight list item's text comes as one paragraph-like block; show it inline.
function unwrapTight(nodes: MdNode[]): MdNode[] {
  return nodes.length === 1 && nodes[0].t === 'paragraph' ? nodes[0].children : nodes;
}

export function parseMarkdown(source: string): MdNode[] {
  return convert(lexer(source, { gfm: true }), 0);
}

// Whether `text` is worth rendering as markdown (has any markup); plain text stays a text block.
export function looksLikeMarkdown(text: string): boolean {
  return /(^|\n)\s{0,3}(#{1,6}\s|[-*+]\s|\d+[.)]\s|>|```|\|)|\*\*|__|`|\[[^\]]*\]\(|~~/.test(text);
}
