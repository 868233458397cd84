package io.tokenflow.langchain4j;

import io.tokenflow.Model;
import io.tokenflow.ModelOptions;
import java.nio.file.Path;

/**
 * The tokenflow {@link Model} a LangChain4j model runs on, and whether that LangChain4j model loaded it (and so must
 * close it). A model the user passed in stays the user's: other sessions may share it.
 */
record ModelHandle(Model model, boolean owned) {

    /** The given model, else the file at {@code path}, else the packaged default model. */
    static ModelHandle resolve(Model model, Path path, ModelOptions options) {
        if (model != null && path != null) {
            throw new IllegalArgumentException("give either model(...) or modelPath(...), not both");
        }
        if (model != null) {
            if (model.isClosed()) throw new IllegalArgumentException("the model is closed");
            if (options != null) {
                throw new IllegalArgumentException("modelOptions(...) applies to a model this builder loads (modelPath or the "
                        + "default model), not to one passed in with model(...)");
            }
            return new ModelHandle(model, false);
        }
        ModelOptions o = options == null ? ModelOptions.defaults() : options;
        return new ModelHandle(path != null ? Model.load(path, o) : Model.loadDefault(o), true);
    }

    /** Closes the model when this handle loaded it. */
    void release() {
        if (owned) model.close();
    }
}
