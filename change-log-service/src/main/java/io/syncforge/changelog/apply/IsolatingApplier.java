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

  /** The codes a poisoned mutation can get ({@link Faults#codeFor}). */
  public static final List<ErrorCode> POISON_CODES =
      List.of(ErrorCode.UNSTORABLE_VALUE, ErrorCode.RECORD_TOO_LARGE, ErrorCode.INTERNAL_REJECTION);

  /**
   * What one poll did, how many of its mutations were isolated and rejected, and what it took:
   * {@code attempts} transactions in all (1 without poison), and at most {@code maxRecordAttempts}
   * of them for any one record.
   */
  public record Isolated(
      BatchResult result, int poisoned, List<String> codes, int attempts, int maxRecordAttempts) {}

  /**
   * The isolation budget: the most transactions one record of a poll of {@code n} may take part in:
   * one per level of halving ({@code ceil(log2 n) + 1}) plus its own rejection, plus the
   * receipt-less last resort.
   */
  public static int recordAttemptBudget(int n) {
    int levels = 32 - Integer.numberOfLeadingZeros(Math.max(1, n) - 1); // ceil(log2 n)
    return levels + 3;
  }

  /**
   * Applies records of one poll (any partitions, each partition's records in offset order).
   *
   * @throws Exception a transient failure: nothing after the last committed part is stored
   */
  public Isolated apply(List<ConsumerRecord<String, byte[]>> records) throws Exception {
    Attempts attempts = new Attempts(records.size());
    java.util.ArrayList<String> codes = new java.util.ArrayList<>();
    BatchResult r = applyPart(records, 0, codes, attempts);
    return new Isolated(r, codes.size(), List.copyOf(codes), attempts.total, attempts.max());
  }

  /** Transactions tried for one poll, in all and per record (by index in the poll). */
  private static final class Attempts {
    final int[] perRecord;
    int total;

    Attempts(int n) {
      perRecord = new int[n];
    }

    void count(int from, int to) {
      total++;
      for (int i = from; i < to; i++) {
        perRecord[i]++;
      }
    }

    int max() {
      int m = 0;
      for (int a : perRecord) {
        m = Math.max(m, a);
      }
      return m;
    }
  }

  private BatchResult applyPart(
      List<ConsumerRecord<String, byte[]>> records, int from, List<String> codes, Attempts attempts)
      throws Exception {
    try {
      attempts.count(from, from + records.size());
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
        BatchResult left = applyPart(records.subList(0, half), from, codes, attempts);
        BatchResult right =
            applyPart(records.subList(half, records.size()), from + half, codes, attempts);
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
      return rejectOne(poisoned, from, code, Faults.describe(e), attempts);
    }
  }

  private BatchResult rejectOne(
      ConsumerRecord<String, byte[]> r, int index, ErrorCode code, String reason, Attempts attempts)
      throws SQLException {
    try {
      attempts.count(index, index + 1);
      return applier.reject(r, code, reason, true);
    } catch (SQLException | RuntimeException e) {
      if (Faults.isTransient(e)) {
        throw e;
      }
      // Even the receipt cannot be stored: dead letter and position only, never a wedge.
      LOG.errorf(e, "receipt for %d:%d cannot be stored either", r.partition(), r.offset());
      attempts.count(index, index + 1);
      return applier.reject(r, code, reason, false);
    }
  }
}
