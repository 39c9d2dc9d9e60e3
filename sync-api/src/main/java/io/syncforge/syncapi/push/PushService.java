package io.syncforge.syncapi.push;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.micrometer.core.instrument.MeterRegistry;
import io.smallrye.mutiny.Uni;
import io.smallrye.mutiny.infrastructure.Infrastructure;
import io.syncforge.changelog.store.LogReader;
import io.syncforge.protocol.ErrorCode;
import io.syncforge.protocol.FieldError;
import io.syncforge.protocol.Json;
import io.syncforge.protocol.Limits;
import io.syncforge.protocol.Mutation;
import io.syncforge.protocol.MutationOutcome;
import io.syncforge.protocol.PushRequest;
import io.syncforge.protocol.PushResponse;
import io.syncforge.protocol.json.StrictJson;
import io.syncforge.protocol.messaging.MutationEnvelope;
import io.syncforge.protocol.validation.Ids;
import io.syncforge.protocol.validation.MutationValidator;
import io.syncforge.service.Caller;
import io.syncforge.service.ProblemException;
import io.syncforge.syncapi.config.CollectionPolicy;
import io.syncforge.syncapi.config.SyncApiConfig;
import io.syncforge.syncapi.live.ChangeNotifications;
import io.syncforge.syncapi.log.ReadTransactions;
import jakarta.enterprise.context.ApplicationScoped;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.producer.RecordMetadata;
import org.jboss.logging.Logger;

/**
 * Push: validate the whole request, make every mutation durable in {@code sync.mutations}, then
 * wait a short time for change-log-service to commit the outcomes. Nothing is produced unless every
 * mutation is valid; nothing is answered 200 unless every mutation is durable.
 */
@ApplicationScoped
public class PushService {

  private static final Logger LOG = Logger.getLogger(PushService.class);
  private static final ObjectMapper MAPPER = Json.newMapper();

  private final SyncApiConfig config;
  private final CollectionPolicy collections;
  private final MutationProducer producer;
  private final ChangeNotifications notifications;
  private final ReadTransactions tx;
  private final MutationValidator validator;
  private final MeterRegistry registry;
  private final KafkaGate gate = new KafkaGate();
  private final RecentlyProduced recent;

  PushService(
      SyncApiConfig config,
      CollectionPolicy collections,
      MutationProducer producer,
      ChangeNotifications notifications,
      ReadTransactions tx,
      MeterRegistry registry) {
    this.config = config;
    this.collections = collections;
    this.producer = producer;
    this.notifications = notifications;
    this.tx = tx;
    this.registry = registry;
    this.recent = new RecentlyProduced(config.push().resendWindow(), config.push().resendMemory());
    this.validator =
        new MutationValidator(
            Math.min(config.push().maxRecordBytes(), Limits.MAX_RECORD_BYTES), false);
  }

  /** Parses and checks a raw push body (413, 400, 422 as problem+json). */
  public PushRequest parse(byte[] body) {
    int maxBytes = Math.min(config.push().maxRequestBytes(), Limits.MAX_REQUEST_BYTES);
    if (body != null && body.length > maxBytes) {
      throw new ProblemException(
          ErrorCode.PAYLOAD_TOO_LARGE,
          "the body is " + body.length + " bytes, more than the limit of " + maxBytes);
    }
    if (body == null || body.length == 0) {
      throw new ProblemException(ErrorCode.INVALID_REQUEST, "a JSON body is required");
    }
    // One strict reading (trailing content, duplicate keys, U+0000, numbers, depth): every
    // violation is listed in one 400 and nothing is produced.
    StrictJson.Result read = StrictJson.parse(body);
    if (!read.ok()) {
      throw new ProblemException(
          ErrorCode.INVALID_REQUEST,
          read.violationCount() + " JSON violation(s); nothing was accepted",
          read.violations());
    }
    if (!read.value().isObject()) {
      throw new ProblemException(ErrorCode.INVALID_REQUEST, "a JSON object body is required");
    }
    PushRequest request = BodyBinding.bind(MAPPER, read.value(), PushRequest.class);
    int maxMutations = Math.min(config.push().maxMutations(), Limits.MAX_MUTATIONS_PER_PUSH);
    if (request.mutations() != null && request.mutations().size() > maxMutations) {
      throw new ProblemException(
          ErrorCode.PAYLOAD_TOO_LARGE,
          request.mutations().size() + " mutations, more than the limit of " + maxMutations);
    }
    List<FieldError> errors = new ArrayList<>(validator.validate(request, maxMutations));
    // Unknown collections are 422 for the whole request, unless something is malformed (400).
    Set<String> unknownPaths = new HashSet<>();
    Set<String> unknown = new LinkedHashSet<>();
    List<Mutation> mutations = request.mutations() == null ? List.of() : request.mutations();
    for (int i = 0; i < mutations.size(); i++) {
      Mutation m = mutations.get(i);
      String name = m == null ? null : m.collection();
      if (name == null) {
        continue;
      }
      boolean unknownSystem = name.startsWith("_") && !Ids.isSystemCollection(name);
      boolean wellFormedUnknown =
          !name.startsWith("_") && validCollection(name) && !collections.known(name);
      if (unknownSystem || wellFormedUnknown) {
        unknown.add(name);
        unknownPaths.add("mutations[" + i + "].collection");
      }
    }
    errors.addAll(duplicateMutationIds(mutations));
    errors.removeIf(e -> unknownPaths.contains(e.path()));
    if (!errors.isEmpty()) {
      throw new ProblemException(
          ErrorCode.INVALID_REQUEST,
          errors.size() + " invalid field(s); nothing was accepted",
          errors);
    }
    if (!unknown.isEmpty()) {
      throw new ProblemException(
          ErrorCode.UNKNOWN_COLLECTION,
          "unknown collection(s) " + String.join(", ", unknown) + "; nothing was accepted");
    }
    return request;
  }

  /** Produces the (valid) mutations and answers their outcomes. Call on a worker thread. */
  public Uni<PushResponse> push(Caller caller, PushRequest request) {
    long started = System.nanoTime();
    List<Mutation> mutations = request.mutations();
    String clientId = request.clientId();
    Set<UUID> ids = new LinkedHashSet<>();
    mutations.forEach(m -> ids.add(m.mutationId()));
    // A retry: outcomes already final need not travel through Kafka again.
    Map<UUID, MutationOutcome> known = lookup(caller.tenant(), clientId, ids);
    Instant receivedAt = Instant.now();
    List<MutationEnvelope> toSend = new ArrayList<>();
    // Resends of mutations this instance made durable lately: waited for, not produced again.
    List<RecentlyProduced.At> resent = new ArrayList<>();
    for (Mutation m : mutations) {
      if (known.containsKey(m.mutationId())) {
        continue;
      }
      RecentlyProduced.At at = recent.find(caller.tenant(), clientId, m.mutationId(), started);
      if (at != null) {
        resent.add(at);
      } else {
        toSend.add(
            new MutationEnvelope(
                caller.tenant(),
                caller.user(),
                clientId,
                m,
                receivedAt,
                MutationEnvelope.SOURCE_DEVICE));
      }
    }
    if (!resent.isEmpty()) {
      registry.counter("sync.push.resends.not.produced").increment(resent.size());
    }
    // One deadline for the whole push: sends and acknowledgements together.
    long deadline = started + config.push().sendTimeout().toNanos();
    List<CompletableFuture<RecordMetadata>> acks = new ArrayList<>();
    if (!toSend.isEmpty()) {
      if (!gate.tryEnter()) {
        // Kafka is down and another push is probing it: answer now, hold no thread.
        return Uni.createFrom().failure(unavailable("Kafka is down (a probe is in flight)"));
      }
      List<Map.Entry<String, String>> records = new ArrayList<>(toSend.size());
      for (MutationEnvelope envelope : toSend) {
        records.add(Map.entry(envelope.key(), json(envelope)));
      }
      acks.addAll(producer.sendAll(records, deadline));
    }
    long remainingMs = Math.max(1, (deadline - System.nanoTime()) / 1_000_000);
    return Uni.createFrom()
        .completionStage(
            CompletableFuture.allOf(acks.toArray(CompletableFuture[]::new))
                .orTimeout(remainingMs, TimeUnit.MILLISECONDS))
        .onItem()
        .invoke(
            () -> {
              if (!acks.isEmpty()) {
                gate.succeeded();
              }
              long now = System.nanoTime();
              for (int i = 0; i < acks.size(); i++) {
                RecordMetadata meta = acks.get(i).join(); // all complete
                recent.remember(
                    caller.tenant(),
                    clientId,
                    toSend.get(i).mutation().mutationId(),
                    new RecentlyProduced.At(meta.partition(), meta.offset(), now));
              }
            })
        .onFailure()
        .transform(
            e -> {
              gate.failed(System.nanoTime());
              return unavailable(e.toString());
            })
        .chain(v -> awaitCommitted(acks, resent))
        .emitOn(Infrastructure.getDefaultWorkerPool())
        .map(
            v -> {
              Map<UUID, MutationOutcome> outcomes =
                  acks.isEmpty() && resent.isEmpty()
                      ? known
                      : lookup(caller.tenant(), clientId, ids);
              List<MutationOutcome> answer = new ArrayList<>(mutations.size());
              for (Mutation m : mutations) {
                MutationOutcome o = outcomes.get(m.mutationId());
                answer.add(o != null ? o : MutationOutcome.pending(m));
              }
              answer.forEach(
                  o ->
                      registry
                          .counter("sync.push.mutations", "status", o.status().wire())
                          .increment());
              registry
                  .timer("sync.push.latency")
                  .record(System.nanoTime() - started, TimeUnit.NANOSECONDS);
              return new PushResponse(answer, Instant.now());
            });
  }

  private ProblemException unavailable(String why) {
    LOG.warnf("push not durable, answering 503: %s", why);
    registry.counter("sync.push.unavailable").increment();
    return ProblemException.unavailable(
        "the mutation log cannot take the mutations now; retry with the same mutationIds",
        config.push().retryAfterSeconds());
  }

  /** Whether the last push found Kafka down (none succeeded since); for the health detail. */
  public boolean kafkaDown() {
    return gate.isDown();
  }

  /**
   * Completes when every produced offset (and every resent one's first copy) is committed, or after
   * the push wait.
   */
  private Uni<Void> awaitCommitted(
      List<CompletableFuture<RecordMetadata>> acks, List<RecentlyProduced.At> resent) {
    if ((acks.isEmpty() && resent.isEmpty()) || config.pushWait().isZero()) {
      return Uni.createFrom().voidItem();
    }
    List<CompletableFuture<Void>> committed = new ArrayList<>();
    for (CompletableFuture<RecordMetadata> ack : acks) {
      RecordMetadata meta = ack.join(); // already complete
      committed.add(notifications.committed(meta.partition(), meta.offset()));
    }
    for (RecentlyProduced.At at : resent) {
      committed.add(notifications.committed(at.partition(), at.offset()));
    }
    CompletableFuture<Void> all =
        CompletableFuture.allOf(committed.toArray(CompletableFuture[]::new));
    return Uni.createFrom()
        .completionStage(all)
        .ifNoItem()
        .after(config.pushWait())
        .recoverWithItem((Void) null)
        .onTermination()
        .invoke(() -> committed.forEach(f -> f.cancel(false)));
  }

  private Map<UUID, MutationOutcome> lookup(String tenant, String clientId, Set<UUID> ids) {
    try {
      return tx.read(c -> LogReader.outcomes(c, tenant, clientId, ids));
    } catch (ProblemException e) {
      // The database only tells outcomes; without it mutations are still accepted (pending).
      return Map.of();
    }
  }

  /** A mutationId twice in one push: the second one is refused, naming the first. */
  static List<FieldError> duplicateMutationIds(List<Mutation> mutations) {
    Map<UUID, Integer> first = new java.util.HashMap<>();
    List<FieldError> errors = new ArrayList<>();
    for (int i = 0; i < mutations.size(); i++) {
      Mutation m = mutations.get(i);
      if (m == null || m.mutationId() == null) {
        continue;
      }
      Integer before = first.putIfAbsent(m.mutationId(), i);
      if (before != null) {
        errors.add(
            new FieldError(
                "mutations[" + i + "].mutationId",
                "duplicate mutationId (also at mutations[" + before + "])"));
      }
    }
    return errors;
  }

  private static boolean validCollection(String name) {
    try {
      Ids.validateCollection(name);
      return true;
    } catch (RuntimeException e) {
      return false;
    }
  }

  private static String json(MutationEnvelope envelope) {
    try {
      return MAPPER.writeValueAsString(envelope);
    } catch (JsonProcessingException e) {
      throw new IllegalStateException("cannot serialize a mutation envelope", e);
    }
  }
}
