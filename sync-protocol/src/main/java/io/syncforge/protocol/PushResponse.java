package io.syncforge.protocol;

import java.time.Instant;
import java.util.List;

/**
 * Body of a {@code 200} from {@code POST /v1/sync/push}.
 *
 * @param outcomes one per pushed mutation, in request order
 * @param serverTime the server clock when the response was built
 */
public record PushResponse(List<MutationOutcome> outcomes, Instant serverTime) {}
