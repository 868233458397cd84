package io.tokenflow;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.HexFormat;
import java.util.Properties;
import org.junit.jupiter.api.Test;

/** The packaged default model matches its description (no native code needed). */
class DefaultModelTest {
    @Test
    void packagedFileMatchesItsSha256AndSize() throws Exception {
        Properties p = DefaultModel.describe();
        assertThat(p.getProperty("name")).isNotBlank();
        assertThat(p.getProperty("license")).isNotBlank();
        MessageDigest d = MessageDigest.getInstance("SHA-256");
        long size = 0;
        try (InputStream in = DefaultModel.class.getResourceAsStream("/io/tokenflow/models/" + p.getProperty("file"))) {
            assertThat(in).isNotNull();
            byte[] buf = new byte[1 << 16];
            for (int n; (n = in.read(buf)) > 0; size += n) d.update(buf, 0, n);
        }
        assertThat(HexFormat.of().formatHex(d.digest())).isEqualTo(p.getProperty("sha256"));
        assertThat(size).isEqualTo(Long.parseLong(p.getProperty("size"))).isLessThanOrEqualTo(16L << 20);
    }

    @Test
    void pathCopiesTheModelOutOnceAndReusesIt() throws Exception {
        Path first = DefaultModel.path();
        assertThat(first).isRegularFile();
        assertThat(Files.size(first)).isEqualTo(Long.parseLong(DefaultModel.describe().getProperty("size")));
        long modified = Files.getLastModifiedTime(first).toMillis();
        assertThat(DefaultModel.path()).isEqualTo(first);
        assertThat(Files.getLastModifiedTime(first).toMillis()).isEqualTo(modified);
    }
}
