/**
 * RFC 8414 authorization server metadata, built once per server (it changes only with config).
 */
import { PATHS } from './context.js'

/** The metadata document served at `/.well-known/oauth-authorization-server`. */
export function buildMetadata(issuer: string, options: { authorizationCode: boolean; scopes?: readonly string[] | undefined }): Record<string, unknown> {
  const authMethods = ['client_secret_basic', 'client_secret_post']
  const metadata: Record<string, unknown> = {
    issuer,
    token_endpoint: issuer + PATHS.token,
    jwks_uri: issuer + PATHS.jwks,
    revocation_endpoint: issuer + PATHS.revoke,
    introspection_endpoint: issuer + PATHS.introspect,
    grant_types_supported: options.authorizationCode ? ['client_credentials', 'authorization_code', 'refresh_token'] : ['client_credentials', 'refresh_token'],
    token_endpoint_auth_methods_supported: authMethods,
    revocation_endpoint_auth_methods_supported: authMethods,
    introspection_endpoint_auth_methods_supported: authMethods,
    response_types_supported: options.authorizationCode ? ['code'] : [],
    code_challenge_methods_supported: ['S256'],
    // RFC 9207: the authorization response carries `iss`, defeating mix-up attacks.
    authorization_response_iss_parameter_supported: true,
  }
  if (options.authorizationCode) metadata['authorization_endpoint'] = issuer + PATHS.authorize
  if (options.scopes) metadata['scopes_supported'] = [...options.scopes]
  return metadata
}
