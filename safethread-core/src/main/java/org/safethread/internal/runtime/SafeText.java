package org.safethread.internal.runtime;

import java.util.IdentityHashMap;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Renders user objects and exceptions for log lines and messages without trusting them: a
 * {@code getMessage()}, {@code toString()} or {@code getStackTrace()} that throws (or recurses
 * until the stack overflows) yields a placeholder instead of an exception in a runtime thread.
 *
 * <p>A user exception is never handed to the logging backend itself (which would call its
 * methods on a runtime thread); {@link #loggable} gives a stand-in carrying its rendered text,
 * its stack trace and (rendered the same way) its causes.
 */
public final class SafeText {
    private static final Logger LOG = LoggerFactory.getLogger(LoggerNames.RUNTIME);
    /** Causes followed at most when rendering an exception: enough for any real chain, bounded against cycles. */
    private static final int MAX_CAUSES = 16;
    /** Longest rendered message kept: a log line, not a dump. */
    private static final int MAX_TEXT = 2_000;

    private SafeText() {
    }

    /** @return "ClassName: message", or a placeholder naming the class when rendering fails */
    public static String of(Throwable t) {
        if (t == null) {
            return "null";
        }
        String type = t.getClass().getName();
        try {
            String m = t.getMessage();
            return clip(m == null ? type : type + ": " + m);
        } catch (Throwable renderFailed) {
            return type + " (its getMessage() threw " + renderFailed.getClass().getName() + ")";
        }
    }

    /** @return {@code o.toString()}, or a placeholder naming the class when it throws */
    public static String of(Object o) {
        if (o == null) {
            return "null";
        }
        if (o instanceof Throwable) {
            return of((Throwable) o);
        }
        try {
            return clip(String.valueOf(o.toString()));
        } catch (Throwable renderFailed) {
            return o.getClass().getName() + " (its toString() threw " + renderFailed.getClass().getName() + ")";
        }
    }

    /**
     * A stand-in for {@code t} safe to give a logger: its message is {@link #of(Throwable)}, its
     * stack trace is {@code t}'s (when that can be read), its causes are stand-ins too.
     */
    public static Throwable loggable(Throwable t) {
        if (t == null) {
            return null;
        }
        java.util.ArrayList<Throwable> chain = new java.util.ArrayList<>();
        IdentityHashMap<Throwable, Boolean> seen = new IdentityHashMap<>();
        Throwable c = t;
        while (c != null && chain.size() < MAX_CAUSES && seen.put(c, Boolean.TRUE) == null) {
            chain.add(c);
            try {
                c = c.getCause();
            } catch (Throwable ignored) {
                c = null;
            }
        }
        Rendered below = null;
        for (int i = chain.size() - 1; i >= 0; i--) {
            Throwable x = chain.get(i);
            Rendered r = new Rendered(of(x), below);
            try {
                r.setStackTrace(x.getStackTrace().clone());
            } catch (Throwable ignored) {
                r.setStackTrace(new StackTraceElement[0]);
            }
            below = r;
        }
        return below;
    }

    /** Last resort of a runtime thread (installed by {@link RuntimeThreads}): report, never rethrow. */
    static void reportUncaught(Thread t, Throwable e) {
        try {
            LOG.error("safethread: runtime thread {} ended by an uncaught {}; the runtime replaces it",
                    t.getName(), of(e), loggable(e));
        } catch (Throwable ignored) {
            // nothing more can be done on a dying thread
        }
    }

    private static String clip(String s) {
        return s.length() <= MAX_TEXT ? s : s.substring(0, MAX_TEXT) + "...";
    }

    /** A rendered user exception: what the logger sees instead of the user's object. */
    static final class Rendered extends Throwable {
        private static final long serialVersionUID = 1L;

        Rendered(String text, Rendered cause) {
            super(text, cause, false, true);
        }

        @Override
        public String toString() {
            return getMessage();
        }
    }
}
