package io.syncforge.changelog.admin;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.smallrye.common.annotation.Identifier;
import io.syncforge.changelog.apply.KafkaClientSecurity;
import io.syncforge.changelog.apply.MutationConsumer;
import io.syncforge.changelog.config.ChangeLogConfig;
import io.syncforge.changelog.store.LogReader;
import io.syncforge.protocol.ErrorCode;
import io.syncforge.protocol.FieldError;
import io.syncforge.protocol.Limits;
import io.syncforge.protocol.Mutation;
import io.syncforge.protocol.MutationOutcome;
import io.syncforge.protocol.PushRequest;
import io.syncforge.protocol.PushResponse;
import io.syncforge.protocol.messaging.MutationEnvelope;
import io.syncforge.protocol.validation.MutationValidator;
import io.syncforge.service.Caller;
import io.syncforge.service.ProblemException;
import io.syncforge.service.kafka.MutationsTopic;
import io.syncforge.service.kafka.SyncMutationsProducer;
import jakarta.annotation.PreDestroy;
import jakarta.enterprise.context.ApplicationScoped;
import java.sql.Connection;
import java.sql.SQLException;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.stream.IntStream;
import javax.sql.DataSource;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.OffsetSpec;
import org.apache.kafka.clients.producer.RecordMetadata;
import org.apache.kafka.common.TopicPartition;
import org.eclipse.microprofile.config.inject.ConfigProperty;

/** Back-office writes and log statistics. */
@ApplicationScoped
public class AdminService {

  /** The client id of back-office writes that name none. */
  public static final String ADMIN_CLIENT = "admin";

  /** How long a back-office write waits for Kafka to take all its mutations. */
  static final Duration SEND_TIMEOUT = Duration.ofSeconds(10);

  private final SyncMutationsProducer mutations;
  private final ObjectMapper mapper;
  private final DataSource dataSource;
  private final ChangeLogConfig config;
  private final MutationConsumer consumer;
  private final String bootstrapServers;
  private final Map<String, Object> kafka;
  private final MutationValidator validator;

  AdminService(
      MutationsTopic topic,
      ObjectMapper mapper,
      DataSource dataSource,
      ChangeLogConfig config,
      MutationConsumer consumer,
      @ConfigProperty(name = "kafka.bootstrap.servers") String bootstrapServers,
      @Identifier("default-kafka-broker") Map<String, Object> kafka) {
    // Back-office writes: the same topic, key and guarantees as devices' pushes.
    this.mutations =
        new SyncMutationsProducer(kafka, "change-log-admin", SEND_TIMEOUT, topic.name());
    this.mapper = mapper;
    this.kafka = kafka;
    this.dataSource = dataSource;
    this.config = config;
    this.consumer = consumer;
    this.bootstrapServers = bootstrapServers;
    this.validator = new MutationValidator(config.maxRecordBytes(), false);
  }

  /** Validates the whole request, then sends every mutation and waits until Kafka has them all. */
  public PushResponse submit(Caller caller, PushRequest request) {
    PushRequest withClient =
        request != null && request.clientId() == null
            ? new PushRequest(ADMIN_CLIENT, request.mutations())
            : request;
    List<FieldError> errors = validator.validate(withClient, Limits.MAX_MUTATIONS_PER_PUSH);
    if (!errors.isEmpty()) {
      throw new ProblemException(ErrorCode.INVALID_REQUEST, "invalid mutations", errors);
    }
    Instant now = Instant.now();
    List<Map.Entry<String, String>> records = new ArrayList<>();
    List<MutationOutcome> outcomes = new ArrayList<>();
    for (Mutation m : withClient.mutations()) {
      MutationEnvelope env =
          new MutationEnvelope(
              caller.tenant(),
              caller.user(),
              withClient.clientId(),
              m,
              now,
              MutationEnvelope.SOURCE_ADMIN);
      records.add(Map.entry(env.key(), json(env)));
      outcomes.add(MutationOutcome.pending(m));
    }
    long deadline = System.nanoTime() + SEND_TIMEOUT.toNanos();
    try {
      for (CompletableFuture<RecordMetadata> ack : mutations.sendAll(records, deadline)) {
        ack.get(Math.max(0, deadline - System.nanoTime()), TimeUnit.NANOSECONDS);
      }
    } catch (ExecutionException | TimeoutException | RuntimeException e) {
      throw ProblemException.unavailable(
          "the mutation log is unavailable; retry with the same mutationIds", 5);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw ProblemException.unavailable(
          "the mutation log is unavailable; retry with the same mutationIds", 5);
    }
    return new PushResponse(outcomes, now);
  }

  private String json(MutationEnvelope env) {
    try {
      return mapper.writeValueAsString(env);
    } catch (JsonProcessingException e) {
      throw new IllegalStateException("cannot serialise a mutation envelope", e);
    }
  }

  /** The producer of back-office writes (its topic and effective settings). */
  SyncMutationsProducer producer() {
    return mutations;
  }

  @PreDestroy
  void close() {
    mutations.close();
  }

  /** One partition's figures. */
  public record PartitionStats(
      int partition,
      Long position,
      Long endOffset,
      Long lag,
      long logRows,
      Long horizon,
      Instant horizonTime,
      boolean assignedHere) {}

  /** Figures for every partition of {@code sync.mutations}. */
  public record Stats(long epoch, int partitions, List<PartitionStats> perPartition) {}

  /** Reads positions, log sizes and horizons from PostgreSQL and end offsets from Kafka. */
  public Stats stats() {
    LogReader.PartitionTables t;
    try (Connection c = dataSource.getConnection()) {
      t = LogReader.partitionTables(c);
    } catch (SQLException e) {
      throw ProblemException.unavailable("database unavailable", 5);
    }
    Map<Integer, Long> positions = t.positions();
    Map<Integer, Long> rows = t.rows();
    Map<Integer, Long> horizons = t.minOffsets();
    Map<Integer, Instant> horizonTimes = t.horizonTimes();
    long epoch = t.epoch();
    Map<Integer, Long> ends = endOffsets();
    List<PartitionStats> list =
        IntStream.range(0, config.partitions())
            .mapToObj(
                p -> {
                  Long pos = positions.get(p);
                  Long end = ends.get(p);
                  Long lag = end == null ? null : end - (pos == null ? 0 : pos);
                  return new PartitionStats(
                      p,
                      pos,
                      end,
                      lag,
                      rows.getOrDefault(p, 0L),
                      horizons.get(p),
                      horizonTimes.get(p),
                      consumer.assignedPartitions().contains(p));
                })
            .toList();
    return new Stats(epoch, config.partitions(), list);
  }

  private Map<Integer, Long> endOffsets() {
    Properties props = KafkaClientSecurity.apply(kafka, new Properties());
    props.put(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers);
    props.put(AdminClientConfig.DEFAULT_API_TIMEOUT_MS_CONFIG, "5000");
    Map<TopicPartition, OffsetSpec> request = new HashMap<>();
    for (int p = 0; p < config.partitions(); p++) {
      request.put(new TopicPartition(mutations.topic(), p), OffsetSpec.latest());
    }
    Map<Integer, Long> ends = new HashMap<>();
    try (Admin admin = Admin.create(props)) {
      admin
          .listOffsets(request)
          .all()
          .get(5, TimeUnit.SECONDS)
          .forEach((tp, info) -> ends.put(tp.partition(), info.offset()));
    } catch (Exception e) {
      // Kafka unreachable: the stats still show what PostgreSQL knows.
    }
    return ends;
  }
}
