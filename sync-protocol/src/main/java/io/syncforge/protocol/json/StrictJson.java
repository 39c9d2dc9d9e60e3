package io.syncforge.protocol.json;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonParseException;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.core.StreamReadConstraints;
import com.fasterxml.jackson.core.exc.StreamConstraintsException;
import com.fasterxml.jackson.core.io.JsonStringEncoder;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.syncforge.protocol.FieldError;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.CharBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Objects;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * The one strict JSON reader of SyncForge: every JSON body a service accepts, and every mutation
 * the client queues, is read by it, so that nothing is accepted that a later reader (the writer,
 * PostgreSQL {@code jsonb}, SQLite, another device) would refuse or read differently.
 *
 * <p>On top of RFC 8259 syntax it refuses (see "Strict JSON" in docs/sync-protocol.md):
 *
 * <ul>
 *   <li>content after the first value (only whitespace may follow);
 *   <li>a key twice in one object;
 *   <li>{@code U+0000} in a string or key (PostgreSQL text and {@code jsonb} cannot hold it), and
 *       unpaired UTF-16 surrogates (not Unicode text; they do not survive UTF-8);
 *   <li>numbers that do not fit: an integer outside the signed 64-bit range, a fraction or exponent
 *       whose IEEE-754 double is infinite ({@code 1e400}) or a non-zero literal that rounds to zero
 *       ({@code 1e-400}); longer than {@value #MAX_NUMBER_CHARS} characters;
 *   <li>nesting deeper than {@value #MAX_DEPTH} arrays/objects (counted from the body's root), so a
 *       conflict or a receipt that wraps a record in a few more levels still serialises.
 * </ul>
 *
 * <p>Decision on numbers: integers are kept exact as 64-bit values; any number with a fraction or
 * exponent is read as an IEEE-754 double (what JavaScript, SQLite REAL and Java {@code double}
 * hold), so every side reads the same value. Big numbers that must stay exact belong in strings.
 *
 * <p>Every violation in the body is listed (at most {@value #MAX_VIOLATIONS}), each with a JSON
 * path relative to the body like {@code mutations[3].data.title} ({@code $} is the body itself). A
 * syntax error ends the reading: what follows it is not checked.
 *
 * <p>Thread-safe; no dependency beyond Jackson, so the client library can use it too.
 */
public final class StrictJson {

  /** Deepest accepted nesting of arrays and objects; the body's root object is level 1. */
  public static final int MAX_DEPTH = 64;

  /** Longest accepted number literal, in characters. */
  public static final int MAX_NUMBER_CHARS = 100;

  /** Most violations listed in one result; further ones are counted only. */
  public static final int MAX_VIOLATIONS = 100;

  private static final Pattern PLAIN_KEY = Pattern.compile("[A-Za-z_][A-Za-z0-9_]{0,63}");
  private static final int MAX_KEY_IN_PATH = 64;

  private static final JsonFactory FACTORY =
      JsonFactory.builder()
          .streamReadConstraints(
              StreamReadConstraints.builder()
                  .maxNumberLength(MAX_NUMBER_CHARS)
                  // Deeper than ours so that our own check, with its path, answers first.
                  .maxNestingDepth(Math.max(1000, MAX_DEPTH * 4))
                  .build())
          .disable(JsonFactory.Feature.INTERN_FIELD_NAMES)
          .disable(JsonFactory.Feature.CANONICALIZE_FIELD_NAMES)
          .build();

  private static final JsonNodeFactory NODES = JsonNodeFactory.withExactBigDecimals(true);

  private StrictJson() {}

  /** Reads UTF-8 bytes. Never throws for bad input: the result lists what is wrong. */
  public static Result parse(byte[] utf8) {
    Objects.requireNonNull(utf8, "utf8 == null");
    // Decoded strictly first: Jackson's byte parser lets some malformed UTF-8 through.
    CharBuffer chars;
    try {
      chars =
          StandardCharsets.UTF_8
              .newDecoder()
              .onMalformedInput(CodingErrorAction.REPORT)
              .onUnmappableCharacter(CodingErrorAction.REPORT)
              .decode(ByteBuffer.wrap(utf8));
    } catch (CharacterCodingException e) {
      return Result.failed(List.of(new FieldError("$", "not valid UTF-8")), 1);
    }
    return parse(chars);
  }

  private static Result parse(CharBuffer chars) {
    try (JsonParser p =
        FACTORY.createParser(
            chars.array(), chars.arrayOffset() + chars.position(), chars.remaining())) {
      return new Reader(p).read();
    } catch (IOException e) {
      return Result.failed(List.of(new FieldError("$", "unreadable body")), 1);
    }
  }

  /** Reads a string. Never throws for bad input: the result lists what is wrong. */
  public static Result parse(String json) {
    Objects.requireNonNull(json, "json == null");
    return parse(CharBuffer.wrap(json.toCharArray()));
  }

  /**
   * Reads UTF-8 bytes and returns the value.
   *
   * @throws StrictJsonException listing every violation
   */
  public static JsonNode read(byte[] utf8) {
    Result r = parse(utf8);
    if (!r.ok()) {
      throw new StrictJsonException(r.violations(), r.violationCount());
    }
    return r.value();
  }

  /**
   * Reads a string and returns the value.
   *
   * @throws StrictJsonException listing every violation
   */
  public static JsonNode read(String json) {
    Result r = parse(json);
    if (!r.ok()) {
      throw new StrictJsonException(r.violations(), r.violationCount());
    }
    return r.value();
  }

  /**
   * Checks a JSON tree built in memory (by an app, not read from text) against the same rules, so
   * that a client refuses before queueing what the server's door would refuse at push: text with
   * {@code U+0000} or an unpaired surrogate (values and keys), non-finite numbers, integers outside
   * the signed 64-bit range, nesting deeper than {@link #MAX_DEPTH}.
   *
   * @param tree the tree; null is accepted (nothing to check)
   * @param path the path shown for the tree itself, e.g. {@code data}
   * @param depth the nesting level of {@code tree} within the body it will travel in (the body's
   *     root object is level 1; a mutation's {@code data} in a push body is level 4)
   * @return every violation found (at most {@link #MAX_VIOLATIONS}); empty when acceptable
   */
  public static List<FieldError> check(JsonNode tree, String path, int depth) {
    List<FieldError> out = new ArrayList<>();
    if (tree != null) {
      checkNode(tree, path, depth, out);
    }
    return out;
  }

  private static void checkNode(JsonNode n, String path, int depth, List<FieldError> out) {
    if (out.size() >= MAX_VIOLATIONS) {
      return;
    }
    if (n.isContainerNode() && depth > MAX_DEPTH) {
      out.add(new FieldError(path, "nested deeper than " + MAX_DEPTH + " levels"));
      return;
    }
    if (n.isObject()) {
      var fields = n.fields();
      while (fields.hasNext()) {
        var e = fields.next();
        String child = path + segment(e.getKey());
        String bad = badText(e.getKey());
        if (bad != null) {
          out.add(new FieldError(child, "key " + bad));
        }
        checkNode(e.getValue(), child, depth + 1, out);
      }
    } else if (n.isArray()) {
      for (int i = 0; i < n.size(); i++) {
        checkNode(n.get(i), path + "[" + i + "]", depth + 1, out);
      }
    } else if (n.isTextual()) {
      String bad = badText(n.textValue());
      if (bad != null) {
        out.add(new FieldError(path, "string " + bad));
      }
    } else if (n.isFloatingPointNumber()) {
      double d = n.doubleValue();
      if (Double.isNaN(d) || Double.isInfinite(d)) {
        out.add(new FieldError(path, "number out of range (not a finite double)"));
      }
    } else if (n.isBigInteger()) {
      if (n.bigIntegerValue().bitLength() > 63) {
        out.add(new FieldError(path, "integer out of the signed 64-bit range"));
      }
    }
  }

  /**
   * The outcome of one reading.
   *
   * @param value the value read; null unless {@link #ok()}
   * @param violations what is wrong, in body order, at most {@link #MAX_VIOLATIONS}
   * @param violationCount how many violations were found (may exceed the list)
   */
  public record Result(JsonNode value, List<FieldError> violations, int violationCount) {
    public Result {
      violations = List.copyOf(violations);
    }

    static Result failed(List<FieldError> violations, int count) {
      return new Result(null, violations, count);
    }

    /** True when the body is strict JSON. */
    public boolean ok() {
      return violationCount == 0;
    }
  }

  /** A body that is not strict JSON, with every violation found. */
  public static final class StrictJsonException extends IllegalArgumentException {
    private final List<FieldError> violations;
    private final int violationCount;

    StrictJsonException(List<FieldError> violations, int violationCount) {
      super(violationCount + " JSON violation(s), first: " + first(violations));
      this.violations = List.copyOf(violations);
      this.violationCount = violationCount;
    }

    private static String first(List<FieldError> v) {
      return v.isEmpty() ? "-" : v.get(0).path() + ": " + v.get(0).message();
    }

    /** The listed violations (at most {@link #MAX_VIOLATIONS}). */
    public List<FieldError> violations() {
      return violations;
    }

    /** How many violations were found. */
    public int violationCount() {
      return violationCount;
    }
  }

  /** One reading: a recursive descent over the token stream, bounded by {@link #MAX_DEPTH}. */
  private static final class Reader {
    private final JsonParser p;
    private final List<FieldError> violations = new ArrayList<>();
    private int count;

    Reader(JsonParser p) {
      this.p = p;
    }

    Result read() {
      JsonNode root = null;
      try {
        JsonToken t = p.nextToken();
        if (t == null) {
          violation("$", "a JSON value is required");
        } else {
          root = value(t, "$", 1);
          JsonToken after = p.nextToken();
          if (after != null) {
            violation("$", "content after the JSON value (only whitespace may follow)");
          }
        }
      } catch (StreamConstraintsException e) {
        String message = limitMessage(e);
        boolean reported =
            !violations.isEmpty()
                && violations.get(violations.size() - 1).message().equals(message);
        if (!reported) { // else: the parser's depth limit inside a subtree we already refused
          violation(where(), message);
        }
      } catch (JsonParseException e) {
        violation(where(), "malformed JSON: " + e.getOriginalMessage());
      } catch (IOException e) {
        violation(where(), "unreadable body");
      }
      return count == 0 ? new Result(root, List.of(), 0) : Result.failed(violations, count);
    }

    private JsonNode value(JsonToken t, String path, int depth) throws IOException {
      switch (t) {
        case START_OBJECT:
          if (depth > MAX_DEPTH) {
            violation(path, "nested deeper than " + MAX_DEPTH + " levels");
            p.skipChildren();
            return null;
          }
          return object(path, depth);
        case START_ARRAY:
          if (depth > MAX_DEPTH) {
            violation(path, "nested deeper than " + MAX_DEPTH + " levels");
            p.skipChildren();
            return null;
          }
          return array(path, depth);
        case VALUE_STRING:
          String s = p.getText();
          String bad = badText(s);
          if (bad != null) {
            violation(path, "string " + bad);
          }
          return NODES.textNode(s);
        case VALUE_NUMBER_INT:
          return integer(path);
        case VALUE_NUMBER_FLOAT:
          return decimal(path);
        case VALUE_TRUE:
          return NODES.booleanNode(true);
        case VALUE_FALSE:
          return NODES.booleanNode(false);
        case VALUE_NULL:
          return NODES.nullNode();
        default:
          throw new JsonParseException(p, "unexpected token " + t);
      }
    }

    private ObjectNode object(String path, int depth) throws IOException {
      ObjectNode node = NODES.objectNode();
      Set<String> seen = new HashSet<>();
      JsonToken t;
      while ((t = p.nextToken()) == JsonToken.FIELD_NAME) {
        String key = p.currentName();
        String child = path + segment(key);
        String bad = badText(key);
        if (bad != null) {
          violation(child, "key " + bad);
        }
        if (!seen.add(key)) {
          violation(child, "duplicate key");
        }
        JsonNode v = value(p.nextToken(), child, depth + 1);
        if (v != null) {
          node.set(key, v);
        }
      }
      if (t != JsonToken.END_OBJECT) {
        throw new JsonParseException(p, "unexpected token " + t);
      }
      return node;
    }

    private ArrayNode array(String path, int depth) throws IOException {
      ArrayNode node = NODES.arrayNode();
      JsonToken t;
      int i = 0;
      while ((t = p.nextToken()) != JsonToken.END_ARRAY) {
        if (t == null) {
          throw new JsonParseException(p, "unexpected end of input");
        }
        JsonNode v = value(t, path + "[" + i + "]", depth + 1);
        node.add(v == null ? NODES.nullNode() : v);
        i++;
      }
      return node;
    }

    private JsonNode integer(String path) throws IOException {
      switch (p.getNumberType()) {
        case INT:
          return NODES.numberNode(p.getIntValue());
        case LONG:
          return NODES.numberNode(p.getLongValue());
        default:
          violation(path, "integer out of the signed 64-bit range");
          return NODES.nullNode();
      }
    }

    private JsonNode decimal(String path) throws IOException {
      String text = p.getText();
      double d = Double.parseDouble(text);
      if (Double.isInfinite(d)) {
        violation(path, "number out of range (not a finite double)");
        return NODES.nullNode();
      }
      if (d == 0 && nonZeroMantissa(text)) {
        violation(path, "number out of range (a non-zero value that rounds to 0)");
        return NODES.nullNode();
      }
      return NODES.numberNode(d);
    }

    private static boolean nonZeroMantissa(String text) {
      for (int i = 0; i < text.length(); i++) {
        char c = text.charAt(i);
        if (c == 'e' || c == 'E') {
          return false;
        }
        if (c >= '1' && c <= '9') {
          return true;
        }
      }
      return false;
    }

    private String where() {
      try {
        return p.getParsingContext() == null ? "$" : pathOf(p);
      } catch (RuntimeException e) {
        return "$";
      }
    }

    private void violation(String path, String message) {
      String relative = path.startsWith("$.") ? path.substring(2) : path;
      if (relative.startsWith("$[")) {
        relative = relative.substring(1);
      }
      count++;
      if (violations.size() < MAX_VIOLATIONS) {
        violations.add(new FieldError(relative, message));
      }
    }
  }

  private static String limitMessage(StreamConstraintsException e) {
    String m = String.valueOf(e.getOriginalMessage());
    if (m.contains("Number") || m.contains("number")) {
      return "number longer than " + MAX_NUMBER_CHARS + " characters";
    }
    if (m.contains("nesting") || m.contains("Depth") || m.contains("depth")) {
      return "nested deeper than " + MAX_DEPTH + " levels";
    }
    return "over a reader limit";
  }

  /** Null when {@code s} is acceptable text, else what is wrong with it. */
  static String badText(String s) {
    for (int i = 0; i < s.length(); i++) {
      char c = s.charAt(i);
      if (c == 0) {
        return "contains U+0000";
      }
      if (Character.isHighSurrogate(c)) {
        if (i + 1 < s.length() && Character.isLowSurrogate(s.charAt(i + 1))) {
          i++;
          continue;
        }
        return "contains an unpaired surrogate";
      }
      if (Character.isLowSurrogate(c)) {
        return "contains an unpaired surrogate";
      }
    }
    return null;
  }

  /** {@code .key} for plain keys, else {@code ["key"]} (escaped and shortened). */
  static String segment(String key) {
    if (PLAIN_KEY.matcher(key).matches()) {
      return "." + key;
    }
    String shown = key.length() > MAX_KEY_IN_PATH ? key.substring(0, MAX_KEY_IN_PATH) + "…" : key;
    return "[\"" + new String(JsonStringEncoder.getInstance().quoteAsString(shown)) + "\"]";
  }

  private static String pathOf(JsonParser p) {
    List<String> parts = new ArrayList<>();
    for (var c = p.getParsingContext(); c != null && !c.inRoot(); c = c.getParent()) {
      if (c.inObject()) {
        parts.add(c.getCurrentName() == null ? "" : segment(c.getCurrentName()));
      } else if (c.inArray()) {
        parts.add("[" + Math.max(0, c.getCurrentIndex()) + "]");
      }
    }
    StringBuilder sb = new StringBuilder("$");
    for (int i = parts.size() - 1; i >= 0; i--) {
      sb.append(parts.get(i));
    }
    return sb.toString();
  }
}
