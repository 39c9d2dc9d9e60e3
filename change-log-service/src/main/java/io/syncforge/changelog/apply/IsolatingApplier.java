package io.syncforge.changelog.apply;

import io.syncforge.changelog.apply.BatchApplier.BatchResult;
import io.syncforge.protocol.ErrorCode;
import jakarta.enterprise.context.ApplicationScoped;
import java.sql.SQLException;
import java.util.List;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.jboss.logging.Logger;

/**
 * Applies a poll so that no single mutation can stop the stream: a batch that fails for a reason
 * that is not transient is retried in halves, down to one record, and that record gets a final
 * {@code rejected} receipt ({@link Faults#codeFor}) and a dead letter instead. Each part commits in
 * its own transaction, in offset order, with the positions of exactly its records: exactly once
 * holds as for a whole batch. A transient failure is thrown to the loop, which retries from the
 * stored positions (parts already committed are skipped by them).
 */
@ApplicationScoped
public class IsolatingApplier {

  private static final Logger LOG = Logger.getLogger(IsolatingApplier.class);

  private final BatchApplier applier;

  IsolatingApplier(BatchApplier applier) {
    this.applier = applier;
  }

  /** What one poll did, and how many of its mutations were isolated and rejected. */
  public record Isolated(BatchResult result, int poisoned, List<String> codes) {}

  /**
   * Applies records of one poll (any partitions, each partition's records in offset order).
   *
   * @throws Exception a transient failure: nothing after the last committed part is stored
   */
  public Isolated apply(List<ConsumerRecord<String, byte[]>> records) throws Exception {
    java.util.ArrayList<String> codes = new java.util.ArrayList<>();
    BatchResult r = applyPart(records, codes);
    return new Isolated(r, codes.size(), List.copyOf(codes));
  }

  private BatchResult applyPart(List<ConsumerRecord<String, byte[]>> records, List<String> codes)
      throws Exception {
    try {
      return applier.apply(records);
    } catch (Exception e) {
      if (Faults.isTransient(e)) {
        throw e;
      }
      if (records.size() > 1) {
        LOG.warnf(
            "batch of %d failed (%s); applying it in halves to isolate the mutation",
            records.size(), Faults.describe(e));
        int half = records.size() / 2;
        BatchResult left = applyPart(records.subList(0, half), codes);
        BatchResult right = applyPart(records.subList(half, records.size()), codes);
        return left.plus(right);
      }
      ConsumerRecord<String, byte[]> poisoned = records.get(0);
      ErrorCode code = Faults.codeFor(e);
      LOG.errorf(
          e,
          "mutation at %d:%d cannot be applied: rejected as %s and dead-lettered",
          poisoned.partition(),
          poisoned.offset(),
          code.code());
      codes.add(code.code());
      return rejectOne(poisoned, code, Faults.describe(e));
    }
  }

  private BatchResult rejectOne(ConsumerRecord<String, byte[]> r, ErrorCode code, String reason)
      throws SQLException {
    try {
      return applier.reject(r, code, reason, true);
    } catch (SQLException | RuntimeException e) {
      if (Faults.isTransient(e)) {
        throw e;
      }
      // Even the receipt cannot be stored: dead letter and position only, never a wedge.
      LOG.errorf(e, "receipt for %d:%d cannot be stored either", r.partition(), r.offset());
      return applier.reject(r, code, reason, false);
    }
  }
}
