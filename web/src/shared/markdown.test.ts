import { describe, expect, it } from 'vitest';
import { looksLikeMarkdown, parseMarkdown, safeHref, type MdNode } from './markdown';

// Every string a node tree would put into the page, with node types, for compact assertions.
function flat(nodes: MdNode[]): string {
  return nodes.map((n) => {
    switch (n.t) {
      case 'text': return n.text;
      case 'code': case 'codespan': return `${n.t}(${n.text})`;
      case 'link': return `link[${n.href}](${flat(n.children)})`;
      case 'list': return `list(${n.items.map((i) => `${i.checked === null ? '' : i.checked ? '[x]' : '[ ]'}${flat(i.children)}`).join('|')})`;
      case 'table': return `table(${n.header.map(flat).join(',')};${n.rows.map((r) => r.map(flat).join(',')).join(';')})`;
      case 'br': case 'hr': return n.t;
      case 'heading': return `h${n.depth}(${flat(n.children)})`;
      default: return `${n.t}(${flat(n.children)})`;
    }
  }).join('');
}

describe('parseMarkdown', () => {
  it('keeps emphasis, code, headings and lists', () => {
    expect(flat(parseMarkdown('# Title\n\nSome **bold**, *em* and `x<y`.\n\n- one\n- [x] two\n\n```py\nprint(1)\n```')))
      .toBe('h1(Title)paragraph(Some strong(bold), em(em) and codespan(x<y).)list(one|[x]two)code(print(1))');
  });

  it('shows raw HTML as text instead of markup', () => {
    expect(flat(parseMarkdown('<img src=x onerror=alert(1)> and <b>b</b>\n\n<script>alert(2)</script>')))
      .toBe('paragraph(<img src=x onerror=alert(1)> and <b>b</b>)<script>alert(2)</script>');
  });

  it('keeps only http(s) and mailto link targets', () => {
    expect(flat(parseMarkdown('[a](javascript:alert(1)) [b](https://x.org/p?q=1) [c](mailto:x@y.z) [d](/relative) [e](data:text/html,hi)')))
      .toBe('paragraph(link[null](a) link[https://x.org/p?q=1](b) link[mailto:x@y.z](c) link[null](d) link[null](e))');
  });

  it('turns images into links so nothing loads', () => {
    expect(flat(parseMarkdown('![cat](https://e.org/cat.png) ![x](javascript:1)')))
      .toBe('paragraph(link[https://e.org/cat.png]([image: cat]) link[null]([image: x]))');
  });

  it('reads tables', () => {
    expect(flat(parseMarkdown('| a | b |\n|---|---|\n| 1 | **2** |'))).toBe('table(a,b;1,strong(2))');
  });

  it('survives very deep nesting', () => {
    const nodes = parseMarkdown(`${'> '.repeat(500)}deep`);
    expect(JSON.stringify(nodes)).toContain('deep');
  });
});

describe('safeHref', () => {
  it('rejects obfuscated script URLs', () => {
    expect(safeHref(' JaVaScRiPt:alert(1)')).toBeNull();
    expect(safeHref('java\tscript:alert(1)')).toBeNull();
    expect(safeHref('HTTPS://Example.org')).toBe('https://example.org/');
  });
});

describe('looksLikeMarkdown', () => {
  it('tells markup from plain text', () => {
    expect(looksLikeMarkdown('It is 12°C and raining.')).toBe(false);
    expect(looksLikeMarkdown('1. first\n2. second')).toBe(true);
    expect(looksLikeMarkdown('use `ls`')).toBe(true);
  });
});
