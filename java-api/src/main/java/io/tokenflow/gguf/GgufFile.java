package io.tokenflow.gguf;

import io.tokenflow.InvalidModelException;
import io.tokenflow.ModelLoadException;

import java.nio.file.Path;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.OptionalLong;

/**
 * The validated header of a GGUF file (format versions 2 and 3): metadata and tensor infos. Immutable; tensor data
 * is not loaded. Tensor {@code i}'s bytes are at file offset {@code dataOffset() + tensors().get(i).offset()}.
 */
public final class GgufFile {
    private final Path path;
    private final long fileSize;
    private final int version;
    private final long alignment;
    private final long dataOffset;
    private final Map<String, GgufValue> entries;
    private final Map<String, Object> metadata;
    private final List<GgufTensorInfo> tensors;
    private final Map<String, GgufTensorInfo> tensorsByName;

    GgufFile(Path path, long fileSize, int version, long alignment, long dataOffset,
             Map<String, GgufValue> entries, List<GgufTensorInfo> tensors) {
        this.path = path;
        this.fileSize = fileSize;
        this.version = version;
        this.alignment = alignment;
        this.dataOffset = dataOffset;
        this.entries = Collections.unmodifiableMap(new LinkedHashMap<>(entries));
        Map<String, Object> plain = new LinkedHashMap<>();
        entries.forEach((k, v) -> plain.put(k, v.toJava()));
        this.metadata = Collections.unmodifiableMap(plain);
        this.tensors = List.copyOf(tensors);
        Map<String, GgufTensorInfo> byName = new LinkedHashMap<>();
        tensors.forEach(t -> byName.put(t.name(), t));
        this.tensorsByName = Collections.unmodifiableMap(byName);
    }

    /**
     * Reads and validates the header of the GGUF file at {@code path}.
     *
     * @throws InvalidModelException if the file is not a well-formed GGUF file (the message says what and where)
     * @throws ModelLoadException    if the file is missing or cannot be read
     */
    public static GgufFile read(Path path) {
        return GgufParser.parse(path);
    }

    public Path path() { return path; }

    /** Size of the file in bytes when it was read. */
    public long fileSize() { return fileSize; }

    /** GGUF format version: 2 or 3. */
    public int version() { return version; }

    /** Alignment of the data section and of each tensor's offset ({@code general.alignment}, default 32). */
    public long alignment() { return alignment; }

    /** File offset of the data section, which tensor offsets are relative to. */
    public long dataOffset() { return dataOffset; }

    /** All metadata in file order, as plain Java values (arrays as {@link List}s). */
    public Map<String, Object> metadata() { return metadata; }

    /** All metadata in file order, with declared types. */
    public Map<String, GgufValue> metadataEntries() { return entries; }

    /** One metadata value with its declared type. */
    public Optional<GgufValue> metadataEntry(String key) {
        return Optional.ofNullable(entries.get(key));
    }

    /** Tensor infos in file order. */
    public List<GgufTensorInfo> tensors() { return tensors; }

    public Optional<GgufTensorInfo> tensor(String name) {
        return Optional.ofNullable(tensorsByName.get(name));
    }

    /**
     * The {@code general.architecture} value, e.g. {@code "llama"}.
     *
     * @throws InvalidModelException if the key is missing or not a STRING
     */
    public String architecture() {
        return getString("general.architecture")
                .orElseThrow(() -> invalid("missing metadata key 'general.architecture'"));
    }

    // The typed getters below return empty when the key is absent and throw InvalidModelException when it is
    // present with a type that does not fit: a model with a mistyped key is broken, not merely incomplete.

    public Optional<String> getString(String key) {
        return entry(key, GgufValueType.STRING).map(v -> (String) v.value());
    }

    /** Any integer type; a UINT64 of 2<sup>63</sup> or more does not fit and throws. */
    public OptionalLong getLong(String key) {
        GgufValue v = entries.get(key);
        if (v == null) {
            return OptionalLong.empty();
        }
        if (!v.type().isInteger()) {
            throw wrongType(key, v, "an integer");
        }
        long n = ((Number) v.value()).longValue();
        if (v.type() == GgufValueType.UINT64 && n < 0) {
            throw invalid("metadata key '" + key + "' value " + Long.toUnsignedString(n) + " does not fit in a long");
        }
        return OptionalLong.of(n);
    }

    /** Any integer type whose value fits in an {@code int}. */
    public OptionalInt getInt(String key) {
        OptionalLong n = getLong(key);
        if (n.isEmpty()) {
            return OptionalInt.empty();
        }
        if (n.getAsLong() != (int) n.getAsLong()) {
            throw invalid("metadata key '" + key + "' value " + n.getAsLong() + " does not fit in an int");
        }
        return OptionalInt.of((int) n.getAsLong());
    }

    /** FLOAT32, or FLOAT64 narrowed to float. */
    public Optional<Float> getFloat(String key) {
        GgufValue v = entries.get(key);
        if (v != null && v.type() != GgufValueType.FLOAT32 && v.type() != GgufValueType.FLOAT64) {
            throw wrongType(key, v, "a float");
        }
        return Optional.ofNullable(v).map(x -> ((Number) x.value()).floatValue());
    }

    public Optional<Boolean> getBool(String key) {
        return entry(key, GgufValueType.BOOL).map(v -> (Boolean) v.value());
    }

    /** An array of STRING. */
    @SuppressWarnings("unchecked")
    public Optional<List<String>> getStringList(String key) {
        Optional<GgufValue> v = entry(key, GgufValueType.ARRAY);
        if (v.isPresent() && v.get().elementType() != GgufValueType.STRING) {
            throw wrongType(key, v.get(), "an array of STRING");
        }
        return v.map(x -> (List<String>) ((GgufArray) x.value()).elements());
    }

    private Optional<GgufValue> entry(String key, GgufValueType type) {
        GgufValue v = entries.get(key);
        if (v != null && v.type() != type) {
            throw wrongType(key, v, type.toString());
        }
        return Optional.ofNullable(v);
    }

    private InvalidModelException wrongType(String key, GgufValue v, String expected) {
        return invalid("metadata key '" + key + "' is " + v.type()
                + (v.type() == GgufValueType.ARRAY ? "<" + v.elementType() + ">" : "") + ", expected " + expected);
    }

    private InvalidModelException invalid(String message) {
        return new InvalidModelException(path.getFileName() + ": " + message);
    }

    @Override
    public String toString() {
        return "GgufFile[" + path.getFileName() + ", v" + version + ", " + entries.size() + " kv, "
                + tensors.size() + " tensors]";
    }
}
