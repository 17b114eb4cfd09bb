import { hidePassword } from '../security/hide-password.js';

/** Turns the trimmed text of an environment variable into a value, or throws an Error saying what was expected. */
export type Parser<T> = (raw: string) => T;

/** One setting: where it is read from, how it is checked, what it is when unset, and what it means. */
export interface Setting<T> {
  readonly env: string;
  readonly parse: Parser<T>;
  /**
   * The text used when the variable is unset or blank, written as it would be in the environment and parsed
   * like it; `$NAME` stands for the value of the setting read from NAME. Absent: the value is undefined.
   */
  readonly default?: string;
  /** One line for the README's configuration table. */
  readonly doc: string;
  /** A secret: a bad value's problem names the variable but never shows the value. */
  readonly secret?: boolean;
}

export function setting<T>(spec: {
  env: string;
  parse: Parser<T>;
  default: string;
  doc: string;
  secret?: boolean;
}): Setting<T>;
export function setting<T>(spec: {
  env: string;
  parse: Parser<T>;
  doc: string;
  secret?: boolean;
}): Setting<T | undefined>;
export function setting<T>(spec: Setting<T>): Setting<T> {
  return spec;
}

/** Settings, grouped into nested objects the way the configuration object is. */
export interface SettingsSchema {
  readonly [key: string]: Setting<unknown> | SettingsSchema;
}

/** The configuration object a schema describes: the same keys and nesting, each setting replaced by its value. */
export type SettingValues<S extends SettingsSchema> = {
  -readonly [K in keyof S]: S[K] extends Setting<infer T>
    ? T
    : S[K] extends SettingsSchema
      ? SettingValues<S[K]>
      : never;
};

type Env = Record<string, string | undefined>;

/**
 * Reads every setting of the schema from env. A bad value becomes a problem naming its variable (and the
 * setting falls back to its default, so settings derived from it still get a value); the caller decides what
 * the problems mean.
 */
export function readSettings<S extends SettingsSchema>(
  schema: S,
  env: Env,
): { values: SettingValues<S>; problems: string[] } {
  const byEnv = new Map(listSettings(schema).map((entry) => [entry.env, entry]));
  const values = new Map<string, unknown>();
  const reading = new Set<string>();
  const problems: string[] = [];

  const valueOf = (entry: Setting<unknown>): unknown => {
    if (values.has(entry.env)) return values.get(entry.env);
    if (reading.has(entry.env)) throw new Error(`The default of ${entry.env} depends on itself`);
    reading.add(entry.env);
    const value = fromEnv(entry) ?? { value: defaultOf(entry) };
    values.set(entry.env, value.value);
    return value.value;
  };

  const fromEnv = (entry: Setting<unknown>): { value: unknown } | undefined => {
    const raw = env[entry.env];
    if (raw === undefined || raw.trim() === '') return undefined;
    try {
      return { value: entry.parse(raw.trim()) };
    } catch (error) {
      const shown = entry.secret ? ' (hidden)' : `=${JSON.stringify(hidePassword(raw))}`;
      problems.push(`${entry.env}${shown}: ${(error as Error).message}`);
      return undefined;
    }
  };

  const defaultOf = (entry: Setting<unknown>): unknown => {
    if (entry.default === undefined) return undefined;
    const text = entry.default.replace(/\$([A-Z][A-Z0-9_]*)/g, (_, name: string) => {
      const source = byEnv.get(name);
      if (!source) throw new Error(`The default of ${entry.env} refers to ${name}, which is not a setting`);
      return String(valueOf(source));
    });
    try {
      return entry.parse(text);
    } catch (error) {
      problems.push(`${entry.env} (default ${JSON.stringify(text)}): ${(error as Error).message}`);
      return undefined;
    }
  };

  const valuesOf = (group: SettingsSchema): Record<string, unknown> =>
    Object.fromEntries(
      Object.entries(group).map(([key, entry]) => [key, isSetting(entry) ? valueOf(entry) : valuesOf(entry)]),
    );

  return { values: valuesOf(schema) as SettingValues<S>, problems };
}

/** Every setting of the schema, in the order it declares them. */
export function listSettings(schema: SettingsSchema): Setting<unknown>[] {
  return Object.values(schema).flatMap((entry) => (isSetting(entry) ? [entry] : listSettings(entry)));
}

function isSetting(entry: Setting<unknown> | SettingsSchema): entry is Setting<unknown> {
  return typeof entry.env === 'string' && typeof entry.parse === 'function';
}
