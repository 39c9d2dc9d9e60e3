package io.syncforge.changelog.apply;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.DistributionSummary;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Tags;
import io.micrometer.core.instrument.Timer;
import io.quarkus.runtime.ShutdownEvent;
import io.quarkus.runtime.StartupEvent;
import io.syncforge.changelog.apply.BatchApplier.BatchResult;
import io.syncforge.changelog.config.ChangeLogConfig;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import java.sql.Connection;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import javax.sql.DataSource;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRebalanceListener;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.ConsumerRecords;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.common.TopicPartition;
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
 * <p>A plain {@link KafkaConsumer} rather than a Reactive Messaging channel: the loop must own
 * seeking on assignment, the poll thread and the exact moment of commit.
 */
@ApplicationScoped
public class MutationConsumer {

  private static final Logger LOG = Logger.getLogger(MutationConsumer.class);

  private final ChangeLogConfig config;
  private final BatchApplier applier;
  private final ChangeNotifier notifier;
  private final ChangeLogRepository repository;
  private final LogEpochs epochs;
  private final DataSource dataSource;
  private final MeterRegistry metrics;
  private final String bootstrapServers;
  private final boolean enabled;

  private final Set<Integer> assigned = ConcurrentHashMap.newKeySet();
  private final Map<Integer, AtomicLong> lag = new ConcurrentHashMap<>();
  private volatile boolean running;
  private volatile boolean joined;
  private volatile String lastFailure;
  private volatile KafkaConsumer<String, byte[]> consumer;
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

  MutationConsumer(
      ChangeLogConfig config,
      BatchApplier applier,
      ChangeNotifier notifier,
      ChangeLogRepository repository,
      LogEpochs epochs,
      DataSource dataSource,
      MeterRegistry metrics,
      @ConfigProperty(name = "kafka.bootstrap.servers") String bootstrapServers) {
    this.config = config;
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
    readPhase = metrics.timer("sync.apply.phase", "phase", "read");
    resolvePhase = metrics.timer("sync.apply.phase", "phase", "resolve");
    writePhase = metrics.timer("sync.apply.phase", "phase", "write");
    epochs.ensure();
    if (!enabled) {
      LOG.info("apply loop disabled (sync.changelog.consumer-enabled=false)");
      return;
    }
    running = true;
    thread = new Thread(this::run, "change-log-apply");
    thread.start();
  }

  void onStop(@Observes ShutdownEvent event) throws InterruptedException {
    running = false;
    KafkaConsumer<String, byte[]> c = consumer;
    if (c != null) {
      c.wakeup();
    }
    if (thread != null) {
      thread.join(TimeUnit.SECONDS.toMillis(30));
    }
  }

  /** Whether the loop has joined the group and its last batch did not fail. */
  public boolean healthy() {
    return running && joined && lastFailure == null;
  }

  /** Why the last batch failed, or null. */
  public String lastFailure() {
    return lastFailure;
  }

  /** Partitions this instance applies right now. */
  public Set<Integer> assignedPartitions() {
    return Set.copyOf(assigned);
  }

  private void run() {
    Properties props = new Properties();
    props.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers);
    props.put(ConsumerConfig.GROUP_ID_CONFIG, config.consumerGroup());
    props.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, "false");
    // Only used when PostgreSQL has no position yet: start from the first mutation ever written.
    props.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
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
    try (KafkaConsumer<String, byte[]> c =
        new KafkaConsumer<>(props, new StringDeserializer(), new ByteArrayDeserializer())) {
      consumer = c;
      c.subscribe(List.of(config.mutationsTopic()), new Rebalance(c));
      long backoffMs = 100;
      while (running) {
        ConsumerRecords<String, byte[]> polled;
        try {
          polled = c.poll(Duration.ofMillis(500));
        } catch (WakeupException e) {
          break;
        }
        updateLag(c);
        if (polled.isEmpty()) {
          continue;
        }
        List<ConsumerRecord<String, byte[]>> records = new ArrayList<>(polled.count());
        polled.forEach(records::add);
        long t0 = System.nanoTime();
        try {
          BatchResult result = applier.apply(records);
          batchTimer.record(System.nanoTime() - t0, TimeUnit.NANOSECONDS);
          record(result);
          notifier.notify(result.tenantPartitions(), result.nextOffsets());
          commitForMonitoring(c, result.nextOffsets());
          lastFailure = null;
          backoffMs = 100;
        } catch (Exception e) {
          failures.increment();
          lastFailure = e.getClass().getSimpleName() + ": " + e.getMessage();
          LOG.errorf(e, "batch of %d failed; retrying from the stored positions", records.size());
          sleep(backoffMs);
          backoffMs = Math.min(backoffMs * 2, 10_000);
          seekToStored(c, c.assignment());
        }
      }
    } catch (WakeupException e) {
      // Shutting down.
    } catch (Exception e) {
      lastFailure = e.toString();
      LOG.error("apply loop stopped", e);
    } finally {
      consumer = null;
      running = false;
    }
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
    next.forEach(
        (p, o) ->
            offsets.put(new TopicPartition(config.mutationsTopic(), p), new OffsetAndMetadata(o)));
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

  private void seekToStored(
      KafkaConsumer<String, byte[]> c, Collection<TopicPartition> partitions) {
    if (partitions.isEmpty()) {
      return;
    }
    List<Integer> ids = partitions.stream().map(TopicPartition::partition).toList();
    Map<Integer, Long> stored;
    try (Connection conn = dataSource.getConnection()) {
      stored = repository.positions(conn, ids);
    } catch (Exception e) {
      // Without the stored positions we cannot know where to resume: fail loudly, retry later.
      throw new IllegalStateException("cannot read partition positions", e);
    }
    List<TopicPartition> fromStart = new ArrayList<>();
    for (TopicPartition tp : partitions) {
      Long position = stored.get(tp.partition());
      if (position == null) {
        fromStart.add(tp);
      } else {
        c.seek(tp, position);
      }
    }
    if (!fromStart.isEmpty()) {
      c.seekToBeginning(fromStart);
    }
    LOG.infof("positioned partitions %s at stored offsets %s", ids, stored);
  }

  private final class Rebalance implements ConsumerRebalanceListener {
    private final KafkaConsumer<String, byte[]> c;

    Rebalance(KafkaConsumer<String, byte[]> c) {
      this.c = c;
    }

    @Override
    public void onPartitionsAssigned(Collection<TopicPartition> partitions) {
      partitions.forEach(tp -> assigned.add(tp.partition()));
      seekToStored(c, partitions);
      joined = true;
    }

    @Override
    public void onPartitionsRevoked(Collection<TopicPartition> partitions) {
      partitions.forEach(tp -> assigned.remove(tp.partition()));
    }

    @Override
    public void onPartitionsLost(Collection<TopicPartition> partitions) {
      onPartitionsRevoked(partitions);
    }
  }

  private static void sleep(long ms) {
    try {
      Thread.sleep(ms);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }
}
