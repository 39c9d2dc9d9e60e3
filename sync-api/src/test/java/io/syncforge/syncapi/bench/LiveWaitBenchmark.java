package io.syncforge.syncapi.bench;

import io.quarkus.test.junit.QuarkusTest;
import io.syncforge.devinfra.quarkus.KafkaTestResource;
import io.syncforge.devinfra.quarkus.WithDevInfra;
import io.syncforge.protocol.PullResponse;
import io.syncforge.protocol.messaging.Topics;
import io.syncforge.syncapi.TestSupport;
import io.syncforge.syncapi.live.ChangeNotifications;
import io.syncforge.syncapi.pull.PullReader;
import io.syncforge.syncapi.pull.PullService;
import jakarta.inject.Inject;
import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.Timestamp;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.Random;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.Test;

/**
 * Issue 13 item 2, not a timed test: {@code ./mvnw -B -pl sync-api -am verify -Pbench
 * -Dtest=LiveWaitBenchmark}. 10,000 parked live waits (1,000 tenants x 10 devices) on one instance,
 * then a stream of writes to random distinct tenants, each committed to the change log as the
 * writer does and announced on {@code sync.changes}: prints write-to-wake latency of the right
 * devices, whether any unrelated device woke, heap and threads, how many shared re-reads answered
 * the woken pulls, and the load average (start, before the writes, end). Each device pulls with its
 * own client id ({@code -Dbench.clientIds=false}: none), so a shared re-read still reads receipts
 * per device. A reference is measured in the same run: the same write-to-wake with a single parked
 * device.
 *
 * <p>The waits are parked through {@link PullService} in process, not over HTTP: 10,000 HTTP
 * connections on each side would exceed this machine's 20,000 file descriptors. What is measured is
 * everything after the socket: registration, parking without a thread, the notification consumer,
 * the wake filter, the bounded re-reads against PostgreSQL.
 */
@QuarkusTest
@WithDevInfra
class LiveWaitBenchmark {

  private static final int TENANTS = Integer.getInteger("bench.tenants", 1000);
  private static final int DEVICES = Integer.getInteger("bench.devices", 10);
  private static final int WRITES = Integer.getInteger("bench.writes", 200);
  private static final int PARTITIONS = 12;

  /** Each device pulls with its own client id (receipts), as devices do; false: none. */
  private static final boolean CLIENT_IDS =
      Boolean.parseBoolean(System.getProperty("bench.clientIds", "true"));

  @Inject PullService pulls;
  @Inject ChangeNotifications notifications;

  private final long[] next = new long[PARTITIONS];
  private final Random random = new Random(13);
  private KafkaProducer<String, String> producer;

  /** The writes' one connection, as the writer keeps its own (no backend started per write). */
  private Connection writer;

  @Test
  void tenThousandParkedWaits() throws Exception {
    String loadAtStart = loadAverage();
    System.out.printf("BENCH live wait: start %s, load average %s%n", Instant.now(), loadAtStart);
    Properties p = new Properties();
    p.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, KafkaTestResource.bootstrapServers());
    p.put(ProducerConfig.KEY_SERIALIZER_CLASS_CONFIG, StringSerializer.class.getName());
    p.put(ProducerConfig.VALUE_SERIALIZER_CLASS_CONFIG, StringSerializer.class.getName());
    p.put(ProducerConfig.LINGER_MS_CONFIG, 0);
    producer = new KafkaProducer<>(p);
    writer = TestSupport.superuser();
    writer.setAutoCommit(false);
    warmUpNotifications();
    loadPositions();

    String run = UUID.randomUUID().toString().substring(0, 6);
    // Reference: one parked device, 50 writes.
    List<Long> reference = new ArrayList<>();
    for (int i = 0; i < 50; i++) {
      String tenant = "ref-" + run + "-" + i;
      Map<String, List<Long>> woke = new ConcurrentHashMap<>();
      AtomicInteger done = new AtomicInteger();
      park(tenant, "ref-device", woke, done);
      awaitParked(1);
      long t0 = write(tenant);
      awaitDone(done, 1);
      reference.add(woke.get(tenant).get(0) - t0);
    }

    long heap0 = heapAfterGc();
    int threads0 = ManagementFactory.getThreadMXBean().getThreadCount();
    Map<String, List<Long>> woke = new ConcurrentHashMap<>();
    AtomicInteger done = new AtomicInteger();
    List<String> tenants = new ArrayList<>();
    for (int t = 0; t < TENANTS; t++) {
      tenants.add("lw-" + run + "-" + t);
    }
    long parkStart = System.nanoTime();
    ExecutorService callers = Executors.newFixedThreadPool(16);
    for (String tenant : tenants) {
      for (int d = 0; d < DEVICES; d++) {
        String device = "device-" + d;
        callers.execute(() -> park(tenant, device, woke, done));
      }
    }
    callers.shutdown();
    callers.awaitTermination(10, TimeUnit.MINUTES);
    awaitParked(TENANTS * DEVICES);
    long parkMs = (System.nanoTime() - parkStart) / 1_000_000;
    long heap1 = heapAfterGc();
    int threads1 = ManagementFactory.getThreadMXBean().getThreadCount();
    long wokenBefore = notifications.woken();
    long skippedBefore = notifications.skipped();
    long batchesBefore = pulls.rereadBatches();
    long rereadsBefore = pulls.rereadPulls();

    Collections.shuffle(tenants, random);
    List<String> written = tenants.subList(0, WRITES);
    Map<String, Long> writtenAt = new ConcurrentHashMap<>();
    String loadAtWrites = loadAverage();
    long writeStart = System.nanoTime();
    for (String tenant : written) {
      writtenAt.put(tenant, write(tenant));
      Thread.sleep(20); // a stream of about 50 writes/s, not one burst
    }
    awaitDone(done, WRITES * DEVICES);
    long writeMs = (System.nanoTime() - writeStart) / 1_000_000;
    Thread.sleep(2000); // anything unrelated that would wake does so now

    List<Long> latencies = new ArrayList<>();
    int unrelated = 0;
    for (Map.Entry<String, List<Long>> e : woke.entrySet()) {
      Long t0 = writtenAt.get(e.getKey());
      if (t0 == null) {
        unrelated += e.getValue().size();
        continue;
      }
      e.getValue().forEach(t1 -> latencies.add(t1 - t0));
    }
    System.out.printf(
        "BENCH live wait: %d parked (%d tenants x %d devices) in %d ms; heap %d MiB -> %d MiB"
            + " (+%.1f KiB per parked wait); threads %d -> %d%n",
        TENANTS * DEVICES,
        TENANTS,
        DEVICES,
        parkMs,
        heap0 >> 20,
        heap1 >> 20,
        (heap1 - heap0) / 1024.0 / (TENANTS * DEVICES),
        threads0,
        threads1);
    System.out.printf(
        "BENCH live wait: %d writes to distinct random tenants in %d ms; woken %d of %d expected;"
            + " unrelated devices woken: %d; still parked: %d; wakes counted %d, parked pulls of a"
            + " notified tenant left parked %d%n",
        WRITES,
        writeMs,
        latencies.size(),
        WRITES * DEVICES,
        unrelated,
        notifications.waiting(),
        notifications.woken() - wokenBefore,
        notifications.skipped() - skippedBefore);
    System.out.printf(
        "BENCH live wait: re-reads of woken pulls: %d pulls in %d shared reads (transactions);"
            + " client ids: %s%n",
        pulls.rereadPulls() - rereadsBefore,
        pulls.rereadBatches() - batchesBefore,
        CLIENT_IDS ? "one per device" : "none");
    System.out.println("BENCH live wait write->wake (10,000 parked): " + stats(latencies));
    System.out.println("BENCH live wait write->wake (reference, 1 parked): " + stats(reference));
    System.out.printf(
        "BENCH live wait: end %s, load average at start %s, before the writes %s, at end %s%n",
        Instant.now(), loadAtStart, loadAtWrites, loadAverage());
    producer.close();
    writer.close();
  }

  private void park(
      String tenant, String device, Map<String, List<Long>> woke, AtomicInteger done) {
    PullReader.Request request =
        new PullReader.Request(tenant, null, null, 500, CLIENT_IDS ? device : null);
    pulls
        .pull(request, Duration.ofMinutes(5))
        .subscribe()
        .with(
            (PullResponse r) -> {
              if (!r.changes().isEmpty()) {
                woke.computeIfAbsent(tenant, k -> Collections.synchronizedList(new ArrayList<>()))
                    .add(System.nanoTime());
              }
              done.incrementAndGet();
            },
            e -> {
              System.out.println("BENCH pull failed: " + e);
              done.incrementAndGet();
            });
  }

  /** Commits one change for {@code tenant} as the writer would, announces it; returns when. */
  private long write(String tenant) throws Exception {
    int p = random.nextInt(PARTITIONS);
    long offset = next[p]++;
    Connection c = writer;
    try (PreparedStatement log =
            c.prepareStatement(
                "INSERT INTO change_log VALUES (?, ?, ?, 'tasks', ?, 1, 'upsert', '{\"a\":1}'::jsonb,"
                    + " false, ?, 'bench', ?)");
        PreparedStatement pos =
            c.prepareStatement(
                "INSERT INTO partition_positions VALUES (?, ?, now()) ON CONFLICT (log_partition)"
                    + " DO UPDATE SET next_offset = excluded.next_offset")) {
      log.setInt(1, p);
      log.setLong(2, offset);
      log.setString(3, tenant);
      log.setString(4, "r-" + offset);
      log.setObject(5, UUID.randomUUID());
      log.setTimestamp(6, Timestamp.from(Instant.now()));
      log.executeUpdate();
      pos.setInt(1, p);
      pos.setLong(2, offset + 1);
      pos.executeUpdate();
    }
    c.commit();
    long t0 = System.nanoTime();
    producer.send(
        new ProducerRecord<>(
            Topics.CHANGES,
            tenant,
            "{\"tenant\":\""
                + tenant
                + "\",\"partition\":"
                + p
                + ",\"lastOffset\":"
                + offset
                + "}"));
    return t0;
  }

  private void loadPositions() throws Exception {
    try (Connection c = TestSupport.superuser();
        ResultSet rs =
            c.createStatement()
                .executeQuery("SELECT log_partition, next_offset FROM partition_positions")) {
      while (rs.next()) {
        int p = rs.getInt(1);
        if (p < PARTITIONS) {
          next[p] = Math.max(next[p], rs.getLong(2));
        }
      }
    }
  }

  private void warmUpNotifications() throws Exception {
    long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
    while (notifications.watermark(201) < 0 && System.nanoTime() < deadline) {
      producer.send(
          new ProducerRecord<>(
              Topics.CHANGES,
              "warmup",
              "{\"tenant\":\"warmup\",\"partition\":201,\"lastOffset\":0}"));
      producer.flush();
      Thread.sleep(200);
    }
  }

  private void awaitParked(int n) throws InterruptedException {
    long deadline = System.nanoTime() + Duration.ofMinutes(5).toNanos();
    while (notifications.waiting() < n && System.nanoTime() < deadline) {
      Thread.sleep(5);
    }
  }

  private static void awaitDone(AtomicInteger done, int n) throws InterruptedException {
    long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
    while (done.get() < n && System.nanoTime() < deadline) {
      Thread.sleep(1);
    }
  }

  private static String loadAverage() {
    try {
      String[] f = Files.readString(Path.of("/proc/loadavg")).split(" ");
      return f[0] + " " + f[1] + " " + f[2];
    } catch (IOException e) {
      return "unknown (" + e.getMessage() + ")";
    }
  }

  private static long heapAfterGc() {
    System.gc();
    return ManagementFactory.getMemoryMXBean().getHeapMemoryUsage().getUsed();
  }

  private static String stats(List<Long> nanos) {
    if (nanos.isEmpty()) {
      return "no samples";
    }
    long[] ms = nanos.stream().mapToLong(n -> n / 1_000).sorted().toArray();
    return String.format(
        "n=%d p50 %.1f ms, p99 %.1f ms, max %.1f ms",
        ms.length,
        ms[ms.length / 2] / 1000.0,
        ms[Math.min(ms.length - 1, (int) Math.ceil(ms.length * 0.99) - 1)] / 1000.0,
        ms[ms.length - 1] / 1000.0);
  }
}
