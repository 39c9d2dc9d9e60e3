package io.syncforge.client.internal;

import io.syncforge.client.ChangeListener;
import io.syncforge.client.ConflictListener;
import io.syncforge.client.MediaProgress;
import io.syncforge.client.MediaProgressListener;
import io.syncforge.client.SyncStatus;
import io.syncforge.client.SyncStatusListener;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.Executor;
import java.util.concurrent.RejectedExecutionException;

/** Registered listeners and their delivery on the caller-supplied executor. */
public final class Listeners {
  private final Executor executor;
  private final List<SyncStatusListener> status = new CopyOnWriteArrayList<>();
  private final List<ConflictListener> conflicts = new CopyOnWriteArrayList<>();
  private final List<Map.Entry<String, ChangeListener>> changes = new CopyOnWriteArrayList<>();
  private final List<MediaProgressListener> media = new CopyOnWriteArrayList<>();

  public Listeners(Executor executor) {
    this.executor = executor;
  }

  public void addStatus(SyncStatusListener l) {
    status.add(l);
  }

  public void removeStatus(SyncStatusListener l) {
    status.remove(l);
  }

  public void addConflict(ConflictListener l) {
    conflicts.add(l);
  }

  public void removeConflict(ConflictListener l) {
    conflicts.remove(l);
  }

  public void addMedia(MediaProgressListener l) {
    media.add(l);
  }

  public void removeMedia(MediaProgressListener l) {
    media.remove(l);
  }

  /** Delivers a media progress snapshot. */
  public void media(MediaProgress p) {
    for (MediaProgressListener l : media) {
      run(() -> l.onProgress(p));
    }
  }

  /** {@code collection} null = every collection. */
  public void addChange(String collection, ChangeListener l) {
    changes.add(Map.entry(collection == null ? "" : collection, l));
  }

  public void removeChange(ChangeListener l) {
    changes.removeIf(e -> e.getValue() == l);
  }

  private volatile boolean closed;

  /** From now on nothing is delivered, including events already handed to the executor. */
  public void close() {
    closed = true;
  }

  /** Runs {@code r} on the callback executor (unless closed); a failure is contained. */
  public void run(Runnable r) {
    if (closed) {
      return;
    }
    try {
      executor.execute(
          () -> {
            if (closed) {
              return;
            }
            try {
              r.run();
            } catch (RuntimeException ignored) {
              // A listener's failure must never break syncing or other listeners.
            }
          });
    } catch (RejectedExecutionException ignored) {
      // The app shut its executor down; nothing to deliver to.
    }
  }

  public void status(SyncStatus s) {
    for (SyncStatusListener l : status) {
      run(() -> l.onStatus(s));
    }
  }

  /** Delivers the listener events of a committed store change. */
  public void effects(LocalStore.Effects fx) {
    changed(fx.changed);
    for (var o : fx.merged) {
      for (ConflictListener l : conflicts) {
        run(() -> l.onConflict(o));
      }
    }
    for (var o : fx.rejected) {
      for (ConflictListener l : conflicts) {
        run(() -> l.onConflict(o));
      }
    }
  }

  public void changed(Map<String, Set<String>> changed) {
    for (Map.Entry<String, Set<String>> c : changed.entrySet()) {
      Set<String> ids = Set.copyOf(c.getValue());
      for (Map.Entry<String, ChangeListener> e : changes) {
        if (e.getKey().isEmpty() || e.getKey().equals(c.getKey())) {
          run(() -> e.getValue().onChange(c.getKey(), ids));
        }
      }
    }
  }
}
