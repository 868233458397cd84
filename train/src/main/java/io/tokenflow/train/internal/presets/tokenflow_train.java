package io.tokenflow.train.internal.presets;

import io.tokenflow.internal.presets.tokenflow;
import org.bytedeco.javacpp.Loader;
import org.bytedeco.javacpp.annotation.Platform;
import org.bytedeco.javacpp.annotation.Properties;
import org.bytedeco.javacpp.tools.InfoMap;
import org.bytedeco.javacpp.tools.InfoMapper;

/**
 * JavaCPP preset of the trainer's entry points ({@code native/include/tokenflow_train.h}): the parser writes
 * {@code io.tokenflow.train.internal.TrainerNative} (train/src/gen/java). It inherits the runtime's preset: the
 * runtime's natives jar carries libtokenflow, this module ships only its JNI glue, so the runtime binding is loaded
 * first.
 */
@Properties(inherit = tokenflow.class, target = "io.tokenflow.train.internal.TrainerNative",
        value = @Platform(value = "linux-x86_64", include = "tokenflow_train.h"))
public class tokenflow_train implements InfoMapper {
    static {
        // libtokenflow comes from the runtime's natives: load them before this module's JNI library needs them.
        // (Class.forName with initialize=false, as JavaCPP's build tools use, does not run this.)
        Loader.load(io.tokenflow.internal.TokenflowNative.class);
    }

    @Override
    public void map(InfoMap infoMap) {
        new tokenflow().map(infoMap);
    }
}
