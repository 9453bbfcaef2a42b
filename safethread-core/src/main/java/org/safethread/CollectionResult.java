package org.safethread;

import java.time.Duration;
import java.util.Objects;

/**
 * What one run of the collector did.
 *
 * @param examined the {@link RefCounted} objects whose counts and {@link Ref} fields were read
 * @param collected the objects found in garbage groups and made to die
 * @param duration wall-clock time of the collection, including the handshake with other threads
 */
public record CollectionResult(long examined, long collected, Duration duration) {
    /**
     * Validates the components.
     *
     * @param examined the objects read; at least {@code collected}
     * @param collected the objects made to die; zero or more
     * @param duration the collection's wall-clock time; not null
     * @throws IllegalArgumentException if a count is negative or {@code collected > examined}
     * @throws NullPointerException if {@code duration} is null
     */
    public CollectionResult {
        Objects.requireNonNull(duration, "CollectionResult: duration is null");
        if (examined < 0 || collected < 0 || collected > examined) {
            throw new IllegalArgumentException(
                    "CollectionResult needs 0 <= collected <= examined, got examined=" + examined
                            + " collected=" + collected);
        }
    }
}
