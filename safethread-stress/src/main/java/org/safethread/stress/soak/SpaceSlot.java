package org.safethread.stress.soak;

import java.time.Duration;
import org.safethread.Monitor;
import org.safethread.MonitorMethod;

/**
 * An account in a {@link org.safethread.MonitorSpace}, for the soak. The slots of one space form a
 * ring ({@link #link}); {@link #sumRing} adds up the ring by calling the next slot, which is a
 * direct re-entry of the space (no second lock), so the whole sum is taken under one hold of the
 * space's lock.
 */
public class SpaceSlot {
    private long balance;
    private SpaceSlot next;

    /** @param balance the opening balance */
    public SpaceSlot(long balance) {
        this.balance = balance;
    }

    /** @param next the next slot of the ring (a monitor of the same space) */
    @MonitorMethod
    public void link(SpaceSlot next) {
        this.next = next;
    }

    /** @return the balance */
    @MonitorMethod
    public long balance() {
        return balance;
    }

    /** @param amount money to add */
    @MonitorMethod
    public void deposit(long amount) {
        balance += amount;
    }

    /**
     * The balances of this slot and the {@code n - 1} after it on the ring, in one hold of the
     * space's lock.
     */
    @MonitorMethod
    public long sumRing(int n) {
        return n <= 1 ? balance : balance + next.sumRing(n - 1);
    }

    /**
     * Moves {@code amount} to {@code to} (in this space: a direct re-entry; in another space: a
     * lock taken while holding this one, so crossed transfers deadlock and the runtime breaks them).
     *
     * @param lose units the deposit leaves out (0, except under {@code --break=space-lose-money})
     * @return false if the balance did not cover it
     */
    @MonitorMethod
    public boolean transferTo(SpaceSlot to, long amount, long lose) {
        if (balance < amount) {
            return false;
        }
        balance -= amount;
        try {
            to.deposit(amount - lose);
        } catch (RuntimeException e) {
            balance += amount;   // DeadlockException: the deposit did not happen
            throw e;
        }
        return true;
    }

    /**
     * Waits up to {@code wait} (the space released) until the balance covers {@code amount}, then
     * moves it to {@code to} (same space: direct re-entry).
     *
     * @return false if it still did not cover it
     * @throws InterruptedException if interrupted while waiting; nothing changed
     */
    @MonitorMethod
    public boolean transferWhenCovered(SpaceSlot to, long amount, Duration wait) throws InterruptedException {
        if (!Monitor.await(() -> balance >= amount, wait)) {
            return false;
        }
        balance -= amount;
        to.deposit(amount);
        return true;
    }
}
