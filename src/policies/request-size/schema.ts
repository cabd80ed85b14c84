import { Type, type Static } from 'typebox'

const Size = Type.Union([Type.Integer({ minimum: 0 }), Type.String({ pattern: '^\\s*\\d+(\\.\\d+)?\\s*([kKmMgG][iI]?[bB]|[bB])?\\s*$' })])

/** `request-size` configuration: per-route caps, tighter than the listener's global limits. */
export const RequestSizeSchema = Type.Object(
  {
    maxBodyBytes: Type.Optional(Size),
    maxUrlBytes: Type.Optional(Size),
    maxQueryParams: Type.Optional(Type.Integer({ minimum: 0 })),
    maxHeaderCount: Type.Optional(Type.Integer({ minimum: 1 })),
  },
  { additionalProperties: false },
)
export type RequestSizeConfig = Static<typeof RequestSizeSchema>
