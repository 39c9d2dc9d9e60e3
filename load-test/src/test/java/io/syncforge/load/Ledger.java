package io.syncforge.load;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Every mutation the run sent, by (tenant, client id, mutation id): how often it was pushed and
 * whether any push of it was answered {@code 200} (then the server owes it a final outcome; one
 * only ever answered 503 or not at all may or may not have reached the log).
 */
final class Ledger {

  record Key(String tenant, String clientId, UUID mutationId) {}

  static final class Entry {
    final AtomicInteger pushes = new AtomicInteger();
    final AtomicBoolean acknowledged = new AtomicBoolean();
  }

  private final Map<Key, Entry> entries = new ConcurrentHashMap<>();

  void pushed(String tenant, String clientId, UUID mutationId, boolean acknowledged) {
    Entry e = entries.computeIfAbsent(new Key(tenant, clientId, mutationId), k -> new Entry());
    e.pushes.incrementAndGet();
    if (acknowledged) {
      e.acknowledged.set(true);
    }
  }

  /** Marks a mutation as answered {@code 200} without counting another push of it. */
  void acknowledged(String tenant, String clientId, UUID mutationId) {
    entries
        .computeIfAbsent(new Key(tenant, clientId, mutationId), k -> new Entry())
        .acknowledged
        .set(true);
  }

  /** The entries of one tenant. */
  Map<Key, Entry> of(String tenant) {
    Map<Key, Entry> m = new java.util.HashMap<>();
    entries.forEach(
        (k, v) -> {
          if (k.tenant().equals(tenant)) {
            m.put(k, v);
          }
        });
    return m;
  }

  List<String> tenants() {
    return new ArrayList<>(entries.keySet().stream().map(Key::tenant).distinct().toList());
  }

  int size() {
    return entries.size();
  }

  long resends() {
    return entries.values().stream().mapToLong(e -> Math.max(0, e.pushes.get() - 1)).sum();
  }
}
