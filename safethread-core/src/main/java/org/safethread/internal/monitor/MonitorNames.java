package org.safethread.internal.monitor;

import java.util.concurrent.atomic.AtomicInteger;

/** Names monitors {@code SimpleClassName#n}, numbered per class from 1, for messages and tools. */
final class MonitorNames {
    private static final ClassValue<AtomicInteger> COUNTERS = new ClassValue<>() {
        @Override
        protected AtomicInteger computeValue(Class<?> type) {
            return new AtomicInteger();
        }
    };

    private MonitorNames() {
    }

    static String next(Class<?> type) {
        String simple = type.getSimpleName();
        if (simple.isEmpty()) {
            simple = type.getName();
        }
        return simple + "#" + COUNTERS.get(type).incrementAndGet();
    }
}
