package org.safethread.examples;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.extension.AfterTestExecutionCallback;
import org.junit.jupiter.api.extension.ExtensionContext;
import org.junit.jupiter.api.extension.ParameterContext;
import org.junit.jupiter.api.extension.ParameterResolver;

/**
 * What a test's demo printed, kept in memory and shown only when the test fails: tests print
 * nothing when they pass, so {@code mvn verify} shows no demo output.
 *
 * <p>Use: {@code @ExtendWith(Transcript.class)} on the class and a {@code Transcript} parameter in
 * the test method; write to {@link #out()}.
 */
final class Transcript implements ParameterResolver, AfterTestExecutionCallback {
    private static final ExtensionContext.Namespace NS = ExtensionContext.Namespace.create(Transcript.class);

    private final ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    private final PrintStream out = new PrintStream(bytes, true, StandardCharsets.UTF_8);

    /** For JUnit (the extension instance); tests get theirs as a parameter. */
    Transcript() {
    }

    /** @return where the test writes what it wants shown if it fails */
    PrintStream out() {
        return out;
    }

    /** @return everything written so far */
    String text() {
        return bytes.toString(StandardCharsets.UTF_8);
    }

    @Override
    public boolean supportsParameter(ParameterContext p, ExtensionContext c) {
        return p.getParameter().getType() == Transcript.class;
    }

    @Override
    public Object resolveParameter(ParameterContext p, ExtensionContext c) {
        return c.getStore(NS).getOrComputeIfAbsent("transcript", k -> new Transcript(), Transcript.class);
    }

    @Override
    public void afterTestExecution(ExtensionContext c) {
        Transcript t = c.getStore(NS).get("transcript", Transcript.class);
        if (t != null && c.getExecutionException().isPresent() && !t.text().isEmpty()) {
            System.out.println("---- " + c.getDisplayName() + ": what the demo printed ----");
            System.out.print(t.text());
            System.out.println("---- end ----");
        }
    }
}
