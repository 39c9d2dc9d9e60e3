package io.syncforge.changelog.apply;

import io.syncforge.protocol.ErrorCode;
import java.io.IOException;
import java.net.SocketException;
import java.sql.SQLException;
import java.sql.SQLRecoverableException;
import java.sql.SQLTransientException;
import java.util.concurrent.TimeoutException;
import org.apache.kafka.common.errors.RetriableException;

/**
 * Sorts a failure of the apply path into "transient" (the environment: retry the same batch with
 * backoff, forever) and "this input" (isolate the mutation and reject it). Plain Java.
 *
 * <p>The safe direction is transient: rejecting a good mutation because the database was briefly
 * away would lose a user's edit, while retrying a poisoned one only delays until it is isolated. So
 * everything that speaks of connections, timeouts, locks, serialization, resources, a read-only
 * server (failover), or a schema or permission problem (an operator's fix, never the mutation's
 * fault) is transient; data errors (SQLSTATE classes 22, 23, 54) and exceptions thrown by our own
 * code while deciding one mutation are not.
 */
public final class Faults {

  private Faults() {}

  /** Whether retrying the same work later may succeed. */
  public static boolean isTransient(Throwable t) {
    for (Throwable c = t; c != null; c = c.getCause() == c ? null : c.getCause()) {
      if (c instanceof SQLException e) {
        String state = e.getSQLState();
        if (state != null) {
          if (transientState(state)) {
            return true;
          }
          if (dataState(state)) {
            return false;
          }
        }
        if (e instanceof SQLTransientException || e instanceof SQLRecoverableException) {
          return true;
        }
      }
      if (c instanceof RetriableException
          || c instanceof org.apache.kafka.common.errors.TimeoutException
          || c instanceof TimeoutException
          || c instanceof SocketException
          || (c instanceof IOException && !c.getClass().getName().startsWith("com.fasterxml"))
          || c instanceof InterruptedException) {
        return true;
      }
      // Agroal: "Acquisition timeout while waiting for new connection" has no SQLSTATE.
      if (c instanceof SQLException
          && c.getMessage() != null
          && c.getMessage().contains("Acquisition timeout")) {
        return true;
      }
      if (c.getCause() == null && c.getClass().getName().startsWith("jakarta.transaction")) {
        // The transaction manager failed to commit or roll back: the database went away.
        return true;
      }
    }
    return false;
  }

  private static boolean transientState(String s) {
    return s.startsWith("08") // connection exception
        || s.startsWith("40") // serialization failure, deadlock
        || s.startsWith("53") // insufficient resources (too many connections, disk full)
        || s.startsWith("55") // lock not available, object in use
        || s.startsWith("57") // statement timeout/cancel, admin shutdown (pg_terminate_backend)
        || s.startsWith("58") // system error (I/O)
        || s.startsWith("XX") // internal error, data corrupted: an operator's problem
        || s.startsWith("42") // undefined table/column, permission: schema or role, not the data
        || s.startsWith("3D") // invalid catalog name (database gone)
        || s.startsWith("28") // invalid authorization
        || s.equals("25006") // read-only transaction: connected to a standby after failover
        || s.equals("25P03"); // idle-in-transaction timeout
  }

  private static boolean dataState(String s) {
    return s.startsWith("22") // data exception: \u0000, bad number, invalid text
        || s.startsWith("23") // integrity constraint
        || s.startsWith("54"); // program limit exceeded: too large a value or index row
  }

  /** The error code of a mutation rejected because of this failure. */
  public static ErrorCode codeFor(Throwable t) {
    for (Throwable c = t; c != null; c = c.getCause() == c ? null : c.getCause()) {
      if (c instanceof SQLException e && e.getSQLState() != null) {
        if (e.getSQLState().startsWith("54")) {
          return ErrorCode.RECORD_TOO_LARGE;
        }
        if (dataState(e.getSQLState())) {
          return ErrorCode.UNSTORABLE_VALUE;
        }
      }
    }
    return ErrorCode.INTERNAL_REJECTION;
  }

  /** A short label of the cause, for the retries metric: {@code sqlstate-08006}, a class name. */
  public static String cause(Throwable t) {
    for (Throwable c = t; c != null; c = c.getCause() == c ? null : c.getCause()) {
      if (c instanceof SQLException e && e.getSQLState() != null) {
        return "sqlstate-" + e.getSQLState();
      }
    }
    Throwable root = t;
    while (root.getCause() != null && root.getCause() != root) {
      root = root.getCause();
    }
    return root.getClass().getSimpleName();
  }

  /** A one-line description without stack, for receipts and dead letters. */
  public static String describe(Throwable t) {
    for (Throwable c = t; c != null; c = c.getCause() == c ? null : c.getCause()) {
      if (c instanceof SQLException e && e.getSQLState() != null) {
        return "PostgreSQL refused it (SQLSTATE " + e.getSQLState() + "): " + firstLine(e);
      }
    }
    return "an unexpected error while applying it (logged by the writer)";
  }

  private static String firstLine(Throwable t) {
    String m = String.valueOf(t.getMessage());
    int nl = m.indexOf('\n');
    return nl < 0 ? m : m.substring(0, nl);
  }
}
