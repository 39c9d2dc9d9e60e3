package io.syncforge.protocol;

import com.fasterxml.jackson.databind.node.ObjectNode;
import java.time.Instant;

/**
 * The state of one record after a change; used by pull ({@code changes}) and snapshot ({@code
 * records}).
 *
 * @param collection the record's collection
 * @param recordId the record's id
 * @param version the record version; a client ignores a version it already has
 * @param deleted true for a tombstone
 * @param data the full record data after the change; absent for a tombstone
 * @param serverTime the server clock when the change was applied
 */
public record Change(
    String collection,
    String recordId,
    long version,
    boolean deleted,
    ObjectNode data,
    Instant serverTime) {}
