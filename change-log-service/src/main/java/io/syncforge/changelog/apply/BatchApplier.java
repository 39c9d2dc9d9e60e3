package io.syncforge.changelog.apply;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.syncforge.changelog.config.ChangeLogConfig;
import io.syncforge.changelog.conflict.ConflictResolver;
import io.syncforge.changelog.conflict.Decision;
import io.syncforge.changelog.store.LogWriter;
import io.syncforge.changelog.store.LogWriter.ChangeRow;
import io.syncforge.changelog.store.LogWriter.MutationRef;
import io.syncforge.changelog.store.LogWriter.OutcomeRow;
import io.syncforge.changelog.store.LogWriter.RecordKey;
import io.syncforge.changelog.store.LogWriter.RecordRow;
import io.syncforge.changelog.store.RecordState;
import io.syncforge.protocol.ErrorCode;
import io.syncforge.protocol.ErrorDetail;
import io.syncforge.protocol.FieldError;
import io.syncforge.protocol.Json;
import io.syncforge.protocol.Mutation;
import io.syncforge.protocol.MutationOutcome;
import io.syncforge.protocol.messaging.MutationEnvelope;
import io.syncforge.protocol.validation.Ids;
import io.syncforge.protocol.validation.MutationValidator;
import io.syncforge.protocol.validation.ValidationException;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.transaction.Transactional;
import java.sql.Connection;
import java.sql.SQLException;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.stream.Collectors;
import javax.sql.DataSource;
import org.apache.kafka.clients.consumer.ConsumerRecord;

/**
 * Applies one poll's records in ONE PostgreSQL transaction: dedupe, validate, resolve conflicts,
 * update {@code records}, append to {@code change_log}, write receipts, store each partition's next
 * offset. A crash before commit leaves nothing; after commit, the stored offsets make the records
 * never apply again.
 */
@ApplicationScoped
public class BatchApplier {

  private static final ObjectMapper JSON = Json.newMapper();
  private static final org.jboss.logging.Logger LOG =
      org.jboss.logging.Logger.getLogger(BatchApplier.class);

  private final DataSource dataSource;
  private final LogWriter repository;
  private final ChangeLogConfig config;
  private final DeadLetters deadLetters;
  private final ConflictResolver resolver = new ConflictResolver();
  private final MutationValidator validator;

  BatchApplier(
      DataSource dataSource,
      LogWriter repository,
      ChangeLogConfig config,
      DeadLetters deadLetters) {
    this.dataSource = dataSource;
    this.repository = repository;
    this.config = config;
    this.deadLetters = deadLetters;
    // Trusted writers (media-service) may write system collections; sync-api keeps devices out.
    this.validator = new MutationValidator(config.maxRecordBytes(), true);
  }

  /**
   * What one batch did, for notifications and metrics. {@code tenantPartitions}: per tenant, per
   * partition the batch held mutations of, the collections it changed there (empty when it only
   * wrote receipts: rejections, duplicates, no-op changes).
   */
  public record BatchResult(
      Map<Integer, Long> nextOffsets,
      Map<String, Map<Integer, Set<String>>> tenantPartitions,
      int applied,
      int merged,
      int rejected,
      int duplicates,
      int deadLettered,
      int skipped,
      List<Instant> receivedTimes,
      long readNanos,
      long resolveNanos,
      long writeNanos) {

    static BatchResult empty(Map<Integer, Long> next, int skipped) {
      return new BatchResult(next, Map.of(), 0, 0, 0, 0, 0, skipped, List.of(), 0, 0, 0);
    }

    /** Both results, as if one batch (the second applied after the first). */
    BatchResult plus(BatchResult o) {
      Map<Integer, Long> n = new HashMap<>(nextOffsets);
      o.nextOffsets.forEach((p, v) -> n.merge(p, v, Math::max));
      Map<String, Map<Integer, Set<String>>> tp = new HashMap<>();
      for (Map<String, Map<Integer, Set<String>>> part :
          List.of(tenantPartitions, o.tenantPartitions)) {
        part.forEach(
            (t, ps) ->
                ps.forEach(
                    (p, cs) ->
                        tp.computeIfAbsent(t, x -> new TreeMap<>())
                            .computeIfAbsent(p, x -> new TreeSet<>())
                            .addAll(cs)));
      }
      List<Instant> times = new ArrayList<>(receivedTimes);
      times.addAll(o.receivedTimes);
      return new BatchResult(
          n,
          tp,
          applied + o.applied,
          merged + o.merged,
          rejected + o.rejected,
          duplicates + o.duplicates,
          deadLettered + o.deadLettered,
          skipped + o.skipped,
          times,
          readNanos + o.readNanos,
          resolveNanos + o.resolveNanos,
          writeNanos + o.writeNanos);
    }
  }

  /** A record read from Kafka: its envelope, or why it could not be read. */
  private record Parsed(
      ConsumerRecord<String, byte[]> record, MutationEnvelope envelope, String error) {}

  /**
   * Applies records of one poll (any partitions, each partition's records in offset order).
   *
   * @throws SQLException on a database failure; the transaction rolls back and nothing is stored
   */
  @Transactional(rollbackOn = Exception.class)
  public BatchResult apply(List<ConsumerRecord<String, byte[]>> records) throws SQLException {
    Instant now = Instant.now().truncatedTo(ChronoUnit.MICROS); // what timestamptz keeps
    try (Connection c = dataSource.getConnection()) {
      Set<Integer> partitions = new TreeSet<>();
      records.forEach(r -> partitions.add(r.partition()));
      Map<Integer, Long> stored = repository.lockPositions(c, partitions);

      List<Parsed> fresh = new ArrayList<>();
      Map<Integer, Long> next = new HashMap<>(stored);
      int skipped = 0;
      for (ConsumerRecord<String, byte[]> r : records) {
        if (r.offset() < stored.get(r.partition())) {
          skipped++; // Applied by an earlier owner of this partition: the fence at work.
          continue;
        }
        fresh.add(parse(r));
        next.merge(r.partition(), r.offset() + 1, Math::max);
      }

      List<Parsed> unreadable = fresh.stream().filter(p -> p.envelope() == null).toList();
      deadLetters.sendAll(
          unreadable.stream().map(p -> new DeadLetters.Letter(p.record(), p.error())).toList());

      List<Parsed> readable = fresh.stream().filter(p -> p.envelope() != null).toList();
      Set<MutationRef> refs = new LinkedHashSet<>();
      Set<RecordKey> keys = new LinkedHashSet<>();
      for (Parsed p : readable) {
        refs.add(ref(p.envelope()));
        RecordKey key = key(p.envelope());
        if (key != null) {
          keys.add(key);
        }
      }
      long t0 = System.nanoTime();
      Map<MutationRef, MutationOutcome> done = repository.findOutcomes(c, refs);
      Map<RecordKey, RecordState> state = repository.findRecords(c, keys);
      List<RecordKey> missing = keys.stream().filter(k -> !state.containsKey(k)).toList();
      Map<List<String>, Long> floors = repository.findFloors(c, missing);
      long t1 = System.nanoTime();

      Map<RecordKey, RecordRow> recordRows = new LinkedHashMap<>();
      List<ChangeRow> changeRows = new ArrayList<>();
      List<OutcomeRow> outcomeRows = new ArrayList<>();
      Map<String, Map<Integer, Set<String>>> tenantPartitions = new HashMap<>();
      List<Instant> receivedTimes = new ArrayList<>();
      int applied = 0;
      int merged = 0;
      int rejected = 0;
      int duplicates = 0;
      for (Parsed p : readable) {
        MutationEnvelope env = p.envelope();
        ConsumerRecord<String, byte[]> rec = p.record();
        MutationRef ref = ref(env);
        Set<String> changedHere =
            tenantPartitions
                .computeIfAbsent(env.tenant(), t -> new TreeMap<>())
                .computeIfAbsent(rec.partition(), x -> new TreeSet<>());
        if (done.containsKey(ref)) {
          duplicates++; // Same (client, mutation) again: its first outcome stands.
          continue;
        }
        Mutation m = env.mutation();
        MutationOutcome outcome;
        List<FieldError> errors = validator.validate(m, "mutation");
        if (!errors.isEmpty()) {
          outcome =
              MutationOutcome.rejected(
                  m, new ErrorDetail(ErrorCode.INVALID_REQUEST.code(), describe(errors)));
        } else {
          RecordKey key = key(env);
          Decision d =
              resolver.resolve(
                  state.get(key),
                  m,
                  config.policyFor(m.collection()),
                  receivedAt(env, now),
                  env.clientId(),
                  floors.getOrDefault(List.of(key.tenant(), key.collection()), 0L));
          // The record's JSON, written once for the size check, the records row and the log.
          String dataJson =
              d instanceof Decision.Accept a && a.changed() ? dataJson(a.state()) : null;
          if (dataJson != null && tooLarge(((Decision.Accept) d).state(), dataJson)) {
            // The limit holds for the merged record, not only for what one mutation carries.
            d =
                new Decision.Reject(
                    ErrorCode.RECORD_TOO_LARGE,
                    "the record would exceed "
                        + config.maxRecordBytes()
                        + " bytes after this mutation");
          }
          if (d instanceof Decision.Reject r) {
            outcome = MutationOutcome.rejected(m, new ErrorDetail(r.code().code(), r.message()));
          } else {
            Decision.Accept a = (Decision.Accept) d;
            if (a.changed()) {
              changedHere.add(key.collection());
              state.put(key, a.state());
              recordRows.put(
                  key, new RecordRow(key, a.state(), dataJson, rec.partition(), rec.offset(), now));
              changeRows.add(
                  new ChangeRow(
                      rec.partition(),
                      rec.offset(),
                      key,
                      a.state(),
                      dataJson,
                      m.op().wire(),
                      m.mutationId(),
                      env.clientId(),
                      now));
            }
            outcome =
                a.conflicts().isEmpty()
                    ? MutationOutcome.applied(m, a.version())
                    : MutationOutcome.merged(m, a.version(), a.conflicts());
          }
        }
        switch (outcome.status()) {
          case APPLIED -> applied++;
          case MERGED -> merged++;
          default -> rejected++;
        }
        done.put(ref, outcome);
        outcomeRows.add(new OutcomeRow(ref, rec.partition(), rec.offset(), outcome, now));
        receivedTimes.add(receivedAt(env, now));
      }

      long t2 = System.nanoTime();
      repository.upsertRecords(c, recordRows.values());
      repository.insertChanges(c, changeRows);
      repository.insertOutcomes(c, outcomeRows);
      repository.savePositions(c, next, now);
      long t3 = System.nanoTime();
      return new BatchResult(
          next,
          tenantPartitions,
          applied,
          merged,
          rejected,
          duplicates,
          unreadable.size(),
          skipped,
          receivedTimes,
          t1 - t0,
          t2 - t1,
          t3 - t2);
    }
  }

  private boolean tooLarge(RecordState s, String dataJson) {
    return !s.deleted() && utf8Length(dataJson) > config.maxRecordBytes();
  }

  private static String dataJson(RecordState s) {
    try {
      return JSON.writeValueAsString(s.data());
    } catch (Exception e) {
      throw new IllegalStateException("cannot serialize a record", e);
    }
  }

  /** The UTF-8 size of {@code text}, without encoding it. */
  static int utf8Length(String text) {
    int bytes = 0;
    for (int i = 0; i < text.length(); i++) {
      char ch = text.charAt(i);
      if (ch < 0x80) {
        bytes += 1;
      } else if (ch < 0x800) {
        bytes += 2;
      } else if (Character.isHighSurrogate(ch)
          && i + 1 < text.length()
          && Character.isLowSurrogate(text.charAt(i + 1))) {
        bytes += 4;
        i++;
      } else {
        bytes += 3;
      }
    }
    return bytes;
  }

  /**
   * Gives ONE record that could not be applied a final answer, in its own transaction: a {@code
   * rejected} receipt with {@code code} (unless the mutation already has a receipt), a dead letter
   * with the reason, and the partition's position moved past it. An unreadable record only gets the
   * dead letter and the position; so does every record when {@code withReceipt} is false (the last
   * resort when even the receipt cannot be stored).
   *
   * @throws SQLException when even that cannot be stored (the caller retries: a transient fault)
   */
  @Transactional(rollbackOn = Exception.class)
  public BatchResult reject(
      ConsumerRecord<String, byte[]> r, ErrorCode code, String reason, boolean withReceipt)
      throws SQLException {
    Instant now = Instant.now().truncatedTo(ChronoUnit.MICROS); // what timestamptz keeps
    try (Connection c = dataSource.getConnection()) {
      Map<Integer, Long> stored = repository.lockPositions(c, List.of(r.partition()));
      Map<Integer, Long> next = new HashMap<>(stored);
      if (r.offset() < stored.get(r.partition())) {
        return BatchResult.empty(next, 1); // Applied meanwhile by another owner.
      }
      next.put(r.partition(), r.offset() + 1);
      Parsed p = parse(r);
      Map<String, Map<Integer, Set<String>>> tenantPartitions = new HashMap<>();
      int rejectedCount = 0;
      int duplicates = 0;
      List<Instant> receivedTimes = new ArrayList<>();
      String text = Poison.clean(reason);
      if (withReceipt && p.envelope() != null) {
        MutationEnvelope env = p.envelope();
        MutationRef ref = ref(env);
        // A receipt only: the tenant's pulls waiting for receipts wake, no collection changed.
        tenantPartitions.put(env.tenant(), Map.of(r.partition(), Set.of()));
        if (repository.findOutcomes(c, List.of(ref)).containsKey(ref)) {
          duplicates++;
        } else {
          Mutation m = env.mutation();
          // The receipt must be storable whatever the mutation held: ids PostgreSQL would refuse
          // are left out (the device matches receipts by mutationId).
          MutationOutcome outcome =
              new MutationOutcome(
                  m.mutationId(),
                  Poison.storableOrNull(m.collection()),
                  Poison.storableOrNull(m.recordId()),
                  io.syncforge.protocol.OutcomeStatus.REJECTED,
                  null,
                  null,
                  new ErrorDetail(code.code(), text));
          repository.insertOutcomes(
              c, List.of(new OutcomeRow(ref, r.partition(), r.offset(), outcome, now)));
          rejectedCount++;
          receivedTimes.add(receivedAt(env, now));
        }
      }
      try {
        deadLetters.sendAll(List.of(new DeadLetters.Letter(r, code.code() + ": " + text)));
      } catch (RuntimeException e) {
        if (Faults.isTransient(e)) {
          throw e;
        }
        // The broker refuses this very record (e.g. too large): the receipt and the log stand.
        LOG.errorf(e, "dead letter for %d:%d refused; rejected anyway", r.partition(), r.offset());
      }
      repository.savePositions(c, next, now);
      return new BatchResult(
          next, tenantPartitions, 0, 0, rejectedCount, duplicates, 1, 0, receivedTimes, 0, 0, 0);
    }
  }

  private static Parsed parse(ConsumerRecord<String, byte[]> r) {
    if (r.value() == null) {
      return new Parsed(r, null, "empty message");
    }
    MutationEnvelope env;
    try {
      env = JSON.readValue(r.value(), MutationEnvelope.class);
    } catch (Exception e) {
      return new Parsed(r, null, "not a mutation envelope: " + e.getMessage());
    }
    // Without these there is no dedupe key and no one to hand a receipt to.
    if (env == null || env.mutation() == null || env.mutation().mutationId() == null) {
      return new Parsed(r, null, "envelope without a mutation or mutationId");
    }
    try {
      Ids.validateTenant(env.tenant());
      Ids.validateClientId(env.clientId(), "clientId");
    } catch (ValidationException e) {
      return new Parsed(r, null, "envelope with invalid tenant or clientId: " + e.getMessage());
    }
    return new Parsed(r, env, null);
  }

  private static MutationRef ref(MutationEnvelope env) {
    return new MutationRef(env.tenant(), env.clientId(), env.mutation().mutationId());
  }

  private static RecordKey key(MutationEnvelope env) {
    Mutation m = env.mutation();
    if (m.collection() == null || m.recordId() == null) {
      return null;
    }
    return new RecordKey(env.tenant(), m.collection(), m.recordId());
  }

  private static Instant receivedAt(MutationEnvelope env, Instant fallback) {
    return env.receivedAt() != null ? env.receivedAt() : fallback;
  }

  private static String describe(List<FieldError> errors) {
    return errors.stream()
        .map(e -> e.path() + ": " + e.message())
        .collect(Collectors.joining("; "));
  }
}
