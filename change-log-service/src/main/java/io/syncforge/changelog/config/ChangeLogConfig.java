package io.syncforge.changelog.config;

import io.smallrye.config.ConfigMapping;
import io.smallrye.config.WithDefault;
import io.syncforge.protocol.ConflictPolicy;
import java.time.Duration;
import java.util.Map;

/** Configuration of change-log-service, under {@code sync.changelog}. */
@ConfigMapping(prefix = "sync.changelog")
public interface ChangeLogConfig {

  /** Partition count of {@code sync.mutations}; part of every cursor (the log epoch). */
  @WithDefault("12")
  int partitions();

  /** Where unreadable messages go, with the reason in headers. */
  @WithDefault("sync.mutations.dlq")
  String dlqTopic();

  /** Consumer group of the apply loop; all instances share it. */
  @WithDefault("change-log-service")
  String consumerGroup();

  /**
   * Kafka consumer session timeout: how soon a dead instance's partitions move to another (or, with
   * {@link #instanceId()}, how long they wait for that instance to come back).
   */
  @WithDefault("15S")
  Duration sessionTimeout();

  /**
   * Static group membership ({@code group.instance.id}): a restarted instance with the same id
   * takes its partitions back at once instead of waiting out the dead member's session. Must be
   * unique per running instance (Kubernetes: the pod name); unset = dynamic membership.
   */
  java.util.Optional<String> instanceId();

  /**
   * Most records one poll (and so one PostgreSQL transaction) takes. 2000 (was 1000): the per-batch
   * costs (position lock, one statement per table, commit, the next poll) spread over more
   * mutations; measured in the module README's apply benchmark. Heap per poll stays bounded by the
   * consumer's fetch sizes, not by this.
   */
  @WithDefault("2000")
  int maxPollRecords();

  /** Policy for collections not named in {@link #policies()}. */
  @WithDefault("server-wins")
  ConflictPolicy defaultPolicy();

  /** Per-collection conflict policy, e.g. {@code sync.changelog.policies.notes=client-wins}. */
  Map<String, ConflictPolicy> policies();

  /** Largest serialized record a mutation may carry, in bytes. */
  @WithDefault("262144")
  int maxRecordBytes();

  /** Superseded change-log entries and tombstones older than this may be compacted away. */
  @WithDefault("30D")
  Duration retention();

  /** Receipts (and so the dedupe keys) are kept this long: longer than any offline period. */
  @WithDefault("90D")
  Duration receiptRetention();

  /** How often compaction runs (scheduler syntax, e.g. {@code 1h}); read by the scheduler. */
  @WithDefault("1h")
  String compactionEvery();

  /** Delay before the first scheduled compaction after start. */
  @WithDefault("5m")
  String compactionDelay();

  /** Whether this instance runs the apply loop (false only for admin-only or test instances). */
  @WithDefault("true")
  boolean consumerEnabled();

  /** First wait before retrying after a transient fault; doubles per failure (issue 11). */
  @WithDefault("100ms")
  Duration retryInitial();

  /** Longest wait between retries after transient faults (plus up to 50 % jitter). */
  @WithDefault("10s")
  Duration retryMax();

  /**
   * Liveness goes DOWN when the loop made no progress for this long while Kafka shows work waiting
   * and no transient fault (database or broker away) explains it: the orchestrator restarts it.
   */
  @WithDefault("2m")
  Duration stallTimeout();

  /** How often a partition refused for its topology (offset gap, recreated topic) is re-checked. */
  @WithDefault("30s")
  Duration topologyRecheck();

  /** The policy of one collection. */
  default ConflictPolicy policyFor(String collection) {
    return policies().getOrDefault(collection, defaultPolicy());
  }
}
