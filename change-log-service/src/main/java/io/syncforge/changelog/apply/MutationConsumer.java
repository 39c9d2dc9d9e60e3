package io.syncforge.changelog.apply;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.DistributionSummary;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Tags;
import io.micrometer.core.instrument.Timer;
import io.quarkus.runtime.ShutdownEvent;
import io.quarkus.runtime.StartupEvent;
import io.smallrye.common.annotation.Identifier;
import io.syncforge.changelog.apply.BatchApplier.BatchResult;
import io.syncforge.changelog.config.ChangeLogConfig;
import io.syncforge.changelog.store.LogWriter;
import io.syncforge.service.kafka.MutationsTopic;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import java.sql.Connection;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import javax.sql.DataSource;
import org.apache.kafka.clients.consumer.CloseOptions;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRebalanceListener;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.ConsumerRecords;
import org.apache.kafka.clients.consumer.InvalidOffsetException;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.common.PartitionInfo;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.FencedInstanceIdException;
import org.apache.kafka.common.errors.WakeupException;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.eclipse.microprofile.config.inject.ConfigProperty;
import org.jboss.logging.Logger;

/**
 * The apply loop: one thread, one Kafka consumer in the group shared by all instances. Offsets live
 * in PostgreSQL ({@code partition_positions}), committed with the data: on every assignment the
 * consumer seeks each partition to its stored position, so a crash or rebalance never loses or
 * doubles a mutation. Offsets are also committed to Kafka after each batch, but only so that lag
 * tools (and a KEDA scaler) can see progress; they are never read back.
 *
 * <p>Nothing stops this thread while the service runs (issue 11): a failure of one mutation is
 * isolated by {@link IsolatingApplier}; every other failure (PostgreSQL or Kafka away, a broken
 * consumer) is retried with capped exponential backoff and jitter. A partition is consumed only
 * after it has been positioned at its stored offset: until then (the database unreachable during a
 * rebalance) it stays paused, so nothing is ever applied from a wrong position.
 *
 * <p>A plain {@link KafkaConsumer} rather than a Reactive Messaging channel: the loop must own
 * seeking on assignment, the poll thread and the exact moment of commit.
 */
@ApplicationScoped
public class MutationConsumer {

  private static final Logger LOG = Logger.getLogger(MutationConsumer.class);

  private final ChangeLogConfig config;
  private final String topic;
  private final IsolatingApplier applier;
  private final ChangeNotifier notifier;
  private final LogWriter repository;
  private final LogEpochs epochs;
  private final DataSource dataSource;
  private final MeterRegistry metrics;
  private final String bootstrapServers;
  private final Map<String, Object> kafka;
  private final boolean enabled;

  private final Set<Integer> assigned = ConcurrentHashMap.newKeySet();
  private final Map<Integer, AtomicLong> lag = new ConcurrentHashMap<>();

  /** Assigned partitions not yet positioned at their stored offset (paused until they are). */
  private final Set<TopicPartition> unpositioned = new HashSet<>();

  /** Partitions refused for their topology, with the reason (paused, re-checked now and then). */
  private final Map<Integer, String> refused = new ConcurrentHashMap<>();

  private volatile boolean running;
  private volatile boolean joined;
  private volatile String lastFailure;
  private volatile String topologyProblem;
  private volatile long lastProgressNanos = System.nanoTime();
  private volatile long lastFaultNanos;

  /** Records of the batch being applied: polled, so not in Kafka's lag, but still waiting. */
  private volatile int inFlight;

  /** Failed attempts of the batch starting at the same record, before it commits. */
  private volatile int batchRetries;

  private String retriedBatch;
  private volatile KafkaConsumer<String, byte[]> consumer;
  private long nextTopologyCheck;
  private Thread thread;

  private Counter applied;
  private Counter merged;
  private Counter rejected;
  private Counter duplicates;
  private Counter deadLettered;
  private Counter failures;
  private Timer batchTimer;
  private Timer applyLatency;
  private DistributionSummary batchSize;
  private Timer readPhase;
  private Timer resolvePhase;
  private Timer writePhase;
  private DistributionSummary batchAttempts;
  private DistributionSummary retriesBeforeCommit;

  MutationConsumer(
      ChangeLogConfig config,
      MutationsTopic topic,
      IsolatingApplier applier,
      ChangeNotifier notifier,
      LogWriter repository,
      LogEpochs epochs,
      DataSource dataSource,
      MeterRegistry metrics,
      @ConfigProperty(name = "kafka.bootstrap.servers") String bootstrapServers,
      @Identifier("default-kafka-broker") Map<String, Object> kafka) {
    this.config = config;
    this.topic = topic.name();
    this.kafka = kafka;
    this.applier = applier;
    this.notifier = notifier;
    this.repository = repository;
    this.epochs = epochs;
    this.dataSource = dataSource;
    this.metrics = metrics;
    this.bootstrapServers = bootstrapServers;
    this.enabled = config.consumerEnabled();
  }

  void onStart(@Observes StartupEvent event) throws Exception {
    applied = metrics.counter("sync.mutations.applied");
    merged = metrics.counter("sync.mutations.merged");
    rejected = metrics.counter("sync.mutations.rejected");
    duplicates = metrics.counter("sync.mutations.duplicates");
    deadLettered = metrics.counter("sync.mutations.dead_lettered");
    failures = metrics.counter("sync.apply.failures");
    batchTimer =
        Timer.builder("sync.apply.batch.duration")
            .description("time to apply and commit one batch")
            .publishPercentileHistogram()
            .register(metrics);
    applyLatency =
        Timer.builder("sync.apply.latency")
            .description("from the server receiving a mutation to its commit in the change log")
            .publishPercentileHistogram()
            .publishPercentiles(0.5, 0.95, 0.99)
            .register(metrics);
    batchSize =
        DistributionSummary.builder("sync.apply.batch.size")
            .publishPercentileHistogram()
            .register(metrics);
    batchAttempts =
        DistributionSummary.builder("sync.apply.batch.attempts")
            .description(
                "transactions one poll took: 1, or more while isolating poisoned mutations")
            .register(metrics);
    retriesBeforeCommit =
        DistributionSummary.builder("sync.apply.batch.retries")
            .description("transient-fault retries a batch needed before it committed")
            .register(metrics);
    Gauge.builder("sync.apply.batch.retrying", this, m -> m.batchRetries)
        .description("transient-fault retries of the batch being applied so far")
        .register(metrics);
    // Created at 0, so dashboards and alerts see the series before the first fault.
    for (String cause : List.of("kafka", "consumer", "offset-out-of-range")) {
      metrics.counter("sync.apply.retries", "cause", cause);
    }
    for (io.syncforge.protocol.ErrorCode code : IsolatingApplier.POISON_CODES) {
      metrics.counter("sync.mutations.poisoned", "code", code.code());
    }
    readPhase = metrics.timer("sync.apply.phase", "phase", "read");
    resolvePhase = metrics.timer("sync.apply.phase", "phase", "resolve");
    writePhase = metrics.timer("sync.apply.phase", "phase", "write");
    Gauge.builder("sync.apply.seconds.since.progress", this, MutationConsumer::secondsSinceProgress)
        .description("seconds since the apply loop last committed a batch or had nothing to do")
        .register(metrics);
    Gauge.builder("sync.apply.loop.alive", this, m -> m.loopAlive() ? 1 : 0)
        .description("1 while the apply loop thread runs")
        .register(metrics);
    Gauge.builder("sync.apply.partitions.refused", refused, Map::size)
        .description("partitions refused for an offset gap or a recreated topic")
        .register(metrics);
    Gauge.builder("sync.apply.topology.mismatch", this, m -> m.topologyProblem == null ? 0 : 1)
        .description("1 when the topic's partition count differs from sync.changelog.partitions")
        .register(metrics);
    // Without the epoch nothing can be served; retried by the loop's own rules, never fatal.
    if (!enabled) {
      epochs.ensure();
      LOG.info("apply loop disabled (sync.changelog.consumer-enabled=false)");
      return;
    }
    epochs.ensure();
    running = true;
    thread = new Thread(this::run, "change-log-apply");
    thread.setUncaughtExceptionHandler(
        (t, e) -> LOG.error("apply loop thread died; liveness reports DOWN", e));
    thread.start();
  }

  void onStop(@Observes ShutdownEvent event) throws InterruptedException {
    running = false;
    KafkaConsumer<String, byte[]> c = consumer;
    if (c != null) {
      c.wakeup();
    }
    if (thread != null) {
      // No interrupt: the consumer must close cleanly (leave the group, static member or not)
      // so that another
      // instance takes the partitions over at once; a backoff sleep ends within retry-max.
      thread.join(TimeUnit.SECONDS.toMillis(30));
    }
  }

  /** Whether the loop runs and has joined the group (with zero or more partitions). */
  public boolean healthy() {
    return loopAlive() && joined;
  }

  /** Whether the loop thread is alive (it should be for as long as the service runs). */
  public boolean loopAlive() {
    return running && thread != null && thread.isAlive();
  }

  /** Whether the loop is expected to run at all on this instance. */
  public boolean enabled() {
    return enabled;
  }

  /** Seconds since the loop last committed a batch or found no work waiting. */
  public double secondsSinceProgress() {
    return (System.nanoTime() - lastProgressNanos) / 1e9;
  }

  /**
   * Mutations waiting for the assigned partitions that are not refused: Kafka's lag, plus the
   * polled batch being applied (a batch stuck in PostgreSQL is work waiting, not idleness).
   */
  public long lagWaiting() {
    long sum = inFlight;
    for (Map.Entry<Integer, AtomicLong> e : lag.entrySet()) {
      if (assigned.contains(e.getKey()) && !refused.containsKey(e.getKey())) {
        sum += e.getValue().get();
      }
    }
    return sum;
  }

  /** Transient-fault retries of the batch being applied so far (0 once it commits). */
  public int batchRetries() {
    return batchRetries;
  }

  /** Whether a transient fault happened within {@code window}: it explains a lack of progress. */
  public boolean faultWithin(Duration window) {
    long at = lastFaultNanos;
    return at != 0 && System.nanoTime() - at < window.toNanos();
  }

  /** Why the last attempt failed (cleared by the next success), or null. */
  public String lastFailure() {
    return lastFailure;
  }

  /** Partitions this instance applies right now. */
  public Set<Integer> assignedPartitions() {
    return Set.copyOf(assigned);
  }

  /** Partitions refused for their topology, with the reason. */
  public Map<Integer, String> refusedPartitions() {
    return Map.copyOf(refused);
  }

  /** A partition-count mismatch between configuration and topic, or null. */
  public String topologyProblem() {
    return topologyProblem;
  }

  private Properties consumerProperties() {
    Properties props = KafkaClientSecurity.apply(kafka, new Properties());
    props.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers);
    props.put(ConsumerConfig.GROUP_ID_CONFIG, config.consumerGroup());
    config
        .instanceId()
        .filter(id -> !id.isBlank())
        .ifPresent(id -> props.put(ConsumerConfig.GROUP_INSTANCE_ID_CONFIG, id));
    props.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, "false");
    // Never reset silently: every partition is sought explicitly (stored position, or the
    // beginning when there is none), and an offset that vanished (retention, a recreated topic)
    // surfaces as InvalidOffsetException, so the partition is re-checked and refused.
    props.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "none");
    props.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
    props.put(ConsumerConfig.MAX_POLL_RECORDS_CONFIG, Integer.toString(config.maxPollRecords()));
    props.put(
        ConsumerConfig.SESSION_TIMEOUT_MS_CONFIG,
        Long.toString(config.sessionTimeout().toMillis()));
    props.put(
        ConsumerConfig.HEARTBEAT_INTERVAL_MS_CONFIG,
        Long.toString(Math.max(500, config.sessionTimeout().toMillis() / 5)));
    props.put(
        ConsumerConfig.PARTITION_ASSIGNMENT_STRATEGY_CONFIG,
        "org.apache.kafka.clients.consumer.CooperativeStickyAssignor");
    // partitionsFor (the partition-count check) answers from this cache: without a refresh at
    // least every topology-recheck, added partitions or a recreated topic went unseen for 5 min.
    props.put(
        ConsumerConfig.METADATA_MAX_AGE_CONFIG,
        Long.toString(Math.max(1000, config.topologyRecheck().toMillis())));
    // Reconnect to a restarted broker quickly, but do not hammer an absent one.
    props.put(ConsumerConfig.RECONNECT_BACKOFF_MAX_MS_CONFIG, "5000");
    return props;
  }

  /** The thread: a consumer for as long as it works, a new one after anything breaks it. */
  private void run() {
    Backoff backoff = new Backoff(config.retryInitial(), config.retryMax());
    while (running) {
      try {
        consume();
      } catch (WakeupException e) {
        // Shutting down (or a stray wakeup: the loop condition decides).
      } catch (Throwable e) {
        // Anything that escaped the inner loop: a new consumer after a pause, never an exit.
        fault("consumer", e);
        LOG.errorf(e, "apply loop: consumer failed; a new one in %d ms", backoff.peek());
        sleep(backoff.next());
      } finally {
        consumer = null;
        joined = false;
        assigned.clear();
        synchronized (unpositioned) {
          unpositioned.clear();
        }
      }
    }
    LOG.info("apply loop stopped (service shutting down)");
  }

  private void consume() {
    KafkaConsumer<String, byte[]> c =
        new KafkaConsumer<>(
            consumerProperties(), new StringDeserializer(), new ByteArrayDeserializer());
    try {
      consumer = c;
      c.subscribe(List.of(topic), new Rebalance(c));
      Backoff backoff = new Backoff(config.retryInitial(), config.retryMax());
      while (running) {
        try {
          if (!positionPending(c)) {
            sleep(backoff.next()); // The database is away: the partitions stay paused.
          }
          checkTopology(c);
          ConsumerRecords<String, byte[]> polled = c.poll(Duration.ofMillis(500));
          updateLag(c);
          if (polled.isEmpty()) {
            if (lagWaiting() == 0) {
              progress();
            } else if (c.paused().isEmpty()) {
              // Work waits but the broker gave nothing: Kafka is away (poll itself never throws
              // for that). A fault that explains the lack of progress, not a dead loop.
              lastFaultNanos = System.nanoTime();
            }
            continue;
          }
          List<ConsumerRecord<String, byte[]>> records = new ArrayList<>(polled.count());
          polled.forEach(records::add);
          if (applyBatch(c, records)) {
            backoff.reset();
          } else {
            sleep(backoff.next());
          }
        } catch (WakeupException e) {
          if (!running) {
            throw e;
          }
        } catch (InvalidOffsetException e) {
          // The position is gone from Kafka: re-check it against the stored one (and refuse it).
          fault("offset-out-of-range", e);
          LOG.errorf("partitions %s lost their position in Kafka: %s", e.partitions(), e);
          c.pause(e.partitions());
          synchronized (unpositioned) {
            unpositioned.addAll(e.partitions());
          }
          sleep(backoff.next());
        } catch (FencedInstanceIdException e) {
          // Another running instance has our instance-id: this consumer is dead for good. Say so
          // loudly and build a new one (not a silent zombie that looks joined and alive).
          fault("fenced", e);
          LOG.errorf(
              "apply loop: another running instance uses instance-id %s; each instance needs its"
                  + " own (sync.changelog.instance-id)",
              config.instanceId().orElse("?"));
          throw e;
        } catch (RuntimeException e) {
          // Poll, rebalance callbacks, lag reads: retried with the same consumer.
          fault("kafka", e);
          LOG.warnf(e, "apply loop: Kafka call failed; retrying in %d ms", backoff.peek());
          sleep(backoff.next());
        }
      }
    } finally {
      // A static member (instance-id) does not leave the group on a plain close: its partitions
      // would idle for the session timeout after a rolling update or a scale-down. Leave on a
      // shutdown; keep the membership when the consumer is only rebuilt after a fault.
      c.close(
          running
              ? CloseOptions.timeout(Duration.ofSeconds(30))
              : CloseOptions.groupMembershipOperation(
                      CloseOptions.GroupMembershipOperation.LEAVE_GROUP)
                  .withTimeout(Duration.ofSeconds(30)));
    }
  }

  /** Applies one poll; false after a transient failure (then everything is re-read). */
  private boolean applyBatch(
      KafkaConsumer<String, byte[]> c, List<ConsumerRecord<String, byte[]>> records) {
    long t0 = System.nanoTime();
    ConsumerRecord<String, byte[]> head = records.get(0);
    String batch = head.partition() + ":" + head.offset();
    if (!batch.equals(retriedBatch)) {
      retriedBatch = batch;
      batchRetries = 0;
    }
    IsolatingApplier.Isolated done;
    inFlight = records.size();
    try {
      done = applier.apply(records);
    } catch (Exception e) {
      // Only a transient fault reaches here (IsolatingApplier settles every other failure), so
      // a batch is retried exactly as often as transient faults hit it: the transient-fault budget.
      batchRetries++;
      failures.increment();
      fault(Faults.cause(e), e);
      LOG.errorf(
          "batch of %d failed (%s: %s); retrying from the stored positions",
          records.size(), Faults.cause(e), Faults.describe(e));
      LOG.debug("batch failure", e);
      // The consumer's positions are past the batch: back to the stored ones before any poll.
      repositionAll(c);
      return false;
    } finally {
      inFlight = 0;
    }
    BatchResult result = done.result();
    batchAttempts.record(done.attempts());
    retriesBeforeCommit.record(batchRetries);
    retriedBatch = null;
    batchRetries = 0;
    batchTimer.record(System.nanoTime() - t0, TimeUnit.NANOSECONDS);
    record(result);
    for (String code : done.codes()) {
      metrics.counter("sync.mutations.poisoned", "code", code).increment();
    }
    lastFailure = null;
    progress();
    try {
      notifier.notify(result.tenantPartitions(), result.nextOffsets());
      commitForMonitoring(c, result.nextOffsets());
    } catch (RuntimeException e) {
      // Best effort after the commit: devices also find changes by polling.
      LOG.debugf(e, "notification or monitoring commit failed");
    }
    return true;
  }

  private void progress() {
    lastProgressNanos = System.nanoTime();
  }

  private void fault(String cause, Throwable e) {
    lastFaultNanos = System.nanoTime();
    lastFailure = cause + ": " + Faults.describe(e);
    metrics.counter("sync.apply.retries", "cause", cause).increment();
  }

  private void record(BatchResult r) {
    applied.increment(r.applied());
    merged.increment(r.merged());
    rejected.increment(r.rejected());
    duplicates.increment(r.duplicates());
    deadLettered.increment(r.deadLettered());
    batchSize.record(r.applied() + r.merged() + r.rejected() + r.duplicates() + r.deadLettered());
    readPhase.record(r.readNanos(), TimeUnit.NANOSECONDS);
    resolvePhase.record(r.resolveNanos(), TimeUnit.NANOSECONDS);
    writePhase.record(r.writeNanos(), TimeUnit.NANOSECONDS);
    Instant now = Instant.now();
    for (Instant received : r.receivedTimes()) {
      applyLatency.record(Duration.between(received, now));
    }
  }

  private void commitForMonitoring(KafkaConsumer<String, byte[]> c, Map<Integer, Long> next) {
    Map<TopicPartition, OffsetAndMetadata> offsets = new HashMap<>();
    next.forEach((p, o) -> offsets.put(new TopicPartition(topic, p), new OffsetAndMetadata(o)));
    c.commitAsync(offsets, null);
  }

  private void updateLag(KafkaConsumer<String, byte[]> c) {
    for (TopicPartition tp : c.assignment()) {
      c.currentLag(tp)
          .ifPresent(
              l ->
                  lag.computeIfAbsent(
                          tp.partition(),
                          p -> {
                            AtomicLong holder = new AtomicLong();
                            metrics.gauge(
                                "sync.consumer.lag",
                                Tags.of("partition", Integer.toString(p)),
                                holder);
                            return holder;
                          })
                      .set(l));
    }
  }

  /** After a failed batch: every assigned partition must be positioned again before polling. */
  private void repositionAll(KafkaConsumer<String, byte[]> c) {
    Set<TopicPartition> all = c.assignment();
    synchronized (unpositioned) {
      unpositioned.addAll(all);
    }
    c.pause(all);
    positionPending(c);
  }

  /**
   * Positions every pending partition at its stored offset and resumes it.
   *
   * @return false when the stored positions cannot be read now (they stay pending and paused)
   */
  private boolean positionPending(KafkaConsumer<String, byte[]> c) {
    List<TopicPartition> pending;
    synchronized (unpositioned) {
      pending = new ArrayList<>(unpositioned);
    }
    if (pending.isEmpty()) {
      return true;
    }
    List<Integer> ids = pending.stream().map(TopicPartition::partition).toList();
    Map<Integer, Long> stored;
    Map<Integer, Long> reused;
    try (Connection conn = dataSource.getConnection()) {
      stored = repository.positions(conn, ids);
      reused = repository.loggedBeyond(conn, stored);
    } catch (Exception e) {
      // Without the stored positions we cannot know where to resume: stay paused, retry.
      fault(Faults.cause(e), e);
      LOG.warnf("cannot read partition positions (%s); partitions %s stay paused", e, ids);
      return false;
    }
    Map<TopicPartition, Long> earliest = c.beginningOffsets(pending, Duration.ofSeconds(10));
    Map<TopicPartition, Long> end = c.endOffsets(pending, Duration.ofSeconds(10));
    List<TopicPartition> resume = new ArrayList<>();
    for (TopicPartition tp : pending) {
      Long position = stored.get(tp.partition());
      long first = earliest.getOrDefault(tp, 0L);
      long last = end.getOrDefault(tp, 0L);
      String problem = null;
      String mismatch = topologyProblem;
      if (mismatch != null) {
        // Keys map to other partitions than the log's epoch assumes: applying any partition
        // would put mutations where cursors do not look. Refuse all until the operator decides.
        problem = mismatch;
      } else if (tp.partition() >= config.partitions()) {
        problem =
            "partition "
                + tp.partition()
                + " is beyond sync.changelog.partitions="
                + config.partitions();
      } else if (position == null && first > 0) {
        problem =
            "no stored position, but the partition's earliest offset is "
                + first
                + ": mutations were deleted from Kafka before they were ever applied";
      } else if (position != null && position < first) {
        problem =
            "stored position "
                + position
                + " is below the earliest available offset "
                + first
                + ": mutations were deleted from Kafka before they were applied";
      } else if (reused.containsKey(tp.partition())) {
        problem =
            "the change log already holds offset "
                + reused.get(tp.partition())
                + " at or beyond the stored position "
                + position
                + ": the topic was recreated and its offsets would collide with the old log";
      } else if (position != null && position > last) {
        problem =
            "stored position "
                + position
                + " is beyond the end offset "
                + last
                + ": the topic was recreated or truncated";
      }
      if (problem != null) {
        if (!problem.equals(refused.put(tp.partition(), problem))) {
          LOG.errorf("partition %d refused: %s (see docs: topology)", tp.partition(), problem);
        }
        // Paused, with a valid position, so the consumer never asks for a reset of it.
        c.pause(List.of(tp));
        c.seek(tp, last);
        continue; // Stays pending and paused; re-checked every topology-recheck.
      }
      if (refused.remove(tp.partition()) != null) {
        LOG.infof("partition %d accepted again", tp.partition());
      }
      if (position == null) {
        c.seekToBeginning(List.of(tp));
      } else {
        c.seek(tp, position);
      }
      resume.add(tp);
    }
    c.resume(resume);
    synchronized (unpositioned) {
      resume.forEach(unpositioned::remove);
    }
    if (!resume.isEmpty()) {
      // Periodic re-checks re-seek running partitions too: only worth a debug line.
      LOG.debugf("positioned partitions %s at stored offsets %s", resume, stored);
    }
    return true;
  }

  private void checkTopology(KafkaConsumer<String, byte[]> c) {
    long now = System.nanoTime();
    if (now < nextTopologyCheck) {
      return;
    }
    nextTopologyCheck = now + config.topologyRecheck().toNanos();
    List<PartitionInfo> infos = c.partitionsFor(topic, Duration.ofSeconds(10));
    int real = infos == null ? 0 : infos.size();
    String problem =
        real == config.partitions()
            ? null
            : "topic "
                + topic
                + " has "
                + real
                + " partitions but sync.changelog.partitions="
                + config.partitions();
    if (problem != null && !problem.equals(topologyProblem)) {
      LOG.error(problem + " (see docs: topology)");
    }
    topologyProblem = problem;
    // Every assigned partition is re-checked against Kafka: a gap that opens while running
    // (retention deleting unapplied mutations, a topic recreated) refuses the partition, and the
    // operator's fix of a refused one is picked up without a restart. Re-seeking a partition to
    // its stored position is harmless here: every polled record has been applied.
    synchronized (unpositioned) {
      unpositioned.addAll(c.assignment());
    }
    // At once, before the next poll: a mismatch found now must refuse before anything is applied.
    positionPending(c);
  }

  private final class Rebalance implements ConsumerRebalanceListener {
    private final KafkaConsumer<String, byte[]> c;

    Rebalance(KafkaConsumer<String, byte[]> c) {
      this.c = c;
    }

    @Override
    public void onPartitionsAssigned(Collection<TopicPartition> partitions) {
      // Never throws: positioning happens in the loop, where a failure is retried with backoff.
      partitions.forEach(tp -> assigned.add(tp.partition()));
      c.pause(partitions);
      synchronized (unpositioned) {
        unpositioned.addAll(partitions);
      }
      joined = true;
      try {
        positionPending(c);
      } catch (RuntimeException e) {
        fault("kafka", e);
        LOG.warnf(e, "positioning %s failed; retried by the loop", partitions);
      }
    }

    @Override
    public void onPartitionsRevoked(Collection<TopicPartition> partitions) {
      partitions.forEach(tp -> assigned.remove(tp.partition()));
      partitions.forEach(tp -> refused.remove(tp.partition()));
      synchronized (unpositioned) {
        unpositioned.removeAll(partitions);
      }
    }

    @Override
    public void onPartitionsLost(Collection<TopicPartition> partitions) {
      onPartitionsRevoked(partitions);
    }
  }

  private void sleep(long ms) {
    try {
      Thread.sleep(ms);
    } catch (InterruptedException e) {
      if (running) {
        Thread.interrupted(); // Only shutdown may end the loop.
      } else {
        Thread.currentThread().interrupt();
      }
    }
  }

  /** Capped exponential backoff with up to 50 % jitter. */
  static final class Backoff {
    private final long initialMs;
    private final long maxMs;
    private long currentMs;

    Backoff(Duration initial, Duration max) {
      this.initialMs = Math.max(1, initial.toMillis());
      this.maxMs = Math.max(initialMs, max.toMillis());
      this.currentMs = initialMs;
    }

    long peek() {
      return currentMs;
    }

    long next() {
      long wait = currentMs + ThreadLocalRandom.current().nextLong(currentMs / 2 + 1);
      currentMs = Math.min(currentMs * 2, maxMs);
      return wait;
    }

    void reset() {
      currentMs = initialMs;
    }
  }
}
