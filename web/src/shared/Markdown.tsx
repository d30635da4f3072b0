// Renders the safe node tree of markdown.ts as React elements: every string is a React text
// node (escaped), links carry only the http(s)/mailto targets markdown.ts kept and open in a new
// tab without referrer. No dangerouslySetInnerHTML anywhere.
import { useMemo, useState, type ReactNode } from 'react';
import { clipText } from './clip';
import { looksLikeMarkdown, parseMarkdown, type MdNode } from './markdown';

function render(nodes: MdNode[]): ReactNode[] {
  return nodes.map((n, i) => {
    switch (n.t) {
      case 'text': return n.text;
      case 'paragraph': return <p key={i}>{render(n.children)}</p>;
      case 'strong': return <strong key={i}>{render(n.children)}</strong>;
      case 'em': return <em key={i}>{render(n.children)}</em>;
      case 'del': return <del key={i}>{render(n.children)}</del>;
      case 'blockquote': return <blockquote key={i}>{render(n.children)}</blockquote>;
      case 'heading': {
        const Tag = `h${Math.min(6, n.depth + 3)}` as 'h4' | 'h5' | 'h6'; // below the panel's own headings
        return <Tag key={i} className="md-heading">{render(n.children)}</Tag>;
      }
      case 'code': return <pre key={i} className="md-code"><code>{n.text}</code></pre>;
      case 'codespan': return <code key={i}>{n.text}</code>;
      case 'link': return n.href
        ? <a key={i} href={n.href} target="_blank" rel="noopener noreferrer nofollow">{render(n.children)}</a>
        : <span key={i} className="md-unsafe-link">{render(n.children)}</span>;
      case 'list': {
        const items = n.items.map((item, j) => (
          <li key={j}>{item.checked !== null && <input type="checkbox" checked={item.checked} disabled />}{render(item.children)}</li>
        ));
        return n.ordered ? <ol key={i} start={n.start}>{items}</ol> : <ul key={i}>{items}</ul>;
      }
      case 'table': return (
        <table key={i} className="md-table">
          <thead><tr>{n.header.map((cell, j) => <th key={j}>{render(cell)}</th>)}</tr></thead>
          <tbody>{n.rows.map((row, j) => <tr key={j}>{row.map((cell, k) => <td key={k}>{render(cell)}</td>)}</tr>)}</tbody>
        </table>
      );
      case 'br': return <br key={i} />;
      case 'hr': return <hr key={i} />;
    }
  });
}

// Texts longer than this are clipped until "show all".
const kClipChars = 4000;
const kClipLines = 60;

// A long text (message, input, output): clipped with "show all", as markdown when `markdown` is
// set and the text has markup, else as pre-wrapped plain text.
export function LongText({ text, markdown = false }: { text: string; markdown?: boolean }) {
  const [all, setAll] = useState(false);
  const clip = useMemo(() => clipText(text, kClipChars, kClipLines), [text]);
  const shown = all ? text : clip.shown;
  const nodes = useMemo(() => (markdown && looksLikeMarkdown(shown) ? parseMarkdown(shown) : null), [markdown, shown]);
  return (
    <div className="long-text">
      {nodes ? <div className="markdown">{render(nodes)}</div> : <div className="message-text">{shown}</div>}
      {clip.hidden > 0 && (
        <button className="link" onClick={() => setAll(!all)}>
          {all ? 'show less' : `show all (${clip.hidden.toLocaleString('en-US')} more characters)`}
        </button>
      )}
    </div>
  );
}
