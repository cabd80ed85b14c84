/**
 * Follows a set of files for changes by watching their directories, not the files: certificate
 * renewals usually replace a file (rename, or a symlink swap as in Kubernetes secret mounts), which
 * a watch on the old inode never sees. Any event in a watched directory schedules one debounced
 * callback; the caller compares content digests, so spurious events cost one re-read and no swap.
 */
import { watch, type FSWatcher } from 'node:fs'
import { dirname, resolve } from 'node:path'

/** Quiet period after the last event before the callback runs (editors write in bursts). */
const DEBOUNCE_MS = 150

/** A running watch. */
export interface FileWatch {
  /** Follows a new file list (after a reload the set of files may differ). */
  update(files: readonly string[]): void
  close(): void
}

/** Calls `onChange` (debounced) whenever something in the directories of `files` changes. */
export function watchFiles(files: readonly string[], onChange: () => void, onError: (error: Error) => void): FileWatch {
  const watchers = new Map<string, FSWatcher>()
  let timer: NodeJS.Timeout | undefined
  const schedule = (): void => {
    clearTimeout(timer)
    timer = setTimeout(onChange, DEBOUNCE_MS)
    timer.unref()
  }
  const update = (next: readonly string[]): void => {
    const dirs = new Set(next.map((f) => dirname(resolve(f))))
    for (const [dir, watcher] of watchers) {
      if (!dirs.has(dir)) {
        watcher.close()
        watchers.delete(dir)
      }
    }
    for (const dir of dirs) {
      if (watchers.has(dir)) continue
      try {
        const watcher = watch(dir, { persistent: false }, schedule)
        watcher.on('error', onError)
        watchers.set(dir, watcher)
      } catch (error) {
        onError(error as Error)
      }
    }
  }
  update(files)
  return {
    update,
    close() {
      clearTimeout(timer)
      for (const watcher of watchers.values()) watcher.close()
      watchers.clear()
    },
  }
}
