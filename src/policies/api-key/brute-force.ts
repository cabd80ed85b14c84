/**
 * Online guessing defence: invalid keys from one client IP are counted in the state store (so
 * every gateway instance shares the count); past `slowAfter` answers are delayed, past
 * `blockAfter` the IP is blocked for `blockFor`. A typo costs a legitimate client nothing.
 */
import { setTimeout as sleep } from 'node:timers/promises'
import type { StateStore } from '../../store/state/types.js'

export interface BruteForceSettings {
  windowMs: number
  slowAfter: number
  slowDelayMs: number
  maxDelayMs: number
  blockAfter: number
  blockForMs: number
}

export interface BruteForceGuard {
  /** Milliseconds left on a block for this IP, or 0. */
  blockedFor(ip: string): Promise<number>
  /** Counts a failure; resolves after the slow-down delay. Returns true when this failure blocked the IP. */
  fail(ip: string): Promise<boolean>
}

export function createBruteForceGuard(state: StateStore, settings: BruteForceSettings): BruteForceGuard {
  const failKey = (ip: string): string => `apikey:fail:${ip}`
  const blockKey = (ip: string): string => `apikey:block:${ip}`
  return {
    // Not `async`: every request with a key waits on this read, so it settles in one promise.
    blockedFor(ip) {
      return state.get(blockKey(ip)).then((until) => {
        const left = until === null ? 0 : Number(until) - Date.now()
        return left > 0 ? left : 0
      })
    },
    async fail(ip) {
      const failures = await state.increment(failKey(ip), 1, settings.windowMs)
      if (failures >= settings.blockAfter) {
        await state.set(blockKey(ip), String(Date.now() + settings.blockForMs), settings.blockForMs)
        await state.delete(failKey(ip))
        return true
      }
      if (failures > settings.slowAfter) {
        await sleep(Math.min(settings.maxDelayMs, settings.slowDelayMs * (failures - settings.slowAfter)))
      }
      return false
    },
  }
}
