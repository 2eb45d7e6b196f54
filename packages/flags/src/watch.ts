import { type FSWatcher, stat, statSync, watch } from 'node:fs';
import { dirname } from 'node:path';

/** A running watch; `close()` releases the watcher and the timer. */
export interface FileWatch {
  close(): void;
}

/**
 * Calls `onChange` (debounced) when the file may have changed. Kubernetes mounts a ConfigMap as
 * symlinks into a `..data` folder that it swaps atomically, so no event ever names the file
 * itself: the folder is watched and any event in it counts. A poll of the file's identity (inode,
 * size, mtime) catches what `fs.watch` misses (network filesystems, a folder created later).
 * The watcher and the timer are unref'd: they never keep the process alive.
 */
export function watchFile(path: string, pollIntervalMs: number, onChange: () => void): FileWatch {
  let closed = false;
  let debounce: NodeJS.Timeout | undefined;
  let watcher: FSWatcher | undefined;
  let identity = '';
  let polling = false;

  const schedule = () => {
    if (closed || debounce !== undefined) return;
    debounce = setTimeout(() => {
      debounce = undefined;
      if (!closed) onChange();
    }, 25);
    debounce.unref();
  };

  const startWatcher = () => {
    if (watcher !== undefined || closed) return;
    try {
      // Every event counts: in a ConfigMap folder the swap names `..data` or `..2026_…`, never the
      // file; a reload whose content did not change costs one read and does nothing.
      watcher = watch(dirname(path), { persistent: false }, schedule);
      watcher.on('error', () => {
        // The folder went away (unmounted, deleted): fall back to the poll, retry the watch there.
        watcher?.close();
        watcher = undefined;
      });
    } catch {
      watcher = undefined; // the folder does not exist yet: the poll retries
    }
  };

  const poll = setInterval(() => {
    if (polling || closed) return;
    polling = true;
    stat(path, (err, s) => {
      polling = false;
      if (closed) return;
      startWatcher();
      const next = err ? `missing:${err.code}` : `${s.ino}:${s.size}:${s.mtimeMs}`;
      if (next !== identity) schedule();
      identity = next;
    });
  }, pollIntervalMs);
  poll.unref();
  // Synchronously, right after the first (synchronous) read: an asynchronous first stat could
  // already see a newer file and then never report it.
  try {
    const s = statSync(path);
    identity = `${s.ino}:${s.size}:${s.mtimeMs}`;
  } catch (err) {
    identity = `missing:${(err as NodeJS.ErrnoException).code}`;
  }
  startWatcher();

  return {
    close() {
      closed = true;
      clearInterval(poll);
      if (debounce !== undefined) clearTimeout(debounce);
      watcher?.close();
      watcher = undefined;
    },
  };
}
