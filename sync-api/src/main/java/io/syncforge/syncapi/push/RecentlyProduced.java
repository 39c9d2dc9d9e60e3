package io.syncforge.syncapi.push;

import java.util.LinkedHashMap;
import java.util.Map;
import java.util.UUID;

/**
 * The mutations this instance made durable in {@code sync.mutations} lately, by (tenant, client id,
 * mutation id), with where Kafka put them. A device resends a mutation whose outcome was still
 * {@code pending} on every sync; producing it again would give a writer that is behind even more to
 * read (a duplicate it only dedupes), so the slower the writer, the more it would get to do. A
 * resend within the window is not produced again: the push waits for the first copy's commit
 * instead, and answers its outcome like any other. Only fully acknowledged pushes are remembered (a
 * 503 remembers nothing), and an entry older than the window is produced again, so a mutation whose
 * record Kafka lost is still delivered. Bounded: the oldest entries go first.
 */
final class RecentlyProduced {

  /** Where Kafka put a mutation, and when. */
  record At(int partition, long offset, long producedNanos) {}

  private final long windowNanos;
  private final Map<String, At> entries;

  RecentlyProduced(java.time.Duration window, int maxEntries) {
    this.windowNanos = window.toNanos();
    this.entries =
        new LinkedHashMap<>(1024, 0.75f, false) {
          @Override
          protected boolean removeEldestEntry(Map.Entry<String, At> eldest) {
            return size() > maxEntries;
          }
        };
  }

  /** Whether resends are remembered at all (a zero window switches it off). */
  boolean enabled() {
    return windowNanos > 0;
  }

  /** Where the mutation went if this instance produced it within the window, else null. */
  synchronized At find(String tenant, String clientId, UUID mutationId, long nowNanos) {
    String k = key(tenant, clientId, mutationId);
    At at = entries.get(k);
    if (at != null && nowNanos - at.producedNanos() > windowNanos) {
      entries.remove(k);
      return null;
    }
    return at;
  }

  synchronized void remember(String tenant, String clientId, UUID mutationId, At at) {
    if (enabled()) {
      // Re-inserted at the end: insertion order is production order.
      String k = key(tenant, clientId, mutationId);
      entries.remove(k);
      entries.put(k, at);
    }
  }

  synchronized int size() {
    return entries.size();
  }

  private static String key(String tenant, String clientId, UUID mutationId) {
    return tenant + '\u0000' + clientId + '\u0000' + mutationId;
  }
}
