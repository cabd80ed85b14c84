/**
 * pino JSON logs. Credentials are redacted by path as a second line of defence: the access log
 * never records headers or bodies in the first place.
 */
import { pino, type Logger, type DestinationStream } from 'pino'

/** Paths pino censors wherever they appear in a log object. */
export const REDACT_PATHS = [
  'headers.authorization', 'headers["x-api-key"]', 'headers.cookie', 'headers.signature', 'headers["proxy-authorization"]',
  'req.headers.authorization', 'req.headers["x-api-key"]', 'req.headers.cookie',
  'key', 'secret', 'token', 'clientSecret', 'password', 'adminToken', 'apiKey',
]

export function createLogger(options: { level?: string; destination?: DestinationStream } = {}): Logger {
  return pino(
    {
      level: options.level ?? 'info',
      base: { service: 'portcullis' },
      redact: { paths: REDACT_PATHS, censor: '[redacted]' },
      timestamp: pino.stdTimeFunctions.isoTime,
    },
    options.destination ?? pino.destination({ sync: false }),
  )
}
