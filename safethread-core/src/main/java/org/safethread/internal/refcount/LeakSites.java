package org.safethread.internal.refcount;

import java.util.concurrent.ThreadLocalRandom;
import org.safethread.internal.runtime.Settings;

/**
 * Decides, per allocation, whether a {@code RefCounted} is watched for leaks and whether its
 * allocation site is recorded, following {@code safethread.leakDetection} (the levels are
 * Netty's {@code ResourceLeakDetector}'s, with one difference: below {@code paranoid} every
 * object is still watched, so {@code leaksDetected()} counts every leak, and only the costly
 * stack trace is sampled).
 *
 * <p>The sample is drawn with {@link ThreadLocalRandom} (no shared state, so allocation stays
 * free of contention) rather than by counting, so that a program allocating in a fixed pattern
 * cannot hide one allocation site from the sample.
 */
public final class LeakSites {
    private LeakSites() {
    }

    /**
     * @param hasCore whether the object's class has a finalizer core (always watched, to finalize
     *     it if leaked)
     * @return whether an object allocated now is watched for leaks
     */
    public static boolean watched(boolean hasCore) {
        return hasCore || Settings.leakLevel() != Settings.LEAKS_OFF;
    }

    /** @return the allocation site to record for an object allocated now, or null for none */
    public static Throwable site() {
        int level = Settings.leakLevel();
        if (level == Settings.LEAKS_PARANOID) {
            return new Throwable("allocated here");
        }
        if (level == Settings.LEAKS_SAMPLED) {
            int n = Settings.leakSampleInterval();
            if (n == 1 || ThreadLocalRandom.current().nextInt(n) == 0) {
                return new Throwable("allocated here (sampled: one in " + n + ")");
            }
        }
        return null;
    }
}
