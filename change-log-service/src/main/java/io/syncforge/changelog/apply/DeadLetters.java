package io.syncforge.changelog.apply;

import io.smallrye.reactive.messaging.MutinyEmitter;
import io.smallrye.reactive.messaging.kafka.api.OutgoingKafkaRecordMetadata;
import jakarta.enterprise.context.ApplicationScoped;
import java.nio.charset.StandardCharsets;
import java.util.List;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.common.header.internals.RecordHeaders;
import org.eclipse.microprofile.reactive.messaging.Channel;
import org.eclipse.microprofile.reactive.messaging.Message;
import org.jboss.logging.Logger;

/**
 * Sends messages that cannot be read as mutations to {@code sync.mutations.dlq}, with the reason
 * and the original coordinates in headers, and waits for the broker's acknowledgement: the batch
 * that skips them commits only after they are durable elsewhere (at least once).
 */
@ApplicationScoped
public class DeadLetters {

  /** Header: why the message was dead-lettered. */
  public static final String REASON = "x-dlq-reason";

  /** Header: the original partition and offset, as {@code p:o}. */
  public static final String ORIGIN = "x-dlq-origin";

  private static final Logger LOG = Logger.getLogger(DeadLetters.class);

  private final MutinyEmitter<byte[]> emitter;

  DeadLetters(@Channel(Channels.DLQ_OUT) MutinyEmitter<byte[]> emitter) {
    this.emitter = emitter;
  }

  /** An unreadable record and why. */
  public record Letter(ConsumerRecord<String, byte[]> record, String reason) {}

  /** Sends all letters and waits until each is acknowledged. */
  public void sendAll(List<Letter> letters) {
    for (Letter l : letters) {
      ConsumerRecord<String, byte[]> r = l.record();
      RecordHeaders headers = new RecordHeaders();
      headers.add(REASON, truncate(l.reason()).getBytes(StandardCharsets.UTF_8));
      headers.add(ORIGIN, (r.partition() + ":" + r.offset()).getBytes(StandardCharsets.UTF_8));
      OutgoingKafkaRecordMetadata<String> meta =
          OutgoingKafkaRecordMetadata.<String>builder()
              .withKey(r.key())
              .withHeaders(headers)
              .build();
      byte[] value = r.value() == null ? new byte[0] : r.value();
      emitter.sendMessageAndAwait(Message.of(value).addMetadata(meta));
      LOG.warnf("dead-lettered %d:%d: %s", r.partition(), r.offset(), l.reason());
    }
  }

  private static String truncate(String s) {
    return s.length() <= 1000 ? s : s.substring(0, 1000);
  }
}
