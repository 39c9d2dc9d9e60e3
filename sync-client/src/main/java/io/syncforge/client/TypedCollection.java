package io.syncforge.client;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.function.Consumer;

/**
 * A collection whose records are Java objects of type {@code T}, converted with Jackson (records,
 * POJOs with a default constructor or {@code @JsonCreator}); obtained from {@link
 * SyncClient#collection(String, Class)}. Same storage and rules as {@link Collection}, which it
 * wraps: {@code put} is an upsert of the whole object, {@code patch} changes named fields only.
 *
 * <pre>{@code
 * record Note(String title, boolean done) {}
 * TypedCollection<Note> notes = client.collection("notes", Note.class);
 * notes.put("n1", new Note("Buy milk", false));
 * try (Subscription s = notes.observe("n1", note -> render(note))) { ... }
 * }</pre>
 *
 * @param <T> the record type
 */
public final class TypedCollection<T> {
  private final Collection untyped;
  private final Class<T> type;
  private final ObjectMapper mapper;

  TypedCollection(Collection untyped, Class<T> type, ObjectMapper mapper) {
    this.untyped = untyped;
    this.type = type;
    // Other devices and app versions may add fields this type does not know: ignored, kept.
    this.mapper =
        mapper
            .copy()
            .configure(
                com.fasterxml.jackson.databind.DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES,
                false);
  }

  /** The untyped view of the same collection. */
  public Collection untyped() {
    return untyped;
  }

  private T convert(SyncRecord r) {
    return mapper.convertValue(r.data(), type);
  }

  /**
   * The visible record as {@code T}, or empty if absent or deleted.
   *
   * @throws IllegalArgumentException if the stored data does not convert to {@code T}
   */
  public Optional<T> get(String id) {
    return untyped.get(id).map(this::convert);
  }

  /** Every visible record as {@code T}, ordered by id. */
  public List<T> list() {
    return untyped.list().stream().map(this::convert).toList();
  }

  /** The visible records whose top-level fields equal the given values, ordered by id. */
  public List<T> list(Map<String, ?> fieldEquals) {
    return untyped.list(fieldEquals).stream().map(this::convert).toList();
  }

  /** Creates or replaces record {@code id} with {@code value} (an upsert of the whole object). */
  public T put(String id, T value) {
    if (value == null) {
      throw new NullPointerException("value == null");
    }
    ObjectNode data = mapper.valueToTree(value);
    return convert(untyped.put(id, data));
  }

  /** Changes the given top-level fields (a null value removes the field). */
  public T patch(String id, Map<String, ?> fields) {
    return convert(untyped.patch(id, fields));
  }

  /** Deletes record {@code id}; false if it was absent or already deleted. */
  public boolean delete(String id) {
    return untyped.delete(id);
  }

  /**
   * Calls {@code observer} with record {@code id} now and after every local write or applied sync
   * that changes it (empty when absent or deleted), on the client's callback executor.
   */
  public Subscription observe(String id, Consumer<Optional<T>> observer) {
    Objects.requireNonNull(observer, "observer == null");
    Consumer<Optional<T>> distinct = distinct(observer);
    return untyped.observe(id, r -> distinct.accept(r.map(this::convert)));
  }

  /**
   * Calls {@code observer} with the records matching {@code fieldEquals} (empty map: all) now and
   * whenever that result changes after a local write or an applied sync, on the callback executor.
   */
  public Subscription observe(Map<String, ?> fieldEquals, Consumer<List<T>> observer) {
    Objects.requireNonNull(observer, "observer == null");
    Consumer<List<T>> distinct = distinct(observer);
    return untyped.observe(
        fieldEquals, rs -> distinct.accept(rs.stream().map(this::convert).toList()));
  }

  /** Only values that differ from the last one delivered (a version bump alone is not news). */
  private static <V> Consumer<V> distinct(Consumer<V> observer) {
    Object[] last = {new Object()};
    return v -> {
      synchronized (last) {
        if (Objects.equals(last[0], v)) {
          return;
        }
        last[0] = v;
      }
      observer.accept(v);
    };
  }
}
