// Converts the BPE ranks that js-tiktoken ships into the compact files src/normalize/tokens
// embeds in the binary (run by src/normalize/tokens/CMakeLists.txt; the output is never committed).
//
//   node convert_ranks.mjs OUT_DIR
//
// writes, into OUT_DIR:
//   o200k_base.bpe, cl100k_base.bpe  every token in rank order (rank = position, from 0) as
//                                    one length byte (1..255) followed by the token's bytes
//   unicode_classes.bin              the code point classes the pre-tokenizer patterns use, as runs:
//                                    u32 little-endian first code point, u8 class bits (below),
//                                    ascending; a run lasts until the next one starts
//
// The classes come from this Node.js's own regular expressions, the engine js-tiktoken splits
// with, so the C++ pre-tokenizer sees the same Unicode version as the counts it is tested against.
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import o200k from "js-tiktoken/ranks/o200k_base";
import cl100k from "js-tiktoken/ranks/cl100k_base";

// The split patterns src/normalize/tokens/pre_tokenizer.cc implements by hand. A js-tiktoken
// release that changes them must fail the build rather than silently miscount.
const contractions = "'s|'S|'t|'T|'re|'rE|'Re|'RE|'ve|'vE|'Ve|'VE|'m|'M|'ll|'lL|'Ll|'LL|'d|'D";
const expectedPatterns = {
  o200k_base:
    `[^\\r\\n\\p{L}\\p{N}]?[\\p{Lu}\\p{Lt}\\p{Lm}\\p{Lo}\\p{M}]*[\\p{Ll}\\p{Lm}\\p{Lo}\\p{M}]+(${contractions})?` +
    `|[^\\r\\n\\p{L}\\p{N}]?[\\p{Lu}\\p{Lt}\\p{Lm}\\p{Lo}\\p{M}]+[\\p{Ll}\\p{Lm}\\p{Lo}\\p{M}]*(${contractions})?` +
    `|\\p{N}{1,3}| ?[^\\s\\p{L}\\p{N}]+[\\r\\n/]*|\\s*[\\r\\n]+|\\s+(?!\\S)|\\s+`,
  cl100k_base:
    `(${contractions})|[^\\r\\n\\p{L}\\p{N}]?\\p{L}+|\\p{N}{1,3}| ?[^\\s\\p{L}\\p{N}]+[\\r\\n]*` +
    `|\\s*[\\r\\n]+|\\s+(?!\\S)|\\s+`,
};

function fail(message) {
  console.error(`convert_ranks: ${message}`);
  process.exit(1);
}

// js-tiktoken's format: lines "<tag> <first rank> <base64 token> <base64 token> ...".
function tokensInRankOrder(name, ranks) {
  if (ranks.pat_str !== expectedPatterns[name]) fail(`${name}: js-tiktoken's pattern changed: ${ranks.pat_str}`);
  const tokens = [];
  for (const line of ranks.bpe_ranks.split("\n").filter(Boolean)) {
    const [, first, ...encoded] = line.split(" ");
    encoded.forEach((text, i) => { tokens[Number(first) + i] = Buffer.from(text, "base64"); });
  }
  const out = [];
  for (let rank = 0; rank < tokens.length; ++rank) {
    const token = tokens[rank];
    if (token === undefined) fail(`${name}: no token has rank ${rank}`);
    if (token.length === 0 || token.length > 255) fail(`${name}: rank ${rank} is ${token.length} bytes`);
    out.push(Buffer.from([token.length]), token);
  }
  return Buffer.concat(out);
}

// Bit values shared with pre_tokenizer.cc (CodePointClass).
const classes = [
  [1, /\p{L}/u],
  [2, /\p{N}/u],
  [4, /[\p{Lu}\p{Lt}\p{Lm}\p{Lo}\p{M}]/u],
  [8, /[\p{Ll}\p{Lm}\p{Lo}\p{M}]/u],
  [16, /\s/u],
];

function unicodeClassRuns() {
  const runs = [];
  let previous = -1;
  for (let cp = 0; cp <= 0x10ffff; ++cp) {
    const ch = String.fromCodePoint(cp);
    let bits = 0;
    for (const [bit, re] of classes) if (re.test(ch)) bits |= bit;
    if (bits !== previous) {
      const run = Buffer.alloc(5);
      run.writeUInt32LE(cp, 0);
      run.writeUInt8(bits, 4);
      runs.push(run);
      previous = bits;
    }
  }
  return Buffer.concat(runs);
}

const outDir = process.argv[2];
if (!outDir) fail("usage: node convert_ranks.mjs OUT_DIR");
mkdirSync(outDir, { recursive: true });
writeFileSync(join(outDir, "o200k_base.bpe"), tokensInRankOrder("o200k_base", o200k));
writeFileSync(join(outDir, "cl100k_base.bpe"), tokensInRankOrder("cl100k_base", cl100k));
writeFileSync(join(outDir, "unicode_classes.bin"), unicodeClassRuns());
