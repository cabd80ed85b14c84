/**
 * Configuration of the `injection-guard` policy. Defaults favour safety: every location is
 * inspected, paranoia level 1 (the CRS default, tuned for few false positives), and anything past
 * the inspection limits is blocked rather than waved through uninspected.
 */
import { Type, type Static } from 'typebox'
import { Value } from 'typebox/value'

/** The attack families the Portcullis rule set covers. */
export const CATEGORIES = ['sqli', 'cmdi', 'code', 'xss', 'lfi', 'nosql', 'ssrf', 'xxe'] as const
/** One attack family. */
export type Category = (typeof CATEGORIES)[number]

/** One category, as a schema (spelled out so the static type keeps the literals). */
const CategorySchema = Type.Union([
  Type.Literal('sqli'), Type.Literal('cmdi'), Type.Literal('code'), Type.Literal('xss'),
  Type.Literal('lfi'), Type.Literal('nosql'), Type.Literal('ssrf'), Type.Literal('xxe'),
])

/** Silences rules (by id or category) for some locations (`body.description`, `query.*`) of this route. */
export const ExclusionSchema = Type.Object(
  {
    rules: Type.Optional(Type.Array(Type.String({ minLength: 1 }), { description: 'Rule ids to skip (e.g. "pc-942-100").' })),
    categories: Type.Optional(Type.Array(CategorySchema, { description: 'Whole categories to skip.' })),
    locations: Type.Array(Type.String({ minLength: 1 }), {
      minItems: 1,
      description: 'Locations the rules skip: exact (`body.comment`, `query.q`) or a prefix ending in `*` (`body.notes.*`).',
    }),
  },
  { additionalProperties: false },
)

/** The `config` block of an `injection-guard` policy. */
export const InjectionGuardSchema = Type.Object(
  {
    paranoia: Type.Integer({ minimum: 1, maximum: 4, default: 1, description: 'Rules of this paranoia level and below run (OWASP CRS meaning).' }),
    threshold: Type.Integer({ minimum: 1, default: 5, description: 'Anomaly score at which the request is rejected (critical 5, error 4, warning 3, notice 2).' }),
    categories: Type.Array(CategorySchema, { default: [...CATEGORIES], description: 'Attack families to detect.' }),
    headers: Type.Array(Type.String({ minLength: 1 }), {
      default: ['*'],
      description: 'Header names to inspect (lower-case); "*" means every header except `skipHeaders`. Cookies are always parsed and inspected.',
    }),
    skipHeaders: Type.Array(Type.String({ minLength: 1 }), {
      default: ['authorization', 'x-api-key', 'cookie', 'signature', 'signature-input', 'content-digest', 'content-length', 'host', 'connection', 'proxy-authorization'],
      description: 'Headers never inspected (credentials and transport headers).',
    }),
    exclusions: Type.Array(ExclusionSchema, { default: [], description: 'Per-route false-positive exclusions.' }),
    limits: Type.Object(
      {
        maxDepth: Type.Integer({ minimum: 1, maximum: 256, default: 32, description: 'Deepest JSON / XML nesting inspected.' }),
        maxValues: Type.Integer({ minimum: 1, default: 2048, description: 'Most keys and values inspected per request.' }),
        maxBytes: Type.Integer({ minimum: 1024, default: 262_144, description: 'Most characters inspected per request (all values together).' }),
        timeoutMs: Type.Integer({ minimum: 1, default: 100, description: 'Budget for the detection engine per request (a typical request needs well under 1 ms; past the budget, onLimit applies).' }),
      },
      { additionalProperties: false, default: {} },
    ),
    onLimit: Type.Union([Type.Literal('block'), Type.Literal('allow')], {
      default: 'block',
      description: 'Past a limit (or the time budget): "block" rejects the request; "allow" inspects what fits and lets it pass, with an event.',
    }),
  },
  { additionalProperties: false },
)

/** Validated `injection-guard` configuration (defaults applied). */
export type InjectionGuardConfig = Static<typeof InjectionGuardSchema>
/** One exclusion entry. */
export type Exclusion = Static<typeof ExclusionSchema>

/** A partial configuration, as written by a user (defaults fill the rest). */
export type InjectionGuardConfigInput = Partial<Omit<InjectionGuardConfig, 'limits'>> & { limits?: Partial<InjectionGuardConfig['limits']> }

/**
 * Applies the schema's defaults to a partial configuration and checks the result (for library
 * users, tests and benchmarks; the gateway's config loader does the same at start-up).
 */
export function resolveInjectionGuardConfig(partial: InjectionGuardConfigInput = {}): InjectionGuardConfig {
  const config = Value.Default(InjectionGuardSchema, structuredClone(partial)) as InjectionGuardConfig
  if (!Value.Check(InjectionGuardSchema, config)) {
    const first = [...Value.Errors(InjectionGuardSchema, config)][0]
    throw new Error(`injection-guard: invalid config${first ? ` at ${first.instancePath}: ${first.message}` : ''}`)
  }
  return config
}
