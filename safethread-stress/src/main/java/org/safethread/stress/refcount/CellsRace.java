package org.safethread.stress.refcount;

import org.safethread.DeathQueue;
import org.safethread.stress.support.Spin;
import org.safethread.stress.support.Tracked;

/**
 * The two actors shared by {@link RefCellsRaceTest} and {@link RefCellsMergedRaceTest}: the
 * giver takes references into its cell and hands some to the taker, which releases them (and
 * everything else it holds) through the shared word. Codes: 1 done, 0 found X dead while holding
 * a reference, 2 a count operation threw, 3 (taker) the giver's references never came (2 s).
 */
abstract class CellsRace {
    final Tracked x;
    final DeathQueue<Integer> deaths = new DeathQueue<>();
    /** References the giver has handed to the taker. */
    volatile int gifts;

    CellsRace(Tracked x) {
        this.x = x;
        deaths.watch(x, 1);
    }

    /** Holds one reference (handed to it); takes three, gives two away, churns, releases the rest. */
    int give() {
        try {
            if (!x.isAlive()) {
                return 0;
            }
            x.incref(); // first touch by this thread: remembered, counted in the shared word
            x.incref(); // second touch: a cell is created for it
            x.incref(); // cell
            gifts = 2; // two of the three now belong to the taker (still counted in our cell)
            x.incref(); // churn the cell while the taker releases through the shared word
            x.decref();
            if (!x.isAlive()) {
                return 0;
            }
            x.decref(); // the reference we kept
            x.decref(); // the one we were handed
            return 1;
        } catch (IllegalStateException e) {
            return 2;
        }
    }

    /** Holds two references (its own, the third party's); releases them and the gifts. */
    int take() {
        try {
            if (!x.isAlive()) {
                return 0;
            }
            x.incref(); // first touch: shared word
            x.incref(); // a cell
            x.decref(); // cell back to 0
            x.decref(); // cell empty: shared word
            boolean given = Spin.until(() -> gifts == 2, Spin.PARTNER_NANOS);
            if (!x.isAlive()) {
                return 0;
            }
            if (given) {
                x.decref(); // the giver's references, released through the shared word
                x.decref();
            }
            x.decref(); // the third party's reference
            x.decref(); // our own
            return given ? 1 : 3;
        } catch (IllegalStateException e) {
            return 2;
        }
    }
}
