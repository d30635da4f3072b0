// Token counts by js-tiktoken itself, the reference src/normalize/tokens' tests compare with
// (run by src/normalize/tokens/CMakeLists.txt at build time; the output is never committed).
//
//   node count_tokens.mjs OUT_FILE FILE...
//
// writes one JSON object per line, for each encoding, file, and the file's whole text and each of
// its lines: {"encoding", "file", "line" (0 = the whole file), "text", "tokens"}. The text is in
// the output so a test compares exactly what was counted, even if a file changes later.
// Counting is js-tiktoken's encode(text, [], []): special-token text counts as ordinary text.
import { readFileSync, writeFileSync } from "node:fs";
import { getEncoding } from "js-tiktoken";

const [outFile, ...files] = process.argv.slice(2);
if (!outFile || files.length === 0) {
  console.error("usage: node count_tokens.mjs OUT_FILE FILE...");
  process.exit(1);
}
const rows = [];
for (const name of ["o200k_base", "cl100k_base"]) {
  const encoding = getEncoding(name);
  const count = (text) => encoding.encode(text, [], []).length;
  for (const file of files) {
    const text = readFileSync(file, "utf8");
    const row = (line, t) => JSON.stringify({ encoding: name, file, line, text: t, tokens: count(t) });
    rows.push(row(0, text));
    text.split("\n").forEach((t, i) => rows.push(row(i + 1, t)));
  }
}
writeFileSync(outFile, rows.join("\n") + "\n");
