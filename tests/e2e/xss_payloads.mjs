// XSS payloads for xss_sweep.test.mjs, generated from hand-written families (nothing downloaded):
// tags with every event handler, attribute and element breakouts with each quote style,
// javascript:/data:/vbscript: URLs with case, whitespace, control-character and entity tricks
// in every place a URL goes (markdown links, images, reference links and autolinks too), SVG and
// MathML, template and markdown injections, CSS, JSON/unicode escapes, polyglots and
// prototype-pollution paths.
//
// Each payload carries the literal text `__xss=<id>` (its id is unique), and running it sets that
// global, so a payload that runs, or becomes markup, names itself. `xss=<id>` (underscores may be
// eaten by markdown) is what the sweep looks for to check that every payload reached a page.

const js = (n) => `__xss=${n}`;

// Event handlers, including the ones that fire without a user (onerror, onload, onfocus with
// autofocus, ontoggle with open, onbegin, onanimationstart with an animation, onpageshow).
const kHandlers = [
  'onerror', 'onload', 'onfocus', 'onblur', 'onfocusin', 'onclick', 'ondblclick', 'onmouseover', 'onmouseenter',
  'onmousemove', 'onmousedown', 'onpointerover', 'onpointerenter', 'onpointerdown', 'onanimationstart',
  'onanimationend', 'onanimationiteration', 'ontransitionend', 'ontoggle', 'onbeforetoggle', 'onbegin', 'onend',
  'onrepeat', 'onpageshow', 'onresize', 'onscroll', 'onscrollend', 'onwheel', 'oninput', 'onchange', 'onkeydown',
  'onkeyup', 'onauxclick', 'oncontextmenu', 'onplay', 'oncanplay', 'onloadstart', 'onstart', 'onsearch', 'oncopy',
  'onpaste', 'onselect', 'oninvalid', 'onformdata', 'onhashchange', 'onmessage', 'onpopstate',
];

// Elements that carry a handler; `h` is the handler name, `v` its (quoted or not) value.
const kHandlerTags = [
  (h, v) => `<img src=x ${h}=${v}>`,
  (h, v) => `<svg ${h}=${v}>`,
  (h, v) => `<details open ${h}=${v}><summary>x</summary></details>`,
  (h, v) => `<input autofocus ${h}=${v}>`,
  (h, v) => `<body ${h}=${v}>`,
  (h, v) => `<x contenteditable style=animation-name:x ${h}=${v}>x</x>`,
];

function handlerFamily() {
  const out = [];
  kHandlers.forEach((h, i) => {
    kHandlerTags.forEach((tag, j) => {
      // Quote styles and letter case vary with the pair, so every handler meets each of them.
      const style = (i + j) % 4;
      const name = style === 3 ? h.toUpperCase() : h;
      out.push((n) => tag(name, [js(n), `"${js(n)}"`, `'${js(n)}'`, `\`${js(n)}\``][style]));
    });
  });
  return out;
}

// Breaking out of an attribute value, a JS string, or the element the text is in.
function breakoutFamily() {
  const out = [];
  for (const q of ['"', "'", '`', '']) {
    out.push(
      (n) => `${q}><img src=x onerror=${js(n)}>`,
      (n) => `${q} onmouseover=${q}${js(n)}${q} x=${q}`,
      (n) => `${q} autofocus onfocus=${js(n)} x=${q}`,
      (n) => `${q}/><svg/onload=${js(n)}>`,
      (n) => `${q});${js(n)};//`,
      (n) => `${q}+(${js(n)})+${q}`,
      (n) => `${q}]});${js(n)};//`,
      (n) => `${q} style=${q}animation-name:x${q} onanimationstart=${js(n)} x=${q}`,
      (n) => `${q}><script>${js(n)}</script>`,
    );
  }
  for (const close of ['</title>', '</textarea>', '</style>', '</noscript>', '</script>', '-->', ']]>', '</option></select>',
    '</iframe>', '</xmp>', '</template>', '</plaintext>', '</noembed>', '</noframes>', '</math>', '</svg>']) {
    out.push((n) => `${close}<script>${js(n)}</script>`, (n) => `${close}<img src=x onerror=${js(n)}>`);
  }
  return out;
}

// "javascript:" spelled the ways browsers (or sloppy sanitizers) have accepted.
const kJavascriptSchemes = [
  'javascript:', 'JaVaScRiPt:', 'JAVASCRIPT:', ' javascript:', '\tjavascript:', '\njavascript:', '\u0001javascript:',
  'java\tscript:', 'java\nscript:', 'java\rscript:', 'javascript\t:', '&#106;avascript:', '&#x6A;avascript:',
  '&#0000106;avascript:', 'javascript&colon;', 'javascript&#58;', 'javascript&#x3a;',
  '&#x6A&#x61&#x76&#x61&#x73&#x63&#x72&#x69&#x70&#x74&#x3A', 'javascript%3A', 'jav&#x09;ascript:',
  '\u00a0javascript:', 'javascript://%0a', '\u200bjavascript:',
];

// URLs that run script when followed or loaded.
function urls() {
  const out = kJavascriptSchemes.map((s) => (n) => `${s}${js(n)}`);
  for (const s of ['vbscript:', 'VBScript:', ' vbscript:']) out.push((n) => `${s}msgbox(${js(n)})`);
  out.push(
    (n) => `data:text/html,<script>parent.${js(n)}</script>`,
    (n) => `DATA:text/html,<script>parent.${js(n)}</script>`,
    (n) => `data:text/html;base64,${Buffer.from(`<script>parent.${js(n)}</script>`).toString('base64')}#${js(n)}`,
    (n) => ` data:image/svg+xml,<svg xmlns="http://www.w3.org/2000/svg" onload="parent.${js(n)}"/>`,
    (n) => `data:text/html;charset=utf-8,%3Cscript%3Eparent.${js(n)}%3C/script%3E`,
    (n) => `data:application/javascript,${js(n)}`,
  );
  return out;
}

// Every place a URL can go in HTML or markdown.
const kUrlContexts = [
  (u) => u,
  (u) => `[a link](${u})`,
  (u) => `![an image](${u})`,
  (u) => `<a href="${u}">x</a>`,
  (u) => `<iframe src="${u}"></iframe>`,
  (u) => `<${u}>`,
  (u) => `[ref][r]\n\n[r]: ${u}`,
];

function urlFamily() {
  const out = [];
  urls().forEach((url, i) => {
    // Every URL bare and as a markdown link; the rest of the contexts in turn.
    const contexts = [kUrlContexts[0], kUrlContexts[1], kUrlContexts[2 + (i % 5)], kUrlContexts[2 + ((i + 2) % 5)]];
    for (const context of contexts) out.push((n) => context(url(n)));
  });
  return out;
}

function svgMathFamily() {
  return [
    (n) => `<svg><script>${js(n)}</script></svg>`,
    (n) => `<svg><script href="data:,${js(n)}"/></svg>`,
    (n) => `<svg><animate onbegin=${js(n)} attributeName=x dur=1s>`,
    (n) => `<svg><set attributeName=onmouseover to=${js(n)}>`,
    (n) => `<svg><a xlink:href="javascript:${js(n)}"><text x=20 y=20>x</text></a></svg>`,
    (n) => `<svg><a><animate attributeName=href values=javascript:${js(n)} /><text x=20 y=20>x</text></a></svg>`,
    (n) => `<svg><use href="data:image/svg+xml,<svg id='x' xmlns='http://www.w3.org/2000/svg'><image href='1' onerror='${js(n)}'/></svg>#x"/></svg>`,
    (n) => `<svg><foreignObject><iframe srcdoc="<script>parent.${js(n)}</script>"></iframe></foreignObject></svg>`,
    (n) => `<svg><style><img src=x onerror=${js(n)}></style></svg>`,
    (n) => `<svg><title><img src=x onerror=${js(n)}></title></svg>`,
    (n) => `<svg/onload=${js(n)}>`,
    (n) => `<svg\nonload=${js(n)}>`,
    (n) => `<svg><image href=x onerror=${js(n)}>`,
    (n) => `<svg><discard onbegin=${js(n)}>`,
    (n) => `<math><mtext><table><mglyph><style><img src=x onerror=${js(n)}>`,
    (n) => `<math href="javascript:${js(n)}">CLICK</math>`,
    (n) => `<math><maction actiontype=statusline xlink:href="javascript:${js(n)}">x</maction></math>`,
    (n) => `<math><mi xlink:href="data:x,<script>parent.${js(n)}</script>">x</mi></math>`,
    (n) => `<form><math><mtext></form><form><mglyph><svg><mtext><style><path id="</style><img onerror=${js(n)} src>">`,
    (n) => `<noscript><p title="</noscript><img src=x onerror=${js(n)}>">`,
    (n) => `<object data="data:image/svg+xml,<svg onload='parent.${js(n)}' xmlns='http://www.w3.org/2000/svg'/>">`,
    (n) => `<embed src="javascript:${js(n)}">`,
  ];
}

// Client-side template syntaxes and markdown constructs that a renderer could turn into markup.
function templateMarkdownFamily() {
  return [
    (n) => `{{constructor.constructor('${js(n)}')()}}`,
    (n) => `{{$on.constructor('${js(n)}')()}}`,
    (n) => `\${${js(n)}}`,
    (n) => `#{${js(n)}}`,
    (n) => `<%= ${js(n)} %>`,
    (n) => `{{{<img src=x onerror=${js(n)}>}}}`,
    (n) => `[x](javascript:${js(n)} "title")`,
    (n) => `[x](<javascript:${js(n)}>)`,
    (n) => `[x]( javascript:${js(n)})`,
    (n) => `[x](JAVASCRIPT:${js(n)})`,
    (n) => `[x](javas&#99;ript:${js(n)})`,
    (n) => `[![img](x)](javascript:${js(n)})`,
    (n) => `![x](x" onerror="${js(n)})`,
    (n) => `[x](https://example.org" onclick="${js(n)})`,
    (n) => `[x](#" onmouseover="${js(n)}")`,
    (n) => `<javascript:${js(n)}>`,
    (n) => `**bold <img src=x onerror=${js(n)}>**`,
    (n) => `_em <svg onload=${js(n)}>_`,
    (n) => `\`<script>${js(n)}</script>\``,
    (n) => `\`\`\`html\n<script>${js(n)}</script>\n\`\`\``,
    (n) => `<div>\n<script>${js(n)}</script>\n</div>`,
    (n) => `> <img src=x onerror=${js(n)}>`,
    (n) => `- [ ] <img src=x onerror=${js(n)}>`,
    (n) => `| a | b |\n|---|---|\n| <img src=x onerror=${js(n)}> | [x](javascript:${js(n)}) |`,
    (n) => `# <script>${js(n)}</script>`,
    (n) => `<details open ontoggle=${js(n)}>\n\n**md**\n\n</details>`,
    (n) => `[x]: javascript:${js(n)}\n[x]`,
    (n) => `<!-- --><img src=x onerror=${js(n)}> -->`,
    (n) => `<![CDATA[<img src=x onerror=${js(n)}>]]>`,
    (n) => `<?xml version="1.0"?><img src=x onerror=${js(n)}>`,
  ];
}

function cssFamily() {
  return [
    (n) => `<div style="background:url(javascript:${js(n)})">x</div>`,
    (n) => `<div style="width:expression(${js(n)})">x</div>`,
    (n) => `<style>@import 'javascript:${js(n)}';</style>`,
    (n) => `<style>*{background:url("javascript:${js(n)}")}</style>`,
    (n) => `<style>@keyframes x{}</style><b style=animation-name:x onanimationstart=${js(n)}>x</b>`,
    (n) => `<link rel=stylesheet href="javascript:${js(n)}">`,
    (n) => `<link rel=import href="data:text/html,<script>parent.${js(n)}</script>">`,
    (n) => `<div style="-moz-binding:url(data:text/xml,${js(n)})">x</div>`,
    (n) => `<div style="behavior:url(x.htc) ${js(n)}">x</div>`,
    (n) => `</style><style>body{background:url(x)}</style><img src=x onerror=${js(n)}>`,
    (n) => `x;background:url(javascript:${js(n)})`,
    (n) => `red;}</style><script>${js(n)}</script>`,
    (n) => `<meta http-equiv="refresh" content="0;url=javascript:${js(n)}">`,
    (n) => `<base href="javascript:${js(n)}//">`,
  ];
}

// Escaped forms: a renderer that unescapes before rendering would turn them into markup.
function escapeFamily() {
  return [
    (n) => `\\u003cscript\\u003e${js(n)}\\u003c/script\\u003e`,
    (n) => `\\x3cimg src=x onerror=${js(n)}\\x3e`,
    (n) => `\\u003Cimg src=x onerror=${js(n)}\\u003E`,
    (n) => `&lt;script&gt;${js(n)}&lt;/script&gt;`,
    (n) => `&amp;lt;img src=x onerror=${js(n)}&amp;gt;`,
    (n) => `&#60;img src=x onerror=${js(n)}&#62;`,
    (n) => `&#x3C;svg onload=${js(n)}&#x3E;`,
    (n) => `%3Cscript%3E${js(n)}%3C/script%3E`,
    (n) => `%253Cscript%253E${js(n)}%253C/script%253E`,
    (n) => `\uff1cscript\uff1e${js(n)}\uff1c/script\uff1e`,
    (n) => `<scr\u0000ipt>${js(n)}</scr\u0000ipt>`,
    (n) => `<scr<script>ipt>${js(n)}</scr</script>ipt>`,
    (n) => `+ADw-script+AD4-${js(n)}+ADw-/script+AD4-`,
    (n) => `\u2028${js(n)}\u2029</script><script>${js(n)}</script>`,
    (n) => `"}</script><script>${js(n)}</script>`,
    (n) => `{"a":"</script><script>${js(n)}</script>"}`,
    (n) => `'; ${js(n)}; var x='`,
    (n) => `\\"; ${js(n)}; //`,
    (n) => `\u202e>tpircs/<${js(n)}>tpircs<`,
    (n) => `<img src=x oner\u200bror=${js(n)}>`,
    (n) => `<img/src=x\fonerror=${js(n)}>`,
    (n) => `<img src=x onerror\n=\n${js(n)}>`,
    (n) => `<img src=x onerror=&#x5f;&#x5f;xss=0 onload=${js(n)}>`,
    (n) => `<IMG SRC=x ONERROR=${js(n)}//`,
    (n) => `<img src=\`x\`onerror=${js(n)}>`,
    (n) => `<<script>${js(n)}//<</script>`,
  ];
}

function polyglotFamily() {
  return [
    (n) => `jaVasCript:/*-/*\`/*\\\`/*'/*"/**/(/* */oNcliCk=${js(n)} )//%0D%0A%0d%0a//</stYle/</titLe/</teXtarEa/</scRipt/--!>\\x3csVg/<sVg/oNloAd=${js(n)}//>\\x3e`,
    (n) => `'"--></style></script><svg onload=${js(n)}>`,
    (n) => `"'><img src=x onerror=${js(n)}><"'\`<script>${js(n)}</script>`,
    (n) => `-->'"/></sCript><deTailS open x=">" onToggle=${js(n)}>`,
    (n) => `javascript:"/*'/*\`/*--></noscript></title></textarea></style></template></noembed></script><html " onmouseover=/*&lt;svg/*/onload=${js(n)}//>`,
    (n) => `<x/><title>&lt;/title&gt;&lt;img src=1 onerror=${js(n)}&gt;`,
    (n) => `</script><svg><script>${js(n)}</script></svg><img src=x onerror=${js(n)}>[x](javascript:${js(n)})`,
    (n) => `{{${js(n)}}}<%= ${js(n)} %>\${${js(n)}}<img src=x onerror=${js(n)}>`,
  ];
}

// Paths a naive merge or unflattening would follow into Object.prototype.
function prototypeFamily() {
  return [
    (n) => `__proto__[innerHTML]=<img src=x onerror=${js(n)}>`,
    (n) => `__proto__.onerror=${js(n)}`,
    (n) => `constructor.prototype.srcdoc=<script>${js(n)}</script>`,
    (n) => `constructor[prototype][href]=javascript:${js(n)}`,
    (n) => `__proto__[dangerouslySetInnerHTML][__html]=<img src=x onerror=${js(n)}>`,
    (n) => `[__proto__][polluted]=${js(n)}`,
    (n) => `{"__proto__":{"polluted":"${js(n)}"}}`,
    (n) => `{"constructor":{"prototype":{"polluted":"${js(n)}"}}}`,
  ];
}

// Attribute and metadata keys that name Object.prototype itself or its members: used as keys
// (their values are payloads); a viewer that builds objects from them must not pollute anything.
export const kPrototypeKeys = [
  '__proto__', 'constructor', 'prototype', '__proto__.polluted', 'constructor.prototype.polluted',
  '__defineGetter__', '__lookupSetter__', 'hasOwnProperty', 'toString', 'valueOf', 'isPrototypeOf',
  '__proto__[polluted]', 'toJSON', 'then',
];

const kFamilies = {
  handler: handlerFamily(), breakout: breakoutFamily(), url: urlFamily(), 'svg/mathml': svgMathFamily(),
  'template/markdown': templateMarkdownFamily(), css: cssFamily(), escape: escapeFamily(), polyglot: polyglotFamily(),
  prototype: prototypeFamily(),
};

// Every payload once: [{id, family, text}], ids from 1. Templates that render alike are kept once.
export function xssPayloads() {
  const seen = new Set();
  const out = [];
  for (const [family, templates] of Object.entries(kFamilies)) {
    for (const template of templates) {
      const shape = template('N');
      if (seen.has(shape)) continue;
      seen.add(shape);
      const id = out.length + 1;
      out.push({ id, family, text: template(id) });
    }
  }
  return out;
}

// The ids of payloads named in `text` (a CSP report, an element's markup, a hit list).
export function payloadIdsIn(text) {
  return [...String(text).matchAll(/__xss=(\d+)/g)].map((m) => Number(m[1]));
}
