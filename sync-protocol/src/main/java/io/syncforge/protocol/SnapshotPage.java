package io.syncforge.protocol;

import java.util.List;

/**
 * Body of a {@code 200} from {@code GET /v1/sync/snapshot}.
 *
 * @param records current records (tombstones excluded), ordered by collection then record id
 * @param nextPageToken the token for the next page; absent on the last page
 * @param cursor the cursor captured when the snapshot began (same on every page); pull from it
 *     after the last page
 */
public record SnapshotPage(List<Change> records, String nextPageToken, String cursor) {}
