package org.safethread.stress.map;

import java.util.function.Function;
import org.safethread.DeadlockException;
import org.safethread.SharedMap;
import org.safethread.stress.support.HangWatchdog;

/** computeIfAbsent calls whose outcome is a code: hangs and deadlock victims become outcomes. */
final class MapActors {
    /** The call threw DeadlockException (a victim). */
    static final int VICTIM = -1;
    /** The call hung: the watchdog broke its wait. */
    static final int HUNG = -2;
    /** The mapping threw (as it was told to). */
    static final int THREW = -3;
    /** The rendezvous partner never came: no race was set up. */
    static final int LATE = -4;

    private MapActors() {
    }

    /** @return the value as an int, or one of the codes above */
    static int computeIfAbsent(SharedMap<String, Integer> map, String key, Function<String, Integer> mapping) {
        HangWatchdog.Entry w = HangWatchdog.begin();
        try {
            Integer v = map.computeIfAbsent(key, mapping);
            // A wait the watchdog had to break is a hang even if it then returned normally: once
            // woken, a waiter whose wake-up was lost finds its marker resolved and goes on.
            return w.fired() ? HUNG : v == null ? 0 : v;
        } catch (DeadlockException e) {
            return w.fired() ? HUNG : VICTIM;
        } catch (MappingFailed e) {
            return THREW;
        } catch (PartnerLate e) {
            return LATE;
        } finally {
            HangWatchdog.end(w);
        }
    }

    /** What a mapping throws when told to. */
    static final class MappingFailed extends RuntimeException {
        private static final long serialVersionUID = 1L;

        MappingFailed() {
            super("mapping failed", null, false, false);
        }
    }

    /** What a mapping throws when its rendezvous partner did not come. */
    static final class PartnerLate extends RuntimeException {
        private static final long serialVersionUID = 1L;

        PartnerLate() {
            super("partner late", null, false, false);
        }
    }
}
