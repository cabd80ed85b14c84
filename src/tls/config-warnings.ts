/**
 * Start-up warnings for TLS settings that are valid but almost certainly not what the operator
 * meant: an mtls route behind a listener that never asks for certificates, an upstream whose
 * certificate is not verified, credentials allowed over plain HTTP.
 */
import type { Config } from '../config/config.js'

/** Human-readable warnings (empty when the TLS setup is coherent). */
export function tlsConfigWarnings(config: Config): string[] {
  const warnings: string[] = []
  const mtlsRoutes = config.routes.filter((r) => [...config.policies, ...r.policies].some((p) => p.name === 'mtls' && p.enabled)).map((r) => r.name)
  if (mtlsRoutes.length > 0 && !config.listen.https?.clientAuth) {
    warnings.push(`routes ${mtlsRoutes.join(', ')} use the mtls policy but listen.https.clientAuth is not set: no client certificate will ever be presented`)
  }
  for (const upstream of Object.values(config.upstreams)) {
    if (upstream.tls && !upstream.tls.verify) warnings.push(`upstream ${upstream.name}: tls.verify is false, its certificate is NOT checked (anyone on the path can impersonate it)`)
  }
  if (config.listen.http.mode !== 'off' && config.listen.http.credentials === 'allow') {
    warnings.push('listen.http.credentials is "allow": API keys and tokens are accepted over plain HTTP from any client')
  }
  return warnings
}
