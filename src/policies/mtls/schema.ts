import { Type, type Static } from 'typebox'

/** One certificate → consumer mapping: exactly one of fingerprint, subject or san. */
export const MtlsIdentitySchema = Type.Object(
  {
    fingerprint: Type.Optional(
      Type.String({ pattern: '^(sha256:)?([0-9A-Fa-f]{2}:?){31}[0-9A-Fa-f]{2}$', description: 'SHA-256 of the DER certificate: hex, colons allowed (as openssl prints it)' }),
    ),
    subject: Type.Optional(
      Type.Union([Type.String({ minLength: 3 }), Type.Record(Type.String({ minLength: 1 }), Type.String())], {
        description: 'Subject attributes that must all match: "CN=device-1, O=Acme" or { CN: device-1, O: Acme }',
      }),
    ),
    san: Type.Optional(Type.String({ pattern: '^[A-Za-z ]+:.+$', description: 'One subjectAltName entry, e.g. "DNS:sensor-7.iot.example" or "URI:spiffe://acme/device/7"' })),
    consumerId: Type.String({ minLength: 1 }),
    tenant: Type.Optional(Type.String({ minLength: 1 })),
    roles: Type.Array(Type.String(), { default: [] }),
    scopes: Type.Array(Type.String(), { default: [] }),
  },
  {
    additionalProperties: false,
    anyOf: [{ required: ['fingerprint'] }, { required: ['subject'] }, { required: ['san'] }],
  },
)

/** `mtls` configuration. */
export const MtlsSchema = Type.Object(
  {
    required: Type.Boolean({
      default: true,
      description: 'true: no certificate → 401 (unless another authn policy on the route succeeds); false: no certificate → pass unauthenticated',
    }),
    realm: Type.String({ default: 'portcullis', pattern: '^[\\x20-\\x21\\x23-\\x5b\\x5d-\\x7e]{1,64}$' }),
    identities: Type.Array(MtlsIdentitySchema, { default: [], description: 'Certificate → consumer mappings, first match wins' }),
  },
  { additionalProperties: false },
)
export type MtlsConfig = Static<typeof MtlsSchema>
export type MtlsIdentityConfig = Static<typeof MtlsIdentitySchema>
