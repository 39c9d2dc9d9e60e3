package io.syncforge.client;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.syncforge.client.internal.LocalStore;
import io.syncforge.protocol.Op;
import java.util.List;
import java.util.Map;
import java.util.NoSuchElementException;
import java.util.Optional;

/**
 * One collection of the local database. Reads see pending local edits at once; writes update the
 * local record and queue a mutation in one transaction and never wait for the network. Thread-safe;
 * obtained from {@link SyncClient#collection(String)}.
 */
public final class Collection {
  private final SyncClient client;
  private final String name;
  private final LocalStore store;
  private final ObjectMapper mapper;

  Collection(SyncClient client, String name, LocalStore store, ObjectMapper mapper) {
    this.client = client;
    this.name = name;
    this.store = store;
    this.mapper = mapper;
  }

  /** The collection name. */
  public String name() {
    return name;
  }

  /** The visible record, or empty if absent or deleted. */
  public Optional<SyncRecord> get(String id) {
    if (id == null) {
      throw new NullPointerException("id == null");
    }
    return store.get(name, id);
  }

  /** Every visible record, ordered by id. */
  public List<SyncRecord> list() {
    return store.list(name);
  }

  /**
   * The visible records whose top-level fields equal the given values (numbers compare by value),
   * ordered by id.
   */
  public List<SyncRecord> list(Map<String, ?> fieldEquals) {
    if (fieldEquals == null) {
      throw new NullPointerException("fieldEquals == null");
    }
    ObjectNode wanted = mapper.valueToTree(fieldEquals);
    return store.list(name).stream().filter(r -> matches(r.data(), wanted)).toList();
  }

  private static boolean matches(ObjectNode data, ObjectNode wanted) {
    var it = wanted.properties().iterator();
    while (it.hasNext()) {
      var e = it.next();
      JsonNode have = data.get(e.getKey());
      JsonNode want = e.getValue();
      if (want.isNull()) {
        if (have != null && !have.isNull()) {
          return false;
        }
      } else if (have == null) {
        return false;
      } else if (want.isNumber() && have.isNumber()) {
        if (want.decimalValue().compareTo(have.decimalValue()) != 0) {
          return false;
        }
      } else if (!want.equals(have)) {
        return false;
      }
    }
    return true;
  }

  /** Creates or replaces record {@code id} with {@code data} (an {@code upsert} mutation). */
  public SyncRecord put(String id, ObjectNode data) {
    if (id == null) {
      throw new NullPointerException("id == null");
    }
    if (data == null) {
      throw new NullPointerException("data == null");
    }
    return write(id, Op.UPSERT, data).record();
  }

  /** Creates or replaces record {@code id} with {@code data}, converted by Jackson. */
  public SyncRecord put(String id, Map<String, ?> data) {
    if (data == null) {
      throw new NullPointerException("data == null");
    }
    return put(id, (ObjectNode) mapper.valueToTree(data));
  }

  /**
   * Changes the given top-level fields of record {@code id} (a {@code patch} mutation carrying only
   * the fields that actually change); a JSON null removes a field.
   *
   * @throws NoSuchElementException if the record is absent or deleted
   */
  public SyncRecord patch(String id, ObjectNode fields) {
    if (id == null) {
      throw new NullPointerException("id == null");
    }
    if (fields == null) {
      throw new NullPointerException("fields == null");
    }
    return write(id, Op.PATCH, fields).record();
  }

  /**
   * As {@link #patch(String, ObjectNode)}, with fields converted by Jackson (a null value, e.g. in
   * a {@code HashMap}, removes the field).
   */
  public SyncRecord patch(String id, Map<String, ?> fields) {
    if (fields == null) {
      throw new NullPointerException("fields == null");
    }
    return patch(id, (ObjectNode) mapper.valueToTree(fields));
  }

  /**
   * Deletes record {@code id} (a {@code delete} mutation).
   *
   * @return false if the record was absent or already deleted (nothing is queued)
   */
  public boolean delete(String id) {
    if (id == null) {
      throw new NullPointerException("id == null");
    }
    return write(id, Op.DELETE, null).queued();
  }

  private LocalStore.WriteResult write(String id, Op op, ObjectNode data) {
    client.checkOpen();
    LocalStore.WriteResult result = store.write(name, id, op, data);
    if (result.queued()) {
      client.localWrite(name, id);
    }
    return result;
  }

  /**
   * Registers a listener for changes of this collection, local or synced. Called on the client's
   * callback executor.
   */
  public void addChangeListener(ChangeListener listener) {
    if (listener == null) {
      throw new NullPointerException("listener == null");
    }
    client.listeners().addChange(name, listener);
  }

  /** Unregisters {@code listener}. */
  public void removeChangeListener(ChangeListener listener) {
    client.listeners().removeChange(listener);
  }

  /**
   * Observes record {@code id}: {@code observer} is called on the client's callback executor with
   * its visible state now, and again after every local write or applied sync that touches it (empty
   * when absent or deleted), only when the visible record actually changed.
   */
  public Subscription observe(
      String id, java.util.function.Consumer<Optional<SyncRecord>> observer) {
    if (id == null) {
      throw new NullPointerException("id == null");
    }
    if (observer == null) {
      throw new NullPointerException("observer == null");
    }
    return observeQuery(ids -> ids == null || ids.contains(id), () -> get(id), observer);
  }

  /**
   * Observes a query: {@code observer} is called on the client's callback executor with the visible
   * records whose fields equal {@code fieldEquals} (an empty map: every record) now, and again
   * whenever that result changes after a local write or an applied sync.
   */
  public Subscription observe(
      Map<String, ?> fieldEquals, java.util.function.Consumer<List<SyncRecord>> observer) {
    if (fieldEquals == null) {
      throw new NullPointerException("fieldEquals == null");
    }
    if (observer == null) {
      throw new NullPointerException("observer == null");
    }
    Map<String, ?> filter = Map.copyOf(fieldEquals);
    return observeQuery(ids -> true, () -> filter.isEmpty() ? list() : list(filter), observer);
  }

  private <R> Subscription observeQuery(
      java.util.function.Predicate<java.util.Set<String>> relevant,
      java.util.function.Supplier<R> query,
      java.util.function.Consumer<R> observer) {
    java.util.concurrent.atomic.AtomicBoolean open =
        new java.util.concurrent.atomic.AtomicBoolean(true);
    Object[] last = {new Object()}; // guarded by itself; a sentinel no result equals
    Runnable deliver =
        () -> {
          if (!open.get()) {
            return;
          }
          R now;
          try {
            now = query.get();
          } catch (RuntimeException e) {
            return; // the client is closing; nothing to show
          }
          synchronized (last) {
            if (java.util.Objects.equals(last[0], now) || !open.get()) {
              return;
            }
            last[0] = now;
            observer.accept(now);
          }
        };
    ChangeListener l =
        (collection, ids) -> {
          if (relevant.test(ids)) {
            deliver.run();
          }
        };
    client.listeners().addChange(name, l);
    client.listeners().run(deliver);
    return () -> {
      open.set(false);
      client.listeners().removeChange(l);
    };
  }
}
