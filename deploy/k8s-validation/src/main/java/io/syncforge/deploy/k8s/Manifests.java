package io.syncforge.deploy.k8s;

import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.MapperFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.cfg.CoercionAction;
import com.fasterxml.jackson.databind.cfg.CoercionInputShape;
import com.fasterxml.jackson.databind.json.JsonMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.databind.type.LogicalType;
import io.fabric8.kubernetes.api.model.ConfigMap;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.Namespace;
import io.fabric8.kubernetes.api.model.ObjectMeta;
import io.fabric8.kubernetes.api.model.PersistentVolumeClaim;
import io.fabric8.kubernetes.api.model.Secret;
import io.fabric8.kubernetes.api.model.Service;
import io.fabric8.kubernetes.api.model.ServiceAccount;
import io.fabric8.kubernetes.api.model.apps.Deployment;
import io.fabric8.kubernetes.api.model.autoscaling.v2.HorizontalPodAutoscaler;
import io.fabric8.kubernetes.api.model.networking.v1.NetworkPolicy;
import io.fabric8.kubernetes.api.model.policy.v1.PodDisruptionBudget;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Method;
import java.lang.reflect.RecordComponent;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * A rendered set of manifests, each loaded into its typed model: fabric8's classes for Kubernetes'
 * own kinds (every field not in the model is reported), a small schema of the fields used here for
 * the operators' custom resources ({@code crd-schemas.yaml}). Anything else is an unknown kind.
 */
public final class Manifests {

  private static final ObjectMapper JSON =
      new ObjectMapper().enable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES);

  private static final Map<String, Class<? extends HasMetadata>> CORE =
      Map.of(
          "v1/Namespace", Namespace.class,
          "v1/ConfigMap", ConfigMap.class,
          "v1/Secret", Secret.class,
          "v1/Service", Service.class,
          "v1/ServiceAccount", ServiceAccount.class,
          "v1/PersistentVolumeClaim", PersistentVolumeClaim.class,
          "apps/v1/Deployment", Deployment.class,
          "policy/v1/PodDisruptionBudget", PodDisruptionBudget.class,
          "networking.k8s.io/v1/NetworkPolicy", NetworkPolicy.class,
          "autoscaling/v2/HorizontalPodAutoscaler", HorizontalPodAutoscaler.class);

  /**
   * CloudNativePG's resources, typed by {@link CloudNativePg130}. Strimzi's ({@code
   * kafka.strimzi.io/v1}) go to {@link StrimziModel}, Strimzi's own API model. A resource of
   * another version of these groups (e.g. the removed {@code kafka.strimzi.io/v1beta2}) is an
   * unknown kind.
   */
  private static final Map<String, Class<?>> OPERATORS =
      Map.of(
          "postgresql.cnpg.io/v1/Cluster", CloudNativePg130.Cluster.class,
          "postgresql.cnpg.io/v1/Pooler", CloudNativePg130.Pooler.class,
          "postgresql.cnpg.io/v1/ScheduledBackup", CloudNativePg130.ScheduledBackup.class,
          "barmancloud.cnpg.io/v1/ObjectStore", CloudNativePg130.ObjectStore.class);

  /** Strict: unknown fields fail, and so does a quoted number or a number where text belongs. */
  private static final ObjectMapper STRICT = strictMapper();

  private static final StrimziModel STRIMZI = new StrimziModel(JSON);

  private static final JsonNode CRD_SCHEMAS = loadSchemas();

  private final List<ObjectNode> raw;
  private final List<HasMetadata> typed = new ArrayList<>();
  private final List<String> violations = new ArrayList<>();

  private Manifests(List<ObjectNode> raw) {
    this.raw = raw;
    for (ObjectNode o : raw) {
      String id = id(o);
      String gvk = o.path("apiVersion").asText() + "/" + o.path("kind").asText();
      Class<? extends HasMetadata> type = CORE.get(gvk);
      if (type != null) {
        try {
          HasMetadata m = JSON.treeToValue(o, type);
          unknownFields(m, id, violations, 0);
          typed.add(m);
        } catch (IOException e) {
          violations.add(id + ": does not load as " + type.getSimpleName() + ": " + e.getMessage());
        }
      } else if (gvk.startsWith("kafka.strimzi.io/v1/")
          && StrimziModel.KINDS.containsKey(o.path("kind").asText())) {
        STRIMZI.validate(o, o.path("kind").asText(), id, violations);
      } else if (OPERATORS.containsKey(gvk)) {
        try {
          unknownFields(STRICT.treeToValue(o, OPERATORS.get(gvk)), id, violations, 0);
        } catch (IOException e) {
          violations.add(
              id
                  + ": does not load as "
                  + gvk
                  + " of the pinned operator release: "
                  + e.getMessage().lines().findFirst().orElse(""));
        }
      } else if (CRD_SCHEMAS.has(gvk)) {
        validateCustom(o, CRD_SCHEMAS.get(gvk), id, violations);
      } else {
        violations.add(
            id + ": unknown kind " + gvk + " (add it to the models or crd-schemas.yaml)");
      }
    }
  }

  /** Loads a rendered set; {@link #violations()} lists every unknown field and kind. */
  public static Manifests of(List<ObjectNode> rendered) {
    return new Manifests(rendered);
  }

  public List<String> violations() {
    return violations;
  }

  public List<ObjectNode> raw() {
    return raw;
  }

  /** The objects of Kubernetes' own kinds, typed. */
  public <T extends HasMetadata> List<T> all(Class<T> type) {
    return typed.stream().filter(type::isInstance).map(type::cast).toList();
  }

  public <T extends HasMetadata> Optional<T> named(Class<T> type, String name) {
    return all(type).stream().filter(o -> o.getMetadata().getName().equals(name)).findFirst();
  }

  /** Custom resources of one kind, as trees (their fields were checked against the schema). */
  public List<JsonNode> custom(String kind) {
    return raw.stream()
        .filter(o -> o.path("kind").asText().equals(kind))
        .map(o -> (JsonNode) o)
        .toList();
  }

  static String id(JsonNode o) {
    return o.path("kind").asText() + " " + o.path("metadata").path("name").asText();
  }

  /**
   * Every {@code additionalProperties} entry fabric8 collected is a field the API does not have.
   */
  static void unknownFields(Object o, String path, List<String> out, int depth) {
    if (o == null || depth > 40) {
      return;
    }
    if (o instanceof Collection<?> c) {
      int i = 0;
      for (Object e : c) {
        unknownFields(e, path + "[" + i++ + "]", out, depth + 1);
      }
      return;
    }
    if (o instanceof Map<?, ?> m) {
      for (Map.Entry<?, ?> e : m.entrySet()) {
        unknownFields(e.getValue(), path + "." + e.getKey(), out, depth + 1);
      }
      return;
    }
    if (o instanceof Record r) {
      for (RecordComponent rc : r.getClass().getRecordComponents()) {
        try {
          unknownFields(rc.getAccessor().invoke(r), path + "." + rc.getName(), out, depth + 1);
        } catch (IllegalAccessException | InvocationTargetException e) {
          throw new IllegalStateException(e);
        }
      }
      return;
    }
    String cls = o.getClass().getName();
    if (!cls.startsWith("io.fabric8.") && !cls.startsWith("io.strimzi.")) {
      return;
    }
    for (Method m : o.getClass().getMethods()) {
      if (m.getParameterCount() != 0
          || !m.getName().startsWith("get")
          || m.getDeclaringClass() == Object.class) {
        continue;
      }
      Object v;
      try {
        v = m.invoke(o);
      } catch (IllegalAccessException | InvocationTargetException | RuntimeException e) {
        continue;
      }
      if (m.getName().equals("getAdditionalProperties")) {
        if (v instanceof Map<?, ?> extra && !extra.isEmpty()) {
          out.add(path + ": unknown field(s) " + extra.keySet());
        }
      } else {
        String field = m.getName().substring(3);
        field = Character.toLowerCase(field.charAt(0)) + field.substring(1);
        unknownFields(v, path + "." + field, out, depth + 1);
      }
    }
  }

  /** A custom resource: typed metadata, and a spec that follows {@code specSchema}. */
  static void validateCustom(JsonNode o, JsonNode specSchema, String id, List<String> out) {
    for (Iterator<Map.Entry<String, JsonNode>> it = o.fields(); it.hasNext(); ) {
      Map.Entry<String, JsonNode> e = it.next();
      switch (e.getKey()) {
        case "apiVersion", "kind" -> {}
        case "metadata" -> {
          try {
            unknownFields(
                JSON.treeToValue(e.getValue(), ObjectMeta.class), id + ".metadata", out, 0);
          } catch (IOException ex) {
            out.add(id + ".metadata: " + ex.getMessage());
          }
        }
        case "spec" -> validate(e.getValue(), specSchema, id + ".spec", out);
        default -> out.add(id + "." + e.getKey() + ": unknown field");
      }
    }
  }

  /**
   * Checks a custom resource against a schema written as YAML: a mapping lists the allowed fields
   * ({@code "*"}: any field), a one-item list is a list of that item, and a leaf names a type:
   * {@code string}, {@code integer}, {@code boolean}, {@code scalar} (any of those) or {@code any}.
   */
  static void validate(JsonNode node, JsonNode schema, String path, List<String> out) {
    if (schema.isObject()) {
      if (!node.isObject()) {
        out.add(path + ": expected a mapping");
        return;
      }
      for (Iterator<Map.Entry<String, JsonNode>> it = node.fields(); it.hasNext(); ) {
        Map.Entry<String, JsonNode> e = it.next();
        String p = path + "." + e.getKey();
        JsonNode s = schema.has(e.getKey()) ? schema.get(e.getKey()) : schema.get("*");
        if (s == null) {
          out.add(p + ": unknown field");
        } else {
          validate(e.getValue(), s, p, out);
        }
      }
    } else if (schema.isArray()) {
      if (!node.isArray()) {
        out.add(path + ": expected a list");
        return;
      }
      for (int i = 0; i < node.size(); i++) {
        validate(node.get(i), schema.get(0), path + "[" + i + "]", out);
      }
    } else {
      boolean ok =
          switch (schema.asText()) {
            case "string" -> node.isTextual();
            case "integer" -> node.isIntegralNumber();
            case "boolean" -> node.isBoolean();
            case "scalar" -> node.isValueNode() && !node.isNull();
            case "any" -> true;
            default -> throw new IllegalStateException("bad schema type " + schema.asText());
          };
      if (!ok) {
        out.add(path + ": expected " + schema.asText() + ", got " + node);
      }
    }
  }

  private static ObjectMapper strictMapper() {
    ObjectMapper m =
        JsonMapper.builder()
            .enable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES)
            .enable(DeserializationFeature.FAIL_ON_NULL_FOR_PRIMITIVES)
            .disable(MapperFeature.ALLOW_COERCION_OF_SCALARS)
            .build();
    for (LogicalType t : List.of(LogicalType.Textual, LogicalType.Integer, LogicalType.Boolean)) {
      m.coercionConfigFor(t)
          .setCoercion(
              CoercionInputShape.Integer,
              t == LogicalType.Integer ? CoercionAction.TryConvert : CoercionAction.Fail)
          .setCoercion(CoercionInputShape.Float, CoercionAction.Fail)
          .setCoercion(
              CoercionInputShape.Boolean,
              t == LogicalType.Boolean ? CoercionAction.TryConvert : CoercionAction.Fail);
    }
    return m;
  }

  private static JsonNode loadSchemas() {
    try (InputStream in = Manifests.class.getResourceAsStream("crd-schemas.yaml")) {
      return Kustomize.YAML.readTree(in);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }
}
