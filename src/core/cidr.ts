/**
 * CIDR lists for IPv4 and IPv6, compiled once. IPv4-mapped IPv6 addresses (`::ffff:10.0.0.1`,
 * what a dual-stack socket reports) are matched as the IPv4 address they carry.
 */
import ipaddr from 'ipaddr.js'

type Range = [ipaddr.IPv4 | ipaddr.IPv6, number]

/** Parses an address, unwrapping IPv4-mapped IPv6; null when it is not an IP address. */
export function parseIp(address: string): ipaddr.IPv4 | ipaddr.IPv6 | null {
  if (!ipaddr.isValid(address)) return null
  const parsed = ipaddr.parse(address)
  if (parsed.kind() === 'ipv6' && (parsed as ipaddr.IPv6).isIPv4MappedAddress()) return (parsed as ipaddr.IPv6).toIPv4Address()
  return parsed
}

/** A compiled list of CIDR ranges (a bare address means a single host). */
export interface CidrList {
  readonly size: number
  has(address: string): boolean
}

/** Compiles CIDR strings; throws a RangeError naming the first invalid entry. */
export function compileCidrList(entries: readonly string[]): CidrList {
  const ranges: Range[] = entries.map((entry) => {
    try {
      if (entry.includes('/')) {
        const [addr, bits] = ipaddr.parseCIDR(entry)
        const unwrapped = addr.kind() === 'ipv6' && (addr as ipaddr.IPv6).isIPv4MappedAddress()
        return unwrapped ? [(addr as ipaddr.IPv6).toIPv4Address(), Math.max(0, bits - 96)] : [addr, bits]
      }
      const addr = parseIp(entry)
      if (!addr) throw new Error('not an address')
      return [addr, addr.kind() === 'ipv4' ? 32 : 128]
    } catch {
      throw new RangeError(`invalid CIDR or IP address: ${JSON.stringify(entry)}`)
    }
  })
  return {
    size: ranges.length,
    has(address: string): boolean {
      const ip = parseIp(address)
      if (!ip) return false
      for (const [range, bits] of ranges) {
        if (range.kind() === ip.kind() && ip.match(range, bits)) return true
      }
      return false
    },
  }
}

/** True when the string is a valid CIDR range or bare IP address. */
export function isCidr(entry: string): boolean {
  try {
    compileCidrList([entry])
    return true
  } catch {
    return false
  }
}
