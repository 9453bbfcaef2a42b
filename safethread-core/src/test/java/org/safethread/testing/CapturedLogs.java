package org.safethread.testing;

import java.util.List;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.function.Predicate;
import java.util.stream.Collectors;
import org.slf4j.event.Level;

/**
 * Log events captured by the test SLF4J provider ({@link CapturingServiceProvider}), which is
 * the only SLF4J binding on the core module's test class path. Every logger is enabled at every
 * level, so tests can assert on DEBUG (deadlocks, collections) and WARN (finalizers, leaks).
 */
public final class CapturedLogs {
    /** One captured event. */
    public record Event(Level level, String logger, String message, Throwable throwable) {
        @Override
        public String toString() {
            return level + " " + logger + ": " + message + (throwable == null ? "" : " [" + throwable + "]");
        }
    }

    private static final ConcurrentLinkedQueue<Event> EVENTS = new ConcurrentLinkedQueue<>();
    /** Keeps memory bounded in long test runs. */
    private static final int MAX_EVENTS = 100_000;

    private CapturedLogs() {
    }

    static void add(Event e) {
        EVENTS.add(e);
        while (EVENTS.size() > MAX_EVENTS) {
            EVENTS.poll();
        }
    }

    /** @return every event captured so far, oldest first */
    public static List<Event> all() {
        return List.copyOf(EVENTS);
    }

    /** @return captured events that match */
    public static List<Event> matching(Predicate<Event> p) {
        return EVENTS.stream().filter(p).collect(Collectors.toList());
    }

    /** @return captured events at {@code level} whose message contains {@code text} */
    public static List<Event> at(Level level, String text) {
        return matching(e -> e.level == level && e.message.contains(text));
    }

    /** Forgets everything captured so far. */
    public static void clear() {
        EVENTS.clear();
    }
}
