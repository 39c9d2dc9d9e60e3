package io.syncforge.protocol;

import java.util.List;

/**
 * Body of {@code POST /v1/sync/push}.
 *
 * @param clientId the pushing device's stable id
 * @param mutations the queued mutations, oldest first
 */
public record PushRequest(String clientId, List<Mutation> mutations) {}
