package io.syncforge.client.internal;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.syncforge.protocol.Mutation;
import java.util.List;

/**
 * What the local database's table classes and {@link LocalStore} share: one connection, one way to
 * run statements on it, and one way to read and write its JSON columns ({@link StoreJson}).
 */
class SqlTable {
  final SqlDriver.Connection conn;
  final ObjectMapper mapper;

  /** {@code mapper} may be null for a table without JSON columns. */
  SqlTable(SqlDriver.Connection conn, ObjectMapper mapper) {
    this.conn = conn;
    this.mapper = mapper;
  }

  final <T> T query(String sql, Sql.RowMapper<T> mapperFn, T empty, Object... args) {
    return Sql.one(conn, sql, mapperFn, empty, args);
  }

  final <T> List<T> queryList(String sql, Sql.RowMapper<T> mapperFn, Object... args) {
    return Sql.list(conn, sql, mapperFn, args);
  }

  final int update(String sql, Object... args) {
    return conn.update(sql, args);
  }

  /** A node (or any value) as column text; null stays null. */
  final String json(Object value) {
    return value == null ? null : StoreJson.value(mapper, value);
  }

  final ObjectNode obj(String json) {
    return StoreJson.object(mapper, json);
  }

  final Mutation mutation(String json) {
    return StoreJson.mutation(mapper, json);
  }
}
