package io.tokenflow.internal.presets;

import org.bytedeco.javacpp.annotation.Platform;
import org.bytedeco.javacpp.annotation.Properties;
import org.bytedeco.javacpp.tools.Info;
import org.bytedeco.javacpp.tools.InfoMap;
import org.bytedeco.javacpp.tools.InfoMapper;

/**
 * JavaCPP preset of libtokenflow: JavaCPP's own parser reads {@code native/include/tokenflow.h} at every build and
 * writes the binding {@code io.tokenflow.internal.TokenflowNative} (java-api/src/gen/java), so the binding cannot
 * drift from the header. Only the native owners in {@code io.tokenflow.internal} call it.
 */
@Properties(target = "io.tokenflow.internal.TokenflowNative",
        value = @Platform(value = "linux-x86_64", include = "tokenflow.h", link = "tokenflow",
                // copyLibs bundles exactly these (dependencies first, versioned sonames): see JAVACPP.md
                // (ggml's CPU backend is not among them: NativeRuntime extracts its variants, ggml loads the best one)
                preload = {"ggml-base@.0", "ggml@.0", "llama@.0", "tfkernels@.0"},
                define = "STRING_BYTES_CHARSET \"UTF-8\""))
public class tokenflow implements InfoMapper {
    @Override
    public void map(InfoMap infoMap) {
        // Text crosses as UTF-8 bytes with explicit lengths: also bind const char* inputs to byte[].
        infoMap.put(new Info("const char").pointerTypes("@Cast(\"const char*\") BytePointer", "String",
                "@Cast(\"const char*\") byte[]"));
    }
}
