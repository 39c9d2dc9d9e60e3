package io.syncforge.changelog;

import static org.junit.jupiter.api.Assertions.assertEquals;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.syncforge.devinfra.QuarkusAppProcess;
import io.syncforge.devinfra.quarkus.KafkaTestResource;
import io.syncforge.devinfra.quarkus.PostgresTestResource;
import io.syncforge.protocol.Json;
import io.syncforge.protocol.Mutation;
import io.syncforge.protocol.Op;
import io.syncforge.protocol.messaging.MutationEnvelope;
import io.syncforge.protocol.messaging.Topics;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.UUID;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringSerializer;

/** Test helpers: write to the real sync.mutations topic, read the real PostgreSQL tables. */
public final class LogFixture implements AutoCloseable {

  /**
   * The configuration of a packaged writer ({@code target/quarkus-app}) in a black-box test: the
   * database (superuser), the broker, the dev key with the issuer's audience, then {@code extra}.
   * One place, so a setting every start needs (the token audience, say) cannot be missed by one
   * test.
   */
  public static Map<String, String> writerConfig(
      String jdbc,
      String bootstrapServers,
      io.syncforge.devinfra.DevJwt jwt,
      Map<String, String> extra) {
    Map<String, String> c = new HashMap<>();
    c.put("quarkus.datasource.jdbc.url", jdbc);
    c.put("quarkus.datasource.username", "postgres");
    c.put("quarkus.datasource.password", "");
    c.put("kafka.bootstrap.servers", bootstrapServers);
    c.put("mp.jwt.verify.publickey.location", jwt.publicKeyPem().toString());
    c.put("mp.jwt.verify.audiences", io.syncforge.devinfra.DevJwt.AUDIENCE);
    c.putAll(extra);
    return c;
  }

  /**
   * The packaged writer ({@code target/quarkus-app}) as a process named {@code name} with {@code
   * config} ({@link #writerConfig}), its log in {@code target/it-logs}.
   */
  public static QuarkusAppProcess startWriter(String name, Map<String, String> config) {
    return QuarkusAppProcess.start(
        name, Path.of("target", "quarkus-app"), 0, config, Path.of("target", "it-logs"));
  }

  public static final ObjectMapper JSON = Json.newMapper();
  private final KafkaProducer<String, byte[]> producer;
  private final String jdbcUrl;

  public LogFixture() {
    this(KafkaTestResource.bootstrapServers(), PostgresTestResource.jdbcUrl());
  }

  private static LogFixture shared;

  /**
   * The fixture of the test JVM's database and broker (the test resources are global, one per JVM),
   * opened on first use and closed when the JVM exits, so test classes need no set-up.
   */
  public static synchronized LogFixture shared() {
    if (shared == null) {
      LogFixture f = new LogFixture();
      Runtime.getRuntime().addShutdownHook(new Thread(f::close, "log-fixture-close"));
      shared = f;
    }
    return shared;
  }

  public LogFixture(String bootstrapServers, String jdbcUrl) {
    Properties p = new Properties();
    p.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers);
    p.put(ProducerConfig.ACKS_CONFIG, "all");
    p.put(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, "true");
    p.put(ProducerConfig.LINGER_MS_CONFIG, "5");
    producer = new KafkaProducer<>(p, new StringSerializer(), new ByteArraySerializer());
    this.jdbcUrl = jdbcUrl;
  }

  public static ObjectNode obj(String json) {
    try {
      return (ObjectNode) JSON.readTree(json);
    } catch (Exception e) {
      throw new IllegalArgumentException(e);
    }
  }

  public static Mutation mutation(
      UUID id, String collection, String recordId, Op op, Long base, String data) {
    return new Mutation(id, collection, recordId, op, base, data == null ? null : obj(data), null);
  }

  public static MutationEnvelope envelope(String tenant, String clientId, Mutation m) {
    return new MutationEnvelope(
        tenant, "user-1", clientId, m, Instant.now(), MutationEnvelope.SOURCE_DEVICE);
  }

  /** Sends envelopes keyed as sync-api does, waiting for the broker's acks. */
  public void send(List<MutationEnvelope> envelopes) {
    try {
      List<java.util.concurrent.Future<?>> acks = new ArrayList<>();
      for (MutationEnvelope e : envelopes) {
        acks.add(
            producer.send(
                new ProducerRecord<>(Topics.MUTATIONS, e.key(), JSON.writeValueAsBytes(e))));
      }
      for (var a : acks) {
        a.get();
      }
    } catch (Exception e) {
      throw new IllegalStateException(e);
    }
  }

  public void send(MutationEnvelope... envelopes) {
    send(List.of(envelopes));
  }

  /** Sends raw bytes (poison) with a key. */
  public void sendRaw(String key, byte[] value) {
    try {
      producer.send(new ProducerRecord<>(Topics.MUTATIONS, key, value)).get();
    } catch (Exception e) {
      throw new IllegalStateException(e);
    }
  }

  public Connection connect() throws SQLException {
    return DriverManager.getConnection(jdbcUrl, "postgres", "");
  }

  /** The value of a one-row, one-column query, or null. */
  public Object scalar(String sql, Object... args) {
    try (Connection c = connect();
        PreparedStatement ps = c.prepareStatement(sql)) {
      for (int i = 0; i < args.length; i++) {
        ps.setObject(i + 1, args[i]);
      }
      try (ResultSet rs = ps.executeQuery()) {
        return rs.next() ? rs.getObject(1) : null;
      }
    } catch (SQLException e) {
      throw new IllegalStateException(e);
    }
  }

  /** The number a one-row, one-column query answers (never null). */
  public long number(String sql, Object... args) {
    return ((Number) scalar(sql, args)).longValue();
  }

  public long count(String sql, Object... args) {
    Object v = scalar(sql, args);
    return v == null ? 0 : ((Number) v).longValue();
  }

  /** Waits until a count query reaches at least {@code expected}; returns the last count. */
  public long awaitCount(long expected, Duration timeout, String sql, Object... args) {
    long deadline = System.nanoTime() + timeout.toNanos();
    long n = count(sql, args);
    while (n < expected && System.nanoTime() < deadline) {
      sleep(50);
      n = count(sql, args);
    }
    return n;
  }

  /** Waits until the outcome of one mutation is recorded; returns its status or null. */
  public String awaitOutcome(UUID mutationId, Duration timeout) {
    awaitCount(
        1, timeout, "SELECT count(*) FROM mutation_outcomes WHERE mutation_id = ?", mutationId);
    return (String)
        scalar("SELECT status FROM mutation_outcomes WHERE mutation_id = ?", mutationId);
  }

  /**
   * Upserts {@code {"a":1}} into notes/{@code recordId} of {@code tenant} and asserts that it is
   * applied within {@code timeout}; returns its mutation id.
   */
  public UUID upsertApplied(String tenant, String recordId, Duration timeout, String message) {
    UUID id = UUID.randomUUID();
    send(envelope(tenant, "c", mutation(id, "notes", recordId, Op.UPSERT, null, "{\"a\":1}")));
    assertEquals("applied", awaitOutcome(id, timeout), message);
    return id;
  }

  /** The wedge canary: a fresh tenant's ordinary write is applied within {@code timeout}. */
  public void assertNotWedged(Duration timeout) {
    String tenant = "t-canary-" + UUID.randomUUID().toString().substring(0, 8);
    upsertApplied(tenant, "n", timeout, "the writer is wedged");
  }

  /**
   * Closes each of {@code resources} that is not null, in order (an app before the broker and the
   * database it uses), every one even when an earlier one fails; the first failure is rethrown.
   */
  public static void closeAll(AutoCloseable... resources) throws Exception {
    Exception first = null;
    for (AutoCloseable r : resources) {
      if (r == null) {
        continue;
      }
      try {
        r.close();
      } catch (Exception e) {
        if (first == null) {
          first = e;
        } else {
          first.addSuppressed(e);
        }
      }
    }
    if (first != null) {
      throw first;
    }
  }

  public static void sleep(long ms) {
    try {
      Thread.sleep(ms);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException(e);
    }
  }

  @Override
  public void close() {
    producer.close(Duration.ofSeconds(5));
  }
}
