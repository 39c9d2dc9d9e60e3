package io.syncforge.protocol.messaging;

import io.syncforge.protocol.Mutation;
import java.time.Instant;

/**
 * The value on {@link Topics#MUTATIONS}: a validated mutation and who sent it.
 *
 * @param tenant the tenant from the sender's token
 * @param userId the sender's user ({@code sub}), or the service name for system writes
 * @param clientId the sending device's client id; with {@code mutation.mutationId} the dedupe key
 * @param mutation the mutation as accepted
 * @param receivedAt the server clock when the sync-api accepted it (used by last-writer-wins)
 * @param source who produced it: {@link #SOURCE_DEVICE}, {@link #SOURCE_ADMIN} or {@link
 *     #SOURCE_MEDIA}
 */
public record MutationEnvelope(
    String tenant,
    String userId,
    String clientId,
    Mutation mutation,
    Instant receivedAt,
    String source) {

  /** Pushed by a device through {@code /v1/sync/push}. */
  public static final String SOURCE_DEVICE = "device";

  /** Written by a back-office (admin) endpoint. */
  public static final String SOURCE_ADMIN = "admin";

  /** Media metadata written by the media service. */
  public static final String SOURCE_MEDIA = "media";

  /** The Kafka key for this envelope. */
  public String key() {
    return MutationKey.of(tenant, mutation.collection(), mutation.recordId());
  }
}
