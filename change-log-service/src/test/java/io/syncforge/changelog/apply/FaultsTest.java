package io.syncforge.changelog.apply;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.core.JsonParseException;
import io.syncforge.protocol.ErrorCode;
import java.sql.SQLException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** Which failures are retried (the environment) and which isolate one mutation (its data). */
class FaultsTest {

  @ParameterizedTest
  @ValueSource(
      strings = {
        "08006", // connection failure
        "08003", // connection does not exist
        "57P01", // admin shutdown: pg_terminate_backend
        "57014", // statement timeout
        "55P03", // lock timeout
        "40001", // serialization failure
        "40P01", // deadlock
        "53300", // too many connections
        "25006", // read-only transaction: a standby after failover
        "42P01", // undefined table: a schema problem, not the mutation's
        "XX000"
      })
  void environmentFaultsAreTransient(String state) {
    SQLException e = new SQLException("x", state);
    assertTrue(Faults.isTransient(e));
    assertTrue(Faults.isTransient(new RuntimeException(e)), "found through the cause chain");
  }

  @ParameterizedTest
  @ValueSource(strings = {"22P05", "22021", "22003", "23505", "54000"})
  void dataErrorsIsolateTheMutation(String state) {
    assertFalse(Faults.isTransient(new SQLException("x", state)));
  }

  @Test
  void codesAndOurOwnBugs() {
    assertEquals(ErrorCode.UNSTORABLE_VALUE, Faults.codeFor(new SQLException("x", "22P05")));
    assertEquals(ErrorCode.RECORD_TOO_LARGE, Faults.codeFor(new SQLException("x", "54000")));
    assertEquals(ErrorCode.INTERNAL_REJECTION, Faults.codeFor(new NullPointerException()));
    assertFalse(Faults.isTransient(new NullPointerException()));
    // Our own serialization failure wrapped as SQLException without a state: not the network.
    assertFalse(
        Faults.isTransient(
            new SQLException("cannot serialize", new JsonParseException(null, "bad"))));
    assertTrue(Faults.isTransient(new SQLException("Acquisition timeout while waiting")));
    assertTrue(Faults.isTransient(new java.net.SocketException("reset")));
    assertTrue(
        Faults.isTransient(new org.apache.kafka.common.errors.TimeoutException("no broker")));
  }

  @Test
  void descriptionsLeakNoClassNames() {
    assertFalse(Faults.describe(new NullPointerException("x")).contains("NullPointer"));
    assertTrue(Faults.describe(new SQLException("bad\nmore", "22P05")).endsWith("bad"));
  }
}
