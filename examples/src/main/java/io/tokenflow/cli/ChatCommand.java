package io.tokenflow.cli;

import io.tokenflow.Chat;
import io.tokenflow.ChatMessage;
import io.tokenflow.GenerationOptions;
import io.tokenflow.TokenListener;
import io.tokenflow.Model;
import io.tokenflow.Session;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.PrintWriter;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * {@code tokenflow chat}: a REPL on stdin. Each line is a user message; the assistant's reply streams to stdout.
 * {@code /exit} or end of input quits, {@code /reset} forgets the conversation.
 */
@Command(name = "chat", mixinStandardHelpOptions = true, sortOptions = false,
        description = {"Chat with a model on stdin/stdout, using its chat template.",
                "Commands: /exit (or end of input) quits, /reset starts over."})
final class ChatCommand implements Callable<Integer> {
    @Spec CommandSpec spec;

    @Mixin CommonOptions common;

    @Option(names = "--template", paramLabel = "NAME",
            description = "Chat template to use instead of the model's: a name llama.cpp knows (chatml, llama2, llama3, "
                    + "mistral-v7, phi3, gemma, ...) or a Jinja template text.")
    String template;

    @Option(names = "--system", paramLabel = "TEXT", description = "System message at the start of the conversation.")
    String system;

    @Option(names = {"-n", "--n-predict"}, paramLabel = "N", defaultValue = "512",
            description = "Tokens per reply at most (default: ${DEFAULT-VALUE}).")
    int maxTokens;

    @Option(names = "--json", description = "Print one JSON object per reply (JSON Lines: text, tokens, stop_reason, stats) instead of streaming text.")
    boolean json;

    @Mixin SamplingOptions sampling;

    @Mixin ContextOptions context;

    @Override
    public Integer call() {
        CliIo io = Main.io(spec);
        GenerationOptions options = sampling.toOptions(maxTokens);
        PrintWriter out = io.out();
        try (Model model = ModelLoading.load(common, io)) {
            checkTemplate(model);
            try (Session session = model.newSession(context.toOptions())) {
                BufferedReader in = new BufferedReader(new InputStreamReader(io.in(), StandardCharsets.UTF_8));
                Chat chat = newChat(session);
                if (io.interactive()) {
                    io.err().println("tokenflow: chatting with " + model.info().name() + "; /exit or Ctrl-D quits, /reset starts over");
                    io.err().flush();
                }
                while (true) {
                    if (io.interactive() && !json) {
                        out.print("> ");
                        out.flush();
                    }
                    String line = readLine(in);
                    if (line == null) {
                        if (io.interactive()) out.println();
                        break;
                    }
                    line = line.strip();
                    if (line.isEmpty()) continue;
                    if (line.equals("/exit") || line.equals("/quit")) break;
                    if (line.equals("/reset")) {
                        chat = newChat(session);
                        continue;
                    }
                    if (json) {
                        Json.print(out, GenerateCommand.toJson(chat.send(line, options, TokenListener.NONE), model));
                        out.flush();
                        continue;
                    }
                    chat.send(line, options, (token, text) -> {
                        if (!text.isEmpty()) {
                            out.print(text);
                            out.flush();
                        }
                    });
                    out.println();
                    out.flush();
                }
            }
        }
        return ExitCodes.OK;
    }

    /** Fails with one clear line when there is no template to use, or the given one is unknown. */
    private void checkTemplate(Model model) {
        if (template == null) {
            if (model.info().chatTemplate().isEmpty()) {
                throw CliException.usage("model " + model.info().name()
                        + " has no chat template; pass one with --template NAME (e.g. --template chatml)");
            }
            return;
        }
        try {
            model.applyChatTemplate(List.of(ChatMessage.user("hi")), true, template);
        } catch (IllegalArgumentException | IllegalStateException e) {
            throw CliException.usage("unknown chat template '" + abbreviate(template) + "' (try --template chatml)");
        }
    }

    private Chat newChat(Session session) {
        Chat chat = new Chat(session, template);
        if (system != null && !system.isBlank()) chat.system(system);
        return chat;
    }

    private static String readLine(BufferedReader in) {
        try {
            return in.readLine();
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read stdin: " + e.getMessage(), e);
        }
    }

    private static String abbreviate(String s) {
        String one = ErrorReporting.oneLine(s);
        return one.length() <= 40 ? one : one.substring(0, 37) + "...";
    }
}
