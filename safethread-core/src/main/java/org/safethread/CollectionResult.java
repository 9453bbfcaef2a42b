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
    /** Validates the components. */
    public CollectionResult {
        if (examined < 0 || collected < 0 || collected > examined) {
            throw new IllegalArgumentException(
                    "CollectionResult needs 0 <= collected <= examined, got examined=" + examined
                            + " collected=" + collected);
        }
        Objects.requireNonNull(duration, "duration");
    }
}
