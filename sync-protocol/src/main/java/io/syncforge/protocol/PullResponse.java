package io.syncforge.protocol;

import java.time.Instant;
import java.util.List;

/**
 * Body of a {@code 200} from {@code GET /v1/sync/pull}.
 *
 * @param changes the changes after the request cursor, in log order per partition
 * @param receipts final outcomes of this client's mutations that became final in this range
 * @param cursor the cursor to send next time; store it together with the changes it covers
 * @param hasMore true if more changes are ready now; pull again at once with {@code cursor}
 * @param serverTime the server clock when the response was built
 * @param retentionHorizon cursors older than this may get 410 {@code cursor_expired}
 */
public record PullResponse(
    List<Change> changes,
    List<MutationOutcome> receipts,
    String cursor,
    boolean hasMore,
    Instant serverTime,
    Instant retentionHorizon) {}
