import { Type, type Static } from 'typebox'

const Duration = (fallback: string) => Type.Union([Type.Integer({ minimum: 0 }), Type.String({ pattern: '^\\s*\\d+(\\.\\d+)?\\s*(ms|s|m|h|d)?\\s*$' })], { default: fallback })

/** `api-key` configuration. */
export const ApiKeySchema = Type.Object(
  {
    header: Type.String({ default: 'x-api-key', description: 'Header carrying the key (Authorization: Bearer pcl_... is also read)' }),
    allowBearer: Type.Boolean({ default: true }),
    queryParam: Type.Optional(Type.String({ minLength: 1, description: 'Opt-in: also read the key from this query parameter (keys in URLs end up in logs)' })),
    appHeader: Type.String({ default: 'x-app-id', description: 'Header naming the calling mobile app, checked against a key\'s allowedApps' }),
    bruteForce: Type.Object(
      {
        window: Duration('1m'),
        slowAfter: Type.Integer({ minimum: 1, default: 5, description: 'Failures in the window before answers are delayed' }),
        slowDelay: Duration('200ms'),
        maxDelay: Duration('2s'),
        blockAfter: Type.Integer({ minimum: 1, default: 20, description: 'Failures in the window before the client IP is blocked' }),
        blockFor: Duration('15m'),
      },
      { additionalProperties: false, default: {} },
    ),
  },
  { additionalProperties: false },
)
export type ApiKeyConfig = Static<typeof ApiKeySchema>
