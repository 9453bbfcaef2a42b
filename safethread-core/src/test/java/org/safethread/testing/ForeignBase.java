package org.safethread.testing;

import org.safethread.MonitorMethod;

/**
 * A monitor superclass in another package than its subclass: its package-private method cannot be
 * overridden by the subclass's proxy (defined in the subclass's package).
 */
public class ForeignBase {
    private int pokes;

    @MonitorMethod
    public int pokes() {
        return pokes;
    }

    /** Package-private: dispatch from this package would run it on the proxy. */
    void poke() {
        pokes++;
    }

    /** Calls {@link #poke} on {@code b}, as code of this package may. */
    public static void pokeFromHere(ForeignBase b) {
        b.poke();
    }
}
