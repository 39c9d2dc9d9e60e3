package io.syncforge.protocol;

import com.fasterxml.jackson.databind.node.ObjectNode;
import java.time.Instant;
import java.util.UUID;

/**
 * One change a client made to one record. Retrying the same {@code mutationId} is always safe.
 *
 * @param mutationId client-generated id; with the client id it is the idempotency key
 * @param collection the record's collection, e.g. {@code tasks}
 * @param recordId the record's id inside its collection
 * @param op upsert, patch or delete
 * @param baseVersion the record version the client last saw; null if it never saw the record
 * @param data the record (upsert) or the changed fields (patch); absent for delete
 * @param clientTime when the client made the change; never used for log order (capped at the
 *     server's receive time, it may break last-writer-wins ties)
 */
public record Mutation(
    UUID mutationId,
    String collection,
    String recordId,
    Op op,
    Long baseVersion,
    ObjectNode data,
    Instant clientTime) {}
