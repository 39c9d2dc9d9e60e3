package io.syncforge.media.outbox;

import jakarta.persistence.Column;
import jakarta.persistence.Entity;
import jakarta.persistence.GeneratedValue;
import jakarta.persistence.GenerationType;
import jakarta.persistence.Id;
import jakarta.persistence.Table;
import java.time.Instant;

/**
 * A Kafka record waiting to be sent (table {@code media.outbox}), written in the same transaction
 * as the metadata change it announces.
 */
@Entity
@Table(name = "outbox", schema = "media")
public class OutboxEntry {

  @Id
  @GeneratedValue(strategy = GenerationType.IDENTITY)
  public Long id;

  /** The Kafka key, {@code tenant/_media/sha256}. */
  @Column(name = "message_key", nullable = false)
  public String messageKey;

  /** The Kafka value: a {@code MutationEnvelope} as protocol JSON. */
  @Column(nullable = false)
  public String payload;

  @Column(name = "created_at", nullable = false)
  public Instant createdAt;

  /** Failed sends so far (Kafka refused this record while others of its batch went through). */
  @Column(nullable = false)
  public int attempts;

  /** After a failed send: not sent again before this; later rows of its key wait too. */
  @Column(name = "next_attempt_at")
  public Instant nextAttemptAt;

  /** Why the last send failed, for operators. */
  @Column(name = "last_error")
  public String lastError;
}
