package io.syncforge.client.internal;

import java.nio.file.Path;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.sql.Types;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * {@link SqlDriver} over xerial's {@code sqlite-jdbc}. Prepared statements are cached per
 * connection by SQL text (bounded LRU; preparing costs more than running the small statements of a
 * snapshot chunk). Every SQL failure is a {@link StoreException}.
 */
public final class JdbcSqlDriver implements SqlDriver {

  @Override
  public SqlDriver.Connection open(Path file, boolean readOnly) {
    try {
      java.sql.Connection c = DriverManager.getConnection("jdbc:sqlite:" + file.toAbsolutePath());
      return new Conn(c);
    } catch (SQLException e) {
      throw new StoreException("cannot open local database " + file + ": " + e.getMessage(), e);
    }
  }

  private static final class Conn implements SqlDriver.Connection {
    private final java.sql.Connection conn;
    private final Map<String, PreparedStatement> statements =
        new LinkedHashMap<>(64, 0.75f, true) {
          @Override
          protected boolean removeEldestEntry(Map.Entry<String, PreparedStatement> eldest) {
            if (size() <= 64) {
              return false;
            }
            try {
              eldest.getValue().close();
            } catch (SQLException ignored) {
              // Closing a cached statement cannot fail in a way that matters.
            }
            return true;
          }
        };

    Conn(java.sql.Connection conn) {
      this.conn = conn;
    }

    private PreparedStatement prepared(String sql) throws SQLException {
      PreparedStatement p = statements.get(sql);
      if (p == null || p.isClosed()) {
        p = conn.prepareStatement(sql);
        statements.put(sql, p);
      } else {
        p.clearParameters();
      }
      return p;
    }

    private static void bind(PreparedStatement p, Object... args) throws SQLException {
      for (int i = 0; i < args.length; i++) {
        Object a = args[i];
        int index = i + 1;
        if (a == null) {
          p.setNull(index, Types.NULL);
        } else if (a instanceof Long l) {
          p.setLong(index, l);
        } else if (a instanceof Integer n) {
          p.setInt(index, n);
        } else if (a instanceof Boolean b) {
          p.setInt(index, b ? 1 : 0);
        } else {
          p.setString(index, a.toString());
        }
      }
    }

    private static StoreException fail(SQLException e) {
      return new StoreException("local database error: " + e.getMessage(), e);
    }

    @Override
    public void execute(String sql) {
      try (Statement s = conn.createStatement()) {
        s.execute(sql);
      } catch (SQLException e) {
        throw fail(e);
      }
    }

    @Override
    public int update(String sql, Object... args) {
      try {
        PreparedStatement p = prepared(sql);
        bind(p, args);
        return p.executeUpdate();
      } catch (SQLException e) {
        throw fail(e);
      }
    }

    @Override
    public <T> List<T> query(String sql, SqlDriver.RowMapper<T> mapper, Object... args) {
      try {
        PreparedStatement p = prepared(sql);
        bind(p, args);
        List<T> out = new ArrayList<>();
        try (ResultSet rs = p.executeQuery()) {
          SqlDriver.Row row = new JdbcRow(rs);
          while (rs.next()) {
            out.add(mapper.map(row));
          }
        }
        return out;
      } catch (SQLException e) {
        throw fail(e);
      } catch (UncheckedSql e) {
        throw fail(e.getCause());
      }
    }

    @Override
    public void begin() {
      try {
        conn.setAutoCommit(false);
      } catch (SQLException e) {
        throw fail(e);
      }
    }

    @Override
    public void commit() {
      try {
        conn.commit();
        conn.setAutoCommit(true);
      } catch (SQLException e) {
        throw fail(e);
      }
    }

    @Override
    public void rollback() {
      try {
        conn.rollback();
        conn.setAutoCommit(true);
      } catch (SQLException e) {
        throw fail(e);
      }
    }

    @Override
    public void close() {
      try {
        for (PreparedStatement p : statements.values()) {
          p.close();
        }
        statements.clear();
        conn.close();
      } catch (SQLException e) {
        throw new StoreException("cannot close local database: " + e.getMessage(), e);
      }
    }
  }

  private static final class UncheckedSql extends RuntimeException {
    UncheckedSql(SQLException e) {
      super(e);
    }

    @Override
    public synchronized SQLException getCause() {
      return (SQLException) super.getCause();
    }
  }

  private record JdbcRow(ResultSet rs) implements SqlDriver.Row {
    @Override
    public String text(int column) {
      try {
        return rs.getString(column + 1);
      } catch (SQLException e) {
        throw new UncheckedSql(e);
      }
    }

    @Override
    public Long integer(int column) {
      try {
        long v = rs.getLong(column + 1);
        return rs.wasNull() ? null : v;
      } catch (SQLException e) {
        throw new UncheckedSql(e);
      }
    }
  }
}
