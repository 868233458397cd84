package io.tokenflow;

import io.tokenflow.gguf.GgufFile;
import io.tokenflow.internal.NativeErrors;
import io.tokenflow.internal.NativeModel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * A loaded GGUF model: weights, tokenizer and metadata. Thread-safe; many {@link Session}s may run on one
 * model concurrently. Closing the model closes its open sessions first.
 */
public final class Model implements AutoCloseable {
    private static final System.Logger LOG = System.getLogger(Model.class.getName());

    private final Path path;
    private final GgufFile gguf;
    private final ModelOptions options;
    private final NativeModel nat;
    private final ModelInfo info;
    private final Tokenizer tokenizer;
    private final Set<Session> sessions = ConcurrentHashMap.newKeySet();
    /** Other native owners on this model (embedders, batchers): closed before the weights. */
    private final Set<AutoCloseable> owners = ConcurrentHashMap.newKeySet();

    static {
        io.tokenflow.internal.ModelAccess.install(new io.tokenflow.internal.ModelAccess.Bridge() {
            @Override
            public NativeModel nativeModel(Model model) { return model.nativeModel(); }

            @Override
            public void register(Model model, AutoCloseable owner) {
                model.checkOpen();
                model.owners.add(owner);
            }

            @Override
            public void forget(Model model, AutoCloseable owner) { model.owners.remove(owner); }
        });
    }

    private Model(Path path, GgufFile gguf, ModelOptions options, NativeModel nat) {
        this.path = path;
        this.gguf = gguf;
        this.options = options;
        this.nat = nat;
        this.info = readInfo();
        this.tokenizer = new Tokenizer(this);
    }

    /**
     * Loads the small default model from the class path (artifact {@code io.tokenflow:tokenflow-model-stories}; see
     * {@link DefaultModel}): tokenflow-stories, a 4 MB story model trained by tokenflow itself, readable text with no
     * download.
     *
     * @throws ModelLoadException the model artifact is not on the class path (the message names it)
     */
    public static Model loadDefault() {
        return load(DefaultModel.path(), ModelOptions.defaults());
    }

    /** {@link #loadDefault()} with options. */
    public static Model loadDefault(ModelOptions options) {
        return load(DefaultModel.path(), options);
    }

    /** Loads with default options. */
    public static Model load(Path path) {
        return load(path, ModelOptions.defaults());
    }

    /**
     * Validates the GGUF file in Java (so corrupt input never reaches native code), then loads it.
     *
     * @throws ModelLoadException the file is missing or llama.cpp refused it
     * @throws InvalidModelException the file is not a well-formed GGUF model (the message says why)
     */
    public static Model load(Path path, ModelOptions options) {
        if (path == null) throw new IllegalArgumentException("model path is null");
        if (options == null) throw new IllegalArgumentException("options is null");
        if (!Files.exists(path)) throw new ModelLoadException("model file not found: " + path);
        if (!Files.isRegularFile(path)) throw new ModelLoadException("not a regular file: " + path);
        if (!Files.isReadable(path)) throw new ModelLoadException("model file not readable: " + path);
        GgufFile gguf = GgufFile.read(path);
        VocabularyCheck.check(gguf);
        HyperparameterCheck.check(gguf);
        Tokenflow.init();
        long t0 = System.nanoTime();
        NativeModel nat = NativeModel.load(path.toAbsolutePath().toString(), options);
        if (nat == null) {
            throw new ModelLoadException("llama.cpp refused " + path + ": " + NativeErrors.lastError());
        }
        LOG.log(System.Logger.Level.DEBUG, () -> String.format("loaded %s in %.1f ms", path, (System.nanoTime() - t0) / 1e6));
        return new Model(path, gguf, options, nat);
    }

    private ModelInfo readInfo() {
        String name = gguf.getString("general.name").orElse(path.getFileName().toString());
        return new ModelInfo(gguf.architecture(), name, nat.description(), nat.parameterCount(), nat.sizeBytes(),
                nat.contextLengthTrained(), nat.vocabularySize(), nat.embeddingLength(), nat.layerCount(), nat.headCount(),
                nat.kvHeadCount(), nat.chatTemplate());
    }

    public Path path() { return path; }

    public ModelOptions options() { return options; }

    public ModelInfo info() { return info; }

    public Tokenizer tokenizer() {
        checkOpen();
        return tokenizer;
    }

    /** Every GGUF key/value of the file, in file order (arrays as lists). */
    public Map<String, Object> metadata() { return gguf.metadata(); }

    /** The parsed GGUF header (tensors, types, offsets). */
    public GgufFile gguf() { return gguf; }

    /** Opens a new session (a llama.cpp context) on this model. */
    public Session newSession(SessionOptions options) {
        checkOpen();
        if (this.options.vocabOnly()) throw new IllegalStateException("model was loaded vocabOnly: no sessions");
        Session s = new Session(this, options);
        sessions.add(s);
        return s;
    }

    public Session newSession() { return newSession(SessionOptions.defaults()); }

    /**
     * Opens an embedder: a context of its own in embeddings mode that turns texts of up to {@code contextSize} tokens
     * into mean-pooled, L2-normalized vectors ({@link Embedder}). {@code threads} <= 0: the available cores.
     */
    public Embedder newEmbedder(int contextSize, int threads) {
        checkOpen();
        if (this.options.vocabOnly()) throw new IllegalStateException("model was loaded vocabOnly: no embedder");
        if (contextSize < 1) throw new IllegalArgumentException("contextSize must be >= 1, got " + contextSize);
        int t = threads > 0 ? threads : Runtime.getRuntime().availableProcessors();
        SessionLimits.check(info, contextSize, SessionOptions.builder().contextSize(contextSize).threads(t).build());
        Embedder e = new Embedder(this, io.tokenflow.internal.NativeSession.openEmbedding(nativeModel(), contextSize, t));
        owners.add(e);
        return e;
    }

    /** An embedder for texts of up to 512 tokens (or the trained context, if shorter), on all cores. */
    public Embedder newEmbedder() {
        int trained = info.contextLengthTrained();
        return newEmbedder(trained > 0 ? Math.min(512, trained) : 512, 0);
    }

    void forgetOwner(AutoCloseable owner) { owners.remove(owner); }

    /** Formats messages with the model's chat template (or {@code template} when given), as llama.cpp does. */
    public String applyChatTemplate(List<ChatMessage> messages, boolean addAssistantPrefix) {
        return applyChatTemplate(messages, addAssistantPrefix, null);
    }

    public String applyChatTemplate(List<ChatMessage> messages, boolean addAssistantPrefix, String template) {
        checkOpen();
        if (messages == null) throw new IllegalArgumentException("messages is null");
        List<byte[]> parts = new ArrayList<>();
        int total = 0;
        for (ChatMessage m : messages) {
            byte[] r = m.role().getBytes(StandardCharsets.UTF_8);
            byte[] c = m.content().getBytes(StandardCharsets.UTF_8);
            parts.add(r);
            parts.add(c);
            total += r.length + c.length + 2;
        }
        byte[] packed = new byte[Math.max(1, total)];
        int off = 0;
        for (byte[] p : parts) {
            System.arraycopy(p, 0, packed, off, p.length);
            off += p.length + 1; // NUL separator (array is zero-filled)
        }
        byte[] tmpl = template == null ? null : (template + "\0").getBytes(StandardCharsets.UTF_8);
        if (template == null && info.chatTemplate().isEmpty()) {
            throw new IllegalStateException("model " + info.name() + " has no chat template; pass one explicitly");
        }
        return new String(nat.applyChatTemplate(tmpl, packed, messages.size(), addAssistantPrefix), StandardCharsets.UTF_8);
    }

    NativeModel nativeModel() {
        checkOpen();
        return nat;
    }

    void forget(Session s) { sessions.remove(s); }

    int openSessions() { return sessions.size(); }

    void checkOpen() {
        if (nat.isClosed()) throw new IllegalStateException("model is closed");
    }

    public boolean isClosed() { return nat.isClosed(); }

    /** Closes open sessions, then frees the weights. Closing twice is harmless. */
    @Override
    public void close() {
        if (nat.isClosed()) return;
        for (Session s : List.copyOf(sessions)) s.close();
        for (AutoCloseable o : List.copyOf(owners)) {
            try {
                o.close();
            } catch (Exception e) {
                // an owner that fails to close must not keep the weights alive; it has released what it could
            }
        }
        nat.close();
    }

    @Override
    public String toString() {
        return "Model[" + info.name() + ", " + info.description() + (isClosed() ? ", closed]" : "]");
    }
}
