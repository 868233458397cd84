package io.tokenflow.cli;

import java.io.InputStream;
import java.io.PrintWriter;

/**
 * The streams a CLI run uses (the process's own in {@link Main#main}, captured ones in tests) and what they
 * are connected to.
 *
 * @param in standard input (the chat REPL reads it)
 * @param out standard output: generated text and results only
 * @param err standard error: progress, logs, error lines
 * @param errIsTerminal stderr is a terminal, so a redrawn progress line is drawn there
 * @param interactive stdin and stdout are a terminal, so the REPL shows a prompt
 */
record CliIo(InputStream in, PrintWriter out, PrintWriter err, boolean errIsTerminal, boolean interactive) {}
