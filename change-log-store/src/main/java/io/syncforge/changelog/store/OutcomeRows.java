package io.syncforge.changelog.store;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.syncforge.protocol.Conflict;
import io.syncforge.protocol.ErrorDetail;
import io.syncforge.protocol.Json;
import io.syncforge.protocol.MutationOutcome;
import io.syncforge.protocol.OutcomeStatus;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.List;
import java.util.UUID;

/**
 * The one mapping of a {@code mutation_outcomes} row to a {@link MutationOutcome}, used by the
 * writer (a duplicate's first outcome) and the reader (receipts, push answers) alike. Before issue
 * 17 each service mapped the row itself and the two disagreed: the writer returned an empty
 * conflict list as {@code []} and a rejection's version as stored, the reader as absent.
 */
public final class OutcomeRows {

  /** The columns {@link #read} expects, in order, from its {@code first} column on. */
  public static final String COLUMNS =
      "mutation_id, collection, record_id, status, version, conflicts, error_code, error_message";

  private static final ObjectMapper JSON = Json.newMapper();
  private static final TypeReference<List<Conflict>> CONFLICTS = new TypeReference<>() {};

  private OutcomeRows() {}

  /**
   * Reads one outcome from the columns {@link #COLUMNS} starting at {@code first}: a rejection
   * carries no version, and an empty conflict list is absent (as the wire contract writes it).
   */
  public static MutationOutcome read(ResultSet rs, int first) throws SQLException {
    OutcomeStatus status = OutcomeStatus.fromString(rs.getString(first + 3));
    long version = rs.getLong(first + 4);
    Long v = rs.wasNull() || status == OutcomeStatus.REJECTED ? null : version;
    List<Conflict> conflicts = null;
    String conflictsJson = rs.getString(first + 5);
    if (conflictsJson != null) {
      try {
        conflicts = JSON.readValue(conflictsJson, CONFLICTS);
      } catch (JsonProcessingException e) {
        throw new SQLException("unreadable conflicts in mutation_outcomes", e);
      }
      if (conflicts.isEmpty()) {
        conflicts = null;
      }
    }
    String code = rs.getString(first + 6);
    return new MutationOutcome(
        rs.getObject(first, UUID.class),
        rs.getString(first + 1),
        rs.getString(first + 2),
        status,
        v,
        conflicts,
        code == null ? null : new ErrorDetail(code, rs.getString(first + 7)));
  }
}
