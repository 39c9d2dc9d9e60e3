package io.syncforge.service;

import java.sql.SQLException;
import java.sql.SQLRecoverableException;
import java.sql.SQLTransientException;

/**
 * Which database failures are transient (answer {@code 503} + {@code Retry-After}: the same request
 * will work later) and which are not (a missing grant, a missing table, a bug: a logged {@code 500}
 * with a trace id, because retrying cannot help and must not hide it).
 */
public final class SqlFaults {
  private SqlFaults() {}

  /** True when retrying the same statement later can succeed. */
  public static boolean isTransient(SQLException e) {
    for (Throwable t = e; t != null; t = t.getCause()) {
      if (t instanceof SQLException s && transientState(s)) {
        return true;
      }
      if (t instanceof java.io.IOException || t instanceof java.net.SocketException) {
        return true;
      }
    }
    return false;
  }

  private static boolean transientState(SQLException s) {
    if (s instanceof SQLTransientException || s instanceof SQLRecoverableException) {
      return true;
    }
    String state = s.getSQLState();
    if (state == null) {
      // Agroal's pool: "acquisition timeout" (all connections busy or none can be opened) and a
      // closed connection carry no SQL state; both pass.
      String m = String.valueOf(s.getMessage()).toLowerCase(java.util.Locale.ROOT);
      return m.contains("acquisition timeout") || m.contains("has been closed");
    }
    return state.startsWith("08") // connection exception (refused, broken, failure)
        || state.startsWith("53") // insufficient resources (too many connections, out of memory)
        || state.startsWith(
            "57P") // admin/crash shutdown, cannot connect now (pg_terminate_backend)
        || state.equals("57014") // query canceled: the statement timeout of a read path
        || state.equals("40001") // serialization failure
        || state.equals("40P01") // deadlock detected
        || state.equals("55P03") // lock not available
        || state.equals("55000") && String.valueOf(s.getMessage()).contains("recovery")
        || state.equals("25006") && String.valueOf(s.getMessage()).contains("recovery");
  }
}
