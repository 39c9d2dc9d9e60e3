package io.syncforge.media.outbox;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.syncforge.protocol.messaging.MutationEnvelope;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Event;
import jakarta.transaction.Transactional;
import java.time.Instant;

/**
 * Adds a mutation to the outbox inside the caller's transaction, so the metadata change and its
 * announcement commit or roll back together. Kafka being down delays the announcement, never loses
 * it.
 */
@ApplicationScoped
public class OutboxWriter {

  /** Fired inside the transaction; {@link OutboxPublisher} reacts after a successful commit. */
  public record Written() {}

  private final OutboxRepository outbox;
  private final ObjectMapper mapper;
  private final Event<Written> written;

  public OutboxWriter(OutboxRepository outbox, ObjectMapper mapper, Event<Written> written) {
    this.outbox = outbox;
    this.mapper = mapper;
    this.written = written;
  }

  /** An outbox row to insert with the caller's own statement ({@link #prepare}). */
  public record Pending(String key, String payload, Instant createdAt) {}

  /**
   * The row for an envelope, for a caller that inserts it into {@code media.outbox} in a statement
   * of its own (one round trip with other writes); it then calls {@link #announce} in the same
   * transaction.
   */
  public Pending prepare(MutationEnvelope envelope) {
    try {
      return new Pending(envelope.key(), mapper.writeValueAsString(envelope), Instant.now());
    } catch (JsonProcessingException ex) {
      throw new IllegalStateException("cannot serialise a mutation envelope", ex);
    }
  }

  /** After a caller inserted a {@link #prepare}d row: the publisher drains after the commit. */
  @Transactional(Transactional.TxType.MANDATORY)
  public void announce() {
    written.fire(new Written());
  }

  /** Enqueues the envelope; requires a running transaction. */
  @Transactional(Transactional.TxType.MANDATORY)
  public void enqueue(MutationEnvelope envelope) {
    OutboxEntry e = new OutboxEntry();
    e.messageKey = envelope.key();
    try {
      e.payload = mapper.writeValueAsString(envelope);
    } catch (JsonProcessingException ex) {
      throw new IllegalStateException("cannot serialise a mutation envelope", ex);
    }
    e.createdAt = Instant.now();
    outbox.persist(e);
    written.fire(new Written());
  }
}
