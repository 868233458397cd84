package io.tokenflow.langchain4j;

import java.util.Iterator;
import java.util.ServiceLoader;
import java.util.function.Supplier;

/**
 * LangChain4j's builder-factory convention: {@code builder()} returns the builder of the first factory registered in
 * {@code META-INF/services} (looked up through the thread's context class loader, then this module's own), else a
 * plain one. Done with {@link ServiceLoader} directly, as LangChain4j's own helper for it is marked internal.
 */
final class BuilderFactories {
    private BuilderFactories() {}

    static <B, F extends Supplier<B>> B builder(Class<F> factory, Supplier<B> otherwise) {
        Iterator<F> it = ServiceLoader.load(factory).iterator();
        if (!it.hasNext()) it = ServiceLoader.load(factory, BuilderFactories.class.getClassLoader()).iterator();
        return it.hasNext() ? it.next().get() : otherwise.get();
    }
}
