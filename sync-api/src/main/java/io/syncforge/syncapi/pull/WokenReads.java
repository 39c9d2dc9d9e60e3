package io.syncforge.syncapi.pull;

import io.smallrye.mutiny.Uni;
import io.smallrye.mutiny.subscription.UniEmitter;
import io.syncforge.syncapi.live.ChangeNotifications;
import io.syncforge.syncapi.live.ReReadLimiter;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Function;

/**
 * Single flight for woken pulls: the re-reads of one tenant that wait for the same turn of the
 * {@link ReReadLimiter} form one batch, read in one transaction by {@link PullReader#readAll} (one
 * log-state statement, one answer per distinct request, change rows shared between requests with
 * the same cursor and filter, receipts per client id). A batch takes members until it starts
 * reading (its start waits until the notification that woke the first member has woken all the
 * others, {@link ChangeNotifications#afterWakes}); a pull woken after that joins the next batch,
 * whose snapshot is then taken after its wake, so no pull is ever answered from a read that began
 * before the change that woke it. Thread-safe.
 */
final class WokenReads {

  private record Member(PullReader.Request request, UniEmitter<? super PullReader.Result> out) {}

  private final Map<String, Batch> pending = new ConcurrentHashMap<>();
  private final ReReadLimiter limiter;
  private final Function<List<PullReader.Request>, List<PullReader.Answer>> reader;
  private final AtomicLong batches = new AtomicLong();
  private final AtomicLong pulls = new AtomicLong();

  /**
   * @param limiter bounds the batches reading at once
   * @param reader reads the requests of one batch in one transaction, one answer per request
   */
  WokenReads(
      ReReadLimiter limiter, Function<List<PullReader.Request>, List<PullReader.Answer>> reader) {
    this.limiter = limiter;
    this.reader = reader;
  }

  /** Re-reads {@code request}, together with the other woken pulls of its tenant now waiting. */
  Uni<PullReader.Result> read(PullReader.Request request) {
    return Uni.createFrom()
        .emitter(
            out -> {
              Batch[] created = {null};
              pending.compute(
                  request.tenant(),
                  (tenant, open) -> {
                    Batch batch = open != null ? open : (created[0] = new Batch(tenant));
                    batch.members.add(new Member(request, out));
                    return batch;
                  });
              if (created[0] != null) {
                // Once the notification that woke this pull has woken the others too.
                ChangeNotifications.afterWakes(created[0]::submit);
              }
            });
  }

  /** Batches read so far (one transaction each). */
  long batches() {
    return batches.get();
  }

  /** Woken pulls answered by those batches. */
  long pulls() {
    return pulls.get();
  }

  private final class Batch {
    final String tenant;

    /** Guarded by {@code pending}'s lock of the tenant's key until the batch leaves the map. */
    final List<Member> members = new ArrayList<>();

    Batch(String tenant) {
      this.tenant = tenant;
    }

    /** Queues the batch for a re-read permit. */
    void submit() {
      limiter
          .run(
              () -> {
                run();
                return this;
              })
          .subscribe()
          .with(done -> {}, this::fail);
    }

    /** Closes the batch to new members, then reads and answers every member. */
    void run() {
      pending.remove(tenant, this);
      List<PullReader.Request> requests = new ArrayList<>(members.size());
      members.forEach(m -> requests.add(m.request()));
      List<PullReader.Answer> answers;
      try {
        answers = reader.apply(requests);
      } catch (RuntimeException | Error e) {
        members.forEach(m -> m.out().fail(e));
        return;
      }
      batches.incrementAndGet();
      pulls.addAndGet(members.size());
      for (int i = 0; i < members.size(); i++) {
        PullReader.Answer a = answers.get(i);
        if (a.problem() != null) {
          members.get(i).out().fail(a.problem());
        } else {
          members.get(i).out().complete(a.result());
        }
      }
    }

    /** The limiter could not run the batch (its executor refused): every member fails. */
    void fail(Throwable t) {
      pending.remove(tenant, this);
      members.forEach(m -> m.out().fail(t));
    }
  }
}
