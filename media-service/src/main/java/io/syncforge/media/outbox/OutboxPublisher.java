package io.syncforge.media.outbox;

import io.micrometer.core.instrument.MeterRegistry;
import io.quarkus.narayana.jta.QuarkusTransaction;
import io.quarkus.scheduler.Scheduled;
import io.smallrye.common.annotation.Identifier;
import io.syncforge.media.MediaConfig;
import io.syncforge.service.kafka.MutationsTopic;
import io.syncforge.service.kafka.SyncMutationsProducer;
import jakarta.annotation.PreDestroy;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import jakarta.enterprise.event.TransactionPhase;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.ReentrantLock;
import org.apache.kafka.clients.producer.RecordMetadata;
import org.apache.kafka.common.errors.RetriableException;
import org.jboss.logging.Logger;

/**
 * Sends outbox rows to {@code sync.mutations} and deletes them once Kafka acknowledged them
 * (service-common's {@link SyncMutationsProducer}: acks=all, idempotent, the shared topic key).
 * Runs right after every commit that wrote the outbox and on a timer for whatever is left (Kafka
 * was down, the service restarted). At-least-once: a batch whose acks did not all arrive stays and
 * is sent again; the deterministic mutation ids let change-log-service drop the duplicates.
 */
@ApplicationScoped
public class OutboxPublisher {

  private static final Logger LOG = Logger.getLogger(OutboxPublisher.class);

  private final SyncMutationsProducer producer;
  private final OutboxRepository outbox;
  private final MediaConfig config;
  private final ReentrantLock drainLock = new ReentrantLock();
  private final AtomicLong pending = new AtomicLong();
  private final AtomicBoolean wakeQueued = new AtomicBoolean();
  private final ScheduledExecutorService wakeExecutor =
      Executors.newSingleThreadScheduledExecutor(
          r -> {
            Thread t = new Thread(r, "media-outbox");
            t.setDaemon(true);
            return t;
          });

  public OutboxPublisher(
      @Identifier("default-kafka-broker") Map<String, Object> kafka,
      MutationsTopic topic,
      OutboxRepository outbox,
      MediaConfig config,
      MeterRegistry meters) {
    // A send is given up (and the outbox row kept for the next run) after the batch's wait.
    this.producer =
        new SyncMutationsProducer(
            kafka, "media-service-outbox", config.outbox().sendTimeout(), topic.name());
    this.outbox = outbox;
    this.config = config;
    // Grows while Kafka is unreachable: the metric to alert on (health ignores Kafka on purpose).
    meters.gauge("media.outbox.pending", pending);
  }

  /**
   * Commits that wrote the outbox within this long of the first one share one drain (one send
   * transaction and one Kafka round trip instead of one per upload).
   */
  static final long COALESCE_MILLIS = 20;

  /**
   * After a commit that wrote the outbox: drain soon, off the request thread. Commits while a drain
   * is queued join it; commits while one runs queue (at most) one more.
   */
  void onWritten(@Observes(during = TransactionPhase.AFTER_SUCCESS) OutboxWriter.Written event) {
    if (wakeQueued.compareAndSet(false, true)) {
      try {
        wakeExecutor.schedule(
            () -> {
              wakeQueued.set(false);
              drainQuietly(false);
            },
            COALESCE_MILLIS,
            TimeUnit.MILLISECONDS);
      } catch (java.util.concurrent.RejectedExecutionException e) {
        // shutting down: the rows stay for the next start
        wakeQueued.set(false);
      }
    }
  }

  @Scheduled(
      every = "${sync.media.outbox.every}",
      concurrentExecution = Scheduled.ConcurrentExecution.SKIP,
      // Not before the application has started, not during shutdown.
      skipExecutionIf = Scheduled.ApplicationNotRunning.class)
  void onTimer() {
    drainQuietly(true);
  }

  /** The producer of the outbox (its topic and effective settings). */
  SyncMutationsProducer producer() {
    return producer;
  }

  /**
   * Sends everything in the outbox, batch by batch, each in its own transaction.
   *
   * @return the number of entries sent
   */
  public int drain() {
    drainLock.lock();
    try {
      int total = 0;
      while (true) {
        int sent = QuarkusTransaction.requiringNew().call(this::sendBatch);
        total += sent;
        if (sent < config.outbox().batchSize()) {
          return total;
        }
      }
    } finally {
      drainLock.unlock();
    }
  }

  /**
   * @param count whether to refresh the {@code media.outbox.pending} gauge afterwards (the timer
   *     does; a drain after each commit would add a transaction per upload for it)
   */
  private void drainQuietly(boolean count) {
    try {
      drain();
    } catch (RuntimeException e) {
      // The rows stay; the timer retries.
      LOG.warnf("outbox not drained, will retry: %s", e.toString());
    }
    if (!count) {
      return;
    }
    try {
      pending.set(QuarkusTransaction.requiringNew().call(outbox::count));
    } catch (RuntimeException e) {
      LOG.debugf("outbox size unknown: %s", e);
    }
  }

  private int sendBatch() throws Exception {
    if (!outbox.tryDrainLock()) {
      return 0;
    }
    List<OutboxEntry> batch = outbox.oldest(config.outbox().batchSize());
    if (batch.isEmpty()) {
      return 0;
    }
    // Sent with the transaction suspended: context propagation would otherwise carry it to the
    // Kafka callback threads, and Narayana refuses to commit a transaction active on two threads.
    // The row and advisory locks stay held meanwhile.
    List<Throwable> failures =
        QuarkusTransaction.suspendingExisting().call(() -> sendAndAwaitAcks(batch));
    List<Long> sent = new ArrayList<>();
    List<OutboxEntry> refused = new ArrayList<>();
    boolean systemic = true;
    for (int i = 0; i < batch.size(); i++) {
      Throwable f = failures.get(i);
      if (f == null) {
        sent.add(batch.get(i).id);
        systemic = false;
      } else {
        refused.add(batch.get(i));
        if (!(f instanceof TimeoutException) && !(f instanceof RetriableException)) {
          systemic = false;
        }
      }
    }
    if (!sent.isEmpty()) {
      outbox.delete("id in ?1", sent);
    }
    if (!refused.isEmpty()) {
      if (systemic) {
        // Kafka down or slow for all of them: keep them as they are, the timer retries.
        throw new IllegalStateException(
            "Kafka did not acknowledge the outbox batch: " + failures.get(0));
      }
      // Refused while others went through: this record is the problem; retry it later, alone,
      // and let the rest of the outbox go on.
      for (OutboxEntry e : refused) {
        Throwable f = failures.get(batch.indexOf(e));
        e.attempts++;
        long seconds = Math.min(600, 1L << Math.min(e.attempts, 10));
        e.nextAttemptAt = Instant.now().plusSeconds(seconds);
        String reason = String.valueOf(f);
        e.lastError = reason.length() > 500 ? reason.substring(0, 500) : reason;
        LOG.warnf(
            "outbox entry %d (key %s) refused %d time(s), retry in %d s: %s",
            e.id, e.messageKey, e.attempts, seconds, reason);
      }
    }
    return sent.size();
  }

  /** Sends the batch and waits for every ack; per entry null (acknowledged) or the failure. */
  private List<Throwable> sendAndAwaitAcks(List<OutboxEntry> batch) {
    long deadline = System.nanoTime() + config.outbox().sendTimeout().toNanos();
    // In order; the idempotent producer keeps that order within a partition.
    List<CompletableFuture<RecordMetadata>> acks =
        producer.sendAll(
            batch.stream().map(e -> Map.entry(e.messageKey, e.payload)).toList(), deadline);
    List<Throwable> failures = new ArrayList<>(batch.size());
    for (CompletableFuture<RecordMetadata> ack : acks) {
      try {
        ack.get(Math.max(0, deadline - System.nanoTime()), TimeUnit.NANOSECONDS);
        failures.add(null);
      } catch (ExecutionException ex) {
        failures.add(ex.getCause() == null ? ex : ex.getCause());
      } catch (TimeoutException ex) {
        failures.add(ex);
      } catch (InterruptedException ex) {
        Thread.currentThread().interrupt();
        failures.add(new TimeoutException("interrupted"));
      }
    }
    return failures;
  }

  @PreDestroy
  void stop() {
    wakeExecutor.shutdownNow();
    producer.close();
  }
}
