package io.syncforge.syncapi.limit;

import io.github.bucket4j.Bandwidth;
import io.github.bucket4j.Bucket;
import io.github.bucket4j.ConsumptionProbe;
import io.syncforge.protocol.ErrorCode;
import io.syncforge.service.Caller;
import io.syncforge.service.ProblemException;
import io.syncforge.syncapi.config.SyncApiConfig;
import jakarta.enterprise.context.ApplicationScoped;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Supplier;

/**
 * Request rates per device and per tenant, and pushed mutations per tenant (Bucket4j token buckets,
 * in memory, per instance). Over a limit: {@code 429 too_many_requests} with {@code Retry-After} =
 * the seconds until the bucket has the tokens again. A device is the token's {@code (tenant, sub)}
 * plus the client id it sends; a client rotating client ids is still bounded by its tenant's
 * bucket. Idle buckets are dropped, so memory follows the active devices.
 */
@ApplicationScoped
public class RateLimits {

  private static final int SWEEP_EVERY = 10_000;
  private static final long IDLE_NANOS = Duration.ofMinutes(10).toNanos();

  private record Entry(Bucket bucket, long[] lastUsed) {}

  private final SyncApiConfig.RateConfig config;
  private final Map<String, Entry> devices = new ConcurrentHashMap<>();
  private final Map<String, Entry> tenants = new ConcurrentHashMap<>();
  private final Map<String, Entry> mutations = new ConcurrentHashMap<>();
  private final AtomicInteger created = new AtomicInteger();

  RateLimits(SyncApiConfig config) {
    this.config = config.rate();
  }

  /** One request of {@code caller} (device {@code clientId}, may be null); throws 429 if over. */
  public void request(Caller caller, String clientId) {
    if (!config.enabled()) {
      return;
    }
    String device =
        caller.tenant() + '\0' + caller.user() + '\0' + (clientId == null ? "" : clientId);
    Bucket d =
        bucket(
            devices,
            device,
            () -> perPeriod(config.deviceRate(), config.deviceBurst(), config.period()));
    take(d, 1, "this device");
    Bucket t =
        bucket(
            tenants,
            caller.tenant(),
            () -> perPeriod(config.tenantRate(), config.tenantBurst(), config.period()));
    if (!t.tryConsume(1)) {
      d.addTokens(1);
      take(t, 1, "this tenant");
    }
  }

  /** {@code count} pushed mutations of the caller's tenant; throws 429 if over the quota. */
  public void mutations(Caller caller, int count) {
    if (!config.enabled() || count == 0) {
      return;
    }
    long perMinute = config.tenantMutationsPerMinute();
    Bucket m =
        bucket(
            mutations,
            caller.tenant(),
            () ->
                Bucket.builder()
                    .addLimit(
                        Bandwidth.builder()
                            .capacity(perMinute)
                            .refillGreedy(perMinute, Duration.ofMinutes(1))
                            .build())
                    .build());
    if (count > perMinute) {
      throw new ProblemException(
          ErrorCode.PAYLOAD_TOO_LARGE,
          count + " mutations, more than this tenant's quota of " + perMinute + " per minute");
    }
    take(m, count, "this tenant's mutations");
  }

  private static Bucket perPeriod(long rate, long burst, Duration period) {
    return Bucket.builder()
        .addLimit(
            Bandwidth.builder().capacity(Math.max(rate, burst)).refillGreedy(rate, period).build())
        .build();
  }

  private static void take(Bucket bucket, long tokens, String who) {
    ConsumptionProbe probe = bucket.tryConsumeAndReturnRemaining(tokens);
    if (!probe.isConsumed()) {
      long seconds = Math.max(1, (probe.getNanosToWaitForRefill() + 999_999_999L) / 1_000_000_000L);
      throw ProblemException.tooManyRequests(
          "rate limit of " + who + " reached; retry after " + seconds + " s", (int) seconds);
    }
  }

  private Bucket bucket(Map<String, Entry> map, String key, Supplier<Bucket> create) {
    long now = System.nanoTime();
    Entry e = map.get(key);
    if (e == null) {
      e = map.computeIfAbsent(key, k -> new Entry(create.get(), new long[] {now}));
      if (created.incrementAndGet() % SWEEP_EVERY == 0) {
        sweep(now);
      }
    }
    e.lastUsed()[0] = now; // a racy write of a timestamp: at worst a bucket lives a little longer
    return e.bucket();
  }

  private void sweep(long now) {
    for (Map<String, Entry> map : java.util.List.of(devices, tenants, mutations)) {
      map.entrySet().removeIf(en -> now - en.getValue().lastUsed()[0] > IDLE_NANOS);
    }
  }
}
