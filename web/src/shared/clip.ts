// Long texts shown clipped until the reader asks for all of it. Pure.

// The start of `text`: at most `maxChars` characters and `maxLines` lines; `hidden` counts the
// characters left out (0 when the whole text fits).
export function clipText(text: string, maxChars: number, maxLines: number): { shown: string; hidden: number } {
  let end = Math.min(text.length, maxChars);
  let newlines = 0;
  for (let i = 0; i < end; i++) {
    if (text.charCodeAt(i) === 10 && ++newlines === maxLines) {
      end = i;
      break;
    }
  }
  return { shown: text.slice(0, end), hidden: text.length - end };
}
