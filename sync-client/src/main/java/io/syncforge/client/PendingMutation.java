package io.syncforge.client;

import io.syncforge.protocol.Mutation;
import java.time.Instant;

/**
 * A local edit waiting in the upload queue, as {@link SyncClient#pendingMutations()} shows it.
 *
 * @param mutation the mutation as it will be (or was) sent: id, collection, record, op, base
 *     version, data
 * @param createdAt when the edit was made (device clock)
 * @param attempts how many uploads carried it so far
 * @param state {@code queued} (not answered yet) or {@code pending} (durable on the server, its
 *     outcome comes with a later pull)
 * @param lastError why the last upload that carried it failed, or null
 */
public record PendingMutation(
    Mutation mutation, Instant createdAt, int attempts, String state, String lastError) {}
