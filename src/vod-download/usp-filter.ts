import { InvalidRequestError } from '../common/invalid-request.error.js';

/**
 * Unified Streaming's track-selection expressions, e.g.
 * `(type=="audio"&&systemLanguage=="eng")||(type=="video"&&DisplayWidth==1024)`:
 * comparisons joined by `&&` (binding tighter) and `||`, with parentheses.
 */
export type FilterExpression =
  | { kind: 'or' | 'and'; left: FilterExpression; right: FilterExpression }
  | { kind: 'compare'; field: TrackField; operator: ComparisonOperator; value: string | number };

export type ComparisonOperator = '==' | '!=' | '<' | '<=' | '>' | '>=';

export const TRACK_FIELDS = [
  'type',
  'systemLanguage',
  'systemBitrate',
  'DisplayWidth',
  'DisplayHeight',
  'MaxWidth',
  'MaxHeight',
  'FourCC',
  'channels',
  'SamplingRate',
  'trackID',
  'trackName',
] as const;

export type TrackField = (typeof TRACK_FIELDS)[number];

/** What a filter is evaluated against: one stream of a probed source. */
export type TrackProperties = Partial<Record<TrackField, string | number>>;

export class FilterSyntaxError extends InvalidRequestError {
  constructor(
    message: string,
    readonly position: number,
  ) {
    super(`${message} at position ${position + 1}`);
  }
}

type Token =
  | { kind: 'field'; text: TrackField; position: number }
  | { kind: 'string' | 'number'; value: string | number; position: number }
  | { kind: 'operator'; text: ComparisonOperator | '&&' | '||' | '(' | ')'; position: number }
  | { kind: 'end'; position: number };

const FIELD_BY_LOWER_NAME = new Map<string, TrackField>(TRACK_FIELDS.map((field) => [field.toLowerCase(), field]));
const FLIPPED: Record<ComparisonOperator, ComparisonOperator> = {
  '==': '==',
  '!=': '!=',
  '<': '>',
  '<=': '>=',
  '>': '<',
  '>=': '<=',
};

export function parseFilter(source: string): FilterExpression {
  const tokens = tokenize(source);
  let index = 0;
  const peek = () => tokens[index];
  const take = () => tokens[Math.min(index++, tokens.length - 1)];

  const parseOr = (): FilterExpression => {
    let left = parseAnd();
    while (isOperator(peek(), '||')) {
      take();
      left = { kind: 'or', left, right: parseAnd() };
    }
    return left;
  };
  const parseAnd = (): FilterExpression => {
    let left = parseTerm();
    while (isOperator(peek(), '&&')) {
      take();
      left = { kind: 'and', left, right: parseTerm() };
    }
    return left;
  };
  const parseTerm = (): FilterExpression => {
    const token = peek();
    if (isOperator(token, '(')) {
      take();
      const inner = parseOr();
      const closing = take();
      if (!isOperator(closing, ')'))
        throw new FilterSyntaxError(`Expected ")" but found ${describe(closing)}`, closing.position);
      return inner;
    }
    const left = take();
    if (left.kind === 'end' || left.kind === 'operator') {
      throw new FilterSyntaxError(
        `Expected a comparison such as type=="audio" but found ${describe(left)}`,
        left.position,
      );
    }
    const operator = take();
    if (operator.kind !== 'operator' || !(operator.text in FLIPPED)) {
      throw new FilterSyntaxError(`Expected a comparison operator but found ${describe(operator)}`, operator.position);
    }
    const right = take();
    const comparison = operator.text as ComparisonOperator;
    if (left.kind === 'field' && (right.kind === 'string' || right.kind === 'number')) {
      return { kind: 'compare', field: left.text, operator: comparison, value: right.value };
    }
    if (right.kind === 'field' && (left.kind === 'string' || left.kind === 'number')) {
      return { kind: 'compare', field: right.text, operator: FLIPPED[comparison], value: left.value };
    }
    const culprit = left.kind === 'field' ? right : left;
    throw new FilterSyntaxError(
      `A comparison needs a track field and a value, found ${describe(culprit)}`,
      culprit.position,
    );
  };

  const expression = parseOr();
  const rest = peek();
  if (rest.kind !== 'end') throw new FilterSyntaxError(`Unexpected ${describe(rest)}`, rest.position);
  return expression;
}

/** True when the track satisfies the expression. A field the track lacks matches only `!=`. */
export function matchesFilter(expression: FilterExpression, track: TrackProperties): boolean {
  switch (expression.kind) {
    case 'or':
      return matchesFilter(expression.left, track) || matchesFilter(expression.right, track);
    case 'and':
      return matchesFilter(expression.left, track) && matchesFilter(expression.right, track);
    case 'compare':
      return compare(expression, track[expression.field]);
  }
}

function compare(
  expression: Extract<FilterExpression, { kind: 'compare' }>,
  actual: string | number | undefined,
): boolean {
  if (actual === undefined) return expression.operator === '!=';
  const { field, operator, value } = expression;
  if (operator === '==' || operator === '!=') {
    const equal =
      field === 'systemLanguage'
        ? sameLanguage(String(actual), String(value))
        : typeof value === 'number' || typeof actual === 'number'
          ? Number(actual) === Number(value)
          : String(actual).toLowerCase() === String(value).toLowerCase();
    return operator === '==' ? equal : !equal;
  }
  const [a, b] = [Number(actual), Number(value)];
  if (Number.isNaN(a) || Number.isNaN(b)) return false;
  return operator === '<' ? a < b : operator === '<=' ? a <= b : operator === '>' ? a > b : a >= b;
}

// ISO 639-1 to 639-2 (bibliographic codes after the slash) for the languages recordings are likely to carry.
const ISO_639: Record<string, string> = {
  ar: 'ara',
  bg: 'bul',
  ca: 'cat',
  cs: 'ces/cze',
  cy: 'cym/wel',
  da: 'dan',
  de: 'deu/ger',
  el: 'ell/gre',
  en: 'eng',
  es: 'spa',
  et: 'est',
  eu: 'eus/baq',
  fi: 'fin',
  fr: 'fra/fre',
  ga: 'gle',
  he: 'heb',
  hi: 'hin',
  hr: 'hrv',
  hu: 'hun',
  is: 'isl/ice',
  it: 'ita',
  ja: 'jpn',
  ko: 'kor',
  lb: 'ltz',
  lt: 'lit',
  lv: 'lav',
  mk: 'mkd/mac',
  mt: 'mlt',
  nl: 'nld/dut',
  no: 'nor',
  pl: 'pol',
  pt: 'por',
  ro: 'ron/rum',
  ru: 'rus',
  sk: 'slk/slo',
  sl: 'slv',
  sq: 'sqi/alb',
  sr: 'srp',
  sv: 'swe',
  tr: 'tur',
  uk: 'ukr',
  zh: 'zho/chi',
};
const LANGUAGE_GROUP = new Map<string, string>(
  Object.entries(ISO_639).flatMap(([two, threes]) => [
    [two, two],
    ...threes.split('/').map((three) => [three, two] as [string, string]),
  ]),
);

/** Compares language codes so that "en", "eng" and "en-GB" all match each other. */
export function sameLanguage(a: string, b: string): boolean {
  const normalise = (code: string) => {
    const primary = code.toLowerCase().split(/[-_]/)[0];
    return LANGUAGE_GROUP.get(primary) ?? primary;
  };
  return normalise(a) === normalise(b);
}

function tokenize(source: string): Token[] {
  const tokens: Token[] = [];
  let i = 0;
  while (i < source.length) {
    const char = source[i];
    if (/\s/.test(char)) {
      i++;
      continue;
    }
    const two = source.slice(i, i + 2);
    if (['==', '!=', '<=', '>=', '&&', '||'].includes(two)) {
      tokens.push({ kind: 'operator', text: two as ComparisonOperator, position: i });
      i += 2;
    } else if ('<>()'.includes(char)) {
      tokens.push({ kind: 'operator', text: char as '<' | '>' | '(' | ')', position: i });
      i++;
    } else if (char === '"' || char === "'") {
      const start = i;
      let value = '';
      i++;
      while (i < source.length && source[i] !== char) {
        if (source[i] === '\\' && i + 1 < source.length) i++;
        value += source[i++];
      }
      if (i >= source.length) throw new FilterSyntaxError('Unterminated string', start);
      i++;
      tokens.push({ kind: 'string', value, position: start });
    } else if (/[0-9]/.test(char) || (char === '-' && /[0-9]/.test(source[i + 1] ?? ''))) {
      const match = /^-?\d+(\.\d+)?/.exec(source.slice(i))!;
      tokens.push({ kind: 'number', value: Number(match[0]), position: i });
      i += match[0].length;
    } else if (/[A-Za-z_]/.test(char)) {
      const word = /^[A-Za-z_][A-Za-z0-9_]*/.exec(source.slice(i))![0];
      const field = FIELD_BY_LOWER_NAME.get(word.toLowerCase());
      if (!field) throw new FilterSyntaxError(`Unknown track field "${word}" (known: ${TRACK_FIELDS.join(', ')})`, i);
      tokens.push({ kind: 'field', text: field, position: i });
      i += word.length;
    } else {
      throw new FilterSyntaxError(`Unexpected character "${char}"`, i);
    }
  }
  tokens.push({ kind: 'end', position: source.length });
  return tokens;
}

function isOperator(token: Token, text: string): boolean {
  return token.kind === 'operator' && token.text === text;
}

function describe(token: Token): string {
  switch (token.kind) {
    case 'end':
      return 'the end of the filter';
    case 'field':
      return `"${token.text}"`;
    case 'operator':
      return `"${token.text}"`;
    default:
      return JSON.stringify(token.value);
  }
}
