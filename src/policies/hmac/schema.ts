import { Type, type Static } from 'typebox'

const Duration = (fallback: number, description: string) =>
  Type.Union([Type.Integer({ minimum: 0 }), Type.String({ pattern: '^\\s*\\d+(\\.\\d+)?\\s*(ms|s|m|h|d)?\\s*$' })], {
    default: fallback,
    description: `${description} Milliseconds, or a string such as "300s", "5m".`,
  })

/**
 * `hmac` configuration. `requiredComponents` are always enforced; on top of them `content-type`
 * must be covered whenever the request has one, and `content-digest` whenever it has content.
 */
export const HmacSchema = Type.Object(
  {
    requiredComponents: Type.Array(Type.String({ minLength: 1, maxLength: 200 }), {
      default: ['@method', '@target-uri'],
      description: 'Components every signature must cover: names such as "@method", "content-type", or full identifiers such as "\\"@query-param\\";name=\\"id\\"".',
    }),
    maxAgeMs: Duration(300_000, 'A signature whose `created` is older than this is refused (replay window).'),
    clockSkewMs: Duration(300_000, 'How far in the future `created` may be.'),
    requireNonce: Type.Boolean({ default: true, description: 'Refuse signatures without a `nonce` (needed for replay prevention).' }),
    algorithms: Type.Array(Type.Union([Type.Literal('hmac-sha256'), Type.Literal('ed25519')]), {
      default: ['hmac-sha256', 'ed25519'],
      minItems: 1,
      uniqueItems: true,
    }),
    label: Type.Optional(Type.String({ pattern: '^[a-z*][a-z0-9_.*-]{0,63}$', description: 'Only verify the signature with this label.' })),
    realm: Type.String({ default: 'portcullis', pattern: '^[\\x20-\\x21\\x23-\\x5b\\x5d-\\x7e]{1,64}$', description: 'realm in WWW-Authenticate.' }),
  },
  { additionalProperties: false },
)

/** Parsed `hmac` config block. */
export type HmacConfig = Static<typeof HmacSchema>
