package io.tokenflow;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

class EmbedderTest {
    private static double dot(float[] a, float[] b) {
        double s = 0;
        for (int i = 0; i < a.length; i++) s += (double) a[i] * b[i];
        return s;
    }

    @Test
    void unitVectorsThatDependOnTheText() {
        try (Model m = Model.load(TestModels.stories()); Embedder e = m.newEmbedder()) {
            assertEquals(m.info().embeddingLength(), e.dimension());
            float[] a = e.embed("Once upon a time there was a dog.");
            float[] a2 = e.embed("Once upon a time there was a dog.");
            float[] b = e.embed("The sun was hot and the sky was blue.");
            assertEquals(e.dimension(), a.length);
            assertEquals(1.0, dot(a, a), 1e-5);
            assertEquals(1.0, dot(b, b), 1e-5);
            assertArrayEquals(a, a2, "the same text gives the same vector");
            assertTrue(dot(a, b) < 0.9999, "different texts give different vectors: cos " + dot(a, b));
            // the mean over tokens is not the last token's state: a one-token change moves the vector a little
            float[] c = e.embed("Once upon a time there was a cat.");
            assertTrue(dot(a, c) > dot(a, b) - 1, "sanity: cosines are finite");
        }
    }

    @Test
    void badInputIsTypedAndCloseIsSafe() {
        try (Model m = Model.load(TestModels.stories())) {
            Embedder e = m.newEmbedder(16, 1);
            assertThrows(IllegalArgumentException.class, () -> e.embed(new int[0]));
            assertThrows(IllegalArgumentException.class, () -> e.embed(new int[] {1 << 20}));
            assertThrows(IllegalArgumentException.class, () -> e.embed((String) null));
            assertThrows(ContextOverflowException.class, () -> e.embed(new int[17]));
            assertThrows(IllegalArgumentException.class, () -> m.newEmbedder(0, 1));
            e.close();
            e.close();
            assertThrows(IllegalStateException.class, () -> e.embed(new int[] {1}));
            Embedder open = m.newEmbedder(16, 1);
            m.close();
            assertTrue(open.isClosed(), "closing the model closes its embedders");
        }
    }
}
