package io.tokenflow.server;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.fail;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.openqa.selenium.By;
import org.openqa.selenium.Dimension;
import org.openqa.selenium.JavascriptExecutor;
import org.openqa.selenium.Keys;
import org.openqa.selenium.OutputType;
import org.openqa.selenium.WebElement;
import org.openqa.selenium.chrome.ChromeDriver;
import org.openqa.selenium.chrome.ChromeDriverService;
import org.openqa.selenium.chrome.ChromeOptions;
import org.openqa.selenium.support.ui.FluentWait;
import org.openqa.selenium.support.ui.Wait;

/**
 * The web chat page in a real headless browser (Debian's chromium through chromium-driver and Selenium) against a real
 * server on the packaged default model: streamed text in the DOM equals the greedy answer of the same request made
 * directly, multi-turn conversations are sent whole, policies reach the server and their figures are shown, errors
 * (HTTP and inside a stream) are shown, Stop cancels the request on the server. Saves
 * {@code server/target/screenshots/chat.png} (and {@code chat-narrow.png}). Without the browser this test fails:
 * {@code scripts/install-browser.sh} installs it (scripts/test.sh runs it first).
 */
@Timeout(value = 4, unit = TimeUnit.MINUTES)
class WebPageBrowserTest {
    private static final Path CHROMIUM = Path.of("/usr/bin/chromium");
    private static final Path CHROMEDRIVER = Path.of("/usr/bin/chromedriver");
    private static final Path SCREENSHOTS = Path.of(System.getProperty("basedir", "."), "target", "screenshots");
    /** Long enough for any reply of the tiny model on a busy 2-core machine. */
    private static final Duration REPLY_WAIT = Duration.ofSeconds(120);
    private static final int LONG_CONTEXT = 16384;

    private static TokenflowServer server;
    private static ChromeDriver driver;

    @BeforeAll
    static void start() {
        // the browser is part of the project's test setup: a missing one is a failure that says how to get it, not a skip
        if (!Files.isExecutable(CHROMIUM) || !Files.isExecutable(CHROMEDRIVER)) {
            fail("the web page's browser test needs Debian's chromium and chromium-driver (" + CHROMIUM + ", " + CHROMEDRIVER
                    + "): run scripts/install-browser.sh (as root; scripts/test.sh runs it before Maven)");
        }
        server = TestServers.start(b -> b);
        ChromeOptions options = new ChromeOptions();
        options.setBinary(CHROMIUM.toFile());
        options.addArguments("--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--window-size=1280,900",
                "--no-first-run", "--disable-extensions");
        ChromeDriverService service = new ChromeDriverService.Builder().usingDriverExecutable(CHROMEDRIVER.toFile())
                .usingAnyFreePort().build();
        driver = new ChromeDriver(service, options);
        // collect the page's uncaught errors from before its own script runs, so every test can assert there were none
        driver.executeCdpCommand("Page.addScriptToEvaluateOnNewDocument", Map.of("source",
                "window.__pageErrors = [];"
                        + "addEventListener('error', e => __pageErrors.push(String(e.message)));"
                        + "addEventListener('unhandledrejection', e => __pageErrors.push(String(e.reason)));"));
    }

    @AfterAll
    static void stop() {
        if (driver != null) driver.quit();
        if (server != null) server.close();
    }

    @AfterEach
    void noScriptErrors() {
        if (driver == null) return;
        Object errors = js("return window.__pageErrors || []");
        assertThat((List<?>) errors).as("uncaught errors in the page").isEmpty();
    }

    // ---------------------------------------------------------------- helpers

    private static Object js(String script, Object... args) {
        return ((JavascriptExecutor) driver).executeScript(script, args);
    }

    private static Wait<ChromeDriver> waitUpTo(Duration d) {
        // on a timeout the message shows what the page showed, so a failure can be read without rerunning
        return new FluentWait<>(driver).withTimeout(d).pollingEvery(Duration.ofMillis(20)).withMessage(WebPageBrowserTest::pageState);
    }

    private static String pageState() {
        try {
            return "page state: health=" + text(byId("health")) + ", model=" + text(byId("model")) + ", transcript="
                    + js("return document.getElementById('transcript').innerHTML");
        } catch (RuntimeException e) {
            return "page state unavailable: " + e;
        }
    }

    private static WebElement byId(String id) { return driver.findElement(By.id(id)); }

    /** Exact text, whitespace included (WebElement.getText() normalizes it). */
    private static String text(WebElement e) { return (String) js("return arguments[0].textContent", e); }

    private static String modelId(TokenflowServer s) {
        return TestServers.get(s, "/v1/models").json().path("data").path(0).path("id").asText();
    }

    /** Opens the page and waits until it shows the server as up and the model's id. */
    private static void open(TokenflowServer s) {
        driver.get(s.url() + "/");
        String id = modelId(s);
        waitUpTo(Duration.ofSeconds(30)).until(d -> text(byId("health")).equals("ok") && text(byId("model")).equals(id));
    }

    private static void set(String id, String value) {
        WebElement e = byId(id);
        e.clear();
        if (!value.isEmpty()) e.sendKeys(value);
    }

    /** Types the prompt (lines joined with Shift+Enter, as a user adds a line) and sends it with Enter. */
    private static void typeAndSend(String... lines) {
        WebElement prompt = byId("prompt");
        for (int i = 0; i < lines.length; i++) {
            if (i > 0) prompt.sendKeys(Keys.chord(Keys.SHIFT, Keys.ENTER));
            prompt.sendKeys(lines[i]);
        }
        assertThat(prompt.getDomProperty("value")).as("Shift+Enter adds a line").isEqualTo(String.join("\n", lines));
        prompt.sendKeys(Keys.ENTER);
    }

    /** Waits for the n-th reply (1-based) to be finished. */
    private static WebElement awaitReply(int n) {
        return waitUpTo(REPLY_WAIT).until(d -> {
            List<WebElement> replies = d.findElements(By.cssSelector("#transcript .reply"));
            if (replies.size() < n) return null;
            WebElement r = replies.get(n - 1);
            return "true".equals(r.getDomAttribute("data-done")) ? r : null;
        });
    }

    private static String replyText(WebElement reply) { return text(reply.findElement(By.cssSelector(".content"))); }

    /** A figure of the reply's stats list; {@code path} walks nested lists, e.g. "speculation", "policy". */
    private static String figure(WebElement reply, String... path) {
        StringBuilder css = new StringBuilder(".stats");
        for (String p : path) css.append(" dd[data-key='").append(p).append("']");
        return text(reply.findElement(By.cssSelector(css.toString()))).strip();
    }

    private static ObjectNode message(String role, String content) {
        return TestServers.JSON.createObjectNode().put("role", role).put("content", content);
    }

    /** The same chat request made directly over HTTP, not streamed. */
    private static JsonNode direct(TokenflowServer s, List<ObjectNode> messages, int maxTokens, String extraField, String extraValue) {
        ObjectNode body = TestServers.JSON.createObjectNode();
        body.put("model", modelId(s));
        ArrayNode ms = body.putArray("messages");
        messages.forEach(ms::add);
        body.put("max_tokens", maxTokens);
        body.put("temperature", 0);
        if (extraField != null) body.put(extraField, extraValue);
        TestServers.Response r = TestServers.post(s, "/v1/chat/completions", body.toString());
        assertThat(r.status()).as(r.body()).isEqualTo(200);
        return r.json();
    }

    private static void screenshot(String name) throws IOException {
        Files.createDirectories(SCREENSHOTS);
        Files.write(SCREENSHOTS.resolve(name), driver.getScreenshotAs(OutputType.BYTES));
    }

    private static double metric(TokenflowServer s, String name) {
        return TestServers.metric(TestServers.get(s, "/metrics").body(), name);
    }

    // ---------------------------------------------------------------- tests

    @Test
    void streamedReplyEqualsTheGreedyAnswerAndShowsItsFigures() {
        open(server);
        set("temperature", "0");
        set("max-tokens", "48");
        String[] lines = {"Once upon a time, there was a little girl named Lily.", "One day she"};
        typeAndSend(lines);
        WebElement reply = awaitReply(1);
        assertThat(reply.getDomAttribute("data-status")).isEqualTo("ok");

        String prompt = String.join("\n", lines);
        JsonNode expected = direct(server, List.of(message("user", prompt)), 48, null, null);
        String greedy = expected.path("choices").path(0).path("message").path("content").asText();
        assertThat(greedy).isNotBlank();
        assertThat(replyText(reply)).isEqualTo(greedy);
        WebElement user = driver.findElement(By.cssSelector("#transcript .message.user .content"));
        assertThat(text(user)).isEqualTo(prompt);

        // the speed and the server's figures for this reply
        double tps = Double.parseDouble(text(reply.findElement(By.cssSelector(".stats .tps"))));
        assertThat(tps).isPositive();
        assertThat(figure(reply, "lane")).isEqualTo("batch");
        assertThat(Double.parseDouble(figure(reply, "ttft_ms"))).isPositive();
        assertThat(figure(reply, "speculation")).isEqualTo("—"); // null: no speculation ran
        assertThat(figure(reply, "usage", "completion_tokens"))
                .isEqualTo(expected.path("usage").path("completion_tokens").asText());
        assertThat(figure(reply, "usage", "prompt_tokens")).isEqualTo(expected.path("usage").path("prompt_tokens").asText());
        assertThat(byId("send").isEnabled()).isTrue();
        assertThat(byId("stop").isEnabled()).isFalse();
    }

    @Test
    void conversationIsSentWholeAndPoliciesReachTheServer() throws IOException {
        open(server);
        set("temperature", "0");
        set("max-tokens", "32");
        typeAndSend("Tom had a red ball.");
        String first = replyText(awaitReply(1));

        // second turn with speculation: the page must send the first turn too, and the field
        set("speculation", "ngram");
        typeAndSend("Tom threw the ball to");
        WebElement second = awaitReply(2);
        assertThat(second.getDomAttribute("data-status")).isEqualTo("ok");
        JsonNode expected = direct(server, List.of(message("user", "Tom had a red ball."), message("assistant", first),
                message("user", "Tom threw the ball to")), 32, "speculation", "ngram");
        assertThat(replyText(second)).isEqualTo(expected.path("choices").path(0).path("message").path("content").asText());
        assertThat(figure(second, "lane")).isEqualTo("solo");
        assertThat(figure(second, "speculation", "policy")).isEqualTo("ngram");
        assertThat(Integer.parseInt(figure(second, "speculation", "steps"))).isPositive();

        // third turn with KV compression: its figures appear as a nested list
        set("speculation", "");
        set("kv-compression", "windowkv:0.5");
        typeAndSend("The dog ran after");
        WebElement third = awaitReply(3);
        assertThat(third.getDomAttribute("data-status")).isEqualTo("ok");
        assertThat(figure(third, "kv_compression", "policy")).contains("windowkv");
        assertThat(Integer.parseInt(figure(third, "kv_compression", "cells_used")))
                .isLessThanOrEqualTo(Integer.parseInt(figure(third, "kv_compression", "cells_full")));
        screenshot("chat.png");

        // a narrow window: nothing wider than the viewport, the controls still reachable
        driver.manage().window().setSize(new Dimension(400, 860));
        try {
            waitUpTo(Duration.ofSeconds(5)).until(d -> ((Number) js("return window.innerWidth")).intValue() <= 400);
            long overflow = ((Number) js("return document.documentElement.scrollWidth - document.documentElement.clientWidth")).longValue();
            assertThat(overflow).as("horizontal overflow in a narrow window (px); elements past the right edge: %s", js(
                    "const w = document.documentElement.clientWidth; return [...document.querySelectorAll('body *')]"
                            + ".filter(e => e.getBoundingClientRect().right > w + 0.5)"
                            + ".map(e => e.tagName + (e.id ? '#' + e.id : '') + '.' + e.className + ' ' + Math.round(e.getBoundingClientRect().right))"
                            + ".slice(0, 12).join('; ')")).isLessThanOrEqualTo(0);
            assertThat(byId("send").isDisplayed()).isTrue();
            assertThat(byId("max-tokens").isDisplayed()).isTrue();
            screenshot("chat-narrow.png");
        } finally {
            driver.manage().window().setSize(new Dimension(1280, 900));
        }

        // New chat forgets the conversation: the next request carries one message again
        byId("clear").click();
        assertThat(driver.findElements(By.cssSelector("#transcript .message"))).isEmpty();
        set("kv-compression", "");
        typeAndSend("Tom had a red ball.");
        assertThat(replyText(awaitReply(1))).isEqualTo(first);
    }

    @Test
    void serverErrorsAreShownInTheTranscript() {
        open(server);
        set("speculation", "bogus");
        typeAndSend("Once upon a time");
        WebElement reply = awaitReply(1);
        assertThat(reply.getDomAttribute("data-status")).isEqualTo("error");
        String shown = text(reply.findElement(By.cssSelector(".error-text")));
        TestServers.Response r = TestServers.post(server, "/v1/chat/completions",
                TestServers.chatBody("Once upon a time", 8, true, "\"speculation\": \"bogus\""));
        assertThat(r.status()).isEqualTo(400);
        assertThat(shown).isEqualTo("HTTP 400: " + r.json().path("error").path("message").asText()).contains("bogus");
        // the failed turn is not part of the conversation; its text is back in the box for a retry
        assertThat(driver.findElement(By.cssSelector("#transcript .message.user")).getDomAttribute("class")).contains("unsent");
        assertThat(byId("prompt").getDomProperty("value")).isEqualTo("Once upon a time");

        // a page-side error: extra fields that are not JSON are reported, nothing is sent
        set("speculation", "");
        set("extra", "{not json");
        set("prompt", "hello");
        byId("send").click();
        WebElement second = awaitReply(2);
        assertThat(second.getDomAttribute("data-status")).isEqualTo("error");
        assertThat(text(second.findElement(By.cssSelector(".error-text")))).startsWith("Extra request fields are not valid JSON");
    }

    @Test
    void stopCancelsALongGenerationOnTheServer() {
        // a context with room for a generation of tens of seconds, even when the browser lags behind the stream on a
        // busy machine: Stop always lands while the server is still generating
        try (TokenflowServer s = TestServers.start(b -> b.contextSize(LONG_CONTEXT))) {
            open(s);
            set("temperature", "0.8");
            set("max-tokens", Integer.toString(LONG_CONTEXT - 64));
            set("extra", "{\"ignore_eos\": true}"); // the story model would otherwise end its story early
            typeAndSend("Once upon a time");
            WebElement reply = waitUpTo(REPLY_WAIT).until(d -> {
                List<WebElement> rs = d.findElements(By.cssSelector("#transcript .reply"));
                return rs.size() == 1 && !replyText(rs.get(0)).isEmpty() ? rs.get(0) : null;
            });
            assertThat(reply.getDomAttribute("data-done")).as("still streaming when Stop is clicked; %s", pageState()).isEqualTo("false");
            assertThat(byId("send").isEnabled()).isFalse();
            byId("stop").click();
            awaitReply(1);
            assertThat(reply.getDomAttribute("data-status")).isEqualTo("stopped");
            String note = text(reply.findElement(By.cssSelector(".note")));
            assertThat(note).startsWith("Stopped");
            int received = Integer.parseInt(note.replaceAll("\\D+", " ").strip()); // "... after N chunks."
            assertThat(received).as(note).isPositive().isLessThan(LONG_CONTEXT - 64);
            assertThat(byId("stop").isEnabled()).isFalse();
            assertThat(byId("send").isEnabled()).isTrue();
            // the server saw the client go, cancelled the request and freed the slot
            waitUpTo(Duration.ofSeconds(30)).until(d -> metric(s, "tokenflow:requests_cancelled_total{cause=\"client_gone\"}") == 1
                    && metric(s, "llamacpp:requests_processing") == 0);
        }
    }

    @Test
    void loadingApiKeyAndAnErrorInsideTheStream() {
        // a server that is not ready yet, needs a key, and times requests out quickly
        try (TokenflowServer s = TokenflowServer.start(TestServers.options(b -> b.apiKey("page-key").contextSize(4096)
                .timeout(Duration.ofMillis(700))))) {
            driver.get(s.url() + "/");
            waitUpTo(Duration.ofSeconds(15)).until(d -> text(byId("health")).equals("loading")
                    && text(byId("model")).equals("API key needed"));
            s.ready(TestServers.model());
            waitUpTo(Duration.ofSeconds(15)).until(d -> text(byId("health")).equals("ok")); // the page polls /health

            set("max-tokens", "8");
            typeAndSend("Once upon a time");
            WebElement unauthorized = awaitReply(1);
            assertThat(unauthorized.getDomAttribute("data-status")).isEqualTo("error");
            assertThat(text(unauthorized.findElement(By.cssSelector(".error-text")))).startsWith("HTTP 401: ");

            byId("api-key").sendKeys("page-key", Keys.TAB); // "change": the page asks for the model again, with the key
            String id = TestServers.get(s, "/v1/models", "Authorization", "Bearer page-key").json().path("data").path(0).path("id").asText();
            waitUpTo(Duration.ofSeconds(15)).until(d -> text(byId("model")).equals(id));

            // longer than the timeout: the status line is already 200, so the server ends the stream with an error event
            set("max-tokens", "3900");
            set("extra", "{\"ignore_eos\": true}");
            set("prompt", "");
            typeAndSend("Once upon a time");
            WebElement timedOut = awaitReply(2);
            assertThat(timedOut.getDomAttribute("data-status")).isEqualTo("error");
            assertThat(text(timedOut.findElement(By.cssSelector(".error-text")))).contains("timeout");
        }
    }
}
