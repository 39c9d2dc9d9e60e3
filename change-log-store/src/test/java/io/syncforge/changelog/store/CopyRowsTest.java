package io.syncforge.changelog.store;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * The COPY text format of the append-only tables, against a real PostgreSQL: text columns (a
 * receipt's error message may hold anything) take every separator and escape of the format, and a
 * failure inside a COPY that already sent rows leaves the connection usable for the rollback.
 */
class CopyRowsTest {

  @Test
  void everySeparatorEscapeAndSurrogatePairRoundTrips() throws Exception {
    // Text columns: every separator and escape of the format, and surrogate pairs on the 64 Ki
    // character boundaries where a chunked encoder would split them into '?' (pgjdbc's Reader
    // COPY encodes 65,536-char chunks one by one), and rows past the flush size.
    String emoji = new String(Character.toChars(0x1F600));
    StringBuilder big = new StringBuilder();
    while (big.length() < 3 * CopyRows.FLUSH_CHARS) {
      big.append("y".repeat(65_535 - big.length() % 65_536)).append(emoji);
    }
    List<String> texts =
        Arrays.asList(
            "a\tb",
            "a\nb",
            "a\rb",
            "back\\slash\\",
            "\\N",
            "",
            null,
            "ünï €𝄞",
            "\\.",
            big.toString(),
            "x".repeat(65_535) + emoji);
    List<Integer> rowsToCopy = new ArrayList<>();
    for (int i = 0; i < texts.size(); i++) {
      rowsToCopy.add(i);
    }
    try (Connection c = StorePostgres.connect()) {
      c.setAutoCommit(false);
      try (Statement st = c.createStatement()) {
        st.execute("CREATE TEMP TABLE copy_rows_probe (i bigint, t text, b boolean, n bigint)");
      }
      CopyRows.copy(
          c,
          "COPY copy_rows_probe (i, t, b, n) FROM STDIN",
          rowsToCopy,
          (copy, i) ->
              copy.add(i).add(texts.get(i)).add(i % 2 == 0).add(i == 3 ? null : Long.valueOf(-i)));
      try (Statement st = c.createStatement();
          ResultSet rs = st.executeQuery("SELECT i, t, b, n FROM copy_rows_probe ORDER BY i")) {
        for (int i = 0; i < texts.size(); i++) {
          assertTrue(rs.next());
          assertEquals(texts.get(i), rs.getString(2), "text " + i);
          assertEquals(i % 2 == 0, rs.getBoolean(3));
          assertEquals(i == 3 ? null : Long.valueOf(-i), rs.getObject(4));
        }
      }
      // A failure inside a COPY that has already sent rows (a flush-sized row, then a NUL)
      // cancels it and leaves the connection usable for the rollback.
      SQLException nul =
          assertThrows(
              SQLException.class,
              () ->
                  CopyRows.copy(
                      c,
                      "COPY copy_rows_probe (i, t, b, n) FROM STDIN",
                      List.of(0, 1),
                      (copy, i) ->
                          copy.add(i)
                              .add(i == 0 ? "z".repeat(CopyRows.FLUSH_CHARS) : "a\u0000b")
                              .add(true)
                              .add(1L)));
      assertEquals("22021", nul.getSQLState());
      c.rollback();
      try (Statement st = c.createStatement()) {
        assertTrue(st.execute("SELECT 1"));
      }
    }
  }
}
