package io.syncforge.syncapi.config;

import io.smallrye.config.ConfigMapping;
import io.smallrye.config.WithDefault;
import java.time.Duration;
import java.util.List;
import java.util.Optional;

/** Configuration of sync-api, prefix {@code sync.api}. */
@ConfigMapping(prefix = "sync.api")
public interface SyncApiConfig {

  /**
   * Partition count of {@code sync.mutations}, used only while change-log-service has not written
   * the {@code log_epoch} row yet. Must equal the topic's partition count.
   */
  @WithDefault("12")
  int partitions();

  /**
   * HMAC key of cursors and snapshot page tokens, base64, at least 16 bytes (32 recommended). All
   * instances share it; rotating it invalidates every cursor. Required in production (the service
   * refuses to start without it); {@code %dev}/{@code %test} have a fixed development key.
   */
  Optional<String> cursorKey();

  /**
   * The collections devices may push and pull; empty (the default) accepts any well-formed name. A
   * push naming another collection is refused as a whole with 422 {@code unknown_collection}.
   */
  Optional<List<String>> collections();

  /**
   * Longest time a push waits for final outcomes (woken by {@code sync.changes}) before answering
   * {@code pending} for the rest; 0 answers at once with whatever is already final.
   */
  @WithDefault("2s")
  Duration pushWait();

  /** Push limits. */
  PushConfig push();

  /** Pull and snapshot limits. */
  PullConfig pull();

  /** Rate limits and push quotas (issue 13 item 7). */
  RateConfig rate();

  /** Token buckets per instance; over a limit: 429 too_many_requests with Retry-After. */
  interface RateConfig {
    /** Whether requests are limited at all. */
    @WithDefault("true")
    boolean enabled();

    /** The period the rates below refer to (1 s: requests per second). */
    @WithDefault("1s")
    Duration period();

    /** Sustained requests per period of one device (token subject + client id). */
    @WithDefault("20")
    long deviceRate();

    /** Requests one device may send at once after being idle. */
    @WithDefault("40")
    long deviceBurst();

    /** Sustained requests per period of one tenant, all its devices together. */
    @WithDefault("500")
    long tenantRate();

    /** Requests one tenant may send at once after being idle. */
    @WithDefault("1000")
    long tenantBurst();

    /** Mutations one tenant may push per minute (a push larger than this is 413). */
    @WithDefault("30000")
    long tenantMutationsPerMinute();
  }

  /** Push settings. */
  interface PushConfig {
    /** Most mutations per push (at most the protocol's 500). */
    @WithDefault("500")
    int maxMutations();

    /** Largest push body in bytes (at most the protocol's 2 MiB). */
    @WithDefault("2097152")
    int maxRequestBytes();

    /** Largest serialized {@code data} of one mutation in bytes (at most 256 KiB). */
    @WithDefault("262144")
    int maxRecordBytes();

    /**
     * Longest time to wait for Kafka to acknowledge (acks=all) every mutation of a push; beyond it
     * the push answers 503 {@code unavailable}. Keep it at or above the producer's
     * delivery.timeout.ms so that a timeout means the broker really did not take the record.
     */
    @WithDefault("10s")
    Duration sendTimeout();

    /** {@code Retry-After} seconds of a 503 when Kafka cannot take the mutations. */
    @WithDefault("2")
    int retryAfterSeconds();

    /**
     * A resend of a mutation this instance made durable less than this long ago is not produced
     * again (the push waits for the first copy; a writer behind a backlog is not fed duplicates).
     * {@code 0s} produces every resend.
     */
    @WithDefault("60s")
    Duration resendWindow();

    /** How many recently produced mutations an instance remembers for {@link #resendWindow()}. */
    @WithDefault("200000")
    int resendMemory();
  }

  /** Pull settings. */
  interface PullConfig {
    /** Page size when {@code limit} is absent (at most the protocol's max). */
    @WithDefault("500")
    int defaultLimit();

    /** Largest accepted {@code limit} (at most the protocol's 5000). */
    @WithDefault("5000")
    int maxLimit();

    /**
     * Byte budget of one pull or snapshot page (issue 13 item 5): the sum of the serialized JSON
     * sizes of its changes and receipts (snapshot: records). A page ends before the entry that
     * would exceed it, except that the first entry of a page always goes, however large, so a
     * record above the budget goes alone and a cursor never sticks. The envelope (cursor, flags)
     * adds well under 1 KiB. Default 4 MiB.
     */
    @WithDefault("4194304")
    long maxPageBytes();

    /**
     * Most receipts (the device's own final outcomes) in one pull page; the rest follow on the next
     * pages, with the changes of the same log range.
     */
    @WithDefault("1000")
    int maxReceipts();

    /** Longest accepted {@code wait} in seconds (at most the protocol's 30). */
    @WithDefault("30")
    int maxWaitSeconds();

    /**
     * Most pull requests one instance holds parked at once; beyond it a pull that would park is
     * answered 503 with Retry-After (a woken pull that would park again answers its empty page).
     * Protects memory, never correctness.
     */
    @WithDefault("10000")
    int maxWaiting();

    /** {@code Retry-After} seconds of the 503 answered at the parked limit. */
    @WithDefault("2")
    int busyRetryAfterSeconds();

    /**
     * Most woken pulls re-reading PostgreSQL at once (the rest queue without a thread), so that a
     * notification waking many pulls leaves connections for fresh requests. Keep it below the pool
     * size ({@code quarkus.datasource.jdbc.max-size}, 32).
     */
    @WithDefault("16")
    int maxConcurrentRereads();
  }
}
