package org.safethread.stress.soak;

import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentSkipListMap;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The soak's record of broken invariants, by check name. Every violation is printed at once
 * (the first few per check, so a flood does not drown the progress lines) and counted; the run
 * exits non-zero when any was recorded. Shareable (thread-safe maps only): branch children that
 * own nested branches check them and record here.
 */
@org.safethread.Shareable
final class Violations {
    /** How many messages of one check are printed; the rest are only counted. */
    private static final int PRINTED_PER_CHECK = 5;

    private final Map<String, AtomicLong> counts = new ConcurrentSkipListMap<>();
    private final Map<String, String> first = new ConcurrentHashMap<>();

    void record(String check, String detail) {
        long n = counts.computeIfAbsent(check, k -> new AtomicLong()).incrementAndGet();
        first.putIfAbsent(check, detail);
        if (n <= PRINTED_PER_CHECK) {
            System.out.println("VIOLATION [" + check + "] " + detail);
        }
    }

    long count(String check) {
        AtomicLong n = counts.get(check);
        return n == null ? 0 : n.get();
    }

    String first(String check) {
        return first.get(check);
    }

    boolean any() {
        return !counts.isEmpty();
    }

    long total() {
        long t = 0;
        for (AtomicLong n : counts.values()) {
            t += n.get();
        }
        return t;
    }
}
