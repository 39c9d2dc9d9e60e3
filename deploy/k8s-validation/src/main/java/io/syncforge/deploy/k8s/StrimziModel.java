package io.syncforge.deploy.k8s;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.util.HashMap;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.regex.Pattern;
import org.objectweb.asm.ClassReader;
import org.objectweb.asm.Opcodes;
import org.objectweb.asm.Type;
import org.objectweb.asm.tree.AnnotationNode;
import org.objectweb.asm.tree.ClassNode;
import org.objectweb.asm.tree.FieldNode;
import org.objectweb.asm.tree.MethodNode;

/**
 * Validates {@code kafka.strimzi.io/v1} resources against Strimzi's own published API model, the
 * classes of {@code io.strimzi:api} at the release deploy/k8s installs.
 *
 * <p>That artifact is compiled for Java 21 and this build runs on Java 17, so its classes cannot be
 * loaded. They are read as class files instead (ASM), and their Jackson binding is followed the way
 * Jackson would: a property per getter with a setter or {@code @JsonProperty} (renamed by it),
 * {@code @JsonTypeInfo}/{@code @JsonSubTypes} for polymorphic fields ({@code type}), enums by their
 * constants, {@code io.fabric8} types (ObjectMeta, ResourceRequirements, ...) loaded into fabric8's
 * real classes. Strimzi's CRD-generator constraints {@code @JsonProperty(required)}, {@code
 * Pattern} and {@code Minimum} are checked too. Every model class has an {@code
 * additionalProperties} catch-all: a field it does not declare is exactly what this reports.
 */
final class StrimziModel {

  /** The kinds of {@code kafka.strimzi.io/v1} that deploy/k8s uses, and their model classes. */
  static final Map<String, String> KINDS =
      Map.of(
          "Kafka", "io/strimzi/api/kafka/model/kafka/Kafka",
          "KafkaNodePool", "io/strimzi/api/kafka/model/nodepool/KafkaNodePool",
          "KafkaTopic", "io/strimzi/api/kafka/model/topic/KafkaTopic",
          "KafkaUser", "io/strimzi/api/kafka/model/user/KafkaUser");

  private static final String JSON_PROPERTY = "Lcom/fasterxml/jackson/annotation/JsonProperty;";
  private static final String JSON_IGNORE = "Lcom/fasterxml/jackson/annotation/JsonIgnore;";
  private static final String JSON_ANY_GETTER = "Lcom/fasterxml/jackson/annotation/JsonAnyGetter;";
  private static final String JSON_TYPE_INFO = "Lcom/fasterxml/jackson/annotation/JsonTypeInfo;";
  private static final String JSON_SUB_TYPES = "Lcom/fasterxml/jackson/annotation/JsonSubTypes;";
  private static final String PATTERN = "Lio/strimzi/crdgenerator/annotations/Pattern;";
  private static final String MINIMUM = "Lio/strimzi/crdgenerator/annotations/Minimum;";

  private static final Map<String, ClassNode> CLASSES = new ConcurrentHashMap<>();
  private static final Map<String, Map<String, Prop>> PROPS = new ConcurrentHashMap<>();

  private final ObjectMapper json;

  StrimziModel(ObjectMapper json) {
    this.json = json;
  }

  /** One JSON property of a model class. */
  private record Prop(
      String name, String signature, boolean required, String pattern, Long minimum) {}

  /** Validates a whole resource of {@code kind}; every violation goes to {@code out}. */
  void validate(JsonNode resource, String kind, String id, List<String> out) {
    String root = KINDS.get(kind);
    for (Iterator<Map.Entry<String, JsonNode>> it = resource.fields(); it.hasNext(); ) {
      Map.Entry<String, JsonNode> e = it.next();
      switch (e.getKey()) {
        case "apiVersion", "kind" -> {}
        case "metadata" ->
            fabric8(
                e.getValue(),
                "Lio/fabric8/kubernetes/api/model/ObjectMeta;",
                id + ".metadata",
                out);
        case "spec" -> {
          MethodNode getSpec =
              methods(root).stream()
                  .filter(m -> m.name.equals("getSpec") && (m.access & Opcodes.ACC_BRIDGE) == 0)
                  .filter(
                      m -> !Type.getReturnType(m.desc).getClassName().equals("java.lang.Object"))
                  .findFirst()
                  .orElseThrow(() -> new IllegalStateException(root + " has no typed getSpec()"));
          value(e.getValue(), Type.getReturnType(getSpec.desc).getDescriptor(), id + ".spec", out);
        }
        default -> out.add(id + "." + e.getKey() + ": unknown field");
      }
    }
  }

  /** Checks {@code node} against a Java type given as a (generic) signature. */
  private void value(JsonNode node, String sig, String path, List<String> out) {
    if (node.isNull()) {
      return;
    }
    String raw = sig.contains("<") ? sig.substring(0, sig.indexOf('<')) + ";" : sig;
    switch (raw) {
      case "Ljava/lang/String;" -> expect(node.isTextual(), "string", node, path, out);
      case "I", "J", "S", "Ljava/lang/Integer;", "Ljava/lang/Long;", "Ljava/lang/Short;" ->
          expect(node.isIntegralNumber(), "integer", node, path, out);
      case "D", "F", "Ljava/lang/Double;", "Ljava/lang/Float;" ->
          expect(node.isNumber(), "number", node, path, out);
      case "Z", "Ljava/lang/Boolean;" -> expect(node.isBoolean(), "boolean", node, path, out);
      case "Ljava/lang/Object;" -> {}
      case "Ljava/util/List;", "Ljava/util/Set;", "Ljava/util/Collection;" -> {
        if (!node.isArray()) {
          out.add(path + ": expected a list, got " + node);
          return;
        }
        String item = typeArgs(sig).get(0);
        for (int i = 0; i < node.size(); i++) {
          value(node.get(i), item, path + "[" + i + "]", out);
        }
      }
      case "Ljava/util/Map;" -> {
        if (!node.isObject()) {
          out.add(path + ": expected a mapping, got " + node);
          return;
        }
        String v = typeArgs(sig).get(1);
        for (Iterator<Map.Entry<String, JsonNode>> it = node.fields(); it.hasNext(); ) {
          Map.Entry<String, JsonNode> e = it.next();
          value(e.getValue(), v, path + "." + e.getKey(), out);
        }
      }
      default -> {
        if (raw.startsWith("Lio/fabric8/")) {
          fabric8(node, raw, path, out);
        } else if (raw.startsWith("Lio/strimzi/")) {
          model(node, raw.substring(1, raw.length() - 1), path, out);
        } else {
          // A type this reader does not interpret (none in the kinds above today): refuse rather
          // than accept unchecked.
          out.add(path + ": no validation for Java type " + raw + " (extend StrimziModel)");
        }
      }
    }
  }

  private void model(JsonNode node, String cls, String path, List<String> out) {
    ClassNode c = cls(cls);
    if ((c.access & Opcodes.ACC_ENUM) != 0) {
      if (!node.isTextual()) {
        out.add(path + ": expected one of " + enumValues(c) + ", got " + node);
      } else if (!enumValues(c).contains(norm(node.asText()))) {
        out.add(path + ": '" + node.asText() + "' is not one of " + enumValues(c));
      }
      return;
    }
    if (!node.isObject()) {
      out.add(path + ": expected a mapping, got " + node);
      return;
    }
    Map<String, String> subTypes = subTypes(c);
    boolean polymorphic = !subTypes.isEmpty();
    if (polymorphic) {
      String type = node.path("type").asText("");
      String sub = subTypes.get(type);
      if (sub == null && !node.has("type") && defaultImpl(c) != null) {
        sub = defaultImpl(c);
      }
      if (sub == null) {
        out.add(path + ".type: '" + type + "' is not one of " + subTypes.keySet());
        return;
      }
      cls = sub;
    }
    Map<String, Prop> props = props(cls);
    for (Iterator<Map.Entry<String, JsonNode>> it = node.fields(); it.hasNext(); ) {
      Map.Entry<String, JsonNode> e = it.next();
      Prop p = props.get(e.getKey());
      String at = path + "." + e.getKey();
      if (polymorphic && e.getKey().equals("type")) {
        continue; // the discriminator, checked above
      }
      if (p == null) {
        out.add(at + ": unknown field (Strimzi's " + simple(cls) + " has " + props.keySet() + ")");
        continue;
      }
      value(e.getValue(), p.signature(), at, out);
      if (p.pattern() != null
          && e.getValue().isTextual()
          && !Pattern.compile(p.pattern()).matcher(e.getValue().asText()).find()) {
        out.add(at + ": '" + e.getValue().asText() + "' does not match " + p.pattern());
      }
      if (p.minimum() != null
          && e.getValue().isIntegralNumber()
          && e.getValue().asLong() < p.minimum()) {
        out.add(at + ": " + e.getValue() + " is below the minimum " + p.minimum());
      }
    }
    for (Prop p : props.values()) {
      if (p.required() && !node.has(p.name())) {
        out.add(path + "." + p.name() + ": required");
      }
    }
  }

  private void fabric8(JsonNode node, String desc, String path, List<String> out) {
    String name = Type.getType(desc).getClassName();
    try {
      Object o = json.treeToValue(node, Class.forName(name));
      Manifests.unknownFields(o, path, out, 0);
    } catch (ClassNotFoundException e) {
      out.add(path + ": fabric8 type " + name + " is not on the classpath");
    } catch (IOException e) {
      out.add(
          path + ": does not load as " + name + ": " + e.getMessage().lines().findFirst().get());
    }
  }

  private static void expect(
      boolean ok, String what, JsonNode node, String path, List<String> out) {
    if (!ok) {
      out.add(path + ": expected " + what + ", got " + node);
    }
  }

  /** The JSON properties of a model class and its Strimzi superclasses, as Jackson binds them. */
  private static Map<String, Prop> props(String cls) {
    Map<String, Prop> p = PROPS.get(cls);
    if (p == null) {
      p = readProps(cls);
      PROPS.put(cls, p);
    }
    return p;
  }

  private static Map<String, Prop> readProps(String cls) {
    Map<String, Prop> out = new LinkedHashMap<>();
    ClassNode c = cls(cls);
    if (c.superName != null && c.superName.startsWith("io/strimzi/")) {
      out.putAll(props(c.superName));
    }
    Map<String, MethodNode> setters = new HashMap<>();
    for (MethodNode m : c.methods) {
      if (m.name.startsWith("set") && Type.getArgumentTypes(m.desc).length == 1) {
        setters.put(m.name.substring(3), m);
      }
    }
    Map<String, FieldNode> fields = new HashMap<>();
    for (FieldNode f : c.fields) {
      fields.put(f.name, f);
    }
    for (MethodNode m : c.methods) {
      if ((m.access & (Opcodes.ACC_STATIC | Opcodes.ACC_SYNTHETIC | Opcodes.ACC_BRIDGE)) != 0
          || (m.access & Opcodes.ACC_PUBLIC) == 0
          || Type.getArgumentTypes(m.desc).length != 0
          || Type.getReturnType(m.desc) == Type.VOID_TYPE) {
        continue;
      }
      String base;
      if (m.name.startsWith("get") && m.name.length() > 3) {
        base = m.name.substring(3);
      } else if (m.name.startsWith("is")
          && m.name.length() > 2
          && Type.getReturnType(m.desc) == Type.BOOLEAN_TYPE) {
        base = m.name.substring(2);
      } else {
        continue;
      }
      if (has(m.visibleAnnotations, JSON_IGNORE)
          || has(m.visibleAnnotations, JSON_ANY_GETTER)
          || base.equals("AdditionalProperties")) {
        continue;
      }
      MethodNode setter = setters.get(base);
      FieldNode field = fields.get(Character.toLowerCase(base.charAt(0)) + base.substring(1));
      AnnotationNode jp = find(JSON_PROPERTY, m, setter, field);
      if (setter == null && jp == null) {
        continue; // derived getter, not bound
      }
      String name = Character.toLowerCase(base.charAt(0)) + base.substring(1);
      if (jp != null && attr(jp, "value") instanceof String v && !v.isEmpty()) {
        name = v;
      }
      boolean required = jp != null && Boolean.TRUE.equals(attr(jp, "required"));
      AnnotationNode pattern = find(PATTERN, m, setter, field);
      AnnotationNode minimum = find(MINIMUM, m, setter, field);
      String sig =
          m.signature != null
              ? m.signature.substring(2)
              : Type.getReturnType(m.desc).getDescriptor();
      out.put(
          name,
          new Prop(
              name,
              sig,
              required,
              pattern == null ? null : (String) attr(pattern, "value"),
              minimum == null ? null : ((Number) attr(minimum, "value")).longValue()));
    }
    return out;
  }

  /** {@code "type"} discriminator values and their subclasses, if the class is polymorphic. */
  private static Map<String, String> subTypes(ClassNode c) {
    Map<String, String> out = new LinkedHashMap<>();
    AnnotationNode info = find(JSON_TYPE_INFO, c.visibleAnnotations);
    AnnotationNode subs = find(JSON_SUB_TYPES, c.visibleAnnotations);
    if (info == null || subs == null) {
      return out;
    }
    if (!"type".equals(attr(info, "property"))) {
      throw new IllegalStateException(c.name + ": discriminator other than 'type'");
    }
    for (Object o : (List<?>) attr(subs, "value")) {
      AnnotationNode t = (AnnotationNode) o;
      out.put((String) attr(t, "name"), ((Type) attr(t, "value")).getInternalName());
    }
    return out;
  }

  private static String defaultImpl(ClassNode c) {
    AnnotationNode info = find(JSON_TYPE_INFO, c.visibleAnnotations);
    return info != null && attr(info, "defaultImpl") instanceof Type t ? t.getInternalName() : null;
  }

  private static Set<String> enumValues(ClassNode c) {
    return c.fields.stream()
        .filter(f -> (f.access & Opcodes.ACC_ENUM) != 0)
        .map(f -> norm(f.name))
        .collect(java.util.stream.Collectors.toCollection(java.util.TreeSet::new));
  }

  /**
   * Strimzi's enums map JSON values to constants case-insensitively ({@code Write} → WRITE, {@code
   * internal} → INTERNAL, {@code persistent-claim} style names are subtypes, not enums).
   */
  private static String norm(String s) {
    return s.toLowerCase(Locale.ROOT).replaceAll("[-_.]", "");
  }

  private static List<MethodNode> methods(String cls) {
    return cls(cls).methods;
  }

  private static ClassNode cls(String internalName) {
    ClassNode cached = CLASSES.get(internalName);
    if (cached != null) {
      return cached;
    }
    ClassNode read =
        ((java.util.function.Function<String, ClassNode>)
                n -> {
                  try (InputStream in =
                      StrimziModel.class.getClassLoader().getResourceAsStream(n + ".class")) {
                    if (in == null) {
                      throw new IllegalStateException(n + " is not in io.strimzi:api");
                    }
                    ClassNode node = new ClassNode();
                    new ClassReader(in).accept(node, ClassReader.SKIP_CODE);
                    return node;
                  } catch (IOException e) {
                    throw new UncheckedIOException(e);
                  }
                })
            .apply(internalName);
    CLASSES.put(internalName, read);
    return read;
  }

  private static List<String> typeArgs(String sig) {
    String inner = sig.substring(sig.indexOf('<') + 1, sig.lastIndexOf('>'));
    List<String> out = new java.util.ArrayList<>();
    int depth = 0;
    int start = 0;
    for (int i = 0; i < inner.length(); i++) {
      char ch = inner.charAt(i);
      if (ch == '<') {
        depth++;
      } else if (ch == '>') {
        depth--;
      } else if (ch == ';' && depth == 0) {
        out.add(inner.substring(start, i + 1).replaceFirst("^[+-]", ""));
        start = i + 1;
      } else if (ch == '*' && depth == 0) {
        out.add("Ljava/lang/Object;");
        start = i + 1;
      }
    }
    return out;
  }

  private static AnnotationNode find(
      String desc, MethodNode getter, MethodNode setter, FieldNode f) {
    AnnotationNode a = find(desc, getter.visibleAnnotations);
    if (a == null && setter != null) {
      a = find(desc, setter.visibleAnnotations);
    }
    if (a == null && f != null) {
      a = find(desc, f.visibleAnnotations);
    }
    return a;
  }

  private static AnnotationNode find(String desc, List<AnnotationNode> list) {
    if (list == null) {
      return null;
    }
    return list.stream().filter(a -> a.desc.equals(desc)).findFirst().orElse(null);
  }

  private static boolean has(List<AnnotationNode> list, String desc) {
    return find(desc, list) != null;
  }

  private static Object attr(AnnotationNode a, String name) {
    if (a.values == null) {
      return null;
    }
    for (int i = 0; i < a.values.size(); i += 2) {
      if (a.values.get(i).equals(name)) {
        return a.values.get(i + 1);
      }
    }
    return null;
  }

  private static String simple(String cls) {
    return cls.substring(cls.lastIndexOf('/') + 1);
  }
}
