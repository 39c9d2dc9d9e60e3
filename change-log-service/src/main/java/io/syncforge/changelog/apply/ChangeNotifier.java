package io.syncforge.changelog.apply;

import io.smallrye.reactive.messaging.kafka.api.OutgoingKafkaRecordMetadata;
import io.syncforge.protocol.messaging.ChangeNotification;
import jakarta.enterprise.context.ApplicationScoped;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import org.eclipse.microprofile.reactive.messaging.Channel;
import org.eclipse.microprofile.reactive.messaging.Emitter;
import org.eclipse.microprofile.reactive.messaging.Message;
import org.eclipse.microprofile.reactive.messaging.OnOverflow;
import org.jboss.logging.Logger;

/**
 * Publishes, after each commit, one {@link ChangeNotification} per tenant and partition of the
 * batch on {@code sync.changes} (key: tenant), carrying the partition's last applied offset and the
 * collections the batch changed for the tenant there. Best effort: a lost notification only delays
 * a waiting device until its wait times out.
 */
@ApplicationScoped
public class ChangeNotifier {

  private static final Logger LOG = Logger.getLogger(ChangeNotifier.class);

  private final Emitter<ChangeNotification> emitter;

  ChangeNotifier(
      @Channel(Channels.CHANGES_OUT)
          @OnOverflow(value = OnOverflow.Strategy.BUFFER, bufferSize = 10_000)
          Emitter<ChangeNotification> emitter) {
    this.emitter = emitter;
  }

  /**
   * Notifies every tenant of the batch; {@code nextOffsets} are the committed positions. Each
   * notification names the collections the batch changed for that tenant on that partition (an
   * empty list when it only wrote receipts), so sync-api wakes only the parked pulls they concern.
   */
  public void notify(
      Map<String, Map<Integer, Set<String>>> tenantPartitions, Map<Integer, Long> nextOffsets) {
    tenantPartitions.forEach(
        (tenant, partitions) -> {
          for (Map.Entry<Integer, Set<String>> part : partitions.entrySet()) {
            int p = part.getKey();
            ChangeNotification n =
                new ChangeNotification(
                    tenant, p, nextOffsets.get(p) - 1, List.copyOf(new TreeSet<>(part.getValue())));
            try {
              emitter.send(
                  Message.of(n)
                      .addMetadata(
                          OutgoingKafkaRecordMetadata.<String>builder().withKey(tenant).build()));
            } catch (RuntimeException e) {
              LOG.debugf(e, "change notification for %s dropped", tenant);
            }
          }
        });
  }
}
