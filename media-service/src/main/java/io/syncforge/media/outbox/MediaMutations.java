package io.syncforge.media.outbox;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.syncforge.media.MediaMetadataMapper;
import io.syncforge.media.MediaObject;
import io.syncforge.protocol.MediaCollection;
import io.syncforge.protocol.Mutation;
import io.syncforge.protocol.Op;
import io.syncforge.protocol.messaging.MutationEnvelope;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.UUID;

/**
 * Builds the {@code _media} mutations the service publishes. The mutation id is derived from the
 * metadata row (tenant, hash, operation, row id), so a re-sent outbox entry carries the same id and
 * change-log-service applies it once; a later re-upload gets a new row id and so a new mutation.
 */
public final class MediaMutations {

  /** The {@code clientId} of every envelope this service produces. */
  public static final String CLIENT_ID = "media-service";

  private MediaMutations() {}

  /** The upsert announcing a tenant's new metadata. */
  public static MutationEnvelope upsert(MediaObject o, ObjectMapper mapper, Instant now) {
    ObjectNode data = mapper.valueToTree(MediaMetadataMapper.toRecord(o));
    return envelope(o, Op.UPSERT, data, now);
  }

  /** The tombstone after a tenant deleted its metadata. */
  public static MutationEnvelope delete(MediaObject o, String deletedBy, Instant now) {
    MutationEnvelope e = envelope(o, Op.DELETE, null, now);
    return new MutationEnvelope(
        e.tenant(), deletedBy, e.clientId(), e.mutation(), e.receivedAt(), e.source());
  }

  /** The deterministic mutation id of an operation on a metadata row. */
  public static UUID mutationId(String tenant, String sha256, Op op, long rowId) {
    String name = tenant + "/" + sha256 + "/" + op.wire() + "/" + rowId;
    return UUID.nameUUIDFromBytes(name.getBytes(StandardCharsets.UTF_8));
  }

  private static MutationEnvelope envelope(MediaObject o, Op op, ObjectNode data, Instant now) {
    Mutation m =
        new Mutation(
            mutationId(o.tenant, o.sha256, op, o.id),
            MediaCollection.NAME,
            o.sha256,
            op,
            null,
            data,
            null);
    return new MutationEnvelope(
        o.tenant, o.uploadedBy, CLIENT_ID, m, now, MutationEnvelope.SOURCE_MEDIA);
  }
}
