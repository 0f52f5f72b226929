// The series selectors of a PromQL expression — metric name and label
// matchers — for checking deploy/'s alert rules and dashboard against the
// metrics the code registers. Not a PromQL parser (promtool checks syntax):
// it drops what cannot name a series (strings aside, ranges, grouping label
// lists, numbers, functions, keywords) and reads what is left.

export interface Matcher {
  label: string;
  op: '=' | '!=' | '=~' | '!~';
  value: string;
}

export interface Selector {
  metric: string;
  matchers: Matcher[];
}

const KEYWORDS = new Set(['and', 'or', 'unless', 'offset', 'bool', 'atan2', 'inf', 'nan', 'by', 'without', 'on', 'ignoring',
  'group_left', 'group_right']);

/** Every series selector in expr; throws on one without a metric name ({__name__=~...}), which no name check could follow. */
export function selectorsOf(expr: string): Selector[] {
  const strings: string[] = [];
  let text = expr
    .replace(/"(?:[^"\\]|\\.)*"|'(?:[^'\\]|\\.)*'|`[^`]*`/g, (s) => `\uE000${strings.push(JSON.parse(s.startsWith('"') ? s : JSON.stringify(s.slice(1, -1)))) - 1}\uE000`)
    .replace(/#[^\n]*/g, ' ')
    .replace(/\[[^\]]*\]/g, ' ')
    .replace(/\b(by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)/g, ' ');
  const found: Selector[] = [];
  text = text.replace(/([A-Za-z_:][\w:]*)?\s*\{([^}]*)\}/g, (_all, name: string | undefined, body: string) => {
    if (!name || KEYWORDS.has(name)) throw new Error(`a selector without a metric name in ${JSON.stringify(expr)}`);
    const matchers: Matcher[] = [];
    for (const part of body.split(',').map((s) => s.trim()).filter(Boolean)) {
      const m = /^([A-Za-z_]\w*)\s*(=~|!~|!=|=)\s*\uE000(\d+)\uE000$/.exec(part);
      if (!m) throw new Error(`cannot read the matcher ${JSON.stringify(part)} in ${JSON.stringify(expr)}`);
      matchers.push({ label: m[1]!, op: m[2] as Matcher['op'], value: strings[Number(m[3])]! });
    }
    found.push({ metric: name, matchers });
    return ' ';
  });
  // Numbers and durations (0.5, 1e3, 30m) before names, so "30m" is not read as "m".
  text = text.replace(/(^|[^\w:])\d[\w.]*/g, '$1 ');
  for (const m of text.matchAll(/[A-Za-z_:][\w:]*/g)) {
    const name = m[0];
    const after = text.slice(m.index + name.length).trimStart();
    if (KEYWORDS.has(name) || after.startsWith('(')) continue; // a keyword or a function
    found.push({ metric: name, matchers: [] });
  }
  return found;
}

/** The literal values a matcher can match when its regex is a plain alternation ("a|b"); undefined otherwise. */
export function literalValues(m: Matcher): string[] | undefined {
  if (m.op === '=' || m.op === '!=') return [m.value];
  return /^[\w.:\- ]+(\|[\w.:\- ]+)*$/.test(m.value) ? m.value.split('|') : undefined;
}
